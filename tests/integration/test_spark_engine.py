"""The same pipeline on Apache Spark (local mode) builds the same gold as on DuckDB.

One 2,000-guest world, generated once, runs through every stage on both engines (same
landing files, seed and hash key). Gold is compared table by table: the same tables, equal
row counts, identical values in the deterministic tables (features, RFM, scorecard,
identity map, business metrics, every other mart), and the model outputs within
``SCORE_TOLERANCE``. One SparkSession serves the whole test session (Spark's catalog is per
process and per data directory), with two shuffle partitions.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")
if shutil.which("java") is None:
    pytest.skip("--engine spark needs Java 17+", allow_module_level=True)

import duckdb  # noqa: E402

from guestloyalty.config import Settings  # noqa: E402
from guestloyalty.operations.pipeline import RunReport, run_pipeline, stage_generate  # noqa: E402
from guestloyalty.warehouse import Layout  # noqa: E402
from guestloyalty.warehouse import spark as spark_warehouse  # noqa: E402

pytestmark = pytest.mark.integration

GUESTS = 2_000
SEED = 11
HASH_KEY = "spark-parity-test"
SPARK_CONF = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"}
#: Churn probability and CLV may differ by this much (relative for CLV) between engines:
#: the features agree to float rounding, and xgboost, trained on them with the same seed,
#: reproduces its trees unless a split threshold falls between two roundings of one value.
SCORE_TOLERANCE = 1e-6
#: Float columns of the deterministic tables: sums over rows in another order differ in the
#: last bits.
FLOAT_TOLERANCE = 1e-9
#: The scorecard's 0-100 components, rounded to 0.1 from means of doubles: the same mean
#: summed in another order can land on the other side of a .x5 tie, so these may differ by one
#: unit of the last digit kept, on at most ``MAX_TIE_SHARE`` of the values (measured: 5 of
#: 9,120 on this world, satisfaction and advocacy).
ROUNDED_SCORES = {
    "engagement_score",
    "loyalty_component_score",
    "value_score",
    "satisfaction_score",
    "advocacy_score",
    "loyalty_score",
}
TIE_TOLERANCE = 0.1 + 1e-9
MAX_TIE_SHARE = 0.01
#: Columns that differ by construction: when the run happened, which run and which model
#: version (a timestamp) produced a row, and where the data dir is.
RUN_COLUMNS = {
    "_source_file",
    "run_id",
    "scored_at",
    "started_at",
    "finished_at",
    "model_version",
    "trained_at",
    "created_at",
    "loaded_at",
    "_loaded_at",
    "_batch_id",
    "stage_seconds",
    "registered_at",
    "promoted_at",
    "built_at",
}
#: Tables whose rows come from the models (scores and what follows from them).
MODEL_TABLES = {
    "guest_scores",
    "guest_score_explanations",
    "guest_score_history",
    "typical_feature_values",
    "feature_drift",
    "segment_profiles",
    "model_registry",
    "model_evaluation",
    "run_log",
}


@dataclass(frozen=True)
class Parity:
    duck: Layout
    spark: Layout
    duck_report: RunReport
    spark_report: RunReport


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> Parity:
    root = tmp_path_factory.mktemp("parity")
    world = Layout(root / "world")
    world.ensure_dirs()
    stage_generate(world, guests=GUESTS, seed=SEED)
    layouts = {}
    reports = {}
    for engine in ("duckdb", "spark"):
        layout = Layout(root / engine)
        layout.ensure_dirs()
        shutil.copytree(world.landing_dir, layout.landing_dir, dirs_exist_ok=True)
        settings = Settings(
            data_dir=layout.data_dir,
            seed=SEED,
            hash_key=HASH_KEY,
            engine=engine,
            spark_conf=SPARK_CONF,
        )
        reports[engine] = run_pipeline(layout, settings, generate=False, report=lambda _: None)
        layouts[engine] = layout
    return Parity(layouts["duckdb"], layouts["spark"], reports["duckdb"], reports["spark"])


def _duck_tables(layout: Layout) -> dict[str, str]:
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        ]
    return {name: f"gold.main.{name}" for name in names}


def _spark_tables(layout: Layout) -> dict[str, str]:
    schema = spark_warehouse.published_gold_schema(layout)
    folder = spark_warehouse.warehouse_dir(layout) / f"{schema}.db"
    return {
        path.name: f"read_parquet('{path}/*.parquet')"
        for path in sorted(folder.iterdir())
        if path.is_dir() and any(path.glob("*.parquet"))
    } | {
        path.name: "(select * from (select 1) where 1 = 0)"
        for path in sorted(folder.iterdir())
        if path.is_dir() and not any(path.glob("*.parquet"))
    }


@pytest.fixture(scope="module")
def gold(parity: Parity):  # noqa: ANN201
    con = duckdb.connect()
    con.execute(f"attach '{parity.duck.gold_path}' as gold (read_only)")
    yield con, _duck_tables(parity.duck), _spark_tables(parity.spark)
    con.close()


def test_both_engines_publish(parity: Parity) -> None:
    assert parity.duck_report.status == "succeeded"
    assert parity.spark_report.status == "succeeded"
    assert set(parity.spark_report.stage_seconds) >= {"ingest", "transform", "score", "publish"}


def test_same_tables_and_row_counts(gold) -> None:  # noqa: ANN001
    con, duck, spark = gold
    assert sorted(spark) == sorted(duck)
    for name in duck:
        rows = con.execute(f"select count(*) from {duck[name]}").fetchone()[0]
        spark_rows = con.execute(f"select count(*) from {spark[name]}").fetchone()[0]
        assert spark_rows == rows, f"{name}: {spark_rows:,} rows on Spark, {rows:,} on DuckDB"


def _rows(con, relation: str, columns: list[str]) -> list[tuple]:  # noqa: ANN001
    select = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{c}" nulls first' for c in columns)
    return con.execute(f"select {select} from {relation} order by {order}").fetchall()


def _comparable_columns(con, duck_relation: str, spark_relation: str) -> list[str]:  # noqa: ANN001
    duck_columns = [
        row[0] for row in con.execute(f"describe select * from {duck_relation}").fetchall()
    ]
    spark_columns = {
        row[0] for row in con.execute(f"describe select * from {spark_relation}").fetchall()
    }
    assert set(duck_columns) == spark_columns, (duck_relation, set(duck_columns) ^ spark_columns)
    return [c for c in duck_columns if c not in RUN_COLUMNS]


def _same(left: object, right: object, tolerance: float) -> bool:
    # Spark writes timestamps as UTC instants: compare them as DuckDB's plain UTC timestamps
    if isinstance(right, dt.datetime) and right.tzinfo is not None:
        right = right.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        if math.isnan(left) and math.isnan(right):
            return True
        return math.isclose(left, right, rel_tol=tolerance, abs_tol=tolerance)
    if hasattr(left, "__float__") and hasattr(right, "__float__") and not isinstance(left, str):
        return math.isclose(float(left), float(right), rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _same(a, b, tolerance) for a, b in zip(left, right, strict=True)
        )
    return left == right


def _differences(con, name: str, duck: str, spark: str, tolerance: float) -> list[str]:  # noqa: ANN001
    columns = _comparable_columns(con, duck, spark)
    left, right = _rows(con, duck, columns), _rows(con, spark, columns)
    problems, ties, values = [], 0, 0
    for row_left, row_right in zip(left, right, strict=True):
        for column, a, b in zip(columns, row_left, row_right, strict=True):
            values += 1
            if _same(a, b, tolerance):
                continue
            if column in ROUNDED_SCORES and abs(float(a) - float(b)) <= TIE_TOLERANCE:
                ties += 1
                continue
            problems.append(f"{name}.{column}: DuckDB {a!r}, Spark {b!r}")
        if len(problems) > 5:
            break
    if ties > MAX_TIE_SHARE * values:
        problems.append(f"{name}: {ties:,} of {values:,} rounded scores differ by 0.1")
    return problems


def test_deterministic_tables_are_identical(gold) -> None:  # noqa: ANN001
    con, duck, spark = gold
    checked = [name for name in sorted(duck) if name not in MODEL_TABLES]
    for required in (
        "guest_feature_snapshots",
        "guest_rfm",
        "guest_loyalty_scores",
        "guest_identity_map",
        "business_metrics",
    ):
        assert required in checked
    problems = []
    for name in checked:
        problems += _differences(con, name, duck[name], spark[name], FLOAT_TOLERANCE)
    assert not problems, "\n".join(problems[:40])


def test_scores_agree_within_tolerance(gold) -> None:  # noqa: ANN001
    con, duck, spark = gold
    query = "select guest_id, churn_probability, clv_horizon from {} order by guest_id"
    left = con.execute(query.format(duck["guest_scores"])).fetchall()
    right = con.execute(query.format(spark["guest_scores"])).fetchall()
    assert [row[0] for row in left] == [row[0] for row in right]
    worst_churn = max(abs(a[1] - b[1]) for a, b in zip(left, right, strict=True))
    worst_clv = max(
        abs(a[2] - b[2]) / max(abs(a[2]), 1.0) for a, b in zip(left, right, strict=True)
    )
    assert worst_churn <= SCORE_TOLERANCE, worst_churn
    assert worst_clv <= SCORE_TOLERANCE, worst_clv


def test_xgboost_spark_trains_the_model_xgboost_trains(parity: Parity) -> None:
    """`xgboost.spark` on local mode (one worker, no row or column sampling) fits the churn
    model that in-process `xgboost.train` fits on the same labeled rows of the Spark gold:
    the path training takes when the sample outgrows one machine (docs/scaling.md)."""
    import numpy as np
    import xgboost
    from pyspark.sql import SparkSession
    from xgboost.spark import SparkXGBClassifier

    from guestloyalty.models.churn import CHURN_PARAMS
    from guestloyalty.models.features import FEATURES

    spark = SparkSession.getActiveSession()
    assert spark is not None
    schema = spark_warehouse.published_gold_schema(parity.spark)
    columns = [name for name in FEATURES[:12]]
    frame = (
        spark.table(f"{schema}.guest_feature_snapshots")
        .where("is_labeled")
        .selectExpr(
            "guest_id",
            "snapshot_date",
            *[f"cast({c} as double) as {c}" for c in columns],
            "cast(churned as int) as churned",
        )
        .orderBy("snapshot_date", "guest_id")
        .coalesce(1)
    )
    params = {
        key: value
        for key, value in CHURN_PARAMS.items()
        if key not in ("subsample", "colsample_bytree", "eval_metric", "objective")
    }
    rounds = 20
    estimator = SparkXGBClassifier(
        features_col=columns, label_col="churned", num_workers=1, n_estimators=rounds, **params
    )
    model = estimator.fit(frame)
    table = spark_warehouse.to_arrow(frame)
    features = np.column_stack(
        [table.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in columns]
    )
    labels = table.column("churned").to_numpy(zero_copy_only=False)
    local = xgboost.train(
        {"objective": "binary:logistic", **params},
        xgboost.QuantileDMatrix(features, labels, max_bin=params["max_bin"]),
        num_boost_round=rounds,
    )
    from_spark = model.get_booster().inplace_predict(features)
    in_process = local.inplace_predict(features)
    assert np.max(np.abs(from_spark - in_process)) < 1e-4
    assert model.get_booster().save_raw("ubj")  # the artifact the registry stores


def test_copies_go_through_parquet_files_both_ways(tmp_path: Path) -> None:
    """The Python stages' copies: a Parquet table is read from its own files (no Spark job),
    a view through files Spark writes, and DuckDB tables go back with Spark's types
    (timestamps as instants, 128-bit integers as decimals); values survive both ways."""
    from pyspark.sql import SparkSession

    from guestloyalty.warehouse import spark_copies

    # the module's session when the parity world built one, else one of its own
    spark = SparkSession.getActiveSession() or spark_warehouse.session(
        Layout(tmp_path / "session"), conf=SPARK_CONF
    )
    scratch = spark_copies.scratch_layout(Layout(tmp_path))
    spark.sql("drop database if exists copies_test cascade")
    spark.sql("create database copies_test")
    spark.sql(
        "create table copies_test.typed using parquet as select * from values "
        "(1, 'guest''s', cast('2024-03-01' as date), timestamp'2024-03-01 23:30:00', "
        "cast(1.25 as decimal(12, 2)), 0.5d), "
        "(2, null, null, null, null, null) as t(id, name, day, at, amount, share)"
    )
    spark.sql("create table copies_test.never_written (id int, at timestamp) using parquet")
    spark.sql(
        "create or replace view copies_test.doubled as select id * 2 as id from copies_test.typed"
    )
    copied = spark_copies.copy_to_duckdb(
        spark,
        {
            "typed": "copies_test.typed",
            "never_written": "copies_test.never_written",
            "doubled": "copies_test.doubled",
            "missing": "copies_test.missing",
        },
        scratch.silver_path,
        exports=scratch.exports,
    )
    assert copied == ["typed", "never_written", "doubled"]
    assert (scratch.exports / "in" / "doubled").is_dir()  # the view went through files
    assert not (scratch.exports / "in" / "typed").exists()  # the table was read in place
    with duckdb.connect(str(scratch.silver_path)) as con:
        rows = con.execute("select * from typed order by id").fetchall()
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_name = 'typed'"
            ).fetchall()
        )
        assert con.execute("select count(*) from never_written").fetchone()[0] == 0
        assert sorted(con.execute("select id from doubled").fetchall()) == [(2,), (4,)]
        con.execute("create table back as select *, sum(id) over () as total from typed")
    assert rows[0] == (
        1,
        "guest's",
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 23, 30),  # UTC wall time, as on the DuckDB engine
        decimal.Decimal("1.25"),
        0.5,
    )
    assert rows[1] == (2, None, None, None, None, None)
    assert types["at"] == "TIMESTAMP" and types["amount"] == "DECIMAL(12,2)"

    written = spark_copies.copy_to_spark(
        spark, scratch.silver_path, ["back", "absent"], "copies_test", exports=scratch.exports
    )
    assert written == ["back"]
    fields = {
        field.name: field.dataType.simpleString()
        for field in spark.table("copies_test.back").schema
    }
    assert fields["at"] == "timestamp" and fields["total"] == "decimal(38,0)"
    assert fields["amount"] == "decimal(12,2)" and fields["day"] == "date"
    back = spark.sql(
        "select id, name, cast(at as string) as at, amount, total from copies_test.back order by id"
    ).collect()
    assert [tuple(row) for row in back] == [
        (1, "guest's", "2024-03-01 23:30:00", decimal.Decimal("1.25"), 3),
        (2, None, None, None, 3),
    ]
    spark.sql("drop database copies_test cascade")


def test_publish_switches_one_pointer(parity: Parity, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark has no multi-table transaction: gold is a schema per run and GOLD names the
    published one. A build is invisible until the pointer switches, a publish that fails
    before the switch leaves the old version, and a reader that resolved the old version
    before the switch still reads all of it afterwards. (Runs last: it publishes.)"""
    from pyspark.sql import SparkSession

    layout = parity.spark
    spark = SparkSession.getActiveSession()
    old = spark_warehouse.published_gold_schema(layout)
    old_rows = _parquet_rows(spark_warehouse.published_table_path(layout, "guest_360"))
    build = spark_warehouse.start_gold_build(spark, layout, "run-publish-test")
    spark.sql(
        f"create table {build}.guest_360 using parquet as select * from {old}.guest_360 limit 5"
    )
    assert spark_warehouse.published_gold_schema(layout) == old  # the build is not published

    monkeypatch.setenv("GUESTLOYALTY_FAULT", "publish:before_rename=error")
    with pytest.raises(RuntimeError, match="injected fault"):
        spark_warehouse.publish_gold(spark, layout)
    monkeypatch.delenv("GUESTLOYALTY_FAULT")
    assert spark_warehouse.published_gold_schema(layout) == old
    resolved = spark_warehouse.published_table_path(layout, "guest_360")  # a reader, before

    assert spark_warehouse.publish_gold(spark, layout) == build
    assert spark_warehouse.published_gold_schema(layout) == build
    assert _parquet_rows(spark_warehouse.published_table_path(layout, "guest_360")) == 5
    # the version published before is kept: the reader that resolved it reads it whole
    assert _parquet_rows(resolved) == old_rows
    assert not (spark_warehouse.spark_dir(layout) / "BUILD").exists()


def _parquet_rows(folder: Path) -> int:
    return duckdb.sql(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchall()[0][0]
