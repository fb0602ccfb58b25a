"""The floor: the least work that answers the same question, to measure the pipeline against.

Plain DuckDB SQL over the landing files (no bronze, no dbt, no identity resolution, no tests)
computes the core guest features at one snapshot, with the churn label over the horizon after
it, and one xgboost fit runs on the result with the churn model's parameters:

    recency (days since last stay), frequency (stays), monetary (revenue), tenure (days since
    first stay), stays in the last 365 days, email opens in the last 180 days -> churned

The snapshot is the pipeline's latest labeled one (the month start one horizon before as_of),
so the floor reads the same files and builds one guest x snapshot table the size of one of
the pipeline's. Whatever the pipeline does beyond this (typing and quarantining every column
of every entity, identity resolution, many snapshots, dbt tests, two models, scoring, atomic
publish) is its overhead; ``benchmarks/run_all.py`` reports the ratio.

    .venv/bin/python benchmarks/floor.py --landing DATA/bronze/landing --as-of 2025-12-31

Prints one JSON object (seconds per step, rows, peak RSS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

#: One fit, fixed rounds (no early stopping), the churn model's parameters otherwise.
FLOOR_ROUNDS = 100
FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "stays_last_365d",
    "email_opens_180d",
)


def _source(landing: Path, entity: str) -> str:
    """A DuckDB table function reading every landing file of ``entity`` as text."""
    folder = landing / entity
    if any(folder.glob("*.parquet")):
        return f"read_parquet('{folder}/*.parquet', union_by_name = true)"
    if any(folder.glob("*.csv")):
        return f"read_csv('{folder}/*.csv', all_varchar = true, union_by_name = true)"
    if any(folder.glob("*.jsonl")):
        return f"read_json('{folder}/*.jsonl', format = 'newline_delimited')"
    raise SystemExit(f"no landing files under {folder}")


def labeled_snapshot(as_of: dt.date, horizon_days: int) -> dt.date:
    """The pipeline's latest labeled snapshot: month start of as_of + 1 - horizon."""
    first = as_of + dt.timedelta(days=1 - horizon_days)
    return first.replace(day=1)


def features_sql(landing: Path) -> str:
    """Core features and the churn label at snapshot $snapshot (an exclusive cut-off)."""
    stays = _source(landing, "stays")
    events = _source(landing, "engagement_events")
    return f"""
    with
    stays as (
        select
            guest_id,
            try_cast(check_in_date as date) as check_in_date,
            try_cast(total_revenue as double) as total_revenue
        from {stays}
        where guest_id is not null
    ),
    opens as (
        select guest_id, count(*) as email_opens_180d
        from {events}
        where event_type = 'email_open'
            and try_cast(occurred_at as timestamp) >= $snapshot - interval 180 day
            and try_cast(occurred_at as timestamp) < $snapshot
        group by guest_id
    ),
    history as (
        select
            guest_id,
            date_diff('day', max(check_in_date), $snapshot) as recency_days,
            count(*) as frequency,
            sum(total_revenue) as monetary,
            date_diff('day', min(check_in_date), $snapshot) as tenure_days,
            count(*) filter (where check_in_date >= $snapshot - interval 365 day)
                as stays_last_365d
        from stays
        where check_in_date < $snapshot
        group by guest_id
    ),
    returned as (
        select distinct guest_id
        from stays
        where check_in_date >= $snapshot
            and check_in_date < $snapshot + to_days(cast($horizon as integer))
    )
    select
        history.*,
        coalesce(opens.email_opens_180d, 0) as email_opens_180d,
        case when returned.guest_id is null then 1 else 0 end as churned
    from history
    left join opens on history.guest_id = opens.guest_id
    left join returned on history.guest_id = returned.guest_id
    """


def run_floor(
    landing: Path, *, as_of: dt.date, horizon_days: int = 365, threads: int | None = None
) -> dict[str, object]:
    """Time the SQL features and one xgboost fit; return seconds, rows and peak memory."""
    import duckdb
    import numpy as np
    import xgboost as xgb

    from guestloyalty.models.churn import CHURN_PARAMS

    snapshot = labeled_snapshot(as_of, horizon_days)
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {int(threads)}")
    began, cpu_began = time.perf_counter(), _cpu()
    table = con.sql(
        features_sql(landing), params={"snapshot": snapshot, "horizon": horizon_days}
    ).to_arrow_table()
    X = np.column_stack(
        [table.column(name).to_numpy(zero_copy_only=False) for name in FEATURES]
    ).astype(np.float32)
    y = table.column("churned").to_numpy(zero_copy_only=False).astype(np.float32)
    sql_s, sql_cpu = time.perf_counter() - began, _cpu() - cpu_began

    began, cpu_began = time.perf_counter(), _cpu()
    params = {**CHURN_PARAMS, "seed": 42}
    booster = xgb.train(params, xgb.DMatrix(X, label=y, feature_names=list(FEATURES)), FLOOR_ROUNDS)
    fit_s, fit_cpu = time.perf_counter() - began, _cpu() - cpu_began
    return {
        "snapshot_date": snapshot.isoformat(),
        "rows": int(len(y)),
        "churn_rate": round(float(y.mean()), 4) if len(y) else None,
        "rounds": FLOOR_ROUNDS,
        "trees": booster.num_boosted_rounds(),
        "seconds": {"sql_features": round(sql_s, 2), "xgboost_fit": round(fit_s, 2)},
        "total_seconds": round(sql_s + fit_s, 2),
        "cpu_seconds": {"sql_features": round(sql_cpu, 2), "xgboost_fit": round(fit_cpu, 2)},
        "total_cpu_seconds": round(sql_cpu + fit_cpu, 2),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="a landing folder")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--horizon-days", type=int, default=365)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    if not args.landing.is_dir():
        sys.exit(f"{args.landing} is not a folder")
    result = run_floor(
        args.landing, as_of=args.as_of, horizon_days=args.horizon_days, threads=args.threads
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
