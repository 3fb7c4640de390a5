"""Validation helpers: condition a track like the pipeline, project 3-D to a camera, score events.

These serve the motion-capture tests and ``benchmarks/gait_mocap.py``: real walking trials
with force-plate or stored events are analysed in 3-D and as a synthetic side-view video
(:func:`project_to_camera`), and every detected event is compared with the truth
(:func:`match_events`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from avnmotion.kinematics import pelvis_frame_3d
from avnmotion.track import LANDMARK_INDEX, PoseTrack

FloatArray = NDArray[np.float64]
EventTable = dict[tuple[str, str], list[float]]


def condition_track(track: PoseTrack) -> PoseTrack:
    """The filtered track exactly as :func:`avnmotion.pipeline.analyze_track` conditions it."""
    from avnmotion.pipeline import condition_track as pipeline_conditioning

    return pipeline_conditioning(track).filtered


def project_to_camera(
    track: PoseTrack,
    *,
    camera_side: Literal["left", "right"] = "right",
    distance_m: float = 4.0,
    height_m: float = 1.0,
    frame_size_px: tuple[int, int] = (1920, 1080),
    orthographic: bool = False,
    margin: float = 0.1,
    view_axis: FloatArray | None = None,
) -> PoseTrack:
    """A side-view video track from a 3-D laboratory track (pinhole or orthographic camera).

    The camera looks horizontally along the trial's dominant pelvis-lateral axis (or
    ``view_axis``, a lab-frame vector) from
    ``distance_m`` beside the mean pelvis path, at ``height_m``, towards the subject's
    ``camera_side``. The focal length is chosen so that every landmark of the trial fits in
    the frame with ``margin`` to spare. The image coordinates are normalised as MediaPipe's
    (x right, y down, in [0, 1]); z is the depth relative to the pelvis, scaled like x.

    Returns
    -------
    PoseTrack
        ``image_xyz`` set, ``world_xyz`` None, ``frame_size_px`` set, visibility 1 where a
        landmark exists.
    """
    if track.world_xyz is None or track.world_frame != "lab_y_up":
        raise ValueError("project_to_camera needs a laboratory (lab_y_up) track")
    w = track.world_xyz.astype(np.float64)
    _, _, left = pelvis_frame_3d(track)
    ok = np.all(np.isfinite(left), axis=1)
    if view_axis is not None:
        lateral = np.asarray(view_axis, dtype=np.float64).copy()
    else:
        # Dominant lateral axis, sign-free (walking back and forth flips the pelvis).
        _, vecs = np.linalg.eigh(left[ok].T @ left[ok])
        lateral = vecs[:, -1]
        if np.dot(lateral, left[ok][0]) < 0:
            lateral = -lateral
    lateral[1] = 0.0
    lateral /= np.linalg.norm(lateral)
    # Camera axes: looking direction d (towards the subject), image right r, image up u.
    d = lateral if camera_side == "right" else -lateral  # camera on the right looks to the left
    u = np.array([0.0, 1.0, 0.0])
    r = np.cross(d, u)  # right-handed: r = d x u gives image-right when u is up
    pelvis = 0.5 * (w[:, LANDMARK_INDEX["left_hip"]] + w[:, LANDMARK_INDEX["right_hip"]])
    centre = np.nanmean(pelvis, axis=0)
    cam = centre - distance_m * d
    cam[1] = height_m
    rel = w - cam
    xc = rel @ r
    yc = rel @ u
    zc = rel @ d
    width, height = frame_size_px
    if orthographic:
        px, py = xc, yc
    else:
        px, py = xc / zc, yc / zc
    cx = 0.5 * (np.nanmax(px) + np.nanmin(px))
    cy = 0.5 * (np.nanmax(py) + np.nanmin(py))
    span = max((np.nanmax(px) - np.nanmin(px)) / width, (np.nanmax(py) - np.nanmin(py)) / height)
    f = (1.0 - 2.0 * margin) / span
    x_img = 0.5 * width + f * (px - cx)
    y_img = 0.5 * height - f * (py - cy)
    z_pelvis = (pelvis - cam) @ d
    depth = (zc - z_pelvis[:, None]) * (f / (distance_m if not orthographic else 1.0)) / width
    img = np.stack([x_img / width, y_img / height, depth], axis=-1).astype(np.float32)
    vis = np.isfinite(img[..., 0]).astype(np.float32)
    return PoseTrack(
        timestamps_s=track.timestamps_s,
        image_xyz=img,
        world_xyz=None,
        visibility=vis,
        presence=vis.copy(),
        frame_size_px=(int(width), int(height)),
        world_frame="mediapipe_hip",
        source={
            **{k: v for k, v in track.source.items() if k != "landmark_sources"},
            "projected": {
                "camera_side": camera_side,
                "distance_m": distance_m,
                "orthographic": orthographic,
                "focal": float(f),  # px per metre (orthographic) or px per unit tan
            },
        },
    )


@dataclass
class EventMatch:
    """One truth event and its nearest detection of the same side and kind."""

    side: str
    kind: str
    truth_s: float
    detected_s: float | None
    error_s: float | None


def match_events(
    detected: EventTable, truth: EventTable, t_start: float, t_end: float, max_error_s: float = 0.15
) -> list[EventMatch]:
    """Pair each truth event inside ``[t_start, t_end]`` with the nearest detection.

    A truth event without a detection within ``max_error_s`` counts as missed
    (``detected_s`` None).
    """
    out: list[EventMatch] = []
    for (side, kind), times in truth.items():
        found = np.asarray(detected.get((side, kind), []), dtype=np.float64)
        for tt in times:
            if not t_start <= tt <= t_end:
                continue
            if found.size:
                j = int(np.argmin(np.abs(found - tt)))
                err = float(found[j] - tt)
                if abs(err) <= max_error_s:
                    out.append(EventMatch(side, kind, tt, float(found[j]), err))
                    continue
            out.append(EventMatch(side, kind, tt, None, None))
    return sorted(out, key=lambda m: m.truth_s)


def unmatched_detections(
    detected: EventTable, truth: EventTable, t_start: float, t_end: float, max_error_s: float = 0.15
) -> list[tuple[str, str, float]]:
    """Detections inside the truth window with no truth event within ``max_error_s``."""
    extra: list[tuple[str, str, float]] = []
    for (side, kind), times in detected.items():
        ref = np.asarray(truth.get((side, kind), []), dtype=np.float64)
        for d in times:
            if not t_start <= d <= t_end:
                continue
            if ref.size == 0 or np.min(np.abs(ref - d)) > max_error_s:
                extra.append((side, kind, d))
    return extra


# -- the public motion-capture trials ----------------------------------------------------
@dataclass
class MocapTrial:
    name: str
    path: Path
    truth: EventTable
    rate_hz: float


def mocap_trials(root: Path) -> list[MocapTrial]:
    """The walking trials of ``../shared/data/mocap`` that carry event truth."""
    from avnmotion.formats.c3d import read_c3d_events

    truth_json = json.loads((root / "truth.json").read_text())
    trials: list[MocapTrial] = []
    for name in ("c3dorg__sample_03__gait-pig.c3d", "BTKData__PiG__PiG_Motion-FlatFoot-Full.c3d"):
        path = root / name
        if path.exists():
            trials.append(
                MocapTrial(name, path, read_c3d_events(path), truth_json[name]["point_rate_hz"])
            )
    trc = "Gait10dof18musc__ExperimentalData__subject01_walk.trc"
    if (root / trc).exists():
        ev = truth_json[trc]["events_s"]
        table = {
            (side, kind): list(ev[side][f"{kind}_s"])
            for side in ("left", "right")
            for kind in ("foot_strike", "foot_off")
        }
        trials.append(MocapTrial(trc, root / trc, table, 60.0))
    return trials


def load_trial(trial: MocapTrial) -> PoseTrack:
    from avnmotion.formats.c3d import read_any

    return read_any(trial.path)


def score(matches: list[EventMatch], rate_hz: float) -> dict[str, Any]:
    """Summary of a list of matches: counts, MAE (ms), max error (frames)."""
    errs = np.array([m.error_s for m in matches if m.error_s is not None], dtype=np.float64)
    return {
        "n_truth": len(matches),
        "n_matched": int(errs.size),
        "n_missed": len(matches) - int(errs.size),
        "mae_ms": float(np.mean(np.abs(errs)) * 1e3) if errs.size else None,
        "bias_ms": float(np.mean(errs) * 1e3) if errs.size else None,
        "max_error_frames": float(np.max(np.abs(errs)) * rate_hz) if errs.size else None,
    }


def observable_truth(
    raw: PoseTrack, truth: EventTable, margin_s: float = 0.1
) -> tuple[EventTable, list[str]]:
    """Truth events whose markers exist in the raw track within ``margin_s``.

    Foot strikes need both hips and the heel (or ankle); foot offs need both hips and the
    toe (or heel). Returns the observable events and one line per event left out.
    """
    coords = raw.world_xyz if raw.world_xyz is not None else raw.image_xyz
    assert coords is not None
    finite = np.isfinite(coords[..., 0])
    t = raw.timestamps_s
    kept: EventTable = {}
    skipped: list[str] = []
    for (side, kind), times in truth.items():
        parts = ("heel", "ankle") if kind == "foot_strike" else ("foot_index", "heel")
        for tt in times:
            sel = (t >= tt - margin_s) & (t <= tt + margin_s)
            hips = finite[sel][:, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]]
            foot = [finite[sel][:, LANDMARK_INDEX[f"{side}_{p}"]] for p in parts]
            has_foot = any(f.size > 0 and bool(np.all(f)) for f in foot)
            if sel.any() and np.all(hips) and has_foot:
                kept.setdefault((side, kind), []).append(tt)
            else:
                skipped.append(f"{side} {kind} at {tt:.3f} s: markers missing in the recording")
    return kept, skipped
