"""Apply the promoted models to the current snapshot and write the score tables to the build.

Writes into the gold build file:

- ``guest_scores`` — one row per guest: churn probability and risk band, lifecycle stage
  (:mod:`guestloyalty.models.lifecycle`) with the expected next stay date, the date the
  guest lapses without a stay, days overdue and value at risk, CLV and tier, suggested
  maximum retention spend, segment, the baseline's predictions beside the model's, the
  top three reasons in words, model version;
- ``guest_score_explanations`` — guest x rank: the feature, the guest's value, the typical
  value (median over the scoring snapshot), its contribution (log-odds: exact TreeSHAP or
  path attribution, ``method`` says which; see :mod:`explain`) and the sentence;
- ``feature_drift`` — PSI of every model input between training and this snapshot;
- ``segment_profiles`` — per segment: size, mean CLV, churn, redemption rate, defining traits.

and appends the scores to ``guest_score_history`` in the state file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from guestloyalty.config import Settings
from guestloyalty.errors import ModelNotFoundError
from guestloyalty.evaluation import drift
from guestloyalty.models import (
    baseline,
    churn,
    clv,
    features,
    lifecycle,
    registry,
    segments,
    stay_models,
    survival,
)
from guestloyalty.models.features import FeatureFrame
from guestloyalty.scoring import explain
from guestloyalty.warehouse import Layout, connect

REASONS = 3

SCORES_DDL = """
create or replace table guest_scores (
    guest_id varchar primary key,
    as_of_date date not null,
    churn_probability double not null,
    churn_risk varchar not null,
    lifecycle_stage varchar not null,
    slipping_reason varchar,
    previous_lifecycle_stage varchar,
    expected_next_stay_date date,
    lapses_on date,
    days_overdue integer not null,
    value_at_risk double not null,
    clv_horizon double not null,
    horizon_days integer not null,
    clv_12m double not null,
    clv_tier varchar not null,
    max_retention_spend double not null,
    segment_id integer,
    segment varchar not null,
    p_no_stay_btyd double,
    expected_stays_btyd double,
    clv_btyd double,
    p_alive_btyd double,
    p_no_stay_horizon double,
    next_stay_date_if_return date,
    reason_1 varchar,
    reason_2 varchar,
    reason_3 varchar,
    model_version varchar not null,
    model_mode varchar not null,
    scored_at timestamp not null
)
"""

HISTORY_COLUMNS: dict[str, str] = {
    "guest_id": "varchar",
    "as_of_date": "date",
    "churn_probability": "double",
    "churn_risk": "varchar",
    "lifecycle_stage": "varchar",
    "expected_next_stay_date": "date",
    "clv_horizon": "double",
    "horizon_days": "integer",
    "clv_12m": "double",
    "clv_tier": "varchar",
    "segment_id": "integer",
    "segment": "varchar",
    "p_no_stay_btyd": "double",
    "clv_btyd": "double",
    "p_alive_btyd": "double",
    "model_version": "varchar",
    "scored_at": "timestamp",
}

EXPLANATIONS_DDL = """
create or replace table guest_score_explanations (
    guest_id varchar not null,
    as_of_date date not null,
    reason_rank integer not null,
    feature varchar not null,
    guest_value double,
    typical_value double,
    contribution double,
    reason varchar not null,
    model_version varchar not null,
    method varchar not null
)
"""

TYPICAL_DDL = """
create or replace table typical_feature_values (
    feature varchar primary key,
    typical_value double,
    as_of_date date not null,
    model_version varchar not null
)
"""

DRIFT_DDL = """
create or replace table feature_drift (
    as_of_date date not null,
    model_version varchar not null,
    feature varchar not null,
    psi double not null,
    threshold double,
    status varchar not null,
    training_shares varchar,
    scoring_shares varchar
)
"""

PROFILES_DDL = """
create or replace table segment_profiles (
    segment_id integer,
    segment varchar not null,
    guests bigint not null,
    guest_share double not null,
    mean_clv_horizon double,
    total_clv_horizon double,
    mean_clv_12m double,
    total_clv_12m double,
    mean_churn_probability double,
    high_risk_share double,
    redemption_rate double,
    guests_moved_in bigint,
    defining_traits varchar,
    as_of_date date not null,
    model_version varchar not null
)
"""


@dataclass
class Scored:
    """Scores for a set of guests, as arrays."""

    guest_id: np.ndarray
    churn_probability: np.ndarray
    churn_risk: np.ndarray
    clv_horizon: np.ndarray
    clv_tier: np.ndarray
    max_retention_spend: np.ndarray
    segment_id: np.ndarray
    segment: np.ndarray
    baseline: np.ndarray  # (guests, len(BTYD_FEATURES))
    model_version: str
    mode: str
    #: The window ``clv_horizon`` (and ``churn_probability``) cover, in days after as_of.
    horizon_days: int = 365
    reasons: explain.Reasons | None = None
    #: How each guest's reasons were computed (one per guest, or one for all): ``tree_shap``,
    #: ``path_attribution`` or ``baseline_rules``.
    reason_method: np.ndarray | str = "tree_shap"
    lifecycle: lifecycle.Lifecycle | None = None
    value_at_risk: np.ndarray | None = None
    #: Each guest's stage in the latest earlier run (None: not scored then, or no run).
    previous_stage: np.ndarray | None = None
    #: Typical (median) value of each explained feature over the scored snapshot.
    typical: dict[str, float] = field(default_factory=dict)
    #: The time-to-next-stay model: P(no stay within the horizon), and the mean days from the
    #: cut-off (as_of + 1) to the next stay given one within two years (NaN: unknown).
    p_no_stay_horizon: np.ndarray | None = None
    next_stay_days: np.ndarray | None = None


@dataclass
class ScoreResult:
    guests_scored: int
    model_version: str
    mode: str
    drift_warnings: list[str] = field(default_factory=list)
    segments_moved: int | None = None
    stages: dict[str, int] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        return {
            "stages": ", ".join(f"{name} {count}" for name, count in self.stages.items()),
            "guests_scored": self.guests_scored,
            "model_version": self.model_version,
            "mode": self.mode,
            "drift_warnings": ", ".join(self.drift_warnings) or "none",
            "segment_moves": self.segments_moved,
        }


# ----------------------------------------------------------------------------------------------
# Loading artifacts
# ----------------------------------------------------------------------------------------------


def _booster(bundle: registry.ModelBundle, name: str, best_iteration: object):  # noqa: ANN202
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(bytearray(bundle.path(name).read_bytes()))
    booster.set_param({"nthread": 1})  # the batch score sets Settings.model_threads
    booster.best_iteration = int(best_iteration)  # type: ignore[call-overload]
    return booster


def _validated(bundle: registry.ModelBundle, validated: bool) -> dict[str, object] | None:
    """The manifest's ``validated`` entry when asked for and present (a refitted bundle)."""
    entry = bundle.manifest.get("validated") if validated else None
    return entry if isinstance(entry, dict) else None


