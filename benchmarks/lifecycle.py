"""Does ``slipping`` find the guests who are really drifting away? (issue 16)

Reads a finished run (``--data-dir``: its gold ``guest_scores`` / ``at_risk_guests`` and the
silver stays) and prints, per lifecycle stage, how many guests it holds and how often they
fail to come back in the horizon after as_of (where the data goes that far). With a
synthetic truth file (``--truth``, default ``<data>/truth/truth.parquet`` when present) it
scores ``at_risk_guests`` against each person's ``disengaged_date`` / ``dropout_date``:

- size: the list beside the guests with a stay in the two years up to as_of (< 15 %);
- precision: the share of the list truly disengaging at as_of (disengaged, not yet
  dropped out) beside the same share among all scored guests not yet gone (>= 3x);
- the share of the list already dropped out (< 10 %);
- recall: the share of all disengaging guests that the list holds;
- lead time: days since disengagement began for the disengaging guests on the list, and,
  when the world runs past as_of (``generate --end``), days from as_of to the dropout of
  those who dropped out by the world's end.

    .venv/bin/python benchmarks/lifecycle.py --data-dir data
    .venv/bin/python benchmarks/lifecycle.py --data-dir /tmp/cdnow --horizon-days 273

Prints one JSON document (``--json``) or a short table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import duckdb

STAGES = ("new", "active", "slipping", "lapsed", "lost", "reactivated")


def _gold(data_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach '{data_dir / 'gold' / 'gold.duckdb'}' as gold (read_only)")
    con.execute(f"attach '{data_dir / 'silver' / 'silver.duckdb'}' as silver (read_only)")
    return con


def stage_returns(con: duckdb.DuckDBPyConnection, horizon_days: int) -> dict[str, object]:
    """Guests per stage and the share with no stay in (as_of, as_of + horizon]."""
    as_of, last = con.sql(
        "select (select as_of_date from gold.run_context), max(check_in_date) "
        "from silver.int_stays_enriched"
    ).fetchall()[0]
    observed = last is not None and last >= as_of + dt.timedelta(days=horizon_days)
    rows = con.sql(
        """
        with returned as (
            select distinct guest_id from silver.int_stays_enriched
            where check_in_date > $as_of and check_in_date <= $as_of + $horizon::int
        )
        select scores.lifecycle_stage, count(*) as guests,
            avg(case when returned.guest_id is null then 1.0 else 0.0 end) as no_return
        from gold.guest_scores as scores
        left join returned on scores.guest_id = returned.guest_id
        group by 1
        """,
        params={"as_of": as_of, "horizon": horizon_days},
    ).fetchall()
    stages = {stage: {"guests": n, "no_return": share} for stage, n, share in rows}
    out: dict[str, object] = {
        "as_of": str(as_of),
        "horizon_days": horizon_days,
        "horizon_observed": observed,
        "stages": stages,
    }
    if observed and "slipping" in stages and "active" in stages:
        out["no_return_slipping_over_active"] = (
            stages["slipping"]["no_return"] / stages["active"]["no_return"]
            if stages["active"]["no_return"]
            else None
        )
    return out


def against_truth(con: duckdb.DuckDBPyConnection, truth: Path) -> dict[str, object]:
    """The at-risk list and every stage against the truth file's disengaged / dropout dates."""
    con.execute(
        f"""
        create temp table judged as
        with truth as (
            select guest_id, disengaged_date, dropout_date, world_end
            from read_parquet('{truth}')
        )
        select
            scores.guest_id,
            scores.lifecycle_stage,
            scores.as_of_date,
            at_risk.guest_id is not null as listed,
            at_risk.at_risk_rank,
            scores.slipping_reason,
            coalesce(truth.disengaged_date <= scores.as_of_date
                and (truth.dropout_date is null or truth.dropout_date > scores.as_of_date),
                false) as disengaging,
            coalesce(truth.dropout_date <= scores.as_of_date, false) as dropped,
            truth.disengaged_date,
            truth.dropout_date,
            truth.world_end
        from gold.guest_scores as scores
        left join gold.at_risk_guests as at_risk on scores.guest_id = at_risk.guest_id
        left join truth on scores.guest_id = truth.guest_id
        """
    )
    recent = con.sql(
        "select count(*) from gold.guest_360 where last_stay_date > as_of_date - 730"
    ).fetchall()[0][0]
    (
        listed,
        list_disengaging,
        list_dropped,
        base,
        disengaging_total,
        caught,
        since_median,
        to_dropout_median,
        world_end,
    ) = con.sql(
        """
        select
            count(*) filter (where listed),
            avg(disengaging::int) filter (where listed),
            avg(dropped::int) filter (where listed),
            avg(disengaging::int) filter (where not dropped),
            count(*) filter (where disengaging),
            count(*) filter (where disengaging and listed),
            median(as_of_date - disengaged_date) filter (where disengaging and listed),
            median(dropout_date - as_of_date)
                filter (where listed and disengaging and dropout_date is not null),
            max(world_end)
        from judged
        """
    ).fetchall()[0]
    stages = {
        stage: {"guests": guests, "disengaging": dis, "dropped": drop}
        for stage, guests, dis, drop in con.sql(
            "select lifecycle_stage, count(*), avg(disengaging::int), avg(dropped::int) "
            "from judged group by 1 order by 1"
        ).fetchall()
    }
    base_share = base or 0.0

    def judged_rows(where: str) -> dict[str, object]:
        guests, dis, drop, hits = con.sql(
            "select count(*), avg(disengaging::int), avg(dropped::int), "
            f"count(*) filter (where disengaging) from judged where {where}"
        ).fetchall()[0]
        return {
            "guests": guests,
            "lift": dis / base_share if dis is not None and base_share else None,
            "dropped": drop,
            "recall": hits / disengaging_total if disengaging_total else None,
        }

    # the list's head: what a smaller cap (at_risk_max_share of the customer base) keeps
    customers = con.sql(
        "select count(*) from judged where lifecycle_stage in "
        "('new', 'active', 'slipping', 'reactivated')"
    ).fetchall()[0][0]
    head = {
        f"{share:.0%}": judged_rows(f"at_risk_rank <= {max(1, int(share * customers))}")
        for share in (0.01, 0.02, 0.03, 0.05, 0.10)
        if int(share * customers) <= listed
    }
    reasons = {
        reason: judged_rows(f"slipping_reason = '{reason}'")
        for (reason,) in con.sql(
            "select distinct slipping_reason from judged where slipping_reason is not null "
            "order by 1"
        ).fetchall()
    }
    return {
        "at_risk_guests": listed,
        "guests_with_a_stay_in_two_years": recent,
        "list_share_of_recent": listed / recent if recent else None,
        "list_disengaging_share": list_disengaging,
        "base_disengaging_share_not_gone": base,
        "lift": list_disengaging / base if base and list_disengaging is not None else None,
        "list_dropped_share": list_dropped,
        "recall": caught / disengaging_total if disengaging_total else None,
        "days_since_disengaging_began_median": since_median,
        "days_to_dropout_median": to_dropout_median,
        "world_end": str(world_end),
        "stages": stages,
        "list_head_by_cap": head,
        "slipping_reasons": reasons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--truth", type=Path, default=None)
    parser.add_argument("--horizon-days", type=int, default=365)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    truth = args.truth or args.data_dir / "truth" / "truth.parquet"
    con = _gold(args.data_dir)
    result: dict[str, object] = {"returns": stage_returns(con, args.horizon_days)}
    if truth.exists():
        result["truth"] = against_truth(con, truth)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    returns = result["returns"]
    print(f"as_of {returns['as_of']}, horizon {returns['horizon_days']} days")
    for stage in STAGES:
        row = returns["stages"].get(stage)
        if row:
            share = f"{row['no_return']:.1%}" if returns["horizon_observed"] else "n/a"
            print(f"  {stage:12s} {row['guests']:8,d} guests, no return in horizon {share}")
    if "no_return_slipping_over_active" in returns:
        print(f"  slipping / active no-return: {returns['no_return_slipping_over_active']:.2f}x")
    if "truth" in result:
        t = result["truth"]
        for key, value in t.items():
            if key not in ("stages", "list_head_by_cap", "slipping_reasons"):
                print(f"  {key:40s} {value if not isinstance(value, float) else round(value, 4)}")
        for stage, row in t["stages"].items():
            print(
                f"  truth {stage:12s} {row['guests']:8,d}: disengaging {row['disengaging']:.1%}, "
                f"dropped {row['dropped']:.1%}"
            )
        for label, group in (
            ("cap", t["list_head_by_cap"]),
            ("slipping", t["slipping_reasons"]),
        ):
            for name, row in group.items():
                lift = "n/a" if row["lift"] is None else f"{row['lift']:.2f}x"
                print(
                    f"  {label} {name:24s} {row['guests']:8,d}: disengaging {lift} the base, "
                    f"dropped {row['dropped']:.1%}, recall {row['recall']:.1%}"
                )


if __name__ == "__main__":
    main()
