"""Compile every dbt model and test to SQL, and compare two compilations.

A refactor of the dbt project (a macro instead of repeated SQL) must leave the SQL that runs
unchanged. ``compile OUT`` runs ``dbt compile`` against an empty bronze file in a temporary
directory and copies ``target/compiled`` to ``OUT``; ``compare A B`` says which compiled
files differ once runs of whitespace are folded to one space (indentation and blank lines
aside, the SQL is the same)::

    python benchmarks/compiled_sql.py compile /tmp/before   # on the old commit
    python benchmarks/compiled_sql.py compile /tmp/after    # on the new one
    python benchmarks/compiled_sql.py compare /tmp/before /tmp/after
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_project(out: Path, project: Path) -> int:
    import duckdb
    from dbt.cli.main import dbtRunner

    with tempfile.TemporaryDirectory() as tmp:
        bronze = Path(tmp) / "bronze.duckdb"
        duckdb.connect(str(bronze)).close()
        os.environ.update(
            DO_NOT_TRACK="1",
            GUESTLOYALTY_BRONZE_PATH=str(bronze),
            GUESTLOYALTY_SILVER_PATH=str(Path(tmp) / "silver.duckdb"),
            GUESTLOYALTY_GOLD_BUILD_PATH=str(Path(tmp) / "gold.duckdb"),
            GUESTLOYALTY_HASH_KEY="compare",
        )
        target = Path(tmp) / "target"
        result = dbtRunner().invoke(
            [
                "compile",
                "--quiet",
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(project),
                "--target-path",
                str(target),
                "--log-path",
                str(Path(tmp) / "logs"),
            ]
        )
        if not result.success:
            print(f"dbt compile failed: {result.exception}", file=sys.stderr)
            return 1
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(target / "compiled", out)
    print(f"{sum(1 for _ in out.rglob('*.sql'))} compiled files in {out}")
    return 0


def folded(path: Path) -> str:
    return re.sub(r"\s+", " ", path.read_text()).strip()


def compare(before: Path, after: Path) -> int:
    names = {p.relative_to(before) for p in before.rglob("*.sql")}
    names |= {p.relative_to(after) for p in after.rglob("*.sql")}
    differ = []
    for name in sorted(names):
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            differ.append(f"{name}: only in {'after' if not a.exists() else 'before'}")
        elif folded(a) != folded(b):
            differ.append(f"{name}: differs")
    if differ:
        print("\n".join(differ))
        print(f"DIFFERENT: {len(differ)} of {len(names)} compiled files")
        return 1
    print(f"IDENTICAL: {len(names)} compiled files (whitespace folded)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("compile")
    run.add_argument("out", type=Path)
    run.add_argument("--project", type=Path, default=ROOT / "dbt_project")
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "compile":
        return compile_project(args.out.resolve(), args.project.resolve())
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
