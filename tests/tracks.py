"""Extract each sample clip's track once and reuse it (tests and benchmarks).

Tracks are cached as ``.npz`` under ``AVNMOTION_TRACK_CACHE`` (default ``.cache/tracks`` in
the repository, git-ignored), keyed by the clip's and the model's SHA-256, so a changed clip
or model is re-extracted and a fresh clone extracts each clip exactly once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from avnmotion.track import PoseTrack

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    d = Path(os.environ.get("AVNMOTION_TRACK_CACHE", ROOT / ".cache" / "tracks"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def cached_track(video: Path) -> PoseTrack:
    """The pose track of ``video``, extracted with the default model on first use."""
    from avnmotion.pose.extract import extract_track
    from avnmotion.pose.model import resolve_model_path

    model = resolve_model_path()
    out = cache_dir() / f"{video.stem}-{_sha(video)}-{_sha(model)}.npz"
    if out.exists():
        return PoseTrack.load_npz(out)
    track = extract_track(video, model_path=model)
    tmp = out.with_suffix(".tmp.npz")
    track.save_npz(tmp)
    tmp.replace(out)
    return track
