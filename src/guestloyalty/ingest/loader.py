"""Load landing files into bronze, one transaction per file, every column as text.

For each file: find its entity (``--entity``, the mapping, or its landing folder), skip it
when the manifest already holds its bytes, read it with DuckDB (readers.py), check it
(checks.py), and insert ``select <column expressions> from <reader>`` into the entity's
bronze table together with the manifest row, in one transaction. A file that fails any
step leaves nothing behind and is reported; the other files still load.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.contracts import CONTRACTS, ENTITIES, EntityContract, contract_for
from guestloyalty.errors import (
    ConfigError,
    GuestLoyaltyError,
    IngestError,
    MappingError,
    NoDataError,
    ReadError,
    UnknownEntityError,
)
from guestloyalty.faults import fault_point
from guestloyalty.ingest import checks, manifest
from guestloyalty.ingest.mapping import (
    Mapping,
    check_expressions,
    column_expressions,
    load_mapping,
    passthrough_columns,
    prepared_relation,
    visible_columns,
)
from guestloyalty.ingest.readers import (
    ROW_NUMBER,
    ReadOptions,
    Source,
    is_data_file,
    open_source,
    quote_ident,
    translate,
)
from guestloyalty.ingest.suppressions import apply_suppressions
from guestloyalty.ingest.trust import check_trusted, in_landing
from guestloyalty.warehouse import Layout, confine, connect

if TYPE_CHECKING:
    import duckdb

METADATA_COLUMNS = ("_batch_id", "_source_file", "_row_number", "_loaded_at", "_extra")
#: Files at least this big get a "loading ..." line before their result.
LARGE_FILE_BYTES = 64 * 2**20
#: A mapping in a landing folder applies to the files next to it.
FOLDER_MAPPING = "mapping.yaml"
Reporter = Callable[[str], None]


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file: loaded, skipped (already loaded) or refused (``error``)."""

    path: Path
    entity: str | None
    batch_id: str | None
    rows: int
    skipped: bool
    message: str
    error: GuestLoyaltyError | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into their data files, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and is_data_file(p))
            if not files:
                raise NoDataError(
                    f"{path}: no data files found (expected .csv, .tsv, .parquet, .jsonl, "
                    "optionally .gz)"
                )
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or directory")
    return found


def entity_of(path: Path, layout: Layout, *, entity: str | None, mapping: Mapping | None) -> str:
    """The entity a file feeds: --entity, else the mapping's, else its landing folder."""
    if entity is not None:
        contract_for(entity)
        if mapping is not None and mapping.entity != entity:
            raise MappingError(
                f"{path}: --entity {entity} contradicts {mapping.origin}, which maps to "
                f"{mapping.entity}"
            )
        return entity
    if mapping is not None:
        return mapping.entity
    try:
        folder = path.resolve().relative_to(layout.landing_dir.resolve()).parts[0]
    except (ValueError, IndexError):
        folder = path.parent.name
    if folder in CONTRACTS:
        return folder
    raise UnknownEntityError(
        f"{path}: folder {folder!r} is not an entity, so the file's entity is unknown; "
        f"put it under landing/<entity>/ or pass --entity (entities: {', '.join(ENTITIES)})"
    )


def ensure_bronze_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every entity's bronze table (empty) so dbt sources resolve for absent entities."""
    for entity, contract in CONTRACTS.items():
        table_columns = ", ".join(f"{quote_ident(c)} varchar" for c in contract.columns())
        con.execute(
            f"create table if not exists {entity} ({table_columns}, _batch_id varchar, "
            "_source_file varchar, _row_number bigint, _loaded_at timestamp, _extra varchar)"
        )
        # bronze files written before _extra existed
        con.execute(f"alter table {entity} add column if not exists _extra varchar")


