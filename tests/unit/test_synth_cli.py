"""`guestloyalty generate` from the command line."""

from __future__ import annotations

import datetime as dt

import polars as pl
from typer.testing import CliRunner

from guestloyalty.cli import app

runner = CliRunner()


def test_generate_writes_every_entity_and_the_truth(tmp_path):
    result = runner.invoke(
        app,
        [
            "generate", "--data-dir", str(tmp_path), "--guests", "300", "--seed", "5",
            "--dirty-rate", "0", "--format", "csv", "--end", "2024-06-30",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    landing = tmp_path / "bronze" / "landing"
    assert sorted(p.name for p in landing.iterdir()) == sorted(
        [
            "bookings", "campaign_members", "engagement_events", "guests",
            "loyalty_transactions", "preferences", "reviews", "special_requests", "stays",
        ]
    )  # fmt: skip
    stays = pl.read_csv(next((landing / "stays").glob("*.csv")))
    assert stays["check_in_date"].max() <= "2024-06-30"
    assert (tmp_path / "truth" / "truth.parquet").exists()
    assert "truth" in result.output


def test_generate_writes_the_truth_where_asked(tmp_path):
    truth = tmp_path / "elsewhere" / "t.parquet"
    result = runner.invoke(
        app,
        ["generate", "--data-dir", str(tmp_path / "d"), "--guests", "50", "--truth", str(truth)],
    )
    assert result.exit_code == 0, result.output
    assert truth.exists()
    assert not (tmp_path / "d" / "truth").exists()


def test_generate_refuses_an_unknown_format_in_one_line(tmp_path):
    result = runner.invoke(
        app, ["generate", "--data-dir", str(tmp_path), "--guests", "10", "--format", "xlsx"]
    )
    assert result.exit_code != 0
    assert "--format must be parquet or csv" in result.output
    assert "Traceback" not in result.output


def test_generate_refuses_an_end_before_the_start(tmp_path):
    result = runner.invoke(
        app,
        ["generate", "--data-dir", str(tmp_path), "--start", "2024-01-01", "--end", "2023-01-01"],
    )
    assert result.exit_code != 0
    assert "--end" in result.output


def test_generate_a_changing_world(tmp_path):
    result = runner.invoke(
        app,
        ["generate", "--data-dir", str(tmp_path), "--guests", "200", "--scenario", "changing"],
    )
    assert result.exit_code == 0, result.output
    truth = pl.read_parquet(tmp_path / "truth" / "truth.parquet")
    assert truth["shock_start"].unique().to_list() == [dt.date(2023, 7, 1)]
    assert truth["shock_trip_factor"].max() < 1.0


def test_generate_refuses_an_unknown_scenario(tmp_path):
    result = runner.invoke(
        app, ["generate", "--data-dir", str(tmp_path), "--guests", "20", "--scenario", "wild"]
    )
    assert result.exit_code != 0
    assert "--scenario must be stationary or changing" in result.output
