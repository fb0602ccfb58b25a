"""Uplift: what an offer changes for each guest, learned from randomized campaigns.

``UpliftModel().fit(X, treatment, y)`` takes a numeric feature matrix, who was treated (0/1,
randomized) and the outcome (0/1, e.g. came back in the campaign window); ``predict(X)``
returns the estimated uplift per row, P(outcome | treated) - P(outcome | not treated).

Several meta-learners are candidates (:data:`LEARNERS`); ``fit`` scores each by Qini AUC on
held-out data and keeps the best, refitted on everything:

- with ``groups`` (one campaign id per row) and at least two campaigns, each campaign is held
  out in turn (the model must rank guests of a campaign it never saw);
- otherwise ``folds`` stratified folds of treatment x outcome.

The scores are in ``scores_`` and the winner in ``learner_``. Pure numpy / scikit-learn: no
warehouse, no files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from guestloyalty.evaluation.uplift_metrics import qini_auc_score

#: Meta-learners, in the order they are tried (a tie keeps the earlier, simpler one).
LEARNERS: tuple[str, ...] = (
    "two_model_logistic",
    "interaction_logistic",
    "x_learner_logistic",
    "two_model_boosting",
    "x_learner_boosting",
    "sparse_dr",
)
#: Tried by default: the X-learner on boosted trees costs several times the others and did
#: not rank better on Hillstrom or the synthetic campaigns (benchmarks/README.md).
DEFAULT_LEARNERS: tuple[str, ...] = (*LEARNERS[:4], "sparse_dr")
#: Lasso penalties of ``sparse_dr``, as fractions of the smallest one that keeps no feature.
SPARSE_PENALTIES: tuple[float, ...] = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05)


def _scaled(estimator):  # noqa: ANN001, ANN202 - scikit-learn estimators
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), estimator)


def _logistic(c: float = 1.0):  # noqa: ANN202
    from sklearn.linear_model import LogisticRegression

    return _scaled(LogisticRegression(C=c, max_iter=500))


def _boosting(seed: int):  # noqa: ANN202
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=120,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=200,
        l2_regularization=1.0,
        random_state=seed,
    )


def _ridge():  # noqa: ANN202
    from sklearn.linear_model import Ridge

    return _scaled(Ridge(alpha=10.0))


def _boosting_regressor(seed: int):  # noqa: ANN202
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=100,
        learning_rate=0.05,
        max_depth=3,
        min_samples_leaf=300,
        l2_regularization=1.0,
        random_state=seed,
    )


def _proba(model, X: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """P(outcome = 1); a model that saw one class only predicts that class."""
    classes = list(model.classes_)
    if 1 not in classes:
        return np.zeros(len(X))
    return model.predict_proba(X)[:, classes.index(1)]


class _Constant:
    """Stands in for a classifier when a group has one outcome class only."""

    def __init__(self, value: float) -> None:
        self.value = value
        self.classes_ = [0, 1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.full(len(X), self.value)
        return np.column_stack([1 - p, p])


def _fit_classifier(make: Callable[[], object], X: np.ndarray, y: np.ndarray):  # noqa: ANN202
    if np.unique(y).size < 2:
        return _Constant(float(y[0]) if y.size else 0.0)
    return make().fit(X, y)


@dataclass
class _Fitted:
    predict: Callable[[np.ndarray], np.ndarray]


def _two_model(make: Callable[[], object], X: np.ndarray, t: np.ndarray, y: np.ndarray) -> _Fitted:
    treated = _fit_classifier(make, X[t == 1], y[t == 1])
    control = _fit_classifier(make, X[t == 0], y[t == 0])
    return _Fitted(lambda Z: _proba(treated, Z) - _proba(control, Z))


def _with_treatment(X: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    t_col = np.broadcast_to(np.asarray(t, dtype=np.float64), (len(X),))[:, None]
    return np.hstack([X, t_col, X * t_col])


def _interaction(X: np.ndarray, t: np.ndarray, y: np.ndarray) -> _Fitted:
    """One logistic model on features, treatment and feature x treatment (shared shrinkage)."""
    model = _fit_classifier(_logistic, _with_treatment(X, t), y)
    return _Fitted(
        lambda Z: _proba(model, _with_treatment(Z, 1.0)) - _proba(model, _with_treatment(Z, 0.0))
    )


def _x_learner(
    make: Callable[[], object],
    make_regressor: Callable[[], object],
    X: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
) -> _Fitted:
    """Künzel et al. (2019): impute each side's effect with the other side's outcome model,
    regress it on the features, and blend the two by the treated share."""
    treated = _fit_classifier(make, X[t == 1], y[t == 1])
    control = _fit_classifier(make, X[t == 0], y[t == 0])
    effect_treated = y[t == 1] - _proba(control, X[t == 1])
    effect_control = _proba(treated, X[t == 0]) - y[t == 0]
    tau_treated = make_regressor().fit(X[t == 1], effect_treated)
    tau_control = make_regressor().fit(X[t == 0], effect_control)
    share = float(t.mean())  # randomized: the propensity is the treated share everywhere
    return _Fitted(lambda Z: (1 - share) * tau_treated.predict(Z) + share * tau_control.predict(Z))


def _stratified_folds(t: np.ndarray, y: np.ndarray, folds: int, seed: int) -> list:
    from sklearn.model_selection import StratifiedKFold

    strata = (t * 2 + y).astype(int)
    counts = np.bincount(strata, minlength=4)
    folds = int(max(2, min(folds, counts[counts > 0].min())))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(t)), strata))


def _dr_pseudo_outcome(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Doubly robust pseudo-outcome (Kennedy 2023), outcome models cross-fitted on 3 folds:
    ``mu1 - mu0 + t (y - mu1) / e - (1 - t) (y - mu0) / (1 - e)``, whose mean given x is the
    uplift; e is the treated share (randomized assignment)."""
    e = float(t.mean())
    mu1, mu0 = np.empty(len(y)), np.empty(len(y))
    for fit_rows, out_rows in _stratified_folds(t, y, 3, seed):
        fitted = _two_arms(_logistic, X[fit_rows], t[fit_rows], y[fit_rows])
        mu1[out_rows] = _proba(fitted[0], X[out_rows])
        mu0[out_rows] = _proba(fitted[1], X[out_rows])
    return mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)


