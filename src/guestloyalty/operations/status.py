"""Where the data stands: the last run, gold, promoted models, drift, and rows per layer.

- **last run** — from ``run_log`` in the state file (it also records failed runs), or in the
  published gold when the state file is busy;
- **gold** — path, when it was published, as_of, rows per table;
- **models** — the promoted model versions and their validation metrics (``model_registry``);
- **drift** — features whose PSI between training and scoring is above their threshold
  (``feature_drift.status = 'warn'``: 0.2 over what the validation origins showed);
- **entities** — rows per entity and batch in bronze, silver and quarantine.

Reads every file read-only and never builds anything. ``collect_status`` returns a pydantic
model; ``--json`` prints it.
"""

from __future__ import annotations

import contextlib
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


class RunStatus(BaseModel):
    """The latest pipeline run in ``run_log``."""

    run_id: str
    status: str
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    as_of_date: dt.date | None = None
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    message: str | None = None


class GoldStatus(BaseModel):
    """The published gold file."""

    path: Path
    published_at: dt.datetime
    as_of_date: dt.date | None = None
    horizon_days: int | None = None
    rows_after_as_of: int | None = None
    tables: dict[str, int] = Field(default_factory=dict)


class ModelStatus(BaseModel):
    """A promoted model and its validation metrics."""

    model_name: str
    model_version: str
    algorithm: str | None = None
    trained_at: dt.datetime | None = None
    valid_snapshot: dt.date | None = None
    metrics: dict[str, float | None] = Field(default_factory=dict)
    note: str | None = None


class DriftWarning(BaseModel):
    """A model input whose distribution moved (PSI above the warning level)."""

    feature: str
    psi: float


class Insight(BaseModel):
    """One sentence of what changed (a row of gold's ``run_insights``)."""

    kind: str
    subject: str | None = None
    detail: str | None = None
    value: float | None = None
    sentence: str


class Status(BaseModel):
    """Everything ``guestloyalty status`` reports."""

    schema_version: str = "1.0"
    data_dir: Path
    bronze_exists: bool
    silver_exists: bool
    last_run: RunStatus | None = None
    gold: GoldStatus | None = None
    models: list[ModelStatus] = Field(default_factory=list)
    selection: list[dict[str, object]] = Field(
        default_factory=list,
        description="The promoted version's rolling-origin backtest: candidate x origin.",
    )
    drift_warnings: list[DriftWarning] = Field(default_factory=list)
    insights: list[Insight] = Field(default_factory=list)
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
    _collect_gold(layout, status)
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


#: Metrics shown per model in the terminal (all of them are in --json).
HEADLINE_METRICS = (
    "auc",
    "pr_auc",
    "brier",
    "lift_top10",
    "mae",
    "spearman",
    "capture_top10",
    "churn_auc",
    "clv_spearman",
    "k",
    "silhouette",
)


def _collect_gold(layout: Layout, status: Status) -> None:
    """Last run, gold tables, promoted models and drift warnings (each section optional)."""
    import duckdb

    status.last_run = _last_run_from_state(layout)
    if not layout.gold_path.exists():
        status.notes.append("no published gold yet: run `guestloyalty pipeline`")
        return
    try:
        con = duckdb.connect(str(layout.gold_path), read_only=True)
    except duckdb.Error as error:
        status.notes.append(f"gold could not be opened: {str(error).splitlines()[0]}")
        return
    with con:
        tables = [
            row[0]
            for row in con.sql(
                "select table_name from duckdb_tables() where schema_name = 'main' "
                "order by table_name"
            ).fetchall()
        ]
        gold = GoldStatus(
            path=layout.gold_path,
            published_at=dt.datetime.fromtimestamp(layout.gold_path.stat().st_mtime),
            tables={
                name: con.sql(f'select count(*) from "{name}"').fetchall()[0][0] for name in tables
            },
        )
        if "run_context" in tables:
            row = con.sql("select as_of_date, horizon_days from run_context").fetchall()
            if row:
                gold.as_of_date, gold.horizon_days = row[0][0], row[0][1]
            with contextlib.suppress(duckdb.Error):  # a gold published before the column
                gold.rows_after_as_of = con.sql(
                    "select rows_after_as_of from run_context"
                ).fetchall()[0][0]
        status.gold = gold
        if status.last_run is None and "run_log" in tables:
            status.last_run = _last_run(con)
        if "model_registry" in tables:
            status.models = _promoted_models(con)
            status.selection = _selection_table(con)
        if "run_insights" in tables:
            status.insights = [
                Insight(kind=kind, subject=subject, detail=detail, value=value, sentence=text)
                for kind, subject, detail, value, text in con.sql(
                    "select insight_kind, subject, detail, insight_value, sentence "
                    "from run_insights order by insight_rank"
                ).fetchall()
            ]
        if "feature_drift" in tables:
            status.drift_warnings = [
                DriftWarning(feature=feature, psi=round(psi, 4))
                for feature, psi in con.sql(
                    "select feature, psi from feature_drift where status = 'warn' order by psi desc"
                ).fetchall()
            ]


def _last_run_from_state(layout: Layout) -> RunStatus | None:
    """The state file also knows about failed runs (they never publish gold)."""
    import duckdb

    if not layout.state_path.exists():
        return None
    try:
        with duckdb.connect(str(layout.state_path), read_only=True) as con:
            tables = {r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()}
            return _last_run(con) if "run_log" in tables else None
    except duckdb.Error:  # a run holds the state file: gold's copy is used instead
        return None


