"""Helpers shared by the failure-safety, concurrency, idempotency and erasure tests.

The tests start from a copy of the session's small world (already run once, so it has a
published gold) and run the pipeline again, mostly as a subprocess so that it can be killed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from guestloyalty.warehouse import Layout

#: The seed of the session's small world (tests/integration/conftest.py).
SEED = 7

#: Columns that legitimately differ between two runs over the same inputs.
VOLATILE_COLUMNS = {
    "scored_at",
    "model_version",
    "trained_at",
    "training_seconds",
    "run_id",
    "started_at",
    "finished_at",
    "stage_seconds",
    "message",
    "_loaded_at",
    "_batch_id",
    "_source_file",
}

#: Gold tables every published gold has (state tables included).
CORE_GOLD_TABLES = {
    "guest_360",
    "guest_feature_snapshots",
    "guest_scores",
    "run_context",
    "model_registry",
    "guest_score_history",
    "run_log",
}


def clone_world(source: Path, target: Path) -> Layout:
    """Copy a data directory (without its lock file) and return its layout."""
    shutil.copytree(
        source, target, ignore=shutil.ignore_patterns(".pipeline.lock", "logs"), symlinks=True
    )
    return Layout(target)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: no fault armed unless asked."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("GUESTLOYALTY_FAULT")
    }
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.update(extra)
    return env


def pipeline_args(layout: Layout, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "guestloyalty",
        "pipeline",
        "--data-dir",
        str(layout.data_dir),
        "--seed",
        str(SEED),
        "--no-generate",
        *extra,
    ]


def run_cli(
    layout: Layout,
    *args: str,
    fault: str | None = None,
    fault_after: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``guestloyalty <args> --data-dir <dir>`` in a subprocess (fault optional)."""
    extra = dict(env or {})
    if fault:
        extra["GUESTLOYALTY_FAULT"] = fault
    if fault_after:
        extra["GUESTLOYALTY_FAULT_AFTER"] = str(fault_after)
    return subprocess.run(
        [sys.executable, "-m", "guestloyalty", *args, "--data-dir", str(layout.data_dir)],
        env=cli_env(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_pipeline_cli(
    layout: Layout,
    *extra: str,
    fault: str | None = None,
    fault_after: int | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    env = {}
    if fault:
        env["GUESTLOYALTY_FAULT"] = fault
    if fault_after:
        env["GUESTLOYALTY_FAULT_AFTER"] = str(fault_after)
    return subprocess.run(
        pipeline_args(layout, *extra),
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gold_counts(path: Path) -> dict[str, int]:
    """Open gold read-only (it must open) and count every table's rows."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        ]
        return {
            name: con.execute(f'select count(*) from "{name}"').fetchall()[0][0] for name in names
        }


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an order-independent digest of a table, volatile columns left out."""
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_name = ? and table_schema = 'main' order by ordinal_position",
            [table],
        ).fetchall()
        if row[0] not in VOLATILE_COLUMNS
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    [(count, digest)] = con.execute(
        f"select count(*), md5(coalesce(string_agg(row_text, '\n' order by row_text), '')) "
        f'from (select cast(row({select}) as varchar) as row_text from "{table}")'
    ).fetchall()
    return count, digest


def gold_digests(path: Path, tables: set[str] | None = None) -> dict[str, tuple[int, str]]:
    """``table_digest`` of every gold table (or of ``tables``)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = tables or {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        return {name: table_digest(con, name) for name in sorted(names)}


def bronze_counts(layout: Layout) -> dict[str, int]:
    return gold_counts(layout.bronze_path)


def assert_gold_untouched(layout: Layout, digest: str, counts: dict[str, int]) -> None:
    """Gold is byte for byte the last good run's, opens, and holds its rows."""
    assert layout.gold_path.exists(), "gold disappeared"
    assert file_digest(layout.gold_path) == digest, "gold changed"
    assert gold_counts(layout.gold_path) == counts
    assert not layout.gold_path.with_name("gold.duckdb.wal").exists()
