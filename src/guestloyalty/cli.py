"""The ``guestloyalty`` command line. Thin: parse options, call library functions.

Heavy libraries (xgboost, scikit-learn, dbt) are imported inside the commands that need them,
so ``guestloyalty --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from guestloyalty.config import DEFAULT_HORIZON_DAYS, Settings
from guestloyalty.errors import ConfigError, GuestLoyaltyError
from guestloyalty.warehouse import Layout

app = typer.Typer(
    name="guestloyalty",
    help="Hotel guest loyalty: churn risk, lifetime value and segments from your exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="GUESTLOYALTY_DATA_DIR",
        help="Data directory holding bronze/, silver/, gold/ (env GUESTLOYALTY_DATA_DIR).",
    ),
]
AsOf = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Cut-off date YYYY-MM-DD; nothing after it is used. Default: latest event date.",
    ),
]
Horizon = Annotated[
    int,
    typer.Option("--horizon-days", min=1, max=3650, help="Churn / CLV horizon in days."),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")]


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        envvar="GUESTLOYALTY_ENGINE",
        help="duckdb (files per layer) or spark (Spark tables under <data>/spark; needs the "
        "spark extra of the package and Java 17+).",
    ),
]
SparkMaster = Annotated[
    str,
    typer.Option(
        "--spark-master",
        envvar="GUESTLOYALTY_SPARK_MASTER",
        help="Spark master of --engine spark: local[*], local[N] or a cluster URL.",
    ),
]
SparkConf = Annotated[
    list[str] | None,
    typer.Option(
        "--spark-conf",
        help="KEY=VALUE Spark setting of --engine spark (repeatable), e.g. "
        "spark.sql.shuffle.partitions=4.",
    ),
]
TrustLanding = Annotated[
    bool,
    typer.Option(
        "--trust-landing-mappings",
        envvar="GUESTLOYALTY_TRUST_LANDING_MAPPINGS",
        help="Honour every mapping.yaml found in landing, not only those trusted with "
        "`guestloyalty trust-mapping` (env GUESTLOYALTY_TRUST_LANDING_MAPPINGS=1).",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])


def _debug() -> bool:
    return os.environ.get("GUESTLOYALTY_DEBUG", "") not in ("", "0")


#: `pipeline` published gold without scores (no model could be trained).
PARTIAL_EXIT_CODE = 8


def handles_errors(command: F) -> F:
    """Turn GuestLoyaltyError into one line on stderr and a non-zero exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GuestLoyaltyError as error:
            if _debug():
                raise
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _settings(
    data_dir: Path,
    *,
    as_of: dt.datetime | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    seed: int = 42,
    trust_landing_mappings: bool = False,
    engine: Engine = Engine.duckdb,
    spark_master: str = "local[*]",
    spark_conf: list[str] | None = None,
    nba_targeting: str = "risk",
    nba_offer_cost: float = 0.0,
) -> Settings:
    if nba_targeting not in ("risk", "uplift"):
        raise ConfigError(f"--nba-targeting must be risk or uplift (got {nba_targeting!r})")
    if nba_targeting == "uplift" and engine == Engine.spark:
        raise ConfigError("--nba-targeting uplift runs on the duckdb engine only (for now)")
    pairs = {}
    for item in spark_conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--spark-conf {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value.strip()
    return Settings(
        data_dir=data_dir,
        as_of=as_of.date() if as_of else None,
        horizon_days=horizon_days,
        seed=seed,
        trust_landing_mappings=trust_landing_mappings,
        engine=engine.value,
        spark_master=spark_master,
        spark_conf=pairs,
        nba_targeting=nba_targeting,
        nba_offer_cost=nba_offer_cost,
    )


def _say(message: str) -> None:
    typer.echo(message, err=True)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """Hotel guest loyalty: churn risk, lifetime value and segments from your exports."""
    if debug:
        os.environ["GUESTLOYALTY_DEBUG"] = "1"


@app.command()
@handles_errors
def generate(
    data_dir: DataDir = Path("data"),
    guests: Annotated[int, typer.Option("--guests", min=1, help="Number of people.")] = 30_000,
    seed: Seed = 42,
    start: Annotated[
        dt.datetime,
        typer.Option("--start", formats=["%Y-%m-%d"], help="First day of the world."),
    ] = dt.datetime(2021, 1, 1),
    end: Annotated[
        dt.datetime,
        typer.Option(
            "--end", formats=["%Y-%m-%d"], help="Last day of the world (no event after it)."
        ),
    ] = dt.datetime(2025, 12, 31),
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help="Where to write the truth file (latent traits, dropout dates). "
            "Default: <data-dir>/truth/truth.parquet, never ingested.",
        ),
    ] = None,
    dirty_rate: Annotated[
        float,
        typer.Option(
            "--dirty-rate",
            min=0.0,
            max=0.2,
            help="Share of rows per kind of wart (NULL strings, blanks, bad dates, negative "
            "amounts, duplicates); 0 for a clean export.",
        ),
    ] = 0.002,
    file_format: Annotated[
        str, typer.Option("--format", help="File format of the landing files: parquet or csv.")
    ] = "parquet",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes generating chunks of 100,000 people (default: up to 2); the files "
            "are the same whatever the number.",
        ),
    ] = None,
    scenario: Annotated[
        str,
        typer.Option(
            "--scenario",
            help="stationary (a steady guest base) or changing (acquisitions grow 70 % a "
            "year; for 12 months from 18 months before --end trips fall by purpose, business "
            "to 15 %).",
        ),
    ] = "stationary",
) -> None:
    """Generate a synthetic hotel world into the landing folder, and its truth file."""
    from guestloyalty.operations.pipeline import pipeline_lock, stage_generate
    from guestloyalty.synth.world import (
        WorldSpec,
        WorldSpecError,
        changing,
        chunk_count,
        default_workers,
    )

    spec = WorldSpec(
        guests=guests,
        seed=seed,
        start=start.date(),
        end=end.date(),
        dirty_rate=dirty_rate,
        file_format=file_format,  # type: ignore[arg-type]
    )
    if scenario not in ("stationary", "changing"):
        raise WorldSpecError(f"--scenario must be stationary or changing (got {scenario!r})")
    if scenario == "changing":
        spec = changing(spec)
    spec.check()
    layout = Layout(data_dir)
    layout.ensure_dirs()
    total = chunk_count(spec)

    def progress(done: int, of: int) -> None:
        if of > 1:
            _say(f"  chunk {done}/{of} written")

    truth_path = truth or layout.truth_path
    with pipeline_lock(layout):
        counts = stage_generate(
            layout,
            guests=guests,
            seed=seed,
            spec=spec,
            truth_path=truth_path,
            workers=workers or default_workers(),
            progress=progress if total > 1 else None,
        )
    for entity, rows in counts.items():
        _say(f"{entity:>20}: {rows:>10,} rows -> {layout.landing_entity_dir(entity)}")
    _say(f"{'truth':>20}: {truth_path}")


