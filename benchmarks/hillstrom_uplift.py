"""Uplift on a real randomized e-mail test: Hillstrom (MineThatData, 2008), Qini AUC.

The protocol of the reference figures in ``../shared/data/README.md`` (scikit-uplift 0.5.1):
treatment = any e-mail (men's or women's) vs none, outcome ``visit``, five 70/30 splits
stratified by treatment x outcome (``train_test_split(..., random_state=0..4)``), Qini AUC as
``sklift.metrics.qini_auc_score`` (re-implemented in
:mod:`guestloyalty.evaluation.uplift_metrics`, checked against sklift's source).

Rows: ``guestloyalty.uplift.UpliftModel`` with its own learner selection (cross-validated on
the 70 % only), the anchor (two logistic models, which must land near the README's 0.041),
and a random ranking. Features: recency, history, mens, womens, newbie, and one column per
value of history_segment, zip_code and channel.

Run: ``python benchmarks/hillstrom_uplift.py [--splits 5] [--out benchmarks/results]``.
Writes ``hillstrom_uplift.md`` and ``.json`` there. Data read from ``../shared/data``, never
copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

from guestloyalty.uplift import UpliftModel, qini_auc_score, uplift_at_k

ROOT = Path(__file__).resolve().parents[1]
FILE = "hillstrom/Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv"
NUMERIC = ("recency", "history", "mens", "womens", "newbie")
CATEGORICAL = ("history_segment", "zip_code", "channel")
#: README figures (scikit-uplift 0.5.1, same protocol): mean Qini AUC.
REFERENCE = {"two models, logistic regression": 0.041, "random ranking": 0.001}
TARGET = 0.041


def shared_data() -> Path:
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


def load(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features, treatment (any e-mail), outcome (visit), feature names."""
    data = duckdb.sql(f"select * from read_csv('{path}', header = true)").fetchnumpy()
    columns, names = [], []
    for name in NUMERIC:
        columns.append(np.asarray(data[name], dtype=np.float64))
        names.append(name)
    for name in CATEGORICAL:
        values = np.asarray(data[name]).astype(str)
        for value in sorted(set(values)):
            columns.append((values == value).astype(np.float64))
            names.append(f"{name}={value}")
    treatment = (np.asarray(data["segment"]).astype(str) != "No E-Mail").astype(np.int64)
    outcome = np.asarray(data["visit"], dtype=np.int64)
    return np.column_stack(columns), treatment, outcome, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--data", type=Path, default=None, help="the Hillstrom CSV")
    args = parser.parse_args(argv)
    from sklearn.model_selection import train_test_split

    path = args.data or shared_data() / FILE
    if not path.exists():
        print(f"error: {path} not found", file=sys.stderr)
        return 2
    X, t, y, _ = load(path)
    load_before = os.getloadavg()
    rows: dict[str, list[float]] = {
        "UpliftModel (selected)": [],
        "two models, logistic regression": [],
        "random ranking": [],
    }
    at30: dict[str, list[float]] = {name: [] for name in rows}
    chosen: list[str] = []
    started = time.perf_counter()
    for split in range(args.splits):
        X_tr, X_te, y_tr, y_te, t_tr, t_te = train_test_split(
            X, y, t, test_size=0.3, stratify=t * 2 + y, random_state=split
        )
        model = UpliftModel(random_state=split).fit(X_tr, t_tr, y_tr)
        anchor = UpliftModel(learners=("two_model_logistic",)).fit(X_tr, t_tr, y_tr)
        random = np.random.default_rng(split).random(len(y_te))
        for name, score in (
            ("UpliftModel (selected)", model.predict(X_te)),
            ("two models, logistic regression", anchor.predict(X_te)),
            ("random ranking", random),
        ):
            rows[name].append(qini_auc_score(y_te, score, t_te))
            at30[name].append(uplift_at_k(y_te, score, t_te, k=0.3))
        chosen.append(model.learner_)
        cv = ", ".join(f"{k} {v:.4f}" for k, v in model.scores_.items())
        print(
            f"split {split}: selected {model.learner_} (cv Qini: {cv}); "
            f"test Qini {rows['UpliftModel (selected)'][-1]:.4f}, "
            f"anchor {rows['two models, logistic regression'][-1]:.4f}",
            flush=True,
        )
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()
    lines = [
        "| learner | Qini AUC mean ± sd | per split | uplift@30% | README |",
        "|---|---|---|---|---|",
    ]
    for name, values in rows.items():
        ref = REFERENCE.get(name)
        lines.append(
            f"| {name} | {np.mean(values):.4f} ± {np.std(values, ddof=1):.4f} | "
            + " ".join(f"{v:.4f}" for v in values)
            + f" | {np.mean(at30[name]):.3f} | {'' if ref is None else ref} |"
        )
    mean = float(np.mean(rows["UpliftModel (selected)"]))
    verdict = "met" if mean >= TARGET else "short"
    lines.append("")
    lines.append(
        f"Selected learners: {', '.join(chosen)}. Target mean Qini ≥ {TARGET}: {verdict} "
        f"({mean:.4f}). {seconds:.0f} s, load average {load_before[0]:.1f} → {load_after[0]:.1f}."
    )
    report = "\n".join(lines)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hillstrom_uplift.md").write_text(report + "\n")
    (args.out / "hillstrom_uplift.json").write_text(
        json.dumps(
            {
                "qini": rows,
                "uplift_at_30": at30,
                "selected": chosen,
                "seconds": seconds,
                "load": [load_before[0], load_after[0]],
            },
            indent=2,
        )
    )
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    raise SystemExit(main())
