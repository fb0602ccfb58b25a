"""On a growing, changing guest base the promoted model is never worse than buy-till-you-die.

The changing world (``synth/change.py``: acquisitions +70 % a year, a twelve-month shock in
which business travel falls to 15 %) on its stays alone is issue 15's failure in small: a
fixed-horizon classifier learns from snapshots one horizon old, whose guests are fewer,
older and lived through the shock, and loses to BG/NBD on today's guests while its own
validation says it wins (5,000 guests, seed 3, before selection: churn AUC 0.780 vs 0.813,
spend Spearman 0.341 vs 0.385, top-10% capture 0.429 vs 0.524).

At the latest as_of that can be judged (one horizon before the end of the data) the
promoted models must be at least as good as the run's own BG/NBD x Gamma-Gamma columns on
what happened next: churn AUC, spend MAE, Spearman and top-10% capture. The tolerances
(``TOLERANCE``) are the noise of 5,000 guests, not a margin: promoting the baseline itself
ties exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guestloyalty.config import Settings
from guestloyalty.ingest import ingest_paths
from guestloyalty.operations.backtest import BacktestResult, run_backtest
from guestloyalty.operations.pipeline import stage_transform
from guestloyalty.synth.truth import write_truth
from guestloyalty.synth.world import WorldSpec, changing, generate_world, write_frames
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

CHANGING_GUESTS = 5_000
SEED = 3
#: AUC, Spearman and capture may fall short of the baseline's by this much; MAE exceed it by
#: this share.
TOLERANCE = 0.005


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> BacktestResult:
    data_dir: Path = tmp_path_factory.mktemp("changing")
    layout = Layout(data_dir)
    layout.ensure_dirs()
    world = generate_world(changing(WorldSpec(guests=CHANGING_GUESTS, seed=SEED, dirty_rate=0)))
    write_frames({"stays": world.frames["stays"]}, layout.landing_dir)
    write_truth(world.truth, layout.truth_path)
    settings = Settings(data_dir=data_dir, seed=SEED)
    ingest_paths(layout)
    stage_transform(layout, settings)
    return run_backtest(layout, settings, report=lambda _: None)


def test_the_changing_world_is_judged_against_its_exact_oracle(backtest):
    assert backtest.horizon_days == 365
    oracle = backtest.churn["oracle"]["auc"]
    assert oracle > backtest.churn["btyd"]["auc"] + 0.05
    assert oracle > backtest.churn["model"]["auc"]


def test_promoted_churn_model_is_never_worse_than_bgnbd(backtest):
    model, base = backtest.churn["model"]["auc"], backtest.churn["btyd"]["auc"]
    assert model >= base - TOLERANCE, (
        f"promoted {backtest.mode}: AUC {model:.4f} < BG/NBD {base:.4f}"
    )


@pytest.mark.parametrize("metric", ["spearman", "capture_top10"])
def test_promoted_clv_model_ranks_at_least_as_well_as_bgnbd(backtest, metric):
    model, base = backtest.clv["model"][metric], backtest.clv["btyd"][metric]
    assert model >= base - TOLERANCE, f"promoted {backtest.mode}: {metric} {model:.4f} < {base:.4f}"


def test_promoted_clv_model_errs_no_more_than_bgnbd(backtest):
    model, base = backtest.clv["model"]["mae"], backtest.clv["btyd"]["mae"]
    assert model <= base * (1 + TOLERANCE), (
        f"promoted {backtest.mode}: MAE {model:.1f} > {base:.1f}"
    )