def _last_run(con) -> RunStatus | None:  # noqa: ANN001
    import json

    rows = con.sql(
        "select run_id, status, started_at, finished_at, as_of_date, stage_seconds, message "
        "from run_log order by started_at desc limit 1"
    ).fetchall()
    if not rows:
        return None
    run_id, state, started, finished, as_of, stages, message = rows[0]
    try:
        seconds = {str(k): float(v) for k, v in json.loads(stages or "{}").items()}
    except (ValueError, TypeError, AttributeError):
        seconds = {}
    return RunStatus(
        run_id=run_id,
        status=state,
        started_at=started,
        finished_at=finished,
        as_of_date=as_of,
        stage_seconds=seconds,
        message=message or None,
    )


def _promoted_models(con) -> list[ModelStatus]:  # noqa: ANN001
    import json

    out = []
    for name, version, algorithm, trained_at, valid_snapshot, metrics, note in con.sql(
        "select model_name, model_version, algorithm, trained_at, valid_snapshot, metrics, note "
        "from model_registry where is_promoted order by model_name"
    ).fetchall():
        try:
            values = json.loads(metrics or "{}")
        except ValueError:
            values = {}
        out.append(
            ModelStatus(
                model_name=name,
                model_version=version,
                algorithm=algorithm,
                trained_at=trained_at,
                valid_snapshot=valid_snapshot,
                metrics={
                    k: (float(v) if isinstance(v, int | float) else None) for k, v in values.items()
                },
                note=note,
            )
        )
    return out


def _selection_table(con) -> list[dict[str, object]]:  # noqa: ANN001
    import json

    rows = con.sql(
        "select metrics from model_registry where is_promoted and model_name = 'selection' "
        "order by trained_at desc limit 1"
    ).fetchall()
    if not rows:
        return []
    try:
        table = json.loads(rows[0][0] or "{}").get("table", [])
    except (ValueError, AttributeError):
        return []
    return [row for row in table if isinstance(row, dict)]


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
        # stg_ models are views over the base tables; quarantine is a table
        tables = {
            row[0]
            for row in con.sql(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
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
    """Lines for the terminal: run, gold, models, drift, then the per-entity table."""
    lines: list[str] = []
    run = status.last_run
    if run is not None:
        took = sum(run.stage_seconds.values())
        lines.append(
            f"last run   {run.run_id}  {run.status.upper()}  as_of {run.as_of_date or '-'}  "
            f"finished {_when(run.finished_at)}  ({took:.0f}s)"
        )
        if run.message:
            lines.append(f"           {run.message}")
    else:
        lines.append("last run   none recorded")
    gold = status.gold
    if gold is not None:
        lines.append(
            f"gold       {gold.path}  published {_when(gold.published_at)}  "
            f"as_of {gold.as_of_date or '-'}"
            + (
                f" ({gold.rows_after_as_of:,} rows dated after it not used)"
                if gold.rows_after_as_of
                else ""
            )
        )
        main_tables = [
            name
            for name in ("guest_360", "guest_scores", "next_best_action", "at_risk_guests")
            if name in gold.tables
        ]
        if main_tables:
            lines.append(
                "           "
                + ", ".join(f"{name} {gold.tables[name]:,}" for name in main_tables)
                + f"  ({len(gold.tables)} tables)"
            )
    for model in status.models:
        shown = ", ".join(
            f"{key} {format_number(model.metrics[key])}"
            for key in HEADLINE_METRICS
            if model.metrics.get(key) is not None
        )
        lines.append(f"model      {model.model_name:<9} {model.model_version}  {shown}")
    if status.selection:
        lines.append(
            "selection  origin      days kind       candidate  churn AUC  CLV MAE  Spearman"
        )
        for row in status.selection:
            lines.append(
                f"           {row.get('origin')!s:<11} {row.get('horizon_days')!s:>4} "
                f"{row.get('kind')!s:<10} {row.get('candidate')!s:<10} "
                f"{format_number(row.get('churn_auc')):>9} {format_number(row.get('mae')):>8} "  # type: ignore[arg-type]
                f"{format_number(row.get('spearman')):>9}"  # type: ignore[arg-type]
            )
    if status.drift_warnings:
        lines.append(
            "drift      "
            + ", ".join(f"{w.feature} (PSI {w.psi:.2f})" for w in status.drift_warnings[:8])
            + (
                f" and {len(status.drift_warnings) - 8} more"
                if len(status.drift_warnings) > 8
                else ""
            )
        )
    elif gold is not None:
        lines.append("drift      none above its threshold")
    lines.extend(f"{label:<10} {text}" for label, text in insight_lines(status.insights))
    lines.append("")
    header = f"{'entity':<21} {'batch':<28} {'bronze':>10} {'silver':>10} {'quarantined':>11}  file"
    lines.append(header)

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


def insight_lines(insights: list[Insight], *, limit: int = 8) -> list[tuple[str, str]]:
    """(label, text) pairs: ``stages`` (guests per lifecycle stage) and ``changed`` (moves
    since the last run, business metrics off their history), each from a ``run_insights``
    row; the label is empty on continuation lines."""
    counts = [i for i in insights if i.kind == "stage_count"]
    changes = [i for i in insights if i.kind != "stage_count"]
    lines: list[tuple[str, str]] = []
    if counts:
        lines.append(("stages", ", ".join(f"{i.subject} {int(i.value or 0):,}" for i in counts)))
    for number, insight in enumerate(changes[:limit]):
        lines.append(("changed" if number == 0 else "", insight.sentence))
    if len(changes) > limit:
        lines.append(("", f"... {len(changes) - limit} more in gold's run_insights"))
    if counts and not changes:
        lines.append(("changed", "no stage moves (first run) and no metric off its history"))
    return lines


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def _when(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
