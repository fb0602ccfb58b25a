"""`make bench`: the whole pipeline at 100,000 and 1,000,000 guests, beside a floor.

    .venv/bin/python benchmarks/run_all.py [--sizes 100000 1000000] [--quick] [--keep DIR]
                                           [--no-floor] [--no-extras] [--timeout S]

For each size, in a fresh temporary data dir and a fresh process (so memory is per size):

1. ``generate`` a synthetic world (default mix, ``pipeline.stage_generate`` on every core);
2. ``run_pipeline`` on it (ingest -> dbt -> train -> score -> post-scoring dbt -> publish),
   the same function ``guestloyalty pipeline`` calls; the dbt stage is split into start-up,
   silver (staging + intermediate) and gold (marts) from dbt's own ``run_results.json``, so
   dbt is still invoked once;
3. the floor (``benchmarks/floor.py``: plain DuckDB SQL for the core guest features over the
   same landing files and one xgboost fit), in its own process.

It records wall seconds per stage, rows per layer, the peak resident memory of the whole
process tree (sampled from /proc every 0.2 s; ``ru_maxrss`` where /proc is missing), file
sizes, the pipeline/floor ratio and how each stage grows from one size to the next. Then,
unless ``--no-extras``, it runs the other benchmarks for the remaining targets (BTYD fit on
1M customers, ``score-guest`` p95 on the smallest size's gold, 10M-stay CSV ingest when
``benchmarks/bench_ingest.py`` exists).

Writes ``benchmarks/results/bench.json`` and ``bench.md`` (git-ignored) and prints the table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000,)
GIB = 2**30

#: Targets of issue 22 (seconds / bytes; BTYD fit and 10M-stay ingest from issue 8).
TARGETS = {
    "end_to_end_s": {100_000: 25.0, 1_000_000: 120.0},
    "peak_rss_bytes": {1_000_000: 6 * GIB},
    "floor_ratio": {1_000_000: 10.0},
    "btyd_fit_s": 3.0,
    "score_guest_p95_s": 0.25,
    "ingest_10m_stays_s": 60.0,
}


# --------------------------------------------------------------------------------------------
# memory: peak RSS of a process tree


class TreeRss:
    """Samples the summed RSS of a process and its descendants in a background thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self, pid: int) -> list[int]:
        pids, todo = [], [pid]
        while todo:
            current = todo.pop()
            pids.append(current)
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{current}/task"):
                    with open(f"/proc/{current}/task/{task}/children") as handle:
                        todo.extend(int(child) for child in handle.read().split())
        return pids

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                return int(handle.read().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return 0

    def _run(self) -> None:
        if not os.path.isdir("/proc"):
            return
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(pid) for pid in self._tree(self.pid)))
            self._stop.wait(self.interval)


def run_measured(
    command: list[str], *, timeout: float | None, log: Path
) -> tuple[int, float, int, bool]:
    """Run ``command``, teeing output to ``log``: (rc, seconds, peak tree RSS, timed out)."""
    began = time.perf_counter()
    timed_out = False
    with open(log, "w") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with TreeRss(process.pid) as rss:
            deadline = None if timeout is None else began + timeout
            assert process.stdout is not None
            reader = threading.Thread(target=_tee, args=(process.stdout, sink), daemon=True)
            reader.start()
            while process.poll() is None:
                if deadline is not None and time.perf_counter() > deadline:
                    timed_out = True
                    process.kill()
                    break
                time.sleep(0.1)
            process.wait()
            reader.join(timeout=5)
    seconds = time.perf_counter() - began
    return process.returncode, seconds, rss.peak, timed_out


def _tee(stream, sink) -> None:  # noqa: ANN001
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        sink.write(line)
        sink.flush()
        print("    " + line, end="", flush=True)


# --------------------------------------------------------------------------------------------
# dbt: silver and gold seconds from dbt's run_results.json (no extra dbt invocation)


