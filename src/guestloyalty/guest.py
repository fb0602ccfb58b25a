"""One guest, scored live from the published gold features with the promoted models.

``guestloyalty score-guest ID`` is what a front-desk or CRM operator runs while the guest is
in front of them, so it loads only what one guest needs:

- one row of features from ``guest_feature_snapshots`` (the current snapshot), fetched with
  the id as a bound parameter;
- the promoted model artifacts, checked against their manifest and evaluated in plain
  Python by :mod:`guestloyalty.scoring.fast_predict` (no xgboost, sklearn or numpy import);
- the few lookup rows the next best action needs (playbook, offer catalog, the guest's
  contact profile) when gold has them.

The result is a :class:`GuestScore`, a versioned pydantic model; ``--json`` prints it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from guestloyalty.config import Settings
from guestloyalty.errors import GuestNotFoundError, ModelNotFoundError, NoDataError
from guestloyalty.scoring import light
from guestloyalty.scoring.light import BASELINE_COLUMNS
from guestloyalty.warehouse import Layout, connect

if TYPE_CHECKING:
    import duckdb

    from guestloyalty.scoring.registry import ModelBundle

SCHEMA_VERSION = "1.0"
REASONS = 3

#: How each model input reads in a sentence: (template for the value, kind of value).
PHRASES: dict[str, tuple[str, str]] = {
    "stays_count": ("{v} stays so far", "count"),
    "lifetime_revenue": ("{v} spent so far", "money"),
    "avg_stay_revenue": ("{v} per stay", "money"),
    "avg_nights": ("{v} nights per stay", "decimal"),
    "ancillary_share": ("{v} of spend on F&B and spa", "share"),
    "days_since_last_stay": ("{v} days since last stay", "count"),
    "days_since_first_stay": ("{v} days since first stay", "count"),
    "mean_days_between_stays": ("{v} days between stays", "count"),
    "stays_last_365d": ("{v} stays in the last 12 months", "count"),
    "revenue_last_365d": ("{v} spent in the last 12 months", "money"),
    "properties_visited": ("{v} properties visited", "count"),
    "bookings_count": ("{v} bookings made", "count"),
    "cancellations_count": ("{v} cancellations", "count"),
    "avg_lead_days": ("booked {v} days ahead on average", "count"),
    "upcoming_bookings": ("{v} upcoming bookings", "count"),
    "email_sends_180d": ("{v} emails received in 6 months", "count"),
    "email_opens_180d": ("{v} emails opened in 6 months", "count"),
    "email_open_rate_180d": ("{v} email open rate (6 months)", "share"),
    "sessions_90d": ("{v} app/web sessions in 3 months", "count"),
    "days_since_last_engagement": ("{v} days since last email open or session", "count"),
    "is_loyalty_member": ("loyalty member: {v}", "flag"),
    "btyd_p_no_stay": ("{v} chance of no stay in the horizon (BG/NBD)", "share"),
    "btyd_expected_stays": ("{v} expected stays in the horizon (BG/NBD)", "decimal"),
    "btyd_expected_spend": ("{v} expected spend in the horizon (BG/NBD)", "money"),
    "btyd_p_alive": ("{v} chance still active (BG/NBD)", "share"),
}


class Reason(BaseModel):
    """One reason behind the churn score: a model input, the guest's value, the typical one."""

    feature: str
    value: float | None
    typical: float | None = Field(description="Median over the guests in the same snapshot.")
    contribution: float = Field(description="SHAP contribution to the churn log-odds.")
    text: str


class NextAction(BaseModel):
    """The recommended next action, from the seed playbook (see ``next_best_action``)."""

    journey_stage: str
    offer_id: str
    offer_name: str
    channel: str = Field(description="email, sms, push, front_desk or none (no consent).")
    timing: str
    price_multiplier: float = Field(ge=0.7, le=1.3)
    may_contact: bool
    rule_id: str
    rationale: str


