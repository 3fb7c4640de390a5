"""Pose extraction from video: model bundle, video input, MediaPipe landmarks, overlays.

Importing this package is cheap: OpenCV and MediaPipe are imported only when a function
that needs them runs, so ``import avnmotion`` works without the ``pose`` extra installed.
Names are re-exported lazily from the submodules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "prepare_model": "avnmotion.pose.model",
    "resolve_model_path": "avnmotion.pose.model",
    "describe_model": "avnmotion.pose.model",
    "default_model_path": "avnmotion.pose.model",
    "validate_bundle": "avnmotion.pose.model",
    "VideoSource": "avnmotion.pose.video",
    "VideoInfo": "avnmotion.pose.video",
    "probe_video": "avnmotion.pose.video",
    "PoseExtractor": "avnmotion.pose.extract",
    "FramePose": "avnmotion.pose.extract",
    "extract_track": "avnmotion.pose.extract",
    "write_annotated_video": "avnmotion.pose.overlay",
}

__all__ = [
    "FramePose",
    "PoseExtractor",
    "VideoInfo",
    "VideoSource",
    "default_model_path",
    "describe_model",
    "extract_track",
    "prepare_model",
    "probe_video",
    "resolve_model_path",
    "validate_bundle",
    "write_annotated_video",
]

if TYPE_CHECKING:
    from avnmotion.pose.extract import FramePose, PoseExtractor, extract_track
    from avnmotion.pose.model import (
        default_model_path,
        describe_model,
        prepare_model,
        resolve_model_path,
        validate_bundle,
    )
    from avnmotion.pose.overlay import write_annotated_video
    from avnmotion.pose.video import VideoInfo, VideoSource, probe_video


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'avnmotion.pose' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
