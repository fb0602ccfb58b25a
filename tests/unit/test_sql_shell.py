"""``guestloyalty sql``: statements, dot commands, errors, CSV, the gold storage format."""

from __future__ import annotations

import struct

import duckdb
import pytest

from guestloyalty.errors import QueryError
from guestloyalty.queries import shell
from guestloyalty.warehouse import GOLD_STORAGE_VERSION, create_database


@pytest.fixture
def gold(tmp_path):
    path = create_database(tmp_path / "gold.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table guests as select * from (values ('G1', 10.5), ('G2', 3.0)) t(id, clv)"
        )
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _session(con, text: str, *, as_csv: bool = False) -> tuple[list[str], list[str], int]:
    out: list[str] = []
    errors: list[str] = []
    failures = shell.session(
        con, text.splitlines(), write=out.append, warn=errors.append, as_csv=as_csv
    )
    return out, errors, failures


def test_new_database_is_in_the_format_older_clients_read(tmp_path):
    path = create_database(tmp_path / "fresh.duckdb")
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    # DuckDB 1.0's storage (v1.0.0) writes header version 64; duckdb-cli 1.5.6 reads 64-68
    assert GOLD_STORAGE_VERSION == "v1.0.0"
    assert struct.unpack("<Q", header[12:20])[0] == 64
    with duckdb.connect(str(path)) as con:
        tags = con.sql("select tags from duckdb_databases() where database_name = 'fresh'")
        assert tags.fetchall()[0][0]["storage_version"].startswith("v1.0.0")


def test_a_file_keeps_its_format_after_writes(tmp_path):
    path = create_database(tmp_path / "kept.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as i, [range] as l from range(50000)")
        con.execute("checkpoint")
    assert struct.unpack("<Q", path.read_bytes()[12:20])[0] == 64


def test_statements_split_by_duckdb_not_by_semicolons_in_strings():
    split = [text.strip().rstrip(";") for text in shell.statements("select 'a;b' as x; select 2")]
    assert split == ["select 'a;b' as x", "select 2"]


def test_one_query_prints_a_table(gold):
    (text,) = shell.run(gold, "select id, clv from guests order by clv desc")
    assert "G1" in text and "10.5" in text and text.index("G1") < text.index("G2")


def test_csv_output_has_a_header_and_quotes(gold):
    texts = list(shell.run(gold, "select id, 'a,b' as note from guests order by id", as_csv=True))
    assert texts == ['id,note\nG1,"a,b"\nG2,"a,b"']


def test_gold_stays_read_only(gold):
    with pytest.raises(QueryError, match="read-only"):
        list(shell.run(gold, "create table x as select 1"))


def test_session_runs_multi_line_statements_and_goes_on_after_an_error(gold):
    out, errors, failures = _session(
        gold, "select count(*) as n\n  from guests;\nselect nope;\nselect 7 as seven;"
    )
    assert failures == 1
    assert len(errors) == 1 and errors[0].startswith("error: ") and "\n" not in errors[0]
    assert len(out) == 2 and "2" in out[0] and "7" in out[1]


def test_session_runs_a_last_statement_without_semicolon(gold):
    out, _, failures = _session(gold, "select 'last' as word", as_csv=True)
    assert (out, failures) == (["word\nlast"], 0)


def test_dot_commands(gold):
    out, _, _ = _session(gold, ".tables\n.schema guests\n.help\n.quit\nselect 1;")
    assert out[0] == "guests"
    assert "clv" in out[1] and "DECIMAL" in out[1].upper()
    assert ".quit" in out[2]
    assert len(out) == 3  # nothing ran after .quit


def test_schema_of_a_missing_table(gold):
    out, _, _ = _session(gold, ".schema nowhere")
    assert out == ["error: no table 'nowhere'"]
