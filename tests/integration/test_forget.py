"""`guestloyalty forget`: the person is gone from every layer and every file's bytes, and an
old export loaded again cannot bring them back."""

from __future__ import annotations

import json
import re
import shutil
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from trust_support import bronze_counts, clone_world, run_cli

from guestloyalty.config import Settings
from guestloyalty.errors import ErasureError, PipelineLockedError
from guestloyalty.ingest import ingest_paths
from guestloyalty.operations.erasure import forget_guest
from guestloyalty.operations.pipeline import pipeline_lock
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Erased:
    layout: Layout
    guest_id: str
    strings: list[str]  # the person's id, email, phone, address: must not survive anywhere
    old_export: Path  # their guests and stays rows as an old CSV export, outside landing
    before: dict[str, int]
    result: dict
    stderr: str


def _person(layout: Layout) -> tuple[str, list[str]]:
    """A guest with a full profile and stays, whose id is not a prefix of another id."""
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        [(guest_id, email, phone, address)] = con.execute(
            """
            select guests.guest_id, guests.email, guests.phone, guests.address
            from guests
            where guests.email is not null and guests.phone is not null
              and guests.address is not null
              and guests.guest_id in (select guest_id from stays)
              and length(guests.guest_id) = 8
            order by guests.guest_id
            limit 1
            """
        ).fetchall()
    return guest_id, [guest_id, email, phone, address]


def _files_holding(root: Path, strings: list[str]) -> list[tuple[str, str]]:
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [(str(path.relative_to(root)), s) for s in strings if s.encode() in data]
    return hits


def _old_export(layout: Layout, guest_id: str, target: Path) -> Path:
    """An export from before the erasure: the person's and a few others' rows, as CSV."""
    target.mkdir(parents=True)
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        for entity in ("guests", "stays"):
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_name = ? "
                    "and column_name not like '\\_%' escape '\\'",
                    [entity],
                ).fetchall()
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out = str(target / entity / f"{entity}_old_export.csv")
            (target / entity).mkdir()
            con.execute(
                f"copy (select {select} from {entity} where guest_id = ? "
                f"union all (select {select} from {entity} where guest_id <> ? limit 5)) "
                f"to '{out}' (format csv, header true)",
                [guest_id, guest_id],
            )
    return target


@pytest.fixture(scope="module")
def erased(base_world, tmp_path_factory) -> Erased:
    work = tmp_path_factory.mktemp("forget")
    layout = clone_world(base_world.data_dir, work / "data")
    guest_id, strings = _person(layout)
    assert _files_holding(layout.data_dir, strings), "the byte scan would prove nothing"
    old_export = _old_export(layout, guest_id, work / "old_export")
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        before = {"guest_360": con.execute("select count(*) from guest_360").fetchall()[0][0]}
    bronze_before = bronze_counts(layout)
    # killed once half-way (bronze committed, landing files not yet replaced), then run again
    killed = run_cli(layout, "forget", guest_id, fault="forget:before_landing_replace")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    result = run_cli(layout, "forget", guest_id, "--json")
    assert result.returncode == 0, result.stderr
    before["bronze_rows"] = sum(n for t, n in bronze_before.items() if not t.startswith("_"))
    return Erased(
        layout, guest_id, strings, old_export, before, json.loads(result.stdout), result.stderr
    )


def test_no_file_in_the_data_directory_holds_the_persons_bytes(erased):
    assert _files_holding(erased.layout.data_dir, erased.strings) == []


