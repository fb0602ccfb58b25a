"""Randomized, seeded, reproducible holdout assignment.

Each guest's place comes from a keyed hash of (seed, campaign id, guest id), not from the
order of the list: the same campaign, seed and guests give the same groups whatever the
order they arrive in, and exactly ``round(holdout x guests)`` of them are held out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def assign_groups(
    guest_ids: Sequence[str], *, campaign_id: str, holdout: float, seed: int = 0
) -> np.ndarray:
    """True for the treatment guests (contacted), False for the control (held out)."""
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout must be within 0..1 (got {holdout})")
    ranks = np.array(
        [
            int.from_bytes(
                hashlib.sha256(f"{seed}\x1f{campaign_id}\x1f{guest}".encode()).digest()[:8], "big"
            )
            for guest in guest_ids
        ],
        dtype=np.uint64,
    )
    control = int(round(holdout * len(ranks)))
    treated = np.ones(len(ranks), dtype=bool)
    if control:
        order = np.argsort(ranks, kind="stable")
        treated[order[:control]] = False
    return treated
