"""The nightly run, stage by stage, with timings and a run log.

    generate (when the landing folder is empty) -> ingest -> dbt pre-scoring (silver + gold
    marts into the build file) -> recommend_read -> train -> score -> recommend -> dbt
    post-scoring -> gate -> publish gold

(the recommendations learn in a thread from ``recommend_read`` to ``recommend``, beside train
and score; only this thread touches the database files.)

Gold is only replaced at the very end, by a rename; a run that fails anywhere leaves the
published gold as it was. When no model can be trained (one stay per guest, one class), the
run still publishes the marts that need no model, with empty score tables: its status is
``partial`` and the reason is in the run log. Before publish, the plausibility gate
(``operations.gate``) compares the build with the published gold and stops a run that jumps
implausibly, unless ``accept_changes``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from guestloyalty.config import Settings
from guestloyalty.errors import (
    DiskFullError,
    NoDataError,
    PipelineLockedError,
    PlausibilityGateError,
    TrainingError,
)
from guestloyalty.faults import fault_point
from guestloyalty.operations.erasure_recovery import finish_interrupted_erasure
from guestloyalty.warehouse import Layout, connect, copy_state_into, publish_gold

if TYPE_CHECKING:
    from guestloyalty.synth.world import WorldSpec

RUN_LOG_DDL = """
create table if not exists run_log (
    run_id varchar,
    started_at timestamp,
    finished_at timestamp,
    status varchar,
    as_of_date date,
    stage_seconds varchar,
    message varchar
)
"""

Reporter = Callable[[str], None]


@dataclass
class RunReport:
    """What a run did: seconds per stage, rows per layer, model metrics, where gold is."""

    run_id: str
    stage_seconds: dict[str, float] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)
    gold_path: Path | None = None
    status: str = "running"
    stage: str = "start"
    #: Why the scores are absent (no model could be trained); None when the run scored.
    scores_missing: str | None = None
    #: Implausible changes against the published gold that --accept-changes let through.
    accepted_changes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def pipeline_lock(
    layout: Layout, *, wait: bool = False, report: Reporter | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on the data directory for the whole run.

    Without ``wait`` a second run fails at once with a clear message; with ``wait`` it blocks
    until the first one finishes. The lock is an OS file lock (``flock``), so it disappears
    with the process: a killed run (kill -9, power loss) leaves no stale lock behind, and the
    pid written into the lock file is only a hint for the message.
    """
    layout.data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(layout.lock_path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(layout)
            if not wait:
                raise PipelineLockedError(
                    f"another guestloyalty run{holder} holds {layout.data_dir} "
                    f"(lock {layout.lock_path}); wait for it to finish or pass --wait"
                ) from None
            if report is not None:
                report(f"waiting for the guestloyalty run{holder} that holds {layout.data_dir}")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    except BaseException:
        handle.close()
        raise
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _lock_holder(layout: Layout) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(layout.lock_path.read_text().strip())
        return f" (pid {pid})"
    return ""


def landing_has_files(layout: Layout) -> bool:
    return layout.landing_dir.exists() and any(
        path.is_file() for path in layout.landing_dir.rglob("*")
    )


def stage_generate(
    layout: Layout,
    *,
    guests: int,
    seed: int,
    spec: WorldSpec | None = None,
    truth_path: Path | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic world into landing and its truth file (default ``layout.truth_path``).

    Files a previous ``generate`` wrote (``<entity>/<entity>-NNNNN.parquet|csv``) are replaced;
    anything else in landing is left alone.
    """
    from guestloyalty.synth.world import WorldSpec, remove_generated, write_world

    spec = spec or WorldSpec(guests=guests, seed=seed)
    remove_generated(layout.landing_dir)
    result = write_world(
        spec,
        layout.landing_dir,
        truth_path=truth_path or layout.truth_path,
        workers=workers,
        progress=progress,
    )
    return dict(result.rows)


def stage_ingest(
    layout: Layout,
    paths: list[Path] | None = None,
    *,
    trust_landing_mappings: bool = False,
    report: Reporter | None = None,
) -> dict[str, object]:
    """Load landing into bronze; every refused file gets its line on ``report``."""
    from guestloyalty.ingest import ingest_paths, rows_by_entity

    if not paths and not landing_has_files(layout):
        if _bronze_has_rows(layout):
            return {"note": "landing is empty; using what bronze already holds"}
        raise NoDataError(
            f"no landing files under {layout.landing_dir}: run `guestloyalty generate` or "
            "drop exports into landing/<entity>/"
        )
    results = ingest_paths(layout, paths, trust_landing_mappings=trust_landing_mappings)
    return dict(rows_by_entity(results, report=report))


def _bronze_has_rows(layout: Layout) -> bool:
    if not layout.bronze_path.exists():
        return False
    from guestloyalty.contracts import ENTITIES

    with connect(layout.bronze_path, read_only=True) as con:
        tables = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        return any(
            con.sql(f"select count(*) from {entity}").fetchall()[0][0]
            for entity in ENTITIES
            if entity in tables
        )


def stage_transform(layout: Layout, settings: Settings) -> dict[str, object]:
    """Fresh gold build file, a dbt build of silver, the sentiment stage (reviews and
    complaints scored into the build), then a dbt build of the pre-scoring gold marts."""
    from guestloyalty.scoring.sentiment import score_sentiment
    from guestloyalty.transform import (
        PRE_SCORING_GOLD,
        PRE_SCORING_SILVER,
        keep_run_results,
        run_dbt,
    )
    from guestloyalty.warehouse import start_gold_build

    if not layout.bronze_path.exists():
        raise NoDataError(f"{layout.bronze_path} does not exist: run `guestloyalty ingest` first")
    layout.ensure_dirs()  # silver/ may be missing when bronze came from elsewhere
    start_gold_build(layout)
    silver = run_dbt(layout, settings, selection=PRE_SCORING_SILVER)
    keep_run_results(layout, "silver")
    started = time.perf_counter()
    scored = score_sentiment(layout, settings)
    sentiment_seconds = round(time.perf_counter() - started, 2)
    gold = run_dbt(layout, settings, selection=PRE_SCORING_GOLD)
    return {
        "dbt_nodes_passed": silver.passed + gold.passed,
        "sentiment_seconds": sentiment_seconds,
        **scored.details(),
    }


def build_silver(layout: Layout, settings: Settings) -> int:
    """Build silver from bronze in place (no gold); returns the dbt nodes that passed.

    For commands that read silver on their own (``backtest``) right after an ingest. The
    seeds silver reads go into a gold build file that is removed afterwards unless a build
    was already there; call it under :func:`pipeline_lock`.
    """
    from guestloyalty.transform import SILVER, run_dbt

    if not layout.bronze_path.exists():
        raise NoDataError(f"{layout.bronze_path} does not exist: run `guestloyalty ingest` first")
    layout.ensure_dirs()
    had_build = layout.build_dir.exists()
    layout.build_dir.mkdir(parents=True, exist_ok=True)
    try:
        return run_dbt(layout, settings, selection=SILVER).passed
    finally:
        if not had_build:
            shutil.rmtree(layout.build_dir, ignore_errors=True)


def stage_train(layout: Layout, settings: Settings) -> dict[str, object]:
    from guestloyalty.training.train import train_models

    _require_build(layout)
    result = train_models(layout, settings)
    return result.details()


def stage_score(layout: Layout, settings: Settings) -> dict[str, object]:
    from guestloyalty.scoring.score import score_current

    _require_build(layout)
    return score_current(layout, settings).details()


def stage_recommend(
    layout: Layout, settings: Settings, *, learning: Future | None = None
) -> dict[str, object]:
    """Learn item co-occurrence from the stays up to as_of; write ``guest_recommendations``.

    ``learning`` (from :func:`stage_recommend_read`): the lists learned beside train and
    score; only the write is left.
    """
    from guestloyalty.scoring.recommendations import score_recommendations, write_lists

    _require_build(layout)
    if learning is not None:
        return write_lists(layout, learning.result()).details()
    return score_recommendations(layout, settings).details()


def stage_recommend_read(
    layout: Layout, settings: Settings, pool: ThreadPoolExecutor
) -> tuple[dict[str, object], Future]:
    """Read what the recommend stage needs, then learn it in ``pool`` while train and score
    run: learning touches no database (numpy, scipy, polars), the read and the write happen
    here, so the build file is never written by two threads."""
    from guestloyalty.scoring.recommendations import learn_lists, read_inputs

    _require_build(layout)
    inputs = read_inputs(layout)
    return dict(inputs.seconds), pool.submit(learn_lists, inputs, settings)


def stage_no_scores(layout: Layout, reason: str) -> dict[str, object]:
    """No model could be trained: empty score tables, so the marts that need none still build."""
    from guestloyalty.scoring.score import write_empty_scores

    _require_build(layout)
    write_empty_scores(layout)
    return {"guests_scored": 0, "scores_missing": reason}


def stage_gate(
    layout: Layout,
    settings: Settings,
    *,
    accept_changes: bool,
    scores_missing: str | None = None,
) -> dict[str, object]:
    """Stop before publish when this run differs implausibly from the published gold."""
    from guestloyalty.operations.gate import check_run

    result = check_run(layout, settings)
    if result.changes and not accept_changes:
        why = f" (no model: {scores_missing})" if scores_missing else ""
        raise PlausibilityGateError(
            "this run differs implausibly from the published gold: "
            + "; ".join(result.changes)
            + why
            + f"; gold is unchanged ({layout.gold_path}): check those files "
            "(guestloyalty status), or rerun with --accept-changes to publish it"
        )
    return {"changes_accepted": len(result.changes), "changes": result.changes}


def stage_post_scoring(layout: Layout, settings: Settings) -> dict[str, object]:
    """The marts over the scores; with ``nba_targeting`` uplift, first ``guest_uplift`` (the
    uplift model of the past campaigns) for next_best_action to rank by."""
    from guestloyalty.transform import POST_SCORING, run_dbt

    details: dict[str, object] = {}
    if settings.nba_targeting == "uplift":
        from guestloyalty.campaigns.guest_uplift import write_guest_uplift

        details["nba_targeting"] = write_guest_uplift(layout, settings)
    result = run_dbt(layout, settings, selection=POST_SCORING)
    return {"dbt_nodes_passed": result.passed, **details}


def stage_publish(layout: Layout, report: RunReport) -> dict[str, object]:
    with connect(layout.gold_build_path) as con:
        copy_state_into(layout, con)
        counts = _table_counts(con)
    report.gold_path = publish_gold(layout)
    return {"gold_tables": counts}


def _table_counts(con) -> dict[str, int]:  # noqa: ANN001
    names = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'main' order by table_name"
        ).fetchall()
    ]
    return {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names}


def _require_build(layout: Layout) -> None:
    if not layout.gold_build_path.exists():
        raise NoDataError(
            f"no gold build at {layout.gold_build_path}: run `guestloyalty transform` first"
        )


def run_pipeline(
    layout: Layout,
    settings: Settings,
    *,
    generate: bool | None = None,
    guests: int = 30_000,
    report: Reporter = print,
    wait: bool = False,
    accept_changes: bool = False,
) -> RunReport:
    """Run every stage; ``generate=None`` generates a world only when landing is empty.

    ``wait`` waits for a run already holding the data directory instead of failing;
    ``accept_changes`` publishes a run that the plausibility gate would stop.
    """
    layout.ensure_dirs()
    with pipeline_lock(layout, wait=wait, report=report):
        # microseconds: a killed run and its rerun can start within the same second
        run = RunReport(run_id=dt.datetime.now(dt.UTC).strftime("run-%Y%m%dT%H%M%S-%f"))
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        interrupted = _close_interrupted_runs(layout)
        finish_interrupted_erasure(layout)
        if interrupted:
            report(
                f"previous run {', '.join(interrupted)} stopped before finishing "
                "(killed or crashed); gold is as the last completed run published it; "
                "starting cleanly"
            )
        _log_run(layout, run, started)
        try:
            if generate or (generate is None and not landing_has_files(layout)):
                _timed(
                    run,
                    "generate",
                    report,
                    lambda: stage_generate(layout, guests=guests, seed=settings.seed),
                )
            if settings.engine == "spark":
                _spark_stages(layout, settings, run, report, accept_changes=accept_changes)
                _log_run(layout, run, started, message=_run_message(run))
                _timed(run, "publish", report, lambda: _spark_publish(layout, settings, run))
                return run
            _timed(
                run,
                "ingest",
                report,
                lambda: stage_ingest(
                    layout, trust_landing_mappings=settings.trust_landing_mappings, report=report
                ),
            )
            _timed(run, "transform", report, lambda: stage_transform(layout, settings))
            # recommendations learn on the other core while train and score run (one thread
            # each, mostly); the stage's read and write stay on this thread
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="recommend") as pool:
                learning: list[Future] = []

                def read() -> dict[str, object]:
                    details, future = stage_recommend_read(layout, settings, pool)
                    learning.append(future)
                    return details

                _timed(run, "recommend_read", report, read)
                try:
                    _timed(run, "train", report, lambda: stage_train(layout, settings))
                except TrainingError as error:
                    run.scores_missing = _first_line(error)
                    report(f"[train] no model: {run.scores_missing}")
                if run.scores_missing is None:
                    _timed(run, "score", report, lambda: stage_score(layout, settings))
                else:
                    reason = run.scores_missing
                    _timed(run, "score", report, lambda: stage_no_scores(layout, reason))
                _timed(
                    run,
                    "recommend",
                    report,
                    lambda: stage_recommend(layout, settings, learning=learning[0]),
                )
            _timed(run, "post_scoring", report, lambda: stage_post_scoring(layout, settings))
            _timed(
                run,
                "gate",
                report,
                lambda: stage_gate(
                    layout,
                    settings,
                    accept_changes=accept_changes,
                    scores_missing=run.scores_missing,
                ),
            )
            run.accepted_changes = list(run.details["gate"].get("changes", []))  # type: ignore[union-attr]
            run.status = "succeeded" if run.scores_missing is None else "partial"
            _log_run(layout, run, started, message=_run_message(run))
            _timed(run, "publish", report, lambda: stage_publish(layout, run))
        except BaseException as error:
            run.status = "failed"
            # The failure may be the disk itself: never let logging it hide the real error.
            with contextlib.suppress(Exception):
                _log_run(layout, run, started, message=_first_line(error))
            if _is_disk_full(error):
                raise DiskFullError(
                    f"no space left on the disk of {layout.data_dir} during {run.stage}: "
                    f"free some space and run again; gold is unchanged ({layout.gold_path})"
                ) from error
            raise
    return run


def _spark_stages(
    layout: Layout,
    settings: Settings,
    run: RunReport,
    report: Reporter,
    *,
    accept_changes: bool,
) -> None:
    """The stages up to the gate on the Spark engine (operations.spark_stages)."""
    from guestloyalty.operations import spark_stages as spark

    _timed(run, "ingest", report, lambda: spark.stage_ingest(layout, settings, report=report))
    _timed(
        run,
        "transform",
        report,
        lambda: spark.stage_transform(layout, settings, run_id=run.run_id),
    )
    try:
        _timed(run, "train", report, lambda: spark.stage_train(layout, settings))
    except TrainingError as error:
        run.scores_missing = _first_line(error)
        report(f"[train] no model: {run.scores_missing}")
    if run.scores_missing is None:
        _timed(run, "score", report, lambda: spark.stage_score(layout, settings))
    else:
        reason = run.scores_missing
        _timed(run, "score", report, lambda: spark.stage_no_scores(layout, settings, reason))
    _timed(run, "recommend", report, lambda: spark.stage_recommend(layout, settings))
    _timed(run, "post_scoring", report, lambda: spark.stage_post_scoring(layout, settings))
    _timed(
        run,
        "gate",
        report,
        lambda: stage_gate(
            spark.gate_inputs(layout, settings),
            settings,
            accept_changes=accept_changes,
            scores_missing=run.scores_missing,
        ),
    )
    run.accepted_changes = list(run.details["gate"].get("changes", []))  # type: ignore[union-attr]
    run.status = "succeeded" if run.scores_missing is None else "partial"


def _spark_publish(layout: Layout, settings: Settings, run: RunReport) -> dict[str, object]:
    from guestloyalty.operations.spark_stages import stage_publish

    details = stage_publish(layout, settings)
    run.gold_path = Path(str(details["gold_dir"]))
    return details


def _run_message(run: RunReport) -> str:
    parts = []
    if run.scores_missing:
        parts.append(f"published without scores: {run.scores_missing}")
    if run.accepted_changes:
        parts.append("changes accepted: " + "; ".join(run.accepted_changes))
    return " | ".join(parts)[:500]


def _timed(run: RunReport, stage: str, report: Reporter, work: Callable[[], object]) -> None:
    report(f"[{stage}] ...")
    run.stage = stage
    fault_point(f"{stage}:start")
    began = time.perf_counter()
    details = work()
    fault_point(f"{stage}:end")
    seconds = time.perf_counter() - began
    run.stage_seconds[stage] = round(seconds, 2)
    run.details[stage] = details
    report(f"[{stage}] done in {seconds:.1f}s: {_short(details)}")


def _short(details: object) -> str:
    if isinstance(details, dict):
        return (
            ", ".join(
                f"{key}={value}" for key, value in details.items() if not isinstance(value, dict)
            )
            or "ok"
        )
    return str(details)


def _is_disk_full(error: BaseException) -> bool:
    """ENOSPC from Python, or DuckDB / dbt reporting it in their own exception types."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        if "no space left on device" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:500]


def _close_interrupted_runs(layout: Layout) -> list[str]:
    """Mark runs that never finished as interrupted; only call while holding the lock.

    A run is logged ``running`` when it starts and ``succeeded`` just before it publishes (so
    that the published gold carries its own row). A run still ``running`` was killed; a
    ``succeeded`` run missing from the published gold's run log was killed while publishing.
    """
    if not layout.state_path.exists():
        return []
    published = _published_run_ids(layout)
    with connect(layout.state_path) as con:
        con.execute(RUN_LOG_DDL)
        rows = con.execute("select run_id, status from run_log order by started_at desc").fetchall()
        stale = [run_id for run_id, status in rows if status == "running"]
        latest_success = next(
            (run_id for run_id, status in rows if status in ("succeeded", "partial")), None
        )
        if latest_success is not None and latest_success not in published:
            stale.append(latest_success)
        for run_id in stale:
            con.execute(
                "update run_log set status = 'interrupted', message = ? where run_id = ?",
                [
                    "the process stopped before the run finished (killed, crashed or power "
                    "loss); gold was not replaced",
                    run_id,
                ],
            )
    return sorted(stale)


def _published_run_ids(layout: Layout) -> set[str]:
    spark_ids: set[str] = set()
    with contextlib.suppress(Exception):
        from guestloyalty.operations.spark_stages import published_run_ids

        spark_ids = published_run_ids(layout)
    with contextlib.suppress(Exception):
        with connect(layout.gold_path, read_only=True) as con:
            return spark_ids | {
                row[0] for row in con.execute("select run_id from run_log").fetchall()
            }
    return spark_ids


def _log_run(layout: Layout, run: RunReport, started: dt.datetime, *, message: str = "") -> None:
    as_of = None
    with contextlib.suppress(Exception):
        if layout.gold_build_path.exists():
            with connect(layout.gold_build_path, read_only=True) as con:
                as_of = con.execute("select as_of_date from run_context").fetchone()[0]
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(layout.state_path) as con:
        con.execute(RUN_LOG_DDL)
        con.execute("delete from run_log where run_id = ?", [run.run_id])
        con.execute(
            "insert into run_log values (?, ?, ?, ?, ?, ?, ?)",
            [
                run.run_id,
                started,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                run.status,
                as_of,
                json.dumps(run.stage_seconds),
                message,
            ],
        )
