"""The pure-Python evaluator agrees with xgboost itself (predictions and SHAP values)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from guestloyalty.errors import ArtifactIntegrityError
from guestloyalty.serving import fast_predict
from guestloyalty.serving.fast_predict import TreeEnsemble

xgb = pytest.importorskip("xgboost")

FEATURES = ["recency", "frequency", "spend", "opens", "member"]


def _data(n: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.exponential(300, n),
            rng.poisson(2, n).astype(float),
            rng.gamma(2.0, 200.0, n),
            rng.uniform(0, 1, n),
            rng.integers(0, 2, n).astype(float),
        ]
    ).astype(np.float32)
    X[rng.uniform(size=n) < 0.15, 3] = np.nan  # missing values take the default branch
    X[rng.uniform(size=n) < 0.05, 0] = np.nan
    logit = 0.006 * np.nan_to_num(X[:, 0], nan=300) - 0.6 * X[:, 1] - 1.0
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    revenue = np.where(churned > 0, 0.0, X[:, 2] * rng.uniform(0.5, 1.5, n)).astype(np.float32)
    return X, churned, revenue


@pytest.fixture(scope="module")
def boosters():
    X, churned, revenue = _data()
    churn = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.2, "nthread": 1, "seed": 1},
        xgb.DMatrix(X, label=churned, feature_names=FEATURES),
        num_boost_round=30,
    )
    clv = xgb.train(
        {
            "objective": "reg:tweedie",
            "tweedie_variance_power": 1.3,
            "max_depth": 3,
            "eta": 0.2,
            "nthread": 1,
            "seed": 1,
        },
        xgb.DMatrix(X, label=revenue, feature_names=FEATURES),
        num_boost_round=25,
    )
    return X, churn, clv


@pytest.mark.parametrize("fmt", ["ubj", "json"])
@pytest.mark.parametrize("which", ["churn", "clv"])
def test_predictions_match_xgboost(boosters, tmp_path, fmt, which):
    X, churn, clv = boosters
    booster = churn if which == "churn" else clv
    path = tmp_path / f"model.{fmt}"
    booster.save_model(str(path))
    ensemble = TreeEnsemble.load(path)
    expected = booster.predict(xgb.DMatrix(X[:200], feature_names=FEATURES))
    got = np.array([ensemble.predict(row.tolist()) for row in X[:200]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert ensemble.feature_names == tuple(FEATURES)


def test_best_iteration_limits_the_trees(boosters, tmp_path):
    X, churn, _ = boosters
    path = tmp_path / "churn.ubj"
    churn.save_model(str(path))
    ensemble = TreeEnsemble.load(path, best_iteration=9)
    assert len(ensemble.trees) == 10
    expected = churn.predict(xgb.DMatrix(X[:50], feature_names=FEATURES), iteration_range=(0, 10))
    got = [ensemble.predict(row.tolist()) for row in X[:50]]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_none_is_missing(boosters, tmp_path):
    X, churn, _ = boosters
    path = tmp_path / "churn.json"
    churn.save_model(str(path))
    ensemble = TreeEnsemble.load(path)
    row = X[0].tolist()
    row[3] = float("nan")
    with_none = [None if np.isnan(v) else v for v in row]
    assert ensemble.predict(row) == ensemble.predict(with_none)


def test_shap_values_match_pred_contribs(boosters, tmp_path):
    X, churn, _ = boosters
    path = tmp_path / "churn.ubj"
    churn.save_model(str(path))
    ensemble = TreeEnsemble.load(path)
    expected = churn.predict(xgb.DMatrix(X[:40], feature_names=FEATURES), pred_contribs=True)
    got = np.array([ensemble.contributions(row.tolist()) for row in X[:40]])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # contributions add up to the margin
    margins = [ensemble.margin(row.tolist()) for row in X[:40]]
    np.testing.assert_allclose(got.sum(axis=1), margins, rtol=1e-5, atol=1e-5)


def test_path_contributions_match_approx_contribs(boosters, tmp_path):
    X, churn, _ = boosters
    path = tmp_path / "churn.json"
    churn.save_model(str(path))
    ensemble = TreeEnsemble.load(path)
    expected = churn.predict(
        xgb.DMatrix(X[:60], feature_names=FEATURES), pred_contribs=True, approx_contribs=True
    )
    got = np.array([ensemble.path_contributions(row.tolist()) for row in X[:60]])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    margins = [ensemble.margin(row.tolist()) for row in X[:60]]
    np.testing.assert_allclose(got.sum(axis=1), margins, rtol=1e-5, atol=1e-5)


def test_ubjson_reader_reads_what_xgboost_writes(boosters):
    _, churn, _ = boosters
    from_ubj = fast_predict.load_ubjson(bytes(churn.save_raw("ubj")))
    from_json = json.loads(bytes(churn.save_raw("json")))
    assert from_ubj["learner"]["objective"] == from_json["learner"]["objective"]
    tree_u = from_ubj["learner"]["gradient_booster"]["model"]["trees"][3]
    tree_j = from_json["learner"]["gradient_booster"]["model"]["trees"][3]
    assert tree_u["left_children"] == tree_j["left_children"]
    np.testing.assert_allclose(tree_u["split_conditions"], tree_j["split_conditions"], rtol=1e-6)


def test_unreadable_model_is_a_clear_error(tmp_path):
    path = tmp_path / "churn.ubj"
    path.write_bytes(b"\x00garbage")
    with pytest.raises(ArtifactIntegrityError, match="not a readable xgboost model"):
        TreeEnsemble.load(path)


def test_unknown_objective_is_refused(boosters):
    _, churn, _ = boosters
    document = json.loads(bytes(churn.save_raw("json")))
    document["learner"]["objective"]["name"] = "rank:pairwise"
    with pytest.raises(ArtifactIntegrityError, match="objective"):
        TreeEnsemble.from_document(document)


def test_fast_predict_imports_no_heavy_library():
    code = (
        "import sys; import guestloyalty.serving.fast_predict; "
        "print(','.join(m for m in ('xgboost', 'sklearn', 'scipy', 'dbt', 'numpy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_compact_cache_round_trips_and_survives_corruption(boosters, tmp_path):
    X, churn, _ = boosters
    path = tmp_path / "churn.json"
    churn.save_model(str(path))
    digest = "ab" * 32
    first = TreeEnsemble.load_cached(path, sha256=digest, best_iteration=19)
    cached = list((tmp_path / ".fast").iterdir())
    assert len(cached) == 1
    second = TreeEnsemble.load_cached(path, sha256=digest, best_iteration=19)
    assert second == first
    rows = [row.tolist() for row in X[:20]]
    assert [second.predict(r) for r in rows] == [first.predict(r) for r in rows]
    assert second.contributions(rows[0]) == first.contributions(rows[0])
    cached[0].write_bytes(cached[0].read_bytes()[:-7] + b"garbage")
    third = TreeEnsemble.load_cached(path, sha256=digest, best_iteration=19)
    assert third == first
