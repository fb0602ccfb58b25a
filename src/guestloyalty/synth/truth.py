"""The truth file: what the world knows and the warehouse never sees.

One row per profile (so identity resolution can be scored against ``person_id``) with the
person's latent parameters, when they started to disengage and dropped out (null: not by the
world's end), and the path of their dropout hazard: ``hazard_days`` are the days of their
stays while active and ``hazard_values`` the yearly hazard after each. Written as Parquet
outside landing/bronze; :func:`guestloyalty.synth.oracle.oracle_churn_probability` reads it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from guestloyalty.errors import GuestLoyaltyError

TRUTH_COLUMNS: tuple[str, ...] = (
    "guest_id",
    "source_system",
    "person_id",
    "is_primary_profile",
    "purpose",
    "is_one_off",
    "trip_rate_per_year",
    "honour_probability",
    "base_hazard_per_year",
    "engagement",
    "price_sensitivity",
    "value",
    "is_member",
    "acquired_date",
    "disengaged_date",
    "dropout_date",
    "world_end",
    "hazard_days",
    "hazard_values",
)
#: The world's shock (:mod:`guestloyalty.synth.change`), the same on every row; optional when
#: reading (a truth file written before them has no shock).
CHANGE_COLUMNS: tuple[str, ...] = ("shock_start", "shock_end", "shock_trip_factor")
#: What the person likes (property kind they mostly travel to, and their favourite property of
#: that kind), for judging recommendations; optional when reading, like the shock.
TASTE_COLUMNS: tuple[str, ...] = ("preferred_property_kind", "preferred_property_id")
#: The past campaigns (:mod:`guestloyalty.synth.campaigns`), per person (the same on each of
#: their profiles): the campaigns they were in, their group and both potential outcomes
#: (returned in the window without / with the offer), the days of the trips an offer made
#: them take (``campaign_stay_days``), and how they answer an offer at the
#: world's end (type, probabilities, return anyway, expected uplift). Optional when reading.
CAMPAIGN_COLUMNS: tuple[str, ...] = (
    "campaign_ids",
    "campaign_treated",
    "campaign_y0",
    "campaign_y1",
    "campaign_stay_days",
    "campaign_response",
    "persuade_probability",
    "deter_probability",
    "returns_after_end",
    "true_uplift_at_end",
)


class TruthError(GuestLoyaltyError):
    """The truth file is missing or not a truth file."""


def write_truth(frames: list[pl.DataFrame] | pl.DataFrame, path: Path) -> Path:
    """Write truth rows (one frame or chunks) to one Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = frames if isinstance(frames, pl.DataFrame) else pl.concat(frames)
    frame.write_parquet(path, statistics=False)
    return path


def read_truth(path: Path) -> pl.DataFrame:
    """Read a truth file written by ``generate``; checks its columns."""
    if not path.exists():
        raise TruthError(
            f"{path}: no truth file; run `guestloyalty generate --truth {path}` (or the "
            "pipeline with --generate) first"
        )
    frame = pl.read_parquet(path)
    missing = [c for c in TRUTH_COLUMNS if c not in frame.columns]
    if missing:
        raise TruthError(f"{path}: not a truth file (missing {', '.join(missing)})")
    return frame
