"""Measurement error (SEM) and minimal detectable change (MDC95) from repeat renders.

For each standard ROM test, the timed 5x sit-to-stand and single-leg stance tests, and
side-view gait, one subject performs one fixed movement (same motion seed: same body, tempo
and true angles) and the clip is rendered ``K`` times with
a different camera placement each time: the renderer's seeded jitter of camera height
(+-0.08 m; +-0.1 m for lying tests) and distance (-0.2 to +0.3 m), plus an azimuth jitter of
+-``AZIMUTH_JITTER_DEG`` about the subject. Each clip goes through the real pipeline
(MediaPipe pose extraction, :func:`avnmotion.pipeline.analyze_track`) and its test values
are compared with the clip's own answer key.

SEM = SD of (measured - true) over the repeats, pooled over sides (within-side SD, so a
constant left/right difference in bias does not count as noise); bias = mean error.
MDC95 = 1.96 x sqrt(2) x SEM. These are a **synthetic lower bound**: one synthetic subject,
perfect rendering, no day-to-day variation of the person; they are to be replaced by real
test-retest data.

Writes ``avnmotion/data/measurement_error.json`` (read by the service, ``api/mdc.py``),
``benchmarks/results/mdc.md`` and ``benchmarks/results/mdc.json`` (per-clip values).
Clips and tracks are cached under ``.cache/mdc`` and ``.cache/tracks``, so a re-run after an
analysis change only re-analyses::

    python -m benchmarks.mdc            # K = 5 per test
    python -m benchmarks.mdc --k 3 --only rom_hip_flexion
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import RESULTS, ROOT, machine

DATA_JSON = ROOT / "avnmotion" / "data" / "measurement_error.json"
WORK = ROOT / ".cache" / "mdc"
AZIMUTH_JITTER_DEG = 8.0
#: 1.96 x sqrt(2): two measurements, 95 % two-sided.
MDC_FACTOR = 1.96 * math.sqrt(2)
METHOD = (
    "synthetic lower bound: SD of error over {n} repeat renders with varied camera placement "
    "(benchmarks/mdc.py); replace with real test-retest data"
)
SIDES = ("left", "right")
RENDER_ATTEMPTS = 3


@dataclass(frozen=True)
class Setup:
    """One movement rendered K times."""

    task: str
    view: str
    motion_seed: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    size: tuple[int, int] = (640, 480)


SETUPS: dict[str, Setup] = {
    # One attempt per side keeps the clips short (~11 s; rotation ~20 s).
    "rom_hip_flexion": Setup("rom_hip_flexion", "side", 11, {"reps_per_side": 1}),
    "rom_hip_abduction": Setup("rom_hip_abduction", "front", 11, {"reps_per_side": 1}),
    "rom_hip_rotation": Setup("rom_hip_rotation", "front", 11, {"reps_per_direction": 1}),
    # Three straight passes (~12.5 s) at the renderer's gait size.
    "gait": Setup("gait", "side", 11, {"n_passes": 3}, size=(960, 540)),
    # Timed function tests, at 30 fps like a webcam (the single-leg sample clip is 60 fps).
    "five_times_sit_to_stand": Setup("five_times_sit_to_stand", "side", 11),
    "single_leg_stance": Setup("single_leg_stance", "front", 11, {"hold_s": 8.0}),
}
#: Timed tests: their duration against the key's (:func:`timed_rows`).
TIMED = ("five_times_sit_to_stand", "single_leg_stance")


# -- rendering ------------------------------------------------------------------------------
def _camera(motion: Any, setup: Setup, camera_seed: int) -> Any:
    """The renderer's seeded camera, turned by a seeded azimuth about the target."""
    from avnmotion.synth.render import CameraSpec, default_camera

    cam = default_camera(motion, setup.view, size=setup.size, seed=camera_seed)
    rng = np.random.default_rng(np.random.SeedSequence([camera_seed, 0xA21]))
    yaw = np.deg2rad(rng.uniform(-AZIMUTH_JITTER_DEG, AZIMUTH_JITTER_DEG))
    pos, tgt = np.asarray(cam.position), np.asarray(cam.target)
    off = pos - tgt
    c, s = math.cos(yaw), math.sin(yaw)
    off = np.array([c * off[0] + s * off[2], off[1], -s * off[0] + c * off[2]])
    new = tgt + off
    return CameraSpec(
        (float(new[0]), float(new[1]), float(new[2])),
        cam.target,
        cam.yfov_deg,
        cam.width,
        cam.height,
    )


