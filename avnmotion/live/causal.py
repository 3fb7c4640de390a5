"""Causal conditioning, kinematics and driving signal, one grid frame at a time.

:class:`CausalKinematics` gives, frame by frame, what the offline pipeline computes with
``compute_kinematics(cond.causal, view=..., causal=True)``: causal left/right swap repair in
side views (:func:`avnmotion.integrity.detect_swap_frames` on the previous and current raw
frame), visibility gating, the trailing facing vote and the plane's angles.
:func:`drive_values` turns a frame's angles (or landmarks) into the exercise's driving signal
per channel, as the offline counting computes it.
"""

from __future__ import annotations

import collections
import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion import signal as sig
from avnmotion.errors import AvnInputError
from avnmotion.integrity import (
    LEG_PARTS,
    causal_crossing_flags,
    causal_swap_frames,
    leg_separation_px,
)
from avnmotion.kinematics import (
    AXIAL_ANGLES,
    PER_SIDE_ANGLES,
    SEATED_UNDEFINED,
    SIDES,
    _image_points_px,
    _points_from,
    all_angle_names,
    base_angle_name,
    compute_frontal_angles,
    compute_sagittal_angles,
    facing_sign_side_view,
    left_sign_front_view,
)
from avnmotion.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack


def _leg_swap_perm() -> NDArray[np.intp]:
    """Landmark permutation exchanging the legs (the parts :func:`~avnmotion.integrity.swap_legs`
    exchanges)."""
    perm = np.arange(N_LANDMARKS)
    left = [LANDMARK_INDEX[f"left_{p}"] for p in LEG_PARTS]
    right = [LANDMARK_INDEX[f"right_{p}"] for p in LEG_PARTS]
    perm[left], perm[right] = right, left
    return perm


_LEG_SWAP_PERM = _leg_swap_perm()


