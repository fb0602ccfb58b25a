"""A guest base that grows and changes: acquisition growth and a shock period with fewer trips.

Real customer bases are not stationary: most guests are recent (the base grows), and some
years everyone travels less (a pandemic, a recession, a closed property). A classifier that
learns on snapshots one horizon old sees another population than today's; this module makes
the synthetic world do the same, while the oracle (:mod:`guestloyalty.synth.oracle`) stays
exact:

- **acquisition growth** ``g``: first stays arrive with a density proportional to
  ``(1 + g) ** years_since_start`` (``g = 1``: each year brings twice the previous year's new
  guests), times the shock factor inside the shock;
- **a shock** ``[shock_start, shock_end]`` with a trip factor ``f`` per trip purpose
  (business travel can collapse while leisure holds up, as in 2020): every trip after the
  acquisition is kept with probability ``f`` inside it (thinning), so stays are a Poisson
  process of rate ``f x r`` there and ``r`` elsewhere; acquisitions inside it fall by the
  purpose-weighted mean factor. Dropout hazards are untouched: the oracle integrates the rate
  piece by piece over its window.

The stationary world (``g = 0``, no shock) draws exactly the random numbers it always drew.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from guestloyalty.synth import params as P

EPOCH = dt.date(1970, 1, 1)
YEAR = 365.25


@dataclass(frozen=True)
class Change:
    """World-level non-stationarity, in days since 1970-01-01 (shock: ``[start, end)``)."""

    acquisition_growth: float = 0.0
    shock_start_day: float | None = None
    shock_end_day: float | None = None
    #: Trip factor inside the shock per purpose (order of ``params.PURPOSES``).
    shock_trip_factors: tuple[float, ...] = (1.0,) * len(P.PURPOSES)

    @classmethod
    def of(
        cls,
        *,
        acquisition_growth: float = 0.0,
        shock_start: dt.date | None = None,
        shock_end: dt.date | None = None,
        shock_trip_factors: tuple[float, ...] | None = None,
    ) -> Change:
        """From dates; ``shock_end`` is the last day of the shock (inclusive)."""
        factors = tuple(shock_trip_factors or (1.0,) * len(P.PURPOSES))
        has_shock = shock_start is not None and shock_end is not None and factors != (1.0,) * 4
        return cls(
            acquisition_growth=acquisition_growth,
            shock_start_day=float((shock_start - EPOCH).days) if has_shock else None,
            shock_end_day=float((shock_end - EPOCH).days + 1) if has_shock else None,
            shock_trip_factors=factors if has_shock else (1.0,) * len(P.PURPOSES),
        )

    def trip_factor(self, purpose: np.ndarray) -> np.ndarray:
        """Each person's trip factor inside the shock."""
        return np.asarray(self.shock_trip_factors, dtype=np.float64)[purpose]

    @property
    def acquisition_factor(self) -> float:
        """How much acquisitions fall inside the shock: the purpose-weighted mean factor."""
        return float(np.dot(self.shock_trip_factors, P.PURPOSE_SHARE))

    @property
    def has_shock(self) -> bool:
        return self.shock_start_day is not None and self.shock_end_day is not None

    @property
    def is_stationary(self) -> bool:
        return self.acquisition_growth == 0.0 and not self.has_shock

    def in_shock(self, days: np.ndarray) -> np.ndarray:
        if not self.has_shock:
            return np.zeros(np.shape(days), dtype=bool)
        return (days >= self.shock_start_day) & (days < self.shock_end_day)

    def acquisition_days(self, u: np.ndarray, start_day: float, end_day: float) -> np.ndarray:
        """Map uniforms ``u`` in [0, 1) to acquisition days in ``[start_day, end_day)``."""
        if self.is_stationary:
            return start_day + u * (end_day - start_day)
        edges = np.arange(start_day, end_day + 1.0)
        mid = edges[:-1] + 0.5
        weight = (1.0 + self.acquisition_growth) ** ((mid - start_day) / YEAR)
        weight = np.where(self.in_shock(mid), weight * self.acquisition_factor, weight)
        cdf = np.r_[0.0, np.cumsum(weight)]
        return np.interp(u * cdf[-1], cdf, edges)

    def window_pieces(self, window_start: float, length: float) -> list[tuple[float, bool]]:
        """``[window_start, window_start + length)`` as (days, inside the shock) pieces."""
        if not self.has_shock:
            return [(length, False)]
        end = window_start + length
        lo = min(max(self.shock_start_day, window_start), end)
        hi = min(max(self.shock_end_day, lo), end)
        return [(lo - window_start, False), (hi - lo, True), (end - hi, False)]