class GuestScore(BaseModel):
    """What ``guestloyalty score-guest --json`` prints (schema version 1.0)."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    guest_id: str
    requested_id: str = Field(description="The id as given (ours or a source system's).")
    matched_by: str = Field(description="guest_id, or source:<system> through the identity map.")
    as_of_date: dt.date
    churn_probability: float = Field(ge=0.0, le=1.0)
    churn_risk: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    days_until_lost: int | None = Field(
        description="Days without a stay until the guest counts as lost; null when unknown."
    )
    clv_12m: float = Field(ge=0.0, description="Predicted revenue over the horizon.")
    clv_tier: str | None
    segment: str
    reasons: list[Reason]
    next_action: NextAction | None
    model_version: str
    scored_at: dt.datetime


# ------------------------------------------------------------------------------------------


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql(
        "select table_name from information_schema.tables where table_schema = 'main'"
    ).fetchall()
    return {row[0] for row in rows}


def resolve_guest_id(
    con: duckdb.DuckDBPyConnection,
    requested: str,
    *,
    tables: set[str],
    source_system: str | None = None,
) -> tuple[str, str]:
    """Our guest_id for ``requested`` (ours, or a source id through the identity map)."""
    if source_system is None:
        found = con.sql(
            "select guest_id from guest_feature_snapshots where guest_id = ? limit 1",
            params=[requested],
        ).fetchall()
        if not found and "guest_360" in tables:
            found = con.sql(
                "select guest_id from guest_360 where guest_id = ?", params=[requested]
            ).fetchall()
        if found:
            return str(found[0][0]), "guest_id"
    if "guest_identity_map" in tables:
        sql = (
            "select distinct guest_id, source_system from guest_identity_map "
            "where source_guest_id = ?"
        )
        params: list[object] = [requested]
        if source_system is not None:
            sql += " and source_system = ?"
            params.append(source_system)
        matches = con.sql(sql + " order by source_system, guest_id", params=params).fetchall()
        guests = sorted({row[0] for row in matches})
        if len(guests) == 1:
            return str(guests[0]), f"source:{matches[0][1]}"
        if len(guests) > 1:
            systems = ", ".join(sorted({str(row[1]) for row in matches}))
            raise GuestNotFoundError(
                f"id {requested!r} names {len(guests)} different guests in source systems "
                f"{systems}: pass --source-system to choose one"
            )
    where = f" in source system {source_system!r}" if source_system else ""
    raise GuestNotFoundError(f"no guest with id {requested!r}{where} in the published gold")


def _feature_row(
    con: duckdb.DuckDBPyConnection, guest_id: str, names: list[str]
) -> list[float | None] | None:
    columns = ", ".join(f"cast({name} as double)" for name in names)
    rows = con.sql(
        f"select {columns} from guest_feature_snapshots where not is_labeled and guest_id = ?",
        params=[guest_id],
    ).fetchall()
    return list(rows[0]) if rows else None


def _typical(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[float | None]:
    """Medians of the model inputs over the current snapshot (what "typical" means)."""
    columns = ", ".join(f"median(cast({name} as double))" for name in names)
    return list(
        con.sql(f"select {columns} from guest_feature_snapshots where not is_labeled").fetchall()[0]
    )


def format_value(value: float | None, kind: str) -> str:
    """A feature value as people read it; missing values read "unknown"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    if kind == "share":
        return f"{100 * value:.0f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "decimal":
        return f"{value:.1f}"
    if kind == "flag":
        return "yes" if value >= 0.5 else "no"
    if abs(value - round(value)) < 1e-9 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def render_reason(feature: str, value: float | None, typical: float | None) -> str:
    """``"412 days since last stay; typical 180"``."""
    template, kind = PHRASES.get(feature, (feature.replace("_", " ") + ": {v}", "decimal"))
    typical_text = format_value(typical, kind)
    return f"{template.format(v=format_value(value, kind))}; typical {typical_text}"


def top_reasons(
    contributions: list[float],
    row: list[float | None],
    names: list[str],
    typical: list[float | None],
    *,
    k: int = REASONS,
) -> list[Reason]:
    """Features pushing towards churn first (largest first); then the strongest holding back."""
    ranked = sorted(
        range(len(names)),
        key=lambda j: (0, -contributions[j]) if contributions[j] > 0 else (1, contributions[j]),
    )
    reasons = []
    for j in ranked[:k]:
        reasons.append(
            Reason(
                feature=names[j],
                value=row[j],
                typical=typical[j],
                contribution=round(contributions[j], 6),
                text=render_reason(names[j], row[j], typical[j]),
            )
        )
    return reasons


def risk_band(probability: float, settings: Settings) -> str:
    cut = settings.risk_cutoffs
    if probability >= cut.critical:
        return "CRITICAL"
    if probability >= cut.high:
        return "HIGH"
    if probability >= cut.medium:
        return "MEDIUM"
    return "LOW"


