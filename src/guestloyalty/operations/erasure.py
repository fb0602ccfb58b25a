"""Right to be forgotten (GDPR Art. 17): erase one person from every layer, for good.

``forget_guest`` resolves every source id linked to the person (through the identity map in
silver or gold when there is one, else the id itself in every bronze entity), then

1. records a **suppression**: keyed hashes of those source ids (and of the person's email
   addresses) in ``erasure_suppressions`` in the state file. Ingest applies it to every later
   load (``apply_suppressions``, called inside each file's transaction), so re-loading an old
   export cannot bring the person back. Only hashes are kept, never the ids in clear; the key
   is the one of the keyed PII hashes ($GUESTLOYALTY_HASH_KEY, else ``state/hash.key``);
2. writes each **landing file** that holds the person's rows again without them (same format)
   next to it, as ``.<name>.forget``;
3. deletes the person's rows from **bronze** (every entity, and special requests of their
   bookings), renumbers the rows of the rewritten files and adds the new files' hashes to the
   load manifest, all in one transaction; only then renames the new landing files over the
   old ones (an erasure killed in between is completed by the next ``forget`` or pipeline run:
   ``finish_interrupted_erasure``), and deletes their rows from the **score history**;
4. **rebuilds the DuckDB files** (``rewrite_database``): a DELETE only marks rows deleted, the
   bytes stay in the file until its blocks are reused, so bronze and the state file are copied
   into fresh files renamed over the originals, and silver is dropped and rebuilt by dbt;
5. rebuilds **gold** from the cleaned layers with the promoted model (no retraining) and
   publishes it atomically;
6. logs in ``erasure_log`` that an erasure happened (when, how many rows and files), never
   who.

It holds the pipeline lock for the whole erasure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.contracts import CONTRACTS
from guestloyalty.errors import ErasureError
from guestloyalty.faults import fault_point
from guestloyalty.ingest.suppressions import (
    SUPPRESSIONS_DDL,
    SYSTEM_SQL,
    hash_key,
    keyed_hash,
    normal_system,
    suppressed_hashes,
)
from guestloyalty.operations.erasure_recovery import (
    LandingPlan,
    finish_interrupted_erasure,
    pending_name,
    replace_landing,
)
from guestloyalty.warehouse import Layout, confine, connect, fsync, fsync_dir

if TYPE_CHECKING:
    import duckdb

    from guestloyalty.config import Settings


ERASURE_LOG_DDL = """
create table if not exists erasure_log (
    erased_at timestamp,
    source_ids bigint,
    bronze_rows_deleted bigint,
    score_history_rows_deleted bigint,
    landing_files_rewritten bigint,
    landing_files_kept bigint,
    suppressions_added bigint,
    gold_rebuilt boolean
)
"""


Reporter = Callable[[str], None]


@dataclass
class ErasureReport:
    """What an erasure did (counts only: it is logged, and says nothing of who)."""

    source_ids: int = 0
    bronze_rows_deleted: dict[str, int] = field(default_factory=dict)
    score_history_rows_deleted: int = 0
    landing_files_rewritten: int = 0
    landing_files_kept: list[str] = field(default_factory=list)
    suppressions_added: int = 0
    gold_rebuilt: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# --- keyed hashes and the suppression list -------------------------------------------------


# --- resolving the person ----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Every reference to one person: resolved guest ids and (system, source id) pairs."""

    guest_ids: frozenset[str]
    references: frozenset[tuple[str, str]]
    emails: frozenset[str]


def resolve(layout: Layout, guest_id: str) -> Person:
    """Every source id linked to ``guest_id`` (a resolved id or a source id)."""
    guest_id = guest_id.strip()
    guest_ids = {guest_id}
    references: set[tuple[str, str]] = set()
    for path, table in (
        (layout.silver_path, "int_guest_identity_map"),
        (layout.gold_path, "guest_identity_map"),
    ):
        rows = _identity_rows(path, table, guest_id)
        if rows:
            guest_ids |= {row[2] for row in rows}
            references |= {(normal_system(row[0]), row[1]) for row in rows}
            break
    if layout.bronze_path.exists():
        with connect(layout.bronze_path, read_only=True) as con:
            ids = sorted(guest_ids | {ref[1] for ref in references})
            for entity in _bronze_entities(con):
                rows = con.execute(
                    f"select distinct {SYSTEM_SQL.format(col='source_system')}, trim(guest_id) "
                    f"from {entity} where trim(guest_id) in (select unnest(?::varchar[]))",
                    [ids],
                ).fetchall()
                references |= {(row[0], row[1]) for row in rows}
    if not references:
        references = _already_suppressed(layout, guest_id)
    if not references:
        raise ErasureError(
            f"no guest {guest_id!r} in {layout.data_dir} (looked in the identity map and every "
            "bronze entity); nothing was erased"
        )
    # Profiles sharing an email address are the same person (duplicates across systems):
    # follow them until nothing new turns up.
    emails = _emails(layout, references)
    while True:
        linked = _profiles_with_emails(layout, emails) - references
        if not linked:
            break
        references |= linked
        emails |= _emails(layout, references)
    return Person(frozenset(guest_ids), frozenset(references), frozenset(emails))


