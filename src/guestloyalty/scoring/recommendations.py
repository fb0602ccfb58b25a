"""The recommendation stage: learn item-item co-occurrence from every guest's stays up to as_of
and write each guest's top recommendations into the gold build (``guest_recommendations``).

Reads silver (stays with their folio split and upgrades, the booking's purpose and party,
special requests, consent, loyalty redemptions) and the gold build (seeds, ``topic_mentions``
of the sentiment stage); like every stage, nothing dated after as_of: a stay counts once it
has checked out on or before as_of. Items (:mod:`guestloyalty.models.recommend`): property,
room type, extras (``seeds/recommendation_extras.csv``) and offers
(``seeds/recommendation_offers.csv``, each following the affinity for one item).

A guest's list (guest x rank, up to :data:`TOP_N`) interleaves the kinds, best of each first:
property, room type, extra, offer, then the second best of each. What is left out:

- a property where the guest has an unresolved complaint or negative review;
- room types that are not an upgrade on the guest's usual one (``room_types.sort_order``);
- extras and offers the guest is no more likely to take than the average stay;
- offers without marketing consent, and an offer whose loyalty reward the guest already
  redeemed.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
import pyarrow as pa
import scipy.sparse as sp

from guestloyalty.config import Settings
from guestloyalty.evaluation import ranking
from guestloyalty.models import recommend
from guestloyalty.warehouse import Layout, connect

TOP_N = 5
KINDS_PROPERTY = recommend.KINDS.index("property")
KINDS_ROOM = recommend.KINDS.index("room_type")
#: Candidates of each kind that compete for the list (interleaved by round).
PER_KIND = 2

RECOMMENDATIONS_DDL = """
create or replace table guest_recommendations (
    guest_id varchar not null,
    rank integer not null,
    item_kind varchar not null,
    item_id varchar not null,
    item_name varchar not null,
    score double not null,
    reason varchar not null,
    model_version varchar not null,
    as_of_date date not null
)
"""

_STAYS_SQL = """
create or replace temp table rec_stays as
with
stays as (
    select
        guest_id,
        source_system,
        stay_id,
        booking_id,
        property_id,
        room_type,
        purpose,
        channel_group,
        check_in_date,
        check_out_date,
        fnb_revenue,
        spa_revenue,
        other_revenue,
        is_upgraded
    from silver.main.int_stays_enriched
    where guest_id is not null and property_id is not null and check_in_date is not null
),

history as (
    select *, false as is_target
    from stays
    where coalesce(check_out_date, check_in_date) <= $as_of
),

after_as_of as (
    select
        *,
        row_number() over (
            partition by guest_id order by check_in_date, source_system, stay_id
        ) as stay_number
    from stays
    where check_in_date > $as_of and check_in_date <= $until
),

chosen as (
    select * from history
    union all
    select * exclude (stay_number, is_target), true as is_target
    from (select *, true as is_target from after_as_of)
    where stay_number = 1
)

select
    *,
    row_number() over (order by guest_id, check_in_date, source_system, stay_id) - 1
        as stay_row,
    datediff('day', check_in_date, $as_of) as age_days,
    datediff('day', coalesce(check_out_date, check_in_date), $as_of) as checkout_age
from chosen
order by stay_row
"""

_ITEMS_SQL = """
with
stays as (select * from rec_stays),

extras as (select * from recommendation_extras),

parties as (
    select booking_id, any_value(party_type) as party_type
    from silver.main.int_bookings_enriched
    where party_type is not null and party_type <> 'unknown'
    group by booking_id
),

tiers as (
    select guest_id, arg_max(tier, occurred_at) as tier
    from silver.main.int_loyalty_transactions_resolved
    where tier is not null and occurred_date <= $as_of
    group by guest_id
),

requests as (
    select distinct booking_id, request_type
    from silver.main.int_special_requests_resolved
    where not is_complaint and booking_id is not null
),

revenue as (
    select stay_row, 'fnb_revenue' as source_value, fnb_revenue as amount from stays
    union all
    select stay_row, 'spa_revenue' as source_value, spa_revenue as amount from stays
    union all
    select stay_row, 'other_revenue' as source_value, other_revenue as amount from stays
)

