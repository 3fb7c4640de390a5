"""Live analysis: one frame in, one update out, with the offline counting path applied
incrementally.

Layers
------
:class:`LiveCounter` (:mod:`~avnmotion.live.counter`)
    Per-frame landmark arrays in (no MediaPipe): puts them on an even time grid
    (:mod:`~avnmotion.live.grid`), applies the causal conditioning of
    :func:`avnmotion.pipeline.condition_track` (causal left/right swap repair in side views,
    visibility gating) and the causal kinematics of :func:`avnmotion.kinematics.compute_kinematics`
    (``causal=True``: trailing facing vote; :mod:`~avnmotion.live.causal`), and feeds the
    exercise's incremental counter (:class:`avnmotion.exercises.counting.RepCounter`) or hold
    trackers (:mod:`~avnmotion.live.holds`). Every step keeps bounded state (the previous
    frame, a majority-vote window, the counter's own rolling state), so a frame costs O(1)
    whatever the session length. What the offline analysis decides on the whole clip is decided
    from bounded running state: the working side (:class:`SideChooser`: histogram percentiles
    and running correlation of the causally filtered side signals, the same rule as
    ``choose_sides``; :mod:`~avnmotion.live.running`), the leg-length scale of distance signals
    (``CausalLegLength``), and the camera view (the exercise's only view, or the first second's
    majority). Each counted rep is described (extent, tempo, form rules) on a bounded segment
    around it once the frames after it are in (:mod:`~avnmotion.live.reps`,
    :mod:`~avnmotion.live.feedback`); holds are measured with the offline rule when they end.
    Feeding a track frame by frame gives the count that :func:`avnmotion.pipeline.analyze_track`
    reports offline for the same frames, with rep boundaries within 2 frames
    (``tests/integration/test_live.py``).
:class:`LiveSession` (:mod:`~avnmotion.live.session`)
    Camera frames in: MediaPipe PoseLandmarker in VIDEO mode with the client's timestamps,
    then a :class:`LiveCounter`. :meth:`LiveSession.process_frame` returns a
    :class:`LiveUpdate` (skeleton to draw, count, set, hold timer, patient cues, effective
    frame rate); :meth:`LiveSession.finish` returns the session's track and its
    :class:`~avnmotion.result.AnalysisResult` so the session can be stored like any analysis.
:func:`run_camera` (:mod:`~avnmotion.live.camera`)
    ``avnmotion live --camera 0 --task ID``: console count and cues, optional annotated
    recording.

Audience
--------
Updates carry patient-facing wording only (counts, tempo and technique cues, and the standing
advice to stop and contact the therapist if hip or groin pain increases). Loading observations
(clinician flags) are collected as they happen in :attr:`LiveCounter.flags` and in the saved
result; they are never put into a :class:`LiveUpdate`.

Time grid
---------
Frames are put on an even grid ``t0 + k / sampling_rate_hz`` causally (see
:mod:`avnmotion.live.grid`); the saved track is this grid track, so re-analysing it offline
reproduces the live count.

Importing this package loads neither OpenCV nor MediaPipe (they are imported where frames are
decoded or poses estimated).
"""

from avnmotion.live.camera import run_camera
from avnmotion.live.catalogue import live_exercises
from avnmotion.live.causal import CausalKinematics
from avnmotion.live.counter import FLAG_EVAL_S, FLAG_WINDOW_S, VIEW_LOCK_S, LiveCounter
from avnmotion.live.feedback import CUE_SHOW_S, SETUP_WINDOW_S
from avnmotion.live.grid import (
    DEFAULT_LIVE_RATE_HZ,
    DEFAULT_MAX_INTERP_GAP_S,
    GridFrame,
    GridResampler,
)
from avnmotion.live.holds import HoldTracker, LiveHold
from avnmotion.live.reps import DESCRIBE_LOOKBACK_S, DESCRIBE_PAD_S, LiveRep
from avnmotion.live.running import RunningCorrelation, RunningQuantile, SideChooser
from avnmotion.live.session import LiveSession, LiveUpdate

__all__ = [
    "CUE_SHOW_S",
    "DEFAULT_LIVE_RATE_HZ",
    "DEFAULT_MAX_INTERP_GAP_S",
    "DESCRIBE_LOOKBACK_S",
    "DESCRIBE_PAD_S",
    "FLAG_EVAL_S",
    "FLAG_WINDOW_S",
    "SETUP_WINDOW_S",
    "VIEW_LOCK_S",
    "CausalKinematics",
    "GridFrame",
    "GridResampler",
    "HoldTracker",
    "LiveCounter",
    "LiveHold",
    "LiveRep",
    "LiveSession",
    "LiveUpdate",
    "RunningCorrelation",
    "RunningQuantile",
    "SideChooser",
    "live_exercises",
    "run_camera",
]
