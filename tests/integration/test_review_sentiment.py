"""Review sentiment and topics on a whole run: coverage, ranges, what the words carry, point in
time, and where they feed (features, topics by property, service recovery)."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    yield con
    con.close()


def test_every_review_up_to_as_of_is_scored_once(small_run, gold):
    with duckdb.connect(str(small_run.layout.silver_path), read_only=True) as silver:
        as_of = silver.execute("select as_of_date from int_run_context").fetchone()[0]
        expected = silver.execute(
            "select count(*) from int_reviews_resolved where submitted_date <= ?", [as_of]
        ).fetchone()[0]
        later = silver.execute(
            "select count(*) from int_reviews_resolved where submitted_date > ?", [as_of]
        ).fetchone()[0]
    rows, distinct, after, out_of_range = gold.execute(
        "select count(*), count(distinct review_id), count(*) filter (submitted_date > ?), "
        "count(*) filter (sentiment < -1 or sentiment > 1) from review_sentiment",
        [as_of],
    ).fetchone()
    assert rows == distinct == expected > 0
    assert after == 0 and out_of_range == 0
    assert later >= 0  # reviews after as_of (if any) are simply not there
    methods = dict(
        gold.execute("select method, count(*) from review_sentiment group by 1").fetchall()
    )
    assert methods.get("tfidf_ridge", 0) > 0.9 * rows


def test_text_model_beats_chance_out_of_fold(small_run):
    details = small_run.report.details["transform"]
    # out-of-fold: each review scored by a model that never saw it
    assert details["text_model_oof_spearman"] >= 0.6
    assert details["method_tfidf_ridge"] == details["reviews_scored"] - details.get(
        "method_rating_only", 0
    ) - details.get("method_none", 0)


def test_failures_show_up_as_negative_topics(small_run, gold):
    """The synthetic text carries the stay's service failure: reviews of stays that had one
    name a negative topic far more often than the others."""
    reviews = gold.sql(
        "select stay_id, len(negative_topics) > 0 as has_negative from review_sentiment"
    ).pl()
    with duckdb.connect(str(small_run.layout.silver_path), read_only=True) as silver:
        stays = silver.sql(
            "select stay_id, bool_or(had_service_failure) as had_failure "
            "from int_stays_enriched group by stay_id"
        ).pl()
    joined = reviews.join(stays, on="stay_id")
    assert joined.height > 0.9 * reviews.height
    share = dict(joined.group_by("had_failure").agg(pl.col("has_negative").mean()).iter_rows())
    assert share[True] > share[False] + 0.2


def test_no_review_reaches_a_snapshot_before_it_was_written(gold):
    """avg_review_sentiment and unresolved_negative_topics at snapshot s use exactly the
    guest's reviews submitted before s (every snapshot row of every guest)."""
    mismatches, rows = gold.execute(
        """
        with expected as (
            select
                features.guest_id,
                features.snapshot_date,
                sum(round(reviews.sentiment * 1000)) / 1000.0
                    / nullif(count(reviews.sentiment), 0) as avg_review_sentiment,
                coalesce(sum(reviews.unresolved_negative_topics), 0) as negative_topics
            from guest_feature_snapshots as features
            left join review_sentiment as reviews
                on features.guest_id = reviews.guest_id
                and reviews.submitted_date < features.snapshot_date
            group by features.guest_id, features.snapshot_date
        )
        select
            count(*) filter (
                where features.avg_review_sentiment is distinct from expected.avg_review_sentiment
                    and not abs(features.avg_review_sentiment - expected.avg_review_sentiment)
                        < 1e-9
                or features.unresolved_negative_topics != expected.negative_topics
            ),
            count(*)
        from guest_feature_snapshots as features
        inner join expected
            on features.guest_id = expected.guest_id
            and features.snapshot_date = expected.snapshot_date
        """
    ).fetchone()
    assert rows > 0
    assert mismatches == 0
    with_sentiment = gold.execute(
        "select count(*) from guest_feature_snapshots where avg_review_sentiment is not null"
    ).fetchone()[0]
    assert with_sentiment > 0


def test_topics_by_property_reconcile_with_mentions(gold):
    mentions, negative, complaints = gold.execute(
        "select sum(mentions), sum(negative_mentions), sum(complaint_mentions) "
        "from review_topics_by_property"
    ).fetchone()
    expected = gold.execute(
        "select count(*) filter (mention_source = 'review'), "
        "count(*) filter (mention_source = 'review' and is_negative), "
        "count(*) filter (mention_source = 'complaint') from topic_mentions"
    ).fetchone()
    assert (mentions, negative, complaints) == expected
    assert complaints > 0 and mentions > negative > 0


def test_service_recovery_follows_a_recent_unresolved_negative_review(gold):
    stages = dict(
        gold.execute(
            "select journey_stage, count(*) from guest_contact_profile group by 1"
        ).fetchall()
    )
    assert stages.get("service_recovery", 0) > 0
    wrong = gold.execute(
        """
        select count(*)
        from guest_contact_profile as contact
        cross join run_context
        where contact.journey_stage = 'service_recovery'
            and not exists (
                select 1 from review_sentiment as reviews
                where reviews.guest_id = contact.guest_id
                    and reviews.sentiment_label = 'negative'
                    and not reviews.is_resolved
                    and reviews.submitted_date > run_context.as_of_date - 30
                    and reviews.submitted_date <= run_context.as_of_date
            )
        """
    ).fetchone()[0]
    assert wrong == 0
    rules = dict(
        gold.execute(
            "select rule_id, count(*) from next_best_action "
            "where journey_stage = 'service_recovery' group by 1"
        ).fetchall()
    )
    assert set(rules) == {"SR-01"}
