"""Landing is a drop box, not a shell: a mapping transforms the row and reads nothing else.

Three layers, each tested on its own: the expression allow-list (refused before any row
loads), the confined DuckDB connection (a mapping that slipped through still cannot reach a
file), and trust (a mapping found in landing is used only when the operator allows it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import app
from guestloyalty.errors import MappingError, UntrustedMappingError
from guestloyalty.ingest import ingest_paths, load_mapping, mapping
from guestloyalty.ingest.expressions import refusal
from guestloyalty.ingest.trust import TRUST_ENV, mapping_digest, trusted_digests
from guestloyalty.warehouse import Layout, confine

ROOT = Path(__file__).parents[2]
CDNOW = ROOT / "tests" / "fixtures" / "real" / "cdnow_master_head2000.txt"
KEY = "0123456789abcdef-secret-key-of-the-keyed-hashes"
PREFERENCES_CSV = "gid,t\nG1,pillow\n"


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "data")
    layout.hash_key_path.parent.mkdir(parents=True)
    layout.hash_key_path.write_text(KEY + "\n")
    layout.hash_key_path.chmod(0o600)
    return layout


def _hostile(layout: Layout, expression: str, *, folder: str = "preferences") -> Path:
    """The mapping from issue 23 (preference_value set to ``expression``) and a one-row CSV."""
    target = layout.landing_entity_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    (target / "p.csv").write_text(PREFERENCES_CSV)
    path = target / "mapping.yaml"
    quoted = expression.replace('"', '\\"')
    path.write_text(
        "entity: preferences\ncolumns:\n  guest_id: gid\n  preference_type: t\n"
        f'  preference_value: "{quoted}"\n'
    )
    return path


def _bronze_rows(layout: Layout) -> int:
    if not layout.bronze_path.exists():
        return 0
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        return con.sql("select count(*) from preferences").fetchall()[0][0]


def _key_in_bronze(layout: Layout) -> bool:
    if not layout.bronze_path.exists():
        return False
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        rows = con.execute(
            "select count(*) from preferences where contains(cast(preferences as varchar), ?)",
            [KEY],
        ).fetchall()
    return rows[0][0] > 0 or KEY.encode() in layout.bronze_path.read_bytes()


def test_the_mapping_from_the_issue_is_refused_before_any_row_loads(layout):
    path = _hostile(layout, f"(select content from read_text('{layout.hash_key_path}'))")
    [result] = ingest_paths(layout, trust_landing_mappings=True)
    assert isinstance(result.error, MappingError)
    message = str(result.error)
    assert message.startswith(f"{path}: columns.preference_value: read_text is not allowed")
    assert "\n" not in message
    assert _bronze_rows(layout) == 0
    assert not _key_in_bronze(layout)


@pytest.mark.parametrize(
    ("expression", "construct"),
    [
        ("read_text('{key}')", "read_text"),
        ("(select content from read_text('{key}'))", "read_text"),
        ("(select column0 from read_csv('{key}', header=false))", "read_csv"),
        ("read_csv('{key}')", "read_csv"),
        ("(select count(*) from read_parquet('{key}'))", "read_parquet"),
        ("(select string_agg(file, ',') from glob('{data}/**'))", "glob"),
        ("(select max(key_hash) from state_db.main.erasure_suppressions)", "state_db"),
        ("(select max(file_hash) from _load_manifest)", "_load_manifest"),
        ("getvariable('hash_key')", "getvariable"),
        ("current_setting('allowed_paths')", "current_setting"),
        (
            "t) from read_text('{key}') where (true",
            'not one SQL expression (syntax error at or near "from")',
        ),
        ("t), (select content from read_text('{key}')", "not one SQL expression"),
        ("t); select (1", "not one SQL expression"),
        ("t) window w as (partition by (select 1)", "not one SQL expression"),
        ("t -- comment", "not one SQL expression"),
        ("t in (select content from read_text('{key}'))", "read_text"),
        ("exists(select 1)", "a subquery"),
        ("query('select 1')", "query"),
        ("count(*) over ()", "a window function"),
        ("string_agg(t, ',')", "string_agg"),
        ("$1", "a query parameter"),
        ("columns(*)", "*"),
        ("main.lower(t)", "main.lower"),
    ],
)
def test_expressions_that_reach_outside_the_row_are_refused(layout, expression, construct):
    text = expression.format(key=layout.hash_key_path, data=layout.data_dir)
    path = _hostile(layout, text)
    [result] = ingest_paths(layout, trust_landing_mappings=True)
    assert isinstance(result.error, MappingError), result
    assert str(result.error).startswith(f"{path}: columns.preference_value: {construct}")
    assert _bronze_rows(layout) == 0


def test_date_format_cannot_smuggle_an_expression(layout):
    """``read.date_format`` is spliced into the SQL: it is quoted, and checked with the rest."""
    target = layout.landing_entity_dir("stays")
    target.mkdir(parents=True)
    (target / "s.csv").write_text("g,d,r\nG1,19970101,1\n")
    (target / "mapping.yaml").write_text(
        "entity: stays\nread:\n  date_format: \"%Y%m%d'), (select content from "
        f"read_text('{layout.hash_key_path}')) || ('\"\n"
        "columns: {guest_id: g, check_in_date: d, total_revenue: r}\n"
    )
    [result] = ingest_paths(layout, trust_landing_mappings=True)
    assert result.error is None, result.error  # the whole text is just a (useless) format
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        [(value,)] = con.sql("select check_in_date from stays").fetchall()
    assert value == "19970101"
    assert not _key_in_bronze(layout)


def test_load_mapping_refuses_with_the_file_and_column(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "entity: stays\ncolumns:\n  guest_id: g\n  check_in_date: d\n"
        "  total_revenue: \"(select content from read_text('/etc/hostname'))\"\n"
    )
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).startswith(f"{path}: columns.total_revenue: read_text is not")


def test_the_command_line_refuses_a_hostile_mapping_in_one_line(tmp_path):
    data = tmp_path / "s.csv"
    data.write_text("g,d,r\nG1,2024-01-01,1\n")
    path = tmp_path / "m.yaml"
    path.write_text(
        "entity: stays\ncolumns: {guest_id: g, check_in_date: d, "
        "total_revenue: \"getvariable('x')\"}\n"
    )
    args = ["ingest", str(data), "--mapping", str(path), "--data-dir", str(tmp_path / "d")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 6
    assert result.output.strip().splitlines() == [
        f"error: {path}: columns.total_revenue: getvariable is not allowed: it reads outside "
        "the row; a mapping expression may use the file's columns, literals, operators, case, "
        "casts and scalar string, date and number functions"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "customer_id || '-' || date || '-' || _row_number",
        "'USD'",
        "case hotel when 'A' then 'x' else lower(hotel) end",
        "coalesce(strftime(try_strptime(a || '-' || b, '%Y-%B-%d'), '%Y-%m-%d'), a)",
        "cast(round(try_cast(adr as double) * 2, 2) as varchar)",
        "strftime(cast(d as date) + cast(try_cast(n as integer) as integer), '%Y-%m-%d')",
        "case when s in ('Corporate', 'Aviation') then 'business' end",
        "x between 1 and 2 and y is not null or not z",
        "string_split(trim(x), '-')[1]",
        "regexp_replace(upper(x), '[^0-9]', '', 'g')",
        "nullif(x, '')",
        "extract(year from cast(d as date))",
        "date '2024-01-01' + interval 1 day",
        "x like '%a' or x ilike 'b%'",
        "-abs(x::int) % 7",
    ],
)
def test_row_transformations_are_allowed(expression):
    assert refusal(expression) is None


def test_shipped_mappings_pass_the_allow_list():
    for path in sorted((ROOT / "mappings").glob("*.yaml")):
        for column, expression in load_mapping(path).columns.items():
            assert refusal(expression) is None, (path.name, column)


# --- defence in depth: the connection that runs a mapping --------------------------------


def test_a_confined_connection_reaches_only_its_files(tmp_path):
    allowed = tmp_path / "allowed.csv"
    allowed.write_text("a\n1\n")
    secret = tmp_path / "secret.txt"
    secret.write_text(KEY)
    with confine(duckdb.connect(), [allowed]) as con:
        assert con.sql(f"select a from read_csv('{allowed}')").fetchall() == [(1,)]
        for sql in (
            f"select content from read_text('{secret}')",
            f"select * from glob('{tmp_path}/*')",
            f"attach '{tmp_path / 'other.duckdb'}' as other",
            f"copy (select 1) to '{tmp_path / 'out.csv'}'",
        ):
            with pytest.raises(duckdb.PermissionException):
                con.execute(sql)
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute("set enable_external_access = true")
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute(f"set allowed_paths = ['{secret}']")


def test_a_mapping_that_slips_past_the_allow_list_still_cannot_read_the_key(layout, monkeypatch):
    """With the allow-list switched off, the confined bronze connection is what stops it."""
    monkeypatch.setattr(mapping, "refusal", lambda expression: None)
    path = _hostile(layout, f"(select content from read_text('{layout.hash_key_path}'))")
    [result] = ingest_paths(layout, trust_landing_mappings=True)
    assert isinstance(result.error, MappingError)
    assert str(result.error).startswith(f"{path}: columns.preference_value: ")
    assert "disabled by configuration" in str(result.error)
    assert _bronze_rows(layout) == 0
    assert not _key_in_bronze(layout)


def test_without_the_allow_list_the_same_mapping_would_leak(layout, monkeypatch):
    """The control for the test above: unconfined and unchecked, the key does land."""
    import guestloyalty.ingest.loader as loader

    monkeypatch.setattr(mapping, "refusal", lambda expression: None)
    monkeypatch.setattr(loader, "confine", lambda con, *args, **kwargs: con)
    _hostile(layout, f"(select content from read_text('{layout.hash_key_path}'))")
    [result] = ingest_paths(layout, trust_landing_mappings=True)
    assert result.error is None
    assert _key_in_bronze(layout)


# --- trust: a mapping found in landing ----------------------------------------------------


def test_an_untrusted_mapping_in_landing_is_refused_and_says_how_to_trust_it(layout):
    path = _hostile(layout, "upper(t)")
    [result] = ingest_paths(layout)
    assert isinstance(result.error, UntrustedMappingError)
    message = str(result.error)
    assert message.startswith(f"{path}: a mapping found in landing is not trusted")
    assert f"guestloyalty trust-mapping {path}" in message
    assert str(layout.trusted_mappings_path) in message
    assert _bronze_rows(layout) == 0


def test_trust_mapping_records_the_hash_and_only_that_content_is_honoured(layout):
    path = _hostile(layout, "upper(t)")
    runner = CliRunner()
    result = runner.invoke(app, ["trust-mapping", str(path), "--data-dir", str(layout.data_dir)])
    assert result.exit_code == 0, result.output
    assert mapping_digest(path) in trusted_digests(layout)
    [loaded] = ingest_paths(layout)
    assert loaded.error is None and loaded.rows == 1
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        assert con.sql("select preference_value from preferences").fetchall() == [("PILLOW",)]

    path.write_text(path.read_text().replace("upper(t)", "lower(t)"))  # one byte changed
    (path.parent / "p2.csv").write_text("gid,t\nG2,floor\n")
    [_, refused] = ingest_paths(layout)
    assert isinstance(refused.error, UntrustedMappingError)


def test_trust_mapping_refuses_a_hostile_mapping(layout):
    path = _hostile(layout, f"(select content from read_text('{layout.hash_key_path}'))")
    result = CliRunner().invoke(
        app, ["trust-mapping", str(path), "--data-dir", str(layout.data_dir)]
    )
    assert result.exit_code == 6
    assert "read_text is not allowed" in result.output
    assert trusted_digests(layout) == frozenset()


def test_the_operator_may_trust_every_landing_mapping(layout, monkeypatch):
    _hostile(layout, "upper(t)")
    monkeypatch.setenv(TRUST_ENV, "1")
    result = CliRunner().invoke(app, ["ingest", "--data-dir", str(layout.data_dir)])
    assert result.exit_code == 0, result.output
    assert _bronze_rows(layout) == 1


def test_a_shipped_mapping_copied_into_landing_is_trusted(layout):
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    shutil.copy(CDNOW, folder / "cdnow.txt")
    shutil.copy(ROOT / "mappings" / "cdnow_stays.yaml", folder / "mapping.yaml")
    [result] = ingest_paths(layout)
    assert result.error is None and result.rows == 2000


def test_a_mapping_outside_landing_is_the_operators_choice(layout, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "p.csv").write_text(PREFERENCES_CSV)
    (folder / "mapping.yaml").write_text(
        "entity: preferences\ncolumns: {guest_id: gid, preference_type: t, preference_value: t}\n"
    )
    [result] = ingest_paths(layout, [folder])
    assert result.error is None and result.rows == 1


def test_a_link_in_landing_to_a_file_outside_is_refused_unread(layout):
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    (folder / "good.csv").write_text("guest_id,check_in_date,total_revenue\nG1,2024-01-01,1\n")
    secret = layout.data_dir / "state" / "secret.csv"
    secret.write_text(f"guest_id,check_in_date,total_revenue\n{KEY},2024-01-01,1\n")
    (folder / "link.csv").symlink_to(secret)
    results = {result.path.name: result for result in ingest_paths(layout)}
    assert results["good.csv"].error is None
    assert str(results["link.csv"].error).startswith(
        f"{folder / 'link.csv'}: a symbolic link to {secret}, outside landing"
    )
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        assert con.sql("select guest_id from stays").fetchall() == [("G1",)]


def test_a_link_within_landing_loads(layout):
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    target = layout.landing_dir / "stays" / "real.csv"
    target.write_text("guest_id,check_in_date,total_revenue\nG1,2024-01-01,1\n")
    (folder / "alias.csv").symlink_to(target)
    results = ingest_paths(layout)
    assert [r.error for r in results] == [None, None]
    assert sorted(r.skipped for r in results) == [False, True]  # same bytes: loaded once


def test_a_mapping_linked_into_landing_still_needs_trust(layout, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(
        "entity: preferences\ncolumns: {guest_id: gid, preference_type: t, preference_value: t}\n"
    )
    folder = layout.landing_entity_dir("preferences")
    folder.mkdir(parents=True)
    (folder / "p.csv").write_text(PREFERENCES_CSV)
    (folder / "mapping.yaml").symlink_to(outside)
    [result] = ingest_paths(layout)
    assert isinstance(result.error, UntrustedMappingError)
