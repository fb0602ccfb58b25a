"""One guest, scored live from the published gold features with the promoted models.

``guestloyalty score-guest ID`` is what a front-desk or CRM operator runs while the guest is
in front of them, so it loads only what one guest needs:

- one row of features from ``guest_feature_snapshots`` (the current snapshot), fetched with
  the id as a bound parameter;
- the promoted model artifacts, checked against their manifest and evaluated in plain
  Python by :mod:`guestloyalty.serving.fast_predict` (no xgboost, sklearn or numpy import);
- the few lookup rows the next best action needs (playbook, offer catalog, the guest's
  contact profile) when gold has them.

The result is a :class:`GuestScore`, a versioned pydantic model; ``--json`` prints it. A
guest of gold with no stay before as_of (a profile, a sign-up) has nothing to score: the answer
says so (``status`` ``no_stay_yet``), with what ``guest_360`` knows of them and the playbook's
action for a first stay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from annotated_types import Ge, Le

from guestloyalty import defaults
from guestloyalty.errors import GuestNotFoundError, ModelNotFoundError, NoDataError
from guestloyalty.models.phrases import render as render_reason
from guestloyalty.models.phrases import same_as_typical
from guestloyalty.serving import light
from guestloyalty.serving.light import BASELINE_COLUMNS
from guestloyalty.serving.nba import NextAction
from guestloyalty.serving.recommendations import Recommendation, stored_recommendations
from guestloyalty.warehouse import Layout, connect

if TYPE_CHECKING:
    import duckdb
    import pydantic

    from guestloyalty.config import Settings
    from guestloyalty.models.registry import ModelBundle

SCHEMA_VERSION = "2.2"
REASONS = 3
#: Inputs of the rule-based fallbacks (segments, and the reasons of the baseline mode).
_RULE_INPUTS = ("days_since_last_stay", "stays_count", "avg_stay_revenue")
#: The result types are plain dataclasses, so the text card imports no pydantic (~0.12 s of
#: start-up); pydantic reads their annotations and attribute docstrings for ``--json``.
_PYDANTIC_CONFIG = {"use_attribute_docstrings": True}


@dataclass(kw_only=True)
class Reason:
    """One reason behind the churn score: a model input, the guest's value, the typical one."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    feature: str
    value: float | None
    typical: float | None
    """Median over the guests in the same snapshot."""
    contribution: float
    """Contribution to the churn log-odds (path attribution, as in the batch)."""
    text: str


LifecycleStage = Literal["new", "active", "slipping", "lapsed", "lost", "reactivated"]


#: ``guest_360`` columns shown for a guest with no stay yet (those the gold has).
PROFILE_COLUMNS = (
    "country_code",
    "language",
    "age_band",
    "profile_created_date",
    "is_loyalty_member",
    "loyalty_tier",
    "points_balance",
    "bookings_count",
    "upcoming_bookings",
    "next_arrival_date",
    "has_marketing_consent",
)