select stay_row, 'property' as item_kind, property_id as item_id from stays
union all
select stay_row, 'room_type' as item_kind, room_type as item_id
from stays where room_type is not null
union all
select stay_row, 'context' as item_kind, 'purpose:' || purpose as item_id
from stays where purpose is not null
union all
select stays.stay_row, 'context' as item_kind, 'party:' || parties.party_type as item_id
from stays inner join parties on stays.booking_id = parties.booking_id
union all
select stays.stay_row, 'context' as item_kind, 'tier:' || tiers.tier as item_id
from stays inner join tiers on stays.guest_id = tiers.guest_id
union all
select revenue.stay_row, 'extra' as item_kind, extras.extra_id as item_id
from revenue
inner join extras on extras.source = 'revenue' and extras.source_value = revenue.source_value
where revenue.amount > 0
union all
select stays.stay_row, 'extra' as item_kind, extras.extra_id as item_id
from stays inner join extras on extras.source = 'upgrade'
where stays.is_upgraded
union all
select stays.stay_row, 'extra' as item_kind, extras.extra_id as item_id
from stays
inner join requests on stays.booking_id = requests.booking_id
inner join extras on extras.source = 'request' and extras.source_value = requests.request_type
"""


@dataclass
class StayData:
    """Everything the stage read, as arrays: history and (for a backtest) the next stays."""

    as_of: dt.date
    guest_ids: pl.Series  # Utf8, one per guest code
    history: recommend.Interactions
    history_checkout_age: np.ndarray  # days from check-out to as_of, per history stay
    targets: recommend.Interactions  # the first stay after as_of (backtest), per guest
    target_stays: int = 0


@dataclass
class RecommendResult:
    """What the stage did, for the run log (and the arrays a backtest judges)."""

    guests: int
    rows: int
    model_version: str
    seconds: dict[str, float] = field(default_factory=dict)
    tuning: dict[str, float] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    evaluation: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    top_property: pl.DataFrame | None = None

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {
            "guests_recommended": self.guests,
            "recommendation_rows": self.rows,
            "recommendation_model": self.model_version,
        }
        out.update({f"rows_{kind}": count for kind, count in self.kinds.items()})
        out.update({f"seconds_{name}": value for name, value in self.seconds.items()})
        return out


# ---- reading --------------------------------------------------------------------------------


def load_stays(con, as_of: dt.date, *, until: dt.date | None = None) -> StayData:  # noqa: ANN001
    """Stays up to as_of as item sets (and the first stay in ``(as_of, until]`` per guest);
    ``con`` is the gold build with silver attached as ``silver``."""
    con.execute(_STAYS_SQL, {"as_of": as_of, "until": until or as_of})
    # integers cross into Python; strings only for the guest and item dictionaries
    con.execute(
        "create or replace temp table rec_items as " + _ITEMS_SQL.replace("$as_of", "$1"),
        [as_of],
    )
    con.execute(
        """
        create or replace temp table rec_columns as
        select item_kind, item_id, row_number() over (order by item_kind, item_id) - 1 as col
        from (
            select distinct items.item_kind, items.item_id
            from rec_items as items
            inner join rec_stays as stays on items.stay_row = stays.stay_row
            where not stays.is_target
        )
        """
    )
    stays = con.sql(
        "select stay_row, dense_rank() over (order by guest_id) - 1 as guest_code, is_target, "
        "age_days, checkout_age from rec_stays order by stay_row"
    ).fetchnumpy()
    guest_ids = con.sql("select distinct guest_id from rec_stays order by guest_id").pl()[
        "guest_id"
    ]
    columns = con.sql("select item_kind, item_id from rec_columns order by col").fetchall()
    coded = con.sql(  # items never seen before as_of have no column
        "select items.stay_row, columns.col from rec_items as items "
        "inner join rec_columns as columns "
        "on items.item_kind = columns.item_kind and items.item_id = columns.item_id"
    ).fetchnumpy()
    con.execute("drop table rec_items")
    con.execute("drop table rec_columns")
    con.execute("drop table rec_stays")

    n_stays = len(stays["stay_row"])
    guest_codes = np.asarray(stays["guest_code"], dtype=np.int64)
    is_target = np.asarray(stays["is_target"], dtype=bool)
    matrix = sp.csr_matrix(
        (
            np.ones(len(coded["stay_row"]), dtype=np.float32),
            (np.asarray(coded["stay_row"]), np.asarray(coded["col"])),
        ),
        shape=(n_stays, len(columns)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    item_kind = np.array([kind for kind, _ in columns], dtype=str)
    item_id = np.array([item for _, item in columns], dtype=str)
    stays = {name: np.asarray(values) for name, values in stays.items()}
    age = stays["age_days"].astype(np.float64)

    def part(mask: np.ndarray) -> recommend.Interactions:
        return recommend.Interactions(
            stay_guest=guest_codes[mask],
            stay_age_days=age[mask],
            stay_items=matrix[np.flatnonzero(mask)],
            item_kind=item_kind,
            item_id=item_id,
            n_guests=len(guest_ids),
        )

    return StayData(
        as_of=as_of,
        guest_ids=guest_ids,
        history=part(~is_target),
        history_checkout_age=stays["checkout_age"][~is_target].astype(np.float64),
        targets=part(is_target),
        target_stays=int(is_target.sum()),
    )


@dataclass
class Catalog:
    """Names and business rules the lists need, read from the build and silver."""

    names: dict[tuple[str, str], str]
    property_kind: dict[str, str]
    room_order: dict[str, int]
    offers: pl.DataFrame  # offer_id, offer_name, item_kind, item_id, loyalty_reward
    complaints: pl.DataFrame  # guest_id, property_id: unresolved complaint or negative review
    consent: pl.DataFrame  # guest_id of guests with marketing consent
    redeemed: pl.DataFrame  # guest_id, reward redeemed on or before as_of


def _tables(con) -> set[str]:  # noqa: ANN001
    return {
        row[0]
        for row in con.sql(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    }


def load_catalog(con, as_of: dt.date) -> Catalog:  # noqa: ANN001
    """Seeds and rules (``con``: the gold build with silver attached as ``silver``)."""
    tables = _tables(con)
    names: dict[tuple[str, str], str] = {}
    kinds: dict[str, str] = {}
    order: dict[str, int] = {}
    for pid, name, kind in con.sql(
        "select property_id, property_name, property_kind from properties"
    ).fetchall():
        names[("property", pid)] = name or pid
        kinds[pid] = kind
    for room, name, sort_order in con.sql(
        "select room_type, room_type_name, sort_order from room_types"
    ).fetchall():
        names[("room_type", room)] = name or room
        order[room] = int(sort_order)
    for extra, name in con.sql("select extra_id, extra_name from recommendation_extras").fetchall():
        names[("extra", extra)] = name
    offers = con.sql(
        "select offers.offer_id, catalog.offer_name, offers.item_kind, offers.item_id, "
        "offers.loyalty_reward from recommendation_offers as offers "
        "inner join offer_catalog as catalog on offers.offer_id = catalog.offer_id "
        "order by offers.offer_id"
    ).pl()
    if "topic_mentions" in tables:
        complaints = con.sql(
            "select distinct guest_id, property_id from topic_mentions "
            "where is_negative and not is_resolved and guest_id is not null "
            "and property_id is not null and mentioned_date <= $as_of",
            params={"as_of": as_of},
        ).pl()
    else:
        complaints = pl.DataFrame(schema={"guest_id": pl.Utf8, "property_id": pl.Utf8})
    consent = con.sql(
        "select guest_id from silver.main.int_guests_unified where has_marketing_consent"
    ).pl()
    redeemed = con.sql(
        "select distinct guest_id, reward from silver.main.int_loyalty_transactions_resolved "
        "where transaction_type = 'redeem' and reward is not null and occurred_date <= $as_of",
        params={"as_of": as_of},
    ).pl()
    return Catalog(names, kinds, order, offers, complaints, consent, redeemed)


# ---- the stage ------------------------------------------------------------------------------


@dataclass
class Inputs:
    """What the stage reads (DuckDB): the stays as item sets, the catalog and its rules."""

    as_of: dt.date
    data: StayData
    catalog: Catalog
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Lists:
    """What the stage learns from :class:`Inputs` (numpy, scipy, polars; no DuckDB, so it
    may run beside another stage): the model, every guest's scores and the table to write."""

    inputs: Inputs
    model: recommend.CooccurrenceModel
    scores: np.ndarray
    version: str
    tuning: dict[str, float]
    table: pa.Table
    kinds: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)


