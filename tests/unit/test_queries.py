"""Named queries: catalog, headers, parameter conversion, binding (never pasting)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty import queries
from guestloyalty.cli import app
from guestloyalty.errors import QueryError

SQL = """-- Guests above a value.
-- @param min_value double = 10 : smallest value
-- @param name text = null : one guest only
-- @requires guests
select guest_id, value from guests
where value >= $min_value and ($name is null or guest_id = $name)
order by value desc
"""


def test_catalog_has_at_least_twenty_documented_queries():
    catalog = queries.catalog()
    assert len(catalog) >= 20
    for query in catalog.values():
        assert query.description and not query.description.startswith("@")
        assert query.requires, f"{query.name}: declare the gold tables it reads"
        for param in query.params:
            assert param.help, f"{query.name}: parameter {param.name} needs a help text"


def test_parse_reads_description_params_and_requirements():
    query = queries.parse("demo", SQL)
    assert query.description == "Guests above a value."
    assert [(p.name, p.type, p.default) for p in query.params] == [
        ("min_value", "double", 10.0),
        ("name", "text", None),
    ]
    assert query.requires == ("guests",)
    assert query.sql.startswith("select guest_id")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select 1", "first comment line"),
        ("-- demo\nselect $x", r"\$x not declared"),
        ("-- demo\n-- @param x integer = 1 : x\nselect 1", "never used"),
        ("-- demo\n-- @param x money = 1 : x\nselect $x", "parameter type"),
        ("-- demo\n-- @param x integer = abc : x\nselect $x", "not a valid integer"),
    ],
)
def test_malformed_query_files_are_refused(text, message):
    with pytest.raises(QueryError, match=message):
        queries.parse("demo", text)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("integer", "42", 42),
        ("double", "0.5", 0.5),
        ("date", "2024-12-31", dt.date(2024, 12, 31)),
        ("boolean", "yes", True),
        ("boolean", "false", False),
        ("text", "G1", "G1"),
        ("integer", "null", None),
    ],
)
def test_values_are_converted_to_the_declared_type(kind, raw, expected):
    assert queries.Param("p", kind, None).convert(raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"), [("integer", "1.5"), ("date", "31/12/2024"), ("boolean", "maybe")]
)
def test_bad_values_say_what_is_expected(kind, raw):
    with pytest.raises(QueryError, match=f"not a valid {kind}"):
        queries.Param("p", kind, None).convert(raw)


def test_unknown_parameter_lists_the_known_ones():
    query = queries.parse("demo", SQL)
    with pytest.raises(QueryError, match="parameters: min_value, name"):
        query.values({"nope": "1"})


@pytest.mark.parametrize("pair", ["novalue", "=3"])
def test_assignments_need_name_and_value(pair):
    with pytest.raises(QueryError, match="NAME=VALUE"):
        queries.parse_assignments([pair])


def test_unknown_query_suggests_close_names():
    with pytest.raises(QueryError, match="did you mean top_guests_by_clv"):
        queries.get("top_guest_by_clv")


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(
        "create table guests as select * from (values ('G1', 5.0), ('G2', 20.0), "
        "('x'' or ''1''=''1', 50.0)) as t(guest_id, value)"
    )
    yield connection
    connection.close()


def test_parameters_are_bound_not_pasted(con):
    query = queries.parse("demo", SQL)
    hostile = "G2' or '1'='1"
    rows = queries.relation(con, query, query.values({"name": hostile})).fetchall()
    assert rows == []  # a pasted string would have matched every row
    rows = queries.relation(con, query, query.values({"name": "x' or '1'='1"})).fetchall()
    assert rows == [("x' or '1'='1", 50.0)]


def test_defaults_and_limit(con):
    query = queries.parse("demo", SQL)
    assert len(queries.relation(con, query, query.values()).fetchall()) == 2
    assert queries.relation(con, query, query.values(), limit=1).fetchall() == [
        ("x' or '1'='1", 50.0)
    ]


def test_missing_table_is_a_clear_message():
    query = queries.parse("demo", SQL)
    with duckdb.connect() as empty, pytest.raises(QueryError, match="needs gold table"):
        queries.relation(empty, query, query.values())


def test_cli_lists_queries():
    result = CliRunner().invoke(app, ["query", "list"])
    assert result.exit_code == 0
    assert "top_guests_by_clv" in result.output
    assert "--param limit_n=100" in result.output


def test_cli_list_json_has_every_query():
    import json

    result = CliRunner().invoke(app, ["query", "list", "--json"])
    listed = json.loads(result.output)
    assert {q["name"] for q in listed} == set(queries.catalog())


def test_cli_show_prints_sql():
    result = CliRunner().invoke(app, ["query", "show", "clv_deciles"])
    assert result.exit_code == 0
    assert "ntile($buckets)" in result.output


def test_cli_unknown_query_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["query", "run", "nope", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no query named 'nope'" in result.output
    assert "Traceback" not in result.output


def test_cli_bad_param_is_one_line(tmp_path):
    result = CliRunner().invoke(
        app,
        ["query", "run", "top_guests_by_clv", "-p", "limit_n=many", "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "not a valid integer" in result.output


@pytest.mark.parametrize("command", ["list", "show", "run"])
def test_query_commands_have_help(command):
    result = CliRunner().invoke(app, ["query", command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) > 3
