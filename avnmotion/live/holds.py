"""Holds followed live: candidate runs on a causally filtered signal, measured when they close
with the offline rule (:func:`avnmotion.exercises.counting.detect_holds`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LiveHold:
    """A completed hold (times in seconds of the session clock)."""

    channel: str
    start_s: float
    end_s: float
    duration_s: float
    level: float
    start_index: int
    end_index: int


class HoldTracker:
    """Candidate hold runs on a causally filtered signal, measured when they close.

    A run opens when the signal is beyond the hold threshold and closes once it has been out of
    position for longer than ``bridge_s``; the closed run's samples (bounded by the run length)
    are measured with :func:`avnmotion.exercises.counting.detect_holds`, the offline rule.
    """

    MAX_RUN_S = 600.0

    def __init__(self, spec: Any, channel: str) -> None:
        self.spec = spec
        self.channel = channel
        self._t: list[float] = []
        self._y: list[float] = []
        self._i: list[int] = []
        self.run_start_s: float | None = None
        self.last_in_s: float | None = None
        self.holds: list[LiveHold] = []

    def _inside(self, y: float) -> bool:
        # The position test of detect_holds, on one sample.
        d = self.spec.direction
        if d == ">=":
            return y >= self.spec.threshold
        if d == "<=":
            return y <= self.spec.threshold
        return abs(y) <= self.spec.threshold

    def current_s(self, now_s: float) -> float:
        """Seconds in position in the open run (0 when out of position)."""
        if self.run_start_s is None or self.last_in_s is None or self.last_in_s < now_s:
            return 0.0
        return now_s - self.run_start_s

    def push(self, index: int, t: float, y: float) -> list[LiveHold]:
        if not math.isfinite(y):
            return []
        inside = self._inside(y)
        if inside and self.run_start_s is None:
            self.run_start_s = t
            self._t, self._y, self._i = [], [], []
        if self.run_start_s is None:
            return []
        self._t.append(t)
        self._y.append(y)
        self._i.append(index)
        if inside:
            self.last_in_s = t
        assert self.last_in_s is not None
        if (not inside and t - self.last_in_s > self.spec.bridge_s) or (
            t - self.run_start_s > self.MAX_RUN_S
        ):
            return self.close()
        return []

    def close(self) -> list[LiveHold]:
        from avnmotion.exercises.counting import detect_holds

        done: list[LiveHold] = []
        if len(self._t) >= 2:
            for h in detect_holds(np.asarray(self._t), np.asarray(self._y), self.spec):
                done.append(
                    LiveHold(
                        self.channel,
                        h.start_s,
                        h.end_s,
                        h.duration_s,
                        h.level,
                        self._i[h.start_index],
                        self._i[h.end_index],
                    )
                )
        self.holds.extend(done)
        self.run_start_s = self.last_in_s = None
        self._t, self._y, self._i = [], [], []
        return done
