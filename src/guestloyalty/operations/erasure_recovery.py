"""Completing an erasure that was killed half-way (run by ``forget`` and by every pipeline run).

An erasure writes each landing file that holds the person's rows again without them, as
``.<name>.forget`` next to it, and renames it over the original only after bronze has
committed the new file's hash to the load manifest. This module holds that plan and the step
that finishes it, apart from :mod:`guestloyalty.operations.erasure` (which calls the pipeline
stages) so the pipeline can call it without an import circle.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from guestloyalty.warehouse import Layout, connect, fsync_dir


@dataclass(frozen=True)
class LandingPlan:
    """One landing file to rewrite: the new content waits in ``tmp`` until bronze commits."""

    path: Path
    tmp: Path
    file_hash: str
    batch_id: str
    entity: str
    mapping: str | None
    kept_rows: int
    dropped: list[int]


def pending_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.forget")


def replace_landing(plans: list[LandingPlan]) -> None:
    for plan in plans:
        os.replace(plan.tmp, plan.path)
    for folder in {plan.path.parent for plan in plans}:
        fsync_dir(folder)


def finish_interrupted_erasure(layout: Layout) -> int:
    """Complete the landing rewrites of an erasure that was killed half-way.

    A rewritten file waits as ``.<name>.forget`` until bronze has committed its hash to the
    load manifest: a waiting file whose hash is there replaces the original (the erasure
    committed); one whose hash is not is removed (it did not). Returns files replaced.
    """
    if not layout.landing_dir.exists():
        return 0
    pending = [p for p in layout.landing_dir.rglob(".*.forget") if p.is_file()]
    if not pending:
        return 0
    from guestloyalty.ingest import manifest

    known: set[str] = set()
    if layout.bronze_path.exists():
        with connect(layout.bronze_path, read_only=True) as con:
            known = {
                row[0] for row in con.execute("select file_hash from _load_manifest").fetchall()
            }
    replaced = 0
    for tmp in pending:
        original = tmp.with_name(tmp.name[1 : -len(".forget")])
        if manifest.file_hash(tmp) in known:
            os.replace(tmp, original)
            replaced += 1
        else:
            tmp.unlink()
    return replaced
