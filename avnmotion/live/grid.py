"""Incoming frames on an even time grid, and the session's store of grid frames.

Browser and camera timestamps are uneven (and frames are dropped under load), while the
counting filter needs an even rate. Frames are therefore put on an even grid
``t0 + k / sampling_rate_hz`` causally: a grid point within 5 % of an interval of a frame takes
that frame as it is (so a track already on the grid passes through unchanged, which is what
makes live and offline identical on evenly sampled tracks); a grid point between two frames is
interpolated linearly (visibility: the smaller of the two), as
:func:`avnmotion.signal.resample_to_even_grid` does; grid points inside a gap longer than
``max_interp_gap_s`` get no pose (NaN), so a network stall is never bridged by made-up motion.
The saved track is this grid track, so re-analysing it offline reproduces the live count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.errors import AvnInputError
from avnmotion.track import N_LANDMARKS, PoseTrack

#: Default grid rate for browser streams (the page sends at most this many frames a second).
DEFAULT_LIVE_RATE_HZ = 15.0
#: Grid points inside a longer gap between received frames get no pose instead of interpolation.
DEFAULT_MAX_INTERP_GAP_S = 0.5


@dataclass
class GridFrame:
    """One frame on the analysis grid (arrays are owned by the frame)."""

    time_s: float
    image_xyz: NDArray[np.float32]  # (33, 3)
    visibility: NDArray[np.float32]  # (33,)
    presence: NDArray[np.float32]  # (33,)
    world_xyz: NDArray[np.float32] | None = None  # (33, 3)

    @staticmethod
    def empty(time_s: float, with_world: bool) -> GridFrame:
        nan = np.full((N_LANDMARKS, 3), np.nan, dtype=np.float32)
        zero = np.zeros(N_LANDMARKS, dtype=np.float32)
        return GridFrame(time_s, nan, zero, zero.copy(), nan.copy() if with_world else None)


def _lerp(a: NDArray[np.float32], b: NDArray[np.float32], w: float) -> NDArray[np.float32]:
    wf = np.float32(w)
    return (a * (np.float32(1.0) - wf) + b * wf).astype(np.float32)


class GridResampler:
    """Causal resampling of incoming frames onto ``t0 + k / rate`` (see the module notes)."""

    def __init__(self, rate_hz: float, *, max_gap_s: float = DEFAULT_MAX_INTERP_GAP_S) -> None:
        if not rate_hz > 0:
            raise AvnInputError(f"sampling rate must be positive, got {rate_hz}")
        self.rate_hz = float(rate_hz)
        self.max_gap_s = float(max_gap_s)
        self.t0: float | None = None
        self.next_k = 0
        self.prev: GridFrame | None = None
        self.n_in = 0
        self.n_interpolated = 0
        self.n_blank = 0

    def grid_time(self, k: int) -> float:
        assert self.t0 is not None
        return self.t0 + k / self.rate_hz

    def push(self, frame: GridFrame) -> list[GridFrame]:
        """Grid frames that ``frame`` completes (zero, one or several), oldest first."""
        t = float(frame.time_s)
        if self.prev is not None and t <= self.prev.time_s:
            return []  # not after the previous frame: ignore (clients may resend)
        self.n_in += 1
        if self.t0 is None:
            self.t0 = t
        tol = 0.05 / self.rate_hz
        out: list[GridFrame] = []
        while True:
            g = self.grid_time(self.next_k)
            if g > t + tol:
                break
            if abs(g - t) <= tol:
                out.append(
                    GridFrame(g, frame.image_xyz, frame.visibility, frame.presence, frame.world_xyz)
                )
            else:  # g lies between the previous frame and this one
                prev = self.prev
                assert prev is not None
                if t - prev.time_s > self.max_gap_s:
                    out.append(GridFrame.empty(g, frame.world_xyz is not None))
                    self.n_blank += 1
                else:
                    w = min(max((g - prev.time_s) / (t - prev.time_s), 0.0), 1.0)
                    world = None
                    if frame.world_xyz is not None and prev.world_xyz is not None:
                        world = _lerp(prev.world_xyz, frame.world_xyz, w)
                    out.append(
                        GridFrame(
                            g,
                            _lerp(prev.image_xyz, frame.image_xyz, w),
                            np.minimum(prev.visibility, frame.visibility),
                            np.minimum(prev.presence, frame.presence),
                            world,
                        )
                    )
                    self.n_interpolated += 1
            self.next_k += 1
        self.prev = frame
        return out


class GridRows:
    """The session's grid frames as growable per-frame arrays (doubling; appending is
    amortised O(1)); any range of them can be read back as a :class:`PoseTrack`."""

    def __init__(self, capacity: int = 512) -> None:
        self.n = 0
        self.t = np.empty(capacity, dtype=np.float64)
        self.image = np.full((capacity, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.world = np.full((capacity, N_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.vis = np.zeros((capacity, N_LANDMARKS), dtype=np.float32)
        self.presence = np.zeros((capacity, N_LANDMARKS), dtype=np.float32)
        self.has_world = False

    def _grow(self) -> None:
        n = self.t.size
        self.t = np.concatenate([self.t, np.empty(n)])
        self.image = np.concatenate([self.image, np.full_like(self.image, np.nan)])
        self.world = np.concatenate([self.world, np.full_like(self.world, np.nan)])
        self.vis = np.concatenate([self.vis, np.zeros_like(self.vis)])
        self.presence = np.concatenate([self.presence, np.zeros_like(self.presence)])

    def append(self, frame: GridFrame) -> int:
        if self.n == self.t.size:
            self._grow()
        i = self.n
        self.t[i] = frame.time_s
        self.image[i] = frame.image_xyz
        self.vis[i] = frame.visibility
        self.presence[i] = frame.presence
        if frame.world_xyz is not None:
            self.world[i] = frame.world_xyz
            self.has_world = True
        self.n += 1
        return i

    def track(
        self, start: int, stop: int, frame_size_px: tuple[int, int], source: dict[str, Any]
    ) -> PoseTrack:
        sl = slice(max(0, start), min(self.n, stop))
        return PoseTrack(
            timestamps_s=self.t[sl].copy(),
            image_xyz=self.image[sl].copy(),
            world_xyz=self.world[sl].copy() if self.has_world else None,
            visibility=self.vis[sl].copy(),
            presence=self.presence[sl].copy(),
            frame_size_px=frame_size_px,
            source=dict(source),
        )
