"""Wall-clock of `guestloyalty score-guest ID` from the shell, start-up included.

    .venv/bin/python benchmarks/bench_score_guest.py --data-dir data [--guests 100] [--json]

Picks ``--guests`` guest ids from the published gold (spread over the CLV ranking), runs the
console script once per guest as a fresh process, and prints p50 / p95 / max wall seconds,
the process's CPU seconds (user + system, which other work on the machine does not inflate)
and the load average. The target (issue 22) is a p95 of at most 0.25 s wall on a 2-core
machine. Needs a published gold (`make pipeline`).

The package's bytecode is compiled first (``compileall``), as an installed package has it:
with ``PYTHONDONTWRITEBYTECODE`` set, an editable checkout would otherwise compile every
module from source in every process (~0.03 s).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _guest_ids(data_dir: Path, count: int) -> list[str]:
    import duckdb

    gold = data_dir / "gold" / "gold.duckdb"
    if not gold.exists():
        sys.exit(f"{gold} does not exist: run `make pipeline` (or pass --data-dir)")
    with duckdb.connect(str(gold), read_only=True) as con:
        ids = [
            row[0]
            for row in con.sql(
                "select guest_id from guest_scores order by clv_horizon desc, guest_id"
            ).fetchall()
        ]
    step = max(1, len(ids) // count)
    return ids[::step][:count]


TARGET_P95_S = 0.25


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="time `--json` output instead")
    args = parser.parse_args()

    script = shutil.which("guestloyalty", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "guestloyalty"]
    ids = _guest_ids(args.data_dir, args.guests)
    import guestloyalty

    compileall.compile_dir(Path(guestloyalty.__file__).parent, quiet=1)
    # one warm-up run so the first measurement does not pay for a cold page cache
    subprocess.run(
        [*command, "score-guest", ids[0], "--data-dir", str(args.data_dir)],
        capture_output=True,
        check=True,
    )
    seconds, cpu = [], []
    for guest_id in ids:
        extra = ["--json"] if args.json else []
        before = os.times()
        began = time.perf_counter()
        subprocess.run(
            [*command, "score-guest", guest_id, "--data-dir", str(args.data_dir), *extra],
            capture_output=True,
            check=True,
        )
        seconds.append(time.perf_counter() - began)
        after = os.times()
        cpu.append(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system)
        )
    result = {
        "guests": len(seconds),
        "p50_s": round(statistics.median(seconds), 3),
        "p95_s": round(_percentile(seconds, 0.95), 3),
        "max_s": round(max(seconds), 3),
        "mean_s": round(statistics.fmean(seconds), 3),
        # CPU seconds of the process (user + system): what the machine's load cannot inflate
        "cpu_p50_s": round(statistics.median(cpu), 3),
        "cpu_p95_s": round(_percentile(cpu, 0.95), 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_p95_s": TARGET_P95_S,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
