"""Gait coordinates: landmarks expressed along the walking direction, vertical and lateral.

Every gait computation works on the same three per-frame axes:

* **forward** -- the walking direction. For a 3-D laboratory track it is the direction of the
  pelvis centre's horizontal velocity averaged over a sliding 1 s window (one stride, so the
  side-to-side sway averages out while real turns are followed) wherever the pelvis moves
  faster than 0.25 leg lengths per second in the direction it faces; elsewhere (treadmill,
  standing) it is the pelvis' forward axis (``left x up``, from the hip joint centres),
  averaged the same way. For a
  side-view video it is the image x axis times the per-frame facing sign of the kinematics
  (``Kinematics.direction_sign``). A front view has no measurable forward axis.
* **up** -- lab +Y, or minus image y (pixels) for video.
* **lateral** -- the horizontal axis to the subject's left (3-D), or image x times the
  left-sign of a front view (video).

Positions are in metres (3-D) or pixels (video). ``ground_velocity`` is the forward velocity
of the support surface: 0 over ground, minus the belt speed on a treadmill; it is estimated
per pass as the 25th percentile of the feet's forward velocities, which falls inside the
stance cluster (feet are on the ground about 60 % of the time).

The record is split into **passes**: stretches of steady walking direction. In 3-D a pass
ends where the smoothed heading turns faster than ``turn_rate_deg_s``; in a video it ends
where the facing (side) or left (front) sign flips. A window of ``turn_margin_s`` around the
flip is excluded as the turn, and so is every run of frames seen from the other view that
reaches a flip, with the same margin (mid-turn a walker filmed from the side faces the
camera; on the rendered walkway clips this removed 236 of 725 pass frames, 214 of them
mid-turn, and brought cadence from -3.2 % to -0.8 % of the truth). A new
pass whose heading differs by more than 90 deg from the previous one is a direction change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from avnmotion.kinematics import (
    Kinematics,
    _image_points_px,
    detect_view_per_frame,
    facing_sign_side_view,
    left_sign_front_view,
)
from avnmotion.track import LANDMARK_INDEX, PoseTrack

FloatArray = NDArray[np.float64]
Mode = Literal["3d", "side", "front"]

SIDES: tuple[str, str] = ("left", "right")


def _nan_moving_mean(x: FloatArray, window: int) -> FloatArray:
    """Centred moving mean along axis 0 that ignores NaN (NaN where the window has none)."""
    half = max(1, int(window) | 1) // 2
    flat = x.reshape(x.shape[0], -1)
    n = flat.shape[0]
    valid = np.isfinite(flat)
    zeros = np.zeros((1, flat.shape[1]))
    csum = np.concatenate([zeros, np.cumsum(np.where(valid, flat, 0.0), axis=0)])
    ccount = np.concatenate([zeros, np.cumsum(valid, axis=0)])
    hi = np.minimum(np.arange(n) + half + 1, n)
    lo = np.maximum(np.arange(n) - half, 0)
    num = csum[hi] - csum[lo]
    den = ccount[hi] - ccount[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / den, np.nan)
    return out.reshape(x.shape)


def runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` (stop exclusive) of the True runs of a 1-D mask."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


@dataclass
class GaitCoordinates:
    """Landmarks along the gait axes; see the module docstring.

    Attributes
    ----------
    t
        Frame times, s.
    mode
        ``"3d"``, ``"side"`` or ``"front"``.
    units
        ``"m"`` or ``"px"``.
    points
        Landmark name -> ``(n_time, 3)`` array of (forward, up, lateral) coordinates measured
        from the pelvis centre (mid-hip); forward is NaN in front views, lateral NaN in side
        views.
    velocity
        Landmark name -> ``(n_time, 3)`` velocity in the ground frame (forward, up, lateral).
    pass_id
        Per frame, the index of the walking pass (-1 in turns or without a pose).
    direction_changes
        Number of reversals of the walking direction.
    leg_length
        Extended hip-to-ankle distance (90th percentile over frames, same units), the scale
        for thresholds and for normalised step lengths.
    """

    t: FloatArray
    mode: Mode
    units: str
    points: dict[str, FloatArray]
    velocity: dict[str, FloatArray]
    pass_id: NDArray[np.intp]
    direction_changes: int
    leg_length: float
    ground_velocity: FloatArray = field(default_factory=lambda: np.zeros(0))
    heading_deg: FloatArray | None = None
    notes: list[str] = field(default_factory=list)
    #: 3-D only: laboratory positions (metres) and the per-frame lateral (left) axis, for
    #: step width between planted heels.
    world: dict[str, FloatArray] = field(default_factory=dict)
    lateral_axis: FloatArray | None = None
    #: Side-view video only: per frame +1 when the walker faces image-right (the subject's
    #: right side is then the near one), -1 facing image-left, NaN undecided.
    facing_sign: FloatArray | None = None
    #: Side-view video only: pass frames without the slow ends of each pass (slowing into
    #: or speeding out of a turn); events there are still detected and reported, but phase
    #: times come from cruising frames only.
    cruising: NDArray[np.bool_] | None = None

    def is_cruising(self, time_s: float) -> bool:
        """Whether ``time_s`` lies in a pass's cruising part (always True without the mask)."""
        if self.cruising is None or self.t.size == 0:
            return True
        i = min(int(np.searchsorted(self.t, time_s)), self.t.size - 1)
        return bool(self.cruising[i])

    def near_side(self, time_s: float) -> str | None:
        """The leg nearer the camera at ``time_s`` (side-view video), else None."""
        if self.facing_sign is None or self.t.size == 0:
            return None
        i = min(int(np.searchsorted(self.t, time_s)), self.t.size - 1)
        s = self.facing_sign[i]
        return None if not np.isfinite(s) or s == 0 else ("right" if s > 0 else "left")

    @property
    def fs(self) -> float:
        return float(1.0 / np.median(np.diff(self.t))) if self.t.size > 1 else 0.0

    def foot(self, side: str, part: Literal["heel", "toe"]) -> tuple[str, bool]:
        """Landmark used for a foot part, and whether it is the preferred one.

        Heel falls back to the ankle; toe (foot index) falls back to the heel, then the ankle.
        """
        order = {
            "heel": ("heel", "ankle"),
            "toe": ("foot_index", "heel", "ankle"),
        }[part]
        for i, name in enumerate(order):
            key = f"{side}_{name}"
            if key in self.points and np.any(np.isfinite(self.points[key][:, 1])):
                return key, i == 0
        return f"{side}_{order[0]}", False