def load_churn(bundle: registry.ModelBundle, *, validated: bool = False):  # noqa: ANN201
    """(booster, calibration, feature names) of a bundle's churn model; ``validated``: the
    boosters the validation figures come from, where scoring's were refitted after them."""
    if bundle.manifest.get("mode") != "xgboost":
        raise ModelNotFoundError(f"{bundle.folder}: no xgboost churn model (baseline-only run)")
    entry = _validated(bundle, validated)
    if entry is not None:
        booster = _booster(bundle, "churn_validated.json", entry["churn_best_iteration"])
        calibration = registry.read_json(bundle, "calibration_validated.json")
    else:
        booster = _booster(bundle, "churn.json", bundle.manifest["churn_best_iteration"])
        calibration = registry.read_json(bundle, "calibration.json")
    return booster, calibration, list(bundle.manifest["churn_features"])


def load_clv(bundle: registry.ModelBundle, *, validated: bool = False):  # noqa: ANN201
    """(booster, feature names, ``clv_blend`` entry) of a bundle's CLV model."""
    entry = _validated(bundle, validated)
    if entry is not None:
        booster = _booster(bundle, "clv_validated.json", entry["clv_best_iteration"])
        blend = entry.get("clv_blend")
    else:
        booster = _booster(bundle, "clv.json", bundle.manifest["clv_best_iteration"])
        blend = bundle.manifest.get("clv_blend")
    return booster, list(bundle.manifest["clv_features"]), blend


def baseline_params(bundle: registry.ModelBundle):  # noqa: ANN201
    return baseline.params_from_json(registry.read_json(bundle, "btyd.json"))


# ----------------------------------------------------------------------------------------------
# Scoring
# ----------------------------------------------------------------------------------------------


