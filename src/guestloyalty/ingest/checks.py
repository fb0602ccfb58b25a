"""Checks a file must pass before (and while) it loads: header, contract, card numbers.

Each check raises an ``IngestError`` subclass whose message names the file and says what to
do; nothing is loaded from a file that fails one.
"""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.contracts import EntityContract
from guestloyalty.errors import CardNumberError, ContractError, ReadError
from guestloyalty.ingest.readers import ROW_NUMBER, Source, quote_ident

if TYPE_CHECKING:
    import duckdb

#: A column is refused when at least this share of its 13-19 digit values pass the Luhn check
#: (random 16-digit ids pass about 10% of the time; card numbers pass always).
CARD_SHARE = 0.9
#: Source columns a mapping does not use are checked on this many leading rows; the columns
#: that land in bronze are checked on every row.
CARD_SAMPLE_ROWS = 10_000
_OTHER_DELIMITERS = (";", "\t", "|", ",")
#: Parquet types that cannot be read as a contract column of the given kind.
_PARQUET_BAD_TYPES = ("BLOB", "[]", "STRUCT", "MAP", "UNION")
_PARQUET_OK = {
    "date": ("DATE", "TIMESTAMP", "VARCHAR"),
    "timestamp": ("DATE", "TIMESTAMP", "VARCHAR"),
    "double": ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT",
               "HUGEINT", "UINTEGER", "UBIGINT", "USMALLINT", "UTINYINT", "VARCHAR"),
    "integer": ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UINTEGER", "UBIGINT",
                "USMALLINT", "UTINYINT", "VARCHAR"),
    "boolean": ("BOOLEAN", "INTEGER", "BIGINT", "TINYINT", "SMALLINT", "VARCHAR"),
}  # fmt: skip


def check_duplicate_names(path: Path, names: list[str]) -> None:
    """Two header columns with one name would make one of them silently win."""
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ContractError(
            f"{path}:1: duplicate column name(s) in the header: {', '.join(duplicates)}; "
            "rename them in the export or map them in a mapping with read.column_names"
        )


def check_required_columns(source: Source, contract: type[EntityContract], *, entity: str) -> None:
    """Refuse a file (without mapping) that lacks a required column of its entity."""
    present = source.columns
    missing = [c for c in contract.required_columns() if c not in present]
    if not missing:
        return
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, present, n=2, cutoff=0.6)
        if close:
            hints.append(f"{column} (closest: {', '.join(close)})")
        else:
            hints.append(column)
    message = (
        f"{source.path}:1: missing required column(s) for {entity}: {'; '.join(hints)}; "
        f"present: {_preview(present)}"
    )
    delimiter = _other_delimiter(present)
    if delimiter == " ":
        message += (
            "; the header looks whitespace-separated: pass a mapping with read.format "
            "set to whitespace"
        )
    elif delimiter:
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        message += (
            f"; the header looks {shown}-separated: pass a mapping with read.delimiter "
            f"set to {shown}"
        )
    else:
        message += "; rename the columns or pass --mapping"
    raise ContractError(message)


def _preview(columns: list[str], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f" ... ({len(columns)} columns)" if len(columns) > limit else "")


def _other_delimiter(columns: list[str]) -> str | None:
    if len(columns) != 1:
        return None
    for delimiter in _OTHER_DELIMITERS:
        if delimiter in columns[0]:
            return delimiter
    return " " if len(columns[0].split()) > 1 else None


def check_parquet_types(
    source: Source, contract: type[EntityContract], used: dict[str, str]
) -> None:
    """Refuse Parquet columns whose type cannot hold the contract column they feed.

    ``used`` maps canonical column -> the source column it is read from unchanged.
    """
    if not source.types:
        return
    wanted = contract.column_types()
    for canonical, column in used.items():
        actual = source.types.get(column, "").upper()
        kind = wanted.get(canonical, "varchar")
        bad = any(marker in actual for marker in _PARQUET_BAD_TYPES)
        allowed = _PARQUET_OK.get(kind)
        if bad or (allowed and not actual.startswith(allowed)):
            raise ContractError(
                f"{source.path}: column {column} has Parquet type {actual}, which cannot hold "
                f"{canonical} ({kind}); write it as {kind} or text"
            )


