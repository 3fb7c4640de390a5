"""Driving signals for exercises: joint angles by side, and distances from the landmarks.

Distances are in body units so that they do not depend on the camera distance:

``hip_height_leg_lengths``
    Height of the mid-hip above the mid-ankle divided by the clip's leg length (90th percentile
    over frames of hip->knee + knee->ankle, i.e. a standing frame). Counts squats and
    sit-to-stands from the front, where knee angles are not visible.
``hip_height_torso_lengths``
    The same height divided by the per-frame torso length (mid-shoulder to mid-hip): scale-free
    frame by frame, for tests in which the subject walks towards or away from the camera (TUG).
``foot_lift_leg_lengths`` (per side)
    How far the *other* foot's lowest point is above this side's lowest foot point, in leg
    lengths: positive while standing on this side's leg with the other foot lifted.

Vertical positions come from image coordinates (pixels, y flipped to point up) or, for 3-D
tracks, from the world frame (y up in the lab frame).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.kinematics import AXIAL_ANGLES, Kinematics
from avnmotion.track import LANDMARK_INDEX, PoseTrack

FloatArray = NDArray[np.float64]
SIDES = ("left", "right")
DISTANCE_SIGNALS = (
    "hip_height_leg_lengths",
    "hip_height_torso_lengths",
    "foot_lift_leg_lengths",
)


def body_points(track: PoseTrack) -> dict[str, FloatArray]:
    """Landmarks as ``(n, 2)`` arrays of (horizontal, up) in pixels or metres."""
    if track.image_xyz is not None:
        w, h = track.frame_size_px or (1, 1)
        xy = track.image_xyz[..., :2].astype(np.float64) * np.array([w, h], dtype=np.float64)
        xy[..., 1] *= -1.0
    else:
        assert track.world_xyz is not None
        world = track.world_xyz.astype(np.float64)
        up = world[..., 1] if track.world_frame == "lab_y_up" else -world[..., 1]
        horiz = world[..., 0]
        xy = np.stack([horiz, up], axis=-1)
    return {name: xy[:, i, :] for name, i in LANDMARK_INDEX.items()}


def _seg(p: dict[str, FloatArray], a: str, b: str, world: NDArray[Any] | None) -> FloatArray:
    if world is not None:
        return np.linalg.norm(
            world[:, LANDMARK_INDEX[a]].astype(np.float64)
            - world[:, LANDMARK_INDEX[b]].astype(np.float64),
            axis=1,
        )
    return np.linalg.norm(p[a] - p[b], axis=1)


def leg_length_per_frame(track: PoseTrack, p: dict[str, FloatArray] | None = None) -> FloatArray:
    """Per frame, the longer of the two legs' hip->knee + knee->ankle lengths."""
    p = body_points(track) if p is None else p
    world = track.world_xyz if track.image_xyz is None else None
    lengths = [
        _seg(p, f"{s}_hip", f"{s}_knee", world) + _seg(p, f"{s}_knee", f"{s}_ankle", world)
        for s in SIDES
    ]
    with np.errstate(invalid="ignore"):
        return np.fmax(lengths[0], lengths[1])


def hip_travel_leg_lengths(track: PoseTrack, p: dict[str, FloatArray] | None = None) -> float:
    """How far the mid-hip point ranges horizontally over the clip (2nd to 98th percentile),
    in clip leg lengths; NaN without a scale. Across the view, walking covers several leg
    lengths; exercises done in place stay within about 0.4 (sit-to-stand, rendered samples)."""
    p = body_points(track) if p is None else p
    scale = clip_leg_length(track, p)
    x = 0.5 * (p["left_hip"][:, 0] + p["right_hip"][:, 0])
    if scale is None or np.count_nonzero(np.isfinite(x)) < 2:
        return float("nan")
    lo, hi = np.nanpercentile(x, [2.0, 98.0])
    return float((hi - lo) / scale)


