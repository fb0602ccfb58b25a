"""The one place that knows where each layer lives and how to open it.

Layers are files under one data directory:

    landing  <data>/bronze/landing/<entity>/...   files exactly as received
    bronze   <data>/bronze/bronze.duckdb          written by ingest only
    silver   <data>/silver/silver.duckdb          written by dbt (staging, intermediate)
    gold     <data>/gold/gold.duckdb              published atomically, read by analysts
    build    <data>/gold/_build/gold.duckdb       the gold file of the run in progress
    state    <data>/state/state.duckdb            what outlives a run: model registry,
                                                  score history, run log
             <data>/state/hash.key                key of the keyed PII hashes (if not
                                                  given in GUESTLOYALTY_HASH_KEY)
             <data>/state/trusted_mappings.txt    mappings trusted in landing (by SHA-256)
    models   <data>/models/<kind>/<version>/      model artifacts (JSON/UBJ, no pickle)
    truth    <data>/truth/truth.parquet           a synthetic world's ground truth (never
                                                  ingested; read by backtests and the oracle)

Gold is never written in place: each run builds ``_build/gold.duckdb`` and
``publish_gold`` renames it over ``gold.duckdb`` only once everything passed. A rename keeps
readers that already opened the old file on the old snapshot. The build file is created in
DuckDB 1.0's storage format (:data:`GOLD_STORAGE_VERSION`) so that analysts' clients read it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.faults import fault_point

if TYPE_CHECKING:
    import duckdb

#: Storage format of every gold file: DuckDB 1.0's (file header version 64), which every
#: DuckDB client from 0.10 on reads, the registry's ``duckdb-cli`` 1.5.6 and DBeaver's
#: driver included; a file in DuckDB 2.0's own format they refuse. A file keeps the format it
#: was created in, so :func:`start_gold_build` creating the empty file is enough.
GOLD_STORAGE_VERSION = "v1.0.0"

#: Tables that live in the state file and are copied into every published gold.
STATE_TABLES: tuple[str, ...] = (
    "model_registry",
    "guest_score_history",
    "model_evaluation",
    "run_log",
    "erasure_log",
)


@dataclass(frozen=True)
class Layout:
    """Paths of every layer under one data directory."""

    data_dir: Path

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "bronze" / "landing"

    @property
    def bronze_path(self) -> Path:
        return self.data_dir / "bronze" / "bronze.duckdb"

    @property
    def silver_path(self) -> Path:
        return self.data_dir / "silver" / "silver.duckdb"

    @property
    def gold_path(self) -> Path:
        return self.data_dir / "gold" / "gold.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.data_dir / "gold" / "_build"

    @property
    def gold_build_path(self) -> Path:
        return self.build_dir / "gold.duckdb"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state" / "state.duckdb"

    @property
    def hash_key_path(self) -> Path:
        """Secret key of the keyed PII hashes when GUESTLOYALTY_HASH_KEY is not set."""
        return self.data_dir / "state" / "hash.key"

    @property
    def trusted_mappings_path(self) -> Path:
        """SHA-256 of the mapping files the operator trusts in landing (ingest/trust.py)."""
        return self.data_dir / "state" / "trusted_mappings.txt"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt artifacts of the last run (manifest, catalog, docs site)."""
        return self.data_dir / "dbt" / "target"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def truth_dir(self) -> Path:
        """Ground truth of a synthetic world: outside landing/bronze, never ingested."""
        return self.data_dir / "truth"

    @property
    def truth_path(self) -> Path:
        return self.truth_dir / "truth.parquet"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / ".pipeline.lock"

    def landing_entity_dir(self, entity: str) -> Path:
        return self.landing_dir / entity

    def ensure_dirs(self) -> None:
        """Create the layer folders (called by commands, never at import)."""
        for path in (
            self.landing_dir,
            self.bronze_path.parent,
            self.silver_path.parent,
            self.gold_path.parent,
            self.state_path.parent,
            self.models_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)


def connect(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; read-only opens fail clearly when the file is missing."""
    import duckdb

    from guestloyalty.errors import NoDataError

    if read_only and not path.exists():
        raise NoDataError(f"{path} does not exist yet: run `guestloyalty pipeline` first")
    return duckdb.connect(str(path), read_only=read_only)


def create_database(path: Path, *, storage_version: str | None = None) -> Path:
    """Create an empty DuckDB file in a storage format (default: the gold one); it keeps it."""
    import duckdb

    quoted = str(path).replace("'", "''")
    version = storage_version or GOLD_STORAGE_VERSION
    with duckdb.connect() as con:
        con.execute(f"attach '{quoted}' as created (storage_version '{version}')")
        con.execute("detach created")
    return path


def confine(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path] | tuple[Path, ...] = (),
    *,
    settings: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """Let ``con`` reach no file but its own database and ``paths``, for good.

    For connections that evaluate text that did not come from the repository (a mapping
    found in landing, a landing file's header): external access off, only ``paths`` allowed
    (DuckDB adds the database file, its WAL and temp folder itself), and the configuration
    locked so that nothing run later can widen it. ``settings`` may still be changed
    afterwards (e.g. ``preserve_insertion_order``).
    """
    allowed = sorted({str(path) for path in paths} | {str(Path(path).resolve()) for path in paths})
    con.execute(f"set allowed_paths = [{', '.join(_sql_string(p) for p in allowed)}]")
    if settings:
        con.execute(f"set allowed_configs = [{', '.join(_sql_string(s) for s in settings)}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def start_gold_build(layout: Layout) -> Path:
    """Remove what a crashed run left behind; an empty build file in the gold format."""
    if layout.build_dir.exists():
        shutil.rmtree(layout.build_dir)
    layout.build_dir.mkdir(parents=True)
    return create_database(layout.gold_build_path)


def copy_state_into(layout: Layout, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Copy every state table into the database ``con`` is connected to; returns the names."""
    if not layout.state_path.exists():
        return []
    con.execute(f"attach '{layout.state_path}' as state_db (read_only)")
    try:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'state_db'"
            ).fetchall()
        }
        copied = [name for name in STATE_TABLES if name in present]
        for name in copied:
            fault_point("publish:copy_state")
            con.execute(f"create or replace table main.{name} as select * from state_db.{name}")
        return copied
    finally:
        con.execute("detach state_db")


def publish_gold(layout: Layout) -> Path:
    """Atomically replace the published gold with the finished build file."""
    build = layout.gold_build_path
    if not build.exists():
        from guestloyalty.errors import NoDataError

        raise NoDataError(f"no gold build at {build}: run `guestloyalty transform` first")
    wal = build.with_name(build.name + ".wal")
    if wal.exists():
        # A clean close checkpoints the WAL; one left over means the build was not closed.
        import duckdb

        duckdb.connect(str(build)).close()
    layout.gold_path.parent.mkdir(parents=True, exist_ok=True)
    fsync(build)
    fault_point("publish:before_rename")
    # A WAL next to gold belongs to the old file (someone opened it read-write); replayed
    # against the new file it would corrupt it.
    layout.gold_path.with_name(layout.gold_path.name + ".wal").unlink(missing_ok=True)
    os.replace(build, layout.gold_path)
    fsync_dir(layout.gold_path.parent)
    fault_point("publish:after_rename")
    shutil.rmtree(layout.build_dir, ignore_errors=True)
    return layout.gold_path


def fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
