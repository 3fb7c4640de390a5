"""TRC reading/writing, laboratory marker mapping and the C3D axis helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avnmotion.errors import AvnInputError
from avnmotion.formats.c3d import convert_file, lab_rotation, read_any
from avnmotion.formats.trc import (
    harrington_hip_centres,
    landmarks_from_markers,
    normalise_marker_name,
    read_trc,
    write_trc,
)
from avnmotion.track import LANDMARK_INDEX, LANDMARK_NAMES, PoseTrack, empty_arrays

LEG = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee", "right_knee",
       "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
       "right_foot_index")  # fmt: skip


def _lab_track(n: int = 40, fs: float = 100.0, names: tuple[str, ...] = LEG) -> PoseTrack:
    rng = np.random.default_rng(0)
    arrays = empty_arrays(n)
    xyz = arrays["xyz"]
    for name in names:
        xyz[:, LANDMARK_INDEX[name]] = rng.normal(0.0, 0.5, size=(n, 3))
    vis = np.isfinite(xyz[..., 0]).astype(np.float32)
    return PoseTrack(
        timestamps_s=0.25 + np.arange(n) / fs,
        image_xyz=None,
        world_xyz=xyz,
        visibility=vis,
        presence=vis,
        world_frame="lab_y_up",
    )


def _write_raw(path: Path, header: str, names: list[str], rows: list[list[str]], units="mm",
               rate="60.00") -> Path:  # fmt: skip
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame"
        "\tOrigNumFrames",
        f"{rate}\t{rate}\t{len(rows)}\t{len(names)}\t{units}\t{rate}\t1\t{len(rows)}",
        "Frame#\tTime\t" + "\t\t\t".join(names),
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
        "",
    ]
    if header:
        lines[0] = header
    lines += ["\t".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_round_trip_lab_track_metres(tmp_path: Path) -> None:
    track = _lab_track()
    out = write_trc(track, tmp_path / "trial.trc")
    back = read_trc(out)
    assert back.world_frame == "lab_y_up" and back.image_xyz is None
    np.testing.assert_allclose(back.timestamps_s, track.timestamps_s, atol=1e-9)
    assert back.world_xyz is not None and track.world_xyz is not None
    np.testing.assert_array_equal(np.isnan(back.world_xyz), np.isnan(track.world_xyz))
    np.testing.assert_allclose(back.world_xyz, track.world_xyz, rtol=0, atol=1e-6)
    for name in LANDMARK_NAMES:
        expected = 1.0 if name in LEG else 0.0
        assert back.visibility[0, LANDMARK_INDEX[name]] == expected


def test_round_trip_mm_with_gaps(tmp_path: Path) -> None:
    track = _lab_track()
    assert track.world_xyz is not None
    xyz = track.world_xyz.copy()
    xyz[5:9, LANDMARK_INDEX["left_heel"]] = np.nan
    track = track.with_(world_xyz=xyz)
    back = read_trc(write_trc(track, tmp_path / "gaps.trc", units="mm"))
    assert back.world_xyz is not None
    np.testing.assert_allclose(back.world_xyz, xyz, rtol=0, atol=1e-6)
    assert np.all(back.visibility[5:9, LANDMARK_INDEX["left_heel"]] == 0)
    assert back.sampling_rate_hz == pytest.approx(100.0)


def test_video_track_round_trip_in_pixels(tmp_path: Path) -> None:
    n = 10
    rng = np.random.default_rng(1)
    img = rng.uniform(0.1, 0.9, size=(n, 33, 3)).astype(np.float32)
    img[:, 0] = np.nan  # nose missing
    vis = np.isfinite(img[..., 0]).astype(np.float32)
    track = PoseTrack(np.arange(n) / 30.0, img, None, vis, vis, frame_size_px=(640, 480))
    back = read_trc(write_trc(track, tmp_path / "video.trc"))
    assert back.frame_size_px == (640, 480) and back.image_xyz is not None
    np.testing.assert_allclose(back.image_xyz[..., :2], img[..., :2], atol=1e-6)
    assert np.all(np.isnan(back.image_xyz[:, 0]))


def test_video_track_with_scale_is_metric(tmp_path: Path) -> None:
    img = np.full((3, 33, 3), 0.5, dtype=np.float32)
    vis = np.ones((3, 33), dtype=np.float32)
    track = PoseTrack(np.arange(3) / 30.0, img, None, vis, vis, frame_size_px=(100, 200))
    back = read_trc(write_trc(track, tmp_path / "v.trc", metres_per_pixel=0.01))
    assert back.world_xyz is not None
    np.testing.assert_allclose(back.world_xyz[0, 0], [0.5, 1.0, 0.0], atol=1e-6)


def test_subset_and_times_snapped_to_rate(tmp_path: Path) -> None:
    rows = [[str(i + 1), f"{i / 60:.3f}", "1000", "900", "100", "", "", ""] for i in range(5)]
    path = _write_raw(tmp_path / "subset.trc", "", ["left_hip", "right_knee"], rows)
    track = read_trc(path)
    np.testing.assert_allclose(track.timestamps_s, np.arange(5) / 60.0, atol=1e-12)
    assert track.world_xyz is not None
    np.testing.assert_allclose(track.world_xyz[0, LANDMARK_INDEX["left_hip"]], [1.0, 0.9, 0.1])
    assert np.all(np.isnan(track.world_xyz[:, LANDMARK_INDEX["right_knee"]]))
    assert track.visibility[0, LANDMARK_INDEX["left_hip"]] == 1.0
    assert track.visibility[0, LANDMARK_INDEX["nose"]] == 0.0


def test_opensim_marker_names_and_harrington(tmp_path: Path) -> None:
    names = ["R.ASIS", "L.ASIS", "V.Sacral", "R.Heel", "L.Toe.Tip", "R.Acromium"]
    # Pelvis 250 mm wide, sacrum 150 mm behind, ASIS at 1 m; X forward, Y up, Z right.
    vals = ["0", "1000", "125", "0", "1000", "-125", "-150", "1000", "0",
            "100", "50", "100", "200", "40", "-100", "0", "1400", "180"]  # fmt: skip
    rows = [["1", "0.0", *vals], ["2", "0.01", *vals]]
    track = read_trc(_write_raw(tmp_path / "lab.trc", "", names, rows, rate="100"))
    w = track.world_xyz
    assert w is not None
    right = w[0, LANDMARK_INDEX["right_hip"]]
    left = w[0, LANDMARK_INDEX["left_hip"]]
    # Harrington: x = -0.24*150 - 9.9, y = -0.30*250 - 10.9, z = +-(0.33*250 + 7.3) mm.
    np.testing.assert_allclose(right, [-0.0459, 1.0 - 0.0859, 0.0898], atol=1e-4)
    np.testing.assert_allclose(left, [-0.0459, 1.0 - 0.0859, -0.0898], atol=1e-4)
    np.testing.assert_allclose(w[0, LANDMARK_INDEX["right_heel"]], [0.1, 0.05, 0.1])
    np.testing.assert_allclose(w[0, LANDMARK_INDEX["left_foot_index"]], [0.2, 0.04, -0.1])
    assert "Harrington" in track.source["landmark_sources"]["left_hip"]


def test_plugin_gait_names_with_prefix() -> None:
    n = 2
    markers = {
        "A22:RASI": np.tile([0.0, 1.0, 0.125], (n, 1)),
        "A22:LASI": np.tile([0.0, 1.0, -0.125], (n, 1)),
        "A22:LPSI": np.tile([-0.15, 1.0, -0.05], (n, 1)),
        "A22:RPSI": np.tile([-0.15, 1.0, 0.05], (n, 1)),
        "A22:LKNE": np.tile([0.0, 0.5, -0.1], (n, 1)),
        "A22:RTOE": np.tile([0.2, 0.0, 0.1], (n, 1)),
    }
    _xyz, vis, mapping = landmarks_from_markers(markers, n)
    assert mapping["left_knee"] == "LKNE" and mapping["right_foot_index"] == "RTOE"
    assert "PSIS" in mapping["right_hip"]
    assert vis[0, LANDMARK_INDEX["left_knee"]] == 1 and vis[0, LANDMARK_INDEX["nose"]] == 0
    assert normalise_marker_name(" Sub:l.heel ") == "L.HEEL"


def test_harrington_is_symmetric_and_rotation_invariant() -> None:
    rasi = np.array([[0.0, 1.0, 0.125]])
    lasi = np.array([[0.0, 1.0, -0.125]])
    sacr = np.array([[-0.15, 1.0, 0.0]])
    left, right = harrington_hip_centres(rasi, lasi, sacr)
    rot = lab_rotation("+X", "+Z").T  # any rotation
    l2, r2 = harrington_hip_centres(rasi @ rot, lasi @ rot, sacr @ rot)
    np.testing.assert_allclose(l2, left @ rot, atol=1e-12)
    np.testing.assert_allclose(r2, right @ rot, atol=1e-12)
    assert left[0, 2] == pytest.approx(-right[0, 2])


def test_vicon_rotation_is_z_up_to_y_up() -> None:
    r = lab_rotation("+X", "+Z")
    np.testing.assert_allclose(r @ [1.0, 2.0, 3.0], [1.0, 3.0, -2.0])
    assert np.linalg.det(r) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows.__setitem__(1, rows[1][:-2]), "line 8 has 6 columns, header promises 8"),
        (lambda rows: rows[0].__setitem__(3, "abc"), "line 7 column 4 is not a number"),
        (lambda rows: rows[1].__setitem__(1, "0.0"), "times must increase"),
    ],
)
def test_bad_data_lines(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    rows = [[str(i + 1), f"{i / 60:.4f}", "1", "2", "3", "4", "5", "6"] for i in range(3)]
    mutate(rows)
    path = _write_raw(tmp_path / "bad.trc", "", ["left_hip", "right_hip"], rows)
    with pytest.raises(AvnInputError, match=message) as info:
        read_trc(path)
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.trc:")


def test_bad_headers(tmp_path: Path) -> None:
    rows = [["1", "0", "1", "2", "3"]]
    with pytest.raises(AvnInputError, match="not a TRC file"):
        read_trc(_write_raw(tmp_path / "a.trc", "Hello", ["left_hip"], rows))
    with pytest.raises(AvnInputError, match="unknown Units 'furlongs'"):
        read_trc(_write_raw(tmp_path / "b.trc", "", ["left_hip"], rows, units="furlongs"))
    with pytest.raises(AvnInputError, match="no marker matches"):
        read_trc(_write_raw(tmp_path / "c.trc", "", ["Banana"], rows))
    with pytest.raises(AvnInputError, match="file not found"):
        read_trc(tmp_path / "missing.trc")
    text = (tmp_path / "a.trc").read_text().replace("Hello", "PathFileType\t4")
    lines = text.splitlines()
    lines[3] = lines[3] + "\tExtra"
    (tmp_path / "d.trc").write_text("\n".join(lines) + "\n")
    with pytest.raises(AvnInputError, match="names 2 markers, header promises 1"):
        read_trc(tmp_path / "d.trc")


def test_convert_trc_to_npz_and_back(tmp_path: Path) -> None:
    src = write_trc(_lab_track(), tmp_path / "t.trc")
    npz = convert_file(src, tmp_path / "t.npz")
    again = convert_file(npz, tmp_path / "t2.trc")
    a, b = read_any(src), read_any(again)
    assert a.world_xyz is not None and b.world_xyz is not None
    np.testing.assert_allclose(a.world_xyz, b.world_xyz, atol=1e-6)
    with pytest.raises(AvnInputError, match="unknown output type"):
        convert_file(src, tmp_path / "t.csv")