_GAIT_LANDMARKS = [
    f"{s}_{n}" for s in SIDES for n in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
]


def _gradient(x: FloatArray, t: FloatArray) -> FloatArray:
    if x.shape[0] < 2:
        return np.full_like(x, np.nan)
    return np.gradient(x, t, axis=0)


def _leg_length(p: dict[str, FloatArray]) -> float:
    """Extended leg length: 90th percentile of the hip-to-ankle distance over frames and sides.

    The knee is flexed for much of the cycle, so a high percentile approximates the straight
    leg. Hip-to-heel is used when there are no ankle landmarks.
    """
    for distal in ("ankle", "heel"):
        d = np.concatenate(
            [np.linalg.norm(p[f"{s}_{distal}"] - p[f"{s}_hip"], axis=1) for s in SIDES]
        )
        d = d[np.isfinite(d)]
        if d.size:
            return float(np.percentile(d, 90))
    return float("nan")


def infer_video_view(track: PoseTrack) -> str:
    """``"side"`` or ``"front"`` from the legs when the torso-based view is unknown.

    In a side view the feet (heel -> foot index) are long in the image compared with the hip
    width; in a front view the hips are wide and the feet foreshortened.
    """
    xy = _image_points_px(track)
    i = LANDMARK_INDEX
    feet = np.concatenate(
        [np.abs(xy[:, i[f"{s}_foot_index"], 0] - xy[:, i[f"{s}_heel"], 0]) for s in SIDES]
    )
    hips = np.abs(xy[:, i["left_hip"], 0] - xy[:, i["right_hip"], 0])
    if not np.any(np.isfinite(feet)) or not np.any(np.isfinite(hips)):
        return "side"
    return "side" if np.nanmedian(feet) > np.nanmedian(hips) else "front"