@app.command()
@handles_errors
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to load (default: the whole landing folder)."),
    ] = None,
    data_dir: DataDir = Path("data"),
    entity: Annotated[
        str | None,
        typer.Option("--entity", help="Entity of the files (default: their landing folder)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="YAML mapping that turns a foreign export into an entity (see mappings/).",
        ),
    ] = None,
    trust_landing_mappings: TrustLanding = False,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    spark_conf: SparkConf = None,
) -> None:
    """Load CSV, TSV, Parquet and JSON Lines files (and .gz) into bronze, as text.

    A file already loaded (same content hash) is skipped. A file that cannot be loaded is
    reported on one line and leaves nothing behind; the other files still load, and the exit
    code is non-zero.
    """
    from guestloyalty.ingest import ingest_paths, load_mapping
    from guestloyalty.operations.pipeline import pipeline_lock

    loaded_mapping = load_mapping(mapping) if mapping is not None else None
    layout = Layout(data_dir)
    settings = _settings(data_dir, engine=engine, spark_master=spark_master, spark_conf=spark_conf)
    with pipeline_lock(layout):
        if settings.engine == "spark":
            results = _spark_ingest(layout, settings, paths, entity=entity, mapping=mapping)
        else:
            results = ingest_paths(
                layout,
                paths or None,
                entity=entity,
                mapping=loaded_mapping,
                report=_say,
                trust_landing_mappings=trust_landing_mappings,
            )
    failed = [r.error for r in results if r.error is not None]
    if failed and _debug():
        raise failed[0]
    if len(results) > 1:
        loaded = [r for r in results if r.error is None and not r.skipped]
        skipped = sum(1 for r in results if r.skipped)
        rows = sum(r.rows for r in loaded)
        _say(
            f"{len(results)} files: {len(loaded)} loaded ({rows:,} rows), {skipped} already "
            f"loaded, {len(failed)} refused"
        )
    if failed:
        raise typer.Exit(failed[0].exit_code)


