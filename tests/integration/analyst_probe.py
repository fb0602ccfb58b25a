"""An analyst hammering gold read-only until a stop file appears (run as a subprocess).

    python analyst_probe.py GOLD STOP_FILE [--persistent]

Every loop opens gold read-only (or, with ``--persistent``, keeps one connection open for the
whole run, like a DBeaver session), and checks within that snapshot that every core table is
there and consistent. Prints one JSON line: loops, failures, model versions seen.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

TABLES = {"guest_360", "guest_scores", "guest_feature_snapshots", "run_context", "run_log"}


def check(con: duckdb.DuckDBPyConnection) -> str:
    """Return the model version of a consistent snapshot; raise if anything is off."""
    con.execute("begin transaction")
    try:
        present = {
            row[0]
            for row in con.execute("select table_name from information_schema.tables").fetchall()
        }
        missing = TABLES - present
        if missing:
            raise AssertionError(f"missing tables {sorted(missing)}")
        [(guests, scored, versions, unmatched)] = con.execute(
            """
            select
                (select count(*) from guest_360),
                (select count(*) from guest_scores),
                (select count(distinct model_version) from guest_scores),
                (select count(*) from guest_scores
                 where guest_id not in (select guest_id from guest_360))
            """
        ).fetchall()
        if guests == 0 or scored == 0 or versions != 1 or unmatched != 0:
            raise AssertionError(
                f"inconsistent snapshot: guest_360={guests} guest_scores={scored} "
                f"versions={versions} unmatched={unmatched}"
            )
        [(as_of_rows,)] = con.execute("select count(*) from run_context").fetchall()
        if as_of_rows != 1:
            raise AssertionError(f"run_context has {as_of_rows} rows")
        [(version,)] = con.execute("select any_value(model_version) from guest_scores").fetchall()
        return version
    finally:
        con.execute("rollback")


def main() -> None:
    gold, stop = Path(sys.argv[1]), Path(sys.argv[2])
    persistent = "--persistent" in sys.argv
    loops, failures, versions = 0, [], set()
    con = duckdb.connect(str(gold), read_only=True) if persistent else None
    while True:
        stopping = stop.exists()
        try:
            if persistent:
                versions.add(check(con))
            else:
                with duckdb.connect(str(gold), read_only=True) as fresh:
                    versions.add(check(fresh))
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(f"{type(error).__name__}: {error}")
        loops += 1
        if stopping:
            break
        time.sleep(0.1)
    if con is not None:
        con.close()
    print(json.dumps({"loops": loops, "failures": failures[:20], "versions": sorted(versions)}))


if __name__ == "__main__":
    main()
