"""Hostile mappings in landing: the nightly run refuses them and the hash key lands nowhere.

The small world is cloned and mappings like the one of issue 23 (a column that reads
``state/hash.key``) are dropped into landing. Then the hash key's text is searched for in
every DuckDB file of the data directory: in the raw bytes, and in every row of every table
(DuckDB compresses strings, so the bytes alone could miss it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from trust_support import assert_gold_untouched, clone_world, run_pipeline_cli

from guestloyalty.config import Settings
from guestloyalty.transform import hash_key
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

#: name -> (the hostile preference_value expression, the construct the refusal names)
HOSTILE = {
    "read_text": ("(select content from read_text('{key_file}'))", "read_text"),
    "read_csv": (
        "(select string_agg(column0, '') from read_csv('{key_file}', header=false))",
        "read_csv",
    ),
    "glob": ("(select string_agg(file, ',') from glob('{data}/state/*'))", "glob"),
    "getvariable": ("getvariable('hash_key')", "getvariable"),
    "current_setting": ("current_setting('allowed_paths')", "current_setting"),
    "attached": (
        "t || (select max(key_hash) from state_db.main.erasure_suppressions)",
        "state_db.main.erasure_suppressions",
    ),
}


def _drop_hostile_mappings(layout: Layout) -> list[Path]:
    folders = []
    for name, (expression, _) in HOSTILE.items():
        folder = layout.landing_entity_dir("preferences") / f"hostile_{name}"
        folder.mkdir(parents=True)
        (folder / "p.csv").write_text(f"gid,t\nHOSTILE-{name},pillow\n")
        text = expression.format(key_file=layout.hash_key_path, data=layout.data_dir)
        (folder / "mapping.yaml").write_text(
            "entity: preferences\ncolumns:\n  guest_id: gid\n  preference_type: t\n"
            f'  preference_value: "{text}"\n'
        )
        folders.append(folder)
    return folders


def _duckdb_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and ".duckdb" in p.name)


def _other_files_holding(layout: Layout, needle: str) -> list[str]:
    """Files of the data directory, DuckDB files and the key file aside, whose bytes hold
    ``needle``: dbt's compiled SQL, manifest, run results and logs, the run log, models."""
    return sorted(
        str(path.relative_to(layout.data_dir))
        for path in layout.data_dir.rglob("*")
        if path.is_file()
        and ".duckdb" not in path.name
        and path != layout.hash_key_path
        and needle.encode() in path.read_bytes()
    )


def _places_holding(path: Path, needle: str) -> list[str]:
    """Tables (and views) of one DuckDB file with ``needle`` in a row (or the view's SQL)."""
    found = []
    if needle.encode() in path.read_bytes():
        found.append(f"{path.name} (bytes)")
    if not path.name.endswith(".duckdb"):
        return found
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
        for schema, table in tables:
            [(count,)] = con.execute(
                f'select count(*) from "{schema}"."{table}" as t '
                "where contains(cast(t as varchar), ?)",
                [needle],
            ).fetchall()
            if count:
                found.append(f"{path.name}:{schema}.{table}")
        views = con.execute(
            "select view_name from duckdb_views() where not internal and contains(sql, ?)",
            [needle],
        ).fetchall()
        found += [f"{path.name}:{view} (view)" for (view,) in views]
    return found


def test_the_scan_finds_a_planted_key(tmp_path):
    """The control: a key hidden among compressible rows is found by the scan."""
    path = tmp_path / "planted.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table t as select 'row ' || i as text, i from range(200000) r(i) "
            "union all select 'x' || ? || 'y', -1",
            ["the-planted-key-0123456789"],
        )
    assert "planted.duckdb:main.t" in _places_holding(path, "the-planted-key-0123456789")


@pytest.fixture(scope="module")
def hostile_runs(base_world, tmp_path_factory):
    layout = clone_world(base_world.data_dir, tmp_path_factory.mktemp("hostile") / "data")
    key = hash_key(layout, Settings(data_dir=layout.data_dir))
    folders = _drop_hostile_mappings(layout)
    trusted = run_pipeline_cli(layout, "--trust-landing-mappings")
    untrusted = run_pipeline_cli(layout)
    assert_gold_untouched(layout, base_world.gold_digest, base_world.gold_counts)
    scans = {
        "refused": [p for f in _duckdb_files(layout.data_dir) for p in _places_holding(f, key)]
    }
    outside = layout.data_dir.parent / "quarantined_mappings"
    outside.mkdir()
    for folder in folders:
        shutil.move(folder, outside / folder.name)
    clean = run_pipeline_cli(layout)
    scans["full"] = [p for f in _duckdb_files(layout.data_dir) for p in _places_holding(f, key)]
    scans["other files"] = _other_files_holding(layout, key)
    return layout, trusted, untrusted, clean, scans


def test_trusted_hostile_mappings_are_refused(hostile_runs):
    layout, trusted, _, _, _ = hostile_runs
    assert trusted.returncode != 0
    assert "Traceback" not in trusted.stderr
    folder = layout.landing_entity_dir("preferences")
    for name, (_, construct) in HOSTILE.items():
        line = f"refused: {folder}/hostile_{name}/mapping.yaml: columns.preference_value: "
        assert f"{line}{construct} is not allowed" in trusted.stderr, name
    assert f"(and {len(HOSTILE) - 1} more file(s) refused; see above)" in trusted.stderr


def test_untrusted_mappings_in_landing_are_refused(hostile_runs):
    _, _, untrusted, _, _ = hostile_runs
    assert untrusted.returncode != 0
    assert "a mapping found in landing is not trusted" in untrusted.stderr
    assert "guestloyalty trust-mapping" in untrusted.stderr


def test_the_hash_key_is_in_no_duckdb_file_after_the_runs(hostile_runs):
    layout, _, _, clean, scans = hostile_runs
    assert clean.returncode == 0, clean.stderr[-2000:]
    files = {path.name for path in _duckdb_files(layout.data_dir)}
    assert {"bronze.duckdb", "silver.duckdb", "gold.duckdb", "state.duckdb"} <= files
    assert scans == {"refused": [], "full": [], "other files": []}
    assert (layout.data_dir / "dbt" / "target" / "manifest.json").exists()


def test_no_hostile_row_reached_bronze(hostile_runs):
    layout, _, _, _, _ = hostile_runs
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        [(rows,)] = con.execute(
            "select count(*) from preferences where guest_id like 'HOSTILE-%'"
        ).fetchall()
    assert rows == 0