def clip_name(setup: Setup, camera_seed: int) -> str:
    extra = "_".join(f"{k}{v}" for k, v in sorted(setup.kwargs.items()))
    return f"{setup.task}_{setup.view}_m{setup.motion_seed}_{extra}_cam{camera_seed}"


def render(setup: Setup, camera_seed: int, out_dir: Path) -> tuple[Path, dict[str, Any], float]:
    """Render (or reuse) one repeat; returns video, answer key and render seconds.

    Each render runs in a child process: the software renderer (pyrender on EGL/llvmpipe)
    now and then dies of native heap corruption, which must not take the whole run with it.
    A failed child is retried up to ``RENDER_ATTEMPTS`` times."""
    from avnmotion.synth.keys import load_key

    name = clip_name(setup, camera_seed)
    video, key_path = out_dir / f"{name}.mp4", out_dir / f"{name}.json"
    if video.exists() and key_path.exists():
        return video, load_key(key_path), 0.0
    t0 = time.perf_counter()
    setup_name = next(n for n, s in SETUPS.items() if s == setup)
    cmd = [sys.executable, "-m", "benchmarks.mdc", "--render-one", setup_name, str(camera_seed)]
    cmd += ["--out", str(out_dir)]
    for attempt in range(1, RENDER_ATTEMPTS + 1):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode == 0 and video.exists() and key_path.exists():
            return video, load_key(key_path), time.perf_counter() - t0
        video.with_suffix(".tmp.mp4").unlink(missing_ok=True)
        print(
            f"{name}: render attempt {attempt} failed (rc {proc.returncode}): "
            f"{(proc.stderr or '').strip()[-300:]}",
            flush=True,
        )
    raise RuntimeError(f"rendering {name} failed {RENDER_ATTEMPTS} times")


def render_inline(setup: Setup, camera_seed: int, out_dir: Path) -> None:
    """Render one repeat in this process (the child of :func:`render`)."""
    from avnmotion.synth.catalog import make_motion
    from avnmotion.synth.keys import build_key, write_key

    name = clip_name(setup, camera_seed)
    video, key_path = out_dir / f"{name}.mp4", out_dir / f"{name}.json"
    motion = make_motion(setup.task, setup.view, setup.motion_seed, **setup.kwargs)
    cam = _camera(motion, setup, camera_seed)
    from avnmotion.synth.render import render_motion

    tmp = video.with_suffix(".tmp.mp4")
    info = render_motion(motion, tmp, fps=30, camera=cam)
    key = build_key(
        motion,
        fps=30,
        view=setup.view,
        clip_name=video.name,
        camera=cam.as_dict(),
        frame_size=setup.size,
        n_frames=info["n_frames"],
    )
    key["mdc_repeat"] = {"motion_seed": setup.motion_seed, "camera_seed": camera_seed}
    write_key(key, key_path)
    tmp.replace(video)


# -- measured vs true -----------------------------------------------------------------------
#: (measure, side or None, measured, true, unit)
Row = tuple[str, str | None, float | None, float | None, str]


def _si(right: float | None, left: float | None) -> float | None:
    if right is None or left is None or right + left == 0:
        return None
    return (right - left) / (0.5 * (right + left)) * 100.0


def rom_rows(task: str, test: dict[str, Any] | None, truth: dict[str, Any]) -> list[Row]:
    sides = (test or {}).get("sides") or {}
    rows: list[Row] = []
    for side in SIDES:
        got = sides.get(side) or {}
        if task == "rom_hip_rotation":
            ti = truth.get(f"{side}_internal_rotation_deg")
            te = truth.get(f"{side}_external_rotation_deg")
            tt = None if ti is None or te is None else ti + te
            for key, true in (
                ("internal_rotation_deg", ti),
                ("external_rotation_deg", te),
                ("total_arc_deg", tt),
            ):
                rows.append((f"{task}/{key}", side, got.get(key), true, "deg"))
        else:
            angle = task.removeprefix("rom_")
            rows.append(
                (
                    f"{task}/peak_deg",
                    side,
                    got.get("peak_deg"),
                    truth.get(f"{side}_{angle}_deg"),
                    "deg",
                )
            )
    return rows


