"""Same inputs and seed, same gold: rows and scores; re-ingesting the same files adds nothing.

The rerun is the session fixture ``rerun_under_load`` (the base world run again with the same
landing files and seed); the base world's gold is the first run.
"""

from __future__ import annotations

import pytest
from trust_support import bronze_counts, gold_digests

from guestloyalty.ingest import ingest_paths
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

#: Tables that accumulate across runs (one row per run or per training).
PER_RUN_TABLES = {"model_registry", "run_log", "model_evaluation"}


def test_the_same_inputs_and_seed_give_the_same_gold(rerun_under_load, base_world):
    first = gold_digests(Layout(base_world.data_dir).gold_path)
    second = gold_digests(rerun_under_load.layout.gold_path)
    assert set(first) == set(second)
    differing = {
        table: (first[table], second[table])
        for table in set(first) - PER_RUN_TABLES
        if first[table] != second[table]
    }
    assert differing == {}


def test_scores_are_bit_identical_between_runs(rerun_under_load, base_world):
    tables = {"guest_scores"}
    first = gold_digests(Layout(base_world.data_dir).gold_path, tables)
    second = gold_digests(rerun_under_load.layout.gold_path, tables)
    assert first == second


def test_rerun_ingested_nothing_new(rerun_under_load, base_world):
    assert bronze_counts(rerun_under_load.layout) == bronze_counts(Layout(base_world.data_dir))


def test_ingesting_the_same_files_again_adds_nothing(rerun_under_load, tmp_path):
    layout = rerun_under_load.layout
    before = bronze_counts(layout)
    results = ingest_paths(layout)
    assert results and all(result.skipped and result.rows == 0 for result in results)
    assert bronze_counts(layout) == before
