"""Side-view joint angles of the committed sample clips against their answer keys.

What a user gets (swap repair, gating, gap fill, 6 Hz zero-phase low-pass, then the angle
table), every frame of the clip, for each hip and knee flexion angle the key holds, against
the foundation's goal (issue 2): hip RMSE <= 5 deg and knee <= 7 deg. Marks: slow.

Clips that miss it today are ``xfail(strict=True)`` with the measured values, so a fix shows
up as an unexpected pass and a regression on any other clip fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avnmotion.synth.validate import SAGITTAL_KEY_ANGLES, angle_rmse
from tests.integration.test_exercise_samples import _with_misses

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
HIP_MAX_DEG, KNEE_MAX_DEG = 5.0, 7.0


def _side_view_clips() -> list[str]:
    out = []
    for key_path in sorted(SAMPLES.glob("*.json")):
        key = json.loads(key_path.read_text(encoding="utf-8"))
        if key.get("view") == "side" and key_path.with_suffix(".mp4").is_file():
            out.append(key_path.stem)
    return out


#: Clip -> measured RMSE (deg) where it misses the goal.
ANGLE_MISSES = {
    "gait_side_antalgic_right": "hip 8.0 / 7.5, knee 7.1 / 7.8 (left / right; brief leg swaps "
    "the repair misses, the far leg guessed; near leg only 7.3 / 6.5)",
    "gait_side_normal": "hip 6.9 / 7.1, knee 9.4 / 9.8 (near leg only 6.9 / 9.3; even the "
    "better of swapped and unswapped labels per frame gives 6.3 / 8.2 on the near leg)",
    "glute_bridge": "hip 7.0 / 6.3, knee 27.1 / 32.2",
    "glute_set": "right hip 5.6",
    "leg_extension": "hip 8.6 / 6.5, knee 19.9 / 14.6 (seated: MediaPipe reads full extension "
    "20-30 deg short)",
    "leg_press": "right hip 5.1",
    "quad_stretch": "left hip 5.5, right knee 8.4",
    "rom_hip_flexion": "right hip 6.4, right knee 9.9 (left leg 3.9 / 5.2)",
    "sit_to_stand": "right hip 5.2",
    "straight_leg_raise": "hip 9.6 / 7.1, left knee 9.9",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", _with_misses(_side_view_clips(), ANGLE_MISSES))
def test_side_view_angles_within_the_goal(name: str) -> None:
    from tests.integration.test_synth import _model_or_skip
    from tests.tracks import cached_track

    _model_or_skip()
    video = SAMPLES / f"{name}.mp4"
    key = json.loads(video.with_suffix(".json").read_text(encoding="utf-8"))
    rmse = angle_rmse(cached_track(video), key, SAGITTAL_KEY_ANGLES)
    assert rmse, "the key holds no side-view hip or knee angle"
    for angle, value in rmse.items():
        limit = HIP_MAX_DEG if "hip" in angle else KNEE_MAX_DEG
        assert value <= limit, (angle, round(value, 2))


@pytest.mark.slow
def test_shipped_angle_uncertainty_is_what_the_sample_clips_measure() -> None:
    """``avnmotion/data/angle_error.json`` (the stated angle uncertainties) is reproduced by
    ``benchmarks/angle_error.py`` on the committed clips: re-run it after an analysis change."""
    from benchmarks.angle_error import DATA_JSON, run
    from tests.integration.test_synth import _model_or_skip

    _model_or_skip()
    if not any(SAMPLES.glob("*.mp4")):
        pytest.skip("no sample clips (run make samples)")
    shipped = json.loads(DATA_JSON.read_text(encoding="utf-8"))["postures"]
    fresh = run()["postures"]
    assert {p: set(a) for p, a in fresh.items()} == {p: set(a) for p, a in shipped.items()}
    for posture, angles in fresh.items():
        for angle, entry in angles.items():
            stated = shipped[posture][angle]["uncertainty_deg"]
            assert entry["uncertainty_deg"] == pytest.approx(stated, abs=0.2), (posture, angle)