def timed_rows(task: str, test: dict[str, Any] | None, truth: dict[str, Any]) -> list[Row]:
    """A timed test's duration against the key's (the key's stance side for one-leg stance)."""
    from avnmotion.synth.validate import compare_test_result

    pairs = compare_test_result(test, truth)
    got, true, unit = pairs["duration_s"]
    return [(f"{task}/duration_s", truth.get("stance_side"), got, true, unit)]


def gait_rows(gait: Any, truth: dict[str, Any]) -> list[Row]:
    g = gait.model_dump() if gait is not None else {}
    per = truth.get("per_side") or {}
    rows: list[Row] = [
        (
            "gait/cadence_steps_per_min",
            None,
            g.get("cadence_steps_per_min"),
            truth.get("cadence_steps_per_min"),
            "steps/min",
        ),
        (
            "gait/gait_speed_m_per_s",
            None,
            g.get("gait_speed_m_per_s"),
            truth.get("walking_speed_m_s"),
            "m/s",
        ),
    ]

    def pct(part: float | None, whole: float | None) -> float | None:
        return None if part is None or not whole else 100.0 * part / whole

    for side in SIDES:
        got = g.get(side) or {}
        t = per.get(side) or {}
        for key, true, unit in (
            ("step_time_s", t.get("step_time_s"), "s"),
            ("stride_time_s", t.get("stride_time_s"), "s"),
            ("stance_time_s", t.get("stance_time_s"), "s"),
            ("stance_pct_cycle", pct(t.get("stance_time_s"), t.get("stride_time_s")), "%"),
            (
                "single_support_pct_cycle",
                pct(t.get("single_support_time_s"), t.get("stride_time_s")),
                "%",
            ),
            ("step_length_m", t.get("step_length_m"), "m"),
        ):
            rows.append((f"gait/{key}", side, got.get(key), true, unit))
    si_got = {s["parameter"]: s.get("si_pct") for s in g.get("symmetry") or []}
    right, left = per.get("right") or {}, per.get("left") or {}
    for param, truth_key in (
        ("stance_time_s", "stance_time_s"),
        ("single_support_time_s", "single_support_time_s"),
        ("swing_time_s", "swing_time_s"),
        ("step_time_s", "step_time_s"),
        ("step_length", "step_length_m"),
    ):
        true = _si(right.get(truth_key), left.get(truth_key))
        rows.append((f"gait/symmetry/{param}", None, si_got.get(param), true, "%"))
    return rows


def analyse(
    video: Path, key: dict[str, Any], task: str
) -> tuple[list[Row], float, str, int | None]:
    """Rows of (measure, side, measured, true, unit), pose seconds, detected view and the
    rep count (``None`` for gait)."""
    from avnmotion.pipeline import analyze_track
    from tests.tracks import cached_track

    t0 = time.perf_counter()
    track = cached_track(video)
    t_pose = time.perf_counter() - t0
    if task == "gait":
        res = analyze_track(track, task, height_m=key["subject"]["height_m"])
        rows = gait_rows(res.gait, key["gait"])
        reps = None
    else:
        res = analyze_track(track, task)
        test = res.exercise.test_result if res.exercise else None
        rows_of = timed_rows if task in TIMED else rom_rows
        rows = rows_of(task, test, key["test_result"])
        reps = res.exercise.rep_count if res.exercise else None
    return rows, t_pose, res.quality.view, reps


