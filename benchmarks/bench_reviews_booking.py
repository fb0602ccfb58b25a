"""Review sentiment on real reviews with the score withheld: Booking.com through the pipeline.

    .venv/bin/python benchmarks/bench_reviews_booking.py [--reviews CSV] [--seeds 0 1 2 3 4]
                                                         [--withhold 0.3] [--json] [--keep DIR]

For each seed, in a fresh data directory:

1. the export as stays (``mappings/booking_reviews_stays.yaml``: one guest and one stay per
   reviewer) and a copy of it as reviews (``mappings/booking_reviews.yaml``) in which
   ``Reviewer_Score`` is blanked for a seeded ``--withhold`` share of the rows;
2. ``guestloyalty ingest`` of both and ``guestloyalty transform`` (silver, the sentiment stage,
   the pre-scoring gold marts), in-process, the functions the CLI calls;
3. on the withheld reviews only: Spearman(sentiment, Reviewer_Score) and the AUC of
   -sentiment for a score below 5, beside the same run with every score withheld (the lexicon
   fallback) for reference.

The pipeline stops after ``transform``: with one stay per reviewer no guest ever returns, so
churn training has one class and nothing to learn (``train`` says so and stops). Targets
(issue 18): Spearman >= 0.65, AUC >= 0.83. Default input: ``../shared/data/reviews_booking/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_BOOKING = Path("shared/data/reviews_booking/booking_reviews_britannia_canary_wharf.csv")
#: ../shared beside the checkout (a worktree one level deeper looks one more level up)
DEFAULT_REVIEWS = next(
    (base / _BOOKING for base in (ROOT.parent, ROOT.parent.parent) if (base / _BOOKING).is_file()),
    ROOT.parent / _BOOKING,
)
TARGET_SPEARMAN = 0.65
TARGET_AUC = 0.83


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pl.Series(a).rank("average").to_numpy()
    rb = pl.Series(b).rank("average").to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def auc(positive: np.ndarray, score: np.ndarray) -> float:
    """AUC of ``score`` for the ``positive`` class (ties count half)."""
    ranks = pl.Series(score).rank("average").to_numpy()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def run_once(reviews_csv: Path, work: Path, *, seed: int, withhold: float) -> dict[str, object]:
    """One data dir: ingest stays + (partly withheld) reviews, transform, measure."""
    import duckdb

    from guestloyalty.config import Settings
    from guestloyalty.ingest import ingest_paths, load_mapping, raise_for_failures
    from guestloyalty.operations.pipeline import stage_transform
    from guestloyalty.warehouse import Layout

    raw = pl.read_csv(reviews_csv, infer_schema=False)
    held = np.random.default_rng(seed).random(raw.height) < withhold
    blanked = raw.with_columns(
        Reviewer_Score=pl.when(pl.Series(held)).then(None).otherwise(pl.col("Reviewer_Score"))
    )
    data_dir = work / f"seed_{seed}"
    layout = Layout(data_dir)
    layout.ensure_dirs()
    inputs = work / f"inputs_{seed}"
    inputs.mkdir(parents=True, exist_ok=True)
    stays_file = inputs / "stays.csv"
    reviews_file = inputs / "reviews.csv"
    shutil.copyfile(reviews_csv, stays_file)
    blanked.write_csv(reviews_file)

    began = time.perf_counter()
    for path, mapping in (
        (stays_file, ROOT / "mappings" / "booking_reviews_stays.yaml"),
        (reviews_file, ROOT / "mappings" / "booking_reviews.yaml"),
    ):
        raise_for_failures(ingest_paths(layout, [path], mapping=load_mapping(mapping)))
    ingest_seconds = time.perf_counter() - began
    began = time.perf_counter()
    details = stage_transform(layout, Settings(data_dir=data_dir, seed=seed))
    transform_seconds = time.perf_counter() - began

    with duckdb.connect(str(layout.gold_build_path), read_only=True) as con:
        scored = con.sql(
            "select review_id, sentiment, method from review_sentiment order by review_id"
        ).pl()
        topics = con.sql(
            "select topic, cast(sum(mentions) as bigint) as mentions, "
            "cast(sum(negative_mentions) as bigint) as negative "
            "from review_topics_by_property group by topic order by mentions desc"
        ).pl()
    truth = raw.select(
        pl.format("BKG-R{}", pl.int_range(1, pl.len() + 1)).alias("review_id"),
        pl.col("Reviewer_Score").cast(pl.Float64).alias("score"),
        pl.Series("held", held),
    )
    joined = truth.join(scored, on="review_id", how="left")
    missing = joined["sentiment"].null_count()
    # a withheld review with neither text nor score has no sentiment (method none): left out
    withheld = joined.filter(pl.col("held") & pl.col("sentiment").is_not_null())
    s = withheld["sentiment"].to_numpy()
    score = withheld["score"].to_numpy()
    return {
        "seed": seed,
        "reviews": raw.height,
        "withheld": int(held.sum()),
        "withheld_without_sentiment": int(held.sum()) - withheld.height,
        "reviews_without_sentiment": missing,
        "methods": dict(withheld.group_by("method").len().iter_rows()),
        "spearman": round(spearman(s, score), 4),
        "auc_below_5": round(auc(score < 5, -s), 4),
        "negative_share_withheld": round(float((score < 5).mean()), 4),
        "text_model": {k: v for k, v in details.items() if k.startswith("text_model_")},
        "sentiment_seconds": details.get("sentiment_seconds"),
        "ingest_seconds": round(ingest_seconds, 2),
        "transform_seconds": round(transform_seconds, 2),
        "top_topics": topics.head(6).rows(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=Path, default=DEFAULT_REVIEWS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--withhold", type=float, default=0.3)
    parser.add_argument("--no-lexicon", action="store_true", help="skip the lexicon reference run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", type=Path, help="work here and keep the data dirs")
    args = parser.parse_args()
    if not args.reviews.is_file():
        sys.exit(f"{args.reviews}: not found (see ../shared/data/README.md)")
    os.environ.setdefault("DO_NOT_TRACK", "1")

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_reviews_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        runs = []
        for seed in args.seeds:
            runs.append(run_once(args.reviews, work, seed=seed, withhold=args.withhold))
            print(json.dumps(runs[-1], default=str), file=sys.stderr, flush=True)
        lexicon = None
        if not args.no_lexicon:
            lexicon = run_once(args.reviews, work / "lexicon", seed=args.seeds[0], withhold=1.0)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "reviews_file": str(args.reviews),
        "withhold": args.withhold,
        "runs": runs,
        "lexicon_all_withheld": lexicon,
        "targets": {"spearman": TARGET_SPEARMAN, "auc_below_5": TARGET_AUC},
        "passed": all(
            run["spearman"] >= TARGET_SPEARMAN and run["auc_below_5"] >= TARGET_AUC for run in runs
        ),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result, default=str))
        return
    print("seed  withheld  spearman  auc(<5)  methods  sentiment_s")
    for run in runs:
        print(
            f"{run['seed']:>4}  {run['withheld']:>8}  {run['spearman']:>8.4f}  "
            f"{run['auc_below_5']:>7.4f}  {run['methods']}  {run['sentiment_seconds']}"
        )
    if lexicon is not None:
        print(
            f"lexicon (all {lexicon['withheld']} withheld): spearman {lexicon['spearman']:.4f}, "
            f"auc {lexicon['auc_below_5']:.4f}"
        )
    print(f"top topics (seed {runs[0]['seed']}): {runs[0]['top_topics']}")
    print(f"targets: spearman >= {TARGET_SPEARMAN}, auc >= {TARGET_AUC}: passed {result['passed']}")


if __name__ == "__main__":
    main()