def gait_coordinates(
    track: PoseTrack,
    kin: Kinematics | None = None,
    *,
    turn_rate_deg_s: float = 45.0,
    heading_window_s: float = 1.0,
    turn_margin_s: float = 0.3,
) -> GaitCoordinates:
    """Express a track in gait coordinates (forward, up, lateral) and split it into passes.

    Parameters
    ----------
    track
        Conditioned pose track.
    kin
        Its kinematics (for the view and the per-frame facing sign of videos); computed from
        the track when omitted.
    turn_rate_deg_s
        3-D: heading changes faster than this (after the sliding mean) mark a turn.
    heading_window_s
        3-D: length of the sliding mean of the pelvis forward axis.
    turn_margin_s
        Video side view: half-width of the window excluded around a facing flip.
    """
    t = track.timestamps_s.astype(np.float64)
    n = t.size
    fs = track.sampling_rate_hz if n > 1 else 1.0
    if track.is_3d:
        return _coordinates_3d(track, t, fs, turn_rate_deg_s, heading_window_s)
    view: str | None = kin.view if kin is not None else None
    if view is None:
        from avnmotion.kinematics import detect_view_per_frame, summarise_view

        view, _ = summarise_view(detect_view_per_frame(track))
    if view not in ("side", "front"):
        view = infer_video_view(track)
    xy = _image_points_px(track)  # pixels, y up
    if view == "side":
        sign = kin.direction_sign if kin is not None and kin.direction_sign is not None else None
        if sign is None:
            sign = facing_sign_side_view(track, xy)
        sign = np.asarray(sign, dtype=np.float64)
        undecided = ~(np.isfinite(sign) & (sign != 0))
        if np.any(undecided):
            sign = np.where(undecided, walking_sign_side_view(track, xy, fs), sign)
        return _coordinates_video(track, t, fs, xy, sign, "side", turn_margin_s)
    sign = left_sign_front_view(track, xy)
    return _coordinates_video(track, t, fs, xy, sign, "front", turn_margin_s)


def walking_sign_side_view(track: PoseTrack, xy: FloatArray, fs: float) -> FloatArray:
    """Per-frame walking direction in a side view (+1 image-right) from the feet and pelvis.

    Votes: the foot points forward (ankle or heel -> foot index) and the pelvis moves forward
    (smoothed image velocity above 0.2 leg lengths per second; a treadmill gives no vote).
    Smoothed by a 0.5 s majority window like :func:`facing_sign_side_view`; it fills frames
    where the head- and foot-based facing sign is undecided (for example motion-capture
    projections without head or heel markers).
    """
    from avnmotion.kinematics import _rolling_majority

    i = LANDMARK_INDEX
    votes = np.zeros(xy.shape[0])
    for s in SIDES:
        for base in ("heel", "ankle"):
            votes += np.nan_to_num(
                np.sign(xy[:, i[f"{s}_foot_index"], 0] - xy[:, i[f"{s}_{base}"], 0])
            )
    pelvis = 0.5 * (xy[:, i["left_hip"], 0] + xy[:, i["right_hip"], 0])
    p = {name: xy[:, LANDMARK_INDEX[name]].astype(np.float64) for name in _GAIT_LANDMARKS}
    leg = _leg_length(p)
    if xy.shape[0] > 2 and np.isfinite(leg):
        v = _nan_moving_mean(np.gradient(pelvis, track.timestamps_s), max(3, round(fs)))
        moving = np.abs(v) > 0.2 * leg
        votes += 2.0 * np.where(moving, np.sign(np.nan_to_num(v)), 0.0)
    return _rolling_majority(np.sign(votes), round(0.5 * max(fs, 1.0)))


def _pelvis(w: dict[str, FloatArray]) -> FloatArray:
    return 0.5 * (w["left_hip"] + w["right_hip"])


