"""Mappings: a YAML file that turns a foreign export into one of our entities.

```yaml
entity: stays                     # which contract the file feeds
source_system: cdnow              # optional; fills source_system unless a column sets it
read:                             # optional; how to read the file (see ReadOptions)
  format: whitespace
  date_format: "%Y%m%d"
columns:                          # canonical column: DuckDB SQL expression over the file
  guest_id: customer_id
  check_in_date: date
  total_revenue: dollar_value
  stay_id: "customer_id || '-' || date || '-' || _row_number"
drop: [card_number]               # optional: source columns never read
mask: [iban]                      # optional: source columns reduced to their last 4 digits
```

Only the canonical columns listed under ``columns`` land (every required one must be there);
the others stay null. Expressions see the file's columns as text and ``_row_number`` (the data
row's position in the file). The whole mapping becomes one ``select`` over DuckDB's reader.
Each expression must pass the allow-list of :mod:`guestloyalty.ingest.expressions` first:
a mapping transforms the row, it never reads anything else.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from guestloyalty.contracts import CONTRACTS, ENTITIES, EntityContract
from guestloyalty.errors import ContractError, MappingError
from guestloyalty.ingest.expressions import refusal
from guestloyalty.ingest.readers import ROW_NUMBER, ReadOptions, Source, quote_ident

if TYPE_CHECKING:
    import duckdb

_DATE_OUTPUT = {"date": "%Y-%m-%d", "timestamp": "%Y-%m-%d %H:%M:%S"}


class Mapping(BaseModel):
    """A validated mapping file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str
    source_system: str | None = None
    description: str | None = None
    read: ReadOptions = Field(default_factory=ReadOptions)
    columns: dict[str, str]
    drop: list[str] = Field(default_factory=list)
    mask: list[str] = Field(default_factory=list)
    #: where the mapping was read from (for messages); not part of the YAML
    origin: str = Field(default="<mapping>", exclude=True)

    @model_validator(mode="after")
    def _check_against_contract(self) -> Mapping:
        if self.entity not in CONTRACTS:
            close = difflib.get_close_matches(self.entity, ENTITIES, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown entity {self.entity!r}{hint}; known: {', '.join(ENTITIES)}")
        contract = CONTRACTS[self.entity]
        known = contract.columns()
        unknown = [c for c in self.columns if c not in known]
        if unknown:
            hints = []
            for column in unknown:
                close = difflib.get_close_matches(column, known, n=1)
                hints.append(f"{column} (did you mean {close[0]}?)" if close else column)
            raise ValueError(
                f"columns: unknown {self.entity} column(s) {', '.join(hints)}; "
                f"{self.entity} has: {', '.join(known)}"
            )
        missing = [c for c in contract.required_columns() if c not in self.columns]
        if missing:
            raise ValueError(
                f"columns: required {self.entity} column(s) not mapped: {', '.join(missing)}"
            )
        blank = [c for c, expression in self.columns.items() if not str(expression).strip()]
        if blank:
            raise ValueError(f"columns: empty expression for {', '.join(blank)}")
        both = sorted(set(self.drop) & set(self.mask))
        if both:
            raise ValueError(f"column(s) {', '.join(both)} are under both drop: and mask:")
        return self

    @property
    def contract(self) -> type[EntityContract]:
        return CONTRACTS[self.entity]


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; every problem names the file."""
    if not path.is_file():
        raise MappingError(f"{path}: mapping file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or error
        raise MappingError(f"{where}: not valid YAML ({problem})") from error
    if not isinstance(raw, dict):
        raise MappingError(f"{path}: a mapping is a YAML object with entity: and columns:")
    raw.pop("origin", None)
    if isinstance(raw.get("columns"), dict):
        raw["columns"] = {str(k): str(v) for k, v in raw["columns"].items() if v is not None}
    try:
        mapping = Mapping(**raw, origin=str(path))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"])
            message = re.sub(r"^Value error, ", "", item["msg"])
            problems.append(f"{location}: {message}" if location else message)
        raise MappingError(f"{path}: invalid mapping: {'; '.join(problems)}") from error
    refuse_unsafe_expressions(mapping)
    return mapping


def refuse_unsafe_expressions(mapping: Mapping, expressions: dict[str, str] | None = None) -> None:
    """Raise for the first expression that does more than transform the row.

    ``expressions`` are the texts the loader runs (the mapping's, wrapped in casts and the
    ``date_format`` parse); each is checked too, so what runs is what was checked.
    """
    for column, expression in mapping.columns.items():
        refused = refusal(expression)
        if refused is None and expressions is not None:
            refused = refusal(expressions[column])
        if refused is not None:
            raise MappingError(f"{mapping.origin}: columns.{column}: {refused}")


def _mask_sql(column: str) -> str:
    ident = quote_ident(column)
    digits = f"regexp_replace(cast({ident} as varchar), '[^0-9]', '', 'g')"
    return (
        f"case when {ident} is null then null else "
        f"repeat('*', greatest(length({digits}) - 4, 0)) || right({digits}, 4) end as {ident}"
    )


def prepared_relation(source: Source, mapping: Mapping | None) -> str:
    """The file's columns with the mapping's drop: and mask: applied."""
    if mapping is None or not (mapping.drop or mapping.mask):
        return source.sql
    absent = [c for c in (*mapping.drop, *mapping.mask) if c not in source.columns]
    if absent:
        raise ContractError(
            f"{mapping.origin}: drop:/mask: name column(s) {', '.join(absent)} that "
            f"{source.path} does not have; it has: {', '.join(source.columns)}"
        )
    parts = ["select *"]
    if mapping.drop:
        parts.append(f"exclude ({', '.join(quote_ident(c) for c in mapping.drop)})")
    if mapping.mask:
        parts.append(f"replace ({', '.join(_mask_sql(c) for c in mapping.mask)})")
    return f"({' '.join(parts)} from {source.sql})"


def visible_columns(source: Source, mapping: Mapping | None) -> list[str]:
    """The file's columns an expression may use (after drop:)."""
    dropped = set(mapping.drop) if mapping else set()
    return [c for c in source.columns if c not in dropped]


def column_expressions(
    contract: type[EntityContract], source: Source, mapping: Mapping | None
) -> dict[str, str]:
    """Canonical column -> SQL expression (text) over the prepared relation."""
    if mapping is None:
        return {
            column: f"cast({quote_ident(column)} as varchar)"
            if column in source.columns
            else "cast(null as varchar)"
            for column in contract.columns()
        }
    types = contract.column_types()
    out: dict[str, str] = {}
    for column in contract.columns():
        expression = mapping.columns.get(column)
        if expression is None and column == "source_system" and mapping.source_system:
            expression = "'" + mapping.source_system.replace("'", "''") + "'"
        if expression is None:
            out[column] = "cast(null as varchar)"
            continue
        text = f"cast(({expression}) as varchar)"
        output_format = _DATE_OUTPUT.get(types[column])
        if mapping.read.date_format and output_format:
            date_format = "'" + mapping.read.date_format.replace("'", "''") + "'"
            parsed = f"try_strptime({text}, {date_format})"
            text = f"coalesce(strftime({parsed}, '{output_format}'), {text})"
        out[column] = text
    return out


def passthrough_columns(
    contract: type[EntityContract], source: Source, mapping: Mapping | None
) -> dict[str, str]:
    """Canonical column -> source column it is read from unchanged (for type checks)."""
    if mapping is None:
        return {c: c for c in contract.columns() if c in source.columns}
    return {
        canonical: expression.strip().strip('"')
        for canonical, expression in mapping.columns.items()
        if expression.strip().strip('"') in source.columns
    }


def check_expressions(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    expressions: dict[str, str],
    *,
    mapping: Mapping,
    source: Source,
) -> None:
    """Check, then bind, every mapped expression on its own so an error names its column."""
    refuse_unsafe_expressions(mapping, expressions)
    visible = visible_columns(source, mapping)
    for column in mapping.columns:
        try:
            con.sql(f"describe select {expressions[column]} from {relation}").fetchall()
        except Exception as error:  # noqa: BLE001 - binder / parser errors become one line
            message = str(error).splitlines()[0]
            message = re.sub(r"^[A-Za-z ]+Error: ", "", message).rstrip("!. ")
            hint = ""
            referenced = re.search(r'column "([^"]+)" not found', message)
            if referenced:
                close = difflib.get_close_matches(referenced.group(1), visible, n=2)
                hint = f" (closest: {', '.join(close)})" if close else ""
                hint += f"; {source.path.name} has: {', '.join(visible)}"
            raise MappingError(
                f"{mapping.origin}: columns.{column}: {message}{hint} (reading {source.path})"
            ) from error


__all__ = [
    "ROW_NUMBER",
    "Mapping",
    "check_expressions",
    "column_expressions",
    "load_mapping",
    "passthrough_columns",
    "prepared_relation",
    "refuse_unsafe_expressions",
    "visible_columns",
]
