import numpy as np

from avnmotion.integrity import repair_side_swaps, swap_legs
from avnmotion.kinematics import compute_kinematics
from avnmotion.track import PoseTrack
from tests.builders import sagittal_points, to_image_track, walking_angles

N = 120


def _walk(facing=1.0):
    ang = walking_angles(N)
    return to_image_track(sagittal_points(N, ang["hip"], ang["knee"]), x_sign=facing), ang


def test_injected_swaps_are_repaired():
    tr, ang = _walk()
    swapped = np.zeros(N, dtype=bool)
    swapped[30:52] = True  # MediaPipe swapped the legs for 22 frames
    swapped[80:95] = True
    bad = swap_legs(tr, swapped)
    fixed, report = repair_side_swaps(bad)
    assert report.swaps_fixed == 4
    np.testing.assert_allclose(fixed.image_xyz, tr.image_xyz, atol=1e-6)
    kin = compute_kinematics(fixed)
    np.testing.assert_allclose(kin.angle("left_hip_flexion_deg"), ang["hip"]["left"], atol=0.1)


def test_whole_clip_mislabelled_is_fixed_by_near_far_cue():
    tr, _ = _walk(facing=-1.0)
    bad = swap_legs(tr, np.ones(N, dtype=bool))
    fixed, report = repair_side_swaps(bad)
    np.testing.assert_allclose(fixed.image_xyz, tr.image_xyz, atol=1e-6)
    # Continuity saw no jump; the depth cue relabelled the one segment (the whole clip).
    assert report.frames_relabelled == N
    assert report.swaps_fixed == 1


def test_clean_track_is_untouched():
    tr, _ = _walk()
    fixed, report = repair_side_swaps(tr)
    assert report.swaps_fixed == 0
    np.testing.assert_array_equal(fixed.image_xyz, tr.image_xyz)
    assert report.far_side_low_confidence_pct == 0.0


def test_short_segment_between_swaps_follows_its_neighbours():
    # The whole clip is mislabelled except for 4 frames (MediaPipe's labels right by chance):
    # continuity sees two jumps, and the 4-frame segment between them is too short for the
    # depth vote; it must take the decision of the segment before it, not stay as it is.
    tr, ang = _walk()
    gap = np.abs(ang["hip"]["left"] - ang["hip"]["right"])
    start = int(np.argmax(gap[40:80])) + 40  # legs well apart, so the jumps are seen
    wrong = np.ones(N, dtype=bool)
    wrong[start : start + 4] = False
    bad = swap_legs(tr, wrong)
    fixed, report = repair_side_swaps(bad)
    np.testing.assert_allclose(fixed.image_xyz, tr.image_xyz, atol=1e-6)
    assert report.frames_relabelled == N - 4


def test_swap_spread_over_two_frames_is_found():
    # MediaPipe moves the legs onto each other over two frames: the middle frame lies
    # half-way, so neither one-frame step is a clean exchange; the two-frame step is.
    from avnmotion.integrity import detect_swap_frames

    tr, ang = _walk()
    gap = np.abs(ang["hip"]["left"] - ang["hip"]["right"])
    start = int(np.argmax(gap[40:80])) + 40
    swapped = np.zeros(N, dtype=bool)
    swapped[start + 1 : start + 7] = True  # 6 frames swapped (as in the rendered walks)
    bad = swap_legs(tr, swapped)
    img = bad.image_xyz.copy()
    both = swap_legs(tr, np.ones(N, dtype=bool)).image_xyz
    for k in (start, start + 7):  # half-way frames at the swap and at its undo
        img[k] = 0.5 * (tr.image_xyz[k] + both[k])
    bad = bad.with_(image_xyz=img)
    events = detect_swap_frames(bad)
    assert np.flatnonzero(events).tolist() == [start, start + 7]
    fixed, report = repair_side_swaps(bad)
    assert report.swaps_fixed == 2
    keep = np.ones(N, dtype=bool)
    keep[[start, start + 7]] = False  # the half-way frames cannot be right either way
    np.testing.assert_allclose(fixed.image_xyz[keep], tr.image_xyz[keep], atol=1e-6)
    # The causal repair learns of each two-frame swap one frame after its middle frame, and
    # the live path relabels exactly the frames the offline causal repair does.
    causal, _ = repair_side_swaps(bad, causal=True)
    keep[[start + 1, start + 8]] = False
    np.testing.assert_allclose(causal.image_xyz[keep], tr.image_xyz[keep], atol=1e-6)
    np.testing.assert_array_equal(_live_parity(bad), _causal_parity(bad))


