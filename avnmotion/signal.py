"""Signal conditioning over whole arrays along the time axis (axis 0).

* :func:`gate_by_visibility` sets landmark samples whose visibility is below a threshold to NaN.
* :func:`fill_gaps` linearly interpolates NaN runs of at most ``max_gap_frames`` frames.
* :func:`lowpass_zero_phase` is a zero-phase Butterworth low-pass (``sosfiltfilt``, default 4th
  order at 6 Hz, the usual choice for gait kinematics, Winter 2009) that filters around NaN runs.
* :class:`CausalLowpass` is a causal Butterworth low-pass with carried state: feeding a signal in
  one call or frame by frame gives identical output, which is what makes offline and live rep
  counts agree.
* :func:`resample_to_even_grid` puts a variable-frame-rate track on an even time grid.

References
----------
Winter, D. A. (2009). Biomechanics and Motor Control of Human Movement, 4th ed., ch. 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from avnmotion.errors import AvnInputError
from avnmotion.track import PoseTrack

FloatArray = NDArray[np.floating[Any]]

DEFAULT_CUTOFF_HZ = 6.0
DEFAULT_ORDER = 4
DEFAULT_MIN_VISIBILITY = 0.5
DEFAULT_MAX_GAP_S = 0.25


def gate_by_visibility(
    track: PoseTrack, min_visibility: float = DEFAULT_MIN_VISIBILITY
) -> tuple[PoseTrack, int]:
    """Set landmark samples with visibility below ``min_visibility`` to NaN.

    Returns the gated track and the number of landmark samples newly set to NaN. Motion-capture
    tracks (visibility 1 where a marker exists) pass unchanged.
    """
    low = track.visibility < min_visibility
    coords = track.image_xyz if track.image_xyz is not None else track.world_xyz
    assert coords is not None
    n_gated = int(np.count_nonzero(low & np.isfinite(coords[..., 0])))
    if n_gated == 0:
        return track, 0
    changes: dict[str, Any] = {}
    for name in ("image_xyz", "world_xyz"):
        arr = getattr(track, name)
        if arr is not None:
            gated = arr.copy()
            gated[low] = np.nan
            changes[name] = gated
    return track.with_(**changes), n_gated


def _prev_next_valid(valid: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """For each sample, the index of the previous and the next valid sample along axis 0.

    -1 (previous) or n (next) where there is none. Works column-wise on 2-D masks.
    """
    n = valid.shape[0]
    idx = np.arange(n).reshape((n,) + (1,) * (valid.ndim - 1))
    prev = np.where(valid, idx, -1)
    prev = np.maximum.accumulate(prev, axis=0)
    nxt = np.where(valid, idx, n)
    nxt = np.flip(np.minimum.accumulate(np.flip(nxt, axis=0), axis=0), axis=0)
    return prev, nxt


#: Columns (landmark coordinates) processed together by :func:`fill_gaps` and
#: :func:`lowpass_zero_phase`. Their index and weight temporaries are several times the size
#: of the block, so whole-array processing of a 10-minute track would peak at ~20x the track;
#: blocks bound the extra memory whatever the length (the columns are independent).
COLUMN_BLOCK = 12


def _column_blocks(n_cols: int) -> list[slice]:
    return [slice(a, min(a + COLUMN_BLOCK, n_cols)) for a in range(0, n_cols, COLUMN_BLOCK)]


def fill_gaps(x: FloatArray, max_gap_frames: int) -> tuple[FloatArray, int]:
    """Linearly interpolate interior NaN runs of at most ``max_gap_frames`` along axis 0.

    Runs touching the start or end of the record are never extrapolated. Returns the filled
    array (same dtype) and the number of samples filled.
    """
    x = np.asarray(x)
    if x.shape[0] < 3 or max_gap_frames <= 0:
        return x.copy(), 0
    flat = x.reshape(x.shape[0], -1)
    out = flat.copy()
    n = flat.shape[0]
    t = np.arange(n)[:, None]
    n_filled = 0
    for block in _column_blocks(flat.shape[1]):  # loop over column blocks, not frames
        cols = flat[:, block]
        valid = np.isfinite(cols)
        prev, nxt = _prev_next_valid(valid)
        gap_len = nxt - prev - 1
        fillable = ~valid & (prev >= 0) & (nxt < n) & (gap_len <= max_gap_frames)
        if not np.any(fillable):
            continue
        c = np.broadcast_to(np.arange(cols.shape[1]), cols.shape)
        p = np.clip(prev, 0, n - 1)
        q = np.clip(nxt, 0, n - 1)
        w = np.where(fillable, (t - p) / np.maximum(q - p, 1), 0.0)
        interp = cols[p, c] * (1 - w) + cols[q, c] * w
        out[:, block] = np.where(fillable, interp, cols)
        n_filled += int(np.count_nonzero(fillable))
    return out.reshape(x.shape), n_filled


def lowpass_zero_phase(
    x: FloatArray,
    sampling_rate_hz: float,
    cutoff_hz: float = DEFAULT_CUTOFF_HZ,
    order: int = DEFAULT_ORDER,
    *,
    dtype: Any = np.float64,
) -> FloatArray:
    """Zero-phase Butterworth low-pass along axis 0 that leaves NaN samples NaN.

    NaN runs are bridged by linear interpolation (edges held) only for the purpose of
    filtering, then restored, so one missing sample does not wipe out a whole segment. The
    effective order is doubled by the forward-backward pass (``sosfiltfilt``). Filtering is
    done in float64; ``dtype`` is the output's (float32 for tracks saves a full-size copy).
    """
    x = np.asarray(x)
    nyq = 0.5 * sampling_rate_hz
    if cutoff_hz >= nyq:
        return x.astype(dtype)  # nothing to remove below Nyquist; filtering would be ill-posed
    sos = sps.butter(order, cutoff_hz / nyq, btype="low", output="sos")
    flat = x.reshape(x.shape[0], -1)
    out = np.full(flat.shape, np.nan, dtype=dtype)
    n = flat.shape[0]
    t = np.arange(n)[:, None]
    padlen = min(3 * (2 * len(sos) + 1), n - 1)
    for block in _column_blocks(flat.shape[1]):  # loop over column blocks, not frames
        valid = np.isfinite(flat[:, block])
        usable = valid.sum(axis=0) >= 2
        if not np.any(usable):
            continue
        idx = np.arange(block.start, block.stop)[usable]
        cols = flat[:, idx].astype(np.float64)
        vmask = valid[:, usable]
        prev, nxt = _prev_next_valid(vmask)
        c = np.broadcast_to(np.arange(cols.shape[1]), cols.shape)
        p = np.where(prev >= 0, prev, nxt)  # hold the first valid value before the start
        q = np.where(nxt < n, nxt, prev)
        w = np.where(q != p, (t - p) / np.where(q != p, q - p, 1), 0.0)
        bridged = np.where(vmask, cols, cols[p, c] * (1 - w) + cols[q, c] * w)
        filtered = sps.sosfiltfilt(sos, bridged, axis=0, padlen=padlen)
        out[:, idx] = np.where(vmask, filtered, np.nan)
    return out.reshape(x.shape)


@dataclass
class CausalLowpass:
    """Causal Butterworth low-pass with carried state, for offline/live agreement.

    Feeding the whole signal at once or in chunks of any size gives the same output (the
    filter state is carried between calls). NaN samples are replaced by the last finite
    input before filtering (a causal choice), and the first finite sample initialises the
    state at steady state so there is no start-up transient.

    Parameters
    ----------
    sampling_rate_hz
        Sampling rate of the incoming samples.
    cutoff_hz
        -3 dB frequency. 3 Hz keeps rehab reps (0.2-1 Hz) intact and removes pose jitter.
    order
        Butterworth order.
    n_channels
        Number of independent channels (columns) filtered together.
    """

    sampling_rate_hz: float
    cutoff_hz: float = 3.0
    order: int = 2
    n_channels: int = 1

    def __post_init__(self) -> None:
        nyq = 0.5 * self.sampling_rate_hz
        if not 0 < self.cutoff_hz < nyq:
            raise AvnInputError(
                f"causal filter cutoff {self.cutoff_hz} Hz must lie between 0 and the Nyquist "
                f"frequency {nyq:g} Hz"
            )
        self.sos_ = sps.butter(self.order, self.cutoff_hz / nyq, btype="low", output="sos")
        self.zi_unit_ = sps.sosfilt_zi(self.sos_)  # (n_sections, 2)
        self.state_: NDArray[np.float64] | None = None
        self.last_: NDArray[np.float64] = np.full(self.n_channels, np.nan)

    def process(self, x: FloatArray) -> NDArray[np.float64]:
        """Filter a chunk ``(n_samples, n_channels)`` or ``(n_samples,)``; returns same shape."""
        x = np.asarray(x, dtype=np.float64)
        squeeze = x.ndim == 1
        chunk = x.reshape(x.shape[0], -1)
        if chunk.shape[1] != self.n_channels:
            raise AvnInputError(f"expected {self.n_channels} channels, got {chunk.shape[1]}")
        # Forward-fill NaN with the last finite sample (carried across chunks).
        held = np.vstack([self.last_[None, :], chunk])
        valid = np.isfinite(held)
        prev, _ = _prev_next_valid(valid)
        c = np.broadcast_to(np.arange(held.shape[1]), held.shape)
        filled = np.where(prev >= 0, held[np.maximum(prev, 0), c], np.nan)[1:]
        self.last_ = filled[-1].copy() if filled.shape[0] else self.last_
        out = np.full_like(filled, np.nan)
        started = np.isfinite(filled)
        if self.state_ is None:
            self.state_ = np.full((self.sos_.shape[0], 2, self.n_channels), np.nan)
        for ch in range(self.n_channels):  # loop over channels (few), never over frames
            rows = np.flatnonzero(started[:, ch])
            if rows.size == 0:
                continue
            if np.isnan(self.state_[0, 0, ch]):
                self.state_[:, :, ch] = self.zi_unit_ * filled[rows[0], ch]
            y, zf = sps.sosfilt(self.sos_, filled[rows, ch], zi=self.state_[:, :, ch])
            self.state_[:, :, ch] = zf
            out[rows, ch] = y
        return out[:, 0] if squeeze else out


def timing_jitter_ms(timestamps_s: FloatArray) -> float:
    """Standard deviation of frame intervals in milliseconds (0 for an even grid)."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    if t.size < 3:
        return 0.0
    return float(np.std(np.diff(t)) * 1e3)


