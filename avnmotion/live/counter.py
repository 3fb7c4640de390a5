"""``LiveCounter``: per-frame landmark arrays in, the exercise's count out (no MediaPipe).

Each frame is put on the even grid (:mod:`avnmotion.live.grid`), given the causal
conditioning and kinematics of the offline pipeline (:mod:`avnmotion.live.causal`) and fed
to the exercise's incremental counters and hold trackers (:mod:`avnmotion.live.channels`).
Whole-clip decisions of the offline analysis come from bounded running state: the working
side (:class:`~avnmotion.live.running.SideChooser`), the leg-length scale of distance signals
(``CausalLegLength``) and the camera view (the exercise's only view, or the first second's
majority). Counted reps are described on bounded segments (:mod:`avnmotion.live.reps`); cues
and flags come from :mod:`avnmotion.live.feedback`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion import signal as sig
from avnmotion.errors import AvnInputError
from avnmotion.kinematics import detect_view_per_frame, summarise_view
from avnmotion.live.catalogue import live_exercises
from avnmotion.live.causal import CausalKinematics, drive_values, quiet_nanmean
from avnmotion.live.channels import ChannelCounters
from avnmotion.live.feedback import CueBoard, FlagLog, hold_feedback, rep_feedback
from avnmotion.live.grid import (
    DEFAULT_LIVE_RATE_HZ,
    DEFAULT_MAX_INTERP_GAP_S,
    GridFrame,
    GridResampler,
    GridRows,
)
from avnmotion.live.holds import HoldTracker, LiveHold
from avnmotion.live.reps import LiveRep, SegmentAnalyser
from avnmotion.live.running import SideChooser
from avnmotion.track import N_LANDMARKS, PoseTrack

#: Frames used to decide the camera view when neither the caller nor the exercise fixes it.
VIEW_LOCK_S = 1.0
#: Loading observations are checked this often, on this many trailing seconds.
FLAG_EVAL_S = 2.0
FLAG_WINDOW_S = 6.0


class LiveCounter:
    """Incremental exercise counting from per-frame landmarks (no MediaPipe).

    Parameters
    ----------
    task
        An exercise id with rep counting or holds (see :func:`live_exercises`).
    sampling_rate_hz
        The analysis grid rate (see :mod:`avnmotion.live.grid`). Use the track's rate to
        reproduce an offline analysis of an evenly sampled track exactly.
    view
        ``"side"`` or ``"front"``; default: the exercise's only view, else the majority view of
        the first second of frames with a person (counting starts then, from the first frame).
    working_side
        ``"left"``, ``"right"`` or ``"both"``; default: chosen as the offline analysis does.
    protocol, prescription, today
        As for :func:`avnmotion.pipeline.analyze_track`: loading observations (clinician flags)
        and the tempo target of the cues.
    min_visibility
        Visibility gate (as the offline conditioning).
    max_interp_gap_s
        Grid points inside a longer gap between received frames get no pose.
    """

    def __init__(
        self,
        task: str,
        *,
        sampling_rate_hz: float = DEFAULT_LIVE_RATE_HZ,
        view: str | None = None,
        working_side: str | None = None,
        protocol: Any = None,
        prescription: dict[str, Any] | None = None,
        today: Any = None,
        min_visibility: float = sig.DEFAULT_MIN_VISIBILITY,
        max_interp_gap_s: float = DEFAULT_MAX_INTERP_GAP_S,
    ) -> None:
        from avnmotion.exercises.form import TempoTarget
        from avnmotion.exercises.prescription import validate_prescription
        from avnmotion.exercises.registry import get_definition
        from avnmotion.exercises.signals import CausalLegLength

        d = get_definition(task)
        if d.counting is None and d.hold is None:
            ids = ", ".join(e["id"] for e in live_exercises())
            raise AvnInputError(
                f"{task} is a {d.kind.replace('_', ' ')} with nothing to count live; live: {ids}"
            )
        if view is not None and view not in d.view_names:
            raise AvnInputError(
                f"{task} is filmed from the {' or '.join(d.view_names)}, not the {view}"
            )
        if working_side not in (None, "left", "right", "both"):
            raise AvnInputError(f"working side must be left, right or both, got {working_side!r}")
        self.definition = d
        self.task = task
        self.rate_hz = float(sampling_rate_hz)
        self.min_visibility = float(min_visibility)
        self.working_side = working_side
        self.protocol = protocol
        self.today = today
        target = validate_prescription(prescription)
        self.prescription = target
        if target and ("concentric_s" in target or "eccentric_s" in target):
            self.tempo = TempoTarget(target.get("concentric_s"), target.get("eccentric_s"), True)
        else:
            self.tempo = TempoTarget(d.tempo.concentric_s, d.tempo.eccentric_s, False)
        self.resampler = GridResampler(self.rate_hz, max_gap_s=max_interp_gap_s)
        self.rows = GridRows()
        self.frame_size_px: tuple[int, int] | None = None
        self.view: str | None = view or (d.view_names[0] if len(d.view_names) == 1 else None)
        self.view_source = "given" if view else ("exercise" if self.view else "detected")
        self.kin: CausalKinematics | None = None
        self.segments: SegmentAnalyser | None = None
        self.drive: Any = None
        self.channels: ChannelCounters | None = None
        self._leg = CausalLegLength()
        self._flag_log = FlagLog()
        self._last_flag_eval_s: float | None = None
        self._board = CueBoard(self.min_visibility)
        self.warnings: list[str] = []
        self._analysed = 0
        if self.view is not None:
            self._lock(self.view)

    # -- setup ------------------------------------------------------------------------------
    def _lock(self, view: str) -> None:
        """Count in ``view`` from now on (analysis starts once the frame size is known)."""
        spec = self.definition.view_spec(view)
        assert spec is not None
        self.view = view
        self.drive = spec.drive
        if self.frame_size_px is not None:
            self._make_kin()
        self.channels = ChannelCounters(
            self.definition, self.drive, self.rate_hz, self.working_side
        )

    def _make_kin(self) -> None:
        assert self.view is not None and self.frame_size_px is not None
        seated = self.definition.seated_rotation_test
        self.kin = CausalKinematics(
            self.view,
            self.rate_hz,
            self.frame_size_px,
            min_visibility=self.min_visibility,
            seated_rotation_test=seated,
        )
        self.segments = SegmentAnalyser(
            self.rows, self.frame_size_px, self.view, seated, self.drive, self.rate_hz
        )

    def _detected_view(self) -> str:
        """The majority camera view of the grid frames so far."""
        assert self.frame_size_px is not None
        per_frame = detect_view_per_frame(self.rows.track(0, self.rows.n, self.frame_size_px, {}))
        return summarise_view(per_frame)[0]

    def _try_lock_view(self) -> None:
        """Lock the view from the frames so far (only when neither caller nor exercise did)."""
        t0 = self.rows.t[0]
        span = self.rows.t[self.rows.n - 1] - t0
        if span < VIEW_LOCK_S:
            return
        detected = self._detected_view()
        names = self.definition.view_names
        view: str = detected
        if detected in names:
            self.view_source = "detected"
        elif span < 3 * VIEW_LOCK_S:
            return  # keep looking (oblique, unknown or a view this exercise is not filmed from)
        else:
            self.warnings.append(
                f"camera view {detected} at the start; counting as a {names[0]} view"
            )
            view = names[0]
            self.view_source = "default"
        self._lock(view)  # the frame size is known: this makes the kinematics

    # -- feeding ----------------------------------------------------------------------------
    def push(
        self,
        time_s: float,
        image_xyz: NDArray[np.floating[Any]],
        visibility: NDArray[np.floating[Any]],
        presence: NDArray[np.floating[Any]] | None = None,
        world_xyz: NDArray[np.floating[Any]] | None = None,
        *,
        frame_size_px: tuple[int, int] | None = None,
    ) -> int:
        """Feed one frame (normalised image landmarks ``(33, 3)``, visibility ``(33,)``).

        Returns the number of grid frames analysed because of it (0, 1 or more).
        """
        if self.frame_size_px is None:
            if frame_size_px is None:
                raise AvnInputError("the first frame must give frame_size_px (width, height)")
            self.frame_size_px = (int(frame_size_px[0]), int(frame_size_px[1]))
            if self.view is not None:
                self._make_kin()
        vis = np.asarray(visibility, dtype=np.float32).reshape(N_LANDMARKS)
        frame = GridFrame(
            float(time_s),
            np.asarray(image_xyz, dtype=np.float32).reshape(N_LANDMARKS, 3),
            vis,
            vis if presence is None else np.asarray(presence, dtype=np.float32).reshape(-1),
            None if world_xyz is None else np.asarray(world_xyz, dtype=np.float32).reshape(-1, 3),
        )
        grid = self.resampler.push(frame)
        for g in grid:
            self.rows.append(g)
            if self.kin is None:
                self._try_lock_view()
                if self.kin is None:
                    continue
            self._catch_up()
        return len(grid)

    def push_track(self, track: PoseTrack) -> LiveCounter:
        """Feed every frame of a track, one at a time, then :meth:`flush`."""
        if track.image_xyz is None or track.frame_size_px is None:
            raise AvnInputError("live counting needs image landmarks and the frame size")
        for i in range(track.n_frames):
            self.push(
                float(track.timestamps_s[i]),
                track.image_xyz[i],
                track.visibility[i],
                track.presence[i],
                None if track.world_xyz is None else track.world_xyz[i],
                frame_size_px=track.frame_size_px,
            )
        self.flush()
        return self

    def flush(self) -> None:
        """End of the session: describe the last reps and close open holds."""
        if self.kin is None and self.rows.n and self.frame_size_px is not None:
            # Shorter than the view lock: decide on what there is.
            view = self._detected_view()
            self._lock(
                view if view in self.definition.view_names else self.definition.views[0].view
            )
            self._catch_up()
        if self.channels is not None:
            self.channels.flush(self.rows.n - 1, self._describe, self._on_hold)

    def _catch_up(self) -> None:
        """Analyse the grid frames not analysed yet (all of them right after the view lock)."""
        while self._analysed < self.rows.n:
            self._analyse(self._analysed)
            self._analysed += 1

    # -- per grid frame ---------------------------------------------------------------------
    def _analyse(self, i: int) -> None:
        assert self.kin is not None and self.channels is not None
        t = float(self.rows.t[i])
        angles = self.kin.push(self.rows.image[i], self.rows.vis[i])
        one = self.kin.last_track
        assert one is not None
        values = drive_values(self.drive, angles, one, self._leg)
        self._board.observe(one, t)
        self.channels.update(i, t, values, self._describe, self._on_hold)
        if self.protocol is not None and (
            self._last_flag_eval_s is None or t - self._last_flag_eval_s >= FLAG_EVAL_S
        ):
            self._last_flag_eval_s = t
            self._loading_flags(i)

    # -- reps, holds and flags --------------------------------------------------------------
    def _describe(self, rep: LiveRep, upper: int, *, final: bool) -> None:
        """Measure a rep (:meth:`SegmentAnalyser.describe_rep`); cue it if not ``final``."""
        assert self.segments is not None
        m = self.segments.describe_rep(rep, upper, self._leg.value, final=final)
        if m is None or final:
            return
        texts, flags = rep_feedback(
            self.definition,
            self.tempo,
            self.drive.rest_at,
            rep,
            m.shape,
            m.y,
            m.kin,
            m.track,
            self.rep_count,
        )
        self._board.show(texts, rep.counted_at_s)
        self._flag_log.record(flags, rep.counted_at_s)

    def _on_hold(self, hold: LiveHold, i: int) -> None:
        if not self.definition.form_rules or hold.channel not in self.counted_channels():
            return
        assert self.segments is not None
        track, kin, a = self.segments.segment(hold.start_index, hold.end_index)
        texts, flags = hold_feedback(self.definition, hold, kin, track, a, self.hold_count)
        now = float(self.rows.t[i])
        self._board.show(texts, now)
        self._flag_log.record(flags, now)

    def _loading_flags(self, i: int) -> None:
        from avnmotion.exercises.loading import loading_observations

        assert self.segments is not None
        n = round(FLAG_WINDOW_S * self.rate_hz)
        track, kin, _ = self.segments.segment(i - n, i)
        with quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            flags, _ = loading_observations(track, kin, self.protocol, self.definition, self.today)
        self._flag_log.record(flags, float(self.rows.t[i]))

    # -- state for the display --------------------------------------------------------------
    @property
    def flags(self) -> list[dict[str, Any]]:
        """Clinician flags (loading observations) as first seen; never shown to the patient."""
        return self._flag_log.entries

    @property
    def chooser(self) -> SideChooser | None:
        """The working-side chooser (exercises with a working side, once the view is locked)."""
        return None if self.channels is None else self.channels.chooser

    @property
    def counters(self) -> dict[str, Any]:
        """Rep counter per channel (:class:`~avnmotion.exercises.counting.RepCounter`)."""
        return {} if self.channels is None else self.channels.counters

    @property
    def hold_trackers(self) -> dict[str, HoldTracker]:
        return {} if self.channels is None else self.channels.hold_trackers

    @property
    def reps(self) -> list[LiveRep]:
        """Every rep counted so far, on any channel (see :meth:`counted_reps`)."""
        return [] if self.channels is None else self.channels.reps

    def counted_channels(self) -> list[str]:
        """The channels whose reps/holds count now ("left", "right" or "both")."""
        return [] if self.channels is None else self.channels.counted_channels()

    def counted_reps(self) -> list[LiveRep]:
        return [] if self.channels is None else self.channels.counted_reps()

    @property
    def now_s(self) -> float | None:
        return float(self.rows.t[self.rows.n - 1]) if self.rows.n else None

    @property
    def rep_count(self) -> int:
        return 0 if self.channels is None else self.channels.rep_count

    @property
    def hold_count(self) -> int:
        return 0 if self.channels is None else self.channels.hold_count

    @property
    def count(self) -> int:
        """Reps, or completed holds for a hold exercise."""
        return self.hold_count if self.definition.counting is None else self.rep_count

    @property
    def set_index(self) -> int:
        """Current set (0-based): reps of the counted channels split by rest gaps."""
        return 0 if self.channels is None else self.channels.set_index

    def hold_s(self) -> float | None:
        """Seconds in the hold position now (hold exercises), else ``None``."""
        if self.definition.hold is None:
            return None
        now = self.now_s
        if self.channels is None or now is None:
            return 0.0
        return self.channels.hold_s(now)

    def cues(self) -> list[str]:
        """Patient-facing cues to show now: camera set-up, then technique and tempo."""
        now = self.now_s
        if now is None:
            return []
        return self._board.current(now, float(self.rows.t[0]), self.view)

    def track(self, source: dict[str, Any] | None = None) -> PoseTrack:
        """The session's grid track (what was analysed)."""
        if self.rows.n == 0 or self.frame_size_px is None:
            raise AvnInputError("no frames were received")
        src = {
            "kind": "live",
            "fps": self.rate_hz,
            "n_frames_received": self.resampler.n_in,
            "grid_frames_interpolated": self.resampler.n_interpolated,
            "grid_frames_without_frame": self.resampler.n_blank,
        }
        src.update(source or {})
        return self.rows.track(0, self.rows.n, self.frame_size_px, src)

    def summary(self) -> dict[str, Any]:
        """What the live session showed and recorded (stored with the saved analysis)."""
        side = self.chooser.choose()[0] if self.chooser is not None else "both"
        return {
            "task": self.task,
            "view": self.view,
            "view_source": self.view_source,
            "working_side": side,
            "sampling_rate_hz": self.rate_hz,
            "rep_count": self.rep_count,
            "hold_count": self.hold_count,
            "set_count": (self.set_index + 1) if self.counted_reps() else 0,
            "reps": [
                {
                    "index": k,
                    "side": r.channel,
                    "start_s": round(r.start_s, 3),
                    "end_s": round(r.end_s, 3),
                    "counted_at_s": round(r.counted_at_s, 3),
                    "issues": r.issues,
                }
                for k, r in enumerate(self.counted_reps())
            ],
            "flags": list(self.flags),
            "grid_frames": self.rows.n,
            "frames_received": self.resampler.n_in,
            "warnings": list(self.warnings),
        }