def _lasso_path(
    X: np.ndarray, target: np.ndarray, fractions: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Standardised lasso of ``target`` on ``X`` at each penalty fraction: (mean, scale,
    coefficients features x penalties, intercept)."""
    from sklearn.linear_model import lasso_path

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Z = (X - mean) / scale
    centred = target - target.mean()
    largest = float(np.abs(Z.T @ centred).max()) / len(target)
    if largest == 0:
        return mean, scale, np.zeros((X.shape[1], len(fractions))), float(target.mean())
    alphas = largest * np.asarray(fractions, dtype=np.float64)
    _, coefs, _ = lasso_path(Z, centred, alphas=alphas, max_iter=5000)
    return mean, scale, coefs, float(target.mean())


def _sparse_dr(X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int) -> _Fitted:
    """DR-learner with a lasso final stage: few features carry the effect, the others none.

    The penalty is chosen by Qini AUC over 3 folds of these rows with the one-standard-error
    rule (the sparsest penalty within one standard error of the best), as cross-validated
    lasso usually is: on a weak effect the Qini of neighbouring penalties differs by noise.
    """
    fractions = SPARSE_PENALTIES
    per_fold = []
    for fit_rows, out_rows in _stratified_folds(t, y, 3, seed):
        psi = _dr_pseudo_outcome(X[fit_rows], t[fit_rows], y[fit_rows], seed)
        mean, scale, coefs, _ = _lasso_path(X[fit_rows], psi, fractions)
        scores = ((X[out_rows] - mean) / scale) @ coefs
        per_fold.append(
            [
                qini_auc_score(y[out_rows], scores[:, j], t[out_rows])
                if np.ptp(scores[:, j]) > 0
                else 0.0
                for j in range(len(fractions))
            ]
        )
    qini = np.nan_to_num(np.asarray(per_fold, dtype=np.float64))
    mean_qini = qini.mean(axis=0)
    best = int(np.argmax(mean_qini))
    error = float(qini[:, best].std(ddof=1) / np.sqrt(len(qini)))
    chosen = int(np.flatnonzero(mean_qini >= mean_qini[best] - error)[0])
    psi = _dr_pseudo_outcome(X, t, y, seed)
    mean, scale, coefs, intercept = _lasso_path(X, psi, (fractions[chosen],))
    coef = coefs[:, 0]
    return _Fitted(lambda Z: intercept + ((Z - mean) / scale) @ coef)


def _two_arms(make: Callable[[], object], X: np.ndarray, t: np.ndarray, y: np.ndarray) -> tuple:
    return (
        _fit_classifier(make, X[t == 1], y[t == 1]),
        _fit_classifier(make, X[t == 0], y[t == 0]),
    )


def _fit_learner(name: str, X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int) -> _Fitted:
    if name == "two_model_logistic":
        return _two_model(_logistic, X, t, y)
    if name == "interaction_logistic":
        return _interaction(X, t, y)
    if name == "x_learner_logistic":
        return _x_learner(_logistic, _ridge, X, t, y)
    if name == "two_model_boosting":
        return _two_model(lambda: _boosting(seed), X, t, y)
    if name == "x_learner_boosting":
        return _x_learner(lambda: _boosting(seed), lambda: _boosting_regressor(seed), X, t, y)
    if name == "sparse_dr":
        return _sparse_dr(X, t, y, seed)
    raise ValueError(f"unknown uplift learner {name!r}; known: {', '.join(LEARNERS)}")


def _check(X: np.ndarray, treatment: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d numeric array (got {X.ndim} dimensions)")
    t = np.asarray(treatment, dtype=np.float64).ravel()
    outcome = np.asarray(y, dtype=np.float64).ravel()
    if not (len(X) == t.size == outcome.size):
        raise ValueError(f"lengths differ: X {len(X)}, treatment {t.size}, y {outcome.size}")
    if not np.isin(np.unique(t), (0, 1)).all() or np.unique(t).size < 2:
        raise ValueError("treatment must hold both 0 (control) and 1 (treated)")
    if not np.isin(np.unique(outcome), (0, 1)).all():
        raise ValueError("y must be binary (0/1)")
    return np.nan_to_num(X), t, outcome


def _splits(
    t: np.ndarray, y: np.ndarray, groups: np.ndarray | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    if groups is not None and np.unique(groups).size >= 2:
        return [
            (np.flatnonzero(groups != g), np.flatnonzero(groups == g)) for g in np.unique(groups)
        ]
    return _stratified_folds(t, y, folds, seed)


def _threads(n: int):  # noqa: ANN202 - a threadpoolctl context manager
    """Cap OpenMP and BLAS threads (the libraries must be loaded first to be capped)."""
    import sklearn.ensemble  # noqa: F401 - loads OpenMP
    import sklearn.linear_model  # noqa: F401 - loads BLAS
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


class UpliftModel:
    """Estimated uplift per row, by the meta-learner that ranks held-out guests best.

    ``learners``: candidates (default :data:`DEFAULT_LEARNERS`, any of :data:`LEARNERS`);
    one name skips the selection.
    ``folds``: cross-validation folds when no ``groups`` are given. ``random_state`` seeds
    the folds and the boosted trees.
    ``n_threads``: OpenMP / BLAS threads while fitting and predicting. 1 by default: on a
    busy machine the threads of the boosted trees spin and one fit on 1,800 rows took 20 s
    instead of 0.2 s (benchmarks/README.md, "campaign simulate").
    """

    def __init__(
        self,
        *,
        learners: Sequence[str] = DEFAULT_LEARNERS,
        folds: int = 3,
        random_state: int = 0,
        n_threads: int = 1,
    ) -> None:
        unknown = [name for name in learners if name not in LEARNERS]
        if unknown or not learners:
            raise ValueError(f"unknown uplift learner(s) {unknown}; known: {', '.join(LEARNERS)}")
        self.learners = tuple(learners)
        self.folds = folds
        self.random_state = random_state
        if n_threads < 1:
            raise ValueError(f"n_threads must be at least 1 (got {n_threads})")
        self.n_threads = n_threads

    def get_params(self, deep: bool = True) -> dict[str, object]:  # noqa: ARG002 - sklearn API
        return {
            "learners": self.learners,
            "folds": self.folds,
            "random_state": self.random_state,
            "n_threads": self.n_threads,
        }

    def fit(
        self,
        X: np.ndarray,
        treatment: np.ndarray,
        y: np.ndarray,
        *,
        groups: np.ndarray | None = None,
    ) -> UpliftModel:
        """Choose the learner by held-out Qini AUC, then refit it on all rows."""
        X, t, outcome = _check(X, treatment, y)
        with _threads(self.n_threads):
            return self._fit(X, t, outcome, groups)

    def _fit(
        self, X: np.ndarray, t: np.ndarray, outcome: np.ndarray, groups: np.ndarray | None
    ) -> UpliftModel:
        scores: dict[str, float] = {}
        if len(self.learners) > 1:
            groups = None if groups is None else np.asarray(groups)
            splits = _splits(t, outcome, groups, self.folds, self.random_state)
            for name in self.learners:
                per_split = []
                for train, test in splits:
                    if np.unique(t[train]).size < 2 or np.unique(t[test]).size < 2:
                        continue
                    model = _fit_learner(
                        name, X[train], t[train], outcome[train], self.random_state
                    )
                    per_split.append(qini_auc_score(outcome[test], model.predict(X[test]), t[test]))
                scores[name] = float(np.nanmean(per_split)) if per_split else float("nan")
            ranked = [n for n in self.learners if np.isfinite(scores[n])] or list(self.learners)
            best = max(ranked, key=lambda n: scores.get(n, float("-inf")))
        else:
            best = self.learners[0]
        self.scores_ = scores
        self.learner_ = best
        self._model = _fit_learner(best, X, t, outcome, self.random_state)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Estimated uplift per row (treated minus untreated outcome probability)."""
        if not hasattr(self, "_model"):
            raise ValueError("UpliftModel is not fitted yet: call fit(X, treatment, y) first")
        X = np.nan_to_num(np.asarray(X, dtype=np.float64))
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X must have {self.n_features_in_} columns like the training data "
                f"(got shape {X.shape})"
            )
        with _threads(self.n_threads):
            return np.asarray(self._model.predict(X), dtype=np.float64)