@dataclass(kw_only=True)
class GuestProfile:
    """What gold knows of a guest with no stay yet (from ``guest_360``; null when unknown)."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    country_code: str | None = None
    language: str | None = None
    age_band: str | None = None
    profile_created_date: dt.date | None = None
    is_loyalty_member: bool | None = None
    loyalty_tier: str | None = None
    points_balance: float | None = None
    bookings_count: int | None = None
    upcoming_bookings: int | None = None
    next_arrival_date: dt.date | None = None
    has_marketing_consent: bool | None = None


@dataclass(kw_only=True)
class GuestScore:
    """What ``guestloyalty score-guest --json`` prints (schema version 2.2).

    2.0: ``days_until_lost`` gave way to ``lifecycle_stage``, ``expected_next_stay_date``,
    ``lapses_on``, ``days_overdue`` and ``value_at_risk`` (from last night's run).
    2.1: ``status`` and ``profile``; a ``scored`` guest's document is otherwise as in 2.0. For
    ``no_stay_yet`` the scores (churn, CLV, segment, model) are null and reasons empty.
    2.2: ``recommendations`` (the top three of last night's ``guest_recommendations``).

    A dataclass: :func:`to_json`, :func:`from_document` and :func:`schema_json` check and
    write it with pydantic.
    """

    __pydantic_config__ = _PYDANTIC_CONFIG

    schema_version: Literal["2.2"] = SCHEMA_VERSION
    guest_id: str
    requested_id: str
    """The id as given (ours or a source system's)."""
    matched_by: str
    """guest_id, or source:<system> through the identity map."""
    as_of_date: dt.date
    status: Literal["scored", "no_stay_yet"] = "scored"
    """no_stay_yet: no stay before as_of, so nothing to score; see profile."""
    churn_probability: Annotated[float | None, Ge(0.0), Le(1.0)]
    churn_risk: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"] | None
    lifecycle_stage: LifecycleStage | None
    """Lifecycle stage at as_of (README: Lifecycle stages); null on an old gold."""
    expected_next_stay_date: dt.date | None
    """When the guest's rhythm puts their next stay (in the past: overdue)."""
    lapses_on: dt.date | None
    """The date the guest becomes (or became) lapsed without a stay."""
    days_overdue: int | None
    """Days past the expected next stay."""
    value_at_risk: float | None
    """Horizon revenue if the guest stays a customer minus if they go."""
    clv_horizon: Annotated[float | None, Ge(0.0)]
    """Predicted revenue over the horizon."""
    horizon_days: int
    """Days after as_of that churn and CLV cover."""
    clv_12m: Annotated[float | None, Ge(0.0)]
    """Deprecated alias of clv_horizon; dropped in the next release."""
    clv_tier: str | None
    segment: str | None
    reasons: list[Reason]
    next_action: NextAction | None
    recommendations: list[Recommendation] = field(default_factory=list)
    """Top three of last night's guest_recommendations (empty without any)."""
    profile: GuestProfile | None = None
    """What gold knows of a guest with no stay yet."""
    model_version: str | None
    scored_at: dt.datetime


@functools.cache
def _adapter() -> pydantic.TypeAdapter[GuestScore]:
    import pydantic

    return pydantic.TypeAdapter(GuestScore)


def from_document(document: object) -> GuestScore:
    """A ``--json`` document (parsed) as a checked :class:`GuestScore`; raises pydantic's
    ``ValidationError`` when it does not follow the schema."""
    return _adapter().validate_python(document)


def to_json(score: GuestScore, *, indent: int | None = 2) -> str:
    """The ``--json`` document, checked against the schema (ranges, allowed values)."""
    adapter = _adapter()
    checked = adapter.validate_python(dataclasses.asdict(score))
    return adapter.dump_json(checked, indent=indent).decode()


# ------------------------------------------------------------------------------------------


def _catalog(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Every table of gold with its columns, in one query (each costs ~2 ms of the budget).

    duckdb_tables() and duckdb_columns() rather than information_schema, whose views cost
    ~10 ms; views of gold are left out, as before."""
    rows = con.sql(
        "select table_name, column_name from duckdb_columns() where schema_name = 'main' "
        "and table_name in (select table_name from duckdb_tables() where schema_name = 'main')"
    ).fetchall()
    catalog: dict[str, set[str]] = {}
    for table, column in rows:
        catalog.setdefault(table, set()).add(column)
    return catalog


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


def _stored_scores(con: duckdb.DuckDBPyConnection, guest_id: str) -> dict[str, object]:
    """Last night's guest_scores row (for the buy-till-you-die inputs and days until lost)."""
    rel = con.sql("select * from guest_scores where guest_id = ?", params=[guest_id])
    columns = rel.columns
    rows = rel.fetchall()
    return dict(zip(columns, rows[0], strict=True)) if rows else {}


def _snapshot_values(
    con: duckdb.DuckDBPyConnection,
    guest_id: str,
    names: list[str],
    *,
    snapshot_columns: set[str],
) -> dict[str, float | None] | None:
    """The guest's current-snapshot row: the inputs in ``names`` that are snapshot columns
    (None: no current row)."""
    in_snapshot = [name for name in names if name in snapshot_columns]
    columns = ", ".join(f"cast({name} as double)" for name in in_snapshot) or "1"
    rows = con.sql(
        f"select {columns} from guest_feature_snapshots where not is_labeled and guest_id = ?",
        params=[guest_id],
    ).fetchall()
    return dict(zip(in_snapshot, rows[0], strict=False)) if rows else None


def _feature_values(
    snapshot: dict[str, float | None] | None,
    names: list[str],
    *,
    stored: dict[str, object],
) -> dict[str, float | None] | None:
    """The guest's current-snapshot value of every model input in ``names``.

    Snapshot columns come from ``guest_feature_snapshots`` (``snapshot``, from
    :func:`_snapshot_values`); the buy-till-you-die inputs (``btyd_*``) from the guest's
    ``guest_scores`` row, which the scoring stage computed from the same stays at the same
    as_of.
    """
    if snapshot is None:
        return None
    values = dict(snapshot)
    for name in names:
        if name not in values:
            stored_value = stored.get(BASELINE_COLUMNS.get(name, name))
            values[name] = None if stored_value is None else float(stored_value)  # type: ignore[arg-type]
    return values


def _typical(
    con: duckdb.DuckDBPyConnection,
    names: list[str],
    *,
    snapshot_columns: set[str],
    tables: set[str] | None = None,
    score_columns: set[str] | frozenset[str] = frozenset(),
) -> dict[str, float | None]:
    """What "typical" means in a reason: the batch's medians (``typical_feature_values``),
    else medians over the current snapshot."""
    out: dict[str, float | None] = {}
    if tables is not None and "typical_feature_values" in tables:
        rows = con.sql("select feature, typical_value from typical_feature_values").fetchall()
        stored = dict(rows)
        out.update({name: stored[name] for name in names if name in stored})
        names = [name for name in names if name not in out]
    in_snapshot = [name for name in names if name in snapshot_columns]
    if in_snapshot:
        columns = ", ".join(f"median(cast({name} as double))" for name in in_snapshot)
        row = con.sql(
            f"select {columns} from guest_feature_snapshots where not is_labeled"
        ).fetchall()[0]
        out.update(zip(in_snapshot, row, strict=True))
    others = [name for name in names if name not in out]
    if others:
        for name in others:
            column = BASELINE_COLUMNS.get(name, name)
            out[name] = (
                con.sql(f"select median({column}) from guest_scores").fetchall()[0][0]
                if column in score_columns
                else None
            )
    return out


def rank_reasons(
    contributions: list[float], k: int = REASONS, *, same: list[bool] | None = None
) -> list[int]:
    """Indexes of the top ``k`` reasons, as ``explain.top_reasons`` orders them.

    Features pushing towards churn come first, largest first; when fewer than ``k`` do, the
    ones holding the guest back follow, largest magnitude first; features whose value reads
    like the typical one (``same``) come last.
    """
    same = same or [False] * len(contributions)

    def key(j: int) -> tuple[int, float]:
        if same[j]:
            return (2, -abs(contributions[j]))
        return (0, -contributions[j]) if contributions[j] > 0 else (1, contributions[j])

    return sorted(range(len(contributions)), key=key)[:k]


def risk_band(probability: float, settings: Settings | None) -> str:
    """The churn risk band; ``settings`` None: the default cut-offs (``guestloyalty.defaults``)."""
    if settings is None:
        medium, high, critical = defaults.RISK_MEDIUM, defaults.RISK_HIGH, defaults.RISK_CRITICAL
    else:
        cut = settings.risk_cutoffs
        medium, high, critical = cut.medium, cut.high, cut.critical
    if probability >= critical:
        return "CRITICAL"
    if probability >= high:
        return "HIGH"
    if probability >= medium:
        return "MEDIUM"
    return "LOW"


def rule_segment(values: dict[str, float | None]) -> str:
    """Recency / frequency rules, for bundles without k-means centroids."""
    recency = values.get("days_since_last_stay")
    stays = values.get("stays_count") or 0.0
    if recency is not None and recency > 540:
        return "dormant"
    if stays >= 3:
        return "loyal regular"
    if stays == 1:
        return "one-time visitor"
    return "occasional"


# ------------------------------------------------------------------------------------------


def _read_json(bundle: ModelBundle, name: str) -> dict[str, object] | None:
    if name not in bundle.manifest.get("files", {}):  # type: ignore[operator]
        return None
    return json.loads(bundle.path(name).read_text())


def _ensemble(bundle: ModelBundle, kind: str):  # noqa: ANN202
    from guestloyalty.serving.fast_predict import TreeEnsemble

    files = bundle.manifest.get("files", {})
    name = next((f"{kind}.{ext}" for ext in ("json", "ubj") if f"{kind}.{ext}" in files), None)  # type: ignore[operator]
    if name is None:
        raise ModelNotFoundError(
            f"{bundle.folder}: no {kind} model in the manifest; retrain with `guestloyalty train`"
        )
    best = bundle.manifest.get(f"{kind}_best_iteration")
    return TreeEnsemble.load_cached(
        bundle.path(name),  # checks the file against the manifest's checksum
        sha256=str(bundle.manifest["files"][name]),  # type: ignore[index]
        best_iteration=None if best is None else int(best),
    )


def _stay_model_scores(
    manifest: dict[str, object],
    stored: dict[str, object],
    version: str,
    probability: float,
    clv: float,
) -> tuple[float, float]:
    """Where the promoted churn or CLV model is a stay-log model (the time-to-next-stay hazard
    models read the whole stay history), the batch's score of the same version and as_of is
    the answer; the baseline's CLV where the baseline won CLV beside the classifier."""
    mode = str(manifest.get("mode", "xgboost"))
    default = "classifier" if mode == "xgboost" else "btyd"
    churn_source = str(manifest.get("churn_source", default))
    clv_source = str(manifest.get("clv_source", default))
    same_run = stored.get("model_version") == version
    if churn_source not in ("classifier", "btyd") and same_run:
        value = stored.get("churn_probability")
        if value is not None:
            probability = min(max(float(value), 0.0), 1.0)  # type: ignore[arg-type]
    if clv_source not in ("classifier", "btyd") and same_run:
        value = stored.get("clv_horizon", stored.get("clv_12m"))
        if value is not None:
            clv = max(float(value), 0.0)  # type: ignore[arg-type]
    elif clv_source == "btyd" and mode == "xgboost":
        value = stored.get("clv_btyd")
        clv = max(float(value), 0.0) if value is not None else clv  # type: ignore[arg-type]
    return probability, clv


def _profile(con: duckdb.DuckDBPyConnection, guest_id: str, columns: set[str]) -> GuestProfile:
    present = [name for name in PROFILE_COLUMNS if name in columns]
    if not present:
        return GuestProfile()
    rel = con.sql(
        f"select {', '.join(present)} from guest_360 where guest_id = ?", params=[guest_id]
    )
    rows = rel.fetchall()
    return GuestProfile(**dict(zip(present, rows[0], strict=True))) if rows else GuestProfile()


def _no_stay_yet(
    con: duckdb.DuckDBPyConnection,
    guest_id: str,
    *,
    requested: str,
    matched_by: str,
    as_of: dt.date,
    horizon_days: int,
    catalog: dict[str, set[str]],
) -> GuestScore:
    """The answer for a guest of gold without a stay before as_of: profile and first action."""
    tables = set(catalog)
    if "guest_360" not in tables:
        raise GuestNotFoundError(
            f"guest {guest_id!r} has no stay before as_of, so there is nothing to score"
        )
    action = None
    if {"nba_playbook", "offer_catalog", "guest_contact_profile"} <= tables:
        from guestloyalty.serving.nba import live_action

        action = live_action(
            con,
            guest_id,
            segment=None,
            churn_risk=None,
            lifecycle_stage=None,
            churn_probability=None,
            clv_tier=None,
            clv_horizon=None,
        )
    return GuestScore(
        guest_id=guest_id,
        requested_id=requested,
        matched_by=matched_by,
        as_of_date=as_of,
        status="no_stay_yet",
        churn_probability=None,
        churn_risk=None,
        lifecycle_stage=None,
        expected_next_stay_date=None,
        lapses_on=None,
        days_overdue=None,
        value_at_risk=None,
        clv_horizon=None,
        horizon_days=horizon_days,
        clv_12m=None,
        clv_tier=None,
        segment=None,
        reasons=[],
        next_action=action,
        profile=_profile(con, guest_id, catalog["guest_360"]),
        model_version=None,
        scored_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
    )


def score_one_guest(
    layout: Layout,
    settings: Settings | None,
    guest_id: str,
    *,
    source_system: str | None = None,
) -> GuestScore:
    """Churn, CLV, segment, reasons and next action for one guest (id always bound);
    ``settings`` None: the default risk cut-offs, the only setting it reads."""
    from guestloyalty.models import registry

    if not layout.gold_path.exists():
        raise NoDataError(
            f"{layout.gold_path} does not exist yet: run `guestloyalty pipeline` first"
        )
    bundle = registry.load_promoted(layout)
    manifest = bundle.manifest
    mode = str(manifest.get("mode", "xgboost"))
    churn_names = [str(n) for n in manifest.get("churn_features", manifest.get("features", []))]
    clv_names = [str(n) for n in manifest.get("clv_features", churn_names)]
    segments_doc = _read_json(bundle, "segments.json")
    segment_names = [str(n) for n in (segments_doc or {}).get("features", [])]
    needed = list(dict.fromkeys([*churn_names, *clv_names, *segment_names, *_RULE_INPUTS]))

    with connect(layout.gold_path, read_only=True) as con:
        catalog = _catalog(con)
        tables = set(catalog)
        snapshot_columns = catalog.get("guest_feature_snapshots", set())
        # our own id with a current row, the common case, costs one lookup of the snapshots
        snapshot = None
        if source_system is None:
            snapshot = _snapshot_values(con, guest_id, needed, snapshot_columns=snapshot_columns)
        if snapshot is not None:
            resolved, matched_by = guest_id, "guest_id"
        else:
            resolved, matched_by = resolve_guest_id(
                con, guest_id, tables=tables, source_system=source_system
            )
            snapshot = _snapshot_values(con, resolved, needed, snapshot_columns=snapshot_columns)
        stored = _stored_scores(con, resolved) if "guest_scores" in tables else {}
        values = _feature_values(snapshot, needed, stored=stored)
        as_of = con.sql("select as_of_date from run_context").fetchall()[0][0]
        if values is None:
            return _no_stay_yet(
                con,
                resolved,
                requested=guest_id,
                matched_by=matched_by,
                as_of=as_of,
                horizon_days=int(manifest.get("horizon_days", 365)),  # type: ignore[call-overload]
                catalog=catalog,
            )

        if mode == "xgboost":
            churn_row = [values[name] for name in churn_names]
            churn_model = _ensemble(bundle, "churn")
            raw = churn_model.predict(churn_row)
            calibration = _read_json(bundle, "calibration.json")
            probability = light.calibrate(raw, calibration) if calibration else raw
            clv = max(_ensemble(bundle, "clv").predict([values[n] for n in clv_names]), 0.0)
            blend = manifest.get("clv_blend")
            if isinstance(blend, dict):
                clv = light.blend_with_churn(clv, probability, float(blend["mean_return_revenue"]))
            contributions = churn_model.contributions(churn_row)[: len(churn_names)]
            reason_names, reason_values = churn_names, churn_row
        else:  # buy-till-you-die fallback: its own outputs, reasons from recency/frequency/spend
            p_no_stay = values.get("btyd_p_no_stay")
            probability = 1.0 if p_no_stay is None else min(max(p_no_stay, 0.0), 1.0)
            clv = max(values.get("btyd_expected_spend") or 0.0, 0.0)
            reason_names = list(_RULE_INPUTS)
            reason_values = [values[name] for name in reason_names]
            contributions = [3.0, 2.0, 1.0]
        probability, clv = _stay_model_scores(manifest, stored, bundle.version, probability, clv)
        typical = _typical(
            con,
            list(reason_names),
            snapshot_columns=snapshot_columns,
            tables=tables,
            score_columns=catalog.get("guest_scores", set()),
        )
        same = [
            same_as_typical(name, value, typical.get(name))
            for name, value in zip(reason_names, reason_values, strict=True)
        ]
        chosen = [j for j in rank_reasons(contributions, REASONS, same=same) if not same[j]]
        reasons = [
            Reason(
                feature=reason_names[j],
                value=reason_values[j],
                typical=typical.get(reason_names[j]),
                contribution=round(contributions[j], 6),
                text=render_reason(reason_names[j], reason_values[j], typical.get(reason_names[j])),
            )
            for j in chosen
        ]
        risk = risk_band(probability, settings)
        tiers = _read_json(bundle, "tiers.json")
        tier = light.clv_tier(clv, tiers["tiers"]) if tiers else None  # type: ignore[arg-type]
        if segments_doc is not None:
            _, segment = light.assign_segment(values, segments_doc)
        else:
            segment = str(stored.get("segment") or rule_segment(values))
        stage = stored.get("lifecycle_stage")
        action = None
        if {"nba_playbook", "offer_catalog", "guest_contact_profile"} <= tables:
            from guestloyalty.serving.nba import live_action

            action = live_action(
                con,
                resolved,
                segment=segment,
                churn_risk=risk,
                lifecycle_stage=str(stage) if stage is not None else "new",
                churn_probability=probability,
                clv_tier=tier,
                clv_horizon=clv,
            )
        recommended = stored_recommendations(con, resolved, tables=tables)
    return GuestScore(
        guest_id=resolved,
        requested_id=guest_id,
        matched_by=matched_by,
        as_of_date=as_of,
        churn_probability=round(probability, 6),
        churn_risk=risk,  # type: ignore[arg-type]
        lifecycle_stage=stage,  # type: ignore[arg-type]
        expected_next_stay_date=stored.get("expected_next_stay_date"),  # type: ignore[arg-type]
        lapses_on=stored.get("lapses_on"),  # type: ignore[arg-type]
        days_overdue=stored.get("days_overdue"),  # type: ignore[arg-type]
        value_at_risk=stored.get("value_at_risk"),  # type: ignore[arg-type]
        clv_horizon=round(clv, 2),
        horizon_days=int(manifest.get("horizon_days", 365)),  # type: ignore[call-overload]
        clv_12m=round(clv, 2),
        clv_tier=tier,
        segment=segment,
        reasons=reasons,
        next_action=action,
        recommendations=recommended,
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
    ]
    if score.status == "no_stay_yet":
        lines += _profile_lines(score)
    else:
        lines += [
            f"as of            {score.as_of_date}  (model {score.model_version})",
            f"stage            {score.lifecycle_stage or 'unknown'}" + _stage_detail(score),
            f"churn            {score.churn_probability:.1%}  {score.churn_risk}",
            f"CLV ({score.horizon_days} days){' ' * max(1, 6 - len(str(score.horizon_days)))}"
            f"{score.clv_horizon:,.2f}" + (f"  tier {score.clv_tier}" if score.clv_tier else ""),
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
    if score.recommendations:
        lines.append("recommended")
        lines += [
            f"  {item.rank}. {item.item_name} ({item.item_kind}, {item.score:.0%}): {item.reason}"
            for item in score.recommendations
        ]
    return "\n".join(lines)


def _profile_lines(score: GuestScore) -> list[str]:
    profile = score.profile or GuestProfile()

    def known(value: object) -> str:
        return "unknown" if value is None else str(value)

    member = (
        "unknown"
        if profile.is_loyalty_member is None
        else f"member, tier {known(profile.loyalty_tier)}"
        if profile.is_loyalty_member
        else "not a member"
    )
    bookings = f"{known(profile.bookings_count)} bookings"
    if profile.next_arrival_date is not None:
        bookings += f", next arrival {profile.next_arrival_date}"
    consent = {None: "unknown", True: "yes", False: "no"}[profile.has_marketing_consent]
    return [
        f"as of            {score.as_of_date}",
        "stays            none yet: no churn, CLV or segment until a first stay",
        f"profile          since {known(profile.profile_created_date)}; "
        f"{known(profile.country_code)}, {known(profile.language)}, "
        f"age {known(profile.age_band)}",
        f"loyalty          {member}",
        f"bookings         {bookings}",
        f"consent          marketing {consent}",
    ]


def _stage_detail(score: GuestScore) -> str:
    """``  (next stay due 2026-02-01, 12 days overdue; lapses on 2026-05-01)``."""
    parts = []
    if score.expected_next_stay_date is not None:
        due = f"next stay due {score.expected_next_stay_date}"
        if score.days_overdue:
            due += f", {score.days_overdue} days overdue"
        parts.append(due)
    if score.lapses_on is not None and score.lifecycle_stage not in ("lapsed", "lost"):
        parts.append(f"lapses on {score.lapses_on}")
    return f"  ({'; '.join(parts)})" if parts else ""


def schema_json() -> str:
    """The JSON schema of :class:`GuestScore` (documented in the README)."""
    return json.dumps(_adapter().json_schema(), indent=2)
