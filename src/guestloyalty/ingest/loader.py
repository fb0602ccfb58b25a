"""Load landing files into bronze, one transaction per file, every column as text.

A load manifest keyed by the file's content hash makes loading idempotent: the same bytes are
never loaded twice, a changed file under the same name becomes a new batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from guestloyalty.contracts import CONTRACTS, contract_for
from guestloyalty.errors import ContractError, IngestError, NoDataError
from guestloyalty.warehouse import Layout, connect

DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".json")
METADATA_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_loaded_at")


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file."""

    path: Path
    entity: str
    batch_id: str | None
    rows: int
    skipped: bool
    message: str


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into their data files, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _is_data_file(p))
            if not files:
                raise NoDataError(f"{path}: no data files (.csv, .tsv, .parquet, .jsonl) found")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or directory")
    return found


def _is_data_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(DATA_SUFFIXES)


def _reader_sql(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    quoted = str(path).replace("'", "''")
    if name.endswith(".parquet"):
        return f"read_parquet('{quoted}')"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return f"read_json('{quoted}', format='newline_delimited', records=true)"
    delim = "\\t" if name.endswith(".tsv") else ","
    return f"read_csv('{quoted}', delim='{delim}', header=true, all_varchar=true)"


def _entity_from_path(path: Path, layout: Layout) -> str:
    try:
        relative = path.resolve().relative_to(layout.landing_dir.resolve())
        return relative.parts[0]
    except ValueError:
        return path.parent.name


def ingest_paths(
    layout: Layout, paths: list[Path] | None = None, *, entity: str | None = None
) -> list[IngestResult]:
    """Load files (default: everything under the landing folder) into bronze."""
    layout.ensure_dirs()
    files = discover(paths or [layout.landing_dir])
    results: list[IngestResult] = []
    with connect(layout.bronze_path) as con:
        _ensure_manifest(con)
        ensure_bronze_tables(con)
        for path in files:
            results.append(_load_file(con, layout, path, entity or _entity_from_path(path, layout)))
    return results


def ensure_bronze_tables(con) -> None:  # noqa: ANN001
    """Create every entity's bronze table (empty) so dbt sources resolve for absent entities."""
    for entity, contract in CONTRACTS.items():
        table_columns = ", ".join(f'"{c}" varchar' for c in contract.columns())
        con.execute(
            f"create table if not exists {entity} ({table_columns}, _batch_id varchar, "
            "_source_file varchar, _row_number bigint, _loaded_at timestamp)"
        )


def _ensure_manifest(con) -> None:  # noqa: ANN001
    con.execute(
        """
        create table if not exists _load_manifest (
            file_hash varchar primary key,
            batch_id varchar not null,
            entity varchar not null,
            source_file varchar not null,
            row_count bigint not null,
            loaded_at timestamp not null
        )
        """
    )


def _load_file(con, layout: Layout, path: Path, entity: str) -> IngestResult:  # noqa: ANN001
    contract = contract_for(entity)
    digest = file_hash(path)
    seen = con.execute(
        "select batch_id from _load_manifest where file_hash = ?", [digest]
    ).fetchone()
    if seen:
        return IngestResult(path, entity, seen[0], 0, True, f"already loaded as batch {seen[0]}")

    reader = _reader_sql(path)
    header = [row[0] for row in con.execute(f"describe select * from {reader}").fetchall()]
    missing = [c for c in contract.required_columns() if c not in header]
    if missing:
        raise ContractError(
            f"{path}: missing required column(s) {', '.join(missing)} for entity {entity}"
        )
    columns = contract.columns()
    select = ", ".join(
        f'cast("{c}" as varchar) as "{c}"' if c in header else f'null::varchar as "{c}"'
        for c in columns
    )
    batch_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{digest[:12]}"
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table_columns = ", ".join(f'"{c}" varchar' for c in columns)
    con.execute(
        f"create table if not exists {entity} ({table_columns}, _batch_id varchar, "
        "_source_file varchar, _row_number bigint, _loaded_at timestamp)"
    )
    con.execute("begin transaction")
    try:
        con.execute(
            f"insert into {entity} by name select {select}, ? as _batch_id, "
            "? as _source_file, row_number() over () as _row_number, ? as _loaded_at "
            f"from {reader}",
            [batch_id, str(path), loaded_at],
        )
        rows = con.execute(
            f"select count(*) from {entity} where _batch_id = ?", [batch_id]
        ).fetchone()[0]
        con.execute(
            "insert into _load_manifest values (?, ?, ?, ?, ?, ?)",
            [digest, batch_id, entity, str(path), rows, loaded_at],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return IngestResult(path, entity, batch_id, rows, False, f"loaded {rows:,} rows")