def check_field_counts(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Whitespace-separated files: every line must have as many fields as the header."""
    if source.format != "whitespace":
        return
    width = len(source.columns)
    row = con.sql(
        f"select min({ROW_NUMBER}), count(*) from {source.sql} where _field_count <> {width}"
    ).fetchall()[0]
    if row[1]:
        line = row[0] + source.first_data_line - 1
        raise ReadError(
            f"{source.path}:{line}: ragged row: expected {width} fields like the header "
            f"({row[1]:,} line(s) differ)"
        )


def digits_sql(expression: str) -> str:
    """The value without the spaces and dashes card numbers are often written with."""
    return f"replace(replace({expression}, ' ', ''), '-', '')"


def luhn_sql(digits: str) -> str:
    """SQL true when ``digits`` (a string of digits) passes the Luhn checksum."""
    return (
        "coalesce(list_sum(list_transform(string_split(reverse(" + digits + "), ''), "
        "lambda d, i: case when i % 2 = 0 then "
        "(try_cast(d as integer) * 2) - (case when try_cast(d as integer) >= 5 then 9 else 0 end) "
        "else try_cast(d as integer) end)) % 10 = 0, false)"
    )


#: A card-number candidate: 13-19 digits and nothing else but the spaces and dashes card
#: numbers are often written with (the same values as ``digits_sql`` leaving 13-19 digits).
CARD_SHAPE = "[ -]*(?:[0-9][ -]*){13,19}"


def card_columns(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: list[str],
    *,
    limit: int | None = None,
) -> list[str]:
    """Columns of ``relation`` whose values look like payment card numbers.

    One pass over the relation. Per value, a length test (13+ characters) and a regular
    expression on the raw text (digits, spaces and dashes only, 13-19 digits) come first;
    only the values that pass both (candidates) reach the Luhn test.
    """
    if not columns:
        return []
    inner = ", ".join(
        f"cast({quote_ident(column)} as varchar) as v{index}"
        for index, column in enumerate(columns)
    )
    limited = f"(select * from {relation} limit {limit})" if limit else relation
    flags = ", ".join(
        f"case when length(v{index}) >= 13 and regexp_full_match(v{index}, '{CARD_SHAPE}') "
        f"then {luhn_sql(digits_sql(f'v{index}'))} end as f{index}"
        for index in range(len(columns))
    )
    counts = ", ".join(
        f"count(f{index}) as c{index}, count(*) filter (where f{index}) as l{index}"
        for index in range(len(columns))
    )
    sql = f"select {counts} from (select {flags} from (select {inner} from {limited}))"
    row = con.sql(sql).fetchall()[0]
    flagged = []
    for index, column in enumerate(columns):
        candidates, valid = row[2 * index], row[2 * index + 1]
        if valid and valid >= CARD_SHARE * candidates:
            flagged.append(column)
    return flagged


#: Parquet types whose text is never 13-19 digits alone (dates and times keep their separators,
#: floats a decimal point): their columns cannot hold card numbers and are not scanned.
_NOT_CARD_TYPES = ("DATE", "TIME", "TIMESTAMP", "BOOLEAN", "FLOAT", "DOUBLE")


def card_scan_columns(source: Source, columns: list[str], used: dict[str, str]) -> list[str]:
    """The landed ``columns`` worth scanning for card numbers.

    ``used`` maps canonical column -> the source column it is read from unchanged; a column
    read from a Parquet date, time, boolean or floating-point column is left out.
    """
    if not source.types:
        return columns
    return [
        column
        for column in columns
        if column not in used
        or not source.types.get(used[column], "").upper().startswith(_NOT_CARD_TYPES)
    ]


def refuse_card_columns(path: Path, columns: list[str], *, where: str) -> None:
    if columns:
        raise CardNumberError(
            f"{path}: column(s) {', '.join(columns)} {where} hold what look like payment card "
            "numbers (Luhn-valid, 13-19 digits); card numbers never land: list them under "
            "drop: or mask: in a mapping"
        )
