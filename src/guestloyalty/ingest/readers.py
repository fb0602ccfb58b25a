"""Turn one landing file into a DuckDB relation of text columns, or a one-line error.

DuckDB's readers do all the reading; Python only looks at a file's first bytes (emptiness,
compression, binary content, encoding, the header line) so that problems come back as a
message naming the file and line instead of a parser dump.

Every reader yields the file's columns as ``varchar`` plus ``_row_number``: the data row's
position in the file (1 = first row after the header), stable for a given file.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guestloyalty.errors import IngestError, ReadError

if TYPE_CHECKING:
    import duckdb

FileFormat = Literal["csv", "tsv", "parquet", "jsonl", "whitespace"]
Encoding = Literal["utf-8", "utf-16", "latin-1"]

SUFFIX_FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
DATA_SUFFIXES = tuple(SUFFIX_FORMATS)
ROW_NUMBER = "_row_number"
_PARQUET_ROW_NUMBER = "file_row_number"
#: How many leading bytes the pre-flight checks look at (binary content, encoding, header).
SNIFF_BYTES = 1 << 16
_UNIT_SEPARATOR = "\x1f"  # never in a whitespace-separated text file: one column per line


class ReadOptions(BaseModel):
    """How to read a file: the ``read:`` block of a mapping (defaults suit a plain CSV)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: FileFormat | None = Field(
        default=None, description="csv, tsv, parquet, jsonl or whitespace; default: the suffix"
    )
    delimiter: str | None = Field(default=None, description="default: ',' (csv), tab (tsv)")
    header: bool = True
    quote: str = '"'
    escape: str | None = Field(default=None, description="default: the quote character")
    encoding: Encoding = "utf-8"
    null_strings: list[str] = Field(
        default_factory=list,
        description="values read as SQL null before the column expressions run",
    )
    skip_rows: int = Field(default=0, ge=0, description="lines to skip before the header")
    date_format: str | None = Field(
        default=None,
        description="strptime format of the date / timestamp columns, e.g. '%Y%m%d'",
    )
    column_names: list[str] | None = Field(
        default=None, description="names of the columns of a file without a header"
    )

    @field_validator("delimiter", "quote", "escape")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > 4:
            raise ValueError("must be at most 4 bytes")
        return value


@dataclass(frozen=True)
class Source:
    """A file, ready to select from: ``select ... from {sql}``."""

    path: Path
    format: FileFormat
    columns: list[str]
    sql: str
    #: file line of the first data row (for messages): header and skipped lines come first
    first_data_line: int
    #: column -> DuckDB type, for typed formats (Parquet); text formats have none
    types: dict[str, str] | None = None
    #: whether ``_row_number`` needs the rows read in file order (``row_number() over ()``);
    #: False when the reader numbers rows itself (Parquet's ``file_row_number``)
    ordered_rows: bool = True


def file_format(path: Path, options: ReadOptions | None = None) -> FileFormat:
    if options is not None and options.format is not None:
        return options.format
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    try:
        return SUFFIX_FORMATS[suffix]
    except KeyError as error:
        raise ReadError(
            f"{path}: unknown file type {suffix or '(no suffix)'!r}; expected one of "
            f"{', '.join(DATA_SUFFIXES)} (optionally .gz), or set read.format in a mapping"
        ) from error


def is_data_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return not path.name.startswith(".") and name.endswith(DATA_SUFFIXES)


def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def head_bytes(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of the file's content (decompressed when it is .gz)."""
    if not is_gzip(path):
        with open(path, "rb") as handle:
            return handle.read(size)
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic != b"\x1f\x8b":
        raise ReadError(
            f"{path}: named .gz but is not gzip-compressed (no gzip magic bytes); "
            "rename it without .gz or compress it"
        )
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError, zlib.error) as error:
        raise ReadError(f"{path}: corrupt gzip stream ({error}); re-export the file") from error


def preflight(path: Path, fmt: FileFormat, options: ReadOptions) -> bytes:
    """Refuse files that are empty, binary, or not in the declared encoding; return the head."""
    if path.stat().st_size == 0:
        raise ReadError(f"{path}: file is empty (0 bytes); re-export it or remove it")
    head = head_bytes(path)
    if fmt == "parquet":
        if not head.startswith(b"PAR1"):
            raise ReadError(f"{path}:1: not a Parquet file (no PAR1 magic bytes)")
        return head
    if not head.strip():
        raise ReadError(f"{path}: file holds no data (only whitespace)")
    if options.encoding != "utf-16":
        nul = head.find(b"\x00")
        if nul >= 0:
            raise ReadError(
                f"{path}: binary content (NUL byte at offset {nul}); "
                f"expected a {options.encoding} text file"
            )
    if options.encoding == "utf-8":
        _check_utf8(path, head)
    return head


def _check_utf8(path: Path, head: bytes) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as error:
        line = head.count(b"\n", 0, error.start) + 1
        raise ReadError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{head[error.start]:02x} at offset "
            f"{error.start}); if it is Latin-1, use a mapping with read.encoding: latin-1"
        ) from error