def _coordinates_3d(
    track: PoseTrack, t: FloatArray, fs: float, turn_rate: float, window_s: float
) -> GaitCoordinates:
    assert track.world_xyz is not None
    world = track.world_xyz.astype(np.float64)
    if track.world_frame != "lab_y_up":
        world[..., 1] *= -1.0  # MediaPipe world landmarks have y down
    w = {name: world[:, LANDMARK_INDEX[name]] for name in _GAIT_LANDMARKS}
    pelvis = _pelvis(w)
    lr = w["left_hip"] - w["right_hip"]
    lr[:, 1] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        left = lr / np.linalg.norm(lr, axis=1, keepdims=True)
    up = np.array([0.0, 1.0, 0.0])
    fwd = np.cross(left, up)
    win = max(3, round(window_s * fs))
    heading = _nan_moving_mean(fwd, win)
    heading[:, 1] = 0.0
    # Over ground the direction of progression is the pelvis' mean velocity (the pelvis may
    # be rotated against the path); on a treadmill or when standing, its forward axis.
    leg = _leg_length(w)
    velocity_h = _nan_moving_mean(_gradient(pelvis, t), win)
    velocity_h[:, 1] = 0.0
    moving = np.linalg.norm(velocity_h, axis=1) > 0.25 * leg
    forward_ok = np.sum(np.nan_to_num(velocity_h * heading), axis=1) > 0
    heading = np.where((moving & forward_ok)[:, None], velocity_h, heading)
    with np.errstate(invalid="ignore", divide="ignore"):
        heading /= np.linalg.norm(heading, axis=1, keepdims=True)
    lateral = np.cross(up, heading)  # up x forward = left
    angle = np.arctan2(-heading[:, 2], heading[:, 0])
    finite = np.isfinite(angle)
    unwrapped = np.full_like(angle, np.nan)
    if np.any(finite):
        unwrapped[finite] = np.unwrap(angle[finite])
    rate = np.degrees(np.abs(_gradient(unwrapped, t)))
    steady = finite & ~(rate > turn_rate)
    points: dict[str, FloatArray] = {}
    velocity: dict[str, FloatArray] = {}
    for name, p in w.items():
        rel = p - pelvis
        v = _gradient(p, t)
        points[name] = np.stack(
            [np.sum(rel * heading, 1), p[:, 1], np.sum(rel * lateral, 1)], axis=1
        )
        velocity[name] = np.stack([np.sum(v * heading, 1), v[:, 1], np.sum(v * lateral, 1)], axis=1)
    points["pelvis"] = np.stack([np.zeros_like(t), pelvis[:, 1], np.zeros_like(t)], axis=1)
    velocity["pelvis"] = np.stack(
        [np.sum(_gradient(pelvis, t) * heading, 1), _gradient(pelvis[:, 1], t), np.zeros_like(t)],
        axis=1,
    )
    pass_id, changes = _passes(steady, np.degrees(unwrapped))
    coords = GaitCoordinates(
        t=t,
        mode="3d",
        units="m",
        points=points,
        velocity=velocity,
        pass_id=pass_id,
        direction_changes=changes,
        leg_length=leg,
        heading_deg=np.degrees(unwrapped),
        world=w,
        lateral_axis=lateral,
    )
    coords.ground_velocity = _ground_velocity(coords)
    return coords


def _passes(steady: NDArray[np.bool_], heading_deg: FloatArray) -> tuple[NDArray[np.intp], int]:
    """Number the steady runs; count reversals (> 90 deg between consecutive passes)."""
    pass_id = np.full(steady.size, -1, dtype=np.intp)
    previous: float | None = None
    changes = 0
    for k, (a, b) in enumerate(runs(steady)):
        pass_id[a:b] = k
        mean_heading = float(np.nanmedian(heading_deg[a:b]))
        if previous is not None:
            diff = abs((mean_heading - previous + 180.0) % 360.0 - 180.0)
            if diff > 90.0:
                changes += 1
        previous = mean_heading
    return pass_id, changes


def _coordinates_video(
    track: PoseTrack,
    t: FloatArray,
    fs: float,
    xy: FloatArray,
    sign: FloatArray,
    mode: Mode,
    turn_margin_s: float,
) -> GaitCoordinates:
    p = {name: xy[:, LANDMARK_INDEX[name]].astype(np.float64) for name in _GAIT_LANDMARKS}
    pelvis = _pelvis(p)
    sign = np.where(np.isfinite(sign) & (sign != 0), np.sign(sign), np.nan)
    points: dict[str, FloatArray] = {}
    velocity: dict[str, FloatArray] = {}
    nan = np.full_like(t, np.nan)
    for name, q in p.items():
        rel = q - pelvis
        v = _gradient(q, t)
        if mode == "side":
            points[name] = np.stack([rel[:, 0] * sign, q[:, 1], nan], axis=1)
            velocity[name] = np.stack([v[:, 0] * sign, v[:, 1], nan], axis=1)
        else:
            points[name] = np.stack([nan, q[:, 1], rel[:, 0] * sign], axis=1)
            velocity[name] = np.stack([nan, v[:, 1], v[:, 0] * sign], axis=1)
    vp = _gradient(pelvis, t)
    points["pelvis"] = np.stack([np.zeros_like(t), pelvis[:, 1], np.zeros_like(t)], axis=1)
    velocity["pelvis"] = np.stack(
        [vp[:, 0] * sign if mode == "side" else nan, vp[:, 1], nan], axis=1
    )
    # Passes: runs of constant sign, minus a margin around each flip (the turn). A turn
    # seen from the other view (mid-turn the walker faces the camera in a side view, or shows
    # a side in a front view: up to 40 % of a walkway clip) is left out as a whole, with the
    # margin: each run of other-view frames that reaches a flip. Other-view frames away from
    # a flip (perspective at the edges of a wide view) stay in their pass.
    steady = np.isfinite(sign) & np.isfinite(pelvis[:, 0])
    flips = np.flatnonzero(np.diff(np.nan_to_num(sign)) != 0) + 1
    flips = flips[(sign[flips - 1] != 0) & np.isfinite(sign[flips - 1]) & np.isfinite(sign[flips])]
    margin = round(turn_margin_s * fs)
    idx = np.arange(t.size)
    for f in flips:
        steady &= np.abs(idx - f) > margin
    other = "front" if mode == "side" else "side"
    for a, b in runs(detect_view_per_frame(track) == other):  # loop over turns
        if np.any((flips >= a - margin) & (flips <= b + margin)):
            steady[max(0, a - margin) : b + margin] = False
    pass_id = np.full(t.size, -1, dtype=np.intp)
    for k, (a, b) in enumerate(runs(steady)):
        pass_id[a:b] = k
    cruising = (
        _cruising_frames(steady, _gradient(pelvis, t)[:, 0] * sign, fs, p)
        if mode == "side"
        else None
    )
    changes = int(flips.size) if mode == "side" else 0
    coords = GaitCoordinates(
        t=t,
        mode=mode,
        units="px",
        points=points,
        velocity=velocity,
        pass_id=pass_id,
        direction_changes=changes,
        leg_length=_leg_length(p),
        heading_deg=None,
        facing_sign=sign if mode == "side" else None,
        cruising=cruising,
    )
    coords.ground_velocity = _ground_velocity(coords)
    return coords


