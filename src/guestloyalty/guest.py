"""One guest, scored live from the published gold features with the promoted models."""

from __future__ import annotations

from guestloyalty.config import Settings
from guestloyalty.errors import GuestNotFoundError
from guestloyalty.warehouse import Layout, connect


def score_one_guest(layout: Layout, settings: Settings, guest_id: str) -> dict[str, object]:
    """Churn, CLV and segment for ``guest_id`` (always a bound parameter, never pasted)."""
    from guestloyalty.scoring import features, registry
    from guestloyalty.scoring.score import score_frame

    with connect(layout.gold_path, read_only=True) as con:
        frame = features.load_current(con, guest_id=guest_id)
        as_of = features.as_of_date(con)
    if len(frame) == 0:
        raise GuestNotFoundError(f"no guest with id {guest_id!r} in {layout.gold_path}")
    bundle = registry.load_promoted(layout)
    scored = score_frame(frame, bundle, settings)
    return {
        "guest_id": guest_id,
        "as_of_date": as_of,
        "churn_probability": float(scored.churn_probability[0]),
        "churn_risk": str(scored.churn_risk[0]),
        "clv_12m": float(scored.clv_12m[0]),
        "segment": str(scored.segment[0]),
        "model_version": bundle.version,
    }