# -- statistics -----------------------------------------------------------------------------
def summarise(values: list[dict[str, Any]], setups: dict[str, Setup]) -> dict[str, Any]:
    """Per measure: pooled within-side SD of the error (SEM), bias, MDC95, counts."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in values:
        by[v["measure"]].append(v)
    out: dict[str, Any] = {}
    for measure, vs in sorted(by.items()):
        ok = [v for v in vs if v["error"] is not None]
        groups: dict[Any, list[float]] = defaultdict(list)
        for v in ok:
            groups[v["side"]].append(v["error"])
        ss = sum(sum((e - statistics.fmean(es)) ** 2 for e in es) for es in groups.values())
        dof = sum(len(es) - 1 for es in groups.values())
        task = measure.split("/")[0]
        clips = {v["clip"] for v in vs}
        entry: dict[str, Any] = {
            "sem": None,
            "mdc95": None,
            "unit": vs[0]["unit"],
            "n_repeats": len(clips),
            "n_values": len(ok),
            "n_missing": len(vs) - len(ok),
            "bias": round(statistics.fmean(e["error"] for e in ok), 4) if ok else None,
            "max_abs_error": round(max(abs(e["error"]) for e in ok), 4) if ok else None,
            "view": setups[task].view if task in setups else None,
            "pooled_over": "left and right sides (within-side SD)"
            if any(s is not None for s in groups)
            else None,
            "method": METHOD.format(n=len(clips)),
        }
        if dof >= 2:
            sem = math.sqrt(ss / dof)
            entry["sem"] = round(sem, 4)
            entry["mdc95"] = round(MDC_FACTOR * sem, 4)
        else:
            entry["method"] = "not enough repeats measured for an SD; " + entry["method"]
        if any(s is not None for s in groups):
            entry["bias_by_side"] = {
                s: round(statistics.fmean(es), 4) for s, es in sorted(groups.items()) if es
            }
        else:
            entry.pop("pooled_over")
        out[measure] = entry
    return out


def markdown(
    summary: dict[str, Any], meta: dict[str, Any], clips: list[dict[str, Any]] | None = None
) -> str:
    lines = [
        "# Measurement error and MDC95 (synthetic lower bound)",
        "",
        f"Measured {meta['measured_at']} with `python -m benchmarks.mdc` ({meta['wall_s']:.0f} s, "
        f"{meta['machine']['cores']} cores, shared)"
        + (
            "; rows re-measured by test: "
            + ", ".join(
                f"{t} {when}"
                for t, when in meta.get(
                    "measured_at_by_test", {t: meta["measured_at"] for t in meta["remeasured"]}
                ).items()
            )
            + f"; the other rows were measured {meta['others_measured_at']}"
            if meta.get("remeasured")
            else ""
        )
        + ". One synthetic subject per test, one fixed "
        f"movement rendered {meta['k']} times with varied camera placement (height, distance, "
        f"azimuth +-{AZIMUTH_JITTER_DEG:g} deg); errors against each clip's answer key. "
        "SEM = SD of (measured - true), pooled within side; MDC95 = 1.96 x sqrt(2) x SEM. "
        "A lower bound: no day-to-day variation of a real person, no real cameras. Replace with "
        "real test-retest data.",
        "",
        "| measure | view | unit | n repeats | n values | bias | SEM | MDC95 | max abs error |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def f(x: Any) -> str:
        return "-" if x is None else f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"

    for m, e in summary.items():
        lines.append(
            f"| {m} | {e['view']} | {e['unit']} | {e['n_repeats']} | {e['n_values']}"
            f"{' (' + str(e['n_missing']) + ' missing)' if e['n_missing'] else ''} | "
            f"{f(e['bias'])} | {f(e['sem'])} | {f(e['mdc95'])} | {f(e['max_abs_error'])} |"
        )
    counted = [c for c in clips or [] if c.get("rep_count") is not None]
    if counted:
        lines += [
            "",
            "Rep counts on the same renders (runs that recorded them), against the answer key:",
            "",
            "| test | renders | exact | counted / true per render |",
            "| --- | --- | --- | --- |",
        ]
        for task in sorted({c["task"] for c in counted}):
            mine = [c for c in counted if c["task"] == task]
            exact = sum(c["rep_count"] == c["true_rep_count"] for c in mine)
            each = ", ".join(f"{c['rep_count']}/{c['true_rep_count']}" for c in mine)
            lines.append(f"| {task} | {len(mine)} | {exact} | {each} |")
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------
def run(k: int, only: list[str] | None, first_camera_seed: int = 100) -> dict[str, Any]:
    t_start = time.perf_counter()
    setups = {n: s for n, s in SETUPS.items() if not only or n in only}
    WORK.mkdir(parents=True, exist_ok=True)
    values: list[dict[str, Any]] = []
    clips: list[dict[str, Any]] = []
    log: Callable[..., None] = lambda *a: print(*a, flush=True)  # noqa: E731
    for setup in setups.values():
        for i in range(k):
            cam_seed = first_camera_seed + i
            video, key, t_render = render(setup, cam_seed, WORK)
            rows, t_pose, view, reps = analyse(video, key, setup.task)
            clips.append(
                {
                    "clip": video.name,
                    "task": setup.task,
                    "camera": key["camera"],
                    "view_detected": view,
                    "rep_count": reps,
                    "true_rep_count": key.get("exercise", {}).get("rep_count"),
                    "render_s": round(t_render, 1),
                    "pose_s": round(t_pose, 1),
                }
            )
            for measure, side, got, true, unit in rows:
                err = None if got is None or true is None else float(got) - float(true)
                values.append(
                    {
                        "measure": measure,
                        "side": side,
                        "clip": video.name,
                        "measured": got,
                        "true": None if true is None else round(float(true), 4),
                        "error": None if err is None else round(err, 4),
                        "unit": unit,
                    }
                )
            errs = ", ".join(
                f"{m.split('/', 1)[1]}{'/' + s if s else ''}="
                + ("-" if g is None or t is None else f"{g - t:+.2f}")
                for m, s, g, t, _ in rows
            )
            log(f"{video.name}: view {view}, render {t_render:.0f} s, pose {t_pose:.0f} s; {errs}")
    summary = summarise(values, setups)
    return {
        "summary": summary,
        "values": values,
        "clips": clips,
        "k": k,
        "wall_s": time.perf_counter() - t_start,
    }


def write(res: dict[str, Any], merge: bool) -> str:
    meta = {
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": res["wall_s"],
        "k": res["k"],
        "machine": machine(),
        "azimuth_jitter_deg": AZIMUTH_JITTER_DEG,
        "setups": {n: {**s.__dict__, "size": list(s.size)} for n, s in SETUPS.items()},
    }
    summary = dict(res["summary"])
    if merge and DATA_JSON.exists():  # --only: keep the other measures
        old = json.loads(DATA_JSON.read_text(encoding="utf-8"))
        summary = {**old, **summary}
    summary = dict(sorted(summary.items()))
    DATA_JSON.parent.mkdir(parents=True, exist_ok=True)
    DATA_JSON.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw_path = RESULTS / "mdc.json"
    raw = {"meta": meta, "clips": res["clips"], "values": res["values"]}
    if merge and raw_path.exists():
        old_raw = json.loads(raw_path.read_text(encoding="utf-8"))
        tasks = {c["task"] for c in res["clips"]}
        old_meta = old_raw.get("meta", {})
        # say when each test's rows were measured: this run's, earlier --only runs', the rest
        by_test = dict(old_meta.get("measured_at_by_test", {}))
        by_test.update({t: meta["measured_at"] for t in tasks})
        meta["measured_at_by_test"] = dict(sorted(by_test.items()))
        meta["remeasured"] = sorted(by_test)
        meta["others_measured_at"] = old_meta.get("others_measured_at", old_meta.get("measured_at"))
        raw["clips"] = [c for c in old_raw["clips"] if c["task"] not in tasks] + raw["clips"]
        raw["values"] = [
            v for v in old_raw["values"] if v["measure"].split("/")[0] not in tasks
        ] + raw["values"]
    raw_path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    md = markdown(summary, meta, raw["clips"])
    (RESULTS / "mdc.md").write_text(md, encoding="utf-8")
    return md


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--k", type=int, default=5, help="repeat renders per test (default 5)")
    ap.add_argument("--only", nargs="*", choices=sorted(SETUPS), help="tests to (re)measure")
    ap.add_argument(
        "--render-one", nargs=2, metavar=("SETUP", "CAMERA_SEED"), help=argparse.SUPPRESS
    )
    ap.add_argument("--out", type=Path, default=WORK, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.render_one:  # child of render()
        name, seed = args.render_one
        render_inline(SETUPS[name], int(seed), args.out)
        return 0
    res = run(args.k, args.only)
    print(write(res, merge=bool(args.only)))
    print(f"benchmarks/mdc.py: {res['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