#: A pass's leading and trailing frames whose forward pelvis speed (1 s moving mean) is
#: below this share of the pass median are the walker slowing into or out of a turn.
SLOW_PASS_END_FRACTION = 0.6


def _cruising_frames(
    steady: NDArray[np.bool_], forward_speed: FloatArray, fs: float, p: dict[str, FloatArray]
) -> NDArray[np.bool_]:
    """Side view: the passes without their slow ends (deceleration into, acceleration out of
    a turn), for :attr:`GaitCoordinates.cruising`.

    On the rendered walkway clips the facing flip and the front-on frames of a turn left up
    to 1.4 s of the turn in the passes walked in one direction (the walker already side-on
    but still at 0.3-0.9 of the pass speed), and those turn steps read 30-80 ms short in
    stance. Events there are still detected (a first step after standing is a real event).
    Only over ground (median pass speed above 0.3 leg lengths per second); the
    interior of a pass is never cut, so a walker who slows mid-pass stays in.
    """
    leg = _leg_length(p)
    if not np.isfinite(leg) or leg <= 0:
        return steady
    speed = _nan_moving_mean(forward_speed / leg, round(fs))
    out = steady.copy()
    for a, b in runs(steady):  # loop over passes
        seg = speed[a:b]
        if not np.any(np.isfinite(seg)):
            continue
        median = float(np.nanmedian(seg))
        if median < 0.3:
            continue
        fast = np.flatnonzero(seg >= SLOW_PASS_END_FRACTION * median)
        if fast.size == 0:
            continue
        out[a : a + int(fast[0])] = False
        out[a + int(fast[-1]) + 1 : b] = False
    return out


def _ground_velocity(c: GaitCoordinates) -> FloatArray:
    """Per-frame forward velocity of the support surface (0 over ground, belt on a treadmill).

    The 25th percentile, per pass, of the heel and toe forward velocities. Never larger in
    magnitude than 0.1 leg lengths per second when the pelvis moves over the ground (a moving
    pelvis means the ground is still).
    """
    out = np.zeros(c.t.size)
    if c.mode == "front":
        return out
    for k in np.unique(c.pass_id[c.pass_id >= 0]):
        sel = c.pass_id == k
        vals = []
        for s in SIDES:
            for part in ("heel", "toe"):
                name, _ = c.foot(s, part)  # type: ignore[arg-type]
                if name in c.velocity:
                    vals.append(c.velocity[name][sel, 0])
        v = np.concatenate(vals) if vals else np.zeros(0)
        v = v[np.isfinite(v)]
        if v.size:
            out[sel] = float(np.percentile(v, 25))
    return out


def details(c: GaitCoordinates) -> dict[str, Any]:
    """Small JSON-able summary of the coordinates (for ``GaitResult.details``)."""
    return {
        "mode": c.mode,
        "units": c.units,
        "leg_length": None if not np.isfinite(c.leg_length) else round(c.leg_length, 4),
        "passes": int(np.unique(c.pass_id[c.pass_id >= 0]).size),
    }
