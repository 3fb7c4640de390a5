"""Cadence and stride times in a front view from the feet passing each other (mid-swing).

Filmed from the front (walking towards or away from the camera), a foot's forward motion
shows as vertical image motion: a ground point nearer the camera appears lower. The swinging
foot passes the standing one at mid-swing, so the signed vertical distance between the feet,

    d(t) = (y_left_toe(t) - y_right_toe(t)) / L(t)

(image y up, ``L`` the mean hip-to-ankle image distance of the two legs, so that ``d`` is
scale-free as the walker approaches), changes sign once per step. Each sign change that
clears a hysteresis band of ``+- hysteresis_leg_lengths`` is a *mid-swing crossing*; its time
is the linear interpolation of the zero crossing, and its side is the foot that moves faster
there (the swinging foot; the other stands still). Consecutive same-side crossings within one
walking pass give stride times; cadence is ``120 / mean stride time`` (two steps per stride).

Why mid-swing and not foot contact: a front view shows no forward foot position, and foot
stillness in the image (:class:`~avnmotion.gait.events.FootVelocityEventDetector`) put only
12-14 % of foot strikes and foot offs within one frame on the rendered front-view walks,
while the crossings are sharp (two position signals crossing with opposite slopes).

Known bias (perspective). The swinging toe is lifted by its clearance ``c`` above the standing
one, which moves its crossing by ``+- Z c / ((h - c) u)`` (``Z`` distance from the camera,
``h`` camera height, ``u`` swing-foot speed). That shift shrinks at the walking speed ``v``
in both directions (towards and away), so measured stride times are short by about
``c v / (h u)``: 0.5-1 % for a toe clearance of 2 cm, a camera at 1.2 m and
``u / v`` of 2.5. Measured cadence errors: rendered front walks -0.7 % and +0.7 % (13-14
strides, ``tests/integration/test_gait_samples.py``); the BTK motion-capture walk projected
to a camera 4 m away at 1.0 / 1.5 m height, +0.0 / +0.0 % walking towards and +2.7 / +1.2 %
walking away (4 strides); the synthetic walker, whose toe lifts 8 cm, +0.1 to +1.6 %.
Left-right crossing times also differ by a camera offset from the walking line, so per-side
step times and their symmetry are *not* derived from crossings; same-side stride times
cancel it.

Turns are left out by the walking passes of
:func:`~avnmotion.gait.geometry.gait_coordinates`; steps on the spot have a small ``d`` and
rarely clear the hysteresis band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from avnmotion.gait.geometry import SIDES, GaitCoordinates
from avnmotion.signal import _prev_next_valid

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MidSwing:
    """One mid-swing crossing: the ``side`` foot passed the other at ``time_s``."""

    side: str
    time_s: float
    pass_id: int


def _leg_length_px(c: GaitCoordinates) -> FloatArray:
    """Per-frame mean hip-to-ankle image distance of the two legs (vertical, lateral)."""
    legs = np.stack(
        [
            np.hypot(
                c.points[f"{s}_hip"][:, 1] - c.points[f"{s}_ankle"][:, 1],
                np.nan_to_num(c.points[f"{s}_hip"][:, 2] - c.points[f"{s}_ankle"][:, 2]),
            )
            for s in SIDES
        ]
    )
    n = np.sum(np.isfinite(legs), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(legs, axis=0) / n, np.nan)


class FootCrossingDetector:
    """Mid-swing crossings, stride times and cadence in a front view (see module docstring).

    Parameters
    ----------
    hysteresis_leg_lengths
        Half-width of the band ``d`` must cross, in leg lengths (the rendered walks reach
        0.13 leg lengths at 7 m from the camera and 0.35 at 2 m).
    min_stride_time_s, max_stride_time_s
        Plausible stride times; others are dropped and counted (a missed crossing doubles a
        stride).

    Attributes
    ----------
    mid_swings_ : list of MidSwing
        Crossings inside walking passes, in time order.
    stride_times_s_ : dict
        ``{"left": array, "right": array}`` of same-side crossing intervals within a pass.
    n_strides_ : int
        Strides behind the cadence.
    cadence_steps_per_min_, cadence_se_steps_per_min_ : float or None
        ``120 / mean stride time`` and its standard error from the stride-time spread
        (``cadence * SD / (mean sqrt(n))``); None below two strides.
    dropped_ : int
        Crossing intervals left out (side order broken, or stride time implausible).
    """

    def __init__(
        self,
        *,
        hysteresis_leg_lengths: float = 0.04,
        min_stride_time_s: float = 0.6,
        max_stride_time_s: float = 2.5,
    ) -> None:
        self.hysteresis_leg_lengths = hysteresis_leg_lengths
        self.min_stride_time_s = min_stride_time_s
        self.max_stride_time_s = max_stride_time_s

    def detect(self, coords: GaitCoordinates) -> FootCrossingDetector:
        c = coords
        t = c.t
        toe = {s: c.foot(s, "toe")[0] for s in SIDES}
        leg = _leg_length_px(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (c.points[toe["left"]][:, 1] - c.points[toe["right"]][:, 1]) / leg
            speed = {s: np.abs(c.velocity[toe[s]][:, 1]) / leg for s in SIDES}
        h = self.hysteresis_leg_lengths
        band = np.where(d > h, 1.0, np.where(d < -h, -1.0, np.nan))
        last, _ = _prev_next_valid(np.isfinite(band))  # hold the last side of the band
        state = np.where(last >= 0, band[np.maximum(last, 0)], np.nan)
        # A state change from -1 to +1 (or back) is one crossing; it lies after the last
        # sign change of d before the frame where the band was cleared.
        k = np.flatnonzero(np.isfinite(state[:-1]) & (np.diff(state) != 0)) + 1
        sign = np.sign(d)
        zc = np.flatnonzero(np.isfinite(d[:-1]) & np.isfinite(d[1:]) & (sign[:-1] != sign[1:]))
        pos = np.searchsorted(zc, k, side="left") - 1  # last sign change before k
        ok = pos >= 0
        k, a = k[ok], zc[pos[ok]]  # sign change between frames a and a + 1
        frac = -d[a] / (d[a + 1] - d[a])
        times = t[a] + frac * (t[a + 1] - t[a])
        swinging = np.where(speed["left"][a + 1] >= speed["right"][a + 1], "left", "right")
        pass_id = c.pass_id[a + 1]
        inside = pass_id >= 0
        self.mid_swings_ = [
            MidSwing(str(s), round(float(ti), 4), int(p))
            for s, ti, p in zip(swinging[inside], times[inside], pass_id[inside], strict=True)
        ]
        self._strides(self.mid_swings_)
        return self

    def _strides(self, ms: list[MidSwing]) -> None:
        strides: dict[str, list[float]] = {s: [] for s in SIDES}
        dropped = 0
        for i in range(len(ms) - 2):  # loop over crossings, not frames
            a, b, e = ms[i], ms[i + 1], ms[i + 2]
            if not a.pass_id == b.pass_id == e.pass_id:
                continue
            if not (a.side == e.side != b.side):
                dropped += 1
                continue
            dt = e.time_s - a.time_s
            if not self.min_stride_time_s <= dt <= self.max_stride_time_s:
                dropped += 1
                continue
            strides[a.side].append(dt)
        self.stride_times_s_ = {s: np.asarray(v) for s, v in strides.items()}
        self.dropped_ = dropped
        all_strides = np.concatenate(list(self.stride_times_s_.values()))
        self.n_strides_ = int(all_strides.size)
        if all_strides.size >= 2:
            mean = float(np.mean(all_strides))
            cadence = 120.0 / mean
            se = cadence * float(np.std(all_strides, ddof=1)) / (mean * np.sqrt(all_strides.size))
            self.cadence_steps_per_min_: float | None = round(cadence, 2)
            self.cadence_se_steps_per_min_: float | None = round(se, 2)
        else:
            self.cadence_steps_per_min_ = None
            self.cadence_se_steps_per_min_ = None

    def stride_time_s(self, side: str) -> tuple[float | None, float | None]:
        """Mean and SD (s) of one side's crossing stride times (None without enough)."""
        v = self.stride_times_s_[side]
        mean = round(float(np.mean(v)), 4) if v.size else None
        sd = round(float(np.std(v, ddof=1)), 4) if v.size > 1 else None
        return mean, sd

    def summary(self) -> dict[str, object]:
        """JSON-able record for ``GaitResult.details['front_view_crossings']``."""
        return {
            "method": "mid-swing foot crossings (front view)",
            "mid_swings": [
                {"side": m.side, "time_s": m.time_s, "pass": m.pass_id} for m in self.mid_swings_
            ],
            "stride_time_s": {s: self.stride_time_s(s)[0] for s in SIDES},
            "stride_time_sd_s": {s: self.stride_time_s(s)[1] for s in SIDES},
            "n_strides": self.n_strides_,
            "cadence_steps_per_min": self.cadence_steps_per_min_,
            "cadence_se_steps_per_min": self.cadence_se_steps_per_min_,
            "dropped_intervals": self.dropped_,
        }
