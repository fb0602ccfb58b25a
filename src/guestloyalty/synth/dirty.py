"""The warts real exports have, injected at ``dirty_rate`` (0 turns them off).

Literal ``NULL``/``NA`` strings in optional columns, blank required fields, malformed dates,
negative amounts and exact duplicate rows. Columns that get warts are written as text (dates
as ``YYYY-MM-DD``, timestamps as ``YYYY-MM-DD HH:MM:SS``) because the warts are text; the
other columns keep their types. Staging quarantines the rows that break a rule and reads
``NULL``/``NA`` as null.
"""

from __future__ import annotations

import numpy as np
import polars as pl

NULL_WORDS = ("NULL", "NA", "null", "N/A", "")
BAD_DATES = ("2024-02-30", "31/12/2024", "not a date", "2023-13-01", "0000-00-00")

#: entity -> (optional columns for NULL words, required columns to blank, date columns to
#: break, amount columns to negate)
PLAN: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "guests": (("country", "city", "language", "phone"), ("guest_id",), ("birth_date",), ()),
    "bookings": (
        ("children", "rate_plan", "purpose"),
        ("guest_id",),
        ("arrival_date", "departure_date"),
        ("amount",),
    ),
    "stays": (
        ("fnb_revenue", "spa_revenue", "room_type"),
        ("total_revenue",),
        ("check_in_date",),
        ("total_revenue",),
    ),
    "engagement_events": (("campaign_id",), ("guest_id",), (), ()),
    "loyalty_transactions": (("reward", "tier"), ("guest_id",), (), ()),
    "reviews": (("review_text", "source"), ("guest_id",), ("submitted_at",), ()),
    "preferences": (("updated_at",), (), (), ()),
    "special_requests": (("request_text",), ("booking_id",), (), ()),
}


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, the way an export would spell it."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            exprs.append(col.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.dt.strftime("%Y-%m-%d %H:%M:%S"))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")))
        else:
            exprs.append(col.cast(pl.Utf8))
    return frame.select([e.alias(n) for e, n in zip(exprs, frame.columns, strict=True)])


def inject(rng: np.random.Generator, entity: str, frame: pl.DataFrame, rate: float) -> pl.DataFrame:
    """Return ``frame`` as text with warts in about ``rate`` of its rows per kind of wart."""
    if rate <= 0 or frame.height == 0:
        return frame
    nullable, required, dates, amounts = PLAN.get(entity, ((), (), (), ()))
    touched = [
        c for c in dict.fromkeys((*nullable, *required, *dates, *amounts)) if c in frame.columns
    ]
    text = frame.with_columns(as_text(frame.select(touched))) if touched else frame
    n = text.height
    for columns, kind in (
        (nullable, "null"),
        (required, "blank"),
        (dates, "date"),
        (amounts, "negative"),
    ):
        for name in columns:
            if name not in text.columns:
                continue
            share = rate * (3.0 if kind == "null" else 1.0)
            rows = np.flatnonzero(rng.random(n) < share)
            if rows.size == 0:
                continue
            column = text[name]
            if kind == "null":
                value = pl.Series(NULL_WORDS).gather(rng.integers(0, len(NULL_WORDS), rows.size))
            elif kind == "blank":
                value = pl.Series(["", "  "]).gather(rng.integers(0, 2, rows.size))
            elif kind == "date":
                value = pl.Series(BAD_DATES).gather(rng.integers(0, len(BAD_DATES), rows.size))
            else:
                value = "-" + column.gather(rows).fill_null("1")
            text = text.with_columns(column.scatter(rows, value))
    duplicates = np.flatnonzero(rng.random(n) < rate)
    if duplicates.size:
        # Each duplicate right after its original, as an export would repeat a row.
        rows = np.sort(np.concatenate([np.arange(n), duplicates]), kind="stable")
        text = text[rows]
    return text
