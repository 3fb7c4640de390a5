import numpy as np
import pytest

from avnmotion import signal as sig
from tests.builders import sagittal_points, to_image_track


def test_fill_gaps_fills_short_interior_runs_exactly():
    x = np.arange(20, dtype=float)[:, None] * np.array([[1.0, 2.0]])
    y = x.copy()
    y[5:8, 0] = np.nan  # 3-frame gap: filled
    y[10:16, 1] = np.nan  # 6-frame gap: too long
    y[:2, 1] = np.nan  # edge: never extrapolated
    out, n = sig.fill_gaps(y, max_gap_frames=4)
    np.testing.assert_allclose(out[5:8, 0], x[5:8, 0])
    assert np.all(np.isnan(out[10:16, 1]))
    assert np.all(np.isnan(out[:2, 1]))
    assert n == 3


def test_zero_phase_lowpass_keeps_slow_removes_fast_and_keeps_nan():
    fs = 60.0
    t = np.arange(600) / fs
    slow = np.sin(2 * np.pi * 1.0 * t)
    fast = 0.5 * np.sin(2 * np.pi * 15.0 * t)
    x = (slow + fast)[:, None]
    x[300:303] = np.nan
    y = sig.lowpass_zero_phase(x, fs, cutoff_hz=6.0)
    assert np.all(np.isnan(y[300:303]))
    core = slice(60, 280)
    # Zero phase: the 1 Hz component passes without lag, the 15 Hz one is removed.
    np.testing.assert_allclose(y[core, 0], slow[core], atol=0.02)


def test_lowpass_all_nan_column_stays_nan():
    x = np.full((50, 2), np.nan)
    x[:, 0] = 1.0
    y = sig.lowpass_zero_phase(x, 30.0)
    np.testing.assert_allclose(y[:, 0], 1.0, atol=1e-9)
    assert np.all(np.isnan(y[:, 1]))


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_causal_filter_is_identical_in_chunks_and_whole(chunk):
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(300, 3)), axis=0)
    x[50:60, 1] = np.nan
    whole = sig.CausalLowpass(30.0, cutoff_hz=3.0, n_channels=3).process(x)
    f = sig.CausalLowpass(30.0, cutoff_hz=3.0, n_channels=3)
    parts = np.vstack([f.process(x[i : i + chunk]) for i in range(0, len(x), chunk)])
    np.testing.assert_allclose(parts, whole, rtol=0, atol=1e-12)
    # NaN input is held at the last value, so output stays finite.
    assert np.all(np.isfinite(whole))


def test_causal_filter_starts_without_transient():
    y = sig.CausalLowpass(30.0, cutoff_hz=2.0).process(np.full(40, 37.0))
    np.testing.assert_allclose(y, 37.0, atol=1e-9)


def test_resample_variable_frame_rate_to_even_grid():
    rng = np.random.default_rng(1)
    n = 60
    t = np.cumsum(rng.uniform(0.025, 0.042, size=n))
    pts = sagittal_points(
        n, {"left": 0.0, "right": 0.0}, {"left": 0.0, "right": 0.0}, pelvis_x=t * 1.0
    )  # pelvis moves linearly with time
    tr = to_image_track(pts).with_(timestamps_s=t)
    assert not sig.is_even_grid(tr.timestamps_s)
    assert sig.timing_jitter_ms(t) > 3
    out = sig.resample_to_even_grid(tr, 30.0)
    assert sig.is_even_grid(out.timestamps_s)
    assert out.timestamps_s[-1] <= t[-1] + 1e-9
    # Linear motion is reproduced exactly by linear interpolation.
    x_hip = out.image_xyz[:, 23, 0]
    expected = (640 + out.timestamps_s * 300) / 1280
    np.testing.assert_allclose(x_hip, expected, atol=1e-5)


def test_gate_by_visibility_counts_samples():
    pts = sagittal_points(5, {"left": 0.0, "right": 0.0}, {"left": 0.0, "right": 0.0})
    tr = to_image_track(pts)
    vis = tr.visibility.copy()
    vis[1:3, 25] = 0.1
    gated, n = sig.gate_by_visibility(tr.with_(visibility=vis), 0.5)
    assert n == 2
    assert np.all(np.isnan(gated.image_xyz[1:3, 25]))
    assert np.all(np.isfinite(gated.image_xyz[0, 25]))


def test_gap_fill_and_lowpass_treat_each_of_many_columns_on_its_own():
    # 99 columns (a track's 33 x 3) are processed in column blocks: every column must come
    # out exactly as if it were filtered alone, whatever block it falls in.
    fs = 30.0
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(size=(400, 33, 3)), axis=0)
    x[rng.random(x.shape) < 0.03] = np.nan
    x[:, 20, 1] = np.nan  # a landmark never seen
    x[100:150, 13, 2] = np.nan  # a gap longer than max_gap
    filled, n_filled = sig.fill_gaps(x.astype(np.float32), max_gap_frames=5)
    low = sig.lowpass_zero_phase(filled, fs, cutoff_hz=6.0, dtype=np.float32)
    assert filled.dtype == low.dtype == np.float32 and low.shape == x.shape
    total = 0
    for j in range(33):
        for k in range(3):
            col = x[:, j, k : k + 1].astype(np.float32)
            f1, n1 = sig.fill_gaps(col, max_gap_frames=5)
            total += n1
            np.testing.assert_array_equal(filled[:, j, k], f1[:, 0])
            l1 = sig.lowpass_zero_phase(f1, fs, cutoff_hz=6.0)
            np.testing.assert_array_equal(low[:, j, k], l1[:, 0].astype(np.float32))
    assert n_filled == total > 0
    assert np.all(np.isnan(low[:, 20, 1])) and np.all(np.isnan(low[100:150, 13, 2]))


def test_video_tracks_are_conditioned_in_the_image_plane_only():
    from avnmotion.pipeline import condition_track
    from tests.builders import walking_angles

    ang = walking_angles(120)
    track = to_image_track(sagittal_points(120, ang["hip"], ang["knee"]))
    world = np.zeros(track.image_xyz.shape, dtype=np.float32)  # type: ignore[union-attr]
    video = track.with_(world_xyz=world)
    cond = condition_track(video)
    # MediaPipe's world landmarks stay in the raw track, untouched; no conditioned copies.
    assert cond.raw.world_xyz is world
    assert cond.filtered.world_xyz is None and cond.unfiltered.world_xyz is None
    assert cond.causal.world_xyz is None
    assert cond.filtered.image_xyz is not None and cond.filtered.image_xyz.dtype == np.float32
    # the image-plane result is the same as for the track without world landmarks
    plain = condition_track(track)
    np.testing.assert_array_equal(cond.filtered.image_xyz, plain.filtered.image_xyz)