def score_frame(
    frame: FeatureFrame,
    bundle: registry.ModelBundle,
    settings: Settings,
    *,
    baseline_values: np.ndarray | None = None,
    explain_reasons: bool = False,
    typical: np.ndarray | None = None,
    stay: stay_models.StayForecast | None = None,
) -> Scored:
    """Score ``frame`` (snapshot features) with ``bundle``.

    ``baseline_values`` are the guests' BTYD columns (``baseline.BTYD_FEATURES``; NaN when not
    given). Lifecycle stages are left to :func:`with_lifecycle` (they need the last run).
    ``stay``: the stay-log candidates' forecast for the frame's guests (:func:`stay_forecast`),
    used where the manifest's ``churn_source`` / ``clv_source`` name a hazard model, and for
    ``p_no_stay_horizon`` / ``next_stay_days``.
    """
    n = len(frame)
    if baseline_values is None:
        baseline_values = np.full((n, len(baseline.BTYD_FEATURES)), np.nan)
    if set(baseline.BTYD_FEATURES) <= set(frame.feature_names):
        full = frame  # the caller appended them already
    else:
        full = frame.with_columns(baseline.BTYD_FEATURES, baseline_values)
    mode = str(bundle.manifest.get("mode", "xgboost"))
    horizon = int(bundle.manifest.get("horizon_days", settings.horizon_days))
    reasons = None
    reason_method: np.ndarray | str = "tree_shap"
    typical_by_feature: dict[str, float] = {}
    if mode == "xgboost":
        import xgboost as xgb

        churn_booster, calibration, churn_names = load_churn(bundle)
        clv_booster, clv_names, blend = load_clv(bundle)
        for booster in (churn_booster, clv_booster):  # prediction and path attributions
            booster.set_param({"nthread": settings.model_threads})
        churn_frame = full.select(churn_names)
        churn_matrix = xgb.DMatrix(churn_frame.X, feature_names=list(churn_names), nthread=1)
        raw = churn.raw_churn(churn_booster, churn_frame, matrix=churn_matrix)
        prob = churn.apply_calibration(calibration, raw)
        value = clv.predict_clv(
            clv_booster,
            full.select(clv_names),
            matrix=churn_matrix if list(clv_names) == list(churn_names) else None,
        )
        value = clv.apply_blend(value, prob, blend)
        if explain_reasons and n:
            exact = explain.exact_rows(
                prob,
                value,
                at_risk_from=settings.risk_cutoffs.high,
                limit=settings.exact_reasons_max_guests,
            )
            reason_method = np.where(exact, "tree_shap", "path_attribution").astype(object)
            contributions = explain.contributions(
                churn_booster,
                churn_frame.X,
                churn_frame.feature_names,
                exact=exact,
                matrix=churn_matrix,
            )
            typical = explain.typical_values(churn_frame.X) if typical is None else typical
            typical_by_feature = dict(zip(churn_frame.feature_names, typical.tolist(), strict=True))
            reasons = explain.top_reasons(
                contributions,
                churn_frame.X,
                churn_frame.feature_names,
                typical=typical,
                k=REASONS,
            )
    else:
        prob = np.clip(_nan_to(full.column("btyd_p_no_stay"), 1.0), 0.0, 1.0)
        value = np.maximum(_nan_to(full.column("btyd_expected_spend"), 0.0), 0.0)
        if explain_reasons and n:
            reason_method = "baseline_rules"
            reasons, typical_by_feature = _baseline_reasons(full)
    manifest = bundle.manifest
    default_source = "classifier" if mode == "xgboost" else "btyd"
    churn_source = str(manifest.get("churn_source", default_source))
    clv_source = str(manifest.get("clv_source", default_source))
    if clv_source == "btyd" and mode == "xgboost":
        value = np.maximum(_nan_to(full.column("btyd_expected_spend"), 0.0), 0.0)
    p_horizon = next_days = None
    if stay is not None:
        if churn_source in stay.curves:
            chosen = stay.p_no_stay[churn_source]
            prob = np.where(np.isnan(chosen), prob, np.clip(chosen, 0.0, 1.0))
        if clv_source in stay.curves:
            chosen = stay.clv[clv_source]
            value = np.where(np.isnan(chosen), value, np.maximum(chosen, 0.0))
        name = manifest.get("next_stay_model")
        if name in stay.curves:
            p_horizon = np.full(n, np.nan)
            next_days = np.full(n, np.nan)
            p_horizon[stay.known] = stay.curves[name].p_no_stay(horizon)
            next_days[stay.known] = stay.curves[name].expected_days_to_next_stay()
    cut = settings.risk_cutoffs
    tiers = registry.read_json(bundle, "tiers.json")["tiers"]
    seg_ids, seg_names = _segments(bundle, frame)
    return Scored(
        guest_id=frame.guest_id,
        churn_probability=prob.astype(np.float64),
        churn_risk=churn.risk_band(prob, medium=cut.medium, high=cut.high, critical=cut.critical),
        clv_horizon=value.astype(np.float64),
        clv_tier=clv.clv_tier(value, tiers),
        max_retention_spend=np.round(value * settings.retention_spend_share, 2),
        segment_id=seg_ids,
        segment=seg_names,
        baseline=np.asarray(baseline_values, dtype=np.float64),
        model_version=bundle.version,
        mode=mode,
        horizon_days=horizon,
        reasons=reasons,
        reason_method=reason_method,
        p_no_stay_horizon=p_horizon,
        next_stay_days=next_days,
        typical=typical_by_feature,
    )


@dataclass(frozen=True)
class PreviousRun:
    """The latest earlier run's lifecycle inputs, aligned with the guests scored now."""

    as_of: dt.date
    days_before: int  # days from that run's as_of to this one's
    stage: np.ndarray  # object; None where a guest was not scored then
    p_alive: np.ndarray  # NaN where unknown


