"""A synthetic walker with known foot contacts, for tests and examples.

Not a biomechanical model: just enough structure for the event detector and the parameters.
Each pass starts standing (``lead_in_s``); the pelvis then moves at constant speed along
the path from half a stride before the first strike (with a small vertical bob); each foot is
planted during stance and swings by a minimum-jerk profile (``10u^3 - 15u^4 + 6u^5``) with a
vertical lift. The heel lands at foot strike while still moving forward and stops
``heel_settle_s`` later (as the heel rocker does); the toe leaves the ground at foot off,
having started to roll forward ``toe_roll_s`` before; the heel rises ``heel_rise_s`` before
foot off. Timing per gait cycle of duration ``T`` (left strike at 0):

    FS_L = 0, FO_R = d T, FS_R = a T, FO_L = (a + d) T, FS_L' = T

with ``a = right_strike_fraction`` (0.5 symmetric) and ``d = double_support_fraction``. Left
single support lasts ``(a - d) T``, right ``(1 - a - d) T``. Heels land at a fixed distance
ahead of the pelvis, so step lengths are proportional to step times.

Walks may consist of several passes in alternating directions joined by a standing turn
(``turn_s``; both feet planted, pelvis rotating by 180 deg), and frames can be blanked
(nobody in view).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from avnmotion.track import LANDMARK_INDEX, PoseTrack, empty_arrays

FloatArray = NDArray[np.float64]


def _min_jerk(u: FloatArray) -> FloatArray:
    u = np.clip(u, 0.0, 1.0)
    return 10 * u**3 - 15 * u**4 + 6 * u**5


@dataclass
class SyntheticWalk:
    """Settings of the synthetic walker (see the module docstring)."""

    fs: float = 60.0
    stride_time_s: float = 1.1
    stride_length_m: float = 1.3
    double_support_fraction: float = 0.1
    right_strike_fraction: float = 0.5
    strides_per_pass: tuple[int, ...] = (4,)
    lead_in_s: float = 0.6
    lead_out_s: float = 0.6
    turn_s: float = 1.5
    heel_settle_s: float = 0.05
    toe_roll_s: float = 0.1
    heel_rise_s: float = 0.15
    foot_length_m: float = 0.25
    foot_half_width_m: float = 0.09
    hip_height_m: float = 0.9
    missing_s: list[tuple[float, float]] = field(default_factory=list)

    def build(self) -> tuple[PoseTrack, dict[tuple[str, str], list[float]]]:
        """The 3-D laboratory track (Y up, metres) and the true events."""
        T = self.stride_time_s
        a, d = self.right_strike_fraction, self.double_support_fraction
        speed = self.stride_length_m / T
        segments: list[tuple[float, float, float, float, int]] = []  # t0, t1, x0, heading, n
        t = 0.0
        x = 0.0
        heading = 1.0
        for n in self.strides_per_pass:
            dur = self.lead_in_s + n * T + self.lead_out_s
            segments.append((t, t + dur, x, heading, n))
            x += heading * speed * (dur - self.lead_in_s + 0.5 * T)
            t += dur + self.turn_s
            heading = -heading
        total = segments[-1][1]
        times = np.arange(0.0, total + 0.5 / self.fs, 1.0 / self.fs)
        n_t = times.size
        pelvis = np.full((n_t, 3), np.nan)
        yaw = np.full(n_t, np.nan)  # 0: facing +x; pi: facing -x
        feet: dict[str, dict[str, FloatArray]] = {
            s: {"heel": np.full((n_t, 3), np.nan), "toe": np.full((n_t, 3), np.nan)}
            for s in ("left", "right")
        }
        truth: dict[tuple[str, str], list[float]] = {}
        turning: list[tuple[NDArray[np.bool_], int, FloatArray]] = []
        for k, (t0, t1, x0, hd, n) in enumerate(segments):
            sel = (times >= t0) & (times <= t1)
            tt = times[sel]
            walk0 = t0 + self.lead_in_s
            # Pelvis: still, then constant speed from half a stride before the first strike.
            go = walk0 - 0.5 * T
            pelvis[sel, 0] = x0 + hd * speed * np.maximum(0.0, tt - go)
            pelvis[sel, 2] = 0.0
            yaw[sel] = 0.0 if hd > 0 else np.pi
            self._feet(tt, sel, feet, truth, t0, t1, walk0, x0, hd, speed, n, a, d)
            if k + 1 < len(segments):
                # Standing turn: pelvis still, yaw rotating, feet planted (copied positions).
                tsel = (times > t1) & (times < segments[k + 1][0])
                u = (times[tsel] - t1) / self.turn_s
                pelvis[tsel, 0] = pelvis[sel][-1, 0]
                pelvis[tsel, 2] = 0.0
                yaw[tsel] = (0.0 if hd > 0 else np.pi) + np.pi * _min_jerk(u)
                turning.append((tsel, np.flatnonzero(sel)[-1], u))
        # During a turn the feet slide from where the pass ended to where the next begins.
        for tsel, last, u in turning:
            first = last + int(np.count_nonzero(tsel)) + 1
            for s in feet:
                for part in feet[s]:
                    arr = feet[s][part]
                    arr[tsel] = arr[last] + (arr[first] - arr[last]) * _min_jerk(u)[:, None]
        pelvis[:, 1] = self.hip_height_m + 0.02 * np.cos(4 * np.pi * times / T)
        xyz = self._landmarks(times, pelvis, yaw, feet)
        for t0m, t1m in self.missing_s:
            xyz[(times >= t0m) & (times <= t1m)] = np.nan
        arrays = empty_arrays(n_t)
        vis = np.isfinite(xyz[..., 0]).astype(np.float32)
        track = PoseTrack(
            timestamps_s=times,
            image_xyz=None,
            world_xyz=xyz.astype(np.float32),
            visibility=vis,
            presence=np.maximum(vis, arrays["presence"]),
            world_frame="lab_y_up",
            source={"kind": "synthetic", "fps": self.fs},
        )
        inside = {
            key: sorted(v for v in vals if not self._missing(v)) for key, vals in truth.items()
        }
        return track, inside

    def _missing(self, t: float) -> bool:
        return any(a - 0.3 <= t <= b + 0.3 for a, b in self.missing_s)

    def _feet(
        self,
        tt: FloatArray,
        sel: NDArray[np.bool_],
        feet: dict[str, dict[str, FloatArray]],
        truth: dict[tuple[str, str], list[float]],
        t0: float,
        t1: float,
        walk0: float,
        x0: float,
        hd: float,
        speed: float,
        n: int,
        a: float,
        d: float,
    ) -> None:
        T = self.stride_time_s
        ahead = 0.22  # heel lands this far ahead of the pelvis (m)
        for side, lat in (("left", -1.0), ("right", 1.0)):
            # Strike times of this foot in the pass (extra ones at the ends keep it planted).
            offset = 0.0 if side == "left" else a * T
            strikes = walk0 + offset + T * np.arange(-1, n + 2)
            offs = strikes + (a + d) * T - offset if side == "left" else strikes + (1 - a + d) * T
            # Foot positions (along the path) at each strike.
            pos = x0 + hd * (speed * (strikes - (walk0 - 0.5 * T)) + ahead)
            first_real = walk0 + offset
            # Before walking starts both feet stand beside the pelvis; after, they stop.
            pos = np.where(strikes < walk0, x0 + hd * 0.0, pos)
            heel = np.empty((tt.size, 3))
            toe = np.empty((tt.size, 3))
            hx = np.full(tt.size, np.nan)
            tx = np.full(tt.size, np.nan)
            hy = np.zeros(tt.size)
            ty = np.zeros(tt.size)
            for j in range(strikes.size - 1):
                fs0, fo, fs1 = strikes[j], offs[j], strikes[j + 1]
                if fs1 > t1 - 0.05:  # no strike after the pass ends: stay planted
                    fs1 = np.inf
                p0, p1 = pos[j], pos[j + 1]
                # Heel: planted from fs0 + settle to fo - rise; swings to p1 by fs1 + settle.
                h_start, h_end = fo - self.heel_rise_s, fs1 + self.heel_settle_s
                settle = self.heel_settle_s
                m = (
                    (tt >= fs0 + settle) & (tt < fs1 + settle)
                    if np.isfinite(fs1)
                    else tt >= fs0 + settle
                )
                if j == 0:
                    m |= tt < fs0 + settle
                if not np.any(m):
                    continue
                u = (tt[m] - h_start) / (h_end - h_start) if np.isfinite(fs1) else np.zeros(m.sum())
                hx[m] = p0 + (p1 - p0) * _min_jerk(u)
                lift = (tt[m] > h_start) & (tt[m] < fs1)
                ul = (tt[m][lift] - h_start) / (fs1 - h_start)
                hy_m = np.zeros(m.sum())
                hy_m[lift] = 0.25 * np.sin(np.pi * ul**0.8) ** 2
                hy[m] = hy_m
                # Toe: planted until fo, swings to p1 + foot length by fs1 + settle.
                t_roll = fo - self.toe_roll_s
                ut = (tt[m] - t_roll) / (h_end - t_roll) if np.isfinite(fs1) else np.zeros(m.sum())
                tx[m] = p0 + hd * self.foot_length_m + (p1 - p0) * _min_jerk(ut)
                tl = (tt[m] > fo) & (tt[m] < fs1 + 0.08)
                ty_m = np.zeros(m.sum())
                ty_m[tl] = 0.08 * np.sin(np.pi * (tt[m][tl] - fo) / (fs1 + 0.08 - fo))
                ty[m] = ty_m
                if np.isfinite(fs1) and fs1 >= first_real and t0 < fs1 < t1:
                    truth.setdefault((side, "foot_strike"), []).append(round(float(fs1), 6))
                if np.isfinite(fs1) and fs1 >= first_real and t0 < fo < t1 - 0.05:
                    truth.setdefault((side, "foot_off"), []).append(round(float(fo), 6))
            first = np.flatnonzero(np.isfinite(hx))
            if first.size:
                hx[: first[0]] = hx[first[0]]
                tx[: first[0]] = tx[first[0]]
            z = lat * hd * self.foot_half_width_m  # the subject's left is -z facing +x
            heel[:, 0], heel[:, 1], heel[:, 2] = hx, 0.03 + hy, z
            toe[:, 0], toe[:, 1], toe[:, 2] = tx, 0.03 + ty, z
            feet[side]["heel"][sel] = heel
            feet[side]["toe"][sel] = toe

    def _landmarks(
        self,
        times: FloatArray,
        pelvis: FloatArray,
        yaw: FloatArray,
        feet: dict[str, dict[str, FloatArray]],
    ) -> FloatArray:
        n_t = times.size
        xyz = np.full((n_t, 33, 3), np.nan)
        # Body axes from yaw: forward (cos, 0, -sin) ... left = up x forward.
        fwd = np.stack([np.cos(yaw), np.zeros(n_t), -np.sin(yaw)], axis=1)
        up = np.array([0.0, 1.0, 0.0])
        left = np.cross(up, fwd)
        i = LANDMARK_INDEX
        for side, sgn in (("left", 1.0), ("right", -1.0)):
            hip = pelvis + sgn * 0.09 * left
            shoulder = hip + np.array([0.0, 0.5, 0.0]) + sgn * 0.08 * left
            heel = feet[side]["heel"]
            toe = feet[side]["toe"]
            ankle = heel + 0.07 * up + 0.05 * fwd
            knee = 0.5 * (hip + ankle) + 0.04 * fwd
            elbow = shoulder - 0.28 * up
            wrist = elbow - 0.25 * up + 0.05 * fwd
            for name, value in (
                ("hip", hip),
                ("shoulder", shoulder),
                ("heel", heel),
                ("foot_index", toe),
                ("ankle", ankle),
                ("knee", knee),
                ("elbow", elbow),
                ("wrist", wrist),
            ):
                xyz[:, i[f"{side}_{name}"]] = value
        xyz[:, i["nose"]] = pelvis + np.array([0.0, 0.7, 0.0]) + 0.1 * fwd
        for side, sgn in (("left", 1.0), ("right", -1.0)):
            xyz[:, i[f"{side}_ear"]] = pelvis + np.array([0.0, 0.68, 0.0]) + sgn * 0.07 * left
        return xyz


def synthetic_walk(**settings: object) -> tuple[PoseTrack, dict[tuple[str, str], list[float]]]:
    """Build a :class:`SyntheticWalk` with ``settings`` and return its track and events."""
    return SyntheticWalk(**settings).build()  # type: ignore[arg-type]