def _decode(head: bytes, encoding: Encoding) -> str:
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "latin-1": "latin-1"}[encoding]
    return head.decode(codec, errors="replace")


def _header_fields(path: Path, head: bytes, options: ReadOptions, delimiter: str) -> list[str]:
    """The header row, parsed with the file's delimiter and quote (Python's csv, one line)."""
    text = _decode(head, options.encoding)
    lines = io.StringIO(text, newline="")
    for _ in range(options.skip_rows):
        lines.readline()
    if len(delimiter) != 1:
        first = lines.readline().rstrip("\r\n")
        return first.split(delimiter)
    reader = csv.reader(
        lines,
        delimiter=delimiter,
        quotechar=options.quote or None,
        escapechar=None if (options.escape or options.quote) == options.quote else options.escape,
        doublequote=(options.escape or options.quote) == options.quote,
        quoting=csv.QUOTE_MINIMAL if options.quote else csv.QUOTE_NONE,
        strict=False,
    )
    try:
        return next(reader)
    except StopIteration as error:
        raise ReadError(f"{path}: file holds no header line") from error


def _csv_sql(path: Path, fmt: FileFormat, options: ReadOptions, names: list[str], skip: int) -> str:
    delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
    escape = options.escape if options.escape is not None else options.quote
    columns = "{" + ", ".join(f"{_sql_string(n)}: 'VARCHAR'" for n in names) + "}"
    nulls = ""
    if options.null_strings:
        nulls = ", nullstr=[" + ", ".join(_sql_string(v) for v in options.null_strings) + "]"
    return (
        f"read_csv({_sql_string(str(path))}, delim={_sql_string(delimiter)}, "
        f"quote={_sql_string(options.quote)}, escape={_sql_string(escape)}, "
        f"header=false, skip={skip}, auto_detect=false, columns={columns}, "
        f"strict_mode=true, encoding={_sql_string(options.encoding)}{nulls}, "
        "compression='auto')"
    )


def open_source(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions | None = None
) -> Source:
    """Check the file's first bytes and describe it as a relation of text columns."""
    options = options or ReadOptions()
    fmt = file_format(path, options)
    head = preflight(path, fmt, options)
    if fmt == "parquet":
        return _parquet_source(con, path)
    if fmt == "jsonl":
        return _jsonl_source(con, path, head)
    if fmt == "whitespace":
        return _whitespace_source(path, head, options)
    delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
    if options.header:
        names = _header_fields(path, head, options, delimiter)
        skip = options.skip_rows + 1
    else:
        width = len(_header_fields(path, head, options, delimiter))
        names = options.column_names or [f"column{i + 1}" for i in range(width)]
        skip = options.skip_rows
    names = [name.strip() or f"column{i + 1}" for i, name in enumerate(names)]
    reader = _csv_sql(path, fmt, options, names, skip)
    select = ", ".join(quote_ident(n) for n in names)
    sql = f"(select {select}, row_number() over () as {ROW_NUMBER} from {reader})"
    return Source(path, fmt, names, sql, first_data_line=skip + 1)


def _whitespace_source(path: Path, head: bytes, options: ReadOptions) -> Source:
    """Columns separated by runs of blanks (fixed-width-ish exports such as CDNOW)."""
    text = _decode(head, options.encoding)
    lines = text.splitlines()[options.skip_rows :]
    if not lines:
        raise ReadError(f"{path}: file holds no header line")
    if options.header:
        names = lines[0].split()
        skip = options.skip_rows + 1
    else:
        names = options.column_names or [f"column{i + 1}" for i in range(len(lines[0].split()))]
        skip = options.skip_rows
    reader = (
        f"read_csv({_sql_string(str(path))}, delim={_sql_string(_UNIT_SEPARATOR)}, quote='', "
        f"escape='', header=false, skip={skip}, auto_detect=false, "
        f"columns={{'line': 'VARCHAR'}}, encoding={_sql_string(options.encoding)}, "
        "compression='auto')"
    )
    parts = "string_split_regex(trim(line), '\\s+')"
    fields = ", ".join(f"parts[{i + 1}] as {quote_ident(n)}" for i, n in enumerate(names))
    sql = (
        f"(select {fields}, len(parts) as _field_count, {ROW_NUMBER} from "
        f"(select {parts} as parts, row_number() over () as {ROW_NUMBER} from {reader} "
        "where trim(line) <> ''))"
    )
    return Source(path, "whitespace", names, sql, first_data_line=skip + 1)


