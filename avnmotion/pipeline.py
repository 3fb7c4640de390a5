"""``analyze``: input (video or track) -> :class:`~avnmotion.result.AnalysisResult`.

The data path, each step a function over whole arrays::

    load (video -> pose extraction | .npz | .trc | .c3d)
      -> resample to an even grid (variable-frame-rate input)
      -> left/right swap repair (side views)
      -> gate by visibility -> fill short gaps            = the "unfiltered" track
      -> zero-phase Butterworth on landmark coordinates    = the "filtered" track
      -> kinematics: reported angles use the filtered track; rep counting uses the "causal"
         track (causal swap repair + gating, causal facing vote) with its own causal filter,
         exactly what the live path computes frame by frame, so live and offline counts agree
      -> task: gait | rom | an exercise / test id
      -> flags, quality, processing -> AnalysisResult
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from avnmotion import __version__
from avnmotion import signal as sig
from avnmotion.errors import AvnInputError
from avnmotion.integrity import repair_side_swaps
from avnmotion.kinematics import (
    Kinematics,
    angle_ranges,
    compute_kinematics,
    detect_view_per_frame,
    summarise_view,
)
from avnmotion.protocol import PatientProtocol
from avnmotion.result import (
    PATIENT_SAFETY_ADVICE,
    AnalysisResult,
    Flag,
    InputInfo,
    Processing,
    Quality,
    RangeOfMovement,
)
from avnmotion.track import PoseTrack

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"}
TRACK_SUFFIXES = {".npz", ".trc", ".c3d"}
#: Shortest track analysed: 0.5 s at 30 fps, one window of the view and facing votes (no
#: movement can be counted or timed in less).
MIN_FRAMES = 15
GENERIC_TASKS = {
    "gait": "gait analysis: events, spatiotemporal parameters, symmetry, deviations",
    "rom": "range of movement of every joint angle during the clip (not a standard ROM test)",
}

Progress = Callable[[float], None]


@dataclass(frozen=True)
class ConditioningSettings:
    """Signal-conditioning settings (reported in ``processing.filters``)."""

    min_visibility: float = sig.DEFAULT_MIN_VISIBILITY
    max_gap_s: float = sig.DEFAULT_MAX_GAP_S
    cutoff_hz: float = sig.DEFAULT_CUTOFF_HZ
    order: int = sig.DEFAULT_ORDER


@dataclass
class ConditionedTrack:
    """The track at the stages the analysis uses, with what conditioning did."""

    raw: PoseTrack
    causal: PoseTrack
    unfiltered: PoseTrack
    filtered: PoseTrack
    resampled: bool
    timing_jitter_ms: float
    swaps_fixed: int
    far_side_low_confidence_pct: float | None
    samples_gated: int
    samples_filled: int


def exercise_ids() -> list[str]:
    """Registered exercise and test ids (empty if the registry is unavailable)."""
    try:
        from avnmotion.exercises.registry import EXERCISES
    except ImportError:
        return []
    return sorted(EXERCISES)


def valid_tasks() -> list[str]:
    return sorted(GENERIC_TASKS) + exercise_ids()


def check_task(task: str) -> None:
    """Raise a clear error naming the valid tasks when ``task`` is unknown."""
    if task not in GENERIC_TASKS and task not in exercise_ids():
        raise AvnInputError(f"unknown task {task!r}; valid tasks: {', '.join(valid_tasks())}")


def input_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return "track_npz"
    if suffix == ".trc":
        return "track_trc"
    if suffix == ".c3d":
        return "c3d"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise AvnInputError(
        f"{path.name}: unsupported input type {suffix or '(no extension)'}; expected a video "
        f"({', '.join(sorted(VIDEO_SUFFIXES))}) or a track (.npz, .trc, .c3d)"
    )


def load_track(
    path: str | Path,
    *,
    model_path: str | Path | None = None,
    progress: Progress | None = None,
) -> tuple[PoseTrack, str]:
    """Read a track file or extract one from a video; returns the track and its input kind."""
    path = Path(path)
    if not path.exists():
        raise AvnInputError(f"{path}: file not found")
    if path.is_dir():
        raise AvnInputError(f"{path}: is a directory, expected a video or track file")
    kind = input_kind(path)
    if path.stat().st_size == 0:
        raise AvnInputError(f"{path.name}: file is empty")
    if kind == "track_npz":
        return PoseTrack.load_npz(path), kind
    if kind == "track_trc":
        from avnmotion.formats.trc import read_trc

        return read_trc(path), kind
    if kind == "c3d":
        from avnmotion.formats.c3d import read_c3d

        return read_c3d(path), kind
    from avnmotion.pose.extract import extract_track

    return extract_track(path, model_path=model_path, progress=progress), kind


def condition_track(
    track: PoseTrack, settings: ConditioningSettings | None = None
) -> ConditionedTrack:
    """Resample, repair swaps, gate, fill and filter (see the module docstring)."""
    settings = settings or ConditioningSettings()
    jitter = sig.timing_jitter_ms(track.timestamps_s)
    resampled = not sig.is_even_grid(track.timestamps_s)
    # A video track is analysed in the image plane: MediaPipe's world landmarks (hip angle
    # errors of 15-80 deg on rendered clips) stay in the raw track and are not conditioned,
    # which also keeps a long video's memory down (no filtered copies of them).
    work = track.with_(world_xyz=None) if track.image_xyz is not None else track
    work = sig.resample_to_even_grid(work) if resampled else work
    swaps, far_low = 0, None
    causal_work = work
    if not work.is_3d and summarise_view(detect_view_per_frame(work))[0] == "side":
        causal_work, _ = repair_side_swaps(work, causal=True)
        work, report = repair_side_swaps(work)
        swaps, far_low = report.swaps_fixed, report.far_side_low_confidence_pct
    # What the live path can compute frame by frame: causal swap repair and gating only
    # (the causal counting filter holds the last value over gaps).
    causal, _ = sig.gate_by_visibility(causal_work, settings.min_visibility)
    gated, n_gated = sig.gate_by_visibility(work, settings.min_visibility)
    max_gap = max(1, round(settings.max_gap_s * work.sampling_rate_hz))
    changes: dict[str, Any] = {}
    filtered_changes: dict[str, Any] = {}
    n_filled = 0
    for name in ("image_xyz", "world_xyz"):
        arr = getattr(gated, name)
        if arr is None:
            continue
        filled, n = sig.fill_gaps(arr, max_gap)
        if name == "image_xyz" or gated.image_xyz is None:
            n_filled = n // 3  # count landmark samples, not coordinates
        changes[name] = filled
        filtered_changes[name] = sig.lowpass_zero_phase(
            filled, work.sampling_rate_hz, settings.cutoff_hz, settings.order, dtype=np.float32
        )
    unfiltered = gated.with_(**changes)
    filtered = gated.with_(**filtered_changes)
    return ConditionedTrack(
        raw=track,
        causal=causal,
        unfiltered=unfiltered,
        filtered=filtered,
        resampled=resampled,
        timing_jitter_ms=round(jitter, 3),
        swaps_fixed=swaps,
        far_side_low_confidence_pct=far_low,
        samples_gated=n_gated,
        samples_filled=n_filled,
    )


def check_parameters(
    task: str,
    height_m: float | None = None,
    affected_side: str | None = None,
    working_side: str | None = None,
    prescription: dict[str, Any] | None = None,
) -> None:
    """Every check of the analysis parameters, run before any expensive work."""
    from avnmotion.exercises.prescription import validate_prescription

    check_task(task)
    if height_m is not None and not 0.5 <= height_m <= 2.5:
        raise AvnInputError(f"height {height_m} m is outside 0.5-2.5 m")
    for label, side in (("affected side", affected_side), ("working side", working_side)):
        if side is not None and side not in ("left", "right", "both"):
            raise AvnInputError(f"{label} must be left or right, got {side!r}")
    if working_side is not None and task in ("gait", "rom"):
        raise AvnInputError(
            f"a working side applies to exercises (which leg does the reps), not to task {task!r}"
        )
    if prescription is not None and task in ("gait", "rom"):
        raise AvnInputError(
            f"a prescription (reps, sets, tempo, holds) applies to exercises, not to task {task!r}"
        )
    validate_prescription(prescription)


def check_output_path(path: str | Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """An output file that can be written: right suffix, existing folder (checked up front)."""
    out = Path(path)
    if suffixes is not None and out.suffix.lower() not in suffixes:
        raise AvnInputError(f"{out}: output must end in {' or '.join(suffixes)}")
    folder = out.parent
    if not folder.is_dir():
        raise AvnInputError(f"{out}: folder {folder} does not exist")
    if out.is_dir():
        raise AvnInputError(f"{out}: is a folder, not a file")
    return out


def _truncated_warning(track: PoseTrack) -> str | None:
    """A video whose decoding stopped before the container's frame count (a cut-off file)."""
    src = track.source
    if not src.get("decoding_incomplete"):
        return None
    declared = src.get("frame_count_container")
    of = f" of the {declared} the container announces" if declared else ""
    return (
        f"the video ended early: {src.get('n_frames', track.n_frames)} frames decoded{of}, so "
        f"the file may be truncated; results cover only the first {track.duration_s:.1f} s"
    )


