"""The whole pipeline on Spark local mode next to DuckDB, on one world and one machine.

    .venv/bin/python benchmarks/bench_spark.py [--guests 100000] [--master local[*]]
                                              [--shuffle-partitions 8] [--keep DIR]

Generates one world, copies its landing files into two data dirs and runs
``run_pipeline`` on each, DuckDB first, then Spark, each in a fresh process (Spark's session
is per process), with the same seed and hash key. Prints wall seconds per stage for both,
the load average before and after, and writes ``benchmarks/results/bench_spark.json``.
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

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

RUN = """
import json, sys, time
from pathlib import Path
from guestloyalty.config import Settings
from guestloyalty.operations.pipeline import run_pipeline
from guestloyalty.warehouse import Layout

data_dir, engine, master, partitions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
settings = Settings(
    data_dir=Path(data_dir), seed=42, hash_key="bench-spark", engine=engine,
    spark_master=master, spark_conf={"spark.sql.shuffle.partitions": partitions},
)
started = time.perf_counter()
report = run_pipeline(Layout(Path(data_dir)), settings, generate=False, report=lambda _: None)
print(json.dumps({"status": report.status, "wall_s": round(time.perf_counter() - started, 1),
                  "stage_seconds": report.stage_seconds}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=100_000)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--shuffle-partitions", default="8")
    parser.add_argument("--keep", type=Path, default=None, help="keep the data dirs here")
    args = parser.parse_args()

    from guestloyalty.operations.pipeline import stage_generate
    from guestloyalty.warehouse import Layout

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_spark_"))
    world = Layout(root / "world")
    world.ensure_dirs()
    started = time.perf_counter()
    stage_generate(world, guests=args.guests, seed=42, workers=os.cpu_count() or 1)
    results: dict[str, object] = {
        "guests": args.guests,
        "generate_s": round(time.perf_counter() - started, 1),
        "master": args.master,
        "shuffle_partitions": args.shuffle_partitions,
        "cpus": os.cpu_count(),
    }
    try:
        for engine in ("duckdb", "spark"):
            layout = Layout(root / engine)
            layout.ensure_dirs()
            shutil.copytree(world.landing_dir, layout.landing_dir, dirs_exist_ok=True)
            load_before = os.getloadavg()
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    RUN,
                    str(layout.data_dir),
                    engine,
                    args.master,
                    args.shuffle_partitions,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if run.returncode != 0:
                raise SystemExit(f"{engine} failed:\n{run.stderr[-3000:]}")
            outcome = json.loads(run.stdout.strip().splitlines()[-1])
            outcome["load_before"] = [round(x, 2) for x in load_before]
            outcome["load_after"] = [round(x, 2) for x in os.getloadavg()]
            results[engine] = outcome
            print(engine, json.dumps(outcome), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_spark.json").write_text(json.dumps(results, indent=2))
    duck, spark = results["duckdb"], results["spark"]
    print(f"\n{'stage':<14}{'duckdb s':>10}{'spark s':>10}")
    for stage in spark["stage_seconds"]:  # type: ignore[index]
        print(
            f"{stage:<14}{duck['stage_seconds'].get(stage, 0):>10.1f}"  # type: ignore[index]
            f"{spark['stage_seconds'][stage]:>10.1f}"  # type: ignore[index]
        )
    print(f"{'wall':<14}{duck['wall_s']:>10.1f}{spark['wall_s']:>10.1f}")  # type: ignore[index]


if __name__ == "__main__":
    main()
