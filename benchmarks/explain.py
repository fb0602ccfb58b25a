"""`EXPLAIN ANALYZE` one dbt model of a finished run, against copies of its layer files.

    .venv/bin/python benchmarks/explain.py DATA_DIR MODEL [--threads N]

Reads the model's compiled SQL from ``DATA_DIR/dbt/target/compiled``, copies silver (and the
published gold) to a temporary folder so the run's files are left untouched, attaches bronze
read-only and prints DuckDB's plan with the time and rows of every operator.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("model", help="model name, e.g. guest_feature_snapshots")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()

    import duckdb

    compiled = list((args.data_dir / "dbt" / "target" / "compiled").rglob(f"{args.model}.sql"))
    if not compiled:
        sys.exit(f"no compiled SQL for {args.model} under {args.data_dir}/dbt/target/compiled")
    sql = compiled[0].read_text()
    with tempfile.TemporaryDirectory(prefix="explain_") as tmp:
        silver = Path(tmp) / "silver.duckdb"
        gold = Path(tmp) / "gold.duckdb"
        shutil.copy(args.data_dir / "silver" / "silver.duckdb", silver)
        published = args.data_dir / "gold" / "gold.duckdb"
        with duckdb.connect(str(silver)) as con:
            if args.threads:
                con.execute(f"set threads = {args.threads}")
            con.execute(
                f"attach '{args.data_dir / 'bronze' / 'bronze.duckdb'}' as bronze (read_only)"
            )
            if published.exists():
                shutil.copy(published, gold)
                con.execute(f"attach '{gold}' as gold")
            con.execute("pragma enable_profiling = 'query_tree_optimizer'")
            plan = con.sql(f"explain analyze {sql}").fetchall()
    for _, text in plan:
        print(text)


if __name__ == "__main__":
    main()
