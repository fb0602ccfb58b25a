"""Run dbt once per stage through its Python API (``dbtRunner``), never once per model.

dbt reads bronze read-only, writes silver in place and builds gold marts into the gold build
file; ``warehouse.publish_gold`` later renames that file over the published gold.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from guestloyalty.config import Settings
from guestloyalty.errors import TransformError
from guestloyalty.faults import dbt_callbacks
from guestloyalty.warehouse import Layout

#: The nightly builds skip dbt's unit tests: they check model logic on fixed fixtures, not the
#: night's data, so they run in the test suite (``UNIT_TESTS``) instead of on every run.
#: Before scoring, two builds with the sentiment stage between them: silver (and the seeds),
#: then the gold marts, which read what the sentiment stage wrote. A test whose parents span
#: both (a gold mart's relationship to silver) runs with the second.
PRE_SCORING_SILVER = (
    "--select tag:silver tag:seed --indirect-selection cautious --exclude-resource-type unit_test"
)
PRE_SCORING_GOLD = "--select tag:gold --exclude tag:post_scoring --exclude-resource-type unit_test"
POST_SCORING = "--select tag:post_scoring --exclude-resource-type unit_test"
UNIT_TESTS = "--select test_type:unit"
#: Silver alone (with the seeds it reads): what a backtest needs before it can pick a date.
SILVER = "--select +tag:silver --indirect-selection cautious --exclude-resource-type unit_test"


def dbt_project_dir() -> Path:
    """The dbt project: $GUESTLOYALTY_DBT_PROJECT, else ``dbt_project/`` of this checkout."""
    override = os.environ.get("GUESTLOYALTY_DBT_PROJECT")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "dbt_project"


@dataclass(frozen=True)
class DbtResult:
    """Summary of one dbt invocation."""

    selection: str
    passed: int
    failed: int
    failures: list[str]


def dbt_vars(settings: Settings) -> dict[str, object]:
    return {
        "as_of": settings.as_of.isoformat() if settings.as_of else None,
        "horizon_days": settings.horizon_days,
        "snapshot_interval_months": settings.snapshot_interval_months,
        "snapshot_count": settings.max_training_snapshots,
        "max_labeled_rows": settings.max_labeled_rows,
        "reporting_currency": settings.reporting_currency,
        "at_risk_max_share": settings.lifecycle.at_risk_max_share,
        "at_risk_lapsed_within_days": settings.lifecycle.at_risk_lapsed_within_days,
        "nba_targeting": settings.nba_targeting,
    }


HASH_KEY_ENV = "GUESTLOYALTY_HASH_KEY"


def hash_key(layout: Layout, settings: Settings) -> str:
    """The key of the keyed PII hashes: settings, else $GUESTLOYALTY_HASH_KEY, else the key kept
    in ``<data>/state/hash.key`` (created once, randomly, readable by the owner only).

    The same key must be used on every run over a data dir, or hashed ids change.
    """
    key = settings.hash_key or os.environ.get(HASH_KEY_ENV)
    if key:
        return _checked_key(key, HASH_KEY_ENV)
    path = layout.hash_key_path
    if path.exists():
        return _checked_key(path.read_text().strip(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _checked_key(key: str, where: str) -> str:
    if not key or any(ch in key for ch in "'\"\\\n{}%"):
        raise TransformError(
            f"hash key from {where} is empty or contains quotes, backslashes, braces or "
            "newlines: use letters, digits and - _ . only (e.g. `openssl rand -hex 32`)"
        )
    return key


def run_dbt(
    layout: Layout, settings: Settings, *, selection: str, command: str = "build"
) -> DbtResult:
    """Run one dbt command over the layers of ``layout``; raise TransformError on failure."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["GUESTLOYALTY_BRONZE_PATH"] = str(layout.bronze_path.resolve())
    os.environ["GUESTLOYALTY_SILVER_PATH"] = str(layout.silver_path.resolve())
    os.environ["GUESTLOYALTY_GOLD_BUILD_PATH"] = str(layout.gold_build_path.resolve())
    caller_key = os.environ.get(HASH_KEY_ENV)
    os.environ[HASH_KEY_ENV] = hash_key(layout, settings)
    target = _engine_target(layout, settings)

    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    work = layout.data_dir.resolve() / "dbt"
    args = [
        command,
        *selection.split(),
        *target,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps(dbt_vars(settings)),
        "--quiet",
        "--no-use-colors",
    ]
    try:
        result = dbtRunner(callbacks=dbt_callbacks()).invoke(args)
    finally:
        if settings.engine == "duckdb":
            _release_duckdb()
        if caller_key is None:
            os.environ.pop(HASH_KEY_ENV, None)
        else:
            os.environ[HASH_KEY_ENV] = caller_key
    if result.exception is not None:
        raise TransformError(f"dbt {command} could not run: {result.exception}")
    failures: list[str] = []
    passed = 0
    for node_result in result.result or []:
        status = str(getattr(node_result, "status", "")).lower()
        if status in {"error", "fail"}:
            node = getattr(node_result, "node", None)
            name = getattr(node, "name", "?")
            message = [
                line.strip()
                for line in (getattr(node_result, "message", "") or "").splitlines()
                if line.strip()
            ]
            # "Runtime Error in model x" alone hides the cause (a full disk, a bad cast): keep
            # the last line too
            text = message[0] if message else status
            if len(message) > 1:
                text += f": {message[-1]}"
            failures.append(f"{name}: {text}")
        else:
            passed += 1
    if failures or not result.success:
        raise TransformError(
            f"dbt {command} failed ({len(failures)} node(s)):\n  " + "\n  ".join(failures)
        )
    return DbtResult(selection, passed, len(failures), failures)


