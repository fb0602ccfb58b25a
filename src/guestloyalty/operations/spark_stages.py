"""The pipeline's stages on the Spark engine (``--engine spark``).

Ingest reads landing with Spark into bronze tables; dbt builds the same models on dbt-spark
(``method: session``, this process's SparkSession); the Python stages (sentiment, train,
score, gate) run the same code as on DuckDB over working copies of the Spark tables each
reads, streamed in as Arrow record batches, and write their tables back into the gold build
schema; publish copies the state tables in and switches the ``GOLD`` pointer
(``guestloyalty.warehouse.spark``: what Spark guarantees and why a pointer).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from guestloyalty.config import Settings
from guestloyalty.errors import NoDataError
from guestloyalty.warehouse import Layout, copy_state_into
from guestloyalty.warehouse import spark as warehouse
from guestloyalty.warehouse import spark_copies as copies

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

S = warehouse.SILVER_SCHEMA
#: The silver relations each Python stage reads (scoring/sentiment.py, models/baseline.py,
#: operations/gate.py), and the gold tables.
SENTIMENT_SILVER = (
    "int_run_context",
    "int_stays_enriched",
    "int_reviews_resolved",
    "stg_bronze__reviews",
    "int_bookings_enriched",
    "int_special_requests_resolved",
    "stg_bronze__special_requests",
)
MODEL_SILVER = ("int_stays_enriched",)
MODEL_GOLD = ("guest_feature_snapshots", "run_context")
GATE_GOLD = ("run_context", "guest_scores", "business_metrics", "quarantine_rules")
GATE_SILVER = ("base_bronze__stays", "quarantine")
RECOMMEND_SILVER = (
    "int_stays_enriched",
    "int_bookings_enriched",
    "int_guests_unified",
    "int_loyalty_transactions_resolved",
    "int_special_requests_resolved",
)
RECOMMEND_GOLD = (
    "run_context",
    "offer_catalog",
    "properties",
    "room_types",
    "recommendation_extras",
    "recommendation_offers",
    "topic_mentions",
)
SENTIMENT_TABLES = ("review_sentiment", "topic_mentions")
SCORE_TABLES = (
    "guest_scores",
    "guest_score_explanations",
    "typical_feature_values",
    "feature_drift",
    "segment_profiles",
)


def spark_session(layout: Layout, settings: Settings) -> SparkSession:
    return warehouse.session(layout, master=settings.spark_master, conf=settings.spark_conf)


def _copies(
    spark: SparkSession,
    layout: Layout,
    *,
    silver: tuple[str, ...] = (),
    gold: tuple[str, ...] = (),
    gold_schema: str | None = None,
) -> copies.ScratchLayout:
    """A fresh working copy holding the silver tables and the gold build's (or
    ``gold_schema``'s, into the copy's published gold) tables a Python stage reads."""
    scratch = copies.scratch_layout(layout)
    copies.copy_to_duckdb(
        spark,
        {name: f"{S}.{name}" for name in silver},
        scratch.silver_path,
        exports=scratch.exports,
    )
    source = gold_schema or warehouse.gold_build_schema(layout)
    target = scratch.gold_path if gold_schema else scratch.gold_build_path
    copies.copy_to_duckdb(
        spark, {name: f"{source}.{name}" for name in gold}, target, exports=scratch.exports
    )
    return scratch


def stage_ingest(
    layout: Layout, settings: Settings, *, report: Callable[[str], None] | None = None
) -> dict:
    from guestloyalty.ingest import rows_by_entity
    from guestloyalty.ingest.spark import ingest_paths

    if not any(path.is_file() for path in layout.landing_dir.rglob("*")):
        raise NoDataError(
            f"no landing files under {layout.landing_dir}: run `guestloyalty generate` or "
            "drop exports into landing/<entity>/"
        )
    results = ingest_paths(spark_session(layout, settings), layout)
    return rows_by_entity(results, report=report)


def stage_transform(layout: Layout, settings: Settings, *, run_id: str) -> dict[str, object]:
    """A fresh gold build schema, dbt silver, the sentiment stage, dbt pre-scoring gold."""
    from guestloyalty.scoring.sentiment import score_sentiment
    from guestloyalty.transform import (
        PRE_SCORING_GOLD,
        PRE_SCORING_SILVER,
        keep_run_results,
        run_dbt,
    )

    spark = spark_session(layout, settings)
    from guestloyalty.ingest.spark import ensure_bronze_tables

    ensure_bronze_tables(spark)
    build = warehouse.start_gold_build(spark, layout, run_id)
    silver = run_dbt(layout, settings, selection=PRE_SCORING_SILVER)
    keep_run_results(layout, "silver")
    started = time.perf_counter()
    scratch = _copies(spark, layout, silver=SENTIMENT_SILVER)
    scored = score_sentiment(scratch, settings)
    copies.copy_to_spark(
        spark, scratch.gold_build_path, list(SENTIMENT_TABLES), build, exports=scratch.exports
    )
    sentiment_seconds = round(time.perf_counter() - started, 2)
    gold = run_dbt(layout, settings, selection=PRE_SCORING_GOLD)
    return {
        "gold_schema": build,
        "dbt_nodes_passed": silver.passed + gold.passed,
        "sentiment_seconds": sentiment_seconds,
        **scored.details(),
    }


def _model_inputs(spark: SparkSession, layout: Layout) -> copies.ScratchLayout:
    return _copies(spark, layout, silver=MODEL_SILVER, gold=MODEL_GOLD)


def stage_train(layout: Layout, settings: Settings) -> dict[str, object]:
    """Training stays in Python on the sampled set, reading the snapshots Spark built."""
    from guestloyalty.training.train import train_models

    scratch = _model_inputs(spark_session(layout, settings), layout)
    return train_models(scratch, settings).details()


def stage_score(layout: Layout, settings: Settings) -> dict[str, object]:
    """Score the current snapshot (streamed from Spark as Arrow batches); the score tables
    go back into the gold build schema as Spark tables."""
    from guestloyalty.scoring.score import score_current

    spark = spark_session(layout, settings)
    scratch = _model_inputs(spark, layout)
    details = score_current(scratch, settings).details()
    copies.copy_to_spark(
        spark,
        scratch.gold_build_path,
        list(SCORE_TABLES),
        warehouse.gold_build_schema(layout),
        exports=scratch.exports,
    )
    return details


def stage_recommend(layout: Layout, settings: Settings) -> dict[str, object]:
    """The recommendation stage over copies of what it reads; guest_recommendations goes back
    into the gold build schema."""
    from guestloyalty.scoring.recommendations import score_recommendations

    spark = spark_session(layout, settings)
    build = warehouse.gold_build_schema(layout)
    scratch = _copies(spark, layout, silver=RECOMMEND_SILVER, gold=RECOMMEND_GOLD)
    details = score_recommendations(scratch, settings).details()
    copies.copy_to_spark(
        spark, scratch.gold_build_path, ["guest_recommendations"], build, exports=scratch.exports
    )
    return details


def stage_no_scores(layout: Layout, settings: Settings, reason: str) -> dict[str, object]:
    from guestloyalty.scoring.score import write_empty_scores

    spark = spark_session(layout, settings)
    scratch = copies.scratch_layout(layout)
    write_empty_scores(scratch)
    copies.copy_to_spark(
        spark,
        scratch.gold_build_path,
        list(SCORE_TABLES),
        warehouse.gold_build_schema(layout),
        exports=scratch.exports,
    )
    return {"guests_scored": 0, "scores_missing": reason}


def stage_post_scoring(layout: Layout, settings: Settings) -> dict[str, int]:
    from guestloyalty.transform import POST_SCORING, run_dbt

    spark_session(layout, settings)
    return {"dbt_nodes_passed": run_dbt(layout, settings, selection=POST_SCORING).passed}


def gate_inputs(layout: Layout, settings: Settings) -> copies.ScratchLayout:
    """Copies of what the plausibility gate compares: the build's and the published gold's
    figures (and the silver tables its messages name), for ``pipeline.stage_gate``."""
    spark = spark_session(layout, settings)
    published = warehouse.published_gold_schema_or_none(layout)
    if published is None:
        return _copies(spark, layout, gold=GATE_GOLD)
    scratch = _copies(spark, layout, silver=GATE_SILVER, gold=GATE_GOLD, gold_schema=published)
    build = warehouse.gold_build_schema(layout)
    copies.copy_to_duckdb(
        spark,
        {name: f"{build}.{name}" for name in GATE_GOLD},
        scratch.gold_build_path,
        exports=scratch.exports,
    )
    return scratch


def stage_publish(layout: Layout, settings: Settings) -> dict[str, object]:
    """State tables into the build schema, then the pointer switch."""
    import duckdb

    spark = spark_session(layout, settings)
    build = warehouse.gold_build_schema(layout)
    scratch = copies.scratch_layout(layout)
    with duckdb.connect(str(scratch.gold_build_path)) as con:
        copied = copy_state_into(layout, con)
    copies.copy_to_spark(spark, scratch.gold_build_path, copied, build, exports=scratch.exports)
    counts = {
        name: spark.table(f"{build}.{name}").count() for name in warehouse.table_names(spark, build)
    }
    warehouse.publish_gold(spark, layout)
    return {
        "gold_schema": build,
        "gold_dir": str(warehouse.warehouse_dir(layout) / f"{build}.db"),
        "gold_tables": counts,
        "state_tables": len(copied),
    }


def published_run_ids(layout: Layout) -> set[str]:
    """run_id of the published Spark gold's run log (read from its Parquet files, no session)."""
    schema = warehouse.published_gold_schema_or_none(layout)
    if schema is None:
        return set()
    path = warehouse.warehouse_dir(layout) / f"{schema}.db" / "run_log"
    if not path.exists():
        return set()
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(
            "select run_id from read_parquet(?)", [str(path / "*.parquet")]
        ).fetchall()
    return {row[0] for row in rows}
