"""Rolling-origin selection: origins, outcomes, and the promotion rule against the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from guestloyalty.models.baseline import StayLog
from guestloyalty.training import selection

D = np.datetime64


def test_latest_origin_is_always_there_with_a_shorter_horizon():
    origins = selection.rolling_origins(D("2025-01-01"), D("2020-01-01"), 365)
    assert [o.date for o in origins] == [D("2024-09-01"), D("2024-05-02")]
    assert [o.horizon_days for o in origins] == [122, 244]
    assert all(o.kind == "rolling" for o in origins)


def test_short_history_keeps_only_the_origins_it_can_train_for():
    # CDNOW-like: nine months of history, a 273-day horizon
    origins = selection.rolling_origins(D("1997-10-01"), D("1997-01-01"), 273)
    assert [o.date for o in origins] == [D("1997-07-02"), D("1997-04-02")]
    assert selection.rolling_origins(D("1997-03-01"), D("1997-01-01"), 273) == []


def test_outcomes_window_starts_at_the_origin_and_excludes_its_end():
    stays = StayLog(
        guest_id=np.array(["a", "a", "b", "c"], dtype=object),
        check_in=np.array(
            ["2024-12-31", "2025-01-01", "2025-01-11", "2025-01-31"], dtype="datetime64[D]"
        ),
        revenue=np.array([5.0, 7.0, 11.0, 13.0]),
    )
    churned, revenue = selection.outcomes(
        stays, np.array(["c", "a", "b", "z"], dtype=object), D("2025-01-01"), 30
    )
    assert churned.tolist() == [1.0, 0.0, 0.0, 1.0]
    assert revenue.tolist() == [0.0, 7.0, 11.0, 0.0]


def _row(origin, kind, candidate, auc, mae=10.0, spearman=0.5, capture=0.5, days=122):
    return {
        "origin": origin,
        "horizon_days": days,
        "kind": kind,
        "candidate": candidate,
        "guests": 100,
        "churn_auc": auc,
        "mae": mae,
        "spearman": spearman,
        "capture_top10": capture,
        "predicted_total": 0.0,
        "actual_total": 0.0,
    }


def test_a_candidate_losing_to_the_baseline_on_the_latest_origin_is_not_promoted():
    """It wins the older origin and the validation snapshot by far: still not promoted."""
    table = [
        _row("2025-09-01", "rolling", "btyd", 0.80, spearman=0.40),
        _row("2025-09-01", "rolling", "survival", 0.79, spearman=0.39),
        _row("2025-05-02", "rolling", "btyd", 0.78, spearman=0.40),
        _row("2025-05-02", "rolling", "survival", 0.90, spearman=0.60),
    ]
    choice = selection.choose(table)
    assert (choice.churn, choice.clv) == ("btyd", "btyd")
    assert "no candidate beats the baseline at the latest origin 2025-09-01" in choice.note
    assert "0.7900 vs 0.8000" in choice.note  # by how much


def test_the_winner_of_the_latest_origin_is_promoted_per_task():
    table = [
        _row("2025-09-01", "rolling", "btyd", 0.80, mae=10, spearman=0.40, capture=0.5),
        _row("2025-09-01", "rolling", "survival", 0.85, mae=11, spearman=0.45, capture=0.6),
        _row("2025-09-01", "rolling", "blend", 0.82, mae=9, spearman=0.42, capture=0.55),
    ]
    choice = selection.choose(table)
    assert choice.churn == "survival"
    # survival has the best Spearman but a worse MAE than the baseline: blend wins CLV
    assert choice.clv == "blend"


def test_classifier_needs_to_beat_the_baseline_and_the_stay_winner_on_validation():
    rolling = [
        _row("2025-09-01", "rolling", "btyd", 0.80),
        _row("2025-09-01", "rolling", "survival", 0.85),
    ]
    valid = [
        _row("2025-01-01", "validation", "btyd", 0.80, days=365),
        _row("2025-01-01", "validation", "survival", 0.86, days=365),
    ]
    weak = selection.choose(
        [*rolling, *valid, _row("2025-01-01", "validation", "classifier", 0.84)]
    )
    assert weak.churn == "survival"
    strong = selection.choose(
        [*rolling, *valid, _row("2025-01-01", "validation", "classifier", 0.95)]
    )
    assert strong.churn == "classifier"


def test_without_origins_the_baseline_is_the_model():
    choice = selection.choose([])
    assert (choice.churn, choice.clv) == ("btyd", "btyd")


def _stay_log(seed: int = 0, guests: int = 600) -> StayLog:
    rng = np.random.default_rng(seed)
    ids, dates = [], []
    for g in range(guests):
        t = rng.uniform(0, 200)
        gap = rng.gamma(2, 40) + 5
        life = rng.exponential(400)
        while t < min(life, 900):
            ids.append(f"G{g:04d}")
            dates.append(D("2022-01-01") + np.timedelta64(int(t), "D"))
            t += gap * rng.gamma(9, 1 / 9)
    n = len(ids)
    return StayLog(
        guest_id=np.array(ids, dtype=object),
        check_in=np.array(dates, dtype="datetime64[D]"),
        revenue=rng.gamma(2, 100, n),
    )


def test_backtest_origin_scores_every_candidate_on_the_same_guests():
    stays = _stay_log()
    origin = selection.Origin(D("2023-09-01"), 120, "rolling")
    rows = selection.backtest_origin(stays, origin, seed=1)
    names = [row["candidate"] for row in rows]
    assert names == ["btyd", "survival", "blend"]
    assert len({row["guests"] for row in rows}) == 1
    for row in rows:
        assert 0.5 < row["churn_auc"] <= 1.0
        assert row["actual_total"] == pytest.approx(rows[0]["actual_total"])


def test_clv_switches_from_the_baseline_only_when_every_rolling_origin_agrees():
    latest = [
        _row("2025-09-01", "rolling", "btyd", 0.80, mae=10, spearman=0.40, capture=0.5),
        _row("2025-09-01", "rolling", "blend", 0.81, mae=9, spearman=0.42, capture=0.55),
    ]
    older_agrees = [
        _row("2025-05-02", "rolling", "btyd", 0.80, mae=20, spearman=0.40, capture=0.5),
        _row("2025-05-02", "rolling", "blend", 0.81, mae=19, spearman=0.41, capture=0.5),
    ]
    older_disagrees = [
        _row("2025-05-02", "rolling", "btyd", 0.80, mae=20, spearman=0.40, capture=0.5),
        _row("2025-05-02", "rolling", "blend", 0.81, mae=19, spearman=0.41, capture=0.49),
    ]
    assert selection.choose([*latest, *older_agrees]).clv == "blend"
    choice = selection.choose([*latest, *older_disagrees])
    assert choice.clv == "btyd"
    assert "but not at 2025-05-02" in choice.note
    assert choice.churn == "blend"  # churn is judged at the latest origin


def _clv_row(candidate: str, origin: str, kind: str, mae: float, spearman: float) -> dict:
    return {
        "candidate": candidate,
        "origin": origin,
        "kind": kind,
        "churn_auc": 0.8,
        "mae": mae,
        "spearman": spearman,
        "capture_top10": 0.5,
    }


@pytest.mark.parametrize(
    ("blend_mae", "plain_mae", "blended"),
    [(9.0, 9.5, True), (11.0, 9.0, False), (11.0, 12.0, True)],
)
def test_the_blended_clv_gives_way_to_the_regression_only_where_it_alone_loses(
    blend_mae, plain_mae, blended
):
    from guestloyalty.training import train

    table = [
        _clv_row("btyd", "2024-01-01", "validation", 10.0, 0.40),
        _clv_row("classifier", "2024-01-01", "validation", blend_mae, 0.50),
        _clv_row("classifier_plain", "2024-01-01", "validation", plain_mae, 0.45),
        _clv_row("btyd", "2024-06-01", "rolling", 10.0, 0.40),
    ]
    out, kept = train._blend_or_plain(table)
    assert kept is blended
    rows = [r for r in out if r["origin"] == "2024-01-01"]
    assert sorted(r["candidate"] for r in rows) == ["btyd", "classifier"]
    chosen = next(r for r in rows if r["candidate"] == "classifier")
    assert chosen["mae"] == (blend_mae if blended else plain_mae)
    assert len(out) == 3


def test_a_clv_win_inside_the_noise_of_the_guests_keeps_the_baseline():
    """The changing world's case: the blend's CLV ranks 0.006 better at both origins, within
    two standard errors of the gap; the baseline (which ties with itself) stays the CLV model.
    Churn needs no margin: its AUC win is promoted."""

    def noisy(row, auc_se, spearman_se):
        return {**row, "churn_auc_gap_se": auc_se, "spearman_gap_se": spearman_se}

    table = [
        _row("2025-09-01", "rolling", "btyd", 0.80, mae=95, spearman=0.320, capture=0.486),
        noisy(_row("2025-09-01", "rolling", "blend", 0.805, 92, 0.326, 0.488), 0.008, 0.0044),
        _row("2025-05-02", "rolling", "btyd", 0.78, mae=141, spearman=0.262, capture=0.410),
        noisy(_row("2025-05-02", "rolling", "blend", 0.78, 140, 0.263, 0.411), 0.001, 0.0007),
    ]
    choice = selection.choose(table)
    assert (choice.churn, choice.clv) == ("blend", "btyd")
    assert "margin 0.0088" in choice.note
    # the same win with a quarter of the noise (sixteen times the guests) is promoted
    quarter = [{**r, "spearman_gap_se": r.get("spearman_gap_se", 0) / 4} for r in table]
    assert selection.choose(quarter).clv == "blend"


def test_gap_standard_error_shrinks_with_the_guests_and_is_zero_for_a_copy():
    rng = np.random.default_rng(1)

    def se(n):
        truth = rng.normal(size=n)
        score = truth + rng.normal(size=n)
        base = truth + rng.normal(size=n) * 1.2
        return selection.gap_se(selection.metrics.spearman, truth, score, base, seed=3)

    small, large = se(1_000), se(16_000)
    assert 0.0 < large < small
    assert large == pytest.approx(small / 4, rel=0.35)  # 1/sqrt(n), through the scaled resample
    truth = rng.normal(size=500)
    assert selection.gap_se(selection.metrics.spearman, truth, truth, truth) == 0.0