def read_inputs(layout: Layout, *, evaluate_until: dt.date | None = None) -> Inputs:
    """The stays up to as_of (and the first after it up to ``evaluate_until``) and the
    catalog, from silver and the gold build."""
    began, cpu = time.perf_counter(), time.process_time()
    with connect(layout.gold_build_path) as con:
        con.execute(f"attach '{layout.silver_path}' as silver (read_only)")
        try:
            as_of = con.execute("select as_of_date from run_context").fetchone()[0]
            data = load_stays(con, as_of, until=evaluate_until)
            catalog = load_catalog(con, as_of)
        finally:
            con.execute("detach silver")
    seconds = {
        "read": round(time.perf_counter() - began, 2),
        "read_cpu": round(time.process_time() - cpu, 2),
    }
    return Inputs(as_of=as_of, data=data, catalog=catalog, seconds=seconds)


def learn_lists(inputs: Inputs, settings: Settings) -> Lists:
    """Choose k and half-life, fit, score every guest and build the ranked lists.

    ``*_cpu`` seconds are the process's: beside another stage they count its work too."""
    data, seconds = inputs.data, dict(inputs.seconds)
    step, cpu = time.perf_counter(), time.process_time()
    blend, tuning = tune(data.history, data.history_checkout_age, settings.horizon_days)
    model = replace(recommend.fit(data.history), blend=blend)
    scores = recommend.predict(model, data.history)
    seconds["learn"] = round(time.perf_counter() - step, 2)
    seconds["learn_cpu"] = round(time.process_time() - cpu, 2)
    version = f"cooccurrence-{inputs.as_of:%Y%m%d}" + "".join(
        f"-{kind}-k{k:g}-hl{half_life:g}" for kind, (k, half_life) in sorted(blend.items())
    )
    step, cpu = time.perf_counter(), time.process_time()
    table, kinds = recommendation_table(data, model, scores, inputs.catalog, version=version)
    seconds["lists"] = round(time.perf_counter() - step, 2)
    seconds["lists_cpu"] = round(time.process_time() - cpu, 2)
    return Lists(inputs, model, scores, version, tuning, table, kinds, seconds)


