"""Model vs buy-till-you-die on real customer bases, measured on what happened next.

For each real data set (``../shared/data``, never copied into the repo):

1. ingest the raw file through its shipped mapping into a fresh data dir;
2. ``guestloyalty pipeline --no-generate --as-of D --horizon-days H`` there, as a new user
   would;
3. read the published gold ``guest_scores`` and compare each guest's scores with what the
   customer did in ``(D, D + H]``, computed from the raw file (not from silver): churned = no
   purchase, value = revenue (a purchase count for groceryElog, which has no amounts);
4. the same metrics for the promoted model and for the run's own BG/NBD x Gamma-Gamma
   columns (``p_no_stay_btyd``, ``clv_btyd``), plus whether the promoted model is the
   baseline fallback; beside each, the published reference figure of ``lifetimes`` on the
   same split (``../shared/data/README.md``) where there is one.

``synthetic`` is the default synthetic world and ``changing`` the changing one on its stays
alone (``generate --scenario changing``), each measured by ``guestloyalty backtest`` (as of
one horizon before the end of the data), which adds the oracle's churn AUC from the truth.

Run: ``python benchmarks/real_btyd.py [--sets cdnow grocery cdnow_sample synthetic changing]
[--keep DIR] [--out DIR]`` (``make bench-real``). Writes ``real_btyd.md`` and
``real_btyd.json`` under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from guestloyalty.operations.backtest import evaluate

ROOT = Path(__file__).resolve().parents[1]


def _find_shared() -> Path:
    """``shared/data`` beside the checkout or one of its parents (a worktree sits deeper)."""
    for parent in ROOT.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


SHARED = _find_shared()
MAPPINGS = ROOT / "mappings"
RESULTS = Path(__file__).resolve().parent / "results"
CLI = Path(sys.executable).with_name("guestloyalty")

Purchase = tuple[str, dt.date, float]


def read_cdnow_master(path: Path) -> list[Purchase]:
    """``customer_id date number_of_cds dollar_value``, blanks between, one header line."""
    out = []
    with path.open() as handle:
        next(handle)
        for line in handle:
            parts = line.split()
            if parts:
                out.append((parts[0], _yyyymmdd(parts[1]), float(parts[3])))
    return out


def read_cdnow_sample(path: Path) -> list[Purchase]:
    """``master_id sample_id date cds dollars``, no header; the guest is the master id."""
    out = []
    with path.open() as handle:
        for line in handle:
            parts = line.split()
            if parts:
                out.append((parts[0], _yyyymmdd(parts[2]), float(parts[4])))
    return out


def read_grocery(path: Path) -> list[Purchase]:
    """``cust,date`` (YYYY-MM-DD), one header line; every purchase is worth 1."""
    out = []
    with path.open() as handle:
        next(handle)
        for line in handle:
            line = line.strip()
            if line:
                cust, date = line.split(",")
                out.append((cust, dt.date.fromisoformat(date), 1.0))
    return out


def _yyyymmdd(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


@dataclass(frozen=True)
class RealSet:
    """A raw file, the mapping that loads it, the split, and the published reference."""

    name: str
    title: str
    path: Path
    mapping: Path
    reader: Callable[[Path], list[Purchase]]
    as_of: dt.date
    horizon_days: int
    value: str  # what the CLV columns hold: "spend" or "count"
    #: lifetimes' figures on the same split (../shared/data/README.md); metric -> value
    reference: dict[str, float] = field(default_factory=dict)
    reference_note: str = ""


REAL_SETS: dict[str, RealSet] = {
    "cdnow": RealSet(
        name="cdnow",
        title="CDNOW master (23,570 customers)",
        path=SHARED / "cdnow" / "CDNOW_master.txt",
        mapping=MAPPINGS / "cdnow_stays.yaml",
        reader=read_cdnow_master,
        as_of=dt.date(1997, 9, 30),
        horizon_days=273,
        value="spend",
        reference={"btyd_churn_auc": 0.747},
        reference_note="lifetimes' churn AUC on the master file as quoted in issue 15; "
        "../shared/data/README.md has figures for the 2,357-customer sample only "
        "(see cdnow_sample)",
    ),
    "cdnow_sample": RealSet(
        name="cdnow_sample",
        title="CDNOW sample (2,357 customers)",
        path=SHARED / "cdnow" / "CDNOW_sample.txt",
        mapping=MAPPINGS / "cdnow_sample_stays.yaml",
        reader=read_cdnow_sample,
        as_of=dt.date(1997, 9, 30),
        horizon_days=273,
        value="spend",
        reference={
            "btyd_churn_auc": 0.757,
            "btyd_clv_mae": 30.41,
            "btyd_clv_spearman": 0.426,
            "btyd_clv_predicted_total": 59933.0,
            "actual_total": 70976.0,
        },
        reference_note="BG/NBD x Gamma-Gamma on the sample, ../shared/data/README.md",
    ),
    "grocery": RealSet(
        name="grocery",
        title="groceryElog (1,525 customers; value = purchase count)",
        path=SHARED / "grocery" / "groceryElog.csv",
        mapping=MAPPINGS / "grocery_stays.yaml",
        reader=read_grocery,
        as_of=dt.date(2006, 12, 31),
        horizon_days=364,
        value="count",
        reference={
            "btyd_churn_auc": 0.859,
            "btyd_clv_spearman": 0.633,
            "btyd_clv_mae": 1.577,
            "btyd_clv_predicted_total": 3996.0,
            "actual_total": 3389.0,
        },
        reference_note="lifetimes 0.11.3 BG/NBD, calibration 2006, holdout 2007, "
        "../shared/data/README.md",
    ),
}

ALL_SETS = [*REAL_SETS, "synthetic", "changing"]
DEFAULT_SETS = ["cdnow", "grocery", "cdnow_sample", "synthetic", "changing"]


def outcomes(
    purchases: Iterable[Purchase], *, as_of: dt.date, horizon_days: int
) -> tuple[set[str], dict[str, tuple[int, float]]]:
    """Customers with a purchase on or before ``as_of``; purchases and value in the horizon."""
    end = as_of + dt.timedelta(days=horizon_days)
    known: set[str] = set()
    after: dict[str, tuple[int, float]] = {}
    for customer, date, value in purchases:
        if date <= as_of:
            known.add(customer)
        elif date <= end:
            count, total = after.get(customer, (0, 0.0))
            after[customer] = (count + 1, total + value)
    return known, after


def read_scores(gold_path: Path) -> dict[str, object]:
    """guest_scores and the promoted churn model's registry row from a published gold."""
    with duckdb.connect(str(gold_path), read_only=True) as con:
        columns = {row[0] for row in con.sql("describe guest_scores").fetchall()}
        clv = "clv_horizon" if "clv_horizon" in columns else "clv_horizon"
        table = con.sql(
            f"select guest_id, churn_probability, {clv} as clv, p_no_stay_btyd, clv_btyd, "
            "model_mode, model_version from guest_scores order by guest_id"
        ).fetchnumpy()
        registry = con.sql(
            "select model_name, algorithm, note from model_registry "
            "where is_promoted and model_name in ('churn', 'clv') order by model_name"
        ).fetchall()
        as_of = con.sql("select max(as_of_date) from guest_scores").fetchall()[0][0]
    return {"table": table, "registry": registry, "as_of": as_of, "clv_column": clv}