def with_lifecycle(
    scored: Scored,
    full: FeatureFrame,
    settings: Settings,
    *,
    horizon_days: int,
    previous: PreviousRun | None = None,
    forecast: lifecycle.ReturnForecast | None = None,
) -> Scored:
    """Set ``scored.lifecycle`` and ``scored.value_at_risk`` from the snapshot features.

    ``forecast``: when each guest's next stay is due (a time-to-next-stay model's); default
    the guest's own rhythm beside BG/NBD P(alive) (:func:`lifecycle.rhythm_forecast`).
    """
    cut = settings.lifecycle
    thresholds = lifecycle.Thresholds(
        slip_ratio=cut.slip_ratio,
        lapse_ratio=cut.lapse_ratio,
        lost_ratio=cut.lost_ratio,
        new_lapse_ratio=cut.new_lapse_ratio,
        lapsed_p_alive=cut.lapsed_p_alive,
        lost_p_alive=cut.lost_p_alive,
        p_alive_drop=cut.p_alive_drop,
        rhythm_prior_stays=cut.rhythm_prior_stays,
        bad_experience_min_days=cut.bad_experience_min_days,
        bad_experience_days=cut.bad_experience_days,
        bad_experience_engaged_days=cut.bad_experience_engaged_days,
        engaged_within_days=cut.engaged_within_days,
        quiet_days=cut.quiet_days,
    )

    def column(name: str) -> np.ndarray:
        if name in full.feature_names:
            return full.column(name).astype(np.float64)
        return np.full(len(full), np.nan)

    stays = column("stays_count")
    typical = lifecycle.typical_gap_days(
        stays, column("mean_days_between_stays"), default=float(horizon_days)
    )
    p_alive = scored.baseline[:, baseline.BTYD_FEATURES.index("btyd_p_alive")]
    if forecast is None:
        forecast = lifecycle.rhythm_forecast(
            stays_count=stays,
            mean_gap_days=column("mean_days_between_stays"),
            p_alive=p_alive,
            typical_gap=typical,
            prior_stays=thresholds.rhythm_prior_stays,
        )
    scored.lifecycle = lifecycle.assign(
        stays_count=stays,
        days_since_last_stay=column("days_since_last_stay"),
        forecast=forecast,
        thresholds=thresholds,
        last_gap_days=column("last_gap_days"),
        gap_before_last=lifecycle.gap_before_last_stay(
            stays_count=stays,
            days_since_first_stay=column("days_since_first_stay"),
            days_since_last_stay=column("days_since_last_stay"),
            last_gap_days=column("last_gap_days"),
            typical_gap=typical,
            prior_stays=thresholds.rhythm_prior_stays,
        ),
        has_upcoming_booking=column("upcoming_bookings"),
        bad_experience=lifecycle.recent_bad_experience(
            days_since_last_stay=column("days_since_last_stay"),
            days_since_last_service_failure=column("days_since_last_service_failure"),
            last_nps=column("last_nps"),
            within_days=thresholds.bad_experience_days,
            min_days=thresholds.bad_experience_min_days,
            days_since_last_engagement=column("days_since_last_engagement"),
            engaged_days=thresholds.bad_experience_engaged_days,
            engaged_within_days=thresholds.engaged_within_days,
        ),
        days_since_last_engagement=column("days_since_last_engagement"),
        previous_p_alive=None if previous is None else previous.p_alive,
        previous_stage=None if previous is None else previous.stage,
        days_since_previous_run=None if previous is None else previous.days_before,
    )
    scored.previous_stage = None if previous is None else previous.stage
    scored.value_at_risk = lifecycle.value_at_risk(
        avg_stay_revenue=column("avg_stay_revenue"),
        expected_gap_days=forecast.expected_gap_days,
        p_alive=forecast.p_alive,
        horizon_days=horizon_days,
    )
    return scored


def _lifecycle_columns(scored: Scored, as_of: dt.date) -> dict[str, pa.Array]:
    n = len(scored.guest_id)
    life = scored.lifecycle
    if life is None:  # scored without the lifecycle step: every guest with a stay is "new"
        life = lifecycle.Lifecycle(
            stage=np.full(n, "new", dtype=object),
            next_stay_in_days=np.full(n, np.nan),
            lapses_in_days=np.full(n, np.nan),
            days_overdue=np.zeros(n, dtype=np.int64),
            slipping_reason=np.full(n, None, dtype=object),
        )
    at_risk = scored.value_at_risk if scored.value_at_risk is not None else np.zeros(n)

    def dates(days: np.ndarray) -> pa.Array:
        known = np.isfinite(days)
        offsets = np.where(known, days, 0).astype("timedelta64[D]")
        values = (np.datetime64(as_of, "D") + offsets).astype("datetime64[D]")
        return pa.array(values, pa.date32(), mask=~known)

    return {
        "lifecycle_stage": _strings(life.stage),
        "slipping_reason": _strings(life.slipping_reason),
        "previous_lifecycle_stage": _strings(
            scored.previous_stage
            if scored.previous_stage is not None
            else np.full(n, None, dtype=object)
        ),
        "expected_next_stay_date": dates(life.next_stay_in_days),
        "lapses_on": dates(life.lapses_in_days),
        "days_overdue": pa.array(life.days_overdue.astype(np.int32)),
        "value_at_risk": pa.array(np.asarray(at_risk, dtype=np.float64)),
    }


def _nan_to(values: np.ndarray, default: float) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isnan(values), default, values)