def _spark_ingest(
    layout: Layout,
    settings: Settings,
    paths: list[Path] | None,
    *,
    entity: str | None,
    mapping: Path | None,
) -> list:
    from guestloyalty.ingest.loader import describe
    from guestloyalty.ingest.spark import ingest_paths as spark_ingest
    from guestloyalty.operations.spark_stages import spark_session

    if entity is not None or mapping is not None:
        raise ConfigError(
            "--entity and --mapping load on the DuckDB engine only; on --engine spark put the "
            "files under landing/<entity>/ with the contract's columns"
        )
    results = spark_ingest(spark_session(layout, settings), layout, paths or None)
    for result in results:
        _say(describe(result))
    return results


@app.command()
@handles_errors
def transform(
    data_dir: DataDir = Path("data"),
    as_of: AsOf = None,
    horizon_days: Horizon = DEFAULT_HORIZON_DAYS,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    spark_conf: SparkConf = None,
) -> None:
    """Build silver and the gold marts (into the gold build file) with dbt."""
    from guestloyalty.operations import spark_stages
    from guestloyalty.operations.pipeline import pipeline_lock, stage_transform

    settings = _settings(
        data_dir,
        as_of=as_of,
        horizon_days=horizon_days,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
    )
    layout = Layout(data_dir)
    with pipeline_lock(layout):
        if settings.engine == "spark":
            run_id = dt.datetime.now(dt.UTC).strftime("transform-%Y%m%dT%H%M%S-%f")
            details = spark_stages.stage_transform(layout, settings, run_id=run_id)
        else:
            details = stage_transform(layout, settings)
    _say(f"dbt: {details['dbt_nodes_passed']} nodes passed; run `guestloyalty train` next")


@app.command()
@handles_errors
def train(
    data_dir: DataDir = Path("data"),
    horizon_days: Horizon = DEFAULT_HORIZON_DAYS,
    seed: Seed = 42,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    spark_conf: SparkConf = None,
) -> None:
    """Train churn and CLV models on the labeled feature snapshots and register them."""
    from guestloyalty.operations import spark_stages
    from guestloyalty.operations.pipeline import pipeline_lock, stage_train

    layout = Layout(data_dir)
    settings = _settings(
        data_dir,
        horizon_days=horizon_days,
        seed=seed,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
    )
    with pipeline_lock(layout):
        if settings.engine == "spark":
            details = spark_stages.stage_train(layout, settings)
        else:
            details = stage_train(layout, settings)
    _say(json.dumps(details, indent=2, default=str))


@app.command()
@handles_errors
def score(
    data_dir: DataDir = Path("data"),
    as_of: AsOf = None,
    horizon_days: Horizon = DEFAULT_HORIZON_DAYS,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    spark_conf: SparkConf = None,
) -> None:
    """Score every guest at as_of with the promoted models, then publish gold."""
    from guestloyalty.operations import spark_stages
    from guestloyalty.operations.pipeline import (
        RunReport,
        pipeline_lock,
        stage_post_scoring,
        stage_publish,
        stage_recommend,
        stage_score,
    )

    layout = Layout(data_dir)
    settings = _settings(
        data_dir,
        as_of=as_of,
        horizon_days=horizon_days,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
    )
    run = RunReport(run_id="score")
    with pipeline_lock(layout):
        if settings.engine == "spark":
            scored = spark_stages.stage_score(layout, settings)
            spark_stages.stage_recommend(layout, settings)
            spark_stages.stage_post_scoring(layout, settings)
            run.gold_path = Path(str(spark_stages.stage_publish(layout, settings)["gold_dir"]))
        else:
            scored = stage_score(layout, settings)
            stage_recommend(layout, settings)
            stage_post_scoring(layout, settings)
            stage_publish(layout, run)
    _say(f"scored {scored['guests_scored']:,} guests; gold published at {run.gold_path}")
    if scored.get("drift_warnings") not in (None, "none"):
        _say(f"warning: feature drift (PSI > 0.2): {scored['drift_warnings']}")
    if scored.get("segment_moves") is not None:
        _say(f"segments: {scored['segment_moves']:,} guests moved since the previous run")