def compare(
    scores: dict[str, object], known: set[str], after: dict[str, tuple[int, float]]
) -> dict[str, object]:
    """Every metric for the promoted model and the baseline on the same guests."""
    table = scores["table"]
    guest_ids = np.asarray(table["guest_id"], dtype=object)
    churned = np.array([0.0 if g in after else 1.0 for g in guest_ids])
    value = np.array([after.get(g, (0, 0.0))[1] for g in guest_ids])
    figures = evaluate(
        guest_ids=guest_ids,
        churned=churned,
        revenue=value,
        churn_model=_floats(table["churn_probability"]),
        churn_btyd=_floats(table["p_no_stay_btyd"]),
        clv_model=_floats(table["clv"]),
        clv_btyd=_floats(table["clv_btyd"]),
    )
    scored = set(guest_ids.tolist())
    modes = sorted(set(np.asarray(table["model_mode"], dtype=object).tolist()))
    return {
        "guests_scored": len(guest_ids),
        "customers_before_as_of": len(known),
        "scored_not_in_file": len(scored - known),
        "in_file_not_scored": len(known - scored),
        "model_mode": ",".join(modes),
        "is_fallback": modes == ["btyd"],
        "model_version": str(table["model_version"][0]) if len(guest_ids) else None,
        "promoted": [
            {"model": name, "algorithm": algorithm, "note": note}
            for name, algorithm, note in scores["registry"]
        ],
        "clv_column": scores["clv_column"],
        **figures,
    }


def _floats(values: object) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == object:
        return np.array([np.nan if v is None else float(v) for v in array], dtype=np.float64)
    return np.ma.filled(np.ma.asarray(array, dtype=np.float64), np.nan)


def _run(cmd: list[str], log: Path, *, timeout: float) -> float:
    started = time.perf_counter()
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(cmd)}\n")
        handle.flush()
        done = subprocess.run(
            cmd, stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False
        )
    if done.returncode != 0:
        tail = log.read_text().splitlines()[-15:]
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}):\n" + "\n".join(tail))
    return time.perf_counter() - started


