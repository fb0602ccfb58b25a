"""Exports no model can learn from still publish what needs no model.

- Hotel Booking Demand through its shipped mapping: reservations only, one guest per booking.
  Checked-out bookings are the stays; guest_360 and business_metrics publish, and business
  metrics per hotel and month match a plain SQL count over the CSV.
- A stays export in which no guest has a second stay: one class, no BTYD fit.

Both end ``partial``: scores absent with the reason, exit code 8.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from guestloyalty.cli import PARTIAL_EXIT_CODE, app
from guestloyalty.operations.status import collect_status, format_status
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
HBD = ROOT / "tests" / "fixtures" / "real" / "hotel_bookings_head2000.csv"
HBD_MAPPING = ROOT / "mappings" / "hotel_bookings.yaml"

#: The plain reading of the CSV: one booking per row, checked-out ones are stays.
HBD_BY_HOTEL_MONTH = """
with raw as (
    select
        case hotel when 'Resort Hotel' then 'HBD-RESORT' else 'HBD-CITY' end as property_id,
        strptime(arrival_date_year || '-' || arrival_date_month || '-'
            || arrival_date_day_of_month, '%Y-%B-%d')::date as arrival,
        reservation_status,
        adr * (stays_in_weekend_nights + stays_in_week_nights) as amount
    from read_csv(?, header = true, nullstr = ['NULL', 'NA'])
)
select
    property_id,
    date_trunc('month', arrival)::date as month_start,
    count(*) filter (where reservation_status = 'Check-Out') as stays,
    round(sum(amount) filter (where reservation_status = 'Check-Out'), 2) as revenue,
    count(*) as bookings,
    count(*) filter (where reservation_status = 'Canceled') as cancellations
from raw
where arrival <= ?
group by 1, 2
order by 1, 2
"""


def _invoke(*args: str):  # noqa: ANN202
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def hbd_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    data_dir = tmp_path_factory.mktemp("hbd") / "data"
    loaded = _invoke("ingest", str(HBD), "--mapping", str(HBD_MAPPING), "--data-dir", str(data_dir))
    assert loaded.exit_code == 0, loaded.output
    result = _invoke("pipeline", "--no-generate", "--data-dir", str(data_dir))
    return Layout(data_dir), result


def test_reservations_only_publishes_partial(hbd_run):
    layout, result = hbd_run
    assert result.exit_code == PARTIAL_EXIT_CODE, result.output
    assert "Traceback" not in result.output
    assert "scores   absent: cannot train" in result.output
    assert layout.gold_path.exists()
    status = collect_status(layout)
    assert status.last_run.status == "partial"
    assert "published without scores" in (status.last_run.message or "")
    assert any("PARTIAL" in line for line in format_status(status))


def test_checked_out_bookings_are_stays_with_lineage(hbd_run):
    layout, _ = hbd_run
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        origins = dict(
            con.execute("select stay_origin, count(*) from int_stays_unified group by 1").fetchall()
        )
        checked_out = con.execute(
            "select count(*) from stg_bronze__bookings where status = 'checked_out'"
        ).fetchone()[0]
        unlinked = con.execute(
            "select count(*) from int_stays_unified as stays left join stg_bronze__bookings "
            "as bookings on stays.booking_id = bookings.booking_id "
            "and stays._batch_id = bookings._batch_id where bookings.booking_id is null"
        ).fetchone()[0]
    assert origins == {"checked_out_booking": checked_out}
    assert checked_out > 0
    assert unlinked == 0


def test_guest_360_has_every_guest_and_no_scores(hbd_run):
    layout, _ = hbd_run
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        guests, with_stays, scored = con.execute(
            "select count(*), count(*) filter (where lifetime_stays > 0), "
            "count(churn_probability) from guest_360"
        ).fetchone()
        scores = con.execute("select count(*) from guest_scores").fetchone()[0]
    with open(HBD, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert guests == len(rows)  # one guest per booking: the mapping's choice
    assert with_stays == sum(row["reservation_status"] == "Check-Out" for row in rows)
    assert scored == 0
    assert scores == 0


def test_business_metrics_match_a_plain_count_over_the_csv(hbd_run):
    layout, _ = hbd_run
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        as_of = con.execute("select as_of_date from run_context").fetchone()[0]
        gold = con.execute(
            "select property_id, month_start, stays, round(revenue, 2), bookings, "
            "cast(round(cancellation_rate * bookings) as bigint) "
            "from business_metrics order by 1, 2"
        ).fetchall()
    with duckdb.connect() as con:
        expected = con.execute(HBD_BY_HOTEL_MONTH, [str(HBD), as_of]).fetchall()
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        quarantined = con.execute("select count(*) from quarantine").fetchone()[0]
    assert quarantined == 0  # the first 2,000 rows hold none of the file's bad values
    assert len(gold) > 0
    assert [row[:2] for row in gold] == [row[:2] for row in expected]
    for got, want in zip(gold, expected, strict=True):
        assert got[2] == want[2], got
        assert float(got[3]) == pytest.approx(float(want[3]), abs=0.01), got
        assert got[4:] == want[4:], got


def _one_stay_per_guest(path: Path, guests: int = 400) -> None:
    start = dt.date(2023, 1, 1)
    properties = ["LIS-CITY", "OPO-CITY", "ALG-RESORT", "MAD-CITY"]
    lines = ["stay_id,guest_id,property_id,room_type,check_in_date,check_out_date,total_revenue"]
    for n in range(guests):
        check_in = start + dt.timedelta(days=(n * 811) % 730)
        lines.append(
            f"S{n:05d},G{n:05d},{properties[n % 4]},STD,{check_in},"
            f"{check_in + dt.timedelta(days=1 + n % 4)},{100 + (n * 37) % 400}.00"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_one_stay_per_guest_publishes_guest_360_and_business_metrics(tmp_path):
    layout = Layout(tmp_path / "data")
    export = layout.landing_entity_dir("stays") / "one_stay_each.csv"
    _one_stay_per_guest(export)
    result = _invoke("pipeline", "--no-generate", "--data-dir", str(layout.data_dir))
    assert result.exit_code == PARTIAL_EXIT_CODE, result.output
    assert "scores   absent:" in result.output
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        as_of = con.execute("select as_of_date from run_context").fetchone()[0]
        guests, scored = con.execute(
            "select count(*), count(churn_probability) from guest_360"
        ).fetchone()
        stays, revenue = con.execute(
            "select sum(stays), sum(revenue) from business_metrics"
        ).fetchone()
    with duckdb.connect() as con:
        want_stays, want_revenue = con.execute(
            "select count(*), sum(total_revenue) from read_csv(?) where check_in_date <= ?",
            [str(export), as_of],
        ).fetchone()
    assert guests == 400
    assert scored == 0
    assert stays == want_stays
    assert float(revenue) == pytest.approx(float(want_revenue), abs=0.01)
