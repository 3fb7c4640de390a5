"""Dose-response of the stance-time symmetry index on simulated antalgic walks.

Tracks come straight from the simulation (:mod:`avnmotion.synth.tracks`; no rendering and
no pose model), as a 3-D laboratory track and projected to a side-view camera. The true
stance-time SI is -0, -5, -10, -20 % (painful right hip). What holds: the measured SI keeps
the order and sign, no antalgic flag on the symmetric walk, and the values are within 3
points of the truth except at 20 %. Measured (3-D / side): 0.3 / -0.8, -3.7 / -5.2,
-8.0 / -9.6, -16.5 / -15.5 (stance times from stance phases, see
:mod:`avnmotion.gait.parameters`; from complete strides only they read 0.4 / 0.8,
-3.2 / -3.2, -7.4 / -7.0, -16.0 / -12.2). The rest of the gap (issue 4): the foot-off anchor
lags the simulated toe-off more on the longer-swing (painful) side (19 vs 7 ms at 20 %), and
in the side projection the foot-strike bias differs between the legs. A velocity refinement
of foot off removed the lag here but put real foot offs 20 ms early on the motion-capture
walks (MAE 10.5 -> 16.1 ms), so it is not used.

Where the 20 % gap comes from (3-D, straight-pass events, mean error against the shoe-mesh
contacts): on the symmetric walk both sides read strikes -20 / -20 ms and foot offs
+12 / +13 ms; at 20 % the painful right side keeps -20 / +16, while the left side, whose
swing is short (0.33 s against 0.47 s), reads -13 / +5 (side projection: +2 / +4). So the
painful stance reads about 15 ms longer relative to the other one, about 2 SI points. The
other 1.5 points are the three stances that end in the generator's speed-up into a turn
(right +56, +56 ms; left +34 ms; the pelvis reaches 2.05 m/s there). A steady-speed
trimming of pass ends (0.5 or 1 s mean within 10-25 % of the pass median) did not remove
them: the walker passes back through the band while slowing into the turn.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from avnmotion.gait.validation import project_to_camera
from avnmotion.pipeline import analyze_track
from avnmotion.synth.catalog import make_motion
from avnmotion.synth.tracks import motion_lab_track

SEVERITIES = (0.0, 5.0, 10.0, 20.0)


def _stance_si(mode: str, severity: float) -> tuple[float, float, list[str]]:
    motion = make_motion(
        "gait", "side", 51, n_passes=4, pattern="antalgic_right", severity_si=severity
    )
    track = motion_lab_track(motion)
    if mode == "side":
        track = project_to_camera(track, view_axis=np.array([0.0, 0.0, -1.0]))
    result = analyze_track(track, "gait").model_dump(mode="json")
    si = {s["parameter"]: s for s in result["gait"]["symmetry"]}["stance_time_s"]["si_pct"]
    flags = [f"{f['code']}:{f['side']}" for f in result["flags"]]
    return float(motion.truth["stance_time_si_pct"]), float(si), flags


@pytest.mark.parametrize("mode", ["3d", "side"])
def test_stance_si_keeps_the_order_of_severity(mode: str) -> None:
    rows = [_stance_si(mode, s) for s in SEVERITIES]
    truth = [r[0] for r in rows]
    measured = [r[1] for r in rows]
    np.testing.assert_allclose(truth, [-s for s in SEVERITIES], atol=0.1)
    # strictly more negative (shorter right stance) with each step of severity
    assert all(b < a for a, b in itertools.pairwise(measured)), measured
    assert abs(measured[0]) < 1.0  # symmetric walk reads symmetric
    # no antalgic flag on the symmetric walk; on the right side at 20 %
    assert not any(f.startswith("antalgic") for f in rows[0][2])
    assert "antalgic_pattern:right" in rows[-1][2]


#: (mode, severity) pairs whose SI is not yet within 3 points, with the measured value.
NOT_WITHIN_3 = {
    ("3d", 20.0): "measured -16.5 for -20.0",
    ("side", 20.0): "measured -15.5 for -20.0",
}


@pytest.mark.parametrize(
    ("mode", "severity"),
    [
        pytest.param(
            m,
            s,
            marks=pytest.mark.xfail(reason=NOT_WITHIN_3[(m, s)], strict=True)
            if (m, s) in NOT_WITHIN_3
            else (),
        )
        for m in ("3d", "side")
        for s in SEVERITIES
    ],
)
def test_stance_si_within_three_points_of_the_truth(mode: str, severity: float) -> None:
    truth, measured, _ = _stance_si(mode, severity)
    assert measured == pytest.approx(truth, abs=3.0)
