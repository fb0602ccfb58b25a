"""Gold and silver invariants on the small world: reconciliation, identity, no raw PII, marts."""

from __future__ import annotations

import json

import duckdb
import pytest

from guestloyalty.contracts import ENTITIES

pytestmark = pytest.mark.integration

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"

DBT_GOLD_TABLES = {
    "guest_360",
    "guest_feature_snapshots",
    "guest_identity_map",
    "guest_loyalty_scores",
    "guest_rfm",
    "business_metrics",
    "business_metrics_by_segment",
    "run_context",
}


@pytest.fixture(scope="module")
def gold(small_run):
    con = duckdb.connect(str(small_run.layout.gold_path), read_only=True)
    con.execute(f"attach '{small_run.layout.silver_path}' as silver (read_only)")
    con.execute(f"attach '{small_run.layout.bronze_path}' as bronze (read_only)")
    yield con
    con.close()


def _gold_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'main'"
        ).fetchall()
    ]


def test_every_bronze_row_is_in_silver_or_quarantine(gold):
    rows = gold.execute(
        "select entity, bronze_rows, silver_rows, quarantined_rows "
        "from silver.main.int_bronze_reconciliation"
    ).fetchall()
    assert {row[0] for row in rows} == set(ENTITIES)
    for entity, bronze, silver, quarantined in rows:
        assert bronze == silver + quarantined, entity
    # the synthetic world carries dirty rows: some must have been caught, with a reason
    assert sum(row[3] for row in rows) > 0
    assert gold.execute(
        "select count(*) from silver.main.quarantine where failed_rule is null"
    ).fetchone() == (0,)


def test_no_raw_pii_anywhere_in_gold(gold):
    """No email, phone or name from bronze profiles appears in any text column of gold."""
    gold.execute(
        """
        create temp table pii as
        select distinct value from (
            select unnest([
                email, lower(trim(email)), phone, first_name, last_name,
                concat(first_name, ' ', last_name)
            ]) as value
            from bronze.main.guests
        ) where value is not null and length(trim(value)) >= 3
        """
    )
    assert gold.execute("select count(*) from pii").fetchone()[0] > 0
    leaks = []
    for table in _gold_tables(gold):
        columns = gold.execute(
            "select column_name from information_schema.columns where table_name = ? "
            "and table_catalog = current_database() and data_type = 'VARCHAR'",
            [table],
        ).fetchall()
        for (column,) in columns:
            found = gold.execute(
                f'select count(*) from "{table}" inner join pii on "{table}"."{column}" = pii.value'
            ).fetchone()[0]
            emails = gold.execute(
                f'select count(*) from "{table}" where regexp_matches("{column}", ?)',
                [EMAIL_PATTERN],
            ).fetchone()[0]
            if found or emails:
                leaks.append(f"{table}.{column}: {found} PII values, {emails} email-like")
    assert leaks == []


def test_identity_resolution_against_the_truth_file(gold, small_run):
    """Pairs of profiles of one person end up as one guest; pairs of different people do not."""
    gold.execute(
        f"create temp view truth as select * from read_parquet('{small_run.layout.truth_path}')"
    )
    true_pairs, found, predicted, correct = gold.execute(
        """
        with resolved as (
            select truth.guest_id, truth.source_system, truth.person_id, map.guest_id as resolved
            from truth
            inner join guest_identity_map as map
                on map.source_system = truth.source_system
                and map.source_guest_id = truth.guest_id
        ),
        same_person as (
            select a.resolved = b.resolved as merged
            from resolved as a inner join resolved as b
                on a.person_id = b.person_id
                and (a.source_system, a.guest_id) < (b.source_system, b.guest_id)
        ),
        same_guest as (
            select a.person_id = b.person_id as right_merge
            from resolved as a inner join resolved as b
                on a.resolved = b.resolved
                and (a.source_system, a.guest_id) < (b.source_system, b.guest_id)
        )
        select
            (select count(*) from same_person),
            (select count(*) filter (where merged) from same_person),
            (select count(*) from same_guest),
            (select count(*) filter (where right_merge) from same_guest)
        """
    ).fetchone()
    assert true_pairs > 0, "the synthetic world should contain duplicate profiles"
    precision, recall = correct / max(predicted, 1), found / true_pairs
    assert precision >= 0.98, (precision, predicted, correct)
    assert recall >= 0.9, (recall, true_pairs, found)


