"""The load manifest: one row per loaded file, keyed by the SHA-256 of its bytes.

The same bytes are never loaded twice; a changed file under the same name has another hash
and loads as a new batch. The manifest row is written in the same transaction as the rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

MANIFEST_TABLE = "_load_manifest"


@dataclass(frozen=True)
class ManifestEntry:
    """A file already in bronze."""

    file_hash: str
    batch_id: str
    entity: str
    source_file: str
    row_count: int
    loaded_at: dt.datetime


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_manifest(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""
        create table if not exists {MANIFEST_TABLE} (
            file_hash varchar primary key,
            batch_id varchar not null,
            entity varchar not null,
            source_file varchar not null,
            row_count bigint not null,
            loaded_at timestamp not null,
            mapping varchar
        )
        """
    )
    # bronze files written before the mapping column existed
    con.execute(f"alter table {MANIFEST_TABLE} add column if not exists mapping varchar")


def find(con: duckdb.DuckDBPyConnection, digest: str) -> ManifestEntry | None:
    rows = con.sql(
        "select file_hash, batch_id, entity, source_file, row_count, loaded_at "
        f"from {MANIFEST_TABLE} where file_hash = ?",
        params=[digest],
    ).fetchall()
    return ManifestEntry(*rows[0]) if rows else None


def record(
    con: duckdb.DuckDBPyConnection, entry: ManifestEntry, *, mapping: str | None = None
) -> None:
    con.execute(
        f"insert into {MANIFEST_TABLE} "
        "(file_hash, batch_id, entity, source_file, row_count, loaded_at, mapping) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [
            entry.file_hash,
            entry.batch_id,
            entry.entity,
            entry.source_file,
            entry.row_count,
            entry.loaded_at,
            mapping,
        ],
    )


def new_batch_id(digest: str, now: dt.datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{digest[:12]}"
