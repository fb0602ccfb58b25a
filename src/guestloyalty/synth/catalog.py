"""The hotel group the world runs on: lookups read from the project's ``seeds/`` folder.

Properties, channels, room types, rate plans, seasons and loyalty tiers are business lookups
(dbt loads the same files as seeds into gold). Behavioural parameters of the simulation (how
often guests cancel, how long they book ahead) live in :mod:`guestloyalty.synth.params`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from guestloyalty.errors import GuestLoyaltyError

KINDS: tuple[str, ...] = ("city", "resort", "airport")


class SeedError(GuestLoyaltyError):
    """A lookup seed the synthetic world needs is missing or malformed."""


def seeds_dir() -> Path:
    """The seeds folder: $GUESTLOYALTY_SEEDS_DIR, else ``seeds/`` of this checkout."""
    override = os.environ.get("GUESTLOYALTY_SEEDS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "seeds"


@dataclass(frozen=True)
class Catalog:
    """Lookups as numpy arrays, indexed by small integer codes."""

    property_id: np.ndarray  # str, one per property
    property_kind: np.ndarray  # int code into KINDS
    property_rate: np.ndarray  # base nightly rate, EUR
    property_rooms: np.ndarray
    channels: np.ndarray  # str, contract order
    room_types: np.ndarray  # str
    room_multiplier: np.ndarray
    rate_plans: np.ndarray  # str
    plan_multiplier: np.ndarray
    plan_refundable: np.ndarray  # bool
    season_rate: np.ndarray  # [kind, month 0..11]
    weekend_rate: np.ndarray  # [kind]
    tiers: np.ndarray  # str, by rank (member first)
    tier_nights: np.ndarray  # qualifying nights per calendar year
    tier_points_per_eur: np.ndarray
    tier_upgrade_probability: np.ndarray

    def properties_of_kind(self, kind: int) -> np.ndarray:
        return np.flatnonzero(self.property_kind == kind)

    def channel_code(self, channel: str) -> int:
        return int(np.flatnonzero(self.channels == channel)[0])

    def plan_code(self, plan: str) -> int:
        return int(np.flatnonzero(self.rate_plans == plan)[0])

    def room_code(self, room: str) -> int:
        return int(np.flatnonzero(self.room_types == room)[0])


def _read(folder: Path, name: str, columns: list[str]) -> pl.DataFrame:
    path = folder / f"{name}.csv"
    if not path.exists():
        raise SeedError(f"{path}: seed missing; the synthetic world needs seeds/{name}.csv")
    frame = pl.read_csv(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SeedError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


@cache
def load_catalog(folder: Path | None = None) -> Catalog:
    """Read the seeds once per process."""
    folder = folder or seeds_dir()
    props = _read(folder, "properties", ["property_id", "property_kind", "rooms", "base_rate_eur"])
    if "in_synthetic_world" in props.columns:  # the seed also lists real data sets' hotels
        props = props.filter(
            pl.col("in_synthetic_world").cast(pl.Utf8).str.to_lowercase().eq("true")
        )
    kinds = props["property_kind"].to_list()
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise SeedError(f"{folder / 'properties.csv'}: unknown property_kind {unknown}")
    for kind in KINDS:
        if kind not in kinds:
            raise SeedError(f"{folder / 'properties.csv'}: needs at least one {kind} property")
    channels = _read(folder, "channels", ["channel"])
    rooms = _read(folder, "room_types", ["room_type", "rate_multiplier"])
    plans = _read(folder, "rate_plans", ["rate_plan", "price_multiplier", "is_refundable"])
    seasons = _read(
        folder, "seasons", ["property_kind", "month", "rate_index", "weekend_rate_index"]
    )
    tiers = _read(
        folder,
        "loyalty_tiers",
        ["tier", "tier_rank", "qualifying_nights", "points_per_eur", "upgrade_probability"],
    ).sort("tier_rank")
    season_rate = np.ones((len(KINDS), 12))
    weekend_rate = np.ones(len(KINDS))
    for row in seasons.iter_rows(named=True):
        k = KINDS.index(row["property_kind"])
        season_rate[k, int(row["month"]) - 1] = float(row["rate_index"])
        weekend_rate[k] = float(row["weekend_rate_index"])
    for required, frame, column in (
        (("STD", "SUP", "DLX", "FAM", "STE"), rooms, "room_type"),
        (("BAR", "BB", "ADV", "CORP", "GRP", "MEM"), plans, "rate_plan"),
    ):
        absent = sorted(set(required) - set(frame[column].to_list()))
        if absent:
            raise SeedError(f"{folder}: seed lacks {column} {absent} the world uses")
    return Catalog(
        property_id=props["property_id"].to_numpy().astype(str),
        property_kind=np.array([KINDS.index(k) for k in kinds], dtype=np.int8),
        property_rate=props["base_rate_eur"].to_numpy().astype(float),
        property_rooms=props["rooms"].to_numpy().astype(int),
        channels=channels["channel"].to_numpy().astype(str),
        room_types=rooms["room_type"].to_numpy().astype(str),
        room_multiplier=rooms["rate_multiplier"].to_numpy().astype(float),
        rate_plans=plans["rate_plan"].to_numpy().astype(str),
        plan_multiplier=plans["price_multiplier"].to_numpy().astype(float),
        plan_refundable=plans["is_refundable"]
        .cast(pl.Utf8)
        .str.to_lowercase()
        .eq("true")
        .to_numpy(),
        season_rate=season_rate,
        weekend_rate=weekend_rate,
        tiers=tiers["tier"].to_numpy().astype(str),
        tier_nights=tiers["qualifying_nights"].to_numpy().astype(float),
        tier_points_per_eur=tiers["points_per_eur"].to_numpy().astype(float),
        tier_upgrade_probability=tiers["upgrade_probability"].to_numpy().astype(float),
    )