def test_every_gold_guest_id_is_a_resolved_id(gold):
    resolved = "select guest_id from guest_identity_map"
    for table in ("guest_360", "guest_scores", "guest_feature_snapshots", "guest_rfm"):
        stray = gold.execute(
            f"select count(*) from {table} where guest_id not in ({resolved})"
        ).fetchone()[0]
        assert stray == 0, table
    guests, distinct_resolved = gold.execute(
        "select (select count(*) from guest_360), (select count(distinct guest_id) "
        "from guest_identity_map)"
    ).fetchone()
    assert guests == distinct_resolved


def test_primary_ids_survive_resolution(gold):
    """Each person keeps the id of their main (PMS) profile; duplicates map onto it."""
    assert gold.execute(
        "select count(*) from guest_identity_map where source_system = 'pms' "
        "and match_rule = 'source_id' and guest_id <> source_guest_id"
    ).fetchone() == (0,)
    merged = gold.execute(
        "select count(*) from guest_identity_map "
        "where match_rule in ('email', 'phone', 'phone_name', 'name_birth_date')"
    ).fetchone()[0]
    assert merged > 0


def test_scorecard_components_and_tiers(gold):
    low, high, nulls = gold.execute(
        "select min(least(loyalty_score, engagement_score, loyalty_component_score, value_score, "
        "coalesce(satisfaction_score, 50), coalesce(advocacy_score, 50))), "
        "max(greatest(loyalty_score, engagement_score, loyalty_component_score, value_score, "
        "coalesce(satisfaction_score, 50), coalesce(advocacy_score, 50))), "
        "count(*) filter (where loyalty_score is null or score_tier is null) "
        "from guest_loyalty_scores"
    ).fetchone()
    assert 0 <= low < high <= 100
    assert nulls == 0
    misplaced = gold.execute(
        """
        select count(*)
        from guest_loyalty_scores as scores
        inner join loyalty_score_tiers as tier on scores.score_tier = tier.score_tier
        where scores.loyalty_score < tier.min_score
            or exists (
                select 1 from loyalty_score_tiers as higher
                where higher.min_score > tier.min_score and scores.loyalty_score >= higher.min_score
            )
        """
    ).fetchone()[0]
    assert misplaced == 0
    # more stays and revenue means a higher value / loyalty component on average
    correlation = gold.execute(
        "select corr(scores.value_score, ln(1 + guest_360.lifetime_revenue)) "
        "from guest_loyalty_scores as scores inner join guest_360 using (guest_id)"
    ).fetchone()[0]
    assert correlation > 0.5


def test_rfm_cells_spell_the_scores(gold):
    bad = gold.execute(
        "select count(*) from guest_rfm where rfm_cell <> concat(recency_score, "
        "frequency_score, monetary_score) or recency_score not between 1 and 5"
    ).fetchone()[0]
    assert bad == 0
    # recent guests score higher on recency
    assert (
        gold.execute("select corr(recency_score, -days_since_last_stay) from guest_rfm").fetchone()[
            0
        ]
        > 0.8
    )


def test_business_metrics_add_up_to_the_stays(gold):
    stays_in_metrics, revenue_in_metrics = gold.execute(
        "select sum(stays), sum(revenue) from business_metrics"
    ).fetchone()
    stays, revenue = gold.execute(
        "select count(*), sum(total_revenue) from silver.main.int_stays_enriched "
        "where check_in_date <= (select as_of_date from run_context)"
    ).fetchone()
    assert stays_in_metrics == stays
    assert revenue_in_metrics == pytest.approx(revenue, rel=1e-9)
    shares = gold.execute(
        "select min(repeat_guest_share), max(repeat_guest_share), max(cancellation_rate), "
        "count(*) filter (where churned_guests > active_guests) from business_metrics"
    ).fetchone()
    assert 0 <= shares[0] <= shares[1] <= 1 and shares[2] <= 1 and shares[3] == 0
    segments = gold.execute(
        "select count(distinct segment) from business_metrics_by_segment"
    ).fetchone()[0]
    assert segments >= 2


def test_every_dbt_gold_table_and_column_is_documented(gold, small_run):
    manifest = json.loads((small_run.layout.dbt_target_dir / "manifest.json").read_text())
    documented: dict[str, dict[str, str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed") and node["database"] == "gold":
            documented[node["name"]] = {
                name: column.get("description", "") for name, column in node["columns"].items()
            }
            assert node["description"].strip(), f"{node['name']} has no description"
    tables = set(_gold_tables(gold))
    assert DBT_GOLD_TABLES <= tables
    missing = []
    for table in sorted(tables & set(documented)):
        for (column,) in gold.execute(
            "select column_name from information_schema.columns "
            "where table_name = ? and table_catalog = current_database()",
            [table],
        ).fetchall():
            if not documented[table].get(column, "").strip():
                missing.append(f"{table}.{column}")
    assert missing == []
