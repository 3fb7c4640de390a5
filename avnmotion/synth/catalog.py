"""The curated sample set and single-clip rendering (used by ``python -m avnmotion.synth``).

Each clip = ``<name>.mp4`` + ``<name>.json`` (answer key, :mod:`avnmotion.synth.keys`).
Keys are deterministic: the same entry / seed always gives byte-identical JSON (render
timings are printed, never written to keys).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from avnmotion.synth.exercises import EXERCISES, generate_exercise
from avnmotion.synth.keys import ANALYSIS_TASK, build_key, write_key
from avnmotion.synth.motion import GaitParams, Motion, generate_gait
from avnmotion.synth.subject import make_subject

GAIT_SIZE = (960, 540)
EXERCISE_SIZE = (640, 480)


@dataclass(frozen=True)
class ClipSpec:
    """One clip of the curated set."""

    name: str
    task: str
    view: str
    seed: int
    fps: int = 30
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    size: tuple[int, int] | None = None

    def frame_size(self) -> tuple[int, int]:
        if self.size is not None:
            return self.size
        return GAIT_SIZE if self.task == "gait" else EXERCISE_SIZE


def gait_params_for_seed(seed: int, height_m: float, **overrides: Any) -> GaitParams:
    """Seeded walking speed / cadence scaled to stature (typical adult values)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x6A1]))
    speed = 1.22 * math.sqrt(height_m / 1.75) * float(rng.uniform(0.9, 1.08))
    cadence = float(rng.uniform(102.0, 116.0))
    kw: dict[str, Any] = {"speed_m_s": round(speed, 3), "cadence_steps_min": round(cadence, 1)}
    kw.update(overrides)
    return GaitParams(**kw)


def subject_for_seed(seed: int) -> Any:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x4E]))
    return make_subject(height_m=round(float(rng.uniform(1.58, 1.90)), 3), seed=seed)


def front_walkway(n_passes: int) -> dict[str, Any]:
    return {"axis": "z_toward", "walkway_m": (7.0, 2.7), "n_passes": n_passes}


def make_motion(task: str, view: str, seed: int, **kwargs: Any) -> Motion:
    """Generate the motion of a clip (no rendering)."""
    if task == "gait":
        subj = subject_for_seed(seed)
        overrides = dict(kwargs)
        if view == "front":
            overrides = {**front_walkway(int(overrides.pop("n_passes", 3))), **overrides}
        return generate_gait(
            subj, gait_params_for_seed(seed, subj.height_m, **overrides), seed=seed
        )
    return generate_exercise(task, seed=seed, subject=subject_for_seed(seed), **kwargs)


