import os

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
# xgboost's OpenMP threads busy-wait by default; on a shared or oversubscribed machine that
# makes a 2-second fit take a minute. Passive waiting keeps results identical and runs fast.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False, help="also run the slow soak tests"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak") or os.environ.get("GUESTLOYALTY_SOAK") == "1":
        return
    skip = pytest.mark.skip(reason="soak test: run with `make soak` (pytest --soak)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