def run_real(spec: RealSet, work: Path, *, timeout: float) -> dict[str, object]:
    """Ingest, run the pipeline as of the split date, compare with the raw file."""
    if not spec.path.exists():
        raise FileNotFoundError(f"{spec.path} not found (the real data live in ../shared/data)")
    data = work / spec.name
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    log = work / f"{spec.name}.log"
    log.write_text("")
    cli = str(CLI)
    ingest_s = _run(
        [cli, "ingest", str(spec.path), "--mapping", str(spec.mapping), "--data-dir", str(data)],
        log,
        timeout=timeout,
    )
    pipeline_s = _run(
        [
            cli,
            "pipeline",
            "--no-generate",
            "--as-of",
            spec.as_of.isoformat(),
            "--horizon-days",
            str(spec.horizon_days),
            "--data-dir",
            str(data),
        ],
        log,
        timeout=timeout,
    )
    purchases = spec.reader(spec.path)
    data_end = max(date for _, date, _ in purchases)
    known, after = outcomes(purchases, as_of=spec.as_of, horizon_days=spec.horizon_days)
    scores = read_scores(data / "gold" / "gold.duckdb")
    result = compare(scores, known, after)
    horizon_end = spec.as_of + dt.timedelta(days=spec.horizon_days)
    return {
        "set": spec.name,
        "title": spec.title,
        "file": str(spec.path),
        "mapping": str(spec.mapping.relative_to(ROOT)),
        "as_of": spec.as_of.isoformat(),
        "horizon_days": spec.horizon_days,
        "data_end": data_end.isoformat(),
        "horizon_observed": data_end >= horizon_end,
        "value": spec.value,
        "ingest_seconds": round(ingest_s, 1),
        "pipeline_seconds": round(pipeline_s, 1),
        "reference": spec.reference,
        "reference_note": spec.reference_note,
        **result,
    }


@dataclass(frozen=True)
class SyntheticSet:
    """A generated world measured by ``guestloyalty backtest`` (with its oracle)."""

    name: str
    title: str
    generate: tuple[str, ...]  # options of ``guestloyalty generate``
    stays_only: bool = False  # keep only the stays export, like a purchase log


SYNTHETIC_SETS: dict[str, SyntheticSet] = {
    "synthetic": SyntheticSet(
        "synthetic", "default synthetic world (guestloyalty backtest)", ("--guests", "30000")
    ),
    "changing": SyntheticSet(
        "changing",
        "changing synthetic world, stays only (20,000 people; guestloyalty backtest)",
        ("--guests", "20000", "--scenario", "changing"),
        stays_only=True,
    ),
}


def run_synthetic(spec: SyntheticSet, work: Path, *, timeout: float) -> dict[str, object]:
    """Generate, pipeline (as of the end of the data), then ``guestloyalty backtest``."""
    data = work / spec.name
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    log = work / f"{spec.name}.log"
    log.write_text("")
    cli = str(CLI)
    _run([cli, "generate", *spec.generate, "--data-dir", str(data)], log, timeout=timeout)
    if spec.stays_only:
        for folder in (data / "bronze" / "landing").iterdir():
            if folder.name != "stays":
                shutil.rmtree(folder)
    pipeline_s = _run(
        [cli, "pipeline", "--no-generate", "--data-dir", str(data)], log, timeout=timeout
    )
    out = work / f"{spec.name}_backtest.json"
    started = time.perf_counter()
    with out.open("w") as handle, log.open("a") as errors:
        done = subprocess.run(
            [cli, "backtest", "--json", "--data-dir", str(data)],
            stdout=handle,
            stderr=errors,
            env={**os.environ, "DO_NOT_TRACK": "1"},
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"backtest failed ({done.returncode}); see {log}")
    text = out.read_text()
    result = json.loads(text[text.index("{") :])
    return {
        "set": spec.name,
        "title": spec.title,
        "as_of": result["as_of"],
        "horizon_days": result["horizon_days"],
        "data_end": result["data_end"],
        "value": "spend",
        "guests_scored": result["guests"],
        "model_mode": result["mode"],
        "is_fallback": result["mode"] == "btyd",
        "model_version": result["model_version"],
        "pipeline_seconds": round(pipeline_s, 1),
        "backtest_seconds": round(time.perf_counter() - started, 1),
        "churn": result["churn"],
        "clv": result["clv"],
        "notes": result["notes"],
    }


# ---------------------------------------------------------------------------------- table

ROWS = [
    ("churn AUC", "churn", "auc", "higher"),
    ("churn Brier", "churn", "brier", "lower"),
    ("{value} MAE", "clv", "mae", "lower"),
    ("{value} Spearman", "clv", "spearman", "higher"),
    ("top-10% {value} capture", "clv", "capture_top10", "higher"),
    ("predicted total", "clv", "predicted_total", "closer"),
]