def curated() -> list[ClipSpec]:
    """The curated sample set (``python -m avnmotion.synth samples``)."""
    g = "gait"
    clips = [
        ClipSpec(
            "gait_side_normal",
            g,
            "side",
            11,
            kwargs={"n_passes": 12},
            description="Normal walking across the view, 12 passes (right side near on odd "
            "passes, left side near on even ones), 180-degree turns in view.",
        ),
        ClipSpec(
            "gait_side_antalgic_right",
            g,
            "side",
            12,
            kwargs={"n_passes": 12, "pattern": "antalgic_right", "severity_si": 10.0},
            description="Antalgic gait, painful RIGHT hip: shorter right stance / single support, "
            "longer double support, shorter LEFT step; true stance-time SI = -10 %.",
        ),
        ClipSpec(
            "gait_front_normal",
            g,
            "front",
            13,
            kwargs={"n_passes": 3},
            description="Normal walking toward / away from the camera (front and back views), 3 "
            "passes.",
        ),
        ClipSpec(
            "gait_front_trendelenburg_right",
            g,
            "front",
            14,
            kwargs={"n_passes": 3, "pattern": "trendelenburg_right", "pelvic_drop_deg": 11.0},
            description="Trendelenburg gait, RIGHT stance limb: pelvis drops ~11 deg toward the "
            "left "
            "(swing) side during right single support.",
        ),
        ClipSpec(
            "squat",
            "squat",
            "front",
            21,
            kwargs={"reps": 6},
            description="Bodyweight squat x6 (front view); rep 3 knee valgus (knee plane "
            "collapses medially "
            "33 deg; the frontal knee angle change is in the fault's fppa_change_deg), rep 5 "
            "partial.",
        ),
        ClipSpec(
            "mini_squat",
            "mini_squat",
            "side",
            22,
            kwargs={"reps": 5, "deep_rep": 3},
            description="Mini squat x5 (side view, ~40 deg knee); rep 4 goes too deep (hip "
            "flexion past 90 deg).",
        ),
        ClipSpec(
            "sit_to_stand",
            "sit_to_stand",
            "side",
            23,
            kwargs={"reps": 5, "partial_rep": 3},
            description="Sit-to-stand x5 from a chair (side view); rep 4 partial (does not stand "
            "fully).",
        ),
        ClipSpec(
            "straight_leg_raise",
            "straight_leg_raise",
            "side",
            24,
            kwargs={"reps": 6, "bent_knee_rep": 2, "partial_rep": 4},
            description="Supine right straight-leg raise x6 on a table (raised side camera); rep "
            "3 bent knee "
            "(25 deg), rep 5 partial.",
        ),
        ClipSpec(
            "hip_abduction",
            "hip_abduction",
            "front",
            25,
            kwargs={"reps": 6, "lean_rep": 2, "partial_rep": 4},
            description="Standing right hip abduction x6 (front view); rep 3 with trunk lean to "
            "the stance side, rep 5 partial.",
        ),
        ClipSpec(
            "biceps_curl",
            "biceps_curl",
            "side",
            26,
            kwargs={"reps": 6, "jerky_reps": (4, 5), "partial_rep": 2},
            description="Standing biceps curl x6 (side view); rep 3 partial, reps 5-6 jerky and "
            "fast.",
        ),
        ClipSpec(
            "rom_hip_flexion",
            "rom_hip_flexion",
            "side",
            27,
            description="Supine active hip flexion ROM (knee to chest), right then left, 2 each.",
        ),
        ClipSpec(
            "rom_hip_abduction",
            "rom_hip_abduction",
            "front",
            28,
            description="Standing active hip abduction ROM, right then left, 2 each (front view).",
        ),
        ClipSpec(
            "rom_hip_rotation",
            "rom_hip_rotation",
            "front",
            29,
            kwargs={"reps_per_direction": 1},
            description="Seated hip rotation ROM (hips/knees 90 deg, front view): shank swings "
            "laterally "
            "(internal) and medially (external), right then left.",
        ),
        ClipSpec(
            "glute_bridge",
            "glute_bridge",
            "side",
            30,
            kwargs={"reps": 6, "partial_rep": 3},
            description="Supine glute bridge x6; rep 4 partial.",
        ),
        ClipSpec(
            "glute_set",
            "glute_set",
            "side",
            31,
            kwargs={"holds": 3, "hold_s": 4.0},
            description="Supine gluteal sets: 3 x 4 s isometric holds (tiny visible motion: "
            "posterior pelvic tilt).",
        ),
        ClipSpec(
            "quad_stretch",
            "quad_stretch",
            "side",
            32,
            kwargs={"holds": 2, "hold_s": 6.0},
            description="Standing right quadriceps stretch, heel to buttock, 2 x 6 s holds.",
        ),
        ClipSpec(
            "adductor_stretch",
            "adductor_stretch",
            "front",
            33,
            kwargs={"holds": 2, "hold_s": 6.0},
            description="Standing side-lunge adductor stretch over the right knee (left "
            "adductors), 2 x 6 s.",
        ),
        ClipSpec(
            "hamstring_curl",
            "hamstring_curl",
            "side",
            34,
            kwargs={"reps": 6, "hip_flex_rep": 2, "partial_rep": 4},
            description="Standing right knee flexion x6; rep 3 with hip flexion compensation (30 "
            "deg), rep 5 partial.",
        ),
        ClipSpec(
            "leg_extension",
            "leg_extension",
            "side",
            35,
            kwargs={"reps": 6, "partial_rep": 2, "jerky_reps": (4,)},
            description="Seated right knee extension x6; rep 3 partial, rep 5 jerky and fast.",
        ),
        ClipSpec(
            "leg_press",
            "leg_press",
            "side",
            36,
            kwargs={"reps": 6, "partial_rep": 3},
            description="Leg press approximated supine: both legs push from ~85/95 deg hip/knee "
            "to extended, x6; rep 4 partial.",
        ),
        ClipSpec(
            "shoulder_press",
            "shoulder_press",
            "front",
            37,
            kwargs={"reps": 6, "partial_rep": 3},
            description="Standing overhead press x6 (front view); rep 4 partial.",
        ),
        ClipSpec(
            "lateral_raise",
            "lateral_raise",
            "front",
            38,
            kwargs={"reps": 6, "partial_rep": 2, "high_rep": 4},
            description="Standing lateral raise x6 (front view); rep 3 partial, rep 5 above "
            "shoulder height.",
        ),
        ClipSpec(
            "five_times_sit_to_stand",
            "five_times_sit_to_stand",
            "side",
            39,
            description="Five-times sit-to-stand test, arms crossed; test_result.duration_s is "
            "the true time from movement onset to the buttocks on the chair after the fifth stand.",
        ),
        ClipSpec(
            "thirty_second_chair_stand",
            "thirty_second_chair_stand",
            "side",
            40,
            description="30-second chair stand test; test_result.stand_count stands completed "
            "within 30 s.",
        ),
        ClipSpec(
            "single_leg_stance",
            "single_leg_stance",
            "front",
            41,
            fps=60,
            kwargs={"hold_s": 8.0},
            description="Single-leg stance test on the right leg, 60 fps; test_result.duration_s "
            "= time on one leg.",
        ),
    ]
    return clips


