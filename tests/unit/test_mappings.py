"""Mappings: validation, and the two shipped mappings on slices of the real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from guestloyalty.errors import MappingError
from guestloyalty.ingest import ingest_paths, load_mapping
from guestloyalty.warehouse import Layout

ROOT = Path(__file__).parents[2]
MAPPINGS = ROOT / "mappings"
REAL = ROOT / "tests" / "fixtures" / "real"
HOTEL = REAL / "hotel_bookings_head2000.csv"
CDNOW = REAL / "cdnow_master_head2000.txt"


def _bronze(layout: Layout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_mappings_are_valid(path):
    mapping = load_mapping(path)
    assert mapping.origin == str(path)


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        ("entity: stay\ncolumns: {guest_id: a}\n", "unknown entity 'stay' (did you mean stays?)"),
        (
            "entity: stays\ncolumns: {guest_id: a, check_in_date: b, total_revenue: c, "
            "checkout: d}\n",
            "unknown stays column(s) checkout",
        ),
        (
            "entity: bookings\ncolumns: {booking_id: a, guest_id: b}\n",
            "not mapped: arrival_date, departure_date, status",
        ),
        ("entity: stays\nread: {format: xlsx}\ncolumns: {guest_id: a}\n", "read.format"),
        ("entity: stays\ncolums: {guest_id: a}\n", "colums"),
        ("- just\n- a list\n", "a mapping is a YAML object"),
    ],
)
def test_invalid_mappings_name_the_file_and_the_problem(tmp_path, yaml_text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).startswith(str(path))
    assert fragment in str(raised.value)


def test_a_dropped_column_cannot_be_used(tmp_path):
    data = tmp_path / "s.csv"
    data.write_text("g,d,r,card\nG1,2024-01-01,1,4111111111111111\n")
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        "entity: stays\ndrop: [card]\n"
        "columns: {guest_id: g, check_in_date: d, total_revenue: r, room_type: card}\n"
    )
    [result] = ingest_paths(Layout(tmp_path / "data"), [data], mapping=load_mapping(mapping_path))
    assert isinstance(result.error, MappingError)
    assert "columns.room_type" in str(result.error)


def test_date_format_keeps_unparseable_values_as_received(tmp_path):
    data = tmp_path / "s.csv"
    data.write_text("g,d,r\nG1,19970101,1\nG2,1997-13-45,2\n")
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        "entity: stays\nread: {date_format: '%Y%m%d'}\n"
        "columns: {guest_id: g, check_in_date: d, total_revenue: r}\n"
    )
    layout = Layout(tmp_path / "data")
    ingest_paths(layout, [data], mapping=load_mapping(mapping_path))
    assert _bronze(layout, "select check_in_date from stays order by _row_number") == [
        ("1997-01-01",),
        ("1997-13-45",),
    ]


@pytest.fixture(scope="module")
def hotel(tmp_path_factory) -> Layout:
    layout = Layout(tmp_path_factory.mktemp("hotel"))
    [result] = ingest_paths(layout, [HOTEL], mapping=load_mapping(MAPPINGS / "hotel_bookings.yaml"))
    assert result.error is None, result.error
    return layout


def test_hotel_bookings_every_row_lands_with_a_unique_derived_id(hotel):
    rows, ids, guests = _bronze(
        hotel, "select count(*), count(distinct booking_id), count(distinct guest_id) from bookings"
    )[0]
    assert rows == ids == guests == 2000


def test_hotel_bookings_dates_status_channel_and_amount(hotel):
    # row 3 of the file: Resort Hotel, 2015 July 1, 0 weekend + 1 week night, adr 75,
    # lead_time 7, Direct/Direct, Check-Out
    row = _bronze(
        hotel,
        "select property_id, arrival_date, departure_date, booked_at, status, channel, "
        "amount, currency, cancelled_at from bookings where _row_number = 3",
    )[0]
    assert row == (
        "HBD-RESORT",
        "2015-07-01",
        "2015-07-02",
        "2015-06-24",
        "checked_out",
        "direct_web",
        "75.0",
        "EUR",
        None,
    )
    statuses = dict(_bronze(hotel, "select status, count(*) from bookings group by 1"))
    assert set(statuses) <= {"checked_out", "cancelled", "no_show"}
    cancelled_without_date = _bronze(
        hotel, "select count(*) from bookings where status = 'cancelled' and cancelled_at is null"
    )[0][0]
    assert cancelled_without_date == 0
    channels = {row[0] for row in _bronze(hotel, "select distinct channel from bookings")}
    assert channels <= {"direct_web", "ota", "gds", "corporate", "group", None}


def test_hotel_departure_is_arrival_plus_nights(hotel):
    bad = _bronze(
        hotel,
        "select count(*) from bookings where cast(departure_date as date) "
        "< cast(arrival_date as date)",
    )[0][0]
    assert bad == 0


def test_cdnow_purchases_land_as_stays(tmp_path):
    layout = Layout(tmp_path)
    [result] = ingest_paths(layout, [CDNOW], mapping=load_mapping(MAPPINGS / "cdnow_stays.yaml"))
    assert result.error is None and result.rows == 2000
    first = _bronze(
        layout,
        "select stay_id, guest_id, check_in_date, total_revenue, currency, source_system "
        "from stays where _row_number = 1",
    )[0]
    assert first == ("00001-19970101-1", "00001", "1997-01-01", "11.77", "USD", "cdnow")
    dates, distinct_ids = _bronze(
        layout, "select count(cast(check_in_date as date)), count(distinct stay_id) from stays"
    )[0]
    assert dates == distinct_ids == 2000
    latest = _bronze(layout, "select max(cast(check_in_date as date)) from stays")[0][0]
    assert latest <= dt.date(1998, 6, 30)


def test_grocery_purchases_land_as_stays_worth_one_each(tmp_path):
    # groceryElog's shape (cust,date; no amounts). The real file stays out of the repo (see
    # /work/shared/data/README.md), so these rows are made up.
    data = tmp_path / "groceryElog.csv"
    data.write_text("cust,date\n1,2006-01-01\n2,2006-01-01\n2,2006-12-19\n2,2006-12-19\n")
    layout = Layout(tmp_path / "data")
    mapping = load_mapping(MAPPINGS / "grocery_stays.yaml")
    [result] = ingest_paths(layout, [data], mapping=mapping)
    assert result.error is None and result.rows == 4
    rows = _bronze(
        layout,
        "select stay_id, guest_id, check_in_date, total_revenue, currency, source_system "
        "from stays order by _row_number",
    )
    assert rows[0] == ("1-2006-01-01-1", "1", "2006-01-01", "1", "USD", "grocery_elog")
    assert {row[3] for row in rows} == {"1"}
    assert len({row[0] for row in rows}) == 4  # two purchases on one day stay two records


def test_a_mapping_in_a_landing_folder_applies_to_its_files(tmp_path):
    layout = Layout(tmp_path)
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    shutil.copy(CDNOW, folder / "cdnow.txt")
    shutil.copy(MAPPINGS / "cdnow_stays.yaml", folder / "mapping.yaml")
    [result] = ingest_paths(layout)
    assert result.error is None and result.rows == 2000
    assert _bronze(layout, "select count(*) from stays where source_system = 'cdnow'") == [(2000,)]


def test_a_file_without_header_is_read_with_column_names(tmp_path):
    data = tmp_path / "sample.txt"
    data.write_bytes(b"00001 0001 19970101 1 11.77\r\n00001 0001 19970118 2 17.97\r\n")
    mapping_path = tmp_path / "m.yaml"
    mapping_path.write_text(
        "entity: stays\nread:\n  format: whitespace\n  header: false\n"
        "  column_names: [master_id, sample_id, date, cds, dollars]\n"
        "  date_format: '%Y%m%d'\n"
        "columns: {guest_id: master_id, check_in_date: date, total_revenue: dollars}\n"
    )
    layout = Layout(tmp_path / "data")
    [result] = ingest_paths(layout, [data], mapping=load_mapping(mapping_path))
    assert result.error is None
    assert _bronze(layout, "select guest_id, check_in_date, total_revenue from stays") == [
        ("00001", "1997-01-01", "11.77"),
        ("00001", "1997-01-18", "17.97"),
    ]


def test_a_mapped_file_keeps_its_whole_row_in_extra(hotel):
    [(extra,)] = _bronze(hotel, "select _extra from bookings where _row_number = 3")
    row = json.loads(extra)
    assert len(row) == 32
    assert (row["hotel"], row["adr"], row["reservation_status"]) == (
        "Resort Hotel",
        "75",
        "Check-Out",
    )


def test_an_e_mail_tools_ab_export_lands_as_campaign_members(tmp_path):
    # made-up rows in the shape mappings/esp_campaign_members.yaml documents
    export = tmp_path / "recipients.csv"
    export.write_text(
        "Campaign ID,Campaign Name,Contact ID,Variant,Send Date,Offer,Cost\n"
        "SPRING-24,Spring win-back,G0000001,Test,2024-03-04 09:00,winback_rate,1.20\n"
        "SPRING-24,Spring win-back,G0000002,Holdout,2024-03-04 09:00,winback_rate,1.20\n"
        "SPRING-24,Spring win-back,G0000003,B,2024-03-04,winback_rate,1.20\n"
    )
    layout = Layout(tmp_path / "data")
    mapping = load_mapping(MAPPINGS / "esp_campaign_members.yaml")
    [result] = ingest_paths(layout, [export], mapping=mapping)
    assert result.error is None and result.rows == 3
    rows = _bronze(
        layout,
        "select guest_id, assigned_group, assigned_at, window_days, source_system "
        "from campaign_members order by _row_number",
    )
    assert rows == [
        ("G0000001", "treatment", "2024-03-04 09:00:00", "60", "crm"),
        ("G0000002", "control", "2024-03-04 09:00:00", "60", "crm"),
        # an unknown variant lands as received, for silver to quarantine
        ("G0000003", "B", "2024-03-04", "60", "crm"),
    ]