@contextlib.contextmanager
def quiet_nanmean() -> Iterator[None]:
    """Silence 'Mean of empty slice' from frames without legs (as the offline path does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _one_frame_track(
    image_xyz: NDArray[np.float32],
    visibility: NDArray[np.float32],
    frame_size_px: tuple[int, int],
    times: tuple[float, ...] = (0.0,),
) -> PoseTrack:
    n = len(times)
    xyz = image_xyz.reshape(n, N_LANDMARKS, 3)
    vis = visibility.reshape(n, N_LANDMARKS)
    return PoseTrack(
        timestamps_s=np.asarray(times, dtype=np.float64),
        image_xyz=xyz,
        world_xyz=None,
        visibility=vis,
        presence=vis,
        frame_size_px=frame_size_px,
        source={},
    )


def _plane_of(name: str) -> str:
    base = base_angle_name(name)
    return str(PER_SIDE_ANGLES.get(base) or AXIAL_ANGLES[base])


class CausalKinematics:
    """Per-frame causal angles identical to ``compute_kinematics(cond.causal, view=...,
    causal=True)`` of the offline pipeline.

    State: the last four raw frames (swap continuity cue), the swap parity, the trailing
    facing-vote window and the last decided facing sign. O(window) memory, O(1) per frame.
    """

    def __init__(
        self,
        view: str,
        sampling_rate_hz: float,
        frame_size_px: tuple[int, int],
        *,
        min_visibility: float = sig.DEFAULT_MIN_VISIBILITY,
        seated_rotation_test: bool = False,
    ) -> None:
        if view not in ("side", "front"):
            raise AvnInputError(f"live analysis needs a side or front view, got {view!r}")
        self.view = view
        self.frame_size_px = (int(frame_size_px[0]), int(frame_size_px[1]))
        self.min_visibility = float(min_visibility)
        self.seated = bool(seated_rotation_test)
        # Same window as kinematics.facing_sign_side_view / left_sign_front_view.
        window = round(0.5 * max(float(sampling_rate_hz), 1.0))
        self.window = max(1, window | 1)
        self._votes: collections.deque[float] = collections.deque(maxlen=self.window)
        self._last_sign = 0.0
        # The last four raw frames: a two-frame swap is known one frame after its middle,
        # and whether it is one depends on the events up to two frames before that middle.
        self._raw: collections.deque[tuple[NDArray[np.float32], NDArray[np.float32]]] = (
            collections.deque(maxlen=4)
        )
        self.parity = False
        self.swaps = 0
        # frames since the last continuity event (the crossing reset of
        # integrity.causal_swap_parity)
        self._since_event = 10**9
        self.direction = 0.0
        self.last_track: PoseTrack | None = None
        self._plane = "sagittal" if view == "side" else "frontal"
        self.names = [n for n in all_angle_names() if _plane_of(n) in (self._plane, "both")]

    def push(
        self, image_xyz: NDArray[np.float32], visibility: NDArray[np.float32]
    ) -> dict[str, float]:
        """Angles (deg, NaN where unmeasurable) of one grid frame, by angle name."""
        xyz, vis = image_xyz, visibility
        # 1. causal swap repair (side views only; continuity cue on the raw frames)
        if self.view == "side":
            frames = [*self._raw, (xyz, vis)]
            window = _one_frame_track(
                np.stack([f[0] for f in frames]),
                np.stack([f[1] for f in frames]),
                self.frame_size_px,
                tuple(float(i) for i in range(len(frames))),
            )
            with np.errstate(invalid="ignore"), quiet_nanmean():
                if len(frames) > 1 and bool(causal_swap_frames(window)[-1]):
                    self.parity = not self.parity
                    self.swaps += 1
                    self._since_event = -1
                self._since_event += 1
                if len(frames) >= 3 and self._since_event >= 3:
                    sep, leg = leg_separation_px(window)
                    if bool(causal_crossing_flags(sep[-3:], leg[-3:])[-1]):
                        self.parity = False
            self._raw.append((xyz, vis))
            if self.parity:
                xyz, vis = xyz[_LEG_SWAP_PERM], vis[_LEG_SWAP_PERM]
        # 2. visibility gating
        low = vis < self.min_visibility
        if np.any(low):
            xyz = xyz.copy()
            xyz[low] = np.nan
        one = _one_frame_track(xyz, vis, self.frame_size_px)
        self.last_track = one
        xy = _image_points_px(one)
        # 3. trailing facing / left-sign majority vote
        if self.view == "side":
            vote = float(facing_sign_side_view(one, xy, causal=True)[0])
        else:
            vote = float(left_sign_front_view(one, xy, causal=True)[0])
        self._votes.append(vote)
        summed = float(np.sign(sum(self._votes)))
        if summed != 0.0:
            self._last_sign = summed
        self.direction = self._last_sign
        # 4. the plane's angles
        pts = _points_from(xy, np.array([self.direction]))
        if self.view == "side":
            computed = compute_sagittal_angles(pts)
        else:
            computed = compute_frontal_angles(pts)
        out = {name: float(values[0]) for name, values in computed.items()}
        for s in SIDES:
            if not self.seated:
                out[f"{s}_hip_internal_rotation_deg"] = math.nan
            else:
                out.update({f"{s}_{base}": math.nan for base in SEATED_UNDEFINED})
        return out


def drive_values(
    drive: Any, angles: dict[str, float], one: PoseTrack, leg: Any
) -> dict[str, float]:
    """The driving signal of one grid frame per channel (``"left"``, ``"right"``, ``"both"``).

    ``angles`` and ``one`` are :meth:`CausalKinematics.push`'s result and ``last_track``;
    ``leg`` is the counter's :class:`~avnmotion.exercises.signals.CausalLegLength` (updated
    here for distance signals).
    """
    base = drive.name
    if drive.is_angle:
        if base in AXIAL_ANGLES:
            return {"both": angles[base]}
        left, right = angles[f"left_{base}"], angles[f"right_{base}"]
        if math.isfinite(left) and math.isfinite(right):
            both = 0.5 * (left + right)
        else:
            both = left if math.isfinite(left) else right
        return {"left": left, "right": right, "both": both}
    from avnmotion.exercises.signals import distance_signal, leg_length_per_frame

    # The causal leg-length scale of the offline counting (running maximum of a trailing
    # median), frame by frame.
    scale = leg.update(float(leg_length_per_frame(one)[0]))
    sides = ("left", "right", "both") if drive.side == "working" else ("both",)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {s: float(distance_signal(base, one, s, scale)[0]) for s in sides}
