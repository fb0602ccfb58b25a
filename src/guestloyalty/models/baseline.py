"""The buy-till-you-die baseline on each snapshot: BG/NBD x Gamma-Gamma features and forecasts.

For every snapshot date the stay history strictly before it (the snapshot's cut-off) is
summarised into frequency / recency / T / mean repeat spend (weeks; several stays on one day
count as one), BG/NBD and Gamma-Gamma are fitted on it, and each guest gets:

- ``btyd_p_no_stay`` — P(no stay in the horizon), the baseline's churn score;
- ``btyd_expected_stays`` — expected stays in the horizon;
- ``btyd_expected_spend`` — expected stays x expected spend per stay, the baseline's CLV;
- ``btyd_p_alive`` — P(still active at the cut-off).

They are the baseline the models are reported against, extra inputs of the models, and the
fallback when there is too little labeled history to train on. The models themselves live in
:mod:`guestloyalty.models.btyd`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from guestloyalty.errors import NoDataError
from guestloyalty.models.features import FeatureFrame

if TYPE_CHECKING:
    import duckdb

    from guestloyalty.warehouse import Layout

BTYD_FEATURES: tuple[str, ...] = (
    "btyd_p_no_stay",
    "btyd_expected_stays",
    "btyd_expected_spend",
    "btyd_p_alive",
)
UNIT_DAYS = 7.0

#: Silver relations holding completed stays (guest_id, check_in_date, total_revenue), in order
#: of preference: stays keyed on the identity-resolved guest id first (what snapshots use).
STAYS_RELATIONS: tuple[str, ...] = ("int_stays_enriched", "stg_bronze__stays")


@dataclass(frozen=True)
class StayLog:
    """Every completed stay: guest, check-in date, revenue (aligned arrays)."""

    guest_id: np.ndarray
    check_in: np.ndarray  # datetime64[D]
    revenue: np.ndarray
    #: Each stay's guest sample key (``features.guest_sample_sql``) when read for a sample.
    sample_key: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.guest_id)

    def sampled(self, fraction: float) -> StayLog:
        """The stays of the guests in the sample of ``fraction`` (needs ``sample_key``)."""
        if fraction >= 1.0 or self.sample_key is None:
            return self
        return self.subset(self.sample_key < fraction)

    def subset(self, keep: np.ndarray) -> StayLog:
        return StayLog(
            guest_id=self.guest_id[keep],
            check_in=self.check_in[keep],
            revenue=self.revenue[keep],
            sample_key=None if self.sample_key is None else self.sample_key[keep],
        )


@dataclass
class SnapshotFit:
    """BTYD parameters fitted on one snapshot's history, and the per-guest forecast."""

    snapshot_date: np.datetime64
    bgnbd: object | None = None  # btyd.BGNBDParams
    gamma_gamma: object | None = None  # btyd.GammaGammaParams
    guest_ids: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    values: np.ndarray = field(default_factory=lambda: np.zeros((0, len(BTYD_FEATURES))))
    frequency: np.ndarray = field(default_factory=lambda: np.zeros(0))
    recency: np.ndarray = field(default_factory=lambda: np.zeros(0))
    T: np.ndarray = field(default_factory=lambda: np.zeros(0))
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.bgnbd is not None


def stays_relation(con: duckdb.DuckDBPyConnection, *, catalog: str | None = None) -> str:
    """The qualified silver relation to read stays from (see ``STAYS_RELATIONS``)."""
    where = f" and table_catalog = '{catalog}'" if catalog else ""
    present = {
        row[0]
        for row in con.sql(
            f"select table_name from information_schema.tables where table_schema = 'main'{where}"
        ).fetchall()
    }
    for name in STAYS_RELATIONS:
        if name in present:
            return f"{catalog}.main.{name}" if catalog else name
    raise NoDataError(
        f"silver has none of {', '.join(STAYS_RELATIONS)}: run `guestloyalty transform` first"
    )


def load_stays(
    con: duckdb.DuckDBPyConnection,
    *,
    catalog: str | None = None,
    fraction: float | None = None,
    guests: np.ndarray | None = None,
    seed: int = 0,
) -> StayLog:
    """Read the stay log from silver (``con`` connected to silver, or with it attached).

    With ``fraction`` (and optionally ``guests``) only the stays of the guests in that guest
    sample (``features.guest_sample_sql``) or in ``guests``, each with its guest's sample key
    so that smaller samples can be cut from it (``StayLog.sampled``).
    """
    from guestloyalty.models.features import guest_sample_sql

    relation = stays_relation(con, catalog=catalog)
    sample = fraction is not None
    key = guest_sample_sql(seed)
    where = "guest_id is not null and check_in_date is not null and total_revenue is not null"
    if sample and fraction < 1.0:
        where += f" and ({key} < {float(fraction)!r}"
        if guests is not None:
            import pyarrow as pa

            con.register("_sampled_guests", pa.table({"guest_id": pa.array(guests, pa.string())}))
            where += " or guest_id in (select guest_id from _sampled_guests)"
        where += ")"
    try:
        table = con.sql(
            f"select guest_id, check_in_date, greatest(total_revenue, 0) as revenue"
            f"{f', {key} as sample_key' if sample else ''} from {relation} where {where}"
        ).to_arrow_table()
    finally:
        if sample and fraction < 1.0 and guests is not None:
            con.unregister("_sampled_guests")
    return StayLog(
        guest_id=table.column("guest_id").to_numpy(zero_copy_only=False).astype(object),
        check_in=table.column("check_in_date")
        .to_numpy(zero_copy_only=False)
        .astype("datetime64[D]"),
        revenue=table.column("revenue").to_numpy(zero_copy_only=False).astype(np.float64),
        sample_key=table.column("sample_key").to_numpy(zero_copy_only=False) if sample else None,
    )