def write_lists(layout: Layout, lists: Lists) -> RecommendResult:
    """``guest_recommendations`` into the gold build; what the stage did."""
    step, cpu = time.perf_counter(), time.process_time()
    table = lists.table
    with connect(layout.gold_build_path) as con:
        con.execute(RECOMMENDATIONS_DDL)
        con.register("recommendations_arrow", table)
        try:
            con.execute(
                "insert into guest_recommendations by name select * from recommendations_arrow"
            )
        finally:
            con.unregister("recommendations_arrow")
    seconds = {
        **lists.seconds,
        "write": round(time.perf_counter() - step, 2),
        "write_cpu": round(time.process_time() - cpu, 2),
    }
    return RecommendResult(
        guests=int(len(set(table.column("guest_id").to_pylist()))) if table.num_rows else 0,
        rows=table.num_rows,
        model_version=lists.version,
        seconds=seconds,
        tuning=lists.tuning,
        kinds=lists.kinds,
    )


def score_recommendations(
    layout: Layout, settings: Settings, *, evaluate_until: dt.date | None = None
) -> RecommendResult:
    """Learn, recommend and write ``guest_recommendations`` into the gold build.

    ``evaluate_until`` (a backtest): also judge the model and both baselines on each guest's
    first stay in ``(as_of, evaluate_until]``; the figures are in ``result.evaluation``.
    """
    lists = learn_lists(read_inputs(layout, evaluate_until=evaluate_until), settings)
    result = write_lists(layout, lists)
    if evaluate_until is not None:
        data, catalog = lists.inputs.data, lists.inputs.catalog
        result.evaluation = evaluate(data, lists.model, lists.scores)
        result.top_property = top_properties(data, lists.scores, catalog)
    return result


def write_empty_recommendations(layout: Layout) -> None:
    """The table, empty (a build whose stage did not run), so the marts that read it build."""
    with connect(layout.gold_build_path) as con:
        con.execute(RECOMMENDATIONS_DDL)


def tune(
    history: recommend.Interactions, checkout_age: np.ndarray, horizon_days: int
) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """k and half-life per kind, chosen on the last horizon before as_of: the stays checked
    out by as_of - horizon predict each guest's first stay after it (hit@3 for property and
    room type, mean AUC for the extras); the defaults when fewer than
    ``recommend.MIN_VALIDATION_GUESTS`` guests have both."""
    before = checkout_age >= horizon_days
    after = (history.stay_age_days < horizon_days) & (history.stay_age_days >= 0)
    earlier = history.subset_stays(before)
    earlier = recommend.Interactions(
        stay_guest=earlier.stay_guest,
        stay_age_days=earlier.stay_age_days - horizon_days,
        stay_items=earlier.stay_items,
        item_kind=earlier.item_kind,
        item_id=earlier.item_id,
        n_guests=earlier.n_guests,
    )
    nxt = recommend.next_stays(earlier, history.subset_stays(after))
    if len(nxt) < recommend.MIN_VALIDATION_GUESTS:
        return {}, {}
    nxt = nxt.sample(recommend.MAX_VALIDATION_GUESTS)
    base = recommend.fit(earlier)

    def objective(scores: np.ndarray) -> dict[str, float]:
        figures = judge(earlier, base, scores, nxt, baselines=False)
        out = {
            kind: figures[kind]["model"]["hit_at_3"]
            for kind in recommend.SINGLE_CHOICE
            if kind in figures
        }
        if "extras" in figures:
            out["extra"] = figures["extras"]["model"]["auc"]
        return out

    blend, grid = recommend.select_blend(earlier, objective, nxt.guests)
    grid["validation_guests"] = float(len(nxt))
    return blend, grid


