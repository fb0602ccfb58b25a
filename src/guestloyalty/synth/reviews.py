"""Post-stay reviews (NPS, rating, text) and stated preferences.

A review's scores come from the stay's experience (service failure, resolution, upgrade and
the guest's own disposition); guests who had a failure review more often. Text is short and
says what happened. Preferences are stated by engaged, repeat guests.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from guestloyalty.synth.guests import People

SOURCES = ("post_stay_survey", "google", "tripadvisor", "booking.com")
PRAISE = (
    "Lovely stay, friendly staff.",
    "Great breakfast and a comfortable bed.",
    "Perfect location, will be back.",
    "Spotless room and a warm welcome.",
    "Excellent service from start to finish.",
)
NEUTRAL = (
    "Fine for a short stay.",
    "Good location, room a bit small.",
    "Decent value, nothing special.",
    "Breakfast could be better.",
)
COMPLAINT_RESOLVED = "Had a problem ({issue}) but the front desk fixed it quickly."
COMPLAINT_UNRESOLVED = "{issue}; reported it and nothing was done."
FAILURE_SILENT = "Disappointing: {issue}."

PREFERENCES: dict[str, tuple[str, ...]] = {
    "room": ("twin", "double", "king", "accessible", "non_smoking"),
    "floor": ("high", "low", "any"),
    "pillow": ("feather", "foam", "hypoallergenic", "firm"),
    "dining": ("vegetarian", "vegan", "gluten_free", "halal", "no_preference"),
    "amenity": ("gym", "spa", "pool", "parking", "workspace", "kids_club"),
}


def review_text(
    rng: np.random.Generator,
    nps: np.ndarray,
    failure: np.ndarray,
    complained: np.ndarray,
    resolved: np.ndarray,
    issue: pl.Series,
) -> pl.Series:
    """One short text per review."""
    m = nps.size
    praise = pl.Series(PRAISE).gather(rng.integers(0, len(PRAISE), m))
    neutral = pl.Series(NEUTRAL).gather(rng.integers(0, len(NEUTRAL), m))
    frame = pl.DataFrame(
        {
            "nps": nps,
            "failure": failure,
            "complained": complained,
            "resolved": resolved,
            "issue": issue,
            "praise": praise,
            "neutral": neutral,
        }
    )
    issue_cap = pl.col("issue").str.slice(0, 1).str.to_uppercase() + pl.col("issue").str.slice(1)
    text = (
        pl.when(pl.col("resolved"))
        .then(
            pl.lit("Had a problem (") + pl.col("issue") + ") but the front desk fixed it quickly."
        )
        .when(pl.col("complained"))
        .then(issue_cap + "; reported it and nothing was done.")
        .when(pl.col("failure"))
        .then("Disappointing: " + pl.col("issue") + ".")
        .when(pl.col("nps") >= 9)
        .then(pl.col("praise"))
        .otherwise(pl.col("neutral"))
    )
    return frame.select(text.alias("review_text")).to_series()


def review_probability(people: People, who: np.ndarray, failure: np.ndarray) -> np.ndarray:
    return np.minimum(0.12 + 0.30 * people.engagement[who] + 0.25 * failure, 0.9)


def rating_from_nps(rng: np.random.Generator, nps: np.ndarray) -> np.ndarray:
    noisy = 1 + nps * 0.42 + rng.normal(0.0, 0.35, nps.size)
    return np.clip(np.round(noisy), 1, 5).astype(np.int8)


def review_source(rng: np.random.Generator, ota: np.ndarray) -> np.ndarray:
    """Index into SOURCES: OTA guests often review on the OTA."""
    u = rng.random(ota.size)
    public = np.where(u < 0.5, 1, 2)
    return np.where(ota & (u < 0.45), 3, np.where(u < 0.65, 0, public)).astype(np.int64)


def build_preferences(
    rng: np.random.Generator,
    people: People,
    *,
    stays_per_person: np.ndarray,
    last_stay_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """(person, type index, value index, day) for stated preferences."""
    out: dict[str, list[np.ndarray]] = {"person": [], "type": [], "value": [], "day": []}
    p_state = np.minimum(0.05 + 0.35 * people.engagement + 0.05 * stays_per_person, 0.85)
    has_stay = stays_per_person > 0
    for t, values in enumerate(PREFERENCES.values()):
        sel = np.flatnonzero(has_stay & (rng.random(len(people)) < p_state * 0.6))
        out["person"].append(sel)
        out["type"].append(np.full(sel.size, t))
        out["value"].append(rng.integers(0, len(values), sel.size))
        out["day"].append(last_stay_day[sel] - rng.uniform(0.0, 30.0, sel.size))
    return {key: np.concatenate(parts) for key, parts in out.items()}