def ingest_paths(
    layout: Layout,
    paths: list[Path] | None = None,
    *,
    entity: str | None = None,
    mapping: Mapping | None = None,
    report: Reporter | None = None,
    trust_landing_mappings: bool = False,
) -> list[IngestResult]:
    """Load files (default: everything under the landing folder) into bronze.

    A file that cannot be loaded is returned with ``error`` set; the others still load.
    Without ``mapping``, a ``mapping.yaml`` in a file's folder applies to that file, so
    foreign exports dropped into ``landing/<entity>/`` load in the nightly run; one inside
    landing only when the operator trusts it (trust.py, or ``trust_landing_mappings``).

    A mapped file loads on its own bronze connection that can reach that file and nothing
    else (:func:`guestloyalty.warehouse.confine`): its expressions run there. Unmapped files
    share one connection that can reach only them (their SQL is ours; headers are quoted).
    """
    if mapping is not None and entity is not None and entity != mapping.entity:
        raise ConfigError(
            f"--entity {entity} contradicts {mapping.origin}, which maps to {mapping.entity}"
        )
    layout.ensure_dirs()
    files = discover(paths or [layout.landing_dir])
    escaping = {path: error for path in files if (error := _link_out_of_landing(layout, path))}
    files = [path for path in files if path not in escaping]
    with _open_bronze(layout) as con:
        manifest.ensure_manifest(con)
        ensure_bronze_tables(con)
        digests = {path: manifest.file_hash(path) for path in files}
        seen = {path: manifest.find(con, digest) for path, digest in digests.items()}
    chosen = _mappings_of(layout, files, mapping, trust_landing=trust_landing_mappings)
    plain_files = [path for path in files if seen[path] is None and chosen[path] is None]
    plain: duckdb.DuckDBPyConnection | None = None
    results: list[IngestResult] = []
    for path, error in escaping.items():
        results.append(IngestResult(path, None, None, 0, False, str(error), error))
        if report is not None:
            report(describe(results[-1]))
    try:
        for path in files:
            file_mapping = chosen[path]
            if isinstance(file_mapping, MappingError):
                result = IngestResult(path, None, None, 0, False, str(file_mapping), file_mapping)
            elif seen[path] is not None:
                result = _skip(layout, path, entity=entity, mapping=file_mapping, seen=seen[path])
            else:
                size = path.stat().st_size
                if report is not None and size >= LARGE_FILE_BYTES:
                    report(f"{path}: loading {size / 2**20:,.0f} MiB ...")
                if file_mapping is None:
                    plain = plain or _open_bronze(layout, reach=plain_files)
                    result = load_file(plain, layout, path, entity=entity, digest=digests[path])
                else:
                    if plain is not None:  # one connection per DuckDB file at a time
                        plain.close()
                        plain = None
                    with _open_bronze(layout, reach=[path]) as con:
                        result = load_file(
                            con,
                            layout,
                            path,
                            entity=entity,
                            mapping=file_mapping,
                            digest=digests[path],
                        )
            results.append(result)
            if report is not None:
                report(describe(result))
    finally:
        if plain is not None:
            plain.close()
    return results


def _link_out_of_landing(layout: Layout, path: Path) -> ReadError | None:
    """A file in landing that is a link to somewhere else: landing files are never followed
    out of landing (a drop box account could link ``state/hash.key``)."""
    named_in = path.absolute().is_relative_to(layout.landing_dir.absolute())
    if not named_in or path.resolve().is_relative_to(layout.landing_dir.resolve()):
        return None
    return ReadError(
        f"{path}: a symbolic link to {path.resolve()}, outside landing; files in landing are "
        "loaded as they are, never followed elsewhere: copy the file into landing instead"
    )


def _mappings_of(
    layout: Layout, files: list[Path], mapping: Mapping | None, *, trust_landing: bool
) -> dict[Path, Mapping | MappingError | None]:
    """Each file's mapping: ``mapping``, else its folder's (or why that one is refused)."""
    folders: dict[Path, Mapping | MappingError] = {}
    chosen: dict[Path, Mapping | MappingError | None] = {}
    for path in files:
        chosen[path] = mapping
        if mapping is None and (path.parent / FOLDER_MAPPING).is_file():
            if path.parent not in folders:
                folders[path.parent] = _folder_mapping(
                    layout, path.parent / FOLDER_MAPPING, trust_landing
                )
            chosen[path] = folders[path.parent]
    return chosen


