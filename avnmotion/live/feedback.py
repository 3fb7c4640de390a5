"""What the live counter says: patient cues and clinician flags.

Patient cues are camera set-up (whole body in view, the exercise's camera view) and the
technique and tempo cues of the form rules, each shown for :data:`CUE_SHOW_S`. The form rules
of a rep or hold also give clinician flags (loading observations); those are returned to the
counter, which keeps them out of every :class:`~avnmotion.live.session.LiveUpdate`.
"""

from __future__ import annotations

import collections
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from avnmotion.kinematics import SIDES, detect_view_per_frame
from avnmotion.track import LANDMARK_INDEX, PoseTrack

if TYPE_CHECKING:
    from avnmotion.exercises.counting import RepShape
    from avnmotion.exercises.form import TempoTarget
    from avnmotion.kinematics import Kinematics
    from avnmotion.live.holds import LiveHold
    from avnmotion.live.reps import LiveRep

log = logging.getLogger("avnmotion.live")

#: Seconds a technique or tempo cue stays on screen.
CUE_SHOW_S = 6.0
#: Trailing window of per-frame camera views behind the set-up cue.
SETUP_WINDOW_S = 1.5

_VIEW_CUES = {
    "side": "Turn side-on to the camera so it sees you from the side.",
    "front": "Face the camera.",
}
_NOT_VISIBLE_CUE = "Step back so the camera can see your whole body."
_LEGS = [LANDMARK_INDEX[f"{s}_{p}"] for s in SIDES for p in ("hip", "knee", "ankle")]


@dataclass
class _Cue:
    text: str
    until_s: float


class CueBoard:
    """Patient cues on screen: camera set-up from the recent frames, then timed cues."""

    def __init__(self, min_visibility: float) -> None:
        self.min_visibility = float(min_visibility)
        self._cues: list[_Cue] = []
        self._setup_votes: collections.deque[tuple[float, str]] = collections.deque()
        self._last_pose_s: float | None = None

    def observe(self, one: PoseTrack, t: float) -> None:
        """Note whether a person is in view in the grid frame ``one`` (at ``t``), and from
        which camera view."""
        seen = bool(np.any(one.visibility[0, _LEGS] >= self.min_visibility))
        view = str(detect_view_per_frame(one)[0]) if seen else "unknown"
        if seen:
            self._last_pose_s = t
        self._setup_votes.append((t, view))
        while self._setup_votes and self._setup_votes[0][0] < t - SETUP_WINDOW_S:
            self._setup_votes.popleft()

    def show(self, texts: list[str], now_s: float) -> None:
        """Show ``texts`` from ``now_s`` for :data:`CUE_SHOW_S`."""
        for text in texts:
            self._cues.append(_Cue(text, now_s + CUE_SHOW_S))

    def current(self, now_s: float, first_s: float, view: str | None) -> list[str]:
        """Cues to show at ``now_s`` (at most 3): camera set-up first, then technique and
        tempo. ``first_s`` is the session's first grid time, ``view`` the counted view."""
        out: list[str] = []
        if self._last_pose_s is None or now_s - self._last_pose_s > 1.0:
            if now_s - first_s > 1.0:
                out.append(_NOT_VISIBLE_CUE)
        else:
            known = [v for _, v in self._setup_votes if v in ("side", "front", "oblique")]
            want = view or ""
            if len(known) >= 5 and want in _VIEW_CUES:
                share = sum(1 for v in known if v == want) / len(known)
                if share < 0.3:
                    out.append(_VIEW_CUES[want])
        self._cues = [c for c in self._cues if c.until_s >= now_s]
        for c in self._cues:
            if c.text not in out:
                out.append(c.text)
        return out[:3]


class FlagLog:
    """Clinician flags in the order first seen, each (code, side) once."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._keys: set[tuple[str, str | None]] = set()

    def record(self, flags: list[Any], now_s: float) -> None:
        """Keep the new ones of ``flags`` (:class:`~avnmotion.result.Flag`), seen at ``now_s``."""
        for flag in flags:
            key = (flag.code, flag.side)
            if key in self._keys:
                continue
            self._keys.add(key)
            entry = flag.model_dump(mode="json")
            entry["first_seen_s"] = round(now_s, 3)
            self.entries.append(entry)
            log.info("live flag %s (%s) at %.1f s", flag.code, flag.side, now_s)


def rep_feedback(
    definition: Any,
    tempo: TempoTarget,
    rest_at: str,
    rep: LiveRep,
    shape: RepShape,
    y: Any,
    kin: Kinematics,
    track: PoseTrack,
    label: int,
) -> tuple[list[str], list[Any]]:
    """Tempo and form of a rep just counted, as the offline analysis judges them.

    Sets ``rep.issues`` (tempo issues and patient rule codes) and returns the patient cue
    texts and the clinician flags. ``label`` is the rep's number in the cues.
    """
    from avnmotion.exercises.analysis import _windows_for
    from avnmotion.exercises.form import (
        clinician_flags,
        evaluate_rules,
        patient_cues,
        tempo_cues,
        tempo_issues,
    )

    issues: list[str] = []
    if definition.kind == "rep":
        issues = tempo_issues(rep.concentric_s, rep.eccentric_s, shape.reversals, tempo)
    window = _windows_for(shape, y, rest_at, rep.channel, label)
    with np.errstate(invalid="ignore"):
        violations, _ = evaluate_rules(definition.form_rules, [window], kin, track)
    rep.issues = issues + [v.rule.code for v in violations if v.rule.audience == "patient"]
    texts = patient_cues(violations, "rep") + (tempo_cues({label: issues}, tempo) if issues else [])
    return texts, clinician_flags(violations, 1, "reps")


def hold_feedback(
    definition: Any, hold: LiveHold, kin: Kinematics, track: PoseTrack, a: int, label: int
) -> tuple[list[str], list[Any]]:
    """Form of a completed hold on its segment (``track``, ``kin`` from grid frame ``a``):
    patient cue texts and clinician flags. ``label`` is the hold's number in the cues."""
    from avnmotion.exercises.form import Window, clinician_flags, evaluate_rules, patient_cues

    idx = np.arange(0, hold.end_index - a + 1)
    window = Window(idx, idx, idx, idx, hold.channel, hold.start_s, hold.end_s, label)
    with np.errstate(invalid="ignore"):
        violations, _ = evaluate_rules(definition.form_rules, [window], kin, track)
    return patient_cues(violations, "hold"), clinician_flags(violations, 1, "holds")