@app.command("trust-mapping")
@handles_errors
def trust_mapping(
    paths: Annotated[list[Path], typer.Argument(help="Mapping files to trust in landing.")],
    data_dir: DataDir = Path("data"),
) -> None:
    """Trust mapping files found in landing: check each, then record its SHA-256.

    A mapping.yaml in landing/<entity>/ is used only once trusted (or with
    --trust-landing-mappings). Changing a single byte of the file needs a new trust.
    """
    from guestloyalty.ingest.trust import trust_mapping as record_trust

    layout = Layout(data_dir)
    for path in paths:
        digest = record_trust(layout, path)
        typer.echo(f"trusted {path} (sha256 {digest}) in {layout.trusted_mappings_path}")


@app.command()
@handles_errors
def pipeline(
    data_dir: DataDir = Path("data"),
    as_of: AsOf = None,
    horizon_days: Horizon = DEFAULT_HORIZON_DAYS,
    seed: Seed = 42,
    guests: Annotated[
        int, typer.Option("--guests", min=1, help="Guests to generate when landing is empty.")
    ] = 30_000,
    generate: Annotated[
        bool | None,
        typer.Option(
            "--generate/--no-generate",
            help="Generate a synthetic world first (default: only when landing is empty).",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another run holds the data directory, wait for it instead of failing.",
        ),
    ] = False,
    accept_changes: Annotated[
        bool,
        typer.Option(
            "--accept-changes",
            help="Publish even when this run differs implausibly from the published gold "
            "(as_of jump, quarantine share, scored guests, revenue); see README.",
        ),
    ] = False,
    trust_landing_mappings: TrustLanding = False,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    spark_conf: SparkConf = None,
    nba_targeting: Annotated[
        str,
        typer.Option(
            "--nba-targeting",
            envvar="GUESTLOYALTY_NBA_TARGETING",
            help="Whom next_best_action ranks first (target_rank): risk (churn probability) "
            "or uplift (expected incremental value minus cost, learned from past campaigns "
            "with holdouts; risk when there are too few).",
        ),
    ] = "risk",
    offer_cost: Annotated[
        float,
        typer.Option(
            "--offer-cost", min=0.0, help="Cost of one offer, for --nba-targeting uplift."
        ),
    ] = 0.0,
) -> None:
    """Run every stage: (generate) ingest, transform, train, score, publish gold.

    Exit code 7: stopped before publish by the plausibility gate (gold unchanged); 8: published
    without scores (no model could be trained; the marts that need none are in gold).
    """
    from guestloyalty.operations.pipeline import run_pipeline
    from guestloyalty.operations.summary import StageProgress, run_summary

    layout = Layout(data_dir)
    settings = _settings(
        data_dir,
        as_of=as_of,
        horizon_days=horizon_days,
        seed=seed,
        trust_landing_mappings=trust_landing_mappings,
        engine=engine,
        spark_master=spark_master,
        spark_conf=spark_conf,
        nba_targeting=nba_targeting,
        nba_offer_cost=offer_cost,
    )
    if settings.engine == "spark":
        from guestloyalty.warehouse.spark import require_pyspark

        require_pyspark()
    with StageProgress() as progress:
        run = run_pipeline(
            layout,
            settings,
            generate=generate,
            guests=guests,
            report=progress.report,
            wait=wait,
            accept_changes=accept_changes,
        )
    for line in run_summary(layout, run) if settings.engine == "duckdb" else _spark_summary(run):
        _say(line)
    if run.status == "partial":
        raise typer.Exit(PARTIAL_EXIT_CODE)


def _spark_summary(run: Any) -> list[str]:
    total = sum(run.stage_seconds.values())
    publish = run.details.get("publish", {})
    tables = publish.get("gold_tables", {})
    return [
        f"pipeline {run.status} in {total:.1f}s (run {run.run_id}, engine spark)",
        "  stages   "
        + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in run.stage_seconds.items()),
        f"  gold     schema {publish.get('gold_schema')}: {sum(tables.values()):,} rows in "
        f"{len(tables)} tables ({run.gold_path})",
    ]