def _skip(
    layout: Layout,
    path: Path,
    *,
    entity: str | None,
    mapping: Mapping | None,
    seen: manifest.ManifestEntry,
) -> IngestResult:
    """A file whose bytes bronze already holds (its entity still has to make sense)."""
    try:
        name = entity_of(path, layout, entity=entity, mapping=mapping)
    except (UnknownEntityError, MappingError) as error:
        return IngestResult(path, None, None, 0, False, str(error), error)
    return _already_loaded(path, name, seen)


def _folder_mapping(layout: Layout, path: Path, trust_landing: bool) -> Mapping | MappingError:
    """The mapping next to landing files, or why it is refused (invalid, not trusted)."""
    try:
        if in_landing(layout, path):
            check_trusted(layout, path, trust_landing=trust_landing)
        return load_mapping(path)
    except MappingError as error:
        return error


def _open_bronze(layout: Layout, *, reach: list[Path] | None = None) -> duckdb.DuckDBPyConnection:
    """Bronze, read-write, confined: it can reach no file but ``reach`` (and itself)."""
    import duckdb

    try:
        con = connect(layout.bronze_path)
    except duckdb.IOException as error:
        first = str(error).splitlines()[0]
        raise IngestError(
            f"{layout.bronze_path}: cannot open bronze for writing ({first}); another "
            "guestloyalty run or a client holds it: wait for it or close it"
        ) from error
    return confine(con, reach or [], settings=("preserve_insertion_order",))


def describe(result: IngestResult) -> str:
    """One line per file for the command line."""
    if result.error is not None:
        return f"error: {result.error}"
    return f"{result.entity}: {result.path}: {result.message}"


def raise_for_failures(results: list[IngestResult]) -> None:
    """Raise the first file's error (with a count when several failed)."""
    failed = [r for r in results if r.error is not None]
    if not failed:
        return
    first = failed[0].error
    assert first is not None
    if len(failed) == 1:
        raise first
    error = type(first)(f"{first} (and {len(failed) - 1} more file(s) refused; see above)")
    raise error