def _profiles_with_emails(layout: Layout, emails: set[str]) -> set[tuple[str, str]]:
    if not emails or not layout.bronze_path.exists():
        return set()
    with connect(layout.bronze_path, read_only=True) as con:
        if "guests" not in _bronze_entities(con):
            return set()
        rows = con.execute(
            f"select distinct {SYSTEM_SQL.format(col='source_system')}, trim(guest_id) "
            "from guests where lower(trim(email)) in (select unnest(?::varchar[]))",
            [sorted(emails)],
        ).fetchall()
    return {(row[0], row[1]) for row in rows}


def _already_suppressed(layout: Layout, guest_id: str) -> set[tuple[str, str]]:
    """(system, id) pairs of ``guest_id`` on the suppression list: an erasure of this person
    that stopped half-way, to be completed (the rows are gone, the rebuild may not be)."""
    hashes = set(suppressed_hashes(layout))
    if not hashes:
        return set()
    key = hash_key(layout)
    systems = {"default"}
    if layout.bronze_path.exists():
        with connect(layout.bronze_path, read_only=True) as con:
            for entity in _bronze_entities(con):
                rows = con.execute(
                    f"select distinct {SYSTEM_SQL.format(col='source_system')} from {entity}"
                ).fetchall()
                systems |= {row[0] for row in rows}
    return {
        (system, guest_id)
        for system in systems
        if keyed_hash(key, "id", system, guest_id) in hashes
    }


def _identity_rows(path: Path, table: str, guest_id: str) -> list[tuple[str, str, str]]:
    if not path.exists():
        return []
    with contextlib.suppress(Exception), connect(path, read_only=True) as con:
        return con.execute(
            f"select source_system, source_guest_id, guest_id from {table} "
            f"where guest_id in (select guest_id from {table} "
            "where guest_id = ? or source_guest_id = ?)",
            [guest_id, guest_id],
        ).fetchall()
    return []


def _bronze_entities(con: duckdb.DuckDBPyConnection) -> list[str]:
    present = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    return [entity for entity in CONTRACTS if entity in present]


def _references_sql() -> str:
    system = SYSTEM_SQL.format(col="source_system")
    return f"({system} || chr(31) || trim(guest_id)) in (select unnest(?::varchar[]))"


def _ref_params(person: Person) -> list[list[str]]:
    return [sorted(f"{system}\x1f{source_id}" for system, source_id in person.references)]


def _emails(layout: Layout, references: set[tuple[str, str]]) -> set[str]:
    if not layout.bronze_path.exists():
        return set()
    person = Person(frozenset(), frozenset(references), frozenset())
    with connect(layout.bronze_path, read_only=True) as con:
        if "guests" not in _bronze_entities(con):
            return set()
        rows = con.execute(
            f"select distinct lower(trim(email)) from guests where {_references_sql()} "
            "and email is not null and trim(email) <> ''",
            _ref_params(person),
        ).fetchall()
    return {row[0] for row in rows}


# --- erasing -----------------------------------------------------------------------------


