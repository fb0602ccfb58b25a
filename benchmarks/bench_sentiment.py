"""Cost of the sentiment stage: review scoring at the review volume of a 1M-guest world, and
the whole stage (silver in, gold tables out) on a generated world.

    .venv/bin/python benchmarks/bench_sentiment.py [--reviews 400000] [--world-guests 100000]
                                                   [--json] [--keep DIR]

1. ``--reviews N``: N synthetic reviews written by the generator's own ``review_text`` (NPS
   drawn like the world's, 15% service failures), scored by ``models.sentiment.score_reviews``
   (train on a 50,000 sample, score all, topics): wall and CPU seconds. A 1M-guest world has
   about 400,000 reviews (0.39 per guest at 3,000 and 100,000 guests).
2. ``--world-guests N`` (0 to skip): generate a world, ingest it, build silver with dbt, then
   time ``scoring.sentiment.score_sentiment`` alone (read silver, score, write the two gold
   tables), and the silver / gold dbt builds around it.

Target (issue 18): the stage adds at most 15 s at 1M guests on 2 cores. CPU seconds are
printed beside wall seconds: on a shared machine wall time measures the neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

TARGET_SECONDS = 15.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthetic_reviews(n: int, seed: int = 0) -> pl.DataFrame:
    from guestloyalty.synth.bookings import FAILURES
    from guestloyalty.synth.reviews import rating_from_nps, review_text
    from guestloyalty.synth.stays import nps_from_satisfaction

    rng = np.random.default_rng(seed)
    satisfaction = rng.normal(0.0, 1.0, n)
    nps = nps_from_satisfaction(satisfaction)
    failure = rng.random(n) < 0.15
    complained = failure & (rng.random(n) < 0.7)
    resolved = complained & (rng.random(n) < 0.5)
    issue = pl.Series(FAILURES).gather(rng.integers(0, len(FAILURES), n))
    text = review_text(rng, nps, failure, complained, resolved, issue)
    return pl.DataFrame(
        {
            "review_id": [f"R{i:09d}" for i in range(n)],
            "review_text": text,
            "nps": nps.astype(np.int32),
            "rating": rating_from_nps(rng, nps).astype(np.int32),
        }
    )


def bench_reviews(n: int) -> dict[str, object]:
    from guestloyalty.models import sentiment

    frame = synthetic_reviews(n)
    sentiment.score_reviews(frame.head(2_000))  # imports (scikit-learn, scipy) outside the timing
    began, cpu = time.perf_counter(), cpu_seconds()
    out = sentiment.score_reviews(frame)
    seconds, cpu_used = time.perf_counter() - began, cpu_seconds() - cpu
    return {
        "reviews": n,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_used, 2),
        "reviews_per_second": round(n / seconds),
        "mentions": out.mentions.height,
        "model": out.model.details() if out.model else None,
    }


def bench_world(guests: int, work: Path) -> dict[str, object]:
    from guestloyalty.config import Settings
    from guestloyalty.operations.pipeline import stage_generate, stage_ingest
    from guestloyalty.scoring.sentiment import score_sentiment
    from guestloyalty.transform import PRE_SCORING_GOLD, PRE_SCORING_SILVER, run_dbt
    from guestloyalty.warehouse import Layout, start_gold_build

    data_dir = work / f"world_{guests}"
    layout = Layout(data_dir)
    layout.ensure_dirs()
    settings = Settings(data_dir=data_dir)
    stage_generate(layout, guests=guests, seed=settings.seed, workers=os.cpu_count() or 1)
    stage_ingest(layout)
    start_gold_build(layout)
    began = time.perf_counter()
    run_dbt(layout, settings, selection=PRE_SCORING_SILVER)
    silver_seconds = time.perf_counter() - began
    import sklearn.linear_model  # noqa: F401 - training imports it anyway; not the stage's cost

    began, cpu = time.perf_counter(), cpu_seconds()
    result = score_sentiment(layout, settings)
    seconds, cpu_used = time.perf_counter() - began, cpu_seconds() - cpu
    began = time.perf_counter()
    run_dbt(layout, settings, selection=PRE_SCORING_GOLD)
    gold_seconds = time.perf_counter() - began
    return {
        "guests": guests,
        "reviews": result.reviews,
        "stage_seconds": round(seconds, 2),
        "stage_cpu_seconds": round(cpu_used, 2),
        "dbt_silver_seconds": round(silver_seconds, 2),
        "dbt_gold_seconds": round(gold_seconds, 2),
        "details": result.details(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=400_000)
    parser.add_argument("--world-guests", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    result: dict[str, object] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    if args.reviews:
        result["reviews"] = bench_reviews(args.reviews)
    if args.world_guests:
        work = args.keep or Path(tempfile.mkdtemp(prefix="bench_sentiment_"))
        try:
            result["world"] = bench_world(args.world_guests, work)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["cpus"] = os.cpu_count()
    result["target_seconds_at_1m"] = TARGET_SECONDS
    if args.json:
        print(json.dumps(result))
        return
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