def _partly_visible_warning(track: PoseTrack) -> str | None:
    """Warn when no leg is fully visible (hip, knee and ankle) in many frames with a pose.

    One leg is enough: from the side the far leg is always partly hidden, and its weaker
    confidence is reported on its own (``far_side_low_confidence_pct``). Requiring both legs
    put this warning on every side-view clip, where it then meant nothing.
    """
    from avnmotion.track import LANDMARK_INDEX

    has_pose = track.frames_with_pose()
    parts = ("hip", "knee", "ankle")
    leg_seen = {
        s: np.all(track.visibility[:, [LANDMARK_INDEX[f"{s}_{p}"] for p in parts]] >= 0.5, axis=1)
        for s in ("left", "right")
    }
    low = ~(leg_seen["left"] | leg_seen["right"]) & has_pose
    share = float(np.mean(low[has_pose])) if np.any(has_pose) else 0.0
    if share > 0.2:
        return (
            f"person only partly visible: no leg with hip, knee and ankle all visible in "
            f"{share:.0%} of frames with a pose; angles there are unavailable"
        )
    return None


def _versions() -> dict[str, str]:
    import sys

    import scipy

    out = {"avnmotion": __version__, "numpy": np.__version__, "scipy": scipy.__version__}
    mp = sys.modules.get("mediapipe")
    if mp is not None:
        out["mediapipe"] = str(getattr(mp, "__version__", "unknown"))
    return out


