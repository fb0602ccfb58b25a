"""Named, parameterised questions over gold: ``guestloyalty query list / show / run``.

Each question is one SQL file in this folder, a single ``select`` over gold tables, with a
header that documents it::

    -- Top guests by predicted value over the horizon.
    -- @param limit_n integer = 100 : how many guests
    -- @param min_stays integer = 1 : only guests with at least this many stays
    -- @requires guest_scores, guest_360
    select ... where stays >= $min_stays order by clv_horizon desc limit $limit_n

- the first comment line is the one-line description;
- ``@param NAME TYPE = DEFAULT : help`` declares a parameter (types: integer, double, text,
  date, boolean; ``= null`` for "not set"); the SQL refers to it as ``$NAME``;
- ``@requires`` names the gold tables the query reads, so a missing table is a clear message.

Values given on the command line are converted to the declared type and always **bound** as
DuckDB parameters, never pasted into the SQL text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

from guestloyalty.errors import QueryError

if TYPE_CHECKING:
    import duckdb

TYPES = ("integer", "double", "text", "date", "boolean")
_PARAM = re.compile(
    r"^--\s*@param\s+(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>\w+)\s*=\s*(?P<default>[^:]*?)"
    r"\s*(?::\s*(?P<help>.*))?$"
)
_REQUIRES = re.compile(r"^--\s*@requires\s+(?P<tables>.+)$")
_PLACEHOLDER = re.compile(r"\$([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class Param:
    """A declared query parameter."""

    name: str
    type: str
    default: object
    help: str = ""

    def convert(self, raw: str) -> object:
        """The typed value of ``raw`` (a command-line string); ``null`` means not set."""
        return _convert(raw, self.type, where=f"--param {self.name}")


@dataclass(frozen=True)
class Query:
    """One named question: description, parameters, required tables and the SQL."""

    name: str
    description: str
    sql: str
    params: tuple[Param, ...] = ()
    requires: tuple[str, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query {self.name!r} has no parameter {name!r} (parameters: {known})")

    def values(self, given: dict[str, str] | None = None) -> dict[str, object]:
        """Every parameter's value: the given ones converted, the rest their defaults."""
        given = given or {}
        for name in given:
            self.param(name)
        return {
            p.name: p.convert(given[p.name]) if p.name in given else p.default for p in self.params
        }


def _convert(raw: str, kind: str, *, where: str) -> object:
    text = raw.strip()
    if text.lower() in ("null", "none", ""):
        return None
    try:
        if kind == "integer":
            return int(text)
        if kind == "double":
            return float(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
            raise ValueError(text)
    except ValueError:
        example = {"integer": "100", "double": "0.7", "date": "2024-12-31", "boolean": "true"}
        raise QueryError(
            f"{where}: {raw!r} is not a valid {kind} (for example {example[kind]})"
        ) from None
    if kind == "text":
        return text
    raise QueryError(f"{where}: unknown parameter type {kind!r} (one of {', '.join(TYPES)})")


def parse(name: str, text: str) -> Query:
    """A :class:`Query` from the text of its SQL file."""
    description = ""
    params: list[Param] = []
    requires: list[str] = []
    body: list[str] = []
    in_header = True
    for line in text.splitlines():
        stripped = line.strip()
        if in_header and stripped.startswith("--"):
            if match := _PARAM.match(stripped):
                kind = match["type"].lower()
                if kind not in TYPES:
                    raise QueryError(f"{name}.sql: parameter type {kind!r} is not one of {TYPES}")
                default = _convert(match["default"], kind, where=f"{name}.sql default")
                params.append(Param(match["name"], kind, default, (match["help"] or "").strip()))
            elif match := _REQUIRES.match(stripped):
                requires += [t.strip() for t in match["tables"].split(",") if t.strip()]
            elif not description:
                description = stripped.lstrip("-").strip()
            continue
        if stripped:
            in_header = False
        body.append(line)
    sql = "\n".join(body).strip().rstrip(";").strip()
    if not description:
        raise QueryError(f"{name}.sql: the first comment line must describe the query")
    used = set(_PLACEHOLDER.findall(sql))
    declared = {p.name for p in params}
    if used - declared:
        raise QueryError(f"{name}.sql: ${', $'.join(sorted(used - declared))} not declared")
    if declared - used:
        raise QueryError(f"{name}.sql: parameters {sorted(declared - used)} are never used")
    return Query(name, description, sql, tuple(params), tuple(requires))


def catalog() -> dict[str, Query]:
    """Every named query shipped with guestloyalty, by name."""
    folder = resources.files(__name__)
    queries = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            name = entry.name.removesuffix(".sql")
            queries[name] = parse(name, entry.read_text(encoding="utf-8"))
    return queries


def get(name: str) -> Query:
    queries = catalog()
    if name not in queries:
        import difflib

        close = difflib.get_close_matches(name, list(queries), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise QueryError(
            f"no query named {name!r}{hint} (`guestloyalty query list` shows them all)"
        )
    return queries[name]


def parse_assignments(pairs: list[str] | None) -> dict[str, str]:
    """``["k=v", ...]`` from ``--param`` options into a dict."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param {pair!r}: expected NAME=VALUE (for example limit_n=50)")
        out[key.strip()] = value
    return out


def relation(
    con: duckdb.DuckDBPyConnection,
    query: Query,
    values: dict[str, object],
    *,
    limit: int | None = None,
) -> duckdb.DuckDBPyRelation:
    """The query as a DuckDB relation with every parameter bound."""
    present = {
        row[0]
        for row in con.sql(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall()
    }
    missing = [table for table in query.requires if table not in present]
    if missing:
        raise QueryError(
            f"query {query.name!r} needs gold table(s) {', '.join(missing)}, which this gold "
            "does not have: run `guestloyalty pipeline` with the current version"
        )
    used = set(_PLACEHOLDER.findall(query.sql))
    params = {name: value for name, value in values.items() if name in used}
    import duckdb

    try:
        rel = con.sql(query.sql, params=params)
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise QueryError(f"query {query.name!r} failed: {first}") from None
    return rel.limit(limit) if limit is not None else rel
