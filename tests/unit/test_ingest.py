"""Ingest: readers, entity resolution, idempotency, atomic batches, card numbers, status."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from guestloyalty.contracts import CONTRACTS, ENTITIES
from guestloyalty.errors import (
    CardNumberError,
    ConfigError,
    ContractError,
    IngestError,
    NoDataError,
    UnknownEntityError,
)
from guestloyalty.ingest import Mapping, ingest_paths, loader, raise_for_failures
from guestloyalty.ingest.checks import luhn_sql
from guestloyalty.operations.pipeline import stage_ingest
from guestloyalty.operations.status import collect_status
from guestloyalty.warehouse import Layout

STAYS_CSV = (
    "guest_id,check_in_date,total_revenue,nights\n"
    "G1,2024-01-05,120.50,2\n"
    "G2,2024-02-10,80.00,1\n"
    "G1,2024-03-15,200.00,3\n"
)


def _bronze(layout: Layout, sql: str) -> list[tuple]:
    with duckdb.connect(str(layout.bronze_path), read_only=True) as con:
        return con.sql(sql).fetchall()


def _landing_file(layout: Layout, entity: str, name: str, content: str | bytes) -> Path:
    folder = layout.landing_entity_dir(entity)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "data")


def _write_as(path: Path, fmt: str) -> Path:
    frame = pl.read_csv(STAYS_CSV.encode(), infer_schema=False)
    if fmt == "csv":
        path.write_text(STAYS_CSV)
    elif fmt == "tsv":
        path.write_text(STAYS_CSV.replace(",", "\t"))
    elif fmt == "csv.gz":
        path.write_bytes(gzip.compress(STAYS_CSV.encode()))
    elif fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in frame.to_dicts()))
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "csv.gz", "parquet", "jsonl"])
def test_every_format_lands_the_same_text_rows_in_file_order(layout, fmt):
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    path = _write_as(folder / f"stays.{fmt}", fmt)
    [result] = ingest_paths(layout)
    assert result.error is None and result.rows == 3
    rows = _bronze(
        layout,
        "select guest_id, check_in_date, total_revenue, nights, _row_number "
        "from stays order by _row_number",
    )
    assert rows == [
        ("G1", "2024-01-05", "120.50", "2", 1),
        ("G2", "2024-02-10", "80.00", "1", 2),
        ("G1", "2024-03-15", "200.00", "3", 3),
    ]
    assert _bronze(layout, "select distinct _source_file from stays") == [(str(path),)]


@pytest.mark.parametrize("extra_column", [None, "file_row_number"])
def test_parquet_rows_keep_their_file_position_across_row_groups(layout, extra_column):
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    count = 50_000
    frame = pl.DataFrame(
        {
            "guest_id": [f"G{i}" for i in range(count)],
            "check_in_date": ["2024-01-05"] * count,
            "total_revenue": [str(i) for i in range(count)],
        }
    )
    if extra_column:
        frame = frame.with_columns(pl.lit("x").alias(extra_column))
    frame.write_parquet(folder / "stays.parquet", row_group_size=7_000)
    [result] = ingest_paths(layout)
    assert result.error is None and result.rows == count
    [(rows, misplaced)] = _bronze(
        layout,
        "select count(*), count(*) filter (where guest_id <> 'G' || (_row_number - 1)) from stays",
    )
    assert (rows, misplaced) == (count, 0)


def test_every_entity_gets_a_bronze_table_from_its_contract(layout):
    _landing_file(layout, "stays", "s.csv", STAYS_CSV)
    ingest_paths(layout)
    for entity in ENTITIES:
        columns = [
            row[0]
            for row in _bronze(
                layout,
                "select column_name from information_schema.columns "
                f"where table_name = '{entity}' order by ordinal_position",
            )
        ]
        assert columns == [*CONTRACTS[entity].columns(), *loader.METADATA_COLUMNS]


def test_the_same_file_twice_is_a_no_op_that_says_so(layout):
    _landing_file(layout, "stays", "s.csv", STAYS_CSV)
    [first] = ingest_paths(layout)
    [second] = ingest_paths(layout)
    assert not first.skipped and second.skipped
    assert second.batch_id == first.batch_id
    assert "already loaded" in second.message and "nothing to do" in second.message
    assert _bronze(layout, "select count(*) from stays") == [(3,)]


def test_a_changed_file_under_the_same_name_is_a_new_batch(layout):
    path = _landing_file(layout, "stays", "s.csv", STAYS_CSV)
    [first] = ingest_paths(layout)
    path.write_text(STAYS_CSV + "G3,2024-04-01,50.00,1\n")
    [second] = ingest_paths(layout)
    assert second.batch_id != first.batch_id and second.rows == 4
    assert _bronze(layout, "select _batch_id, count(*) from stays group by 1 order by 2") == [
        (first.batch_id, 3),
        (second.batch_id, 4),
    ]


def test_a_crash_inside_the_transaction_leaves_no_partial_batch(layout, monkeypatch):
    _landing_file(layout, "stays", "s.csv", STAYS_CSV)

    def crash(con, entity, batch_id):
        assert con.sql(f"select count(*) from {entity}").fetchall() == [(3,)]
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_before_commit", crash)
    [result] = ingest_paths(layout)
    assert isinstance(result.error, IngestError) and "disk full" in str(result.error)
    assert _bronze(layout, "select count(*) from stays") == [(0,)]
    assert _bronze(layout, "select count(*) from _load_manifest") == [(0,)]

    monkeypatch.undo()
    [retry] = ingest_paths(layout)
    assert retry.error is None and retry.rows == 3


def test_a_bad_file_does_not_stop_the_good_ones(layout):
    _landing_file(layout, "stays", "a_bad.csv", "guest_id,check_in_date\nG1,2024-01-01\n")
    _landing_file(layout, "stays", "b_good.csv", STAYS_CSV)
    results = ingest_paths(layout)
    assert [r.failed for r in results] == [True, False]
    assert isinstance(results[0].error, ContractError)
    assert "total_revenue" in str(results[0].error)
    with pytest.raises(ContractError, match="a_bad.csv"):
        raise_for_failures(results)


def test_entity_comes_from_the_landing_folder_or_the_option(layout, tmp_path):
    elsewhere = tmp_path / "exports" / "export.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text(STAYS_CSV)
    [unknown] = ingest_paths(layout, [elsewhere])
    assert isinstance(unknown.error, UnknownEntityError)
    assert "--entity" in str(unknown.error)
    [loaded] = ingest_paths(layout, [elsewhere], entity="stays")
    assert loaded.entity == "stays" and loaded.rows == 3


def test_unknown_entity_option_names_the_known_ones(layout, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(STAYS_CSV)
    [result] = ingest_paths(layout, [path], entity="stay")
    assert "known entities: guests, bookings, stays" in str(result.error)


def test_entity_option_must_agree_with_the_mapping(layout, tmp_path):
    mapping = Mapping(
        entity="stays",
        columns={"guest_id": "guest_id", "check_in_date": "d", "total_revenue": "r"},
    )
    with pytest.raises(ConfigError, match="contradicts"):
        ingest_paths(layout, [tmp_path], entity="guests", mapping=mapping)


def test_a_folder_without_data_files_is_refused(layout, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("nothing here")
    with pytest.raises(NoDataError, match="no data files"):
        ingest_paths(layout, [tmp_path / "empty"])


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("5500000000000004", True),
        ("4012888888881881", True),
        ("378282246310005", True),
        ("4111111111111112", False),
        ("1234567890123", False),
    ],
)
def test_luhn_check(number, valid):
    assert duckdb.sql(f"select {luhn_sql(repr(number))}").fetchall()[0][0] is valid


def test_ids_that_only_sometimes_pass_luhn_are_not_card_numbers(layout):
    ids = "\n".join(
        f"{4000000000000000 + i * 7919},2024-01-01,10.00" for i in range(200)
    )  # about one in ten of these passes the Luhn check by chance
    _landing_file(layout, "stays", "s.csv", "guest_id,check_in_date,total_revenue\n" + ids)
    [result] = ingest_paths(layout)
    assert result.error is None and result.rows == 200


def test_a_card_number_deep_in_a_file_never_lands(layout, monkeypatch):
    """Unused columns are sampled; the columns that land are checked on every row."""
    monkeypatch.setattr("guestloyalty.ingest.checks.CARD_SAMPLE_ROWS", 5)
    rows = [f"G{i},2024-01-01,10.00,ok" for i in range(20)]
    rows.append("G99,2024-01-01,10.00,4111 1111 1111 1111")
    _landing_file(
        layout,
        "special_requests",
        "r.csv",
        "booking_id,request_type,request_text\n"
        + "\n".join(f"B{i},crib,{row.split(',')[-1]}" for i, row in enumerate(rows)),
    )
    [result] = ingest_paths(layout)
    assert isinstance(result.error, CardNumberError)
    assert "request_text" in str(result.error) and "mapped into bronze" in str(result.error)
    assert _bronze(layout, "select count(*) from special_requests") == [(0,)]


def test_card_numbers_in_a_parquet_integer_column_never_land(layout):
    """Date, time, boolean and float columns skip the scan; integer columns do not."""
    folder = layout.landing_entity_dir("stays")
    folder.mkdir(parents=True)
    pl.DataFrame(
        {
            "guest_id": [4111111111111111, 5500000000000004, 4012888888881881],
            "check_in_date": [dt.date(2024, 1, 5)] * 3,
            "total_revenue": [120.5, 80.0, 200.0],
        }
    ).write_parquet(folder / "stays.parquet")
    [result] = ingest_paths(layout)
    assert isinstance(result.error, CardNumberError) and "guest_id" in str(result.error)
    assert _bronze(layout, "select count(*) from stays") == [(0,)]


def test_masked_card_numbers_keep_only_the_last_four_digits(layout, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "guest_id,check_in_date,total_revenue,card\nG1,2024-01-01,10.00,4111-1111-1111-1111\n"
    )
    mapping = Mapping(
        entity="stays",
        mask=["card"],
        columns={
            "guest_id": "guest_id",
            "check_in_date": "check_in_date",
            "total_revenue": "total_revenue",
            "room_type": "card",
        },
    )
    [result] = ingest_paths(layout, [path], mapping=mapping)
    assert result.error is None
    assert _bronze(layout, "select room_type from stays") == [("************1111",)]


def test_pipeline_ingest_fails_on_a_refused_file_after_loading_the_others(layout):
    _landing_file(layout, "stays", "a_bad.csv", "")
    _landing_file(layout, "stays", "b_good.csv", STAYS_CSV)
    with pytest.raises(IngestError, match="file is empty"):
        stage_ingest(layout)
    assert _bronze(layout, "select count(*) from stays") == [(3,)]


def test_pipeline_ingest_with_empty_landing_uses_bronze(layout, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(STAYS_CSV)
    ingest_paths(layout, [path], entity="stays")
    assert "note" in stage_ingest(layout)


def test_status_counts_bronze_rows_per_entity_and_batch(layout):
    _landing_file(layout, "stays", "s.csv", STAYS_CSV)
    _landing_file(layout, "guests", "g.csv", "guest_id\nG1\nG2\n")
    ingest_paths(layout)
    status = collect_status(layout)
    by_entity = {e.entity: e for e in status.entities}
    assert set(by_entity) == set(ENTITIES)
    assert by_entity["stays"].bronze_rows == 3
    assert [b.bronze_rows for b in by_entity["guests"].batches] == [2]
    assert by_entity["stays"].silver_rows is None  # no silver yet
    assert any("transform" in note for note in status.notes)
    assert status.as_dict()["entities"][2]["batches"][0]["source_file"].endswith("s.csv")


def test_columns_outside_the_contract_are_kept_as_received_in_extra(layout):
    _landing_file(
        layout,
        "stays",
        "s.csv",
        "guest_id,check_in_date,total_revenue,loyalty_card\nG1,2024-01-01,9,X7\n",
    )
    ingest_paths(layout)
    [(extra,)] = _bronze(layout, "select _extra from stays")
    assert json.loads(extra) == {"loyalty_card": "X7"}


def test_a_card_number_in_an_extra_column_past_the_sample_is_refused(layout, monkeypatch):
    monkeypatch.setattr("guestloyalty.ingest.checks.CARD_SAMPLE_ROWS", 5)
    rows = "".join(f"G{i},2024-01-01,10.00,\n" for i in range(20))
    _landing_file(
        layout,
        "stays",
        "s.csv",
        "guest_id,check_in_date,total_revenue,note\n"
        + rows
        + "G99,2024-01-01,1,4111111111111111\n",
    )
    [result] = ingest_paths(layout)
    assert isinstance(result.error, CardNumberError) and "note" in str(result.error)
    assert _bronze(layout, "select count(*) from stays") == [(0,)]
