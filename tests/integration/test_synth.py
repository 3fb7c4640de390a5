"""Integration tests for the synthetic sample videos.

* ``test_rendered_gait_is_detected_and_accurate`` renders a short side-view walking clip
  (EGL software rendering), runs MediaPipe pose extraction and compares the landmarks'
  2D angles with the answer key, the analysis' own filtered angles on the near leg, and
  the cadence (marks: render, slow).
* ``test_committed_samples_match_their_keys`` checks every clip in ``sample_videos/``
  against its key (frame count, fps, duration) with OpenCV; it needs no renderer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"


def _renderer_or_skip() -> None:
    pytest.importorskip("pyrender", reason="pyrender not installed (pip install avnmotion[synth])")
    from avnmotion.synth.render import renderer_available

    ok, why = renderer_available()
    if not ok:
        pytest.skip(f"EGL offscreen rendering unavailable: {why}")


def _model_or_skip() -> str:
    pytest.importorskip("mediapipe", reason="mediapipe not installed")
    try:
        from avnmotion.pose.model import resolve_model_path
    except ImportError as exc:  # pragma: no cover
        pytest.skip(f"avnmotion.pose.model unavailable: {exc}")
    try:
        return str(resolve_model_path())
    except Exception as exc:
        pytest.skip(f"pose model not prepared ({exc}); run `avnmotion model prepare`")


@pytest.mark.render
@pytest.mark.slow
def test_rendered_gait_is_detected_and_accurate(tmp_path):
    _renderer_or_skip()
    model = _model_or_skip()
    from avnmotion.pose.extract import extract_track
    from avnmotion.synth.catalog import ClipSpec, make_motion, render_clip
    from avnmotion.synth.keys import load_key
    from avnmotion.synth.render import CameraSpec
    from avnmotion.synth.validate import compare_pipeline_side_view, compare_side_view

    spec = ClipSpec("val_gait_side", "gait", "side", 1, fps=30, kwargs={"n_passes": 2})
    # 3.5 s: the first straight pass (frames 0-67) and the start of the turn
    render_clip(spec, tmp_path, max_frames=105)
    key = load_key(tmp_path / "val_gait_side.json")
    assert key["n_frames"] == 105
    track = extract_track(tmp_path / "val_gait_side.mp4", model_path=model)
    motion = make_motion(spec.task, spec.view, spec.seed, **spec.kwargs)
    c = key["camera"]
    cam = CameraSpec(
        tuple(c["position_m"]), tuple(c["target_m"]), c["yfov_deg"], c["width_px"], c["height_px"]
    )
    res = compare_side_view(track.image_xyz, key, motion, cam)
    print(json.dumps(res, indent=1))
    assert res["detected_fraction"] >= 0.95
    # the straight-walking frames (the turn is left out of the angle comparison)
    assert res["n_compared"] >= 60
    # MediaPipe swaps the legs in some side-view frames (crossing); the check uses the
    # better of swapped / unswapped labels per frame, as the analysis' own QA does. Raw
    # landmarks over five renders that differ only in the rasteriser's last bits: near hip
    # 4.7-5.3, both hips 5.1-5.7, near knee 5.8-6.5 deg; guards above that spread.
    assert res["near_hip_flexion_deg_rmse_best_of_swap"] <= 6.0
    assert res["hip_flexion_deg_rmse_both_best_of_swap"] <= 6.5
    assert res["near_knee_flexion_deg_rmse_best_of_swap"] <= 8.0
    # What a user gets: the analysis' own filtered angles (swap repair, no oracle labels),
    # the leg facing the camera, against the foundation's goals (hip 5, knee 7 deg). The
    # render is byte-identical from run to run on a machine (fixed draw order): 3.92 / 5.38
    # deg on an AMD EPYC. Before the draw order was fixed, renders differed by a few pixels
    # per frame and MediaPipe's misreads of the near knee moved: hip 4.0-4.6 and knee
    # 5.1-7.1 over 12 renders, and one of hip 6.8 / knee 8.8, so another CPU's rasteriser
    # or inference kernels can land near these limits. Only the first pass is compared: on
    # the return pass the near (left) knee is 7-10 deg off (see test_angle_samples).
    out = compare_pipeline_side_view(track, key, motion, cam)
    print(json.dumps(out, indent=1))
    assert out["near_hip_flexion_deg_n"] >= 60
    assert out["near_hip_flexion_deg_rmse"] <= 5.0
    assert out["near_knee_flexion_deg_rmse"] <= 7.0
    # An unseen walker (subject and camera of seed 1, not a sample clip): cadence within 2 %
    # over its first straight pass (measured -0.05 to -1.1 %).
    from avnmotion.pipeline import analyze_track

    gait = analyze_track(track, "gait").gait
    assert gait is not None and gait.cadence_steps_per_min is not None
    truth = key["gait"]["cadence_steps_per_min"]
    assert gait.cadence_steps_per_min == pytest.approx(truth, rel=0.02)


@pytest.mark.render
def test_renders_are_byte_identical_from_run_to_run():
    """Two renderers of one scene give the same pixels (fixed draw order), so a clip and the
    test results measured on it are reproducible on a machine."""
    _renderer_or_skip()
    import hashlib

    from avnmotion.synth.catalog import make_motion
    from avnmotion.synth.render import SceneRenderer, default_camera

    motion = make_motion("gait", "side", 1, n_passes=2)
    cam = default_camera(motion, "side", seed=1)
    segments = motion.at_fps(30).segments
    digests = []
    for _ in range(3):
        sr = SceneRenderer(motion, cam)
        try:
            digests.append(
                [hashlib.md5(sr.render_frame(segments, i)).hexdigest() for i in (10, 20)]
            )
        finally:
            sr.close()
    assert digests[0] == digests[1] == digests[2]


def _sample_pairs() -> list[Path]:
    return sorted(SAMPLES.glob("*.mp4")) if SAMPLES.is_dir() else []


def test_committed_samples_match_their_keys():
    clips = _sample_pairs()
    if not clips:
        pytest.skip("no clips in sample_videos/ (run `python -m avnmotion.synth samples`)")
    cv2 = pytest.importorskip("cv2")
    problems = []
    for mp4 in clips:
        key_path = mp4.with_suffix(".json")
        if not key_path.is_file():
            problems.append(f"{mp4.name}: no answer key")
            continue
        key = json.loads(key_path.read_text(encoding="utf-8"))
        cap = cv2.VideoCapture(str(mp4))
        fps = cap.get(cv2.CAP_PROP_FPS)
        n = 0
        while True:
            ok = cap.grab()
            if not ok:
                break
            n += 1
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.release()
        if key["clip"] != mp4.name:
            problems.append(f"{mp4.name}: key names {key['clip']}")
        if n != key["n_frames"]:
            problems.append(f"{mp4.name}: {n} frames, key says {key['n_frames']}")
        if abs(fps - key["fps"]) > 0.01:
            problems.append(f"{mp4.name}: {fps} fps, key says {key['fps']}")
        if abs(key["duration_s"] - key["n_frames"] / key["fps"]) > 1e-3:
            problems.append(f"{mp4.name}: duration_s inconsistent")
        if [w, h] != key["frame_size_px"]:
            problems.append(f"{mp4.name}: size {w}x{h}, key says {key['frame_size_px']}")
        for name, vals in key["angles_deg"].items():
            if len(vals) != key["n_frames"]:
                problems.append(f"{mp4.name}: angles_deg.{name} has {len(vals)} values")
                break
    for key_path in sorted(SAMPLES.glob("*.json")):
        if not key_path.with_suffix(".mp4").is_file():
            problems.append(f"{key_path.name}: key without clip")
    assert not problems, "\n".join(problems)


def test_sample_keys_are_reproducible(tmp_path):
    """Regenerating the committed keys (no rendering) gives byte-identical JSON."""
    clips = _sample_pairs()
    if not clips:
        pytest.skip("no clips in sample_videos/")
    from avnmotion.synth.catalog import curated, render_clip

    specs = {s.name: s for s in curated()}
    checked = 0
    for mp4 in clips:
        spec = specs.get(mp4.stem)
        if spec is None:
            continue
        render_clip(spec, tmp_path, keys_only=True)
        assert (tmp_path / f"{spec.name}.json").read_bytes() == mp4.with_suffix(
            ".json"
        ).read_bytes(), spec.name
        checked += 1
        if checked >= 4:  # a few are enough to catch drift; keeps the test fast
            break
    assert checked > 0


@pytest.mark.slow
def test_analysis_never_reads_the_answer_key(tmp_path):
    """The same clip analysed with its key beside it, with a falsified key and with none:
    identical results (all but ``processing``, which holds timings)."""
    clips = [p for p in _sample_pairs() if p.with_suffix(".json").is_file()]
    if not clips:
        pytest.skip("no clips with answer keys in sample_videos/")
    model = _model_or_skip()
    from avnmotion.pipeline import analyze

    # the shortest clip keeps the test quick (three MediaPipe passes)
    mp4 = min(clips, key=lambda p: json.loads(p.with_suffix(".json").read_text())["n_frames"])
    key = json.loads(mp4.with_suffix(".json").read_text(encoding="utf-8"))
    task = key["task"]
    results = []
    for variant in ("with_key", "falsified_key", "no_key"):
        d = tmp_path / variant
        d.mkdir()
        clip = d / mp4.name
        clip.write_bytes(mp4.read_bytes())
        if variant == "with_key":
            clip.with_suffix(".json").write_text(json.dumps(key), encoding="utf-8")
        elif variant == "falsified_key":
            fake = dict(key, task="gait", fps=1, n_frames=1)
            fake["exercise"] = {"rep_count": 99, "reps": [], "holds": []}
            clip.with_suffix(".json").write_text(json.dumps(fake), encoding="utf-8")
        res = analyze(clip, task, model_path=model).model_dump(mode="json")
        res.pop("processing")
        results.append(res)
    assert results[0] == results[1] == results[2]
    assert results[0]["task"] == task


def test_sample_readme_names_tasks_the_analysis_accepts(tmp_path):
    """The README's task column is what a user types after ``--task`` (a mini squat is
    analysed as ``squat``; the README used to say ``mini_squat``, which is refused)."""
    import re

    from avnmotion.pipeline import valid_tasks
    from avnmotion.synth.catalog import write_readme

    text = write_readme(tmp_path).read_text(encoding="utf-8")
    tasks = re.findall(r"^\| `[^`]+\.mp4` \| (\S+) \|", text, flags=re.M)
    assert len(tasks) >= 20
    assert set(tasks) <= set(valid_tasks()), set(tasks) - set(valid_tasks())
    committed = Path(__file__).resolve().parents[2] / "sample_videos" / "README.md"
    if committed.is_file():
        assert committed.read_text(encoding="utf-8") == text