def _num(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}"


def _verdict(model: float | None, base: float | None, better: str, actual: float) -> str:
    if model is None or base is None:
        return ""
    if better == "closer":
        model, base = -abs(model - actual), -abs(base - actual)
    elif better == "lower":
        model, base = -model, -base
    if math.isclose(model, base, rel_tol=1e-6, abs_tol=1e-9):
        return "tie"
    return "model" if model > base else "**BTYD**"


def render_set(result: dict[str, object]) -> str:
    """One markdown table: model vs baseline (vs oracle / reference) per metric."""
    if "error" in result:
        return f"### {result['set']}\n\nfailed: {result['error']}\n"
    value = "count" if result["value"] == "count" else "spend"
    churn, clv = result["churn"], result["clv"]
    actual = clv["model"]["actual_total"]
    reference = result.get("reference", {})
    has_oracle = "oracle" in churn
    head = "| metric | promoted model | BG/NBD × GG (`*_btyd`) | better |"
    rule = "|---|---:|---:|---|"
    if has_oracle:
        head += " oracle |"
        rule += "---:|"
    if reference:
        head += " lifetimes (reference) |"
        rule += "---:|"
    lines = [
        f"### {result['title']}",
        "",
        f"as of {result['as_of']}, horizon {result['horizon_days']} days (data end "
        f"{result['data_end']}); {result['guests_scored']:,} guests scored; promoted model "
        f"`{result['model_mode']}`" + (" — **the BTYD fallback**" if result["is_fallback"] else ""),
        "",
        head,
        rule,
    ]
    for label, task, metric, better in ROWS:
        model = churn["model"].get(metric) if task == "churn" else clv["model"].get(metric)
        table = churn if task == "churn" else clv
        base = table.get("btyd", {}).get(metric)
        row = (
            f"| {label.format(value=value)} | {_num(model)} | {_num(base)} | "
            f"{_verdict(model, base, better, actual)} |"
        )
        if has_oracle:
            row += f" {_num(churn['oracle'].get(metric)) if task == 'churn' else ''} |"
        if reference:
            row += f" {_num(reference.get(f'btyd_{task}_{metric}'))} |"
        lines.append(row)
    actual_row = f"| actual total | {_num(actual)} | | |"
    if has_oracle:
        actual_row += " |"
    if reference:
        actual_row += f" {_num(reference.get('actual_total'))} |"
    lines.append(actual_row)
    extra = []
    if has_oracle and "auc_share_of_oracle" in churn["model"]:
        extra.append(f"model churn AUC / oracle = {churn['model']['auc_share_of_oracle']:.3f}")
    if result.get("in_file_not_scored") or result.get("scored_not_in_file"):
        extra.append(
            f"customers in the file but not scored: {result['in_file_not_scored']}; "
            f"scored but not in the file: {result['scored_not_in_file']}"
        )
    if result.get("horizon_observed") is False:
        extra.append("the data end before as_of + horizon: churn is overstated")
    for row in result.get("promoted", []):
        if row.get("note"):
            extra.append(f"promoted {row['model']}: {row['algorithm']} — {row['note']}")
            break
    if result.get("reference_note"):
        extra.append(f"reference: {result['reference_note']}")
    lines += ["", *[f"- {line}" for line in extra]]
    return "\n".join(lines) + "\n"


def render(results: list[dict[str, object]], *, commit: str, started: str) -> str:
    return (
        f"# Model vs buy-till-you-die on real data\n\n{started}, commit `{commit}`.\n\n"
        + "\n".join(render_set(r) for r in results)
    )


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=ALL_SETS, default=DEFAULT_SETS)
    parser.add_argument("--keep", type=Path, help="work (and keep the data dirs) here")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    args = parser.parse_args(argv)

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    work = args.keep or Path(tempfile.mkdtemp(prefix="real-btyd-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for name in args.sets:
            print(f"[real_btyd] {name} ...", flush=True)
            try:
                if name in SYNTHETIC_SETS:
                    result = run_synthetic(SYNTHETIC_SETS[name], work, timeout=args.timeout)
                else:
                    result = run_real(REAL_SETS[name], work, timeout=args.timeout)
            except (OSError, RuntimeError, subprocess.TimeoutExpired) as error:
                result = {"set": name, "error": str(error)}
            results.append(result)
            print(render_set(result), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "real_btyd.json").write_text(json.dumps(results, indent=2, default=str))
    (args.out / "real_btyd.md").write_text(render(results, commit=_commit(), started=started))
    print(f"[real_btyd] wrote {args.out / 'real_btyd.md'}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