def rows_by_entity(
    results: list[IngestResult], *, report: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Rows loaded per entity; every refused file on ``report`` (when several were), then
    the first refusal raised (:func:`raise_for_failures`)."""
    refused = [result for result in results if result.error is not None]
    if report is not None and len(refused) > 1:
        for result in refused:
            report(f"refused: {result.error}")
    raise_for_failures(results)
    loaded: dict[str, int] = {}
    for result in results:
        if result.entity is not None:
            loaded[result.entity] = loaded.get(result.entity, 0) + result.rows
    return loaded


def load_file(
    con: duckdb.DuckDBPyConnection,
    layout: Layout,
    path: Path,
    *,
    entity: str | None = None,
    mapping: Mapping | None = None,
    digest: str | None = None,
) -> IngestResult:
    """Load one file; errors come back in the result, never half a batch."""
    name: str | None = None
    try:
        name = entity_of(path, layout, entity=entity, mapping=mapping)
        return _load(con, path, name, mapping, digest or manifest.file_hash(path))
    except (IngestError, UnknownEntityError, MappingError) as error:
        return IngestResult(path, name, None, 0, False, str(error), error)


def _already_loaded(path: Path, entity: str | None, seen: manifest.ManifestEntry) -> IngestResult:
    return IngestResult(
        path,
        entity,
        seen.batch_id,
        0,
        True,
        "already loaded (same content"
        + ("" if seen.source_file == str(path.resolve()) else f" as {seen.source_file}")
        + f") as batch {seen.batch_id} on {seen.loaded_at:%Y-%m-%d %H:%M} "
        f"({seen.row_count:,} rows); nothing to do",
    )


def _load(
    con: duckdb.DuckDBPyConnection, path: Path, entity: str, mapping: Mapping | None, digest: str
) -> IngestResult:
    contract = contract_for(entity)
    seen = manifest.find(con, digest)
    if seen is not None:  # the same content earlier in this run
        return _already_loaded(path, entity, seen)

    source = open_source(con, path, mapping.read if mapping else ReadOptions())
    checks.check_duplicate_names(path, source.columns)
    if mapping is None:
        checks.check_required_columns(source, contract, entity=entity)
    relation = prepared_relation(source, mapping)
    expressions = column_expressions(contract, source, mapping)
    if mapping is not None:
        check_expressions(con, relation, expressions, mapping=mapping, source=source)
    checks.check_parquet_types(source, contract, passthrough_columns(contract, source, mapping))
    try:
        checks.check_field_counts(con, source)
        flagged = checks.card_columns(
            con, relation, visible_columns(source, mapping), limit=checks.CARD_SAMPLE_ROWS
        )
    except IngestError:
        raise
    except Exception as error:  # noqa: BLE001 - reader failures become one line
        raise translate(path, error) from error
    checks.refuse_card_columns(path, flagged, where="of the file")
    extras = extra_columns(contract, source, mapping)
    if extras:
        try:
            flagged = checks.card_columns(con, relation, extras)
        except Exception as error:  # noqa: BLE001 - reader failures become one line
            raise translate(path, error) from error
        checks.refuse_card_columns(path, flagged, where="of the file")

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batch_id = manifest.new_batch_id(digest, now)
    select = ", ".join(f"{sql} as {quote_ident(col)}" for col, sql in expressions.items())
    con.execute("begin transaction")
    try:
        with _insertion_order(con, keep=source.ordered_rows):
            rows = con.execute(
                f"insert into {entity} by name select {select}, ? as _batch_id, "
                f"? as _source_file, {ROW_NUMBER} as _row_number, ? as _loaded_at, "
                f"{_extra_sql(extras)} as _extra from {relation}",
                [batch_id, str(path.resolve()), now],
            ).fetchall()[0][0]
        if rows == 0:
            raise ReadError(f"{path}: no data rows (header only?); nothing to load")
        landed = checks.card_scan_columns(
            source,
            [c for c, sql in expressions.items() if sql != "cast(null as varchar)"],
            passthrough_columns(contract, source, mapping),
        )
        batch = f"(select * from {entity} where _batch_id = '{batch_id}')"
        checks.refuse_card_columns(
            path, checks.card_columns(con, batch, landed), where="mapped into bronze"
        )
        manifest.record(
            con,
            manifest.ManifestEntry(digest, batch_id, entity, str(path.resolve()), rows, now),
            mapping=mapping.origin if mapping else None,
        )
        _before_commit(con, entity, batch_id)
        con.execute("commit")
    except BaseException as error:
        con.execute("rollback")
        if isinstance(error, IngestError) or not isinstance(error, Exception):
            raise
        raise translate(path, error) from error
    return IngestResult(
        path, entity, batch_id, rows, False, f"loaded {rows:,} rows as batch {batch_id}"
    )


@contextlib.contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection, *, keep: bool) -> Iterator[None]:
    """Let DuckDB insert rows in any order when ``_row_number`` does not depend on it.

    A parallel insert that keeps insertion order writes one partial row group per source
    batch (a Parquet row group); the commit's checkpoint then rewrites all of them, so the
    batch is compressed and written twice. Unordered, each thread fills whole row groups.
    """
    if keep:
        yield
        return
    con.execute("set preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("reset preserve_insertion_order")


def extra_columns(
    contract: type[EntityContract], source: Source, mapping: Mapping | None
) -> list[str]:
    """Source columns kept in ``_extra``: all of them under a mapping (the row as received),
    else those the contract does not name."""
    visible = visible_columns(source, mapping)
    if mapping is not None:
        return visible
    known = set(contract.columns())
    return [column for column in visible if column not in known]


def _extra_sql(columns: list[str]) -> str:
    if not columns:
        return "cast(null as varchar)"
    pairs = ", ".join(
        f"'{column.replace(chr(39), chr(39) * 2)}', cast({quote_ident(column)} as varchar)"
        for column in columns
    )
    return f"cast(json_object({pairs}) as varchar)"


def _before_commit(con: duckdb.DuckDBPyConnection, entity: str, batch_id: str) -> None:
    """Last step inside a file's transaction (tests inject a crash here)."""
    apply_suppressions(con, entity, batch_id)  # erased people never come back
    fault_point("ingest:in_transaction")
