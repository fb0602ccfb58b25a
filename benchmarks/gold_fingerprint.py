"""Content fingerprint of a published gold file, to show a change left gold as it was.

For every table and view of ``<data>/gold/gold.duckdb``: the row count, an order-independent
hash of the rows and one per column, over every column except those that differ from run to
run by design (timestamps, run ids, model versions, durations). Two runs of the same code
with the same seed give the same fingerprint; compare two with ``--compare``::

    python benchmarks/gold_fingerprint.py DATA_DIR > before.json
    python benchmarks/gold_fingerprint.py DATA_DIR --compare before.json

Hashes use DuckDB's ``hash()``: compare fingerprints made with the same DuckDB version.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import duckdb

#: Column names left out (they change on every run by design).
VOLATILE_NAME = re.compile(
    r"(^|_)(run_id|version|model_version|trained_at|scored_at|promoted_at|created_at|"
    r"started_at|finished_at|generated_at|published_at|loaded_at|erased_at|duration|"
    r"seconds|elapsed)(_|$)|_seconds$|_at$"
)
VOLATILE_TYPE = re.compile(r"^TIMESTAMP")


def kept_columns(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[str]]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    kept = [n for n, t in rows if not VOLATILE_NAME.search(n) and not VOLATILE_TYPE.match(t)]
    left_out = [n for n, _ in rows if n not in kept]
    return kept, left_out


def fingerprint(data_dir: Path) -> dict[str, object]:
    path = data_dir / "gold" / "gold.duckdb"
    out: dict[str, object] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' order by table_name"
            ).fetchall()
        ]
        for table in tables:
            kept, left_out = kept_columns(con, table)
            quoted = [f'"{c}"' for c in kept]
            parts = [f"sum(hash({q}))::varchar" for q in quoted]
            row_hash = f"sum(hash(struct_pack({', '.join(quoted)})))::varchar" if kept else "null"
            values = con.execute(
                f'select count(*), {row_hash}{"".join(", " + p for p in parts)} from "{table}"'
            ).fetchall()[0]
            out[table] = {
                "rows": values[0],
                "rows_hash": values[1],
                "columns": dict(zip(kept, values[2:], strict=True)),
                "left_out": left_out,
            }
    return out


def compare(before: dict, after: dict) -> list[str]:
    diffs = []
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table), after.get(table)
        if b is None or a is None:
            diffs.append(f"{table}: only {'after' if b is None else 'before'}")
            continue
        if b["rows"] != a["rows"]:
            diffs.append(f"{table}: rows {b['rows']} -> {a['rows']}")
        for col in sorted(set(b["columns"]) | set(a["columns"])):
            if b["columns"].get(col) != a["columns"].get(col):
                diffs.append(f"{table}.{col} differs")
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--compare", type=Path, help="a fingerprint JSON to compare with")
    args = parser.parse_args()
    now = fingerprint(args.data_dir)
    if args.compare is None:
        json.dump(now, sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    diffs = compare(json.loads(args.compare.read_text()), now)
    tables = len(now)
    rows = sum(t["rows"] for t in now.values())  # type: ignore[index]
    if diffs:
        print("\n".join(diffs))
        print(f"DIFFERENT: {len(diffs)} differences over {tables} tables")
        return 1
    print(f"IDENTICAL: {tables} tables, {rows} rows, every kept column")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