def _segments(bundle: registry.ModelBundle, frame: FeatureFrame) -> tuple[np.ndarray, np.ndarray]:
    if "segments.json" in bundle.manifest.get("files", {}):  # type: ignore[operator]
        doc = registry.read_json(bundle, "segments.json")
        ids, names = segments.assign(doc, frame)
        return ids.astype(object), names
    names = segments.rule_segments(frame) if len(frame) else np.zeros(0, dtype=object)
    return np.full(len(frame), None, dtype=object), names


def _baseline_reasons(full: FeatureFrame) -> tuple[explain.Reasons, dict[str, float]]:
    """Baseline mode has no trees to attribute: recency, frequency and spend beside typical."""
    names = ("days_since_last_stay", "stays_count", "avg_stay_revenue")
    sub = full.select(names)
    n = len(sub)
    contrib = np.tile(np.array([3.0, 2.0, 1.0]), (n, 1))
    typical = explain.typical_values(sub.X)
    reasons = explain.top_reasons(contrib, sub.X, names, typical=typical, k=len(names))
    return reasons, dict(zip(names, typical.tolist(), strict=True))


def score_current(layout: Layout, settings: Settings) -> ScoreResult:
    """Score every guest in the current snapshot and write the score tables into the build."""
    bundle = registry.load_promoted(layout)
    horizon = int(bundle.manifest.get("horizon_days", settings.horizon_days))
    with connect(layout.gold_build_path, read_only=True) as con:
        frame = features.load_current(con)
        lifecycle_inputs = features.load_current_columns(con)
        as_of = features.as_of_date(con)
    stays = baseline.load_stays_from_layout(layout)
    bg, gg = baseline_params(bundle)
    snapshot = np.datetime64(as_of + dt.timedelta(days=1), "D")
    fit = baseline.fit_snapshot(stays, snapshot, horizon_days=horizon, bgnbd=bg, gamma_gamma=gg)
    values = baseline.align(fit, frame.guest_id)
    full = frame.with_columns(baseline.BTYD_FEATURES, values)
    scored = score_frame(
        full,
        bundle,
        settings,
        baseline_values=values,
        explain_reasons=True,
        stay=stay_forecast(
            bundle, stays, fit, frame.guest_id, horizon_days=horizon, settings=settings
        ),
    )
    previous = _previous_run(layout, as_of, scored.guest_id)
    with_lifecycle(
        scored,
        full.with_columns(features.LIFECYCLE_INPUTS, lifecycle_inputs),
        settings,
        horizon_days=horizon,
        previous=previous,
    )
    scored_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table = scores_table(scored, as_of=as_of, scored_at=scored_at)
    drift_rows = _drift(bundle, full, as_of)
    moved, previous = _previous_segments(layout, as_of, scored)
    with connect(layout.gold_build_path) as con:
        con.execute(SCORES_DDL)
        _insert(con, "guest_scores", table)
        con.execute(EXPLANATIONS_DDL)
        _insert(con, "guest_score_explanations", _explanations_table(scored, as_of))
        con.execute(TYPICAL_DDL)
        _insert(con, "typical_feature_values", _typical_table(scored, as_of))
        con.execute(DRIFT_DDL)
        _insert(con, "feature_drift", _drift_table(drift_rows, as_of, bundle.version))
        con.execute(PROFILES_DDL)
        _insert(
            con,
            "segment_profiles",
            _profiles_table(bundle, scored, full, previous, as_of),
        )
    _append_history(layout, table, as_of)
    warnings = [f"{row.feature} (PSI {row.psi:.2f})" for row in drift_rows if row.status == "warn"]
    return ScoreResult(
        guests_scored=len(frame),
        model_version=bundle.version,
        mode=scored.mode,
        drift_warnings=warnings,
        segments_moved=moved,
        stages={
            name: int(np.sum(scored.lifecycle.stage == name))
            for name in lifecycle.STAGES
            if scored.lifecycle is not None and np.any(scored.lifecycle.stage == name)
        },
    )


def write_empty_scores(layout: Layout) -> None:
    """No model could be trained: the score tables, empty, so that the marts that need no
    model (guest_360, business metrics) still build, with their score columns null."""
    with connect(layout.gold_build_path) as con:
        for ddl in (SCORES_DDL, EXPLANATIONS_DDL, TYPICAL_DDL, DRIFT_DDL, PROFILES_DDL):
            con.execute(ddl)


def stay_forecast(
    bundle: registry.ModelBundle,
    stays: baseline.StayLog,
    fit: baseline.SnapshotFit,
    guest_ids: np.ndarray,
    *,
    horizon_days: int,
    settings: Settings,
) -> stay_models.StayForecast | None:
    """The bundle's hazard models (those scoring uses) applied to the stays before the cut-off."""
    metas = bundle.manifest.get("hazard_models") or {}
    used = {
        bundle.manifest.get("churn_source"),
        bundle.manifest.get("clv_source"),
        bundle.manifest.get("next_stay_model"),
    }
    hazard = {
        name: survival.load_model(bundle.path(f"{name}.json").read_bytes(), meta)
        for name, meta in metas.items()  # type: ignore[union-attr]
        if name in used and (fit.ok or not meta.get("blend"))
    }
    if not hazard:
        return None
    history = stay_models.before(stays, fit.snapshot_date)
    models = stay_models.StayModels(
        cutoff=fit.snapshot_date,
        horizon_days=horizon_days,
        log=survival.day_log(history.guest_id, history.check_in, history.revenue),
        fit=fit,
        base=survival.BaselineParams(fit.bgnbd, baseline.UNIT_DAYS) if fit.ok else None,
        hazard=hazard,
    )
    return stay_models.forecast(
        models,
        guest_ids,
        horizon_days=horizon_days,
        max_days=survival.MAX_DAYS,
        threads=settings.model_threads,
    )