def _causal_parity(track: PoseTrack) -> np.ndarray:
    """Per frame, whether the offline causal repair relabels the legs."""
    from avnmotion.integrity import (
        causal_crossing_flags,
        causal_swap_frames,
        causal_swap_parity,
        leg_separation_px,
    )

    flags = causal_crossing_flags(*leg_separation_px(track))
    return causal_swap_parity(causal_swap_frames(track), flags)


def _live_parity(track: PoseTrack) -> np.ndarray:
    """Per frame, whether the live path relabels the legs."""
    from avnmotion.live.causal import CausalKinematics

    live = CausalKinematics("side", track.sampling_rate_hz, track.frame_size_px)
    out = []
    for i in range(track.n_frames):
        live.push(track.image_xyz[i], track.visibility[i])
        out.append(live.parity)
    return np.array(out)


def _handed_back_swap() -> tuple[PoseTrack, PoseTrack, int]:
    """A walk where MediaPipe swaps the legs with a jump 4 frames before a leg crossing and
    hands each label back to its own leg at the crossing (no jump to see): (truth, bad,
    crossing frame)."""
    from avnmotion.integrity import detect_swap_frames, leg_crossings

    tr, _ = _walk()
    crossings = np.flatnonzero(leg_crossings(tr))
    cross = int(crossings[crossings > 30][0])
    start = cross - 4  # legs well apart here, so the jump is seen
    swapped = np.zeros(N, dtype=bool)
    swapped[start:cross] = True
    img = swap_legs(tr, swapped).image_xyz.copy()
    both = swap_legs(tr, np.ones(N, dtype=bool)).image_xyz
    # the hand-back is spread over the crossing frames: no clean one- or two-frame exchange
    for k, w in ((cross, 0.6), (cross + 1, 0.3)):
        img[k] = (1 - w) * tr.image_xyz[k] + w * both[k]
    bad = tr.with_(image_xyz=img)
    assert np.flatnonzero(detect_swap_frames(bad)).tolist() == [start]
    return tr, bad, cross


def test_swap_handed_back_where_the_legs_cross_is_repaired():
    # The fix from the jump must last until that crossing and no longer; the depth cue
    # cannot help (MediaPipe's depth follows its own labels).
    tr, bad, cross = _handed_back_swap()
    fixed, report = repair_side_swaps(bad)
    np.testing.assert_allclose(fixed.image_xyz[:cross], tr.image_xyz[:cross], atol=1e-6)
    np.testing.assert_allclose(fixed.image_xyz[cross + 2 :], tr.image_xyz[cross + 2 :], atol=1e-6)
    assert report.frames_relabelled == 4


def test_causal_repair_lasts_until_the_crossing_and_live_relabels_the_same_frames():
    # Without the depth vote (the live path), a fix from a jump must end at the next leg
    # crossing: otherwise a missed hand-back relabels everything after it.
    tr, bad, cross = _handed_back_swap()
    fixed, report = repair_side_swaps(bad, causal=True)
    np.testing.assert_allclose(fixed.image_xyz[:cross], tr.image_xyz[:cross], atol=1e-6)
    np.testing.assert_allclose(fixed.image_xyz[cross + 3 :], tr.image_xyz[cross + 3 :], atol=1e-6)
    assert 4 <= report.frames_relabelled <= 6
    np.testing.assert_array_equal(_live_parity(bad), _causal_parity(bad))