SPARK_GOLD_SCHEMA_ENV = "GUESTLOYALTY_SPARK_GOLD_SCHEMA"


def _engine_target(layout: Layout, settings: Settings) -> list[str]:
    """dbt's ``--target`` for the engine; on Spark the process's session is started first
    (dbt-spark's ``method: session`` picks it up) and gold goes to the run's build schema."""
    if settings.engine == "duckdb":
        return []
    from guestloyalty.warehouse import spark

    spark.session(layout, master=settings.spark_master, conf=settings.spark_conf)
    try:
        os.environ[SPARK_GOLD_SCHEMA_ENV] = spark.gold_build_schema(layout)
    except Exception:  # noqa: BLE001 - silver alone needs no gold build
        os.environ[SPARK_GOLD_SCHEMA_ENV] = "gold_unset"
    return ["--target", "spark"]


def keep_run_results(layout: Layout, name: str) -> Path | None:
    """Copy the last invocation's ``run_results.json`` to ``run_results_<name>.json`` beside
    it (the next invocation overwrites the original); benchmarks read both builds' timings."""
    import shutil

    results = layout.data_dir.resolve() / "dbt" / "target" / "run_results.json"
    if not results.exists():
        return None
    return Path(shutil.copyfile(results, results.with_name(f"run_results_{name}.json")))


def generate_docs(layout: Layout, settings: Settings) -> Path:
    """``dbt docs generate --static`` over the published gold (else the build file) into
    ``<data>/dbt/target``; returns the path of the self-contained ``static_index.html``.

    The catalog lists every silver and gold table with its columns and the descriptions from
    the models' YAML files.
    """
    gold = layout.gold_path if layout.gold_path.exists() else layout.gold_build_path
    if not gold.exists() or not layout.silver_path.exists():
        from guestloyalty.errors import NoDataError

        raise NoDataError(
            f"no gold at {layout.gold_path}: run `guestloyalty pipeline` before `guestloyalty docs`"
        )
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["GUESTLOYALTY_BRONZE_PATH"] = str(layout.bronze_path.resolve())
    os.environ["GUESTLOYALTY_SILVER_PATH"] = str(layout.silver_path.resolve())
    os.environ["GUESTLOYALTY_GOLD_BUILD_PATH"] = str(gold.resolve())
    caller_key = os.environ.get(HASH_KEY_ENV)
    os.environ[HASH_KEY_ENV] = hash_key(layout, settings)

    from dbt.cli.main import dbtRunner

    project = dbt_project_dir()
    target = layout.dbt_target_dir.resolve()
    args = [
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        "--log-path",
        str(target.parent / "logs"),
        "--vars",
        json.dumps(dbt_vars(settings)),
        "--quiet",
        "--no-use-colors",
    ]
    try:
        result = dbtRunner().invoke(args)
    finally:
        _release_duckdb()
        if caller_key is None:
            os.environ.pop(HASH_KEY_ENV, None)
        else:
            os.environ[HASH_KEY_ENV] = caller_key
    if result.exception is not None or not result.success:
        raise TransformError(
            f"dbt docs generate failed: {result.exception or 'see ' + str(target.parent / 'logs')}"
        )
    return target / "static_index.html"


def _release_duckdb() -> None:
    """Close the DuckDB connection dbt-duckdb keeps per process, so the files are free again."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()