def judge(
    history: recommend.Interactions,
    model: recommend.CooccurrenceModel,
    scores: np.ndarray,
    nxt: recommend.NextStays,
    *,
    baselines: bool = True,
) -> dict[str, dict[str, dict[str, float]]]:
    """Figures per task (property, room_type, extra:<id>, extras) and model; ``scores`` are
    the rows of ``nxt.guests``."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for kind, target, last in (
        ("property", nxt.property, nxt.last_property),
        ("room_type", nxt.room_type, nxt.last_room_type),
    ):
        columns = history.columns(kind)
        if len(columns) and np.any(target >= 0):
            out[kind] = ranking.judge_choice(
                scores, target, last, model.popularity, columns, baselines=baselines
            )
    extra_cols = history.columns("extra")
    aucs: dict[str, list[float]] = {"model": [], "last_time": []} if baselines else {"model": []}
    for j, column in enumerate(extra_cols):
        bought = nxt.extras[:, j]
        if bought.all() or not bought.any():
            continue
        figures = ranking.judge_extra(
            scores[:, column], bought, nxt.last_extras[:, j], baselines=baselines
        )
        out[f"extra:{history.item_id[column]}"] = figures
        for name in aucs:
            aucs[name].append(figures[name]["auc"])
    if aucs["model"]:
        out["extras"] = {
            name: {"auc": float(np.mean(values)), "extras": float(len(values))}
            for name, values in aucs.items()
        }
    return out


def evaluate(
    data: StayData, model: recommend.CooccurrenceModel, scores: np.ndarray
) -> dict[str, dict[str, dict[str, float]]]:
    """The backtest's figures: each guest's first stay after as_of against the history."""
    nxt = recommend.next_stays(data.history, data.targets)
    return judge(data.history, model, scores[nxt.guests], nxt)


def top_properties(data: StayData, scores: np.ndarray, catalog: Catalog) -> pl.DataFrame:
    """Per guest with a history: the model's top property, its kind, and their stays."""
    columns = data.history.columns("property")
    stays = np.bincount(data.history.stay_guest, minlength=data.history.n_guests)
    if len(columns) == 0:
        return pl.DataFrame(schema={"guest_id": pl.Utf8, "property_id": pl.Utf8})
    best = columns[np.argmax(scores[:, columns], axis=1)]
    last_row = np.zeros(data.history.n_guests, dtype=np.int64)
    last_row[data.history.stay_guest] = np.arange(len(data.history.stay_guest))
    last = recommend.first_column(data.history.stay_items[last_row], columns)
    frame = pl.DataFrame(
        {
            "guest_id": data.guest_ids,
            "property_id": data.history.item_id[best],
            "last_property_id": data.history.item_id[np.maximum(last, 0)],
            "stays": stays,
        }
    ).filter(pl.col("stays") > 0)
    return frame.with_columns(
        property_kind=pl.col("property_id").replace_strict(catalog.property_kind, default=None),
        last_property_kind=pl.col("last_property_id").replace_strict(
            catalog.property_kind, default=None
        ),
    )


# ---- the lists ------------------------------------------------------------------------------


def _guest_codes(data: StayData, guest_ids: pl.Series) -> np.ndarray:
    """Codes of ``guest_ids`` (-1 for guests without a stay)."""
    lookup = pl.DataFrame({"guest_id": data.guest_ids}).with_row_index("code")
    found = pl.DataFrame({"guest_id": guest_ids.cast(pl.Utf8)}).join(
        lookup, on="guest_id", how="left", maintain_order="left"
    )
    return found["code"].fill_null(-1).cast(pl.Int64).to_numpy()


def _pairs_mask(
    data: StayData, frame: pl.DataFrame, guest: str, item: str, items: dict[str, int], n: int
) -> np.ndarray:
    """[guests, n] True where (guest, item) is in ``frame`` (items mapped through ``items``)."""
    mask = np.zeros((data.history.n_guests, n), dtype=bool)
    if frame.height == 0 or not items:
        return mask
    codes = _guest_codes(data, frame[guest])
    which = frame[item].cast(pl.Utf8).replace_strict(items, default=-1, return_dtype=pl.Int64)
    which = which.to_numpy()
    keep = (codes >= 0) & (which >= 0)
    mask[codes[keep], which[keep]] = True
    return mask