def analyze_track(
    track: PoseTrack,
    task: str,
    *,
    kind: str = "track_npz",
    name: str | None = None,
    protocol: PatientProtocol | None = None,
    height_m: float | None = None,
    affected_side: str | None = None,
    working_side: str | None = None,
    prescription: dict[str, Any] | None = None,
    today: dt.date | None = None,
    conditioning: ConditioningSettings | None = None,
    timing_s: dict[str, float] | None = None,
) -> AnalysisResult:
    """Analyse an already loaded track (the part of :func:`analyze` after loading)."""
    check_parameters(task, height_m, affected_side, working_side, prescription)
    if track.n_frames < MIN_FRAMES:
        raise AvnInputError(
            f"track too short to analyse: {track.n_frames} frames ({track.duration_s:.2f} s); "
            f"at least {MIN_FRAMES} frames are needed"
        )
    if not np.any(track.frames_with_pose()):
        raise AvnInputError(f"no person in any of the track's {track.n_frames} frames")
    if affected_side and protocol is None:
        protocol = PatientProtocol(affected_side=affected_side)  # type: ignore[arg-type]
    elif affected_side and protocol is not None:
        protocol = protocol.model_copy(update={"affected_side": affected_side})
    t0 = time.perf_counter()
    settings = conditioning or ConditioningSettings()
    cond = condition_track(track, settings)
    seated = task == "rom_hip_rotation"
    kin = compute_kinematics(cond.filtered, seated_rotation_test=seated)
    # Counting uses the causal track and causal kinematics so that live and offline agree.
    kin_causal = compute_kinematics(
        cond.causal, seated_rotation_test=seated, view=_view_or_none(kin), causal=True
    )
    warnings: list[str] = []
    truncated = _truncated_warning(track)
    if truncated:
        warnings.append(truncated)
    if kin.view == "oblique":
        warnings.append(
            "oblique camera view: image-plane angles would be distorted, so joint angles are "
            "unavailable; film from the side (sagittal angles) or the front (frontal angles)"
        )
    elif kin.view_confidence < 0.8 and kin.view != "3d":
        warnings.append(
            f"camera view {kin.view} in only {kin.view_confidence:.0%} of frames; angles from "
            "other frames may be distorted"
        )
    if kin.frames_off_view:
        warnings.append(
            f"{kin.frames_off_view} frames were filmed from another view than the clip's "
            f"{kin.view} view (e.g. turning); their joint angles are left out"
        )
    partly = _partly_visible_warning(cond.raw)
    if partly:
        warnings.append(partly)

    flags: list[Flag] = []
    gait = exercise = None
    if task == "gait":
        from avnmotion.gait import analyze_gait

        gait, gait_flags = analyze_gait(
            cond.filtered, kin, height_m=height_m, affected_side=affected_side
        )
        flags.extend(gait_flags)
        warnings.extend(gait.warnings)
    elif task != "rom":
        from avnmotion.exercises import analyze_exercise

        exercise, ex_flags, ex_warnings = analyze_exercise(
            cond.filtered,
            kin,
            kin_causal,
            task,
            protocol=protocol,
            working_side=working_side,
            prescription=prescription,
            today=today,
            track_unfiltered=cond.causal,
        )
        flags.extend(ex_flags)
        warnings.extend(ex_warnings)

    rom = {
        angle: {side: RangeOfMovement(**entry) for side, entry in sides.items()}
        for angle, sides in angle_ranges(kin).items()
    }
    has_pose = cond.raw.frames_with_pose()
    timing = dict(timing_s or {})
    timing["analysis_s"] = round(time.perf_counter() - t0, 4)
    source = track.source
    model_desc = source.get("model")
    return AnalysisResult(
        avnmotion_version=__version__,
        input=InputInfo(
            kind=kind,  # type: ignore[arg-type]
            name=name,
            fps=round(cond.filtered.sampling_rate_hz, 3),
            container_fps=source.get("fps") if source.get("kind") == "video" else None,
            frames=track.n_frames,
            duration_s=round(track.duration_s, 4),
            frame_size_px=track.frame_size_px,
            rotation_deg=source.get("rotation_deg"),
            height_m=height_m,
        ),
        task=task,
        quality=Quality(
            view=kin.view,
            view_confidence=round(kin.view_confidence, 3),
            frames_with_pose_pct=round(float(np.mean(has_pose)) * 100, 2),
            side_swaps_fixed=cond.swaps_fixed,
            far_side_low_confidence_pct=cond.far_side_low_confidence_pct,
            frames_gated=cond.samples_gated,
            frames_filled=cond.samples_filled,
            timing_jitter_ms=cond.timing_jitter_ms,
            resampled=cond.resampled,
            warnings=warnings,
        ),
        rom=rom,
        gait=gait,
        exercise=exercise,
        flags=flags,
        protocol=protocol,
        # every result a patient may see carries it: a gait or ROM test is also done at home
        patient_advice=PATIENT_SAFETY_ADVICE,
        processing=Processing(
            model=str(model_desc) if model_desc else None,
            filters={
                "min_visibility": settings.min_visibility,
                "max_gap_s": settings.max_gap_s,
                "lowpass": (
                    f"zero-phase Butterworth order {settings.order}, {settings.cutoff_hz} Hz"
                ),
            },
            versions=_versions(),
            timing_s=timing,
        ),
    )