def load_stays_from_layout(
    layout: Layout,
    *,
    fraction: float | None = None,
    guests: np.ndarray | None = None,
    seed: int = 0,
) -> StayLog:
    from guestloyalty.warehouse import connect

    with connect(layout.silver_path, read_only=True) as con:
        return load_stays(con, fraction=fraction, guests=guests, seed=seed)


def available() -> bool:
    """Whether the buy-till-you-die models (``scoring.btyd``) are installed in this build."""
    try:
        from guestloyalty.models import btyd  # noqa: F401
    except ImportError:
        return False
    return True


def fit_snapshot(
    stays: StayLog,
    snapshot_date: np.datetime64 | dt.date,
    *,
    horizon_days: int,
    bgnbd: object | None = None,
    gamma_gamma: object | None = None,
    start: SnapshotFit | None = None,
) -> SnapshotFit:
    """Fit (or reuse) BG/NBD x Gamma-Gamma on the stays before ``snapshot_date``; forecast.

    ``start``: an earlier snapshot's fit to start the parameter search from (same optimum,
    fewer iterations).
    """
    cutoff = np.datetime64(snapshot_date, "D")
    fit = SnapshotFit(snapshot_date=cutoff)
    if not available():
        fit.problem = "guestloyalty.models.btyd is not available"
        return fit
    from guestloyalty.models import btyd

    before = stays.check_in < cutoff
    if not before.any():
        fit.problem = "no stays before the snapshot"
        return fit
    try:
        summary = btyd.rfm_summary(
            _ids(stays.guest_id[before]),
            stays.check_in[before],
            stays.revenue[before],
            calibration_end=cutoff - np.timedelta64(1, "D"),
            unit_days=UNIT_DAYS,
        )
        bg = bgnbd or btyd.fit_bgnbd(
            summary.frequency,
            summary.recency,
            summary.T,
            start=start.bgnbd if start is not None else None,
        )
    except btyd.BTYDError as error:
        fit.problem = f"BG/NBD: {error}"
        return fit
    horizon = horizon_days / UNIT_DAYS
    history = (summary.frequency, summary.recency, summary.T)
    stays_expected = btyd.expected_transactions(bg, horizon, *history)
    p_no_stay = btyd.prob_no_transaction(bg, horizon, *history)
    p_alive = btyd.prob_alive(bg, *history)
    gg = gamma_gamma
    try:
        gg = gg or btyd.fit_gamma_gamma(
            summary.frequency,
            summary.monetary,
            start=start.gamma_gamma if start is not None else None,
        )
        per_stay = btyd.expected_average_value(gg, summary.frequency, summary.monetary)
    except btyd.BTYDError as error:
        # Heavy-tailed or too few repeat guests: each guest's own mean spend per stay.
        fit.problem = f"Gamma-Gamma: {error}"
        gg = None
        per_stay = _mean_spend_per_day(stays, before, summary)
    fit.bgnbd, fit.gamma_gamma = bg, gg
    fit.guest_ids = summary.customer_ids
    fit.values = np.column_stack(
        [p_no_stay, stays_expected, np.maximum(stays_expected * per_stay, 0.0), p_alive]
    )
    fit.frequency, fit.recency, fit.T = summary.frequency, summary.recency, summary.T
    return fit


def _ids(guest_ids: np.ndarray) -> np.ndarray:
    """Guest ids as a sortable array: strings as fixed-width text, integer codes as they are."""
    ids = np.asarray(guest_ids)
    return ids if ids.dtype.kind in "iu" else ids.astype(str)


def _mean_spend_per_day(stays: StayLog, before: np.ndarray, summary) -> np.ndarray:  # noqa: ANN001
    ids = _ids(stays.guest_id[before])
    index = np.searchsorted(summary.customer_ids, ids)
    total = np.bincount(index, weights=stays.revenue[before], minlength=len(summary))
    return total / (summary.frequency + 1.0)


def align(fit: SnapshotFit, guest_ids: np.ndarray) -> np.ndarray:
    """The fit's feature rows for ``guest_ids`` (NaN where a guest is unknown to it)."""
    out = np.full((len(guest_ids), len(BTYD_FEATURES)), np.nan)
    if not fit.ok or len(fit.guest_ids) == 0:
        return out
    ids = _ids(guest_ids)
    pos = np.searchsorted(fit.guest_ids, ids)
    pos = np.clip(pos, 0, len(fit.guest_ids) - 1)
    found = fit.guest_ids[pos] == ids
    out[found] = fit.values[pos[found]]
    return out


