"""`guestloyalty backtest` on the session's small world: honest figures, saved, nothing leaked."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from guestloyalty.operations.backtest import BacktestError, data_end, run_backtest
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world_copy(small_run, tmp_path_factory):
    """Bronze and truth of the small world, as right after `ingest`: no silver, no gold."""
    source = small_run.layout
    layout = Layout(tmp_path_factory.mktemp("backtest"))
    layout.ensure_dirs()
    shutil.copyfile(source.bronze_path, layout.bronze_path)
    if source.truth_path.exists():
        layout.truth_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.truth_path, layout.truth_path)
    return layout


@pytest.fixture(scope="module")
def messages():
    return []


@pytest.fixture(scope="module")
def result(world_copy, small_run, messages):
    assert not world_copy.silver_path.exists()
    return run_backtest(world_copy, small_run.settings, report=messages.append)


def test_backtest_right_after_ingest_builds_silver_first(result, world_copy, messages):
    assert any("building it" in message for message in messages)
    assert world_copy.silver_path.exists()
    assert not world_copy.build_dir.exists()  # the seeds' build file is gone again
    assert not world_copy.gold_path.exists()  # a backtest never publishes


def test_silver_newer_than_bronze_is_not_rebuilt(result, world_copy, small_run):
    from guestloyalty.operations.backtest import silver_is_stale

    assert not silver_is_stale(world_copy)
    assert silver_is_stale(Layout(world_copy.data_dir / "nowhere")) is False  # no bronze


def test_default_as_of_is_one_horizon_before_the_end(result, world_copy, small_run):
    end = data_end(world_copy)
    assert result.as_of == end - dt.timedelta(days=small_run.settings.horizon_days)


def test_model_beats_the_baseline_on_what_happened_after_as_of(result):
    assert result.mode == "xgboost"
    assert result.churn["model"]["auc"] > result.churn["btyd"]["auc"]
    assert result.churn["model"]["auc"] > 0.75
    assert result.clv["model"]["spearman"] > result.clv["btyd"]["spearman"]


def test_every_figure_the_issue_asks_for(result):
    for metric in ("auc", "pr_auc", "brier"):
        assert metric in result.churn["model"] and metric in result.churn["btyd"]
    for metric in ("mae", "spearman", "capture_top10", "gini"):
        assert metric in result.clv["model"] and metric in result.clv["btyd"]


def test_oracle_is_reported_with_the_truth_file(result, world_copy):
    if not world_copy.truth_path.exists():
        pytest.skip("this world has no truth file")
    oracle_auc = result.churn["oracle"]["auc"]
    assert 0.5 < oracle_auc <= 1.0
    assert result.churn["model"]["auc_share_of_oracle"] == pytest.approx(
        result.churn["model"]["auc"] / oracle_auc, rel=0.05
    )


def test_saved_to_model_evaluation_and_scratch_removed(result, world_copy):
    with duckdb.connect(str(world_copy.state_path), read_only=True) as con:
        rows = con.execute(
            "select task, model, metric, value from model_evaluation where evaluation_id = ?",
            [result.evaluation_id],
        ).fetchall()
    assert ("churn", "model", "auc", pytest.approx(result.churn["model"]["auc"])) in [
        (t, m, k, v) for t, m, k, v in rows
    ]
    assert not list(world_copy.data_dir.glob("backtest-*"))
    # The backtest never trains in the real data dir.
    assert not (world_copy.models_dir / "promoted.json").exists()


def test_rendered_table_names_both_models(result):
    text = result.render()
    assert "btyd" in text and "model" in text and "auc" in text


def test_as_of_after_the_data_is_refused(result, world_copy, small_run):
    with pytest.raises(BacktestError, match="nothing happened after"):
        run_backtest(
            world_copy, small_run.settings, as_of=dt.date(2100, 1, 1), report=lambda _: None
        )


def test_too_little_history_for_the_classifier_leaves_the_stay_models_and_the_baseline(
    result, world_copy, small_run
):
    """Nine months of data before as_of: no labeled snapshot, so no classifier. The hazard
    models (which learn from every closed period) compete with BG/NBD x Gamma-Gamma on the
    rolling origins; whatever is promoted, the baseline's figures are reported beside it."""
    with duckdb.connect(str(world_copy.silver_path), read_only=True) as con:
        from guestloyalty.models.baseline import stays_relation

        first = con.sql(f"select min(check_in_date) from {stays_relation(con)}").fetchall()[0][0]
    result = run_backtest(
        world_copy,
        small_run.settings,
        as_of=first + dt.timedelta(days=270),
        report=lambda _: None,
    )
    assert result.mode in ("btyd", "survival", "blend")
    note = " ".join(result.notes)
    assert "no classifier" in note or "fell back" in note
    assert "latest origin" in note
    if result.mode == "btyd":
        assert result.churn["model"]["auc"] == pytest.approx(result.churn["btyd"]["auc"])
    assert result.churn["model"]["auc"] > 0.6


def test_recommendations_are_judged_on_the_next_stay_next_to_both_baselines(result):
    recs = result.recommendations
    for kind in ("property", "room_type"):
        figures = recs[kind]
        assert set(figures) == {"model", "most_popular", "last_time"}
        best_baseline = max(figures["most_popular"]["hit_at_3"], figures["last_time"]["hit_at_3"])
        assert figures["model"]["hit_at_3"] >= best_baseline - 0.02
        assert 0.0 <= figures["model"]["ndcg_at_5"] <= 1.0
    assert recs["property"]["model"]["hit_at_3"] > recs["property"]["last_time"]["hit_at_3"]
    assert recs["extras"]["model"]["auc"] > recs["extras"]["last_time"]["auc"]


def test_recommendation_figures_are_saved_with_the_others(result, world_copy):
    with duckdb.connect(str(world_copy.state_path), read_only=True) as con:
        tasks = {
            row[0]
            for row in con.execute(
                "select distinct task from model_evaluation where evaluation_id = ?",
                [result.evaluation_id],
            ).fetchall()
        }
    assert {"recommend_property", "recommend_room_type", "recommend_extras"} <= tasks
    assert "recommendations" in result.render()


def test_top_property_kind_is_mostly_the_preferred_one(result, world_copy):
    if not world_copy.truth_path.exists():
        pytest.skip("this world has no truth file")
    taste = result.recommendations["taste"]
    assert taste["model"]["preferred_kind_share"] > 0.5
    assert taste["model"]["returning_guests"] > 0
