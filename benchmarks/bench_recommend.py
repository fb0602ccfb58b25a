"""Cost of the recommendation stage at 1M guests.

    .venv/bin/python benchmarks/bench_recommend.py [--guests 1000000] [--world DIR] [--json]

1. ``--guests N`` (0 to skip): the stage's work after the SQL read, on arrays shaped like an
   N-guest world (stays per guest, items per stay and the item mix of the default world:
   1.55 stays per guest, 8 properties, 5 room types, 9 extras, 10 context items): choosing k
   and the half-life on the earlier window, fitting, scoring every guest and building the
   ranked lists with their reasons (``scoring.recommendations.tune``, ``models.recommend.fit``
   / ``predict``, ``recommendation_table``). Wall and CPU seconds.
2. ``--world DIR``: a data directory with silver and a gold build (``guestloyalty generate``,
   ``ingest``, ``transform``): the whole stage, ``score_recommendations`` (read silver, learn,
   write ``guest_recommendations``), wall and CPU seconds, and the rows it wrote.

Target (issue 19): the stage adds at most 20 s at 1M guests on 2 cores. CPU seconds are
printed beside wall seconds: on a shared machine wall time also measures the neighbours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

TARGET_SECONDS = 20.0
STAYS_PER_GUEST = 1.55


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def synthetic_stays(guests: int, seed: int = 0):  # noqa: ANN201
    """StayData and Catalog shaped like an N-guest default world (no SQL, no files)."""
    from guestloyalty.models import recommend
    from guestloyalty.scoring.recommendations import Catalog, StayData

    rng = np.random.default_rng(seed)
    props = [f"P{i}" for i in range(8)]
    rooms = ["STD", "SUP", "DLX", "FAM", "STE"]
    extras = [f"x{i}" for i in range(9)]
    context = [f"c{i}" for i in range(10)]
    items = (
        [("property", p) for p in props]
        + [("room_type", r) for r in rooms]
        + [("extra", e) for e in extras]
        + [("context", c) for c in context]
    )
    per_guest = 1 + rng.poisson(STAYS_PER_GUEST - 1, guests)
    stay_guest = np.repeat(np.arange(guests), per_guest)
    n = len(stay_guest)
    taste = rng.integers(0, 8, guests)[stay_guest]
    prop = np.where(rng.random(n) < 0.7, taste, rng.integers(0, 8, n))
    room = 8 + rng.choice(5, n, p=[0.55, 0.2, 0.12, 0.1, 0.03])
    ctx = 22 + rng.integers(0, 10, n)
    extra_mask = rng.random((n, 9)) < np.array(
        [0.12, 0.9, 0.03, 0.05, 0.05, 0.03, 0.01, 0.02, 0.01]
    )
    extra_rows, extra_cols = np.nonzero(extra_mask)
    rows = np.concatenate([np.arange(n)] * 3 + [extra_rows])
    cols = np.concatenate([prop, room, ctx, 13 + extra_cols])
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, len(items)))
    age = rng.uniform(0, 365 * 5, n)
    # a guest's stays in time order: oldest first
    order = np.lexsort((-age, stay_guest))
    history = recommend.Interactions(
        stay_guest=stay_guest[order],
        stay_age_days=age[order],
        stay_items=matrix[order],
        item_kind=np.array([k for k, _ in items]),
        item_id=np.array([i for _, i in items]),
        n_guests=guests,
    )
    empty = history.subset_stays(np.zeros(n, dtype=bool))
    data = StayData(
        as_of=dt.date(2025, 12, 31),
        guest_ids=pl.Series([f"G{i:08d}" for i in range(guests)]),
        history=history,
        history_checkout_age=age[order] - 2,
        targets=empty,
    )
    complained = rng.random(guests) < 0.02
    catalog = Catalog(
        names={key: key[1] for key in items},
        property_kind={p: ("city", "resort", "airport")[i % 3] for i, p in enumerate(props)},
        room_order={r: i + 1 for i, r in enumerate(rooms)},
        offers=pl.DataFrame(
            {
                "offer_id": ["o_spa", "o_fnb", "o_suite"],
                "offer_name": ["Spa credit", "F&B credit", "Suite upgrade"],
                "item_kind": ["extra", "extra", "room_type"],
                "item_id": ["x0", "x1", "STE"],
                "loyalty_reward": ["spa_credit", None, None],
            }
        ),
        complaints=pl.DataFrame(
            {
                "guest_id": data.guest_ids.filter(pl.Series(complained)),
                "property_id": np.array(props)[taste_of(rng, complained.sum())],
            }
        ),
        consent=pl.DataFrame(
            {"guest_id": data.guest_ids.filter(pl.Series(rng.random(guests) < 0.6))}
        ),
        redeemed=pl.DataFrame(
            {"guest_id": data.guest_ids.filter(pl.Series(rng.random(guests) < 0.03))}
        ).with_columns(reward=pl.lit("spa_credit")),
    )
    return data, catalog


def taste_of(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 8, int(n))


def bench_arrays(guests: int) -> dict[str, object]:
    from dataclasses import replace

    from guestloyalty.models import recommend
    from guestloyalty.scoring.recommendations import recommendation_table, tune

    data, catalog = synthetic_stays(guests)
    seconds: dict[str, float] = {}
    wall, cpu = time.perf_counter(), cpu_seconds()
    step = time.perf_counter()
    blend, _ = tune(data.history, data.history_checkout_age, 365)
    seconds["tune"] = time.perf_counter() - step
    step = time.perf_counter()
    model = replace(recommend.fit(data.history), blend=blend)
    scores = recommend.predict(model, data.history)
    seconds["fit_predict"] = time.perf_counter() - step
    step = time.perf_counter()
    table, kinds = recommendation_table(data, model, scores, catalog, version="bench")
    seconds["lists"] = time.perf_counter() - step
    return {
        "guests": guests,
        "stays": int(data.history.stay_items.shape[0]),
        "rows": table.num_rows,
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "cpu_seconds": round(cpu_seconds() - cpu, 2),
        "step_seconds": {name: round(value, 2) for name, value in seconds.items()},
        "kinds": kinds,
        "target_seconds": TARGET_SECONDS,
    }


def bench_world(data_dir: Path) -> dict[str, object]:
    from guestloyalty.config import Settings
    from guestloyalty.scoring.recommendations import score_recommendations
    from guestloyalty.warehouse import Layout

    layout = Layout(data_dir)
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = score_recommendations(layout, Settings(data_dir=data_dir))
    return {
        "world": str(data_dir),
        "guests": result.guests,
        "rows": result.rows,
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "cpu_seconds": round(cpu_seconds() - cpu, 2),
        "step_seconds": result.seconds,
        "model_version": result.model_version,
        "target_seconds": TARGET_SECONDS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=1_000_000)
    parser.add_argument("--world", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, object] = {"load_average": os.getloadavg()}
    if args.guests:
        out["arrays"] = bench_arrays(args.guests)
    if args.world is not None:
        out["world"] = bench_world(args.world)
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return
    for name in ("arrays", "world"):
        if name in out:
            row = out[name]
            print(
                f"{name}: {row['guests']:,} guests, {row['rows']:,} rows, "  # type: ignore[index]
                f"{row['wall_seconds']} s wall, {row['cpu_seconds']} s CPU "  # type: ignore[index]
                f"(target {TARGET_SECONDS:g} s); steps {row['step_seconds']}"  # type: ignore[index]
            )
    print(f"load average {out['load_average']}")


if __name__ == "__main__":
    main()
