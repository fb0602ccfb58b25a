"""Hotel Booking Demand through its shipped mapping: does gold say what the CSV says?

1. ingest ``../shared/data/hotel_bookings/hotel_bookings.csv`` (119,390 reservations, no stays
   export) through ``mappings/hotel_bookings.yaml`` into a fresh data dir;
2. ``guestloyalty pipeline --no-generate`` there, as a new user would (one guest per booking:
   no model can be trained, so the run publishes ``partial``, exit code 8);
3. compare ``business_metrics`` per hotel and arrival month (stays = checked-out bookings,
   revenue = adr x nights of those, bookings, cancellations) with a plain SQL reading of the
   CSV, leaving out the rows silver quarantined (listed, with their rule).

Run: ``python benchmarks/hotel_bookings_metrics.py [--csv PATH] [--keep DIR]``; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


def _find_csv() -> Path:
    """``shared/data`` beside the checkout or one of its parents (a worktree sits deeper)."""
    for parent in ROOT.parents:
        path = parent / "shared" / "data" / "hotel_bookings" / "hotel_bookings.csv"
        if path.is_file():
            return path
    return ROOT.parent / "shared" / "data" / "hotel_bookings" / "hotel_bookings.csv"


CSV = _find_csv()
MAPPING = ROOT / "mappings" / "hotel_bookings.yaml"

PLAIN = """
with raw as (
    select row_number() over () as row_number, *
    from read_csv(?, header = true, nullstr = ['NULL', 'NA'])
),
typed as (
    select
        case hotel when 'Resort Hotel' then 'HBD-RESORT' else 'HBD-CITY' end as property_id,
        strptime(arrival_date_year || '-' || arrival_date_month || '-'
            || arrival_date_day_of_month, '%Y-%B-%d')::date as arrival,
        reservation_status,
        adr * (stays_in_weekend_nights + stays_in_week_nights) as amount
    from raw
    where row_number not in (select unnest(?::bigint[]))
)
select
    property_id,
    date_trunc('month', arrival)::date as month_start,
    count(*) filter (where reservation_status = 'Check-Out') as stays,
    round(sum(amount) filter (where reservation_status = 'Check-Out'), 2) as revenue,
    count(*) as bookings,
    count(*) filter (where reservation_status = 'Canceled') as cancellations
from typed
where arrival <= ?
group by 1, 2
order by 1, 2
"""

GOLD = """
select
    property_id, month_start, stays, round(revenue, 2), bookings,
    cast(round(cancellation_rate * bookings) as bigint)
from business_metrics
order by 1, 2
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guestloyalty", *args], capture_output=True, text=True
    )


def measure(csv: Path, data_dir: Path) -> dict[str, object]:
    loaded = _cli("ingest", str(csv), "--mapping", str(MAPPING), "--data-dir", str(data_dir))
    if loaded.returncode != 0:
        raise SystemExit(loaded.stderr.strip())
    began = time.perf_counter()
    run = _cli("pipeline", "--no-generate", "--data-dir", str(data_dir))
    seconds = time.perf_counter() - began
    with duckdb.connect(str(data_dir / "silver" / "silver.duckdb"), read_only=True) as con:
        quarantined = con.execute(
            "select _row_number, failed_rule from quarantine order by 1"
        ).fetchall()
    with duckdb.connect(str(data_dir / "gold" / "gold.duckdb"), read_only=True) as con:
        as_of = con.execute("select as_of_date from run_context").fetchone()[0]
        gold = con.execute(GOLD).fetchall()
    with duckdb.connect() as con:
        plain = con.execute(PLAIN, [str(csv), [row for row, _ in quarantined], as_of]).fetchall()
    mismatches = [
        [str(value) for value in got]
        for got, want in zip(gold, plain, strict=False)
        if got[:3] != want[:3]
        or abs(float(got[3] or 0) - float(want[3] or 0)) > 0.01
        or got[4:] != want[4:]
    ]
    return {
        "exit_code": run.returncode,
        "pipeline_seconds": round(seconds, 1),
        "as_of": str(as_of),
        "quarantined": [{"row": row, "rule": rule} for row, rule in quarantined],
        "hotel_months": {"gold": len(gold), "plain_sql": len(plain)},
        "same_hotel_months": [row[:2] for row in gold] == [row[:2] for row in plain],
        "mismatches": mismatches,
        "totals": {
            name: {
                "stays": sum(row[2] for row in rows),
                "revenue": round(sum(float(row[3] or 0) for row in rows), 2),
                "bookings": sum(row[4] for row in rows),
            }
            for name, rows in (("gold", gold), ("plain_sql", plain))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=CSV)
    parser.add_argument("--keep", type=Path, help="data dir to use and keep (default: temp)")
    args = parser.parse_args()
    if args.keep:
        print(json.dumps(measure(args.csv, args.keep), indent=2))
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(json.dumps(measure(args.csv, Path(scratch) / "data"), indent=2))


if __name__ == "__main__":
    main()
