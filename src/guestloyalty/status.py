"""Where the data stands: rows per entity and batch in bronze, silver and quarantine.

Reads bronze and silver read-only and never builds anything. ``collect_status`` returns a
pydantic model so more sections (models, drift...) can be added without changing callers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, Field

from guestloyalty.contracts import ENTITIES
from guestloyalty.warehouse import Layout


class BatchStatus(BaseModel):
    """One loaded file: its rows in bronze, and what silver made of them."""

    batch_id: str
    source_file: str | None = None
    loaded_at: dt.datetime | None = None
    bronze_rows: int
    silver_rows: int | None = None
    quarantined_rows: int | None = None

    @property
    def reconciled(self) -> bool | None:
        if self.silver_rows is None or self.quarantined_rows is None:
            return None
        return self.bronze_rows == self.silver_rows + self.quarantined_rows


class EntityStatus(BaseModel):
    """One entity: totals, quarantine by rule, and its batches."""

    entity: str
    bronze_rows: int = 0
    silver_rows: int | None = None
    quarantined_rows: int | None = None
    quarantine_by_rule: dict[str, int] = Field(default_factory=dict)
    batches: list[BatchStatus] = Field(default_factory=list)

    @property
    def reconciled(self) -> bool | None:
        if self.silver_rows is None or self.quarantined_rows is None:
            return None
        return self.bronze_rows == self.silver_rows + self.quarantined_rows


class Status(BaseModel):
    """Everything ``guestloyalty status`` reports."""

    data_dir: Path
    bronze_exists: bool
    silver_exists: bool
    entities: list[EntityStatus] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, with the reconciliation flags included."""
        out = self.model_dump(mode="json")
        for entity, raw in zip(self.entities, out["entities"], strict=True):
            raw["reconciled"] = entity.reconciled
            for batch, raw_batch in zip(entity.batches, raw["batches"], strict=True):
                raw_batch["reconciled"] = batch.reconciled
        return out


def collect_status(layout: Layout) -> Status:
    """Rows per entity and batch in bronze, silver and quarantine (read-only)."""
    status = Status(
        data_dir=layout.data_dir,
        bronze_exists=layout.bronze_path.exists(),
        silver_exists=layout.silver_path.exists(),
    )
    if not status.bronze_exists:
        status.notes.append("no bronze yet: run `guestloyalty ingest`")
        return status
    import duckdb

    try:
        bronze = _bronze_counts(layout)
    except duckdb.IOException as error:  # a writer holds the file
        first = str(error).splitlines()[0]
        status.notes.append(f"bronze is busy (an ingest is writing it?): {first}")
        return status
    silver, quarantine, rules, note = _silver_counts(layout)
    if note:
        status.notes.append(note)
    for entity in ENTITIES:
        batches = bronze.get(entity, [])
        entity_status = EntityStatus(entity=entity)
        for batch_id, source_file, loaded_at, rows in batches:
            batch = BatchStatus(
                batch_id=batch_id,
                source_file=source_file,
                loaded_at=loaded_at,
                bronze_rows=rows,
            )
            if entity in silver:
                batch.silver_rows = silver[entity].get(batch_id, 0)
            if quarantine is not None:
                batch.quarantined_rows = quarantine.get(entity, {}).get(batch_id, 0)
            entity_status.batches.append(batch)
        entity_status.bronze_rows = sum(b.bronze_rows for b in entity_status.batches)
        if entity in silver:
            entity_status.silver_rows = sum(silver[entity].values())
        if quarantine is not None:
            entity_status.quarantined_rows = sum(quarantine.get(entity, {}).values())
            entity_status.quarantine_by_rule = rules.get(entity, {})
        status.entities.append(entity_status)
    if status.silver_exists and any(e.reconciled is False for e in status.entities):
        status.notes.append(
            "bronze holds rows silver has not seen yet (or lost): run `guestloyalty transform`"
        )
    return status


def _bronze_counts(
    layout: Layout,
) -> dict[str, list[tuple[str, str | None, dt.datetime | None, int]]]:
    import duckdb

    out: dict[str, list[tuple[str, str | None, dt.datetime | None, int]]] = {}
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        tables = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        for entity in ENTITIES:
            if entity not in tables:
                continue
            out[entity] = [
                (row[0], row[1], row[2], row[3])
                for row in con.sql(
                    f"select _batch_id, any_value(_source_file), min(_loaded_at), count(*) "
                    f"from {entity} group by _batch_id order by min(_loaded_at), _batch_id"
                ).fetchall()
            ]
    return out


def _silver_counts(
    layout: Layout,
) -> tuple[
    dict[str, dict[str, int]],
    dict[str, dict[str, int]] | None,
    dict[str, dict[str, int]],
    str | None,
]:
    """(silver rows per entity and batch, quarantined rows likewise, quarantine by rule, note)."""
    import duckdb

    if not layout.silver_path.exists():
        return {}, None, {}, "no silver yet: run `guestloyalty transform`"
    try:
        con = duckdb.connect(str(layout.silver_path), read_only=True)
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        return {}, None, {}, f"silver is busy (a run is writing it?): {first}"
    silver: dict[str, dict[str, int]] = {}
    with con:
        tables = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        for entity in ENTITIES:
            model = f"stg_bronze__{entity}"
            if model in tables:
                silver[entity] = dict(
                    con.sql(f"select _batch_id, count(*) from {model} group by 1").fetchall()
                )
        if "quarantine" not in tables:
            return silver, None, {}, None
        quarantine: dict[str, dict[str, int]] = {}
        for entity, batch_id, rows in con.sql(
            "select entity, _batch_id, count(*) from quarantine group by 1, 2"
        ).fetchall():
            quarantine.setdefault(entity, {})[batch_id] = rows
        rules: dict[str, dict[str, int]] = {}
        for entity, rule, rows in con.sql(
            "select entity, failed_rule, count(*) from quarantine group by 1, 2 order by 1, 3 desc"
        ).fetchall():
            rules.setdefault(entity, {})[rule] = rows
    return silver, quarantine, rules, None


def format_status(status: Status) -> list[str]:
    """Lines of a plain-text table for the terminal."""
    header = f"{'entity':<21} {'batch':<28} {'bronze':>10} {'silver':>10} {'quarantined':>11}  file"
    lines = [header]

    def shown(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    for entity in status.entities:
        lines.append(
            f"{entity.entity:<21} {'(all)':<28} {entity.bronze_rows:>10,} "
            f"{shown(entity.silver_rows):>10} {shown(entity.quarantined_rows):>11}"
            + ("" if entity.reconciled in (True, None) else "  NOT RECONCILED")
        )
        for batch in entity.batches:
            lines.append(
                f"{'':<21} {batch.batch_id:<28} {batch.bronze_rows:>10,} "
                f"{shown(batch.silver_rows):>10} {shown(batch.quarantined_rows):>11}  "
                f"{batch.source_file or ''}"
            )
        for rule, rows in entity.quarantine_by_rule.items():
            lines.append(f"{'':<21}   quarantined: {rule} {rows:,}")
    lines.extend(f"note: {note}" for note in status.notes)
    return lines
