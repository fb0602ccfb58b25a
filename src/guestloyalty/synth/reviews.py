"""Post-stay reviews (NPS, rating, text) and stated preferences.

A review's scores come from the stay's experience (service failure, resolution, upgrade and
the guest's own disposition); guests who had a failure review more often. The text carries the
same stay in varied words: the mood of the NPS, aspects praised or blamed, the failure and how
it ended (see :func:`review_text`). Preferences are stated by engaged, repeat guests.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from guestloyalty.synth.guests import People

SOURCES = ("post_stay_survey", "google", "tripadvisor", "booking.com")

#: Openers and closers by mood (0 very unhappy .. 3 delighted); the mood follows the NPS.
OPENERS: tuple[tuple[str, ...], ...] = (
    (
        "Awful stay.",
        "Worst hotel we have stayed in.",
        "Very disappointed.",
        "Terrible experience from start to finish.",
        "Not worth the money.",
        "Never again.",
    ),
    (
        "Disappointing overall.",
        "Not what we expected.",
        "Below average for the price.",
        "A mixed stay, mostly let down.",
        "Could have been so much better.",
    ),
    (
        "Decent stay.",
        "Fine for a short stay.",
        "Good hotel, a few niggles.",
        "Pleasant enough.",
        "Solid choice overall.",
        "OK for a night or two.",
    ),
    (
        "Fantastic stay!",
        "Loved every minute.",
        "Excellent hotel.",
        "Wonderful experience.",
        "Absolutely perfect.",
        "Superb in every way.",
    ),
)
CLOSERS: tuple[tuple[str, ...], ...] = (
    ("Would not recommend.", "Avoid.", "We will not be back.", "Stay somewhere else."),
    ("Probably will not return.", "Expected better.", "Not sure we will come back.", ""),
    ("Might come back.", "Would stay again for the location.", "", "Reasonable value."),
    (
        "Will definitely be back!",
        "Highly recommend.",
        "Thank you to the whole team.",
        "Can't wait to return.",
    ),
)
#: topic -> (praise, blame): what a guest says about one aspect of the stay
ASPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "staff": (
        (
            "The staff were so friendly and helpful.",
            "Reception went out of their way for us.",
            "Lovely, welcoming staff.",
        ),
        ("Staff at reception were rude.", "The staff seemed not to care.", "Unhelpful front desk."),
    ),
    "room": (
        ("The room was spacious and comfortable.", "Really comfy bed.", "Great room with a view."),
        ("The room was tiny and tired.", "Uncomfortable bed.", "The room felt dated and worn."),
    ),
    "cleanliness": (
        ("Everything was spotless.", "Very clean room.", "Immaculate throughout."),
        (
            "The room was dirty.",
            "Stains on the carpet and dust everywhere.",
            "Hair in the bathroom, not clean.",
        ),
    ),
    "food": (
        (
            "Great breakfast with lots of choice.",
            "Delicious dinner in the restaurant.",
            "The breakfast buffet was excellent.",
        ),
        (
            "Breakfast was cold and overpriced.",
            "The restaurant food was bland.",
            "Poor breakfast choice.",
        ),
    ),
    "bathroom": (
        ("Lovely bathroom with a great shower.", "Powerful shower and fluffy towels."),
        (
            "The shower was weak and the bathroom tired.",
            "Mould in the bathroom.",
            "No hot water in the shower.",
        ),
    ),
    "location": (
        ("Perfect location, close to everything.", "Great location near the station."),
        ("The location is far from everything.", "Not a nice area at night."),
    ),
    "value": (
        ("Great value for money.", "Fair price for what you get."),
        ("Overpriced for what it is.", "Poor value for money."),
    ),
    "noise": (
        ("Quiet and peaceful at night.", "We slept really well, very quiet."),
        ("Very noisy room.", "Thin walls, we could hear everything."),
    ),
}
#: what went wrong (bookings.FAILURES) -> how a review tells it
FAILURE_PHRASES: dict[str, tuple[str, ...]] = {
    "room not ready at check-in": (
        "Our room was not ready at check-in",
        "We waited two hours at check-in for the room",
        "Check-in was a mess, the room was not ready",
    ),
    "air conditioning broken": (
        "The air conditioning was broken",
        "Air con did not work and the room was too hot",
        "The aircon in the room was faulty",
    ),
    "noise at night": (
        "Noise at night kept us awake",
        "Loud music until 3am, very noisy",
        "It was so noisy at night we barely slept",
    ),
    "room not cleaned": (
        "The room was not cleaned during our stay",
        "Housekeeping never cleaned the room",
        "Dirty room, nobody cleaned it",
    ),
    "billing error": (
        "There was a billing error on checkout",
        "We were overcharged on the bill",
        "They charged us twice",
    ),
    "slow room service": (
        "Room service was very slow",
        "Room service took over an hour",
        "Waited forever for room service food",
    ),
    "wifi down": (
        "The wifi was down",
        "The wifi did not work at all",
        "No internet connection in the room",
    ),
}
RESOLVED_ENDINGS = (
    " but the front desk fixed it quickly.",
    ", the manager apologised and sorted it out.",
    " but they moved us to another room straight away.",
    ", they apologised and refunded a night.",
)
UNRESOLVED_ENDINGS = (
    "; reported it and nothing was done.",
    ", we complained but nobody came.",
    ", reception did not care when we told them.",
    "; it was never fixed.",
)
SILENT_ENDINGS = (".", ", which was disappointing.", ". Not good enough.", "!")

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
    """One text per review whose words carry the stay: an opener and a closer in the mood of
    the NPS, one or two aspects praised or blamed as the mood goes (a mixed mood gets one of
    each), and what went wrong, in one of several wordings, with how it ended (fixed, ignored,
    never reported). Some guests write only a line."""
    m = nps.size
    # the two draws this function has always made, so the rest of the world stays as it was;
    # the text's own choices come from a generator seeded by them
    first = rng.integers(0, 5, m)
    second = rng.integers(0, 4, m)
    text_rng = np.random.default_rng([m, *first[:32].tolist(), *second[:32].tolist()])
    nps = np.asarray(nps)
    mood = np.select([nps <= 4, nps <= 6, nps <= 8], [0, 1, 2], 3) + np.round(
        text_rng.normal(0.0, 0.3, m)
    ).astype(int)
    mood = np.clip(mood, 0, 3)

    def pick(pools: tuple[tuple[str, ...], ...], which: np.ndarray) -> pl.Series:
        flat = [phrase for pool in pools for phrase in pool]
        offsets = np.cumsum([0] + [len(pool) for pool in pools])
        sizes = np.diff(offsets)
        index = offsets[which] + (text_rng.random(m) * sizes[which]).astype(int)
        return pl.Series(flat).gather(index)

    topics = list(ASPECTS)
    praise = tuple(ASPECTS[topic][0] for topic in topics)
    blame = tuple(ASPECTS[topic][1] for topic in topics)
    first_topic = text_rng.integers(0, len(topics), m)
    second_topic = (first_topic + text_rng.integers(1, len(topics), m)) % len(topics)
    # mood 3: two praises; 2: a praise and (often) a blame; 1: a blame and maybe a praise;
    # 0: two blames
    first_aspect = (
        pl.when(pl.Series(mood >= 2))
        .then(pick(praise, first_topic))
        .otherwise(pick(blame, first_topic))
    )
    second_is_praise = (mood == 3) | ((mood == 1) & (text_rng.random(m) < 0.4))
    second_is_blame = (mood == 0) | ((mood == 2) & (text_rng.random(m) < 0.6))
    second_aspect = (
        pl.when(pl.Series(second_is_praise))
        .then(pick(praise, second_topic))
        .when(pl.Series(second_is_blame))
        .then(pick(blame, second_topic))
    )
    issues = list(FAILURE_PHRASES)
    issue_index = issue.replace_strict(issues, list(range(len(issues))), default=0).to_numpy()
    told = pick(tuple(FAILURE_PHRASES[name] for name in issues), issue_index)
    ending_kind = np.where(resolved, 0, np.where(complained, 1, 2))
    ending = pick((RESOLVED_ENDINGS, UNRESOLVED_ENDINGS, SILENT_ENDINGS), ending_kind)
    short = text_rng.random(m) < 0.15  # a one-line review
    frame = pl.DataFrame(
        {
            "opener": pick(OPENERS, mood),
            "closer": pick(CLOSERS, mood),
            "failure": failure,
            "told": told,
            "ending": ending,
            "short": short,
        }
    ).with_columns(first_aspect.alias("first"), second_aspect.alias("second"))
    failure_text = pl.when(pl.col("failure")).then(pl.col("told") + pl.col("ending"))
    full = pl.concat_str(
        [pl.col("opener"), failure_text, pl.col("first"), pl.col("second"), pl.col("closer")],
        separator=" ",
        ignore_nulls=True,
    )
    brief = pl.coalesce(failure_text, pl.col("first"))
    text = pl.when(pl.col("short")).then(brief).otherwise(full).str.replace_all(r"\s+", " ")
    return frame.select(text.str.strip_chars().alias("review_text")).to_series()


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