def dbt_layer_seconds(
    target_dir: Path, results_name: str = "run_results.json"
) -> dict[str, object]:
    """Wall seconds of the silver and gold parts of the last dbt invocation, and its slowest nodes.

    A node is gold when it is a model or seed in ``marts`` (tag ``gold``/``seed``) or a test on
    one; everything else is silver. Silver runs from the first node's start to the last silver
    node's end, gold from there to the last node's end (dbt runs gold only once its silver
    parents and their tests passed).
    """
    results = json.loads((target_dir / results_name).read_text())
    manifest = json.loads((target_dir / "manifest.json").read_text())
    nodes = manifest.get("nodes", {})

    def is_gold(unique_id: str) -> bool:
        node = nodes.get(unique_id, {})
        tags = set(node.get("tags", []))
        if "gold" in tags or "seed" in tags or node.get("resource_type") == "seed":
            return True
        if node.get("resource_type") == "test":
            return any(is_gold(parent) for parent in node.get("depends_on", {}).get("nodes", []))
        return False

    spans: list[tuple[str, float, float, float, bool]] = []
    for result in results.get("results", []):
        stamps = [
            (_ts(step["started_at"]), _ts(step["completed_at"]))
            for step in result.get("timing", [])
            if step.get("started_at") and step.get("completed_at")
        ]
        if not stamps:
            continue
        start = min(s for s, _ in stamps)
        end = max(e for _, e in stamps)
        uid = result["unique_id"]
        spans.append((uid, start, end, float(result.get("execution_time") or 0.0), is_gold(uid)))
    if not spans:
        return {"silver": 0.0, "gold": 0.0, "nodes": 0, "slowest": []}
    first = min(start for _, start, _, _, _ in spans)
    last = max(end for _, _, end, _, _ in spans)
    silver_end = max((end for _, _, end, _, gold in spans if not gold), default=first)
    slowest = sorted(spans, key=lambda span: span[3], reverse=True)[:8]
    by_type: dict[str, dict[str, float]] = {}
    for uid, _, _, secs, gold in spans:
        kind = f"{uid.split('.', 1)[0]} ({_layer(gold)})"
        entry = by_type.setdefault(kind, {"count": 0, "seconds": 0.0})
        entry["count"] += 1
        entry["seconds"] = round(entry["seconds"] + secs, 2)
    return {
        "silver": round(max(0.0, silver_end - first), 2),
        "gold": round(max(0.0, last - silver_end), 2),
        "dbt_elapsed": round(float(results.get("elapsed_time") or 0.0), 2),
        "nodes": len(spans),
        "by_type": by_type,
        "slowest": [
            {"node": uid.split(".", 2)[-1], "seconds": round(secs, 2), "layer": _layer(gold)}
            for uid, _, _, secs, gold in slowest
        ],
    }


def _layer(gold: bool) -> str:
    return "gold" if gold else "silver"


