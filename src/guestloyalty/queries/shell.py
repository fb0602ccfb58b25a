"""``guestloyalty sql``: a read-only SQL prompt over the published gold.

An analyst needs no DuckDB command of their own: this runs the venv's DuckDB on
``gold.duckdb`` opened read-only, so it reads the file whatever DuckDB release wrote it and
can never block or change the nightly run. ``-c "select ..."`` runs one query (or several,
separated by ``;``) and exits; without it, statements are read from standard input, a prompt
when it is a terminal. Results print as DuckDB's boxed tables, or as CSV with ``--csv``.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from guestloyalty.errors import QueryError

if TYPE_CHECKING:
    import duckdb

PROMPT = "gold> "
CONTINUE = "  ... "
HELP = """\
statements end with ';'  (gold is read-only: select, describe, summarize, show, pragma ...)
.tables          the tables and views of gold
.schema TABLE    the columns of one table
.help            this text
.quit / .exit    leave (or Ctrl-D)"""


def statements(sql: str) -> list[str]:
    """The statements of ``sql`` (DuckDB's own splitter: quotes and comments are safe)."""
    import duckdb

    try:
        return [statement.query for statement in duckdb.extract_statements(sql)]
    except duckdb.Error as error:
        raise QueryError(_one_line(error)) from None


def render(rel: duckdb.DuckDBPyRelation | None, *, as_csv: bool = False) -> str:
    """A result as DuckDB prints it (boxed, long results elided) or as CSV with a header."""
    if rel is None:  # a statement without a result (set, pragma ...)
        return ""
    if not as_csv:
        return str(rel).rstrip("\n")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rel.columns)
    writer.writerows(rel.fetchall())
    return out.getvalue().rstrip("\n")


def run(con: duckdb.DuckDBPyConnection, sql: str, *, as_csv: bool = False) -> Iterator[str]:
    """Run every statement of ``sql``; yields each result's text. QueryError on the first error."""
    import duckdb

    for statement in statements(sql):
        try:
            text = render(con.sql(statement), as_csv=as_csv)
        except duckdb.Error as error:
            raise QueryError(_one_line(error)) from None
        if text:
            yield text


def dot_command(con: duckdb.DuckDBPyConnection, line: str) -> str | None:
    """The answer to a ``.command``; None for ``.quit`` / ``.exit``."""
    name, _, argument = line.strip().partition(" ")
    if name in (".quit", ".exit", ".q"):
        return None
    if name == ".tables":
        rows = con.sql(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' order by table_name"
        ).fetchall()
        return "\n".join(row[0] for row in rows)
    if name == ".schema" and argument.strip():
        rel = con.sql(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and table_name = ? order by ordinal_position",
            params=[argument.strip()],
        )
        return render(rel) if rel.limit(1).fetchall() else f"error: no table {argument.strip()!r}"
    return HELP


def session(
    con: duckdb.DuckDBPyConnection,
    lines: Iterable[str],
    *,
    write: Callable[[str], None],
    warn: Callable[[str], None] | None = None,
    as_csv: bool = False,
) -> int:
    """Read statements line by line until ``.quit`` or the end; returns how many failed.

    A statement runs once a line ends with ``;`` (or at the end of input); an error prints
    one line (to ``warn``, default ``write``) and the session goes on, as in the DuckDB
    command line.
    """
    warn = warn or write
    failures = 0
    pending: list[str] = []
    for line in lines:
        if not pending and line.strip().startswith("."):
            answer = dot_command(con, line)
            if answer is None:
                return failures
            write(answer)
            continue
        pending.append(line)
        if line.rstrip().endswith(";"):
            failures += _run_pending(con, pending, write=write, warn=warn, as_csv=as_csv)
            pending = []
    if "".join(pending).strip():
        failures += _run_pending(con, pending, write=write, warn=warn, as_csv=as_csv)
    return failures


def _run_pending(
    con: duckdb.DuckDBPyConnection,
    pending: list[str],
    *,
    write: Callable[[str], None],
    warn: Callable[[str], None],
    as_csv: bool,
) -> int:
    try:
        for text in run(con, "\n".join(pending), as_csv=as_csv):
            write(text)
    except QueryError as error:
        warn(f"error: {error}")
        return 1
    return 0


def prompt_lines() -> Iterator[str]:
    """Lines typed at a terminal (with line editing where ``readline`` exists)."""
    try:
        import readline  # noqa: F401  (gives input() history and editing)
    except ImportError:  # pragma: no cover - Windows
        pass
    continuing = False
    while True:
        try:
            line = input(CONTINUE if continuing else PROMPT)
        except EOFError:
            sys.stdout.write("\n")
            return
        starts = bool(line.strip()) and not line.strip().startswith(".")
        continuing = (continuing or starts) and not line.rstrip().endswith(";")
        yield line


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
