"""Bounded running statistics: whole-session summaries in O(1) memory and time per frame.

The offline analysis chooses the working side on the whole clip
(:func:`avnmotion.exercises.signals.choose_sides`: robust range of each side, correlation of
the sides); :class:`SideChooser` applies the same rule to histogram percentiles
(:class:`RunningQuantile`) and running co-moments (:class:`RunningCorrelation`).
"""

from __future__ import annotations

import math

import numpy as np

from avnmotion import signal as sig
from avnmotion.exercises.signals import poorly_seen_side
from avnmotion.kinematics import SIDES


class RunningQuantile:
    """Percentiles of every value seen so far, from a fixed-bin histogram.

    Memory and time per value are constant; a percentile is exact to one ``bin_width``. Values
    beyond the histogram (``n_bins / 2`` bins either side of the first value) fall into the
    edge bins.
    """

    def __init__(self, bin_width: float, n_bins: int = 8001) -> None:
        self.bin_width = float(bin_width)
        self.counts = np.zeros(int(n_bins), dtype=np.int64)
        self.origin: float | None = None
        self.n = 0

    def add(self, value: float) -> None:
        if not math.isfinite(value):
            return
        if self.origin is None:
            self.origin = value - (self.counts.size // 2 + 0.5) * self.bin_width
        i = int((value - self.origin) // self.bin_width)
        self.counts[min(max(i, 0), self.counts.size - 1)] += 1
        self.n += 1

    def percentile(self, q: float) -> float | None:
        if self.n == 0 or self.origin is None:
            return None
        rank = q / 100.0 * (self.n - 1)  # np.percentile's 0-based position
        lo_rank, frac = math.floor(rank), rank - math.floor(rank)
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, lo_rank + 1))
        j = int(np.searchsorted(cum, min(lo_rank + 2, self.n)))
        centre = self.origin + 0.5 * self.bin_width
        return centre + ((1.0 - frac) * i + frac * j) * self.bin_width

    def robust_range(self, lo: float = 5.0, hi: float = 95.0) -> float:
        """As :func:`avnmotion.exercises.signals.robust_range` (0 with fewer than 3 values)."""
        if self.n < 3:
            return 0.0
        a, b = self.percentile(lo), self.percentile(hi)
        assert a is not None and b is not None
        return float(b - a)


class RunningCorrelation:
    """Pearson correlation of finite pairs seen so far (Welford co-moments)."""

    def __init__(self) -> None:
        self.n = 0
        self.mx = self.my = self.sxx = self.syy = self.sxy = 0.0

    def add(self, x: float, y: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self.n += 1
        dx = x - self.mx
        self.mx += dx / self.n
        dy = y - self.my
        self.my += dy / self.n
        self.sxx += dx * (x - self.mx)
        self.syy += dy * (y - self.my)
        self.sxy += dx * (y - self.my)

    def correlated(self, threshold: float = 0.5) -> bool:
        """As ``signals._correlated``: at least 10 pairs and r above ``threshold``."""
        if self.n < 10 or self.sxx <= 0 or self.syy <= 0:
            return False
        return self.sxy / math.sqrt(self.sxx * self.syy) > threshold


class SideChooser:
    """:func:`avnmotion.exercises.signals.choose_sides` on running whole-session statistics.

    The offline rule looks at the whole clip (robust range of each side, correlation of the
    sides); here the same rule reads histogram percentiles and running co-moments of the
    causally filtered side signals, so the live choice converges to the offline one without
    keeping the history.
    """

    def __init__(
        self,
        min_amplitude: float,
        working_side: str | None,
        sampling_rate_hz: float,
        bin_width: float,
    ) -> None:
        # The low-pass of the offline side choice (analysis._side_choice_signals).
        from avnmotion.exercises.analysis import SIDE_CHOICE_CUTOFF_HZ

        self.min_amplitude = float(min_amplitude)
        self.working_side = working_side
        self.q = {s: RunningQuantile(bin_width) for s in SIDES}
        self.corr = RunningCorrelation()
        self._filter = sig.CausalLowpass(
            sampling_rate_hz,
            cutoff_hz=min(SIDE_CHOICE_CUTOFF_HZ, 0.45 * sampling_rate_hz),
            n_channels=2,
        )

    def add(self, left: float, right: float) -> None:
        smooth = self._filter.process(np.array([[left, right]], dtype=np.float64))[0]
        lf = float(smooth[0]) if math.isfinite(left) else math.nan
        rf = float(smooth[1]) if math.isfinite(right) else math.nan
        self.q["left"].add(lf)
        self.q["right"].add(rf)
        self.corr.add(lf, rf)

    def choose(self) -> tuple[str, list[str]]:
        """``(working side, channels to count on)`` as ``choose_sides`` decides."""
        ws = self.working_side
        if ws in ("left", "right"):
            return ws, [ws]
        seen = poorly_seen_side(self.q["left"].n, self.q["right"].n)
        if ws != "both" and seen is not None:
            other = "right" if seen == "left" else "left"
            return other, [other]
        r_left, r_right = self.q["left"].robust_range(), self.q["right"].robust_range()
        larger = "left" if r_left >= r_right else "right"
        big, small = max(r_left, r_right), min(r_left, r_right)
        if ws != "both" and (big < self.min_amplitude or small < 0.5 * big):
            return larger, [larger]
        if self.corr.correlated():
            return "both", ["both"]
        return "both", ["left", "right"]
