"""Prescription adherence: targets versus what was done."""

from __future__ import annotations

import pytest

from avnmotion.errors import AvnInputError
from avnmotion.exercises import adherence, validate_prescription
from avnmotion.result import ExerciseSet, Hold, Rep


def _rep(i, conc, ecc, set_index=0):
    return Rep(
        index=i,
        start_s=i * 5.0,
        end_s=i * 5.0 + 4,
        concentric_s=conc,
        eccentric_s=ecc,
        set_index=set_index,
    )


def test_reps_sets_and_tempo():
    reps = [_rep(i, 2.0, 2.0) for i in range(8)] + [_rep(8 + i, 0.8, 2.0, 1) for i in range(4)]
    sets = [
        ExerciseSet(index=0, start_s=0, end_s=40, rep_count=8),
        ExerciseSet(index=1, start_s=60, end_s=80, rep_count=4),
    ]
    out = adherence(
        {"reps": 8, "sets": 3, "concentric_s": 2, "eccentric_s": 2},
        reps=reps,
        partial_reps=[_rep(20, 1, 1)],
        sets=sets,
        holds=[],
    )
    assert out["targets"] == {"reps": 8.0, "sets": 3.0, "concentric_s": 2.0, "eccentric_s": 2.0}
    assert out["done"] == {"reps": 12, "sets": 2, "reps_per_set": [8, 4], "partial_reps": 1}
    assert out["sets_meeting_rep_target"] == 1
    assert out["reps_pct_of_target"] == 50.0
    assert out["sets_pct_of_target"] == pytest.approx(66.7)
    assert out["tempo"]["within_tempo_share"] == pytest.approx(8 / 12, abs=1e-3)
    assert out["tempo"]["too_fast_share"] == pytest.approx(4 / 12, abs=1e-3)


def test_holds_against_target():
    holds = [Hold(start_s=0, end_s=d, duration_s=d) for d in (10.0, 9.7, 6.0)]
    out = adherence(
        {"hold_s": 10, "reps": 3},
        reps=[],
        partial_reps=[],
        sets=[],
        holds=holds,
        hold_exercise=True,
    )
    assert out["done"]["reps"] == 3
    assert out["holds"]["meeting_target"] == 2
    assert out["holds"]["mean_s"] == pytest.approx(8.57, abs=0.01)


def test_no_prescription_and_validation():
    assert adherence(None, reps=[], partial_reps=[], sets=[], holds=[]) is None
    assert validate_prescription({"reps": "10", "hold_s": None}) == {"reps": 10.0}
    with pytest.raises(AvnInputError, match="valid keys"):
        validate_prescription({"repetitions": 10})
    with pytest.raises(AvnInputError, match="positive"):
        validate_prescription({"sets": 0})
    with pytest.raises(AvnInputError, match="whole number"):
        validate_prescription({"reps": 2.5})
    with pytest.raises(AvnInputError, match="number"):
        validate_prescription({"hold_s": "long"})
