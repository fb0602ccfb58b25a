"""Campaign measurement and uplift targeting against the synthetic truth.

For each seed: ``guestloyalty generate --guests N --seed S`` (the world's past retention
campaigns have random holdouts and a heterogeneous true effect, :mod:`guestloyalty.synth.
campaigns`), ``guestloyalty pipeline --no-generate``, then

1. **coverage**: for every campaign whose window closed, does gold ``campaign_results``'
   95% interval of the lift contain the true effect (the mean of ``y1 - y0`` over the
   campaign's members in the truth file)? Issue 20: ≥ 90% of campaigns across seeds.
2. **targeting**: the uplift model learned from the warehouse's past campaigns
   (:func:`guestloyalty.campaigns.targeting.fit_uplift`) ranks today's guests we may contact;
   the top 20% by estimated uplift against the top 20% by churn risk (``guest_scores``), both
   measured by the truth's expected incremental returns of contacting them at the world's end
   (``true_uplift_at_end``). Issue 20: uplift ≥ 1.5 x churn risk.

Run: ``python benchmarks/campaign_lift.py [--guests 10000] [--seeds 1 2 3] [--keep DIR]``;
writes ``campaign_lift.md`` / ``.json`` under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from guestloyalty.campaigns.targeting import contactable_ids, current_guests, fit_uplift
from guestloyalty.synth.truth import read_truth
from guestloyalty.warehouse import Layout, connect

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("guestloyalty")
RESULTS = Path(__file__).resolve().parent / "results"
TOP_SHARE = 0.2


def run(*args: str, timeout: int) -> None:
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")


def true_effects(truth: pl.DataFrame) -> pl.DataFrame:
    """Per campaign: members and the mean of y1 - y0 (the true effect of contacting all)."""
    members = (
        truth.filter(pl.col("is_primary_profile"))
        .select("campaign_ids", "campaign_y0", "campaign_y1")
        .explode("campaign_ids", "campaign_y0", "campaign_y1")
        .drop_nulls("campaign_ids")
    )
    return members.group_by(pl.col("campaign_ids").alias("campaign_id")).agg(
        members=pl.len(),
        true_effect=(pl.col("campaign_y1").cast(pl.Float64) - pl.col("campaign_y0")).mean(),
    )


def measure(layout: Layout, seed: int) -> dict[str, object]:
    truth = read_truth(layout.truth_path)
    with connect(layout.gold_path, read_only=True) as con:
        measured = con.sql(
            "select campaign_id, guests, lift, lift_lower_95, lift_upper_95, significance "
            "from campaign_results where assigned_group = 'treatment' and is_window_complete"
        ).pl()
        model, rows = fit_uplift(con, random_state=seed)
        current = current_guests(con)
        allowed = contactable_ids(con)
    campaigns = measured.join(true_effects(truth), on="campaign_id", how="left").with_columns(
        covered=(pl.col("lift_lower_95") <= pl.col("true_effect"))
        & (pl.col("true_effect") <= pl.col("lift_upper_95"))
    )
    keep = np.array([g in allowed for g in current.guest_id], dtype=bool)
    uplift = model.predict(current.X[keep])
    guests = pl.DataFrame(
        {
            "guest_id": current.guest_id[keep].astype(str),
            "uplift": uplift,
            "churn": current.churn[keep],
        }
    ).join(
        truth.select("guest_id", "true_uplift_at_end").unique("guest_id"),
        on="guest_id",
        how="left",
    )
    k = max(1, int(round(TOP_SHARE * guests.height)))
    by_uplift = guests.sort("uplift", descending=True).head(k)["true_uplift_at_end"].sum()
    by_risk = guests.sort("churn", descending=True).head(k)["true_uplift_at_end"].sum()
    return {
        "seed": seed,
        "campaigns": campaigns.to_dicts(),
        "learner": model.learner_,
        "held_out_qini": model.scores_,
        "training_members": len(rows.treatment),
        "candidates": guests.height,
        "top_k": k,
        "true_incremental_top_uplift": float(by_uplift),
        "true_incremental_top_risk": float(by_risk),
        "true_incremental_all": float(guests["true_uplift_at_end"].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--keep", type=Path, default=None, help="keep the data dirs here")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument(
        "--reuse", action="store_true", help="measure a kept data dir that has gold again"
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    results = []
    for seed in args.seeds:
        base = args.keep or Path(tempfile.mkdtemp(prefix="campaign_lift_"))
        data = base / f"seed{seed}"
        if not (args.reuse and Layout(data).gold_path.exists()):
            if data.exists():
                shutil.rmtree(data)
            run("generate", "--data-dir", str(data), "--guests", str(args.guests), "--seed",
                str(seed), timeout=args.timeout)  # fmt: skip
            run("pipeline", "--data-dir", str(data), "--no-generate", timeout=args.timeout)
        result = measure(Layout(data), seed)
        results.append(result)
        covered = sum(c["covered"] for c in result["campaigns"])
        print(
            f"seed {seed}: {covered}/{len(result['campaigns'])} campaigns covered; "
            f"top {TOP_SHARE:.0%} by uplift {result['true_incremental_top_uplift']:.1f} vs by "
            f"churn risk {result['true_incremental_top_risk']:.1f} true incremental returns "
            f"(learner {result['learner']})",
            flush=True,
        )
    campaigns = [c for r in results for c in r["campaigns"]]
    coverage = sum(c["covered"] for c in campaigns) / max(1, len(campaigns))
    uplift_sum = sum(r["true_incremental_top_uplift"] for r in results)
    risk_sum = sum(r["true_incremental_top_risk"] for r in results)
    ratio = uplift_sum / risk_sum if risk_sum > 0 else float("inf")
    targeting_met = uplift_sum > 0 and uplift_sum >= 1.5 * max(risk_sum, 0.0)
    lines = [
        "| seed | campaign | treatment guests | true effect | measured lift [95%] | covered |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        for c in sorted(r["campaigns"], key=lambda c: c["campaign_id"]):
            lines.append(
                f"| {r['seed']} | {c['campaign_id']} | {c['guests']} | {c['true_effect']:.3f} | "
                f"{c['lift']:.3f} [{c['lift_lower_95']:.3f}, {c['lift_upper_95']:.3f}] | "
                f"{'yes' if c['covered'] else 'NO'} |"
            )
    lines += [
        "",
        "| seed | learner | members trained on | guests ranked | top 20% by uplift "
        "| top 20% by churn risk | all |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['seed']} | {r['learner']} | {r['training_members']} | {r['candidates']} | "
            f"{r['true_incremental_top_uplift']:.1f} | {r['true_incremental_top_risk']:.1f} | "
            f"{r['true_incremental_all']:.1f} |"
        )
    lines += [
        "",
        f"Coverage {coverage:.1%} of {len(campaigns)} campaigns (target ≥ 90%): "
        f"{'met' if coverage >= 0.9 else 'short'}. True incremental returns, top 20% by "
        f"uplift / by churn risk: {uplift_sum:.1f} / {risk_sum:.1f} = "
        f"{ratio:.2f}x (target ≥ 1.5x): {'met' if targeting_met else 'short'}. "
        f"{args.guests} guests, seeds {args.seeds}; {time.perf_counter() - started:.0f} s, "
        f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}.",
    ]
    report = "\n".join(lines)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "campaign_lift.md").write_text(report + "\n")
    (args.out / "campaign_lift.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