def _tables_with_guest_id(path: Path) -> dict[str, int]:
    """guest_id-bearing tables of a DuckDB file -> rows of ``guest_id``."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.columns "
            "where column_name = 'guest_id' and table_schema = 'main'"
        ).fetchall()
        return {
            name: con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
            for (name,) in tables
        }


@pytest.mark.parametrize("layer", ["bronze_path", "silver_path", "gold_path", "state_path"])
def test_the_person_is_in_no_table_of_any_layer(erased, layer):
    path = getattr(erased.layout, layer)
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select columns.table_name, columns.column_name from information_schema.columns "
            "inner join information_schema.tables using (table_catalog, table_schema, "
            "table_name) where table_schema = 'main' and data_type = 'VARCHAR' "
            "and table_type = 'BASE TABLE'"
        ).fetchall()
        for table, column in columns:
            [(hits,)] = con.execute(
                f'select count(*) from "{table}" where "{column}" in (select unnest(?::varchar[]))',
                [erased.strings],
            ).fetchall()
            assert hits == 0, f"{path.name}: {table}.{column}"


def test_everyone_else_is_still_there(erased):
    with duckdb.connect(str(erased.layout.gold_path), read_only=True) as con:
        [(guests,)] = con.execute("select count(*) from guest_360").fetchall()
        [(scored,)] = con.execute("select count(*) from guest_scores").fetchall()
    # the person may have had several profiles (same email in two systems): all of them go
    assert erased.before["guest_360"] - erased.result["source_ids"] <= guests
    assert guests < erased.before["guest_360"]
    assert scored > 0
    assert erased.result["gold_rebuilt"] is True
    after = sum(n for t, n in bronze_counts(erased.layout).items() if not t.startswith("_"))
    assert erased.before["bronze_rows"] - 500 < after < erased.before["bronze_rows"] - 1


def test_landing_files_were_rewritten_and_are_not_loaded_again(erased):
    assert erased.result["landing_files_rewritten"] >= 2
    assert erased.result["landing_files_kept"] == []
    results = ingest_paths(erased.layout)
    assert results and all(result.skipped for result in results)


def test_an_old_export_loaded_again_cannot_bring_the_person_back(erased, tmp_path):
    layout = clone_world(erased.layout.data_dir, tmp_path / "data")
    for entity_dir in erased.old_export.iterdir():
        shutil.copytree(entity_dir, layout.landing_entity_dir(entity_dir.name), dirs_exist_ok=True)
    results = ingest_paths(layout)
    loaded = [result for result in results if not result.skipped]
    assert {result.entity for result in loaded} == {"guests", "stays"}
    assert all(result.error is None for result in loaded)
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        for entity in ("guests", "stays"):
            [(theirs, others)] = con.execute(
                f"select count(*) filter (where trim(guest_id) = ?), "
                f"count(*) filter (where _source_file like '%old_export%') from {entity}",
                [erased.guest_id],
            ).fetchall()
            assert theirs == 0, entity
            assert others == 5, entity  # everyone else in the old export still loads


def test_the_erasure_is_logged_without_saying_who(erased):
    with duckdb.connect(str(erased.layout.gold_path), read_only=True) as con:
        rows = con.execute("select * from erasure_log").fetchall()
    assert len(rows) == 1  # the killed attempt logged nothing; the one that finished did
    assert not any(s in erased.stderr for s in erased.strings[1:])
    with duckdb.connect(str(erased.layout.state_path), read_only=True) as con:
        hashes = [
            row[0] for row in con.execute("select key_hash from erasure_suppressions").fetchall()
        ]
    assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)


def test_an_unknown_guest_is_a_clear_error_and_changes_nothing(base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    with pytest.raises(ErasureError, match="no guest 'NOBODY-1'.*nothing was erased"):
        forget_guest(layout, Settings(data_dir=layout.data_dir), "NOBODY-1")
    with duckdb.connect(str(layout.state_path), read_only=True) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert "erasure_log" not in tables


def test_forget_waits_for_no_one_it_refuses_while_a_run_holds_the_lock(base_world, tmp_path):
    layout = clone_world(base_world.data_dir, tmp_path / "data")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with pipeline_lock(layout):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(PipelineLockedError):
            forget_guest(layout, Settings(data_dir=layout.data_dir), "G0000001")
    finally:
        release.set()
        thread.join()