def forget_guest(
    layout: Layout,
    settings: Settings,
    guest_id: str,
    *,
    report: Reporter = lambda _: None,
) -> ErasureReport:
    """Erase one person from every layer; see the module docstring. Holds the pipeline lock."""
    from guestloyalty.operations.pipeline import pipeline_lock

    with pipeline_lock(layout):
        finished = finish_interrupted_erasure(layout)
        person = resolve(layout, guest_id)
        erased_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        result = ErasureReport(source_ids=len(person.references))
        report(f"erasing 1 person ({result.source_ids} linked source id(s))")

        result.suppressions_added = _record_suppressions(layout, person, erased_at)
        report(f"suppression recorded ({result.suppressions_added} keyed hash(es))")

        rows_by_batch = _rows_by_batch(layout, person)
        plans = _plan_landing(layout, rows_by_batch, result)
        result.bronze_rows_deleted = _delete_bronze(layout, person, plans)
        fault_point("forget:before_landing_replace")
        replace_landing(plans)
        result.landing_files_rewritten = len(plans) + finished
        report(
            f"landing: {result.landing_files_rewritten} file(s) rewritten"
            + (
                f", {len(result.landing_files_kept)} kept (suppressed)"
                if result.landing_files_kept
                else ""
            )
        )
        result.score_history_rows_deleted = _delete_history(layout, person)
        report(f"bronze: {sum(result.bronze_rows_deleted.values())} row(s) deleted")

        fault_point("forget:before_rebuild")
        for path in (layout.bronze_path, layout.state_path):
            if path.exists():
                rewrite_database(path)
        _drop_silver(layout)
        report("bronze and state files rebuilt; silver dropped")

        result.gold_rebuilt = _gold_to_rebuild(layout)
        _log_erasure(layout, erased_at, result)  # before the rebuild: gold carries the row
        if result.gold_rebuilt:
            _rebuild_gold(layout, settings, report)
        elif layout.bronze_path.exists():
            report("no published gold yet: the next pipeline run builds it without the person")
        _remove_dbt_artifacts(layout)
        return result


def _record_suppressions(layout: Layout, person: Person, erased_at: dt.datetime) -> int:
    key = hash_key(layout)
    hashes = {keyed_hash(key, "id", system, source_id) for system, source_id in person.references}
    hashes |= {keyed_hash(key, "email", email) for email in person.emails}
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(layout.state_path) as con:
        con.execute(SUPPRESSIONS_DDL)
        before = con.execute("select count(*) from erasure_suppressions").fetchall()[0][0]
        con.execute(
            "insert into erasure_suppressions select unnest(?::varchar[]), ? "
            "on conflict do nothing",
            [sorted(hashes), erased_at],
        )
        after = con.execute("select count(*) from erasure_suppressions").fetchall()[0][0]
    return after - before


def _rows_by_batch(layout: Layout, person: Person) -> dict[str, tuple[str, list[int]]]:
    """batch id -> (entity, the person's row numbers in that batch's file)."""
    out: dict[str, tuple[str, list[int]]] = {}
    if not layout.bronze_path.exists():
        return out
    with connect(layout.bronze_path, read_only=True) as con:
        for entity in _bronze_entities(con):
            condition, params = _entity_condition(con, entity, person)
            rows = con.execute(
                f"select _batch_id, list(_row_number order by _row_number) from {entity} "
                f"where {condition} group by _batch_id",
                params,
            ).fetchall()
            for batch_id, numbers in rows:
                out[batch_id] = (entity, [int(n) for n in numbers])
    return out


def _entity_condition(
    con: duckdb.DuckDBPyConnection, entity: str, person: Person
) -> tuple[str, list[object]]:
    """Rows of ``entity`` that belong to the person (special requests also via bookings)."""
    condition, params = _references_sql(), list(_ref_params(person))
    if entity == "guests" and person.emails:
        condition += " or lower(trim(email)) in (select unnest(?::varchar[]))"
        params.append(sorted(person.emails))
    if entity == "special_requests" and "bookings" in _bronze_entities(con):
        condition += (
            " or trim(booking_id) in (select trim(booking_id) from bookings where "
            + _references_sql()
            + ")"
        )
        params += _ref_params(person)
    return f"({condition})", params


