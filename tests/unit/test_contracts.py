from pathlib import Path

import pytest
import yaml

from guestloyalty.contracts import CONTRACTS, ENTITIES, Stay, contract_for
from guestloyalty.errors import UnknownEntityError

SOURCES = Path(__file__).parents[2] / "dbt_project" / "models" / "staging" / "_bronze__sources.yml"


def test_stays_alone_need_only_guest_date_and_revenue():
    assert Stay.required_columns() == ["guest_id", "check_in_date", "total_revenue"]


def test_enum_columns_list_their_values():
    assert "ota" in CONTRACTS["bookings"].allowed_values()["channel"]
    assert CONTRACTS["bookings"].allowed_values()["status"] == (
        "confirmed",
        "cancelled",
        "no_show",
        "checked_out",
    )


def test_unknown_entity_names_the_known_ones():
    with pytest.raises(UnknownEntityError, match="stays"):
        contract_for("stay")


def test_dbt_sources_match_contracts():
    doc = yaml.safe_load(SOURCES.read_text())
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in doc["sources"][0]["tables"]}
    assert set(tables) == set(ENTITIES)
    for entity, contract in CONTRACTS.items():
        assert tables[entity] == contract.columns(), entity
