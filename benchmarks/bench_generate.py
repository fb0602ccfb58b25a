"""Benchmark: generate a synthetic world (default 1,000,000 guests) and report time and memory.

    .venv/bin/python benchmarks/bench_generate.py [--guests N] [--workers W] [--format F]

Target (issue 3): 1,000,000 guests with their bookings, stays and events in at most 60 s on
2 cores, peak memory under 6 GiB. Peak memory is the largest resident set of this process or
of any worker (``resource.getrusage``), measured on Linux (ru_maxrss in KiB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from guestloyalty.synth.world import WorldSpec, write_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--format", dest="file_format", default="parquet")
    parser.add_argument("--dirty-rate", type=float, default=0.002)
    parser.add_argument("--out", type=Path, default=None, help="Keep the files here.")
    args = parser.parse_args()

    spec = WorldSpec(
        guests=args.guests,
        seed=args.seed,
        dirty_rate=args.dirty_rate,
        file_format=args.file_format,
    )
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        root = args.out or Path(tmp)
        began = time.perf_counter()
        result = write_world(
            spec,
            root / "landing",
            truth_path=root / "truth" / "truth.parquet",
            workers=args.workers,
            progress=lambda done, total: print(
                f"  chunk {done}/{total} at {time.perf_counter() - began:.1f}s", flush=True
            ),
        )
        seconds = time.perf_counter() - began
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = {
        "guests": args.guests,
        "workers": args.workers,
        "format": args.file_format,
        "seconds": round(seconds, 1),
        "peak_rss_gib_main": round(own / 2**20, 2),
        "peak_rss_gib_largest_worker": round(children / 2**20, 2),
        "peak_rss_gib_total_bound": round((own + args.workers * children) / 2**20, 2),
        "rows": result.rows,
        "bytes_written": size,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