def clip_leg_length(track: PoseTrack, p: dict[str, FloatArray] | None = None) -> float | None:
    """Robust leg length of the clip: 90th percentile over frames (a straight-leg frame)."""
    per_frame = leg_length_per_frame(track, p)
    if not np.any(np.isfinite(per_frame)):
        return None
    value = float(np.nanpercentile(per_frame, 90))
    return value if value > 0 else None


CAUSAL_LEG_MEDIAN_FRAMES = 5


def causal_leg_length(per_frame: FloatArray, median_frames: int = CAUSAL_LEG_MEDIAN_FRAMES):
    """Causal leg-length scale: running maximum of a trailing median of the per-frame length.

    Only past frames are used, so the live path (:class:`CausalLegLength`) computes the same
    values frame by frame. The trailing median removes single-frame glitches before the
    running maximum keeps the longest (straight-leg) length seen so far.
    """
    x = np.asarray(per_frame, dtype=np.float64)
    k = max(1, int(median_frames))
    padded = np.concatenate([np.full(k - 1, np.nan), x])
    windows = np.lib.stride_tricks.sliding_window_view(padded, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(windows, axis=1)
    return np.fmax.accumulate(med)


class CausalLegLength:
    """Frame-by-frame twin of :func:`causal_leg_length` (for the live path)."""

    def __init__(self, median_frames: int = CAUSAL_LEG_MEDIAN_FRAMES) -> None:
        self.k = max(1, int(median_frames))
        self._recent = [np.nan] * (self.k - 1)
        self.value = np.nan

    def update(self, length: float) -> float:
        self._recent.append(float(length))
        window = np.asarray(self._recent[-self.k :], dtype=np.float64)
        self._recent = self._recent[-(self.k - 1) :] if self.k > 1 else []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = float(np.nanmedian(window))
        self.value = float(np.fmax(self.value, med))
        return self.value


def _mid(p: dict[str, FloatArray], name: str) -> FloatArray:
    return 0.5 * (p[f"left_{name}"] + p[f"right_{name}"])


def hip_height_leg_lengths(
    track: PoseTrack, leg_length: float | None = None, *, causal: bool = False
) -> FloatArray:
    """Mid-hip height above the mid-ankle in leg lengths (see the module docstring).

    ``leg_length`` (same units as the track) overrides the clip estimate. ``causal=True``
    divides by :func:`causal_leg_length` instead (what counting uses, so that the live path can
    compute the same signal frame by frame).
    """
    p = body_points(track)
    height = _mid(p, "hip")[:, 1] - _mid(p, "ankle")[:, 1]
    if causal and leg_length is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            return height / causal_leg_length(leg_length_per_frame(track, p))
    scale = leg_length if leg_length is not None else clip_leg_length(track, p)
    if scale is None:
        return np.full(track.n_frames, np.nan)
    return height / scale


def hip_height_torso_lengths(track: PoseTrack) -> FloatArray:
    """Mid-hip height above the mid-ankle divided by the per-frame torso length."""
    p = body_points(track)
    torso = np.linalg.norm(_mid(p, "shoulder") - _mid(p, "hip"), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (_mid(p, "hip")[:, 1] - _mid(p, "ankle")[:, 1]) / torso


def foot_low_point(
    p: dict[str, FloatArray], side: str, points: tuple[str, ...] = ("ankle", "heel", "foot_index")
) -> FloatArray:
    """Height of the lowest of ``points`` of the foot (NaN-aware)."""
    stacked = np.stack([p[f"{side}_{n}"][:, 1] for n in points])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        return np.nanmin(stacked, axis=0)


#: Foot points whose height says whether a foot is off the ground. Not the toes (foot index):
#: seen from the front they point at the camera and MediaPipe places them poorly. On six
#: renders of the single-leg stance test the lifted foot's toes rose only 0.015-0.023 leg
#: lengths (its ankle and heel 0.08-0.13), and with both feet down one foot's toes sat
#: 0.03-0.055 above the other's, at the 0.05 threshold itself; seen from the side, the far
#: foot's toes read higher than the near ones by perspective. Ankle and heel differ by at most
#: 0.02 with both feet down on those renders.
LIFT_POINTS = ("ankle", "heel")


def foot_lift_leg_lengths(
    track: PoseTrack, leg_length: float | None = None, p: dict[str, FloatArray] | None = None
) -> dict[str, FloatArray]:
    """Per stance side: height of the other foot above this side's foot, in leg lengths.

    A foot's height is that of the lower of its ankle and heel (:data:`LIFT_POINTS`).
    """
    p = body_points(track) if p is None else p
    scale = leg_length if leg_length is not None else clip_leg_length(track, p)
    n = track.n_frames
    if scale is None:
        return {s: np.full(n, np.nan) for s in SIDES}
    low = {s: foot_low_point(p, s, LIFT_POINTS) for s in SIDES}
    return {
        "left": (low["right"] - low["left"]) / scale,
        "right": (low["left"] - low["right"]) / scale,
    }


#: A foot this far above the other (leg lengths, about 4.5 cm; ankle and heel, see
#: :data:`LIFT_POINTS`) is off the ground: the lift of a clinical single-leg stance (the
#: rendered test lifts the foot's lowest point 0.067; MediaPipe reads its ankle and heel
#: 0.08-0.13 up). One value for the stance test and for the loading observations, so that a
#: stance the test times is also observed.
FOOT_OFF_GROUND_LEG_LENGTHS = 0.05
#: Hip above knee (leg lengths) of a standing leg: its thigh within about 50 deg of vertical
#: (a vertical thigh is about 0.49 leg lengths). Seated and filmed from the front, the thigh
#: points at the camera and drops 0.14-0.18 (rendered seated rotation test); standing clips
#: keep 0.30 or more in every upright frame, squats and sit-to-stand included.
STANDING_THIGH_DROP_LEG_LENGTHS = 0.3


def standing_on(track: PoseTrack, side: str, p: dict[str, FloatArray] | None = None) -> FloatArray:
    """Per frame, whether the posture is upright on ``side``'s leg (boolean as float, NaN unknown).

    Upright: the trunk within 40 deg of vertical, this leg's hip above its foot by at least
    0.75 leg lengths (excludes sitting and lying, where a lifted foot is not single-leg
    stance), and its hip above its knee by :data:`STANDING_THIGH_DROP_LEG_LENGTHS` (excludes
    sitting seen from the front, where the foreshortened thighs shrink the clip's leg length
    and the hip looks high above the feet).
    """
    p = body_points(track) if p is None else p
    scale = clip_leg_length(track, p)
    n = track.n_frames
    if scale is None:
        return np.full(n, np.nan)
    trunk = _mid(p, "shoulder") - _mid(p, "hip")
    with np.errstate(invalid="ignore", divide="ignore"):
        trunk_tilt = np.degrees(np.arctan2(np.abs(trunk[:, 0]), trunk[:, 1]))
        hip_above_foot = (p[f"{side}_hip"][:, 1] - foot_low_point(p, side)) / scale
        thigh_drop = (p[f"{side}_hip"][:, 1] - p[f"{side}_knee"][:, 1]) / scale
    ok = np.isfinite(trunk_tilt) & np.isfinite(hip_above_foot) & np.isfinite(thigh_drop)
    upright = (
        (trunk_tilt < 40.0)
        & (hip_above_foot > 0.75)
        & (thigh_drop > STANDING_THIGH_DROP_LEG_LENGTHS)
    )
    out = np.where(ok, upright, np.nan)
    return out.astype(np.float64)


OTHER_SIDE = {"left": "right", "right": "left"}
#: Percentile of a foot's height over the upright frames taken as its own ground level.
OWN_GROUND_PERCENTILE = 5.0


def foot_above_own_ground_leg_lengths(
    track: PoseTrack, p: dict[str, FloatArray] | None = None
) -> dict[str, FloatArray]:
    """Per side: the foot's height above its own ground level, in leg lengths (NaN unknown).

    The ground level is the :data:`OWN_GROUND_PERCENTILE` th percentile of the foot's height
    (:data:`LIFT_POINTS`) over the frames upright on either leg. Seen from the side the far
    foot reads 0.02-0.08 leg lengths above the near one with both feet down (perspective: the
    camera is above the feet), so the height above the other foot alone would call every
    stance on the near leg single-leg; above its own ground the far foot reads about 0. A foot
    lifted in over 95 % of the upright frames has no ground level of its own in the clip
    (it reads low, and a stance on the other leg may be missed).
    """
    p = body_points(track) if p is None else p
    scale = clip_leg_length(track, p)
    n = track.n_frames
    if scale is None:
        return {s: np.full(n, np.nan) for s in SIDES}
    upright = (standing_on(track, "left", p) == 1.0) | (standing_on(track, "right", p) == 1.0)
    out = {}
    for side in SIDES:  # two sides, not frames
        h = foot_low_point(p, side, LIFT_POINTS)
        ok = upright & np.isfinite(h)
        if not ok.any():
            out[side] = np.full(n, np.nan)
            continue
        ground = float(np.percentile(h[ok], OWN_GROUND_PERCENTILE))
        out[side] = (h - ground) / scale
    return out


def feet_off_ground(
    track: PoseTrack,
    lifts: dict[str, FloatArray] | None = None,
    p: dict[str, FloatArray] | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Per side and frame: that foot is off the ground.

    Off the ground: :data:`FOOT_OFF_GROUND_LEG_LENGTHS` above the other foot
    (:func:`foot_lift_leg_lengths`, ``lifts``, keyed by the other side) and above its own
    ground level (:func:`foot_above_own_ground_leg_lengths`; unknown counts as above).
    """
    p = body_points(track) if p is None else p
    lifts = foot_lift_leg_lengths(track, p=p) if lifts is None else lifts
    own = foot_above_own_ground_leg_lengths(track, p)
    with np.errstate(invalid="ignore"):
        return {
            side: (lifts[OTHER_SIDE[side]] > FOOT_OFF_GROUND_LEG_LENGTHS)
            & ~(own[side] <= FOOT_OFF_GROUND_LEG_LENGTHS)
            for side in SIDES
        }


def single_leg_stance(
    track: PoseTrack,
    lifts: dict[str, FloatArray] | None = None,
    p: dict[str, FloatArray] | None = None,
) -> dict[str, NDArray[np.bool_]]:
    """Per stance side and frame: upright on that leg with the other foot off the ground
    (:func:`feet_off_ground`). The one definition the single-leg stance test times and the
    loading observations report. ``lifts``: :func:`foot_lift_leg_lengths`."""
    p = body_points(track) if p is None else p
    off = feet_off_ground(track, lifts, p)
    return {side: off[OTHER_SIDE[side]] & (standing_on(track, side, p) == 1.0) for side in SIDES}


def angle_signal(kin: Kinematics, base: str, side: str) -> tuple[FloatArray, str | None]:
    """A kinematics angle for ``side`` ("left", "right", "both" = NaN-aware mean, or axial).

    Returns the array and the reason when the angle is unavailable in this view.
    """
    if base in AXIAL_ANGLES:
        return kin.angles_deg[base], kin.unavailable.get(base)
    if side == "both":
        left, right = kin.angles_deg[f"left_{base}"], kin.angles_deg[f"right_{base}"]
        reason = kin.unavailable.get(f"left_{base}")
        with np.errstate(invalid="ignore"):
            both = np.where(
                np.isfinite(left) & np.isfinite(right),
                0.5 * (left + right),
                np.where(np.isfinite(left), left, right),
            )
        return both, reason
    name = f"{side}_{base}"
    return kin.angles_deg[name], kin.unavailable.get(name)


def distance_signal(
    name: str,
    track: PoseTrack,
    side: str,
    leg_length: float | None = None,
    *,
    causal: bool = False,
) -> FloatArray:
    if name == "hip_height_leg_lengths":
        return hip_height_leg_lengths(track, leg_length, causal=causal)
    if name == "hip_height_torso_lengths":
        return hip_height_torso_lengths(track)
    if name == "foot_lift_leg_lengths":
        lifts = foot_lift_leg_lengths(track, leg_length)
        if side == "both":
            return np.fmax(lifts["left"], lifts["right"])
        return lifts[side]
    raise KeyError(name)


def get_signal(
    name: str,
    side: str,
    kin: Kinematics,
    track: PoseTrack,
    leg_length: float | None = None,
    *,
    causal: bool = False,
) -> tuple[FloatArray, str | None]:
    """Resolve a driving/form signal name to an array (and an unavailability reason).

    ``causal=True`` asks for the version the counting uses (only past frames).
    """
    if name in DISTANCE_SIGNALS:
        values = distance_signal(name, track, side, leg_length, causal=causal)
        if not np.any(np.isfinite(values)):
            return values, "hips, knees or ankles not visible in any frame"
        return values, None
    return angle_signal(kin, name, side)


def robust_range(x: FloatArray, lo: float = 5.0, hi: float = 95.0) -> float:
    """Percentile range of the finite samples (0 when there are none)."""
    finite = x[np.isfinite(x)]
    if finite.size < 3:
        return 0.0
    a, b = np.percentile(finite, [lo, hi])
    return float(b - a)


def choose_sides(
    left: FloatArray,
    right: FloatArray,
    min_amplitude: float,
    working_side: str | None,
) -> tuple[str, list[str], str | None]:
    """Which side(s) worked, from the two sides' signals.

    Returns ``(working_side, count_on, note)``: ``count_on`` lists the signals to count on
    (``"left"``, ``"right"`` or ``"both"`` = the mean of the sides). Rules: a given
    ``working_side`` wins (``"both"`` counts on the mean if the sides move together, else each
    side separately); otherwise the side with the larger robust range, unless the other side
    moved at least half as much — then both, on the mean when the sides move together
    (correlation > 0.5: a bilateral movement) or separately (alternating sides). A side seen
    in fewer than ``MIN_COVERAGE_RATIO`` (0.75) x as many frames as the other (the far limb
    in a side view, hidden and guessed by the pose model) does not take part in the choice.
    """
    r_left, r_right = robust_range(left), robust_range(right)
    together = _correlated(left, right)
    if working_side in ("left", "right"):
        return working_side, [working_side], None
    n_left, n_right = (
        int(np.count_nonzero(np.isfinite(left))),
        int(np.count_nonzero(np.isfinite(right))),
    )
    seen = poorly_seen_side(n_left, n_right)
    if working_side != "both" and seen is not None:
        other = "right" if seen == "left" else "left"
        pct = 100.0 * min(n_left, n_right) / max(n_left, n_right, 1)
        note = (
            f"the {seen} side was seen in {pct:.0f}% as many frames as the {other}: counted on "
            f"the {other} side (pass the working side to override)"
        )
        if hidden_working_side(left, right, min_amplitude, working_side) is not None:
            r_other = r_right if other == "right" else r_left
            note += (
                f"; the {other} side did not move ({r_other:.0f} deg, less than "
                f"{min_amplitude:.0f}): if the {seen} side worked, it was hidden from the "
                f"camera and its reps could not be counted; film the working side"
            )
        return other, [other], note
    larger = "left" if r_left >= r_right else "right"
    big, small = max(r_left, r_right), min(r_left, r_right)
    if working_side != "both" and (big < min_amplitude or small < 0.5 * big):
        return larger, [larger], None
    if together:
        return "both", ["both"], None
    return (
        "both",
        ["left", "right"],
        "both sides moved but not together: reps are counted on each side separately",
    )


def hidden_working_side(
    left: FloatArray, right: FloatArray, min_amplitude: float, working_side: str | None
) -> str | None:
    """The side that may have worked unseen: poorly seen while the seen side did not move.

    ``None`` when a working side is given, both sides are seen, or the seen side moved at
    least ``min_amplitude`` (robust range). Then no rep count can be given for the exercise:
    the working limb was hidden from the camera.
    """
    if working_side is not None:
        return None
    n_left = int(np.count_nonzero(np.isfinite(left)))
    n_right = int(np.count_nonzero(np.isfinite(right)))
    seen = poorly_seen_side(n_left, n_right)
    if seen is None:
        return None
    other_signal = right if seen == "left" else left
    return seen if robust_range(other_signal) < min_amplitude else None


#: A side with fewer seen frames than this fraction of the other side's is "poorly seen".
MIN_COVERAGE_RATIO = 0.75


def poorly_seen_side(n_left: int, n_right: int) -> str | None:
    """``"left"``/``"right"`` when that side's signal is finite in < 0.75 x the other's frames.

    In a side view the far limb is hidden; the pose model guesses it with low visibility, so
    most of its samples are gated, and the few that pass can swing widely (a guessed or
    swapped leg) and would otherwise look like movement.
    """
    if n_left < MIN_COVERAGE_RATIO * n_right:
        return "left"
    if n_right < MIN_COVERAGE_RATIO * n_left:
        return "right"
    return None


def _correlated(a: FloatArray, b: FloatArray) -> bool:
    ok = np.isfinite(a) & np.isfinite(b)
    if np.count_nonzero(ok) < 10:
        return False
    x, y = a[ok], b[ok]
    if np.std(x) == 0 or np.std(y) == 0:
        return False
    return bool(np.corrcoef(x, y)[0, 1] > 0.5)


# -- leg label hand-overs in the counting signals ------------------------------------------
#: Window over which a label hand-over is looked for (s). In side views MediaPipe sometimes
#: hands the far leg's label to the near leg (and back) over 3-8 flickering frames, too
#: gradual for the landmark-level continuity cue (:func:`avnmotion.integrity.detect_swap_frames`).
EXCHANGE_WINDOW_S = 0.2
#: The two sides must change by at least this many times the drive's ``min_amplitude``
#: together (4 x 15 deg = 60 deg for hip flexion) ...
EXCHANGE_MIN_CHANGE_AMPLITUDES = 4.0
#: ... and end nearer each other's start than their own: cross change < 0.5 x own change ...
EXCHANGE_CROSS_RATIO = 0.5
#: ... with a jump inside the window: one frame-to-frame step of the two sides together of
#: at least this many ``min_amplitude`` (30 deg for hip flexion: 900 deg/s at 30 fps). Legs
#: moving in antiphase cross each other's values smoothly (1 Hz at 60 deg peak to peak:
#: 13 deg per frame together); a hand-over jumps (the rendered repeats: 38-95 deg).
EXCHANGE_JUMP_AMPLITUDES = 2.0


def _window_exchanges(
    left: FloatArray, right: FloatArray, k: int, min_amplitude: float
) -> NDArray[np.bool_]:
    """Frames ``i`` whose window ``i - k .. i`` shows the two sides exchanging their values
    (the test of :func:`side_exchange_flips`)."""
    n = left.size
    if n <= k:
        return np.zeros(n, dtype=bool)
    own = np.abs(left[k:] - left[:-k]) + np.abs(right[k:] - right[:-k])
    cross = np.abs(left[k:] - right[:-k]) + np.abs(right[k:] - left[:-k])
    apart = np.abs(left[:-k] - right[:-k])
    step = np.nan_to_num(np.abs(np.diff(left)) + np.abs(np.diff(right)), nan=0.0)
    jump = np.lib.stride_tricks.sliding_window_view(step, k).max(axis=1)  # steps inside
    min_change = EXCHANGE_MIN_CHANGE_AMPLITUDES * min_amplitude
    with np.errstate(invalid="ignore"):
        ex = (
            (own >= min_change)
            & (cross < EXCHANGE_CROSS_RATIO * own)
            & (apart >= min_change / 2)
            & (jump >= EXCHANGE_JUMP_AMPLITUDES * min_amplitude)
        )
    return np.concatenate([np.zeros(k, dtype=bool), ex])


def side_exchange_flips(
    left: FloatArray, right: FloatArray, sampling_rate_hz: float, min_amplitude: float
) -> NDArray[np.bool_]:
    """Frames at which the left and right counting signals exchange labels, ``(n_time,)``.

    A hand-over is the two sides' values swapping within :data:`EXCHANGE_WINDOW_S` (``k``
    frames) with a jump. Over the window ``i - k .. i``:

    * the sides change by ``own = |L_i - L_{i-k}| + |R_i - R_{i-k}| >= 4 x min_amplitude``;
    * each ends near where the other started:
      ``|L_i - R_{i-k}| + |R_i - L_{i-k}| < 0.5 x own``;
    * they were at least ``2 x min_amplitude`` apart at ``i - k``;
    * one frame-to-frame step ``|ΔL| + |ΔR|`` inside the window is at least
      ``2 x min_amplitude``.

    Legs moving in antiphase pass the first three tests when they cross each other quickly,
    but they move smoothly; the jump sets a label hand-over apart. Every window that spans one
    hand-over passes, so the first frame of each run of passing windows is the event, and an
    event less than ``k`` frames after the previous one is part of it. Causal (past frames
    only): :class:`CausalSideExchange` gives the same flips frame by frame. No exchange is
    found on any rendered sample clip; on the repeat renders of the hip flexion test it
    restores the far leg's attempt that MediaPipe hands to the near leg (``benchmarks/mdc.py``).
    """
    left = np.asarray(left, dtype=np.float64)
    right = np.asarray(right, dtype=np.float64)
    k = max(2, round(EXCHANGE_WINDOW_S * sampling_rate_hz))
    ex = _window_exchanges(left, right, k, min_amplitude)
    starts = np.flatnonzero(ex & ~np.concatenate([[False], ex[:-1]]))  # runs' first windows
    flips = np.zeros(left.size, dtype=bool)
    last = -k
    for i in starts:  # loop over candidate events, not frames
        if i - last >= k:
            flips[i] = True
            last = int(i)
    return flips


def undo_side_exchanges(
    left: FloatArray, right: FloatArray, sampling_rate_hz: float, min_amplitude: float
) -> tuple[FloatArray, FloatArray]:
    """``(left, right)`` with the labels exchanged back after each odd-numbered flip of
    :func:`side_exchange_flips` (the counting signals of a two-sided drive)."""
    flips = side_exchange_flips(left, right, sampling_rate_hz, min_amplitude)
    swapped = (np.cumsum(flips) % 2).astype(bool)
    return np.where(swapped, right, left), np.where(swapped, left, right)


class CausalSideExchange:
    """Frame-by-frame twin of :func:`undo_side_exchanges` (for the live path): the same
    window test on the last ``k + 1`` raw frames, the same run start and ``k``-frame merge."""

    def __init__(self, sampling_rate_hz: float, min_amplitude: float) -> None:
        self.k = max(2, round(EXCHANGE_WINDOW_S * sampling_rate_hz))
        self.min_amplitude = min_amplitude
        self._recent: list[tuple[float, float]] = []
        self._in_run = False
        self._since_flip = self.k
        self.swapped = False

    def update(self, left: float, right: float) -> tuple[float, float]:
        """The raw side values of the next frame -> the values with their labels restored."""
        self._recent.append((float(left), float(right)))
        if len(self._recent) > self.k + 1:
            del self._recent[0]
        self._since_flip += 1
        window = np.asarray(self._recent, dtype=np.float64)
        exchange = bool(
            _window_exchanges(window[:, 0], window[:, 1], self.k, self.min_amplitude)[-1]
        )
        if exchange and not self._in_run and self._since_flip >= self.k:
            self.swapped = not self.swapped
            self._since_flip = 0
        self._in_run = exchange
        return (right, left) if self.swapped else (left, right)
