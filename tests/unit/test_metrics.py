import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from guestloyalty.evaluation import metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(500) < 0.3
    score = np.round(rng.random(500) + 0.3 * y, 1)  # rounding creates ties
    assert metrics.roc_auc(y, score) == pytest.approx(roc_auc_score(y, score))


def test_auc_is_nan_with_one_class():
    assert np.isnan(metrics.roc_auc(np.zeros(5), np.arange(5)))


def test_capture_of_a_perfect_ranking():
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    assert metrics.top_share_capture(y, y.astype(float), share=0.2) == 1.0


def test_risk_bands():
    from guestloyalty.models.churn import risk_band

    bands = risk_band(np.array([0.1, 0.5, 0.75, 0.9]), medium=0.5, high=0.7, critical=0.85)
    assert bands.tolist() == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
