"""Fault injection for tests only: crash or fail the pipeline at a named point.

Nothing here runs unless the environment asks for it. A test sets

    GUESTLOYALTY_FAULT=<stage>:<point>[=<action>]     e.g. transform:dbt_node=kill
    GUESTLOYALTY_FAULT_AFTER=<n>                      trigger the n-th time (default 1)

and the process dies (``kill``: SIGKILL to itself, like ``kill -9`` or the OOM killer) or
raises at that point (``enospc``: ``OSError(ENOSPC)``, a full disk; ``error``: RuntimeError).
The points, in run order:

    <stage>:start, <stage>:end   around every pipeline stage (generate, ingest, transform,
                                 train, score, post_scoring, publish)
    ingest:in_transaction        inside a file's bronze transaction, rows inserted, not committed
    transform:dbt_node           after a dbt node finished (use FAULT_AFTER to pick which)
    publish:copy_state           while state tables are copied into the build file
    publish:before_rename        build file complete and fsynced, not yet renamed over gold
    publish:after_rename         new gold published, build folder not yet removed
    forget:before_rebuild        erasure rows deleted, DuckDB files not yet rebuilt
    forget:before_replace        rebuilt file written, not yet renamed over the original

It is a test hook, not a feature: never set these variables on a real run.
"""

from __future__ import annotations

import errno
import os
import signal

FAULT_ENV = "GUESTLOYALTY_FAULT"
FAULT_AFTER_ENV = "GUESTLOYALTY_FAULT_AFTER"
ACTIONS = ("kill", "enospc", "error")

_reached: dict[str, int] = {}


def armed() -> tuple[str, str] | None:
    """The (point, action) the environment asks for, or None."""
    spec = os.environ.get(FAULT_ENV, "").strip()
    if not spec:
        return None
    point, _, action = spec.partition("=")
    return point.strip(), (action.strip() or "kill")


def fault_point(name: str) -> None:
    """Crash or fail here when the environment names this point; otherwise do nothing."""
    wanted = armed()
    if wanted is None or wanted[0] != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(os.environ.get(FAULT_AFTER_ENV, "1") or "1"):
        return
    action = wanted[1]
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {name})")
    raise RuntimeError(f"injected fault at {name}")


def reset() -> None:
    """Forget how often each point was reached (for tests that arm faults in-process)."""
    _reached.clear()


def dbt_callbacks() -> list:
    """dbtRunner callbacks: ``transform:dbt_node`` fires after each node finishes."""
    wanted = armed()
    if wanted is None or not wanted[0].startswith("transform:dbt_node"):
        return []

    def on_event(event) -> None:  # noqa: ANN001 - dbt EventMsg
        if event.info.name == "NodeFinished":
            fault_point("transform:dbt_node")

    return [on_event]
