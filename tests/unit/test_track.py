import numpy as np
import pytest

from avnmotion.errors import AvnInputError
from avnmotion.track import LANDMARK_NAMES, LR_PERMUTATION, N_LANDMARKS, PoseTrack
from tests.builders import sagittal_points, to_image_track


def _track(n: int = 10) -> PoseTrack:
    pts = sagittal_points(n, {"left": 10.0, "right": -5.0}, {"left": 20.0, "right": 5.0})
    return to_image_track(pts)


def test_landmark_names_are_mediapipe_33():
    assert len(LANDMARK_NAMES) == 33
    assert LANDMARK_NAMES[23:25] == ("left_hip", "right_hip")
    assert LANDMARK_NAMES[31:] == ("left_foot_index", "right_foot_index")
    # Swapping sides twice is the identity and moves every left landmark to its right twin.
    assert np.array_equal(LR_PERMUTATION[LR_PERMUTATION], np.arange(N_LANDMARKS))
    assert LANDMARK_NAMES[LR_PERMUTATION[25]] == "right_knee"


def test_validation_collects_every_problem_in_one_message():
    with pytest.raises(AvnInputError) as info:
        PoseTrack(
            timestamps_s=np.array([0.0, 0.1, 0.05]),
            image_xyz=np.zeros((3, 12, 3)),
            world_xyz=None,
            visibility=np.full((3, 33), 2.0),
            presence=np.zeros((2, 33)),
        )
    msg = str(info.value)
    assert "strictly increasing" in msg
    assert "image_xyz must have shape (time=3, landmark=33, space=3)" in msg
    assert "visibility must lie in [0, 1]" in msg
    assert "presence must have shape" in msg


def test_track_needs_coordinates_and_frames():
    with pytest.raises(AvnInputError, match="needs image_xyz or world_xyz"):
        PoseTrack(np.arange(3.0), None, None, np.zeros((3, 33)), np.zeros((3, 33)))
    with pytest.raises(AvnInputError, match="no frames"):
        PoseTrack(np.zeros(0), np.zeros((0, 33, 3)), None, np.zeros((0, 33)), np.zeros((0, 33)))


def test_float32_storage_and_derived_properties():
    tr = _track(31)
    assert tr.image_xyz.dtype == np.float32
    assert tr.sampling_rate_hz == pytest.approx(30.0)
    assert tr.duration_s == pytest.approx(1.0)
    px = tr.pixel_xy
    assert px is not None and px.shape == (31, 33, 2)
    np.testing.assert_allclose(px[..., 0], tr.image_xyz[..., 0] * 1280, rtol=1e-6)


def test_npz_round_trip(tmp_path):
    tr = _track()
    out = tr.save_npz(tmp_path / "t.npz")
    back = PoseTrack.load_npz(out)
    np.testing.assert_array_equal(back.image_xyz, tr.image_xyz)
    np.testing.assert_array_equal(back.timestamps_s, tr.timestamps_s)
    assert back.frame_size_px == (1280, 720)
    assert back.source["kind"] == "synthetic"


def test_npz_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(AvnInputError, match=r"not a readable \.npz track"):
        PoseTrack.load_npz(bad)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(AvnInputError, match="not an avnmotion track"):
        PoseTrack.load_npz(other)


def test_slice_time_keeps_arrays_aligned():
    tr = _track(20)
    sub = tr.slice_time(slice(5, 15))
    assert sub.n_frames == 10
    np.testing.assert_array_equal(sub.image_xyz, tr.image_xyz[5:15])
    assert sub.timestamps_s[0] == pytest.approx(5 / 30)


def _npz_with(tmp_path, name, **changes):
    import json as _json

    tr = _track()
    path = tr.save_npz(tmp_path / "ok.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = _json.loads(str(arrays["meta_json"]))
    for key, value in changes.items():
        if key.startswith("meta_"):
            meta[key[5:]] = value
        else:
            arrays[key] = value
    arrays["meta_json"] = np.array(changes.get("meta_json", _json.dumps(meta)))
    out = tmp_path / f"{name}.npz"
    np.savez(out, **arrays)
    return out


@pytest.mark.parametrize(
    ("name", "changes", "needle"),
    [
        ("meta_not_json", {"meta_json": "{oops"}, "not a readable avnmotion track"),
        ("meta_list", {"meta_json": "[1, 2]"}, "must be a JSON object"),
        ("source_str", {"meta_source": "video"}, "must be a JSON object"),
        ("size_short", {"meta_frame_size_px": [640]}, "frame_size_px must be [width, height]"),
        ("size_text", {"meta_frame_size_px": ["a", "b"]}, "not a readable avnmotion track"),
        ("times_text", {"timestamps_s": np.array(["a"] * 10)}, "not a readable avnmotion track"),
        ("nan_visibility", {"visibility": np.full((10, 33), np.nan)}, "[0, 1] (no NaN)"),
    ],
)
def test_damaged_npz_tracks_are_one_line_errors(tmp_path, name, changes, needle):
    path = _npz_with(tmp_path, name, **changes)
    with pytest.raises(AvnInputError) as info:
        PoseTrack.load_npz(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_corrupted_member_and_object_arrays_are_one_line_errors(tmp_path):
    good = _track().save_npz(tmp_path / "g.npz")
    raw = bytearray(good.read_bytes())
    mid = len(raw) // 2
    raw[mid : mid + 64] = bytes(64)  # damage compressed data, keep the zip directory
    bad = tmp_path / "damaged.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(AvnInputError, match="not a readable"):
        PoseTrack.load_npz(bad)
    objects = tmp_path / "objects.npz"
    np.savez(objects, timestamps_s=np.array([{"a": 1}], dtype=object))
    with pytest.raises(AvnInputError, match="not an avnmotion track"):
        PoseTrack.load_npz(objects)


def test_frames_with_pose_needs_a_visible_finite_landmark():
    tr = _track(6)
    vis = tr.visibility.copy()
    vis[2] = 0.0  # coordinates, but nothing visible: no person
    xyz = tr.image_xyz.copy()
    xyz[4] = np.nan  # visible but no coordinates: no person
    vis[5] = 0.0
    vis[5, 11] = 0.3  # one visible landmark is enough
    got = tr.with_(visibility=vis, image_xyz=xyz).frames_with_pose()
    assert got.tolist() == [True, True, False, True, False, True]


def test_partly_visible_warning_needs_no_leg_fully_seen():
    from avnmotion.pipeline import _partly_visible_warning
    from avnmotion.track import LANDMARK_INDEX

    tr = _track(10)
    far = [LANDMARK_INDEX[f"left_{p}"] for p in ("hip", "knee", "ankle")]
    near_ankle = LANDMARK_INDEX["right_ankle"]
    vis = np.ones_like(tr.visibility)
    vis[:, far] = 0.2  # side view: the far leg is hidden all the time
    assert _partly_visible_warning(tr.with_(visibility=vis)) is None
    vis[:5, near_ankle] = 0.1  # and the near ankle in half the frames: no whole leg there
    msg = _partly_visible_warning(tr.with_(visibility=vis))
    assert msg is not None and "no leg with hip, knee and ankle all visible in 50%" in msg