def _plan_landing(
    layout: Layout, rows_by_batch: dict[str, tuple[str, list[int]]], result: ErasureReport
) -> list[LandingPlan]:
    """Write each landing file holding the person's rows, without them, to a temp file."""
    if not rows_by_batch or not layout.landing_dir.exists():
        return []
    from guestloyalty.ingest import manifest

    with connect(layout.bronze_path, read_only=True) as con:
        batches = {
            row[0]: row[1:]
            for row in con.execute(
                "select file_hash, batch_id, entity, mapping from _load_manifest"
            ).fetchall()
        }
    plans: list[LandingPlan] = []
    for path in sorted(p for p in layout.landing_dir.rglob("*") if p.is_file()):
        if path.name.endswith(".forget"):
            continue
        digest = manifest.file_hash(path)
        if digest not in batches or batches[digest][0] not in rows_by_batch:
            continue
        batch_id, entity, mapping = batches[digest]
        drop = rows_by_batch[batch_id][1]
        tmp = pending_name(path)
        try:
            kept_rows = _write_without(path, tmp, drop, mapping)
        except Exception:  # noqa: BLE001 - a file we cannot rewrite stays, suppressed
            tmp.unlink(missing_ok=True)
            result.landing_files_kept.append(str(path.relative_to(layout.data_dir)))
            continue
        plans.append(
            LandingPlan(
                path, tmp, manifest.file_hash(tmp), batch_id, entity, mapping, kept_rows, drop
            )
        )
    return plans


def _write_without(path: Path, tmp: Path, drop: list[int], mapping: str | None) -> int:
    """Write ``path`` to ``tmp`` without the data rows numbered ``drop``; returns rows kept."""
    import duckdb

    from guestloyalty.ingest.readers import ReadOptions, open_source, quote_ident

    options = ReadOptions()
    if mapping:
        from guestloyalty.ingest.mapping import load_mapping

        options = load_mapping(Path(mapping)).read
    tmp.unlink(missing_ok=True)
    gz = path.name.lower().endswith(".gz")
    compression = ", compression 'gzip'" if gz else ""
    target = str(tmp).replace("'", "''")
    # The file and its mapping came from landing: this connection reaches only them.
    with confine(duckdb.connect(), [path, tmp]) as con:
        source = open_source(con, path, options)
        keep = "_row_number not in (select unnest(?::bigint[]))"
        if source.format == "parquet":
            reader = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"
            query = (
                f"select * exclude (_row_number) from (select *, row_number() over () "
                f"as _row_number from {reader}) where {keep} order by _row_number"
            )
            fmt = "(format parquet)"
        else:
            columns = ", ".join(quote_ident(c) for c in source.columns)
            query = f"select {columns} from {source.sql} where {keep} order by _row_number"
            if source.format in ("csv", "tsv"):
                delimiter = options.delimiter or ("\t" if source.format == "tsv" else ",")
                header = "true" if options.header else "false"
                delimiter = delimiter.replace("'", "''")
                fmt = f"(format csv, header {header}, delimiter '{delimiter}'{compression})"
            elif source.format == "jsonl":
                fmt = f"(format json{compression})"
            else:
                raise ErasureError(f"{path}: cannot rewrite {source.format} files")
        con.execute(f"copy ({query}) to '{target}' {fmt}", [drop])
        kept = con.execute(f"select count(*) from ({query})", [drop]).fetchall()[0][0]
    fsync(tmp)
    return int(kept)


def _delete_bronze(layout: Layout, person: Person, plans: list[LandingPlan]) -> dict[str, int]:
    """One transaction: delete the person's rows, renumber the rows of rewritten files so
    they point at the new files' lines, and register the new files' hashes."""
    deleted: dict[str, int] = {}
    if not layout.bronze_path.exists():
        return deleted
    with connect(layout.bronze_path) as con:
        entities = _bronze_entities(con)
        conditions = {entity: _entity_condition(con, entity, person) for entity in entities}
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute("begin transaction")
        try:
            # special requests first: their condition looks at the person's bookings
            for entity in sorted(entities, key=lambda e: e != "special_requests"):
                condition, params = conditions[entity]
                count = con.execute(
                    f"select count(*) from {entity} where {condition}", params
                ).fetchall()[0][0]
                if count:
                    con.execute(f"delete from {entity} where {condition}", params)
                    deleted[entity] = int(count)
            for plan in plans:
                con.execute(
                    f"update {plan.entity} set _row_number = _row_number - "
                    "(select count(*) from unnest(?::bigint[]) as dropped(n) "
                    f"where dropped.n < {plan.entity}._row_number) where _batch_id = ?",
                    [plan.dropped, plan.batch_id],
                )
                con.execute(
                    "insert into _load_manifest (file_hash, batch_id, entity, source_file, "
                    "row_count, loaded_at, mapping) values (?, ?, ?, ?, ?, ?, ?) "
                    "on conflict do nothing",
                    [
                        plan.file_hash,
                        plan.batch_id,
                        plan.entity,
                        str(plan.path),
                        plan.kept_rows,
                        now,
                        plan.mapping,
                    ],
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return deleted


def _delete_history(layout: Layout, person: Person) -> int:
    if not layout.state_path.exists():
        return 0
    ids = sorted(person.guest_ids | {ref[1] for ref in person.references})
    with connect(layout.state_path) as con:
        tables = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        total = 0
        for table in sorted(tables):
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_name = ?",
                    [table],
                ).fetchall()
            }
            if "guest_id" not in columns:
                continue
            condition = "guest_id in (select unnest(?::varchar[]))"
            count = con.execute(
                f"select count(*) from {table} where {condition}", [ids]
            ).fetchall()[0][0]
            if count:
                con.execute(f"delete from {table} where {condition}", [ids])
                total += int(count)
    return total