def rule_segment(row: dict[str, float | None], high_value_revenue: float | None) -> str:
    """The rule-based segment of ``segments.rule_segments`` for one guest."""
    recency = row.get("days_since_last_stay")
    stays = row.get("stays_count") or 0.0
    revenue = row.get("lifetime_revenue")
    high_value = (
        revenue is not None and high_value_revenue is not None and revenue >= high_value_revenue
    )
    if recency is not None and recency > 540:
        return "dormant"
    if stays >= 3 and high_value:
        return "loyal_high_value"
    if stays >= 3:
        return "regular"
    if stays == 1:
        return "one_time"
    return "occasional"


# ------------------------------------------------------------------------------------------


def _or(value: object, default: float) -> float:
    return default if value is None else float(value)  # type: ignore[arg-type]


def _segment_inputs(bundle: ModelBundle) -> list[str]:
    """The snapshot columns the promoted segments use ([] when it has none)."""
    from guestloyalty.scoring import registry

    if "segments.json" not in bundle.manifest.get("files", {}):  # type: ignore[operator]
        return []
    return [str(name) for name in registry.read_json(bundle, "segments.json")["features"]]


def _stored_scores(
    con: duckdb.DuckDBPyConnection, guest_id: str, tables: set[str]
) -> dict[str, object]:
    """The batch run's row for the guest: baseline inputs, days until lost, model version."""
    if "guest_scores" not in tables:
        return {}
    columns = {row[0] for row in con.sql("describe guest_scores").fetchall()}
    wanted = [
        name
        for name in (*BASELINE_COLUMNS.values(), "days_until_lost", "model_version")
        if name in columns
    ]
    rows = con.sql(
        f"select {', '.join(wanted)} from guest_scores where guest_id = ?", params=[guest_id]
    ).fetchall()
    return dict(zip(wanted, rows[0], strict=True)) if rows else {}


def _typical_baseline(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, object]:
    if "guest_scores" not in tables:
        return {}
    columns = {row[0] for row in con.sql("describe guest_scores").fetchall()}
    present = {name: col for name, col in BASELINE_COLUMNS.items() if col in columns}
    if not present:
        return {}
    medians = con.sql(
        "select " + ", ".join(f"median({col})" for col in present.values()) + " from guest_scores"
    ).fetchall()[0]
    return dict(zip(present, medians, strict=True))


def _ensemble(bundle: ModelBundle, name: str, best_key: str):  # noqa: ANN202
    from guestloyalty.scoring.fast_predict import TreeEnsemble

    best = bundle.manifest.get(best_key)
    return TreeEnsemble.load(bundle.path(name), best_iteration=None if best is None else int(best))


def _artifact(bundle: ModelBundle, *candidates: str) -> str:
    files = bundle.manifest.get("files", {})
    for name in candidates:
        if name in files:  # type: ignore[operator]
            return name
    raise ModelNotFoundError(
        f"{bundle.folder}: none of {', '.join(candidates)} in the manifest; "
        "retrain with `guestloyalty train`"
    )


