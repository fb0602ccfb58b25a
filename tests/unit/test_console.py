"""The console script reads a plain ``score-guest`` itself and hands the rest to typer."""

from __future__ import annotations

from pathlib import Path

import pytest

from guestloyalty.console import parse_score_guest


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["score-guest", "G1"], ("G1", Path("data"), None, False)),
        (["score-guest", "G1", "--data-dir", "/d", "--json"], ("G1", Path("/d"), None, True)),
        (["score-guest", "--data-dir=/d", "G1"], ("G1", Path("/d"), None, False)),
        (
            ["score-guest", "--source-system", "pms", "P-7"],
            ("P-7", Path("data"), "pms", False),
        ),
        (["score-guest", ""], ("", Path("data"), None, False)),
    ],
)
def test_plain_score_guest_is_read_without_typer(argv, expected, monkeypatch):
    monkeypatch.delenv("GUESTLOYALTY_DATA_DIR", raising=False)
    parsed = parse_score_guest(argv)
    assert parsed is not None
    assert (
        parsed["guest_id"],
        parsed["data_dir"],
        parsed["source_system"],
        parsed["as_json"],
    ) == expected


def test_the_data_dir_comes_from_the_environment_unless_given(monkeypatch):
    monkeypatch.setenv("GUESTLOYALTY_DATA_DIR", "/env")
    assert parse_score_guest(["score-guest", "G1"])["data_dir"] == Path("/env")
    assert parse_score_guest(["score-guest", "G1", "--data-dir", "/d"])["data_dir"] == Path("/d")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["pipeline"],
        ["--debug", "score-guest", "G1"],
        ["score-guest"],
        ["score-guest", "--help"],
        ["score-guest", "G1", "G2"],
        ["score-guest", "G1", "--data-dir"],
        ["score-guest", "G1", "--data-dir="],
        ["score-guest", "G1", "--data-dir", "--json"],
        ["score-guest", "G1", "--json", "--json"],
        ["score-guest", "G1", "--data-dir", "a", "--data-dir", "b"],
        ["score-guest", "G1", "--verbose"],
        ["score-guest", "--", "-G1"],
    ],
)
def test_anything_else_goes_to_the_typer_app(argv):
    assert parse_score_guest(argv) is None
