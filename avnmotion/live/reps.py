"""Counted reps and their description on bounded segments of the session's grid frames.

A rep is counted on the causal signal the moment its excursion ends; its extent, tempo and
form are then measured as the offline result reports them (zero-phase filtered track, its
kinematics, :func:`avnmotion.exercises.counting.describe_rep`) on a segment reaching at most
:data:`DESCRIBE_LOOKBACK_S` back and :data:`DESCRIBE_PAD_S` past the rep, so the cost of a rep
does not grow with the session length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from avnmotion.live.causal import quiet_nanmean
from avnmotion.live.grid import GridRows

if TYPE_CHECKING:
    from avnmotion.exercises.counting import RepShape
    from avnmotion.kinematics import Kinematics
    from avnmotion.track import PoseTrack

#: Frames either side of a rep's segment (filter edges) and after it before it is final.
DESCRIBE_PAD_S = 1.5
#: A rep's segment reaches at most this far back, and a rep is final this long after counting.
DESCRIBE_LOOKBACK_S = 10.0


@dataclass
class LiveRep:
    """A counted rep. ``start_s``/``end_s``/``peak_s`` are first the counting crossings and,
    once the frames after the rep are in (``refined``), the rep's extent on the reported
    (zero-phase filtered) signal as the offline result describes it."""

    index: int
    channel: str
    set_index: int
    start_s: float
    end_s: float
    peak_s: float
    counted_at_s: float
    start_index: int
    end_index: int
    peak_index: int
    refined: bool = False
    concentric_s: float | None = None
    eccentric_s: float | None = None
    excursion: float | None = None
    issues: list[str] = field(default_factory=list)
    #: Frame where the search for the rep's extent begins (end of the channel's previous event).
    lower_index: int = field(default=0, repr=False)
    #: The counter's event (threshold crossings).
    event: Any = field(default=None, repr=False)
    #: Start of the channel's next excursion, once known (bounds the rep's extent).
    upper_index: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RepMeasurement:
    """A rep's shape on the reported signal ``y`` of a segment (``track``, ``kin``)."""

    shape: RepShape
    y: Any
    kin: Kinematics
    track: PoseTrack


class SegmentAnalyser:
    """Conditioned reported track and kinematics of bounded ranges of the grid frames.

    Parameters
    ----------
    rows
        The session's grid frames (read, never changed).
    frame_size_px, view, seated_rotation_test
        As for the offline conditioning and kinematics.
    drive
        The exercise's driving signal in ``view``
        (:class:`~avnmotion.exercises.registry.DriveSignal`).
    rate_hz
        The grid rate.
    """

    def __init__(
        self,
        rows: GridRows,
        frame_size_px: tuple[int, int],
        view: str,
        seated_rotation_test: bool,
        drive: Any,
        rate_hz: float,
    ) -> None:
        self.rows = rows
        self.frame_size_px = frame_size_px
        self.view = view
        self.seated_rotation_test = seated_rotation_test
        self.drive = drive
        self.rate_hz = rate_hz

    def segment(self, a: int, b: int) -> tuple[PoseTrack, Kinematics, int]:
        """Conditioned reported track and kinematics of grid frames ``a..b`` (inclusive), and
        the first frame's index."""
        from avnmotion.kinematics import compute_kinematics
        from avnmotion.pipeline import condition_track

        a = max(0, a)
        seg = self.rows.track(a, b + 1, self.frame_size_px, {"kind": "live"})
        with quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            cond = condition_track(seg)
            kin = compute_kinematics(
                cond.filtered,
                view=self.view,  # type: ignore[arg-type]
                seated_rotation_test=self.seated_rotation_test,
            )
        return cond.filtered, kin, a

    def describe_rep(
        self, rep: LiveRep, upper: int, leg_length: float, *, final: bool
    ) -> RepMeasurement | None:
        """Measure a rep on the reported signal of a bounded segment around it.

        Sets the rep's phase durations and excursion; ``final`` also replaces its extent by
        the measured one (``refined``). ``upper`` bounds the extent (the start of the channel's
        next excursion, or the newest frame); ``leg_length`` is the counter's causal
        leg-length scale (distance signals). ``None`` when the rep cannot be measured.
        """
        from avnmotion.exercises.counting import describe_rep
        from avnmotion.exercises.signals import get_signal

        drive = self.drive
        pad = round(DESCRIBE_PAD_S * self.rate_hz)
        e = rep.event
        lower = max(rep.lower_index, e.start_index - round(DESCRIBE_LOOKBACK_S * self.rate_hz))
        upper = min(max(upper, e.end_index), self.rows.n - 1)
        if upper <= lower:
            return None
        track, kin, a = self.segment(lower - pad, upper + pad)
        scale = None if drive.is_angle or not math.isfinite(leg_length) else leg_length
        with np.errstate(invalid="ignore", divide="ignore"):
            y = get_signal(drive.name, rep.channel, kin, track, scale)[0]
        shifted = replace(
            e,
            start_index=e.start_index - a,
            end_index=e.end_index - a,
            peak_index=e.peak_index - a,
        )
        with quiet_nanmean(), np.errstate(invalid="ignore", divide="ignore"):
            shape = describe_rep(
                kin.timestamps_s,
                y,
                shifted,
                rest_at=drive.rest_at,
                lower_bound=lower - a,
                upper_bound=upper - a,
            )
        if shape is None:
            return None
        if drive.away_is_concentric:
            conc, ecc = shape.away_s, shape.return_s
        else:
            conc, ecc = shape.return_s, shape.away_s
        rep.concentric_s, rep.eccentric_s, rep.excursion = conc, ecc, shape.excursion
        if final:
            rep.start_s, rep.end_s, rep.peak_s = shape.start_s, shape.end_s, shape.peak_s
            rep.start_index = shape.start_index + a
            rep.end_index = shape.end_index + a
            rep.peak_index = shape.peak_index + a
            rep.refined = True
        return RepMeasurement(shape, y, kin, track)