def _view_or_none(kin: Kinematics) -> Any:
    return kin.view if kin.view in ("side", "front") else None


def analyze(
    input_path: str | Path,
    task: str,
    *,
    protocol: PatientProtocol | None = None,
    height_m: float | None = None,
    affected_side: str | None = None,
    working_side: str | None = None,
    prescription: dict[str, Any] | None = None,
    model_path: str | Path | None = None,
    annotate_path: str | Path | None = None,
    track_out: str | Path | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> AnalysisResult:
    """Analyse a video or a track file for ``task``.

    Raises :class:`~avnmotion.errors.AvnInputError` (one-line message) for bad input: unknown
    task (checked before any expensive work), unreadable or unsupported file, no person in any
    frame, invalid parameters.
    """
    check_parameters(task, height_m, affected_side, working_side, prescription)
    if track_out is not None:
        check_output_path(track_out, (".npz", ".trc"))
    if annotate_path is not None:
        check_output_path(annotate_path)
    path = Path(input_path)
    t0 = time.perf_counter()
    track, kind = load_track(path, model_path=model_path, progress=progress)
    timing = {"load_s": round(time.perf_counter() - t0, 4)}
    result = analyze_track(
        track,
        task,
        kind=kind,
        name=path.name,
        protocol=protocol,
        height_m=height_m,
        affected_side=affected_side,
        working_side=working_side,
        prescription=prescription,
        today=today,
        timing_s=timing,
    )
    if track_out is not None:
        save_track(track, track_out)
    if annotate_path is not None:
        if kind != "video":
            raise AvnInputError("--annotate needs a video input")
        from avnmotion.pose.overlay import write_annotated_video

        kin = compute_kinematics(condition_track(track).filtered)
        readouts = {
            k: v
            for k, v in kin.angles_deg.items()
            if k not in kin.unavailable and ("hip" in k or "knee" in k)
        }
        write_annotated_video(path, track, annotate_path, readouts=readouts)
    if progress is not None:
        progress(1.0)
    return result


def save_track(track: PoseTrack, out: str | Path) -> Path:
    """Write a track as ``.npz`` or ``.trc`` according to the suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".npz":
        return track.save_npz(out)
    if suffix == ".trc":
        from avnmotion.formats.trc import write_trc

        write_trc(track, out)
        return out
    raise AvnInputError(f"{out.name}: track output must end in .npz or .trc")
