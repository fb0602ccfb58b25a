"""The sentiment stage: learn review sentiment from this data's own rated reviews, score every
review and logged complaint, and write the results into the gold build.

Runs between silver and the pre-scoring gold marts (see ``pipeline.stage_transform``): the
feature snapshots and the loyalty scorecard read what it writes. Reads silver (reviews with
their text, resolved guests, stays for the property, complaint requests) and, like every
stage, nothing dated after as_of. Writes into the gold build file:

- ``review_sentiment`` — one row per review submitted on or before as_of: sentiment in
  [-1, 1], its label, the topics it mentions and those it is negative about, whether the
  text says the problem was fixed, and the method that scored it;
- ``topic_mentions`` — one row per (review or logged complaint) x topic it mentions, with
  the guest, property, date, whether the mention is negative and whether it was resolved.

The text itself never reaches gold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from guestloyalty.config import Settings
from guestloyalty.models import sentiment
from guestloyalty.warehouse import Layout, connect

REVIEW_SENTIMENT_DDL = """
create or replace table review_sentiment (
    review_id varchar primary key,
    guest_id varchar not null,
    stay_id varchar,
    property_id varchar,
    review_source varchar,
    submitted_at timestamp not null,
    submitted_date date not null,
    sentiment double,
    sentiment_label varchar,
    topics varchar[] not null,
    negative_topics varchar[] not null,
    unresolved_negative_topics integer not null,
    is_resolved boolean not null,
    method varchar not null
)
"""

TOPIC_MENTIONS_DDL = """
create or replace table topic_mentions (
    mention_source varchar not null,
    source_id varchar not null,
    guest_id varchar,
    property_id varchar,
    mentioned_date date not null,
    topic varchar not null,
    is_negative boolean not null,
    is_resolved boolean not null
)
"""

_REVIEWS_SQL = """
with
context as (select as_of_date from silver.main.int_run_context),
stays as (
    select stay_id, any_value(property_id) as property_id
    from silver.main.int_stays_enriched
    group by stay_id
)
select
    resolved.review_id,
    resolved.guest_id,
    resolved.stay_id,
    stays.property_id,
    resolved.review_source,
    resolved.submitted_at,
    resolved.submitted_date,
    texts.review_text,
    resolved.nps,
    resolved.rating
from silver.main.int_reviews_resolved as resolved
inner join silver.main.stg_bronze__reviews as texts on resolved.review_id = texts.review_id
cross join context
left join stays on resolved.stay_id = stays.stay_id
where resolved.submitted_date <= context.as_of_date
order by resolved.review_id
"""

_COMPLAINTS_SQL = """
with
context as (select as_of_date from silver.main.int_run_context),
bookings as (
    select booking_id, any_value(property_id) as property_id
    from silver.main.int_bookings_enriched
    group by booking_id
)
select
    requests.request_id,
    requests.guest_id,
    bookings.property_id,
    requests.known_date,
    texts.request_text
from silver.main.int_special_requests_resolved as requests
inner join silver.main.stg_bronze__special_requests as texts
    on requests.request_id = texts.request_id
cross join context
left join bookings on requests.booking_id = bookings.booking_id
where requests.is_complaint
    and requests.known_date is not null
    and requests.known_date <= context.as_of_date
    and texts.request_text is not null
order by requests.request_id
"""


@dataclass
class SentimentResult:
    """What the stage did, for the run log."""

    reviews: int
    methods: dict[str, int] = field(default_factory=dict)
    mentions: int = 0
    complaint_mentions: int = 0
    model: dict[str, object] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {
            "reviews_scored": self.reviews,
            "topic_mentions": self.mentions,
            "complaint_topic_mentions": self.complaint_mentions,
        }
        out.update({f"method_{name}": count for name, count in sorted(self.methods.items())})
        out.update({f"text_model_{key}": value for key, value in self.model.items()})
        return out


def score_sentiment(layout: Layout, settings: Settings) -> SentimentResult:
    """Score every review and complaint up to as_of and write both tables into the build."""
    with connect(layout.gold_build_path) as con:
        con.execute(f"attach '{layout.silver_path}' as silver (read_only)")
        try:
            reviews = con.sql(_REVIEWS_SQL).pl()
            complaints = con.sql(_COMPLAINTS_SQL).pl()
        finally:
            con.execute("detach silver")

        scored = sentiment.score_reviews(
            reviews.select("review_id", "review_text", "nps", "rating"), seed=settings.seed
        )
        table = review_sentiment_table(reviews, scored)
        mentions = topic_mentions_table(reviews, scored, complaints)
        con.execute(REVIEW_SENTIMENT_DDL)
        con.execute(TOPIC_MENTIONS_DDL)
        _insert(con, "review_sentiment", table)
        _insert(con, "topic_mentions", mentions)

    methods = dict(table.group_by("method").len().iter_rows())
    return SentimentResult(
        reviews=table.height,
        methods=methods,
        mentions=mentions.filter(pl.col("mention_source") == "review").height,
        complaint_mentions=mentions.filter(pl.col("mention_source") == "complaint").height,
        model=scored.model.details() if scored.model is not None else {},
    )


def review_sentiment_table(reviews: pl.DataFrame, scored: sentiment.ScoredReviews) -> pl.DataFrame:
    """The ``review_sentiment`` rows: the review's keys beside its scores."""
    keys = reviews.select(
        "review_id",
        "guest_id",
        "stay_id",
        "property_id",
        "review_source",
        "submitted_at",
        "submitted_date",
    )
    return keys.join(scored.reviews, on="review_id", how="left").select(
        *keys.columns,
        # six decimals: parallel float sums may differ in the last bit between runs
        pl.col("sentiment").round(6),
        "sentiment_label",
        "topics",
        "negative_topics",
        pl.when(pl.col("is_resolved"))
        .then(0)
        .otherwise(pl.col("negative_topics").list.len())
        .cast(pl.Int32)
        .alias("unresolved_negative_topics"),
        "is_resolved",
        "method",
    )


def topic_mentions_table(
    reviews: pl.DataFrame, scored: sentiment.ScoredReviews, complaints: pl.DataFrame
) -> pl.DataFrame:
    """Review and complaint topic mentions in one long table."""
    from_reviews = (
        scored.mentions.join(
            reviews.select("review_id", "guest_id", "property_id", "submitted_date"),
            on="review_id",
        )
        .join(scored.reviews.select("review_id", "is_resolved"), on="review_id")
        .select(
            pl.lit("review").alias("mention_source"),
            pl.col("review_id").alias("source_id"),
            "guest_id",
            "property_id",
            pl.col("submitted_date").alias("mentioned_date"),
            "topic",
            "is_negative",
            "is_resolved",
        )
    )
    topics = sentiment.complaint_topics(complaints.select("request_id", "request_text"))
    from_complaints = topics.join(
        complaints.select("request_id", "guest_id", "property_id", "known_date"),
        on="request_id",
    ).select(
        pl.lit("complaint").alias("mention_source"),
        pl.col("request_id").alias("source_id"),
        "guest_id",
        "property_id",
        pl.col("known_date").alias("mentioned_date"),
        "topic",
        pl.lit(True).alias("is_negative"),
        "is_resolved",
    )
    return pl.concat([from_reviews, from_complaints], how="vertical_relaxed")


def _insert(con, name: str, frame: pl.DataFrame) -> None:  # noqa: ANN001
    arrow = frame.to_arrow()
    con.register("sentiment_arrow", arrow)
    try:
        con.execute(f"insert into {name} by name select * from sentiment_arrow")
    finally:
        con.unregister("sentiment_arrow")