def _top(values: np.ndarray, allowed: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the positions of the ``top`` best allowed values and whether each is allowed
    (ties: the first column; one argmax pass per place, cheaper than a sort of every row)."""
    masked = np.where(allowed, values, np.float32(-np.inf))
    rows = np.arange(len(values))
    order = np.zeros((len(values), min(top, values.shape[1])), dtype=np.int64)
    ok = np.zeros(order.shape, dtype=bool)
    for place in range(order.shape[1]):
        best = np.argmax(masked, axis=1)
        order[:, place] = best
        ok[:, place] = masked[rows, best] > -np.inf
        masked[rows, best] = -np.inf  # taken
    return order, ok


def recommendation_table(
    data: StayData,
    model: recommend.CooccurrenceModel,
    scores: np.ndarray,
    catalog: Catalog,
    *,
    version: str,
    top_n: int = TOP_N,
) -> tuple[pa.Table, dict[str, int]]:
    """Every guest's list (guest x rank) with score and reason, and the rows per kind."""
    hist = data.history
    if hist.n_guests == 0:  # e.g. a stays-only export: nothing to recommend from
        return _empty_table(), {}
    counts = recommend.guest_item_counts(hist)
    stays = np.bincount(hist.stay_guest, minlength=hist.n_guests)
    has_history = stays > 0
    popularity = np.maximum(model.popularity, 1e-12)
    # candidate slots [guest, round, kind]: round r holds each kind's (r + 1)-th best
    shape = (hist.n_guests, PER_KIND, len(recommend.KINDS))
    slot_item = np.zeros(shape, dtype=np.int64)
    slot_source = np.full(shape, -1, dtype=np.int64)
    slot_score = np.zeros(shape, dtype=np.float64)
    slot_ok = np.zeros(shape, dtype=bool)

    def add(
        kind: str,
        cols: np.ndarray,
        rank_by: np.ndarray,
        allowed: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """The best PER_KIND allowed of ``cols`` (by ``rank_by``) into the kind's slots; an
        offer's item is its row in ``offers``, anything else its item column."""
        order, ok = _top(rank_by, allowed, PER_KIND)
        k, width = recommend.KINDS.index(kind), order.shape[1]
        slot_item[:, :width, k] = order if kind == "offer" else cols[order]
        slot_source[:, :width, k] = cols[order]  # the item column whose history explains it
        slot_score[:, :width, k] = np.take_along_axis(values, order, axis=1)
        slot_ok[:, :width, k] = ok & has_history[:, None]

    # property: every known property but those with an unresolved complaint
    prop_cols = hist.columns("property")
    if len(prop_cols):
        prop_index = {hist.item_id[c]: j for j, c in enumerate(prop_cols)}
        blocked = _pairs_mask(
            data, catalog.complaints, "guest_id", "property_id", prop_index, len(prop_cols)
        )
        values = scores[:, prop_cols]
        add("property", prop_cols, values, ~blocked, values)

    # room type: upgrades on the guest's usual room, likelier than on the average stay
    room_cols = hist.columns("room_type")
    usual_order = np.full(hist.n_guests, np.iinfo(np.int64).max)
    room_rank = np.array([catalog.room_order.get(hist.item_id[c], -1) for c in room_cols])
    if len(room_cols):
        room_counts = counts[:, room_cols].toarray()
        seen = room_counts.sum(axis=1) > 0
        usual = np.argmax(room_counts, axis=1)
        usual_order = np.where(seen & (room_rank[usual] >= 0), room_rank[usual], usual_order)
        upsell = (room_rank[None, :] > usual_order[:, None]) & (room_rank[None, :] >= 0)
        values = scores[:, room_cols]
        upsell &= values > popularity[room_cols]  # likelier than on the average stay
        add("room_type", room_cols, values, upsell, values)

    # extras: more likely than on the average stay, by lift
    extra_cols = hist.columns("extra")
    if len(extra_cols):
        values = scores[:, extra_cols]
        lift = values / popularity[extra_cols]
        add("extra", extra_cols, lift, lift > 1.0, values)

    # offers: consent, not redeemed, following an item the guest is likely to take
    column_of = {(hist.item_kind[c], hist.item_id[c]): c for c in range(hist.n_items)}
    usable = [
        (kind, item) in column_of
        for kind, item in catalog.offers.select("item_kind", "item_id").iter_rows()
    ]
    offers = catalog.offers.filter(pl.Series(usable, dtype=pl.Boolean))
    if offers.height:
        follows = np.array(
            [column_of[(k, i)] for k, i in offers.select("item_kind", "item_id").iter_rows()]
        )
        consent = np.zeros(hist.n_guests, dtype=bool)
        codes = _guest_codes(data, catalog.consent["guest_id"])
        consent[codes[codes >= 0]] = True
        reward_index = {
            reward: j for j, reward in enumerate(offers["loyalty_reward"].to_list()) if reward
        }
        redeemed = _pairs_mask(
            data, catalog.redeemed, "guest_id", "reward", reward_index, offers.height
        )
        values = scores[:, follows]
        lift = values / popularity[follows]
        allowed = consent[:, None] & ~redeemed & (lift > 1.0)
        is_room = offers["item_kind"].to_numpy() == "room_type"
        if is_room.any():
            follow_rank = np.array([catalog.room_order.get(hist.item_id[c], -1) for c in follows])
            allowed &= ~is_room[None, :] | (follow_rank[None, :] > usual_order[:, None])
        add("offer", follows, lift, allowed, values)

    # an offer is the sellable form of the item it follows: that item is not listed twice
    offer = recommend.KINDS.index("offer")
    offer_source = np.where(slot_ok[:, :, offer], slot_source[:, :, offer], -2)
    twice = (slot_source[:, :, :, None] == offer_source[:, None, None, :]).any(axis=3)
    twice[:, :, offer] = False
    slot_ok &= ~twice
    flat_ok = slot_ok.reshape(hist.n_guests, -1)  # (round, kind) order within each guest
    flat_rank = np.cumsum(flat_ok, axis=1)
    guest, slot = np.nonzero(flat_ok & (flat_rank <= top_n))
    if len(guest) == 0:
        return _empty_table(), {}
    cand = {
        "guest": guest,
        "kind": slot % len(recommend.KINDS),
        "item": slot_item.reshape(hist.n_guests, -1)[guest, slot],
        "score": slot_score.reshape(hist.n_guests, -1)[guest, slot],
        "source": slot_source.reshape(hist.n_guests, -1)[guest, slot],
    }
    rank = flat_rank[guest, slot]
    return _with_reasons(data, cand, rank, counts, stays, catalog, offers, version)


def _empty_table() -> pa.Table:
    return pa.table(
        {
            "guest_id": pa.array([], pa.string()),
            "rank": pa.array([], pa.int32()),
            "item_kind": pa.array([], pa.string()),
            "item_id": pa.array([], pa.string()),
            "item_name": pa.array([], pa.string()),
            "score": pa.array([], pa.float64()),
            "reason": pa.array([], pa.string()),
            "model_version": pa.array([], pa.string()),
            "as_of_date": pa.array([], pa.date32()),
        }
    )


def _with_reasons(
    data: StayData,
    cand: dict[str, np.ndarray],
    rank: np.ndarray,
    counts: sp.csr_matrix,
    stays: np.ndarray,
    catalog: Catalog,
    offers: pl.DataFrame,
    version: str,
) -> tuple[pa.Table, dict[str, int]]:
    """The rows, each with its reason in words (one vectorised pass, no per-guest loop)."""
    hist = data.history
    guest, source = cand["guest"], cand["source"]
    is_offer = cand["kind"] == recommend.KINDS.index("offer")
    # every string comes from a small lookup, gathered by index (no per-row Python strings)
    source_names = [
        catalog.names.get((k, i), i) for k, i in zip(hist.item_kind, hist.item_id, strict=True)
    ]
    lookup_ids = pl.Series([*hist.item_id.tolist(), *offers["offer_id"].to_list()], dtype=pl.Utf8)
    lookup_names = pl.Series([*source_names, *offers["offer_name"].to_list()], dtype=pl.Utf8)
    item_index = np.where(is_offer, hist.n_items + cand["item"], cand["item"])
    own = counts[:, np.unique(source)].toarray().astype(np.int32)
    own = own[guest, np.searchsorted(np.unique(source), source)].astype(np.int64)

    # stays at properties of the same kind as the recommended one
    prop_cols = hist.columns("property")
    kind_names = sorted({v for v in catalog.property_kind.values() if v})
    kind_of_col = np.full(hist.n_items, -1)
    for c in prop_cols:
        name = catalog.property_kind.get(hist.item_id[c])
        if name in kind_names:
            kind_of_col[c] = kind_names.index(name)
    same_kind = np.zeros(len(guest), dtype=np.int64)
    if len(prop_cols) and kind_names:
        onehot = np.zeros((len(prop_cols), len(kind_names)))
        known = kind_of_col[prop_cols] >= 0
        onehot[np.flatnonzero(known), kind_of_col[prop_cols][known]] = 1.0
        per_kind = np.asarray(counts[:, prop_cols] @ onehot)
        has_kind = kind_of_col[source] >= 0
        same_kind[has_kind] = per_kind[guest[has_kind], kind_of_col[source][has_kind]]
    label_index = np.where(kind_of_col[source] >= 0, kind_of_col[source], len(kind_names))

    kind_code = np.array(
        [recommend.KINDS.index(k) if k in recommend.KINDS else -1 for k in hist.item_kind],
        dtype=np.int64,
    )
    frame = pl.DataFrame(
        {
            "guest_id": data.guest_ids.gather(guest),
            "rank": pl.Series(rank.astype(np.int32)),
            "item_kind": pl.Series(list(recommend.KINDS), dtype=pl.Utf8).gather(cand["kind"]),
            "item_id": lookup_ids.gather(item_index),
            "item_name": lookup_names.gather(item_index),
            "score": pl.Series(np.round(cand["score"].astype(np.float64), 6)),
        }
    )
    facts = pl.DataFrame(
        {
            "row": np.arange(len(guest), dtype=np.int64),
            "source": source.astype(np.int64),
            "source_kind": kind_code[source] if len(source) else np.array([], dtype=np.int64),
            "own": own,
            "stays": stays[guest].astype(np.int64),
            "same_kind": same_kind,
            "label": label_index.astype(np.int64),
            "pct": np.round(cand["score"].astype(np.float64) * 100).astype(np.int64),
        }
    )
    reasons = _reasons(facts, source_names, [*kind_names, ""])
    frame = frame.with_columns(reason=reasons)
    reason = pl.col("reason")
    out = frame.select(
        "guest_id",
        "rank",
        "item_kind",
        "item_id",
        "item_name",
        "score",
        reason.alias("reason"),
        pl.lit(version).alias("model_version"),
        pl.lit(data.as_of).alias("as_of_date"),
    )
    kinds = dict(out.group_by("item_kind").len().sort("item_kind").iter_rows())
    return out.to_arrow().cast(_empty_table().schema), kinds


def _reasons(facts: pl.DataFrame, source_names: list[str], kind_labels: list[str]) -> pl.Series:
    """One sentence per row of ``facts``; each template formatted only for the rows it fits.

    Columns: row, source (item column), source_kind (index into ``recommend.KINDS``), own (the
    guest's stays with it), stays,
    same_kind (stays at properties of its kind), label (index into ``kind_labels``), pct.
    """
    own_, n_ = pl.col("own"), pl.col("stays")
    name = pl.col("source").replace_strict(dict(enumerate(source_names)), return_dtype=pl.Utf8)
    label = pl.col("label").replace_strict(dict(enumerate(kind_labels)), return_dtype=pl.Utf8)
    pct, same_kind = pl.col("pct"), pl.col("same_kind")
    like = "guests with stays like yours"
    kind = pl.col("source_kind")
    prop, room = kind == KINDS_PROPERTY, kind == KINDS_ROOM
    one, owned, kind_seen = n_ == 1, own_ > 0, same_kind > 0
    # (condition, sentence): the first that holds
    cases = [
        (prop & owned & one, pl.format("their stay was at {}", name)),
        (prop & owned, pl.format("{} of {} stays at {}", own_, n_, name)),
        (
            prop & kind_seen & one,
            pl.format(f"their stay was at a {{}} hotel; {like} book {{}}", label, name),
        ),
        (
            prop & kind_seen,
            pl.format(
                f"{{}} of {{}} stays at {{}} hotels; {like} book {{}}", same_kind, n_, label, name
            ),
        ),
        (prop, pl.format(f"{like} book {{}}", name)),
        (room & owned & one, pl.format("stayed in a {}; {}% likely on the next stay", name, pct)),
        (
            room & owned,
            pl.format("{} of {} stays in a {}; {}% likely on the next stay", own_, n_, name, pct),
        ),
        (room, pl.format(f"{like} take a {{}}: {{}}% likely on the next stay", name, pct)),
        (owned & one, pl.format("{} on their stay; {}% likely on the next one", name, pct)),
        (
            owned,
            pl.format("{} on {} of {} stays; {}% likely on the next stay", name, own_, n_, pct),
        ),
        (pl.lit(True), pl.format(f"{like} take {{}}: {{}}% likely on the next stay", name, pct)),
    ]
    which = pl.lit(len(cases) - 1)
    for number, (condition, _) in reversed(list(enumerate(cases))):
        which = pl.when(condition).then(pl.lit(number)).otherwise(which)
    facts = facts.with_columns(case=which)
    parts = [
        facts.filter(pl.col("case") == number).select("row", sentence.alias("reason"))
        for number, (_, sentence) in enumerate(cases)
    ]
    return pl.concat(parts).sort("row")["reason"]