def is_even_grid(timestamps_s: FloatArray, tolerance: float = 0.05) -> bool:
    """True when every frame interval is within ``tolerance`` (fraction) of the median."""
    dt = np.diff(np.asarray(timestamps_s, dtype=np.float64))
    if dt.size == 0:
        return True
    med = np.median(dt)
    return bool(np.all(np.abs(dt - med) <= tolerance * med))


def resample_to_even_grid(track: PoseTrack, sampling_rate_hz: float | None = None) -> PoseTrack:
    """Linearly interpolate every per-frame array onto an even time grid.

    The grid starts at the first timestamp, runs at ``sampling_rate_hz`` (default: the
    track's median rate) and never extrapolates beyond the last timestamp. Visibility and
    presence take the minimum of the two neighbouring samples (a gap stays a gap).
    """
    t = track.timestamps_s
    rate = sampling_rate_hz or track.sampling_rate_hz
    n_new = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(n_new) / rate
    hi = np.clip(np.searchsorted(t, grid, side="right"), 1, len(t) - 1)
    lo = hi - 1
    w = ((grid - t[lo]) / (t[hi] - t[lo])).astype(np.float32)
    w = np.clip(w, 0.0, 1.0)

    def interp(a: NDArray[np.float32]) -> NDArray[np.float32]:
        ww = w.reshape((-1,) + (1,) * (a.ndim - 1))
        return (a[lo] * (1 - ww) + a[hi] * ww).astype(np.float32)

    def min_neighbour(a: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.minimum(a[lo], a[hi])

    source = dict(track.source)
    source["resampled_from_n_frames"] = track.n_frames
    return track.with_(
        timestamps_s=grid,
        image_xyz=None if track.image_xyz is None else interp(track.image_xyz),
        world_xyz=None if track.world_xyz is None else interp(track.world_xyz),
        visibility=min_neighbour(track.visibility),
        presence=min_neighbour(track.presence),
        source=source,
    )