def scores_table(scored: Scored, *, as_of: dt.date, scored_at: dt.datetime) -> pa.Table:
    n = len(scored.guest_id)
    reason_cols = {}
    for rank in range(REASONS):
        texts = (
            np.ascontiguousarray(scored.reasons.text[:, rank])
            if scored.reasons is not None and scored.reasons.text.shape[1] > rank
            else [None] * n
        )
        reason_cols[f"reason_{rank + 1}"] = pa.array(texts, pa.string())
    base = scored.baseline

    def nullable(values: np.ndarray) -> pa.Array:
        values = np.asarray(values, dtype=np.float64)
        return pa.array(values, pa.float64(), mask=np.isnan(values))

    return pa.table(
        {
            "guest_id": _strings(scored.guest_id),
            "as_of_date": pa.array([as_of] * n, pa.date32()),
            "churn_probability": scored.churn_probability,
            "churn_risk": _strings(scored.churn_risk),
            **_lifecycle_columns(scored, as_of),
            "clv_horizon": scored.clv_horizon,
            "horizon_days": pa.array([scored.horizon_days] * n, pa.int32()),
            # deprecated alias of clv_horizon (whatever the horizon), dropped next release
            "clv_12m": scored.clv_horizon,
            "clv_tier": _strings(scored.clv_tier),
            "max_retention_spend": scored.max_retention_spend,
            "segment_id": pa.array(scored.segment_id.tolist(), pa.int32()),
            "segment": _strings(scored.segment),
            "p_no_stay_btyd": nullable(base[:, 0]),
            "expected_stays_btyd": nullable(base[:, 1]),
            "clv_btyd": nullable(base[:, 2]),
            "p_alive_btyd": nullable(base[:, 3]),
            "p_no_stay_horizon": nullable(
                np.full(n, np.nan) if scored.p_no_stay_horizon is None else scored.p_no_stay_horizon
            ),
            "next_stay_date_if_return": _next_stay_dates(scored.next_stay_days, as_of, n),
            **reason_cols,
            "model_version": pa.array([scored.model_version] * n, pa.string()),
            "model_mode": pa.array([scored.mode] * n, pa.string()),
            "scored_at": pa.array([scored_at] * n, pa.timestamp("us")),
        }
    )


def _next_stay_dates(days: np.ndarray | None, as_of: dt.date, n: int) -> pa.Array:
    """as_of + 1 (the cut-off) + the expected days to the next stay; null where unknown."""
    if days is None:
        return pa.nulls(n, pa.date32())
    days = np.asarray(days, dtype=np.float64)
    known = ~np.isnan(days)
    cutoff = np.datetime64(as_of, "D") + np.timedelta64(1, "D")
    dates = cutoff + np.where(known, np.floor(days), 0).astype("timedelta64[D]")
    return pa.array(dates, pa.date32(), mask=~known)


def _explanations_table(scored: Scored, as_of: dt.date) -> pa.Table:
    reasons = scored.reasons
    if reasons is None or len(scored.guest_id) == 0:
        n, k = 0, 0
    else:
        n, k = reasons.text.shape
    guest = np.repeat(scored.guest_id, k) if n else np.zeros(0, dtype=object)
    table = pa.table(
        {
            "guest_id": _strings(guest),
            "as_of_date": pa.array([as_of] * (n * k), pa.date32()),
            "reason_rank": pa.array(np.tile(np.arange(1, k + 1), n).astype(np.int32)),
            "feature": _strings(reasons.feature.ravel() if n else []),
            "guest_value": _nullable(reasons.value.ravel() if n else np.zeros(0)),
            "typical_value": _nullable(reasons.typical.ravel() if n else np.zeros(0)),
            "contribution": _nullable(reasons.contribution.ravel() if n else np.zeros(0)),
            "reason": _strings(reasons.text.ravel() if n else []),
            "model_version": pa.array([scored.model_version] * (n * k), pa.string()),
            "method": _strings(np.repeat(np.broadcast_to(scored.reason_method, n), k) if n else []),
        }
    )
    if not n:
        return table
    # a reason that reads like the typical guest explains nothing: no row for it
    return table.filter(pa.array(reasons.text.ravel() != None))  # noqa: E711