def score_one_guest(
    layout: Layout,
    settings: Settings,
    guest_id: str,
    *,
    source_system: str | None = None,
) -> GuestScore:
    """Churn, CLV, segment, reasons and next action for one guest (id always bound)."""
    from guestloyalty.scoring import registry

    if not layout.gold_path.exists():
        raise NoDataError(
            f"{layout.gold_path} does not exist yet: run `guestloyalty pipeline` first"
        )
    bundle = registry.load_promoted(layout)
    manifest = bundle.manifest
    mode = str(manifest.get("mode", "xgboost"))
    names = [str(name) for name in manifest.get("churn_features", manifest.get("features", []))]
    if not names:
        raise ModelNotFoundError(f"{bundle.folder}/manifest.json lists no features")
    snapshot_names = [name for name in names if name not in BASELINE_COLUMNS]
    reason_names = (
        names if mode == "xgboost" else ["days_since_last_stay", "stays_count", "avg_stay_revenue"]
    )
    with connect(layout.gold_path, read_only=True) as con:
        tables = _tables(con)
        resolved, matched_by = resolve_guest_id(
            con, guest_id, tables=tables, source_system=source_system
        )
        segment_names = _segment_inputs(bundle)
        wanted = [
            name
            for name in dict.fromkeys(snapshot_names + reason_names + segment_names)
            if name not in BASELINE_COLUMNS
        ]
        snapshot_row = _feature_row(con, resolved, wanted)
        if snapshot_row is None:
            raise GuestNotFoundError(
                f"guest {resolved!r} has no stay before as_of, so there is nothing to score"
            )
        values = dict(zip(wanted, snapshot_row, strict=True))
        stored = _stored_scores(con, resolved, tables)
        for name, column in BASELINE_COLUMNS.items():
            values[name] = stored.get(column)
        row = [values[name] for name in names]
        as_of = con.sql("select as_of_date from run_context").fetchall()[0][0]
        typical = dict(zip(wanted, _typical(con, wanted), strict=True))
        typical.update(_typical_baseline(con, tables))
        high_value = con.sql(
            "select quantile_cont(lifetime_revenue, 0.8) from guest_feature_snapshots "
            "where not is_labeled"
        ).fetchall()[0][0]

        if mode == "xgboost":
            churn_model = _ensemble(
                bundle, _artifact(bundle, "churn.json", "churn.ubj"), "churn_best_iteration"
            )
            clv_model = _ensemble(
                bundle, _artifact(bundle, "clv.json", "clv.ubj"), "clv_best_iteration"
            )
            probability = min(max(churn_model.predict(row), 0.0), 1.0)
            if "calibration.json" in manifest.get("files", {}):
                probability = light.calibrate(
                    probability, registry.read_json(bundle, "calibration.json")
                )
            clv_features = [str(n) for n in manifest.get("clv_features", names)]
            clv = max(clv_model.predict([values[name] for name in clv_features]), 0.0)
            contributions = churn_model.contributions(row)
        else:  # too little history to train: the buy-till-you-die baseline is the model
            probability = _or(stored.get("p_no_stay_btyd"), 1.0)
            clv = max(_or(stored.get("clv_btyd"), 0.0), 0.0)
            contributions = [3.0, 2.0, 1.0]
        risk = risk_band(probability, settings)
        if segment_names:
            segment = light.assign_segment(values, registry.read_json(bundle, "segments.json"))[1]
        else:
            segment = rule_segment(values, high_value)
        tier = None
        if "tiers.json" in manifest.get("files", {}):
            tier = light.clv_tier(clv, registry.read_json(bundle, "tiers.json")["tiers"])
        days_until_lost = (
            stored.get("days_until_lost") if stored.get("model_version") == bundle.version else None
        )
        action = None
        if {"nba_playbook", "offer_catalog", "next_best_action"} <= tables:
            from guestloyalty.nba import live_action

            action = live_action(
                con,
                resolved,
                segment=segment,
                churn_risk=risk,
                churn_probability=probability,
                clv_tier=tier,
                clv_12m=clv,
            )
    return GuestScore(
        guest_id=resolved,
        requested_id=guest_id,
        matched_by=matched_by,
        as_of_date=as_of,
        churn_probability=round(probability, 6),
        churn_risk=risk,  # type: ignore[arg-type]
        days_until_lost=days_until_lost,
        clv_12m=round(clv, 2),
        clv_tier=tier,
        segment=segment,
        reasons=top_reasons(
            contributions,
            [values[name] for name in reason_names],
            reason_names,
            [typical.get(name) for name in reason_names],
        ),
        next_action=action,
        model_version=bundle.version,
        scored_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    )


def render_text(score: GuestScore) -> str:
    """The human-readable card ``score-guest`` prints."""
    lines = [
        f"guest            {score.guest_id}"
        + (
            f"  (matched {score.requested_id} by {score.matched_by})"
            if score.matched_by != "guest_id"
            else ""
        ),
        f"as of            {score.as_of_date}  (model {score.model_version})",
        f"churn            {score.churn_probability:.1%}  {score.churn_risk}",
        "days until lost  "
        + ("unknown" if score.days_until_lost is None else f"{score.days_until_lost}"),
        f"CLV (horizon)    {score.clv_12m:,.2f}"
        + (f"  tier {score.clv_tier}" if score.clv_tier else ""),
        f"segment          {score.segment}",
        "reasons",
    ]
    lines += [f"  - {reason.text}" for reason in score.reasons]
    action = score.next_action
    if action is None:
        lines.append("next action      unavailable (gold has no next_best_action yet)")
    else:
        lines += [
            f"next action      {action.offer_name} ({action.offer_id})",
            f"  channel        {action.channel}"
            + ("" if action.may_contact else "  (no marketing contact)"),
            f"  timing         {action.timing}",
            f"  price x        {action.price_multiplier:.2f}",
            f"  why            {action.rationale}",
        ]
    return "\n".join(lines)


def schema_json() -> str:
    """The JSON schema of :class:`GuestScore` (documented in the README)."""
    return json.dumps(GuestScore.model_json_schema(), indent=2)