def _parquet_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    reader = f"read_parquet({_sql_string(str(path))})"
    try:
        described = con.sql(f"describe select * from {reader}").fetchall()
    except Exception as error:  # noqa: BLE001 - any reader failure becomes one line
        raise translate(path, error) from error
    names = [row[0] for row in described]
    types = {row[0]: row[1] for row in described}
    select = ", ".join(_parquet_text(n, types[n]) for n in names)
    if _PARQUET_ROW_NUMBER in names:
        sql = f"(select {select}, row_number() over () as {ROW_NUMBER} from {reader})"
        return Source(path, "parquet", names, sql, first_data_line=1, types=types)
    # The reader's own row position: exact whatever order the rows are read in, so the
    # insert may run with preserve_insertion_order off (see loader.py).
    numbered = f"read_parquet({_sql_string(str(path))}, file_row_number=true)"
    sql = f"(select {select}, {_PARQUET_ROW_NUMBER} + 1 as {ROW_NUMBER} from {numbered})"
    return Source(path, "parquet", names, sql, first_data_line=1, types=types, ordered_rows=False)


def _parquet_text(name: str, sql_type: str) -> str:
    ident = quote_ident(name)
    if sql_type.upper().startswith("TIMESTAMP"):
        return f"strftime({ident}, '%Y-%m-%d %H:%M:%S') as {ident}"
    return f"cast({ident} as varchar) as {ident}"


def _jsonl_source(con: duckdb.DuckDBPyConnection, path: Path, head: bytes) -> Source:
    """JSON Lines, one object per line; every key's value as text (nested values as JSON)."""
    if head.lstrip().startswith(b"["):
        raise ReadError(
            f"{path}:1: a JSON array, not JSON Lines; export one object per line (.jsonl)"
        )
    reader = f"read_ndjson_objects({_sql_string(str(path))}, compression='auto')"
    try:
        keys = con.sql(
            f"select key from (select unnest(json_keys(json)) as key, row_number() over () as n "
            f"from {reader}) group by key order by min(n)"
        ).fetchall()
        not_objects = con.sql(
            f"select min(n), count(*) from (select json, row_number() over () as n "
            f"from {reader}) where json_type(json) <> 'OBJECT'"
        ).fetchall()[0]
    except Exception as error:  # noqa: BLE001 - any reader failure becomes one line
        raise translate(path, error) from error
    if not_objects[1]:
        raise ReadError(
            f"{path}:{not_objects[0]}: not a JSON object ({not_objects[1]:,} line(s) are "
            "arrays or plain values); JSON Lines needs one object per line"
        )
    names = [row[0] for row in keys]
    if not names:
        raise ReadError(f"{path}: no JSON objects with keys found")
    select = ", ".join(f"json ->> {_sql_string(n)} as {quote_ident(n)}" for n in names)
    sql = f"(select {select}, row_number() over () as {ROW_NUMBER} from {reader})"
    return Source(path, "jsonl", names, sql, first_data_line=1)


_LINE_PATTERNS = (
    re.compile(r"CSV Error on Line: (\d+)"),
    re.compile(r"in line (\d+)"),
    re.compile(r"[Ll]ine[: ]+(\d+)"),
)
_SKIP_PREFIXES = ("Original Line", "CSV Error on Line", "Possible", "*", "file =", "  ")


_KNOWN_REASONS = (
    re.compile(r"Expected Number of Columns: \d+ Found: \d+"),
    re.compile(r"Value with unterminated quote found"),
    re.compile(r"Invalid unicode \(byte sequence mismatch\) detected"),
    re.compile(r"Maximum line size of \d+ bytes exceeded"),
)


def _reason(message: str) -> str:
    """The sentence of a DuckDB error that says what is wrong (not the echoed line)."""
    for pattern in _KNOWN_REASONS:
        found = pattern.search(message)
        if found:
            return found.group(0)
    lines = [line.strip() for line in message.splitlines()]
    first = lines[0] if lines else message
    first = re.sub(r"^[A-Za-z ]+Error: ", "", first)
    if first.startswith("CSV Error on Line"):
        for line in lines[1:]:
            if line and not line.startswith(_SKIP_PREFIXES):
                return line.rstrip(". ")
    return first.rstrip(". ")


_HINTS = (
    ("unterminated quote", "unterminated quoted value; check the quoting of that line"),
    ("Expected Number of Columns", "ragged row"),
    ("not utf-8 encoded", "use a mapping with read.encoding: latin-1 if the file is Latin-1"),
    ("Input is not a GZIP stream", "named .gz but not gzip-compressed"),
    ("Malformed JSON", "broken JSON line"),
    ("state machine reached an invalid state", "mixed or unusual line endings?"),
)


def translate(path: Path, error: BaseException) -> IngestError:
    """A DuckDB reader error as one line: file, line (when DuckDB names it), reason, hint."""
    message = str(error)
    if isinstance(error, IngestError):
        return error
    line = None
    for pattern in _LINE_PATTERNS:
        found = pattern.search(message)
        if found:
            line = int(found.group(1))
            break
    reason = _reason(message)
    reason = re.sub(r'\s*in file "[^"]*",?', "", reason)
    for needle, hint in _HINTS:
        if needle in message and hint not in reason:
            reason = f"{reason} ({hint})"
            break
    where = f"{path}:{line}" if line else f"{path}"
    return ReadError(f"{where}: {reason}")
