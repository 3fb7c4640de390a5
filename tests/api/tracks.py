"""Small synthetic pose tracks for the real pipeline (side view, walking-like angles)."""

from __future__ import annotations

import io
from pathlib import Path

from avnmotion.track import PoseTrack
from tests.builders import sagittal_points, to_image_track, walking_angles


def walking_track(n: int = 90, fps: float = 30.0) -> PoseTrack:
    a = walking_angles(n, fps)
    return to_image_track(sagittal_points(n, a["hip"], a["knee"]), fps=fps)


def track_bytes(track: PoseTrack, tmp: Path) -> bytes:
    path = tmp / "track.npz"
    track.save_npz(path)
    data = path.read_bytes()
    path.unlink()
    return io.BytesIO(data).getvalue()