def render_clip(
    spec: ClipSpec,
    out_dir: str | Path,
    *,
    keys_only: bool = False,
    max_frames: int | None = None,
    crf: int = 28,
) -> dict[str, Any]:
    """Generate, render and write key for one clip. Returns info incl. render timing."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    motion = make_motion(spec.task, spec.view, spec.seed, **spec.kwargs)
    size = spec.frame_size()
    from avnmotion.synth.render import default_camera  # camera maths only; no GL

    cam = default_camera(motion, spec.view, size=size, seed=spec.seed)
    n_total = motion.at_fps(spec.fps).n
    n = n_total if max_frames is None else min(n_total, max_frames)
    info: dict[str, Any] = {"name": spec.name, "n_frames": n}
    if not keys_only:
        from avnmotion.synth.render import render_motion

        info.update(
            render_motion(
                motion,
                out_dir / f"{spec.name}.mp4",
                fps=spec.fps,
                camera=cam,
                max_frames=n,
                crf=crf,
            )
        )
    key = build_key(
        motion,
        fps=spec.fps,
        view=spec.view,
        clip_name=f"{spec.name}.mp4",
        camera=cam.as_dict(),
        frame_size=size,
        n_frames=n,
    )
    key["description"] = spec.description
    write_key(key, out_dir / f"{spec.name}.json")
    info["total_s"] = round(time.perf_counter() - t0, 1)
    return info


def _worker_init() -> None:
    # one rasteriser thread per worker process: two workers then use both cores fully
    os.environ.setdefault("LP_NUM_THREADS", "1")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")


def _run(args: tuple[ClipSpec, str, bool]) -> dict[str, Any]:
    spec, out, keys_only = args
    return render_clip(spec, out, keys_only=keys_only)


def render_samples(
    out_dir: str | Path,
    *,
    jobs: int = 2,
    only: list[str] | None = None,
    keys_only: bool = False,
    log: Any = print,
) -> list[dict[str, Any]]:
    """Render the curated set into ``out_dir`` (process pool of ``jobs``) + README.md."""
    specs = [s for s in curated() if not only or s.name in only]
    # longest first for better packing
    specs.sort(
        key=lambda s: (
            -(
                make_motion(s.task, s.view, s.seed, **s.kwargs).duration_s
                * s.fps
                * s.frame_size()[0]
                * s.frame_size()[1]
            )
        )
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    if jobs <= 1 or keys_only:
        for s in specs:
            r = render_clip(s, out_dir, keys_only=keys_only)
            log(f"{s.name}: {r}")
            results.append(r)
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        with ctx.Pool(jobs, initializer=_worker_init) as pool:
            for r in pool.imap_unordered(_run, [(s, str(out_dir), False) for s in specs]):
                log(f"{r['name']}: {r}")
                results.append(r)
    write_readme(out_dir)
    log(f"total {time.perf_counter() - t0:.0f} s")
    return results


def write_readme(out_dir: str | Path) -> Path:
    """sample_videos/README.md listing every curated clip (deterministic)."""
    lines = [
        "# Sample videos (synthetic, with answer keys)",
        "",
        "Rendered by `python -m avnmotion.synth samples --out sample_videos` (pyrender + EGL "
        "software",
        "rendering, H.264 yuv420p, CRF 28). Every `<clip>.mp4` has a `<clip>.json` answer key "
        "with the",
        "TRUE per-frame joint angles (`angles_deg`, degrees, frame i at t = i / fps) computed "
        "from the",
        "simulated 3D joint centres, plus gait events (foot strike / foot off from the shoe mesh's",
        "contact with the floor) or exercise reps / holds / faults / test results. Definitions:",
        "`avnmotion/synth/angles.py` and `avnmotion/synth/keys.py`. Regenerate unseen variants "
        "with",
        "`python -m avnmotion.synth render --task gait --view side --seed 7 --fps 30 --out DIR`.",
        "",
        "Sides are always the subject's own. Gait summary statistics (`gait.per_side`,",
        "`stance_time_si_pct`, cadence) use straight-walking cycles only; events during turns "
        "carry",
        "`segment: turnN`. Supine clips use `angle_reference: supine` (the table's long axis "
        "plays the",
        "role of the vertical).",
        "",
        "Holds (`exercise.holds`) are timed on the true driving angle by the exercise's own hold",
        "definition: the span where it stays within `band_deg` of its held level (the registry's",
        "hold band; for glute-set squeezes a quarter of the squeeze's excursion). The motion",
        "schedule's plateau, which starts later because each ramp ends slowly, is",
        "`plateau_start_s` / `plateau_end_s`.",
        "",
        "| clip | `--task` | view | fps | what it shows |",
        "|---|---|---|---|---|",
    ]
    for s in curated():
        # the analysis task id, not the generator's name (a mini squat is analysed as a squat)
        task = ANALYSIS_TASK.get(s.task, s.task)
        lines.append(f"| `{s.name}.mp4` | {task} | {s.view} | {s.fps} | {s.description} |")
    lines.append("")
    p = Path(out_dir) / "README.md"
    p.write_text("\n".join(lines), encoding="utf-8")
    return p


def available_tasks() -> list[str]:
    return ["gait", *EXERCISES]