def _typical_table(scored: Scored, as_of: dt.date) -> pa.Table:
    """What "typical" means in a reason (the median over the scored guests), per feature;
    score-guest reads it so that a live reason contrasts with the same value."""
    names = list(scored.typical)
    return pa.table(
        {
            "feature": pa.array(names, pa.string()),
            "typical_value": _nullable(np.array([scored.typical[n] for n in names], dtype=float)),
            "as_of_date": pa.array([as_of] * len(names), pa.date32()),
            "model_version": pa.array([scored.model_version] * len(names), pa.string()),
        }
    )


def _strings(values: np.ndarray | list) -> pa.Array:
    """A string column straight from a numpy object array (None: null), without a list copy."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pa.array(np.ascontiguousarray(values), pa.string())
    return pa.array(list(values), pa.string())


def _nullable(values: np.ndarray) -> pa.Array:
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _drift(bundle: registry.ModelBundle, full: FeatureFrame, as_of: dt.date) -> list[drift.Drift]:
    if "drift.json" not in bundle.manifest.get("files", {}) or len(full) == 0:  # type: ignore[operator]
        return []
    ref = registry.read_json(bundle, "drift.json")
    names = [name for name in ref["features"] if name in full.feature_names]
    return drift.feature_psi(ref, full.select(names).X, names, as_of=as_of)


def _drift_table(rows: list[drift.Drift], as_of: dt.date, version: str) -> pa.Table:
    return pa.table(
        {
            "as_of_date": pa.array([as_of] * len(rows), pa.date32()),
            "model_version": pa.array([version] * len(rows), pa.string()),
            "feature": pa.array([row.feature for row in rows], pa.string()),
            "psi": pa.array([float(row.psi) for row in rows], pa.float64()),
            "threshold": pa.array([float(row.threshold) for row in rows], pa.float64()),
            "status": pa.array([row.status for row in rows], pa.string()),
            "training_shares": pa.array(
                [json.dumps([round(v, 4) for v in row.training_shares.tolist()]) for row in rows],
                pa.string(),
            ),
            "scoring_shares": pa.array(
                [json.dumps([round(v, 4) for v in row.scoring_shares.tolist()]) for row in rows],
                pa.string(),
            ),
        }
    )


def _previous_run(layout: Layout, as_of: dt.date, guest_ids: np.ndarray) -> PreviousRun | None:
    """The lifecycle stage and P(alive) of each guest in the latest run before ``as_of``."""
    if not layout.state_path.exists():
        return None
    with connect(layout.state_path, read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
        if "guest_score_history" not in tables:
            return None
        columns = {row[0] for row in con.execute("describe guest_score_history").fetchall()}
        if not {"lifecycle_stage", "p_alive_btyd"} <= columns:
            return None
        earlier = con.execute(
            "select max(as_of_date) from guest_score_history "
            "where as_of_date < ? and lifecycle_stage is not null",
            [as_of],
        ).fetchall()[0][0]
        if earlier is None:
            return None
        previous = con.sql(
            "select guest_id, lifecycle_stage, p_alive_btyd from guest_score_history "
            "where as_of_date = ?",
            params=[earlier],
        ).pl()
    import polars as pl

    aligned = pl.DataFrame({"guest_id": pl.Series(guest_ids.tolist(), dtype=pl.String)}).join(
        previous.unique("guest_id", keep="last", maintain_order=True),
        on="guest_id",
        how="left",
        maintain_order="left",
    )
    return PreviousRun(
        as_of=earlier,
        days_before=(as_of - earlier).days,
        stage=np.asarray(aligned["lifecycle_stage"].to_list(), dtype=object),
        p_alive=aligned["p_alive_btyd"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
    )


def _previous_segments(
    layout: Layout, as_of: dt.date, scored: Scored
) -> tuple[int | None, np.ndarray | None]:
    """Guests whose segment id changed since the latest earlier run, and every scored guest's
    segment id in that run (NaN: not scored then), aligned with ``scored.guest_id``."""
    if not layout.state_path.exists():
        return None, None
    with connect(layout.state_path, read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}
        if "guest_score_history" not in tables:
            return None, None
        columns = {row[0] for row in con.execute("describe guest_score_history").fetchall()}
        if "segment_id" not in columns:
            return None, None
        previous = con.sql(
            "select guest_id, segment_id from guest_score_history "
            "where as_of_date = (select max(as_of_date) from guest_score_history "
            "where as_of_date < ? and segment_id is not null)",
            params=[as_of],
        ).pl()
    if previous.height == 0:
        return None, None
    import polars as pl

    before = (
        pl.DataFrame({"guest_id": pl.Series(scored.guest_id.tolist(), dtype=pl.String)})
        .join(
            previous.unique("guest_id", keep="last", maintain_order=True),
            on="guest_id",
            how="left",
            maintain_order="left",
        )["segment_id"]
        .cast(pl.Float64)
        .fill_null(float("nan"))
        .to_numpy()
    )
    now = pl.Series(scored.segment_id.tolist(), dtype=pl.Float64).fill_null(float("nan"))
    now = now.to_numpy()
    moved = int(np.sum(~np.isnan(before) & ~np.isnan(now) & (before != now)))
    return moved, before


def _profiles_table(
    bundle: registry.ModelBundle,
    scored: Scored,
    full: FeatureFrame,
    previous: np.ndarray | None,
    as_of: dt.date,
) -> pa.Table:
    traits: dict[int, str] = {}
    if "segments.json" in bundle.manifest.get("files", {}):  # type: ignore[operator]
        traits = segments.defining_traits(registry.read_json(bundle, "segments.json"))
    redemption = _redemption_flags(full)
    keys = sorted(
        {(sid, name) for sid, name in zip(scored.segment_id, scored.segment, strict=True)}, key=str
    )
    n = len(scored.guest_id)
    cols: dict[str, list] = {
        c: []
        for c in (
            "segment_id",
            "segment",
            "guests",
            "guest_share",
            "mean_clv_horizon",
            "total_clv_horizon",
            "mean_churn_probability",
            "high_risk_share",
            "redemption_rate",
            "guests_moved_in",
            "defining_traits",
        )
    }
    high = np.isin(scored.churn_risk, ["HIGH", "CRITICAL"])
    for sid, name in keys:
        rows = scored.segment == name  # names are unique within a run
        count = int(rows.sum())
        cols["segment_id"].append(sid)
        cols["segment"].append(name)
        cols["guests"].append(count)
        cols["guest_share"].append(count / n if n else 0.0)
        cols["mean_clv_horizon"].append(float(scored.clv_horizon[rows].mean()) if count else None)
        cols["total_clv_horizon"].append(float(scored.clv_horizon[rows].sum()))
        cols["mean_churn_probability"].append(
            float(scored.churn_probability[rows].mean()) if count else None
        )
        cols["high_risk_share"].append(float(high[rows].mean()) if count else None)
        cols["redemption_rate"].append(
            None if redemption is None or not count else float(redemption[rows].mean())
        )
        if previous is not None:
            earlier = previous[rows]
            moved_in = int(np.sum(~np.isnan(earlier) & (earlier != sid)))
            cols["guests_moved_in"].append(moved_in)
        else:
            cols["guests_moved_in"].append(None)
        cols["defining_traits"].append(traits.get(sid) if sid is not None else None)
    return pa.table(
        {
            "segment_id": pa.array(cols["segment_id"], pa.int32()),
            "segment": pa.array(cols["segment"], pa.string()),
            "guests": pa.array(cols["guests"], pa.int64()),
            "guest_share": pa.array(cols["guest_share"], pa.float64()),
            "mean_clv_horizon": pa.array(cols["mean_clv_horizon"], pa.float64()),
            "total_clv_horizon": pa.array(cols["total_clv_horizon"], pa.float64()),
            # deprecated aliases, dropped next release
            "mean_clv_12m": pa.array(cols["mean_clv_horizon"], pa.float64()),
            "total_clv_12m": pa.array(cols["total_clv_horizon"], pa.float64()),
            "mean_churn_probability": pa.array(cols["mean_churn_probability"], pa.float64()),
            "high_risk_share": pa.array(cols["high_risk_share"], pa.float64()),
            "redemption_rate": pa.array(cols["redemption_rate"], pa.float64()),
            "guests_moved_in": pa.array(cols["guests_moved_in"], pa.int64()),
            "defining_traits": pa.array(cols["defining_traits"], pa.string()),
            "as_of_date": pa.array([as_of] * len(keys), pa.date32()),
            "model_version": pa.array([scored.model_version] * len(keys), pa.string()),
        }
    )


#: Snapshot columns that say a guest redeemed loyalty points (the first present is used).
REDEMPTION_COLUMNS = ("redemptions_365d", "redemptions_count", "points_redeemed_365d")


def _redemption_flags(full: FeatureFrame) -> np.ndarray | None:
    for name in REDEMPTION_COLUMNS:
        if name in full.feature_names:
            values = full.column(name)
            return np.where(np.isnan(values), 0.0, (values > 0).astype(np.float64))
    return None


def _insert(con, name: str, table: pa.Table) -> None:  # noqa: ANN001
    con.register("scored_arrow", table)
    try:
        con.execute(f"insert into {name} by name select * from scored_arrow")
    finally:
        con.unregister("scored_arrow")


def _append_history(layout: Layout, table: pa.Table, as_of: dt.date) -> None:
    """Keep every run's scores in the state file; a rerun for the same as_of replaces them."""
    layout.state_path.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"{name} {kind}" for name, kind in HISTORY_COLUMNS.items())
    with connect(layout.state_path) as con:
        con.execute(f"create table if not exists guest_score_history ({columns})")
        for name, kind in HISTORY_COLUMNS.items():
            con.execute(f"alter table guest_score_history add column if not exists {name} {kind}")
        # rows kept before clv_horizon existed hold the same value under its old name
        con.execute(
            "update guest_score_history set clv_horizon = clv_12m "
            "where clv_horizon is null and clv_12m is not null"
        )
        con.execute("delete from guest_score_history where as_of_date = ?", [as_of])
        history = table.select([name for name in HISTORY_COLUMNS if name in table.column_names])
        _insert(con, "guest_score_history", history)