@app.command()
@handles_errors
def status(
    data_dir: DataDir = Path("data"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Last run, gold, promoted models and their metrics, drift, rows per layer (read-only)."""
    from guestloyalty.operations.status import collect_status, format_status

    result = collect_status(Layout(data_dir))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    for line in format_status(result):
        typer.echo(line)


@app.command()
@handles_errors
def backtest(
    data_dir: DataDir = Path("data"),
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Date to train and score as of (default: one horizon before the last stay).",
        ),
    ] = None,
    horizon_days: Horizon = DEFAULT_HORIZON_DAYS,
    seed: Seed = 42,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    keep_scratch: Annotated[
        bool, typer.Option("--keep-scratch", help="Keep the scratch build for inspection.")
    ] = False,
) -> None:
    """Train and score as of a past date, compare with what happened after, next to BG/NBD."""
    from guestloyalty.operations.backtest import result_json, run_backtest

    settings = _settings(data_dir, horizon_days=horizon_days, seed=seed)
    result = run_backtest(
        Layout(data_dir),
        settings,
        as_of=as_of.date() if as_of else None,
        report=_say,
        keep_scratch=keep_scratch,
    )
    typer.echo(result_json(result) if as_json else result.render())


@app.command()
@handles_errors
def report(
    data_dir: DataDir = Path("data"),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="HTML file to write (default <data>/reports/report.html)."
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML report: model quality, segments, actions, business trends."""
    from guestloyalty.reporting.report import write_report

    path = write_report(Layout(data_dir), _settings(data_dir), output)
    _say(f"report written to {path}")


@app.command()
@handles_errors
def forget(
    guest_id: Annotated[str, typer.Argument(help="The guest's id (resolved or source id).")],
    data_dir: DataDir = Path("data"),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was erased as JSON.")] = False,
) -> None:
    """Erase one person (GDPR Art. 17) from landing, bronze, silver, gold and score history."""
    from guestloyalty.operations.erasure import forget_guest, settings_of_last_run

    layout = Layout(data_dir)
    settings = settings_of_last_run(layout, _settings(data_dir))
    result = forget_guest(layout, settings, guest_id, report=_say)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    _say(
        f"erased: {result.source_ids} linked source id(s), "
        f"{sum(result.bronze_rows_deleted.values())} bronze row(s), "
        f"{result.score_history_rows_deleted} score history row(s), "
        f"{result.landing_files_rewritten} landing file(s) rewritten; "
        + ("gold rebuilt and published" if result.gold_rebuilt else "gold not rebuilt")
    )


@app.command()
@handles_errors
def docs(data_dir: DataDir = Path("data")) -> None:
    """Build the dbt docs catalog (every silver and gold table and column) in <data>/dbt/target."""
    from guestloyalty.operations.pipeline import pipeline_lock
    from guestloyalty.transform import generate_docs

    layout = Layout(data_dir)
    with pipeline_lock(layout):
        page = generate_docs(layout, _settings(data_dir))
    _say(f"docs: open {page} in a browser (one self-contained file)")


@app.command("score-guest")
@handles_errors
def score_guest(
    guest_id: Annotated[
        str, typer.Argument(help="The guest's id: ours, or any source system's (identity map).")
    ],
    data_dir: DataDir = Path("data"),
    source_system: Annotated[
        str | None,
        typer.Option(
            "--source-system", help="Look the id up in this source system only (identity map)."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON (schema: guestloyalty.serving.guest.GuestScore)."),
    ] = False,
) -> None:
    """Score one guest live: churn risk, CLV, segment, reasons and the next best action."""
    from guestloyalty.serving.guest import render_text, score_one_guest, to_json

    result = score_one_guest(
        Layout(data_dir), _settings(data_dir), guest_id, source_system=source_system
    )
    typer.echo(to_json(result) if as_json else render_text(result))


@app.command()
@handles_errors
def sql(
    data_dir: DataDir = Path("data"),
    command: Annotated[
        str | None,
        typer.Option("-c", "--command", help="Run this SQL (statements split by ;) and exit."),
    ] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print results as CSV.")] = False,
) -> None:
    """A read-only SQL prompt over the published gold; -c "select ..." runs one query."""
    from guestloyalty.queries import shell
    from guestloyalty.warehouse import connect

    layout = Layout(data_dir)
    interactive = command is None and sys.stdin.isatty()
    with connect(layout.gold_path, read_only=True) as con:
        if command is not None:
            for text in shell.run(con, command, as_csv=as_csv):
                typer.echo(text)
            return
        if interactive:
            _say(f"{layout.gold_path} (read-only): statements end with ;  .help  .quit")
        lines = shell.prompt_lines() if interactive else (line.rstrip("\n") for line in sys.stdin)
        failures = shell.session(con, lines, write=typer.echo, warn=_say, as_csv=as_csv)
    if failures and not interactive:
        raise typer.Exit(1)


query_app = typer.Typer(
    help="Named, parameterised questions over gold (list, show, run).", no_args_is_help=True
)
app.add_typer(query_app, name="query")


@query_app.command("list")
@handles_errors
def query_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the named queries with their one-line descriptions and parameters."""
    from guestloyalty.queries import catalog

    queries = catalog()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": q.name,
                        "description": q.description,
                        "requires": list(q.requires),
                        "params": [
                            {"name": p.name, "type": p.type, "default": p.default, "help": p.help}
                            for p in q.params
                        ],
                    }
                    for q in queries.values()
                ],
                indent=2,
                default=str,
            )
        )
        return
    width = max(len(name) for name in queries)
    for query in queries.values():
        typer.echo(f"{query.name:<{width}}  {query.description}")
        for param in query.params:
            default = "null" if param.default is None else param.default
            typer.echo(
                f"{'':<{width}}    --param {param.name}={default}  ({param.type}) {param.help}"
            )


@query_app.command("show")
@handles_errors
def query_show(name: Annotated[str, typer.Argument(help="Query name (see `query list`).")]) -> None:
    """Print a named query's description, parameters and SQL."""
    from guestloyalty.queries import get

    query = get(name)
    typer.echo(f"-- {query.description}")
    for param in query.params:
        default = "null" if param.default is None else param.default
        typer.echo(f"-- @param {param.name} {param.type} = {default} : {param.help}")
    if query.requires:
        typer.echo(f"-- @requires {', '.join(query.requires)}")
    typer.echo(query.sql)


@query_app.command("run")
@handles_errors
def query_run(
    name: Annotated[str, typer.Argument(help="Query name (see `query list`).")],
    data_dir: DataDir = Path("data"),
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE; repeat for several (bound, never pasted)."),
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Write every row to this CSV file.")
    ] = None,
    parquet_path: Annotated[
        Path | None, typer.Option("--parquet", help="Write every row to this Parquet file.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=0, help="At most this many rows.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON.")] = False,
) -> None:
    """Run a named query on the published gold (read-only) and print or save the rows."""
    from guestloyalty.queries import get, parse_assignments, relation
    from guestloyalty.warehouse import connect

    query = get(name)
    values = query.values(parse_assignments(param))
    layout = Layout(data_dir)
    with connect(layout.gold_path, read_only=True) as con:
        rel = relation(con, query, values, limit=limit)
        if csv_path or parquet_path:
            for target in (csv_path, parquet_path):
                if target is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
            if csv_path:
                rel.write_csv(str(csv_path))
                _say(f"wrote {csv_path}")
            if parquet_path:
                rel.write_parquet(str(parquet_path))
                _say(f"wrote {parquet_path}")
            return
        columns = list(rel.columns)
        shown = limit if limit is not None else 50
        rows = rel.limit(shown + 1).fetchall()
    more = len(rows) > shown
    rows = rows[:shown]
    if as_json:
        typer.echo(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str))
    else:
        typer.echo(_table(columns, rows))
    if more:
        _say(f"(first {shown} rows shown; --limit N for more, --csv/--parquet FILE for all)")


campaign_app = typer.Typer(
    help="Campaigns with a randomized holdout: create the contact list, simulate targeting.",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign")


@campaign_app.command("create")
@handles_errors
def campaign_create(
    name: Annotated[str, typer.Argument(help="Campaign id (letters, digits, . _ -).")],
    source: Annotated[
        str,
        typer.Option(
            "--from", help="at_risk_guests, next_best_action or query:<name> (a guest_id list)."
        ),
    ],
    data_dir: DataDir = Path("data"),
    holdout: Annotated[
        float, typer.Option("--holdout", min=0.0, max=0.99, help="Share held out (control).")
    ] = 0.1,
    offer: Annotated[
        str | None, typer.Option("--offer", help="Offer id (offer_catalog) for every guest.")
    ] = None,
    seed: Seed = 0,
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="risk: the list's own order; uplift: expected incremental value minus cost "
            "(learned from past campaigns).",
        ),
    ] = "risk",
    budget: Annotated[
        int | None, typer.Option("--budget", min=1, help="At most this many guests.")
    ] = None,
    window_days: Annotated[
        int, typer.Option("--window-days", min=1, max=730, help="Days a return counts.")
    ] = 60,
    cost: Annotated[
        float | None, typer.Option("--cost", min=0.0, help="Cost of one offer sent.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write a campaign's contact list (treatment only) and its members (both groups) to
    landing/campaign_members/, for the next ingest to measure."""
    from guestloyalty.campaigns.create import create_campaign

    result = create_campaign(
        Layout(data_dir),
        name,
        source=source,
        holdout=holdout,
        offer_id=offer,
        seed=seed,
        targeting=target,
        budget=budget,
        window_days=window_days,
        offer_cost=cost,
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "campaign_id": result.campaign_id,
                    "selected_from": result.selected_from,
                    "targeting": result.targeting,
                    "listed": result.listed,
                    "not_contactable": result.not_contactable,
                    "treatment": result.treatment,
                    "control": result.control,
                    "assigned_at": result.assigned_at.isoformat(),
                    "members": str(result.members_path),
                    "contacts": str(result.contacts_path),
                    "notes": result.notes,
                },
                indent=2,
            )
        )
        return
    typer.echo(
        f"campaign {result.campaign_id}: {result.treatment} to contact, {result.control} held "
        f"out ({result.listed} listed by {result.selected_from}, {result.not_contactable} "
        "without marketing consent left out)"
    )
    for note in result.notes:
        typer.echo(f"  {note}")
    typer.echo(f"  contact list: {result.contacts_path}")
    typer.echo(f"  members (next ingest measures them): {result.members_path}")


@campaign_app.command("simulate")
@handles_errors
def campaign_simulate(
    data_dir: DataDir = Path("data"),
    budget: Annotated[
        list[int] | None, typer.Option("--budget", min=1, help="Offers to send; repeat.")
    ] = None,
    cost: Annotated[float, typer.Option("--cost", min=0.0, help="Cost of one offer.")] = 0.0,
    draws: Annotated[
        int, typer.Option("--draws", min=1, max=200, help="Model refits for the intervals.")
    ] = 10,
    seed: Seed = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What-if for N offers: incremental stays and revenue by uplift x value, churn risk,
    value or at random, with 95% intervals."""
    from guestloyalty.campaigns.simulate import simulate_budgets

    result = simulate_budgets(Layout(data_dir), budget or [1000], cost=cost, draws=draws, seed=seed)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "learner": result.learner,
                    "qini_by_learner": result.qini_by_learner,
                    "training_members": result.training_members,
                    "campaigns": result.campaigns,
                    "candidates": result.candidates,
                    "rows": [row.as_dict() for row in result.rows],
                },
                indent=2,
            )
        )
        return
    _say(
        f"uplift model: {result.learner} (held-out Qini by learner: "
        + ", ".join(f"{k} {v:.3f}" for k, v in result.qini_by_learner.items())
        + f"), from {result.training_members} members of {result.campaigns} campaigns; "
        f"{result.candidates} guests we may contact"
    )
    columns = ["strategy", "offers", "incremental_stays", "95% interval", "incremental_revenue",
               "95% interval ", "offer_cost", "net_value"]  # fmt: skip
    rows = [
        (
            r.strategy,
            r.offers,
            r.incremental_stays,
            f"{r.incremental_stays_lower_95:.1f} .. {r.incremental_stays_upper_95:.1f}",
            r.incremental_revenue,
            f"{r.incremental_revenue_lower_95:,.0f} .. {r.incremental_revenue_upper_95:,.0f}",
            r.offer_cost,
            r.net_value,
        )
        for r in result.rows
    ]
    typer.echo(_table(columns, rows))


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except GuestLoyaltyError as error:  # raised outside a command (should not happen)
        typer.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
