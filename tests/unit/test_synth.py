"""The synthetic world: contracts, determinism, time bounds, identity mess, warts, files."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pytest

from guestloyalty.contracts import CONTRACTS
from guestloyalty.synth import params as P
from guestloyalty.synth.dirty import as_text, inject
from guestloyalty.synth.truth import (
    CAMPAIGN_COLUMNS,
    CHANGE_COLUMNS,
    TASTE_COLUMNS,
    TRUTH_COLUMNS,
    TruthError,
    read_truth,
)
from guestloyalty.synth.world import (
    CHANGING_SHOCK_FACTORS,
    WorldSpec,
    WorldSpecError,
    changing,
    generate_world,
    remove_generated,
    write_world,
)

END = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldSpec(guests=2_000, seed=3, dirty_rate=0.0))


def test_every_entity_is_written_with_contract_columns(world):
    assert set(world.frames) == set(CONTRACTS)
    for entity, frame in world.frames.items():
        contract = CONTRACTS[entity]
        assert set(contract.required_columns()) <= set(frame.columns), entity
        assert frame.columns == [c for c in contract.columns() if c in frame.columns], entity
        assert frame.height > 0, entity


@pytest.mark.parametrize(
    ("entity", "key"),
    [
        ("guests", ["source_system", "guest_id"]),
        ("bookings", ["booking_id"]),
        ("stays", ["stay_id"]),
        ("engagement_events", ["event_id"]),
        ("loyalty_transactions", ["transaction_id"]),
        ("reviews", ["review_id"]),
        ("preferences", ["guest_id", "preference_type"]),
        ("special_requests", ["request_id"]),
    ],
)
def test_keys_are_unique(world, entity, key):
    frame = world.frames[entity]
    assert frame.select(key).is_duplicated().sum() == 0


def test_enum_columns_hold_allowed_values(world):
    for entity, frame in world.frames.items():
        for column, allowed in CONTRACTS[entity].allowed_values().items():
            if column in frame.columns:
                values = set(frame[column].drop_nulls().unique().to_list())
                assert values <= set(allowed), (entity, column, values - set(allowed))


@pytest.mark.parametrize(
    ("entity", "column"),
    [
        ("stays", "check_in_date"),
        ("stays", "check_out_date"),
        ("bookings", "booked_at"),
        ("engagement_events", "occurred_at"),
        ("loyalty_transactions", "occurred_at"),
        ("reviews", "submitted_at"),
        ("special_requests", "created_at"),
        ("guests", "created_at"),
    ],
)
def test_nothing_happens_after_the_end(world, entity, column):
    latest = world.frames[entity][column].max()
    latest = latest.date() if isinstance(latest, dt.datetime) else latest
    assert latest <= END


def test_future_arrivals_are_confirmed_bookings(world):
    future = world.frames["bookings"].filter(pl.col("arrival_date") > END)
    assert future.height > 0
    assert set(future["status"].unique()) <= {"confirmed", "cancelled"}


def test_stays_reference_bookings_and_known_profiles(world):
    stays, bookings, guests = (world.frames[e] for e in ("stays", "bookings", "guests"))
    assert stays["booking_id"].is_in(bookings["booking_id"].implode()).all()
    assert stays["guest_id"].is_in(guests["guest_id"].implode()).all()
    honoured = bookings.filter(pl.col("status") == "checked_out")
    assert honoured.height == stays.height


def test_revenue_adds_up(world):
    stays = world.frames["stays"]
    parts = stays.select(
        (
            pl.col("room_revenue")
            + pl.col("fnb_revenue")
            + pl.col("spa_revenue")
            + pl.col("other_revenue")
            - pl.col("total_revenue")
        )
        .abs()
        .max()
    ).item()
    assert parts < 0.011
    assert (stays["total_revenue"] > 0).all()


def test_some_people_have_a_second_profile_with_messy_contacts(world):
    truth = world.truth
    people = truth["person_id"].n_unique()
    duplicates = truth.filter(~pl.col("is_primary_profile"))
    assert 0.02 <= duplicates.height / people <= 0.08
    assert set(duplicates["source_system"].unique()) == {"crm", "ota"}
    guests = world.frames["guests"].join(truth.select("guest_id", "person_id"), on="guest_id")
    pairs = guests.group_by("person_id").agg(pl.col("email"), pl.len()).filter(pl.col("len") > 1)
    emails = pairs["email"].to_list()
    assert any(e[0].strip().lower() == e[1].strip().lower() and e[0] != e[1] for e in emails)
    assert any("@guest.booking.com" in e[1] or "relay" in e[1] or "expedia" in e[1] for e in emails)


def test_duplicate_profiles_carry_some_of_their_persons_stays(world):
    dup_ids = world.truth.filter(~pl.col("is_primary_profile"))["guest_id"]
    stays = world.frames["stays"]
    assert stays["guest_id"].is_in(dup_ids.implode()).sum() > 0


def test_truth_maps_every_profile_and_has_its_columns(world):
    assert world.truth.columns == [
        *TRUTH_COLUMNS,
        *CHANGE_COLUMNS,
        *TASTE_COLUMNS,
        *CAMPAIGN_COLUMNS,
    ]
    assert set(world.frames["guests"]["guest_id"]) == set(world.truth["guest_id"])
    dropped = world.truth.filter(pl.col("dropout_date").is_not_null())
    assert (dropped["dropout_date"] >= dropped["disengaged_date"]).all()


def test_dropped_out_people_make_no_later_stays(world):
    stays = world.frames["stays"].join(
        world.truth.select("guest_id", "dropout_date"), on="guest_id"
    )
    late = stays.filter(pl.col("check_in_date") > pl.col("dropout_date") + pl.duration(days=3))
    assert late.height == 0


def test_service_failures_and_reviews_are_visible(world):
    stays = world.frames["stays"]
    assert 0.03 < stays["had_service_failure"].mean() < 0.15
    reviews = world.frames["reviews"].join(
        stays.select("stay_id", "had_service_failure"), on="stay_id"
    )
    by = (
        reviews.group_by("had_service_failure")
        .agg(pl.col("nps").mean())
        .sort("had_service_failure")
    )
    assert by["nps"][1] < by["nps"][0] - 2


def test_engagement_fades_after_people_disengage(world):
    events = world.frames["engagement_events"].join(
        world.truth.select("guest_id", "disengaged_date"), on="guest_id"
    )
    opens = events.filter(pl.col("event_type").is_in(["email_send", "email_open"])).with_columns(
        later=pl.col("occurred_at").dt.date() > pl.col("disengaged_date") + pl.duration(days=60)
    )
    rate = (
        opens.group_by(pl.col("later").fill_null(False))
        .agg(
            (pl.col("event_type") == "email_open").sum()
            / (pl.col("event_type") == "email_send").sum()
        )
        .sort("later")
    )
    assert rate["event_type"][1] < 0.6 * rate["event_type"][0]


def test_same_seed_same_world_other_seed_other_world():
    spec = WorldSpec(guests=500, seed=9, dirty_rate=0.01)
    a, b = generate_world(spec), generate_world(spec)
    for entity in a.frames:
        assert a.frames[entity].equals(b.frames[entity]), entity
    c = generate_world(WorldSpec(guests=500, seed=10, dirty_rate=0.01))
    assert not a.frames["stays"].equals(c.frames["stays"])


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path, file_format):
    spec = WorldSpec(guests=400, seed=4, dirty_rate=0.01, file_format=file_format)
    write_world(spec, tmp_path / "a", truth_path=tmp_path / "a-truth" / "truth.parquet")
    write_world(spec, tmp_path / "b", truth_path=tmp_path / "b-truth" / "truth.parquet")
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert first == second
    assert all(name.endswith(file_format) for name in first)
    assert len(first) == len(CONTRACTS)
    assert _digest(tmp_path / "a-truth") == _digest(tmp_path / "b-truth")


def test_chunks_written_in_parallel_processes_are_the_same_files(tmp_path):
    spec = WorldSpec(guests=400, seed=4, dirty_rate=0.01, chunk_people=150)
    serial = write_world(spec, tmp_path / "a", truth_path=tmp_path / "ta" / "truth.parquet")
    assert len(serial.files["stays"]) == 3
    write_world(spec, tmp_path / "b", truth_path=tmp_path / "tb" / "truth.parquet", workers=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "ta") == _digest(tmp_path / "tb")


def test_csv_files_load_with_text_columns(tmp_path):
    spec = WorldSpec(guests=300, seed=2, dirty_rate=0.0, file_format="csv")
    result = write_world(spec, tmp_path)
    path = result.files["stays"][0]
    rows = duckdb.sql(f"select count(*) from read_csv('{path}', all_varchar=true)").fetchall()
    assert rows[0][0] == result.rows["stays"]


def test_truth_file_round_trips_and_is_checked(tmp_path):
    spec = WorldSpec(guests=300, seed=2, dirty_rate=0.0)
    result = write_world(spec, tmp_path / "landing", truth_path=tmp_path / "truth.parquet")
    assert read_truth(result.truth_path).height >= 300
    with pytest.raises(TruthError, match="no truth file"):
        read_truth(tmp_path / "missing.parquet")
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "other.parquet")
    with pytest.raises(TruthError, match="not a truth file"):
        read_truth(tmp_path / "other.parquet")


def test_remove_generated_keeps_user_files(tmp_path):
    write_world(WorldSpec(guests=100, seed=1, dirty_rate=0.0), tmp_path)
    mine = tmp_path / "stays" / "my_export.csv"
    mine.write_text("guest_id,check_in_date,total_revenue\n")
    removed = remove_generated(tmp_path)
    assert len(removed) == len(CONTRACTS)
    assert mine.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"guests": 0}, "--guests"),
        ({"end": dt.date(2021, 1, 15)}, "--end"),
        ({"dirty_rate": 0.5}, "--dirty-rate"),
        ({"file_format": "xlsx"}, "--format"),
        ({"acquisition_growth": -0.5}, "acquisition growth"),
        ({"shock_start": dt.date(2023, 1, 1)}, "a shock needs"),
        (
            {"shock_start": dt.date(2023, 1, 1), "shock_end": dt.date(2022, 1, 1)},
            "a shock needs",
        ),
        ({"shock_trip_factors": (0.5, 0.5)}, "one per purpose"),
        ({"shock_trip_factors": (1.5, 1, 1, 1)}, "within 0..1"),
    ],
)
def test_bad_specs_are_refused(change, message):
    with pytest.raises(WorldSpecError, match=message):
        generate_world(WorldSpec(**change))


def test_dirty_rate_injects_every_kind_of_wart():
    world = generate_world(WorldSpec(guests=1_500, seed=8, dirty_rate=0.02))
    stays = world.frames["stays"]
    assert stays.schema["total_revenue"] == pl.Utf8
    assert stays.schema["nights"] == pl.Int32  # columns without warts keep their type
    assert stays.filter(pl.col("total_revenue").str.starts_with("-")).height > 0
    assert stays.filter(pl.col("total_revenue").str.strip_chars() == "").height > 0
    assert stays.filter(pl.col("fnb_revenue").is_in(["NULL", "NA", "null", "N/A"])).height > 0
    parsed = stays["check_in_date"].str.to_date("%Y-%m-%d", strict=False)
    assert parsed.null_count() > 0
    assert stays.is_duplicated().sum() > 0
    bookings = world.frames["bookings"]
    assert bookings.filter(pl.col("amount").str.starts_with("-")).height > 0


def test_zero_dirty_rate_keeps_types():
    frame = pl.DataFrame({"guest_id": ["G1"], "check_in_date": [dt.date(2024, 1, 2)]})
    import numpy as np

    assert inject(np.random.default_rng(0), "stays", frame, 0.0).equals(frame)
    assert as_text(frame)["check_in_date"].to_list() == ["2024-01-02"]


def _returns_within_a_year(world) -> pl.DataFrame:
    """Each stay at least a year before the end: did the guest come back within 365 days?"""
    stays = world.frames["stays"].sort("guest_id", "check_in_date")
    return (
        stays.with_columns(next_stay=pl.col("check_in_date").shift(-1).over("guest_id"))
        .filter(pl.col("check_in_date") <= END - dt.timedelta(days=365))
        .with_columns(
            returned=pl.col("next_stay").is_not_null()
            & (pl.col("next_stay") <= pl.col("check_in_date") + pl.duration(days=365))
        )
    )


def test_a_service_failure_makes_a_return_less_likely(world):
    returns = _returns_within_a_year(world)
    repeat = returns.filter(pl.col("guest_id").is_duplicated())
    rate = repeat.group_by("had_service_failure").agg(pl.col("returned").mean())
    by = dict(rate.rows())
    assert by[True] < by[False] - 0.05


def test_loyalty_members_return_more_often(world):
    returns = _returns_within_a_year(world).join(
        world.frames["guests"].select("guest_id", "loyalty_member"), on="guest_id"
    )
    by = dict(returns.group_by("loyalty_member").agg(pl.col("returned").mean()).rows())
    assert by[True] > by[False]


def test_a_guest_is_in_one_room_at_a_time(world):
    overlapping = (
        world.frames["stays"]
        .sort("guest_id", "check_in_date")
        .with_columns(previous_out=pl.col("check_out_date").shift(1).over("guest_id"))
        .filter(pl.col("check_in_date") < pl.col("previous_out"))
    )
    assert overlapping.height == 0


def _yearly(frame: pl.DataFrame, column: str) -> dict[int, int]:
    counts = frame.group_by(pl.col(column).dt.year().alias("year")).len()
    return dict(counts.iter_rows())


def test_the_changing_world_grows_and_has_a_shock():
    spec = WorldSpec(guests=6_000, seed=3, dirty_rate=0.0)
    steady, moving = generate_world(spec), generate_world(changing(spec))
    primary = moving.truth.filter(pl.col("is_primary_profile"))
    acquired = _yearly(primary, "acquired_date")
    assert acquired[2025] > 1.5 * acquired[2024] > 1.5 * acquired[2022] > acquired[2021]
    flat = _yearly(steady.truth.filter(pl.col("is_primary_profile")), "acquired_date")
    assert max(flat.values()) < 1.2 * min(flat.values())

    # business travel collapses in the shock (2023-07-01 .. 2024-06-30), leisure far less
    def stays_per_day(world, purpose, start, end):
        who = world.truth.filter(pl.col("purpose") == purpose).select("guest_id")
        stays = world.frames["stays"].join(who, on="guest_id")
        inside = stays.filter(pl.col("check_in_date").is_between(start, end)).height
        return inside / (end - start).days

    shock = (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    before = (dt.date(2022, 7, 1), dt.date(2023, 6, 30))
    business = stays_per_day(moving, "business", *shock) / stays_per_day(
        moving, "business", *before
    )
    leisure = stays_per_day(moving, "leisure", *shock) / stays_per_day(moving, "leisure", *before)
    assert business < 0.6 < leisure  # with acquisition growth on top of the factor
    factors = dict(zip(P.PURPOSES, CHANGING_SHOCK_FACTORS, strict=True))
    truth = moving.truth.unique("purpose").select("purpose", "shock_trip_factor")
    assert dict(truth.iter_rows()) == factors


def test_the_stationary_world_has_no_shock_in_its_truth():
    world = generate_world(WorldSpec(guests=300, seed=2, dirty_rate=0.0))
    assert world.truth["shock_start"].is_null().all()
    assert (world.truth["shock_trip_factor"] == 1.0).all()


def test_campaigns_change_only_the_guests_they_touch(monkeypatch):
    import guestloyalty.synth.world as world_module

    spec = WorldSpec(guests=1_500, seed=11, dirty_rate=0.0)
    touched = generate_world(spec)
    monkeypatch.setattr(world_module, "plan_campaigns", lambda *args: [])
    untouched = generate_world(spec)
    assert untouched.frames["campaign_members"].height == 0
    assert touched.frames["campaign_members"].height > 0
    stays_with, stays_without = touched.frames["stays"], untouched.frames["stays"]
    added = stays_with.join(stays_without, on="stay_id", how="anti")
    removed = stays_without.join(stays_with, on="stay_id", how="anti")
    # the offers' extra stays carry their own ids; the only stays gone are the deterred's,
    # whose dropout the truth moved to the campaign's day
    assert added.height > 0 and added["stay_id"].str.starts_with("SC").all()
    moved = (
        touched.truth.select("guest_id", "dropout_date")
        .join(untouched.truth.select("guest_id", "dropout_date"), on="guest_id", suffix="_was")
        .filter(pl.col("dropout_date") != pl.col("dropout_date_was").fill_null(dt.date(9999, 1, 1)))
    )
    assert set(removed["guest_id"]) <= set(moved["guest_id"])
    kept = stays_with.filter(~pl.col("stay_id").str.starts_with("SC"))
    assert kept.equals(stays_without.filter(pl.col("stay_id").is_in(kept["stay_id"].implode())))