def fit_sampled(
    stays: StayLog,
    snapshot_date: np.datetime64 | dt.date,
    *,
    horizon_days: int,
    fit_fraction: float | None,
    start: SnapshotFit | None = None,
    forecast: StayLog | None = None,
) -> SnapshotFit:
    """Like :func:`fit_snapshot`, with the parameters fitted on a guest sample only.

    The parameters come from the stays of the guests whose sample key is below
    ``fit_fraction`` (a uniform guest sample; ``stays`` must hold all of them, see
    ``load_stays``); every guest in ``forecast`` (default: ``stays``) is then forecast with
    them. Four parameters need thousands of guests, not millions, and fitting is what costs.
    """
    sampled = fit_fraction is not None and fit_fraction < 1.0 and stays.sample_key is not None
    if not sampled and forecast is None:
        return fit_snapshot(stays, snapshot_date, horizon_days=horizon_days, start=start)
    params = fit_snapshot(
        stays.sampled(fit_fraction) if sampled else stays,
        snapshot_date,
        horizon_days=horizon_days,
        start=start,
    )
    if not params.ok:
        return params
    return fit_snapshot(
        stays if forecast is None else forecast,
        snapshot_date,
        horizon_days=horizon_days,
        bgnbd=params.bgnbd,
        gamma_gamma=params.gamma_gamma,
    )


def add_baseline_features(
    frame: FeatureFrame,
    stays: StayLog,
    *,
    horizon_days: int,
    fits: dict[np.datetime64, SnapshotFit] | None = None,
    fit_fraction: float | None = None,
) -> tuple[FeatureFrame, dict[np.datetime64, SnapshotFit]]:
    """Append the BTYD columns to ``frame``, fitting one model per snapshot date.

    With ``fit_fraction`` each snapshot's parameters are fitted on that guest sample only
    (:func:`fit_sampled`), so the cost follows the rows read, not the guest base. Guest ids
    are turned into integer codes once, so the per-snapshot summaries sort numbers, not text.
    """
    fits = dict(fits or {})
    extra = np.full((len(frame), len(BTYD_FEATURES)), np.nan)
    coded, frame_codes = _coded(stays, frame.guest_id)
    previous = None
    for date in np.unique(frame.snapshot_date):  # oldest first: each starts from the last
        key = np.datetime64(date, "D")
        rows = frame.snapshot_date == date
        if key not in fits:
            # Forecast only this snapshot's guests: a sample's rows, not every stay read.
            wanted = np.zeros(int(coded.guest_id.max(initial=-1)) + 2, dtype=bool)
            wanted[frame_codes[rows]] = True  # code -1 (no stay) marks the spare last slot
            fits[key] = fit_sampled(
                coded,
                key,
                horizon_days=horizon_days,
                fit_fraction=fit_fraction,
                start=previous if previous is not None and previous.ok else None,
                forecast=coded.subset(wanted[coded.guest_id]),
            )
        previous = fits[key]
        extra[rows] = align(fits[key], frame_codes[rows])
    return frame.with_columns(BTYD_FEATURES, extra), fits


def _coded(stays: StayLog, guest_ids: np.ndarray) -> tuple[StayLog, np.ndarray]:
    """The stay log and ``guest_ids`` with ids replaced by integer codes (-1: no stay)."""
    names, codes = np.unique(_ids(stays.guest_id), return_inverse=True)
    coded = StayLog(
        guest_id=codes.astype(np.int64),
        check_in=stays.check_in,
        revenue=stays.revenue,
        sample_key=stays.sample_key,
    )
    ids = _ids(guest_ids)
    if len(names) == 0:
        return coded, np.full(len(ids), -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(names, ids), 0, len(names) - 1)
    return coded, np.where(names[pos] == ids, pos, -1).astype(np.int64)


def params_json(fit: SnapshotFit) -> dict[str, object]:
    """The fit's parameters as a JSON document (the ``btyd.json`` artifact)."""
    document: dict[str, object] = {
        "snapshot_date": str(fit.snapshot_date),
        "unit_days": UNIT_DAYS,
        "bgnbd": None,
        "gamma_gamma": None,
        "problem": fit.problem,
    }
    if fit.bgnbd is None and fit.gamma_gamma is None:
        return document
    from guestloyalty.models import btyd

    return {
        **document,
        "bgnbd": btyd.to_json(fit.bgnbd) if fit.bgnbd is not None else None,
        "gamma_gamma": btyd.to_json(fit.gamma_gamma) if fit.gamma_gamma is not None else None,
    }


def params_from_json(document: dict[str, object]) -> tuple[object | None, object | None]:
    bg = document.get("bgnbd")
    gg = document.get("gamma_gamma")
    if not bg and not gg:
        return None, None
    from guestloyalty.models import btyd

    return (btyd.from_json(bg) if bg else None, btyd.from_json(gg) if gg else None)
