"""Values that parse but cannot be true: each row of the corpus gets its named quarantine rule
(or passes as the export meant it), the run still publishes, as_of does not move, and gold is
unchanged apart from the guests of the rows that pass."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from guestloyalty.config import Settings
from guestloyalty.operations.pipeline import RunReport, run_pipeline
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[1] / "fixtures" / "implausible"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text())["cases"]
CORPUS_GUESTS = tuple(f"GPLAUS{n:02d}" for n in range(1, 19))


@dataclass(frozen=True)
class CorpusRun:
    before: Layout
    after: Layout
    report: RunReport


@pytest.fixture(scope="module")
def corpus_run(base_world, tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    from trust_support import SEED, clone_world

    layout = clone_world(base_world.data_dir, tmp_path_factory.mktemp("implausible") / "data")
    for case in CASES:
        target = layout.landing_dir / case["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / case["file"], target)
    report = run_pipeline(
        layout,
        Settings(data_dir=layout.data_dir, seed=SEED),
        generate=False,
        report=lambda _: None,
    )
    return CorpusRun(Layout(base_world.data_dir), layout, report)


def _silver_rows(layout: Layout, entity: str, file: str) -> list[dict]:
    with duckdb.connect(str(layout.silver_path), read_only=True) as con:
        cursor = con.execute(
            f"select * from base_bronze__{entity} where _source_file like ? order by _row_number",
            [f"%{Path(file).name}"],
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_run_publishes(corpus_run):
    assert corpus_run.report.status == "succeeded"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["file"])
def test_each_row_gets_its_rule(corpus_run, case):
    entity = case["file"].split("/")[0]
    rows = _silver_rows(corpus_run.after, entity, case["file"])
    assert [row["failed_rule"] for row in rows] == case["rules"]
    if "total_revenue_eur" in case:
        assert rows[0]["currency"] == "EUR"
        assert rows[0]["source_currency"] == "JPY"
        assert rows[0]["total_revenue"] == pytest.approx(case["total_revenue_eur"])
    if "check_in_date" in case:
        assert rows[0]["check_in_date"] == dt.date.fromisoformat(case["check_in_date"])
    if "occurred_at_utc" in case:
        passing = [row for row in rows if row["failed_rule"] is None]
        assert passing[0]["occurred_at"] == dt.datetime.fromisoformat(case["occurred_at_utc"])


def test_quarantine_names_each_rule_with_its_file(corpus_run):
    with duckdb.connect(str(corpus_run.after.silver_path), read_only=True) as con:
        found = {
            (Path(source).name, rule)
            for source, rule in con.execute(
                "select _source_file, failed_rule from quarantine where _source_file like ?",
                [f"%{corpus_run.after.landing_dir.name}%"],
            ).fetchall()
        }
    for case in CASES:
        for rule in case["rules"]:
            if rule is not None:
                assert (Path(case["file"]).name, rule) in found


def _as_of(layout: Layout) -> tuple[dt.date, int]:
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        return con.execute("select as_of_date, rows_after_as_of from run_context").fetchone()


def test_as_of_does_not_move(corpus_run):
    before, _ = _as_of(corpus_run.before)
    after, rows_after = _as_of(corpus_run.after)
    assert after == before
    stray = [case for case in CASES if case.get("after_as_of")]
    assert rows_after >= len(stray)


def test_guest_360_is_unchanged_for_every_other_guest(corpus_run):
    query = (
        "select guest_id, lifetime_stays, round(lifetime_revenue, 2) from guest_360 "
        "where guest_id not in (select guest_id from guest_identity_map "
        f"where source_guest_id in {CORPUS_GUESTS}) order by guest_id"
    )
    with duckdb.connect(str(corpus_run.before.gold_path), read_only=True) as con:
        before = con.execute(query).fetchall()
    with duckdb.connect(str(corpus_run.after.gold_path), read_only=True) as con:
        after = con.execute(query).fetchall()
    assert after == before


def test_business_metrics_change_only_by_the_rows_that_pass(corpus_run):
    query = (
        "select property_id, month_start, stays, round(revenue, 2), bookings "
        "from business_metrics order by 1, 2"
    )
    with duckdb.connect(str(corpus_run.before.gold_path), read_only=True) as con:
        before = {row[:2]: row[2:] for row in con.execute(query).fetchall()}
    with duckdb.connect(str(corpus_run.after.gold_path), read_only=True) as con:
        after = {row[:2]: row[2:] for row in con.execute(query).fetchall()}
        passing = (
            con.execute(
                "select property_id, cast(date_trunc('month', check_in_date) as date), "
                "count(*), sum(total_revenue) from int_stays_enriched "
                f"where source_guest_id in {CORPUS_GUESTS} group by 1, 2"
            ).fetchall()
            if False
            else []
        )
    with duckdb.connect(str(corpus_run.after.silver_path), read_only=True) as con:
        passing = con.execute(
            "select property_id, cast(date_trunc('month', check_in_date) as date), "
            "count(*), sum(total_revenue) from stg_bronze__stays "
            f"where guest_id in {CORPUS_GUESTS} group by 1, 2"
        ).fetchall()
    as_of, _ = _as_of(corpus_run.after)
    changed = {}
    for property_id, month, stays, revenue in passing:
        if month <= as_of:
            changed[(property_id, month)] = (stays, revenue)
    assert set(after) == set(before)
    for key, (stays, revenue, bookings) in after.items():
        old_stays, old_revenue, old_bookings = before[key]
        extra_stays, extra_revenue = changed.get(key, (0, 0.0))
        assert stays == old_stays + extra_stays, key
        assert float(revenue) == pytest.approx(float(old_revenue) + extra_revenue, abs=0.01), key
        assert bookings == old_bookings, key


def _wrong_property_codes(path: Path, rows: int = 2_000) -> None:
    """A well-formed export whose property codes the properties seed does not know."""
    lines = ["stay_id,guest_id,property_id,room_type,check_in_date,check_out_date,total_revenue"]
    for n in range(rows):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=n % 300)
        lines.append(f"PW{n:05d},GWRONG{n % 500:03d},LISBON-1,STD,{day},{day},180.00")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_a_run_that_quarantines_far_more_stops_before_publish(base_world, tmp_path):
    from trust_support import clone_world, file_digest, run_pipeline_cli

    layout = clone_world(base_world.data_dir, tmp_path / "data")
    before = file_digest(layout.gold_path)
    _wrong_property_codes(layout.landing_entity_dir("stays") / "wrong_property_codes.csv")
    stopped = run_pipeline_cli(layout)
    assert stopped.returncode == 7, stopped.stderr
    lines = [line for line in stopped.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert "wrong_property_codes.csv" in lines[0]
    assert "property_unknown" in lines[0]
    assert "--accept-changes" in lines[0]
    assert file_digest(layout.gold_path) == before

    accepted = run_pipeline_cli(layout, "--accept-changes")
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted stays quarantined" in accepted.stdout + accepted.stderr
    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        rules = dict(
            con.execute(
                "select failed_rule, quarantined_rows from quarantine_rules where entity = 'stays'"
            ).fetchall()
        )
    assert rules["property_unknown"] == 2_000