def rewrite_database(path: Path) -> None:
    """Copy a DuckDB file's live contents into a fresh file and rename it over the original.

    After a DELETE the rows are only marked deleted; their bytes stay in the file's blocks.
    The fresh file holds live rows only; the old file (and any WAL of it) is removed.
    """
    import duckdb

    wal = path.with_name(path.name + ".wal")
    with duckdb.connect(str(path)) as con:  # replays and checkpoints any WAL left behind
        con.execute("checkpoint")
    tmp = path.with_name(path.name + ".rewrite")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    source, target = (str(p).replace("'", "''") for p in (path, tmp))
    with duckdb.connect() as con:
        con.execute(f"attach '{source}' as old_db (read_only)")
        con.execute(f"attach '{target}' as new_db")
        con.execute("copy from database old_db to new_db")
        con.execute("detach new_db")
        con.execute("detach old_db")
    fsync(tmp)
    fault_point("forget:before_replace")
    os.replace(tmp, path)
    wal.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _drop_silver(layout: Layout) -> None:
    for path in (layout.silver_path, layout.silver_path.with_name("silver.duckdb.wal")):
        path.unlink(missing_ok=True)


def _remove_dbt_artifacts(layout: Layout) -> None:
    """dbt's run results and logs can quote rows of failed tests: drop them."""
    import shutil

    shutil.rmtree(layout.data_dir / "dbt", ignore_errors=True)


def _gold_to_rebuild(layout: Layout) -> bool:
    from guestloyalty.models.registry import promoted_version

    return (
        layout.bronze_path.exists()
        and layout.gold_path.exists()
        and promoted_version(layout) is not None
    )


def _rebuild_gold(layout: Layout, settings: Settings, report: Reporter) -> None:
    """Silver and gold from the cleaned bronze, scored with the promoted model, published."""
    from guestloyalty.operations.pipeline import (
        RunReport,
        stage_post_scoring,
        stage_publish,
        stage_recommend,
        stage_score,
        stage_transform,
    )

    report("rebuilding silver and gold without the person (promoted model, no retraining)")
    stage_transform(layout, settings)
    stage_score(layout, settings)
    stage_recommend(layout, settings)
    stage_post_scoring(layout, settings)
    stage_publish(layout, RunReport(run_id="forget"))


def settings_of_last_run(layout: Layout, settings: Settings) -> Settings:
    """``settings`` with the as_of and horizon of the published gold, so the rebuilt gold
    describes the same moment as the one it replaces."""
    if not layout.gold_path.exists():
        return settings
    with contextlib.suppress(Exception), connect(layout.gold_path, read_only=True) as con:
        [(as_of, horizon)] = con.execute(
            "select as_of_date, horizon_days from run_context"
        ).fetchall()
        return settings.model_copy(update={"as_of": as_of, "horizon_days": int(horizon)})
    return settings


def _log_erasure(layout: Layout, erased_at: dt.datetime, result: ErasureReport) -> None:
    with connect(layout.state_path) as con:
        con.execute(ERASURE_LOG_DDL)
        con.execute(
            "insert into erasure_log values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                erased_at,
                result.source_ids,
                sum(result.bronze_rows_deleted.values()),
                result.score_history_rows_deleted,
                result.landing_files_rewritten,
                len(result.landing_files_kept),
                result.suppressions_added,
                result.gold_rebuilt,
            ],
        )


def summary(result: ErasureReport) -> str:
    return json.dumps(result.as_dict(), indent=2)