def _ts(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------------------------
# the child process: one size, one data dir


def child(guests: int, data_dir: Path, out: Path, seed: int) -> None:
    """Generate and run the pipeline in ``data_dir``; write what happened to ``out`` (JSON)."""
    from guestloyalty.config import Settings
    from guestloyalty.operations.pipeline import run_pipeline, stage_generate
    from guestloyalty.warehouse import Layout

    layout = Layout(data_dir)
    settings = Settings(data_dir=data_dir, seed=seed)
    layout.ensure_dirs()
    record: dict[str, object] = {"guests": guests, "stage_rss_bytes": {}, "stage_cpu_seconds": {}}
    cpu_mark = [cpu_now()]
    target = data_dir / "dbt" / "target"
    seen: dict[str, float] = {}

    def rss_now() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def on_message(message: str) -> None:
        print(message, flush=True)
        match = re.match(r"\[(\w+)\] done", message)
        if match:
            record["stage_rss_bytes"][match.group(1)] = rss_now()  # type: ignore[index]
            record["stage_cpu_seconds"][match.group(1)] = round(cpu_now() - cpu_mark[0], 2)  # type: ignore[index]
        if message.endswith("] ..."):
            cpu_mark[0] = cpu_now()
        results = target / "run_results.json"
        if results.exists() and results.stat().st_mtime != seen.get("mtime"):
            seen["mtime"] = results.stat().st_mtime
            with contextlib.suppress(Exception):
                args = json.loads(results.read_text()).get("args", {})
                post = "post_scoring" in json.dumps(args.get("select") or "")
                record["dbt_post_scoring" if post else "dbt_pre_scoring"] = dbt_layer_seconds(
                    target
                )
        # the pre-scoring work is two builds (silver, then gold after the sentiment stage):
        # the transform stage keeps the silver build's results under their own name
        kept = target / "run_results_silver.json"
        if kept.exists() and kept.stat().st_mtime != seen.get("silver_mtime"):
            seen["silver_mtime"] = kept.stat().st_mtime
            with contextlib.suppress(Exception):
                record["dbt_silver_build"] = dbt_layer_seconds(target, kept.name)

    began = time.perf_counter()
    cpu_began = cpu_now(children=True)
    rows = stage_generate(layout, guests=guests, seed=seed, workers=os.cpu_count() or 1)
    record["generate_seconds"] = round(time.perf_counter() - began, 2)
    record["generated_rows"] = rows
    record["stage_rss_bytes"]["generate"] = rss_now()  # type: ignore[index]
    record["stage_cpu_seconds"]["generate"] = round(cpu_now(children=True) - cpu_began, 2)  # type: ignore[index]
    record["generate_worker_rss_bytes"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    )
    print(f"[generate] done in {record['generate_seconds']}s", flush=True)

    run = run_pipeline(layout, settings, generate=False, report=on_message)
    record["stage_seconds"] = dict(run.stage_seconds)
    record["status"] = run.status
    record["details"] = json.loads(json.dumps(run.details, default=str))
    record["rows"] = layer_rows(layout)
    record["bytes"] = {
        "landing": _tree_bytes(layout.landing_dir),
        "bronze": _size(layout.bronze_path),
        "silver": _size(layout.silver_path),
        "gold": _size(layout.gold_path),
    }
    record["as_of"] = _as_of(layout)
    out.write_text(json.dumps(record, indent=2, default=str))


def cpu_now(*, children: bool = False) -> float:
    """User + system CPU seconds of this process (all its threads), plus finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    total = own.ru_utime + own.ru_stime
    if children:
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += done.ru_utime + done.ru_stime
    return total


def layer_rows(layout) -> dict[str, dict[str, int]]:  # noqa: ANN001
    """Rows of every table in bronze, silver and gold."""
    import duckdb

    counts: dict[str, dict[str, int]] = {}
    for layer, path in (
        ("bronze", layout.bronze_path),
        ("silver", layout.silver_path),
        ("gold", layout.gold_path),
    ):
        if not path.exists():
            continue
        with duckdb.connect(str(path), read_only=True) as con:
            names = [
                row[0]
                for row in con.sql(
                    "select table_name from information_schema.tables "
                    "where table_type = 'BASE TABLE' and table_catalog = current_database() "
                    "order by table_name"
                ).fetchall()
            ]
            counts[layer] = {
                name: con.sql(f'select count(*) from "{name}"').fetchall()[0][0] for name in names
            }
    return counts


def _as_of(layout) -> str | None:  # noqa: ANN001
    import duckdb

    with duckdb.connect(str(layout.gold_path), read_only=True) as con:
        return str(con.sql("select as_of_date from run_context").fetchall()[0][0])


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------
# the parent: sizes, floor, extras, tables


def bench_size(
    guests: int,
    *,
    work: Path,
    seed: int,
    timeout: float | None,
    floor: bool,
    profile: bool = False,
) -> dict[str, object]:
    data_dir = work / f"guests_{guests}"
    out = work / f"guests_{guests}.json"
    print(f"\n== {guests:,} guests in {data_dir}", flush=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(guests),
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
        "--seed",
        str(seed),
    ]
    samples = work / f"profile_{guests}.txt"
    if profile:
        py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        command = [py_spy, "record", "--format", "raw", "--rate", "20", "--subprocesses",
                   "-o", str(samples), "--", *command]  # fmt: skip
    rc, seconds, peak, timed_out = run_measured(
        command, timeout=timeout, log=work / f"guests_{guests}.log"
    )
    result: dict[str, object] = {
        "guests": guests,
        "rc": rc,
        "timed_out": timed_out,
        "process_seconds": round(seconds, 2),
        "peak_rss_bytes": peak,
    }
    if rc != 0 or not out.exists():
        result["error"] = _tail(work / f"guests_{guests}.log")
        return result
    result.update(json.loads(out.read_text()))
    if not peak:  # no /proc: largest single process instead of the tree
        result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result["stages"] = stage_table(result)
    result["stages_cpu"] = stage_cpu_table(result)
    result["end_to_end_seconds"] = round(sum(result["stages"].values()), 2)
    result["data_dir"] = str(data_dir)
    if profile and samples.exists():
        result["profile"] = summarize_profile(samples)
    if floor and result.get("as_of"):
        result["floor"] = run_floor(data_dir, result["as_of"], work=work, timeout=timeout)
        floor_s = result["floor"].get("total_seconds")
        if floor_s:
            after_generate = result["end_to_end_seconds"] - result["stages"].get("generate", 0.0)
            result["pipeline_seconds_without_generate"] = round(after_generate, 2)
            result["floor_ratio"] = round(after_generate / floor_s, 2)
        floor_cpu = result["floor"].get("total_cpu_seconds")
        if floor_cpu:
            cpu = result["stages_cpu"]
            after_generate_cpu = sum(cpu.values()) - cpu.get("generate", 0.0)
            result["floor_cpu_ratio"] = round(after_generate_cpu / floor_cpu, 2)
    return result


def summarize_profile(samples: Path, top: int = 15) -> list[dict[str, object]]:
    """CPU samples (py-spy raw format, 20 per second) by pipeline stage and innermost frame
    of guestloyalty code: where each stage spends its CPU time."""
    counts: dict[tuple[str, str], int] = {}
    for line in samples.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        stage = next(
            (
                match.group(1)
                for frame in reversed(frames)
                if (match := re.match(r"(stage_\w+|child|layer_rows) ", frame))
            ),
            "other (dbt threads, workers, start-up)",
        )
        ours = [frame for frame in frames if "guestloyalty" in frame]
        key = (stage, ours[-1] if ours else frames[-1])
        counts[key] = counts.get(key, 0) + int(number)
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)[:top]
    return [
        {"stage": stage, "frame": frame, "cpu_seconds": round(n / 20, 1)}
        for (stage, frame), n in ranked
    ]


def stage_cpu_table(result: dict[str, object]) -> dict[str, float]:
    """CPU seconds per stage (all threads and workers), dbt as one "dbt (all)" row."""
    cpu = dict(result.get("stage_cpu_seconds", {}))
    return {("dbt (all)" if name == "transform" else name): value for name, value in cpu.items()}


def stage_table(result: dict[str, object]) -> dict[str, float]:
    """Seconds per stage, generate first, dbt split into start-up / silver / gold."""
    stages: dict[str, float] = {"generate": float(result.get("generate_seconds", 0.0))}
    for name, seconds in dict(result.get("stage_seconds", {})).items():
        if name == "transform" and isinstance(result.get("dbt_pre_scoring"), dict):
            dbt = result["dbt_pre_scoring"]
            silver, gold = float(dbt["silver"]), float(dbt["gold"])
            first = result.get("dbt_silver_build")
            if isinstance(first, dict):  # two builds: silver (and seeds), then the gold marts
                silver, gold = float(first["silver"]), float(first["gold"]) + silver + gold
            details = dict(result.get("details", {})).get("transform", {})
            sentiment = float(details.get("sentiment_seconds", 0.0) or 0.0)
            stages["dbt start-up"] = round(max(0.0, seconds - silver - gold - sentiment), 2)
            stages["dbt silver"] = silver
            if sentiment:
                stages["sentiment"] = sentiment
            stages["dbt gold"] = gold
        else:
            stages[name] = float(seconds)
    return stages


def run_floor(data_dir: Path, as_of: str, *, work: Path, timeout: float | None) -> dict:
    command = [
        sys.executable,
        str(HERE / "floor.py"),
        "--landing",
        str(data_dir / "bronze" / "landing"),
        "--as-of",
        as_of,
    ]
    print("  floor ...", flush=True)
    log = work / f"floor_{data_dir.name}.log"
    rc, seconds, peak, timed_out = run_measured(command, timeout=timeout, log=log)
    found = _last_json(log)
    if rc != 0 or found is None:
        return {"rc": rc, "timed_out": timed_out, "error": _tail(log)}
    found["process_seconds"] = round(seconds, 2)
    found["peak_rss_bytes"] = peak or found.get("peak_rss_bytes")
    return found


def run_extras(results: list[dict], *, work: Path, timeout: float | None) -> dict[str, dict]:
    """The other targets, through their own benchmarks."""
    extras: dict[str, dict] = {}
    python = sys.executable

    log = work / "btyd.log"
    rc, seconds, _, _ = run_measured(
        [python, str(HERE / "bench_btyd.py"), "--repeats", "1"], timeout=timeout, log=log
    )
    btyd_json = RESULTS / "btyd.json"
    if rc == 0 and btyd_json.exists():
        fit = json.loads(btyd_json.read_text())["seconds"]["fit_total"]
        extras["btyd_fit_1m"] = {"seconds": round(fit, 3), "target": TARGETS["btyd_fit_s"]}
    else:
        extras["btyd_fit_1m"] = {"rc": rc, "error": _tail(log)}

    published = [r for r in results if r.get("data_dir") and r.get("rc") == 0]
    if published:
        smallest = min(published, key=lambda r: r["guests"])
        log = work / "score_guest.log"
        rc, _, _, _ = run_measured(
            [
                python,
                str(HERE / "bench_score_guest.py"),
                "--data-dir",
                smallest["data_dir"],
                "--guests",
                "100",
            ],
            timeout=timeout,
            log=log,
        )
        found = _last_json(log)
        extras["score_guest"] = (
            {
                **found,
                "guests_in_gold": smallest["guests"],
                "target_p95": TARGETS["score_guest_p95_s"],
            }
            if rc == 0 and found
            else {"rc": rc, "error": _tail(log)}
        )

    ingest = HERE / "bench_ingest.py"
    if ingest.exists():
        log = work / "ingest.log"
        rc, seconds, peak, _ = run_measured(
            [python, str(ingest), "--json"], timeout=timeout, log=log
        )
        found = _last_json(log)
        extras["ingest_10m_stays"] = (
            {**found, "process_seconds": round(seconds, 2), "peak_rss_bytes": peak}
            if rc == 0 and found
            else {"rc": rc, "error": _tail(log)}
        )
    return extras


def _last_json(log: Path) -> dict | None:
    """The last line of ``log`` that parses as a JSON object (or a trailing multi-line one)."""
    text = log.read_text() if log.exists() else ""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            with contextlib.suppress(json.JSONDecodeError):
                return json.loads(line)
    start = text.rfind("\n{")
    if start >= 0:
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(text[start:].strip())
    return None


def _tail(log: Path, lines: int = 15) -> str:
    text = log.read_text() if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def growth(results: list[dict]) -> list[dict]:
    """Time ratio per stage between consecutive sizes, beside the ratio of the data."""
    done = sorted((r for r in results if r.get("stages")), key=lambda r: r["guests"])
    rows = []
    for small, large in zip(done, done[1:], strict=False):
        data = large["guests"] / small["guests"]
        per_stage = {
            stage: round(large["stages"][stage] / seconds, 2) if seconds > 0 else None
            for stage, seconds in small["stages"].items()
            if stage in large["stages"]
        }
        per_stage["end to end"] = round(
            large["end_to_end_seconds"] / small["end_to_end_seconds"], 2
        )
        rows.append(
            {"from": small["guests"], "to": large["guests"], "data": data, "time": per_stage}
        )
    return rows


# --------------------------------------------------------------------------------------------
# Markdown


def markdown(report: dict) -> str:
    results: list[dict] = report["sizes"]
    done = [r for r in results if r.get("stages")]
    lines = [
        f"# guestloyalty benchmark ({report['started_at']})",
        "",
        f"`{report['command']}` on {report['machine']['cpus']} CPUs, "
        f"{report['machine']['memory_gib']} GiB, load average before "
        f"{report['machine']['load_before']} / after {report['machine']['load_after']}.",
        "",
    ]
    if done:
        lines += summary_table(done, report.get("extras", {}))
        stages = list(dict.fromkeys(stage for r in done for stage in r["stages"]))
        lines += [
            "## Wall seconds per stage",
            "",
            "| stage | " + " | ".join(f"{r['guests']:,} guests" for r in done) + " |",
            "|---|" + "---:|" * len(done),
        ]
        for stage in stages:
            cells = [_num(r["stages"].get(stage)) for r in done]
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
        lines.append(
            "| **end to end** | "
            + " | ".join(f"**{r['end_to_end_seconds']:.1f}**" for r in done)
            + " |"
        )
        lines.append(
            "| peak RSS, process tree (GiB) | "
            + " | ".join(f"{r['peak_rss_bytes'] / GIB:.2f}" for r in done)
            + " |"
        )
        lines.append(
            "| floor: SQL features + 1 xgboost fit | "
            + " | ".join(_num(r.get("floor", {}).get("total_seconds")) for r in done)
            + " |"
        )
        lines.append(
            "| pipeline without generate / floor | "
            + " | ".join(_num(r.get("floor_ratio"), "{:.1f}×") for r in done)
            + " |"
        )
        lines.append(
            "| same, in CPU seconds | "
            + " | ".join(_num(r.get("floor_cpu_ratio"), "{:.1f}×") for r in done)
            + " |"
        )
        cpu_stages = list(dict.fromkeys(st for r in done for st in r.get("stages_cpu", {})))
        lines += [
            "",
            "## CPU seconds per stage (user + system, every thread and worker)",
            "",
            "Less sensitive to other load than wall time; on an idle 2-core machine a stage's "
            "wall time lies between its CPU seconds / 2 and its CPU seconds.",
            "",
            "| stage | " + " | ".join(f"{r['guests']:,} guests" for r in done) + " |",
            "|---|" + "---:|" * len(done),
        ]
        for stage in cpu_stages:
            cells = [_num(r.get("stages_cpu", {}).get(stage)) for r in done]
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
        lines.append(
            "| **total** | "
            + " | ".join(f"**{sum(r.get('stages_cpu', {}).values()):.1f}**" for r in done)
            + " |"
        )
        lines += ["", "## Rows and sizes", ""]
        lines += [
            "| | " + " | ".join(f"{r['guests']:,} guests" for r in done) + " |",
            "|---|" + "---:|" * len(done),
        ]
        for layer in ("bronze", "silver", "gold"):
            lines.append(
                f"| {layer} rows (all tables) | "
                + " | ".join(f"{sum(r['rows'].get(layer, {}).values()):,}" for r in done)
                + " |"
            )
        for layer, table in (
            ("bronze", "stays"),
            ("bronze", "engagement_events"),
            ("gold", "guest_feature_snapshots"),
            ("gold", "guest_scores"),
        ):
            lines.append(
                f"| {layer}.{table} rows | "
                + " | ".join(f"{r['rows'].get(layer, {}).get(table, 0):,}" for r in done)
                + " |"
            )
        for layer in ("landing", "bronze", "silver", "gold"):
            lines.append(
                f"| {layer} file size (MiB) | "
                + " | ".join(f"{r['bytes'][layer] / 2**20:,.0f}" for r in done)
                + " |"
            )
        lines.append(
            "| floor rows (guests at one snapshot) | "
            + " | ".join(f"{r.get('floor', {}).get('rows', 0):,}" for r in done)
            + " |"
        )
        lines += ["", "## Slowest dbt nodes (seconds, pre-scoring builds)", ""]
        for r in done:
            for build in ("dbt_silver_build", "dbt_pre_scoring"):
                slowest = r.get(build, {}).get("slowest", [])
                which = "silver build" if build == "dbt_silver_build" else "gold build"
                lines.append(
                    f"- {r['guests']:,} guests, {which}: "
                    + ", ".join(f"{n['node']} {n['seconds']:.1f}" for n in slowest[:6])
                )
            by_type = r.get("dbt_pre_scoring", {}).get("by_type", {})
            lines.append(
                "  - node seconds summed by kind (2 threads run them): "
                + ", ".join(
                    f"{kind} {v['count']} × → {v['seconds']:.1f}" for kind, v in by_type.items()
                )
            )
    for r in done:
        if r.get("profile"):
            lines += [
                "",
                f"## Where the CPU goes, {r['guests']:,} guests (py-spy, top frames)",
                "",
                "| stage | innermost guestloyalty frame | CPU s |",
                "|---|---|---:|",
            ]
            lines += [
                f"| {p['stage']} | `{p['frame']}` | {p['cpu_seconds']:.1f} |" for p in r["profile"]
            ]
    if report["growth"]:
        lines += ["", "## Growth (time ratio; ≤ data ratio is linear or better)", ""]
        for g in report["growth"]:
            lines.append(f"{g['from']:,} → {g['to']:,} guests (data × {g['data']:.0f}):")
            lines.append("")
            lines.append("| stage | time × |")
            lines.append("|---|---:|")
            lines += [f"| {stage} | {_num(ratio)} |" for stage, ratio in g["time"].items()]
            lines.append("")
    failed = [r for r in results if not r.get("stages")]
    for r in failed:
        lines += ["", f"**{r['guests']:,} guests did not finish ({_failure(r)}):**", "", "```"]
        lines += [str(r.get("error", "")), "```"]
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---:|:---:|"]
    lines += [f"| {name} | {value} | {met} |" for name, value, met in targets(report)]
    return "\n".join(lines) + "\n"


#: Wall-clock rows of the stage table that one CPU figure covers (dbt runs in the transform
#: stage, with the sentiment stage between its two builds).
_CPU_OF = {"dbt start-up": "transform"}
_PART_OF_TRANSFORM = ("dbt silver", "sentiment", "dbt gold")


def summary_table(done: list[dict], extras: dict) -> list[str]:
    """Issue 22's table: wall and CPU seconds per stage for every size, peak RSS, the floor,
    the ratio and score-guest's p95, beside the load average they were measured at."""
    header = "| stage | " + " | ".join(
        f"{r['guests']:,} wall s | {r['guests']:,} CPU s" for r in done
    )
    lines = [
        "## Summary (issue 22)",
        "",
        "CPU seconds are user + system of every thread and worker; the dbt stage's CPU is "
        "one figure for start-up, silver, sentiment and gold (one process, two builds).",
        "",
        header + " |",
        "|---|" + "---:|---:|" * len(done),
    ]
    stages = list(dict.fromkeys(stage for r in done for stage in r["stages"]))
    for stage in stages:
        cells = []
        for r in done:
            cpu = r.get("stage_cpu_seconds", {})
            if stage in _PART_OF_TRANSFORM:
                cpu_cell = "↑"
            else:
                cpu_cell = _num(cpu.get(_CPU_OF.get(stage, stage)))
            cells.append(f"{_num(r['stages'].get(stage))} | {cpu_cell}")
        label = "dbt start-up (CPU: whole transform)" if stage == "dbt start-up" else stage
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(
        "| **end to end** | "
        + " | ".join(
            f"**{r['end_to_end_seconds']:.1f}** | **{sum(r.get('stages_cpu', {}).values()):.1f}**"
            for r in done
        )
        + " |"
    )
    lines.append(
        "| peak RSS, process tree | "
        + " | ".join(f"{r['peak_rss_bytes'] / GIB:.2f} GiB | " for r in done)
        + " |"
    )
    lines.append(
        "| floor: SQL features + 1 xgboost fit | "
        + " | ".join(
            f"{_num(r.get('floor', {}).get('total_seconds'))} | "
            f"{_num(r.get('floor', {}).get('total_cpu_seconds'))}"
            for r in done
        )
        + " |"
    )
    lines.append(
        "| pipeline without generate / floor | "
        + " | ".join(
            f"{_num(r.get('floor_ratio'), '{:.1f}×')} | {_num(r.get('floor_cpu_ratio'), '{:.1f}×')}"
            for r in done
        )
        + " |"
    )
    sg = extras.get("score_guest", {})
    if "p95_s" in sg:
        lines.append(
            f"| score-guest p95 (p50), {sg['guests_in_gold']:,}-guest gold, 100 processes | "
            f"{sg['p95_s']:.3f} ({sg['p50_s']:.3f}) | {sg['cpu_p95_s']:.3f} |"
            + " |"
            * (2 * len(done) - 2)
        )
    lines.append("")
    return lines


def _failure(result: dict) -> str:
    """Why a size has no stage table (py-spy exits 0 even when the pipeline under it failed)."""
    if result.get("timed_out"):
        return "timed out"
    if result.get("rc"):
        return f"exit code {result['rc']}"
    return "the pipeline failed; no result was written"


def targets(report: dict) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    by_size = {r["guests"]: r for r in report["sizes"]}
    for guests, limit in TARGETS["end_to_end_s"].items():
        r = by_size.get(guests)
        if r and not r.get("stages"):
            rows.append((f"{guests:,} guests end to end ≤ {limit:.0f} s", _failure(r), _yes(False)))
        if r and r.get("stages"):
            rows.append(
                (
                    f"{guests:,} guests end to end ≤ {limit:.0f} s",
                    f"{r['end_to_end_seconds']:.1f} s",
                    _yes(r["end_to_end_seconds"] <= limit),
                )
            )
    for guests, limit in TARGETS["peak_rss_bytes"].items():
        r = by_size.get(guests)
        if r and r.get("stages"):
            rows.append(
                (
                    f"{guests:,} guests peak RSS < {limit / GIB:.0f} GiB",
                    f"{r['peak_rss_bytes'] / GIB:.2f} GiB",
                    _yes(r["peak_rss_bytes"] < limit),
                )
            )
    for guests, limit in TARGETS["floor_ratio"].items():
        r = by_size.get(guests)
        if r and r.get("floor_ratio"):
            rows.append(
                (
                    f"{guests:,} guests pipeline ≤ {limit:.0f} × floor",
                    f"{r['floor_ratio']:.1f} ×",
                    _yes(r["floor_ratio"] <= limit),
                )
            )
    extras = report.get("extras", {})
    if "seconds" in extras.get("btyd_fit_1m", {}):
        fit = extras["btyd_fit_1m"]["seconds"]
        rows.append(("BTYD fit, 1M customers < 3 s", f"{fit:.2f} s", _yes(fit < 3.0)))
    if "p95_s" in extras.get("score_guest", {}):
        sg, limit = extras["score_guest"], TARGETS["score_guest_p95_s"]
        rows.append(
            (
                f"score-guest p95 ≤ {limit} s ({sg['guests_in_gold']:,}-guest gold, "
                "100 fresh processes)",
                f"{sg['p95_s']:.3f} s (p50 {sg['p50_s']:.3f}, CPU p95 {sg['cpu_p95_s']:.3f})",
                _yes(sg["p95_s"] <= limit),
            )
        )
    ingest = extras.get("ingest_10m_stays", {})
    seconds = ingest.get("seconds") or ingest.get("ingest_seconds")
    if isinstance(seconds, int | float):
        rows.append(("10M stays CSV ingest < 60 s", f"{seconds:.1f} s", _yes(seconds < 60.0)))
    return rows


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _num(value: object, fmt: str = "{:.1f}") -> str:
    return fmt.format(value) if isinstance(value, int | float) else "–"


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true", help="one small size (10,000 guests)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor")
    parser.add_argument("--no-extras", action="store_true", help="skip BTYD/score-guest/ingest")
    parser.add_argument("--timeout", type=float, help="seconds per process before it is killed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where bench.json/.md go")
    parser.add_argument(
        "--profile", action="store_true", help="sample each size with py-spy (pip install py-spy)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        child(args.child, args.data_dir, args.out, args.seed)
        return

    os.environ.setdefault("DO_NOT_TRACK", "1")
    sizes = list(QUICK_SIZES) if args.quick else sorted(args.sizes)
    work = args.keep or Path(tempfile.mkdtemp(prefix="guestloyalty_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/run_all.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
    }
    try:
        results = [
            bench_size(
                guests,
                work=work,
                seed=args.seed,
                timeout=args.timeout,
                floor=not args.no_floor,
                profile=args.profile,
            )
            for guests in sizes
        ]
        report["sizes"] = results
        report["growth"] = growth(results)
        report["extras"] = (
            {} if args.no_extras else run_extras(results, work=work, timeout=args.timeout)
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_after"] = round(os.getloadavg()[0], 1)  # type: ignore[index]
    report["targets"] = [
        {"target": name, "measured": value, "met": met == "yes"}
        for name, value, met in targets(report)
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = markdown(report)
    (args.out / "bench.md").write_text(text)
    print("\n" + text)
    print(f"wrote {args.out / 'bench.md'} and {args.out / 'bench.json'}")


def machine() -> dict[str, object]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / GIB, 1),
        "load_before": round(os.getloadavg()[0], 1),
    }


if __name__ == "__main__":
    main()
