"""Defaults that paths which must start fast read without building the typed settings.

``score-guest`` answers in a fraction of a second, so it does not import pydantic (whose
first model costs ~0.12 s); :class:`guestloyalty.config.ChurnRiskCutoffs` takes its defaults
from here, so both agree.
"""

from __future__ import annotations

#: Churn probability at or above which a guest is MEDIUM, HIGH, CRITICAL risk.
RISK_MEDIUM = 0.5
RISK_HIGH = 0.7
RISK_CRITICAL = 0.85
