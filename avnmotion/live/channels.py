"""What is counted in the locked camera view, channel by channel.

A channel is a driving signal: ``"left"``, ``"right"`` or ``"both"`` (the mean of the sides, or
a whole-body signal). Each channel has the exercise's incremental rep counter
(:class:`avnmotion.exercises.counting.RepCounter`) and/or a hold tracker; for exercises with a
working side the :class:`~avnmotion.live.running.SideChooser` says which channels count.

A counted rep is described twice: at once (for the patient's cues), and finally once the frames
after it are in. The start of the channel's next excursion bounds the rep's extent; the rep is
final :data:`~avnmotion.live.reps.DESCRIBE_PAD_S` after that, or
:data:`~avnmotion.live.reps.DESCRIBE_LOOKBACK_S` after it was counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from avnmotion import signal as sig
from avnmotion.exercises.signals import CausalSideExchange
from avnmotion.live.holds import HoldTracker, LiveHold
from avnmotion.live.reps import DESCRIBE_LOOKBACK_S, DESCRIBE_PAD_S, LiveRep
from avnmotion.live.running import SideChooser

#: ``describe(rep, upper, final=...)``: measure a rep whose extent ends by frame ``upper``.
Describe = Callable[..., None]
#: ``on_hold(hold, i)``: a hold completed at grid frame ``i``.
OnHold = Callable[[LiveHold, int], None]


class ChannelCounters:
    """Rep counters, hold trackers and counted reps of every channel of one view.

    Parameters
    ----------
    definition
        The exercise (:class:`~avnmotion.exercises.registry.ExerciseDefinition`).
    drive
        Its driving signal in the locked view.
    rate_hz
        The grid rate.
    working_side
        ``"left"``, ``"right"``, ``"both"`` or ``None`` (chosen as the offline analysis does).
    """

    def __init__(
        self, definition: Any, drive: Any, rate_hz: float, working_side: str | None
    ) -> None:
        from avnmotion.exercises.counting import CountParams, RepCounter

        d = definition
        self.definition = d
        self.rate_hz = rate_hz
        channels = ["left", "right", "both"] if drive.side == "working" else ["both"]
        self.chooser: SideChooser | None = None
        if drive.side == "working":
            self.chooser = SideChooser(
                drive.min_amplitude,
                working_side,
                rate_hz,
                bin_width=drive.min_amplitude / 100.0,
            )
        # Label hand-overs between the sides are undone as the offline counting and side
        # choice do (analysis.counting_values, counting_plan); the side choice, counters and
        # hold trackers see the result.
        self._exchange: CausalSideExchange | None = None
        if drive.side == "working":
            self._exchange = CausalSideExchange(rate_hz, drive.min_amplitude)
        self.counters: dict[str, Any] = {}
        if d.counting is not None:
            params = CountParams.from_spec(d.counting, drive)
            self.counters = {ch: RepCounter(rate_hz, params, channel=ch) for ch in channels}
        self.hold_trackers: dict[str, HoldTracker] = {}
        self._hold_filters: dict[str, sig.CausalLowpass] = {}
        if d.hold is not None:
            self.hold_trackers = {ch: HoldTracker(d.hold, ch) for ch in channels}
            self._hold_filters = {
                ch: sig.CausalLowpass(rate_hz, cutoff_hz=min(3.0, 0.45 * rate_hz))
                for ch in channels
            }
        self.reps: list[LiveRep] = []
        self._pending: dict[str, list[LiveRep]] = {ch: [] for ch in channels}
        self._last_event_end: dict[str, int] = {}

    # -- one grid frame ---------------------------------------------------------------------
    def update(
        self,
        i: int,
        t: float,
        values: dict[str, float],
        describe: Describe,
        on_hold: OnHold,
    ) -> None:
        """Feed grid frame ``i`` (time ``t``, driving value per channel).

        ``describe`` and ``on_hold`` are called as reps are counted or become final and as
        holds complete, in that order (a rep's cues are numbered by the count at that moment).
        """
        if self._exchange is not None:
            left, right = self._exchange.update(values["left"], values["right"])
            values = {**values, "left": left, "right": right}
        if self.chooser is not None:
            self.chooser.add(values["left"], values["right"])
        pad = round(DESCRIBE_PAD_S * self.rate_hz)
        for ch, counter in self.counters.items():
            pending = self._pending[ch]
            for event in counter.update(t, values[ch]):
                # The next excursion (of any kind) bounds the previous reps' extent.
                for rep in pending:
                    if rep.upper_index is None:
                        rep.upper_index = event.start_index
                counted = self._on_event(ch, event, i, t)
                # Cues for the patient right away, from what is known now.
                if counted is not None and ch in self.counted_channels():
                    describe(counted, i, final=False)
            if counter.in_excursion:
                start = int(counter.open_excursion()["start_index"])
                for rep in pending:
                    if rep.upper_index is None:
                        rep.upper_index = start
            # Describe a rep once the frames after it are in (bounded delay).
            while pending and (
                (pending[0].upper_index is not None and i - pending[0].upper_index >= pad)
                or t - pending[0].counted_at_s > DESCRIBE_LOOKBACK_S
            ):
                rep = pending.pop(0)
                describe(rep, rep.upper_index if rep.upper_index is not None else i, final=True)
        for ch, tracker in self.hold_trackers.items():
            y = float(self._hold_filters[ch].process(np.array([values[ch]]))[0])
            for h in tracker.push(i, t, y):
                on_hold(h, i)

    def _on_event(self, ch: str, event: Any, i: int, t: float) -> LiveRep | None:
        """Record a counter event; a counted rep is returned (other excursions only bound)."""
        lower = self._last_event_end.get(ch, 0)
        self._last_event_end[ch] = event.end_index
        if event.kind != "rep":
            return None
        rep = LiveRep(
            index=len(self.reps),
            channel=ch,
            set_index=event.set_index,
            start_s=event.start_s,
            end_s=event.end_s,
            peak_s=event.peak_s,
            counted_at_s=t,
            start_index=event.start_index,
            end_index=event.end_index,
            peak_index=event.peak_index,
            lower_index=lower,
            event=event,
        )
        self.reps.append(rep)
        self._pending[ch].append(rep)
        return rep

    def flush(self, last: int, describe: Describe, on_hold: OnHold) -> None:
        """End of the session (newest grid frame ``last``): describe every rep still waiting
        and close open holds."""
        for pending in self._pending.values():
            for rep in pending:
                upper = rep.upper_index if rep.upper_index is not None else last
                describe(rep, upper, final=True)
            pending.clear()
        for tracker in self.hold_trackers.values():
            if tracker.run_start_s is not None:
                for h in tracker.close():
                    on_hold(h, last)

    # -- what counts ------------------------------------------------------------------------
    def counted_channels(self) -> list[str]:
        """The channels whose reps/holds count now ("left", "right" or "both")."""
        if self.chooser is not None:
            return self.chooser.choose()[1]
        return ["both"] if (self.counters or self.hold_trackers) else []

    def counted_reps(self) -> list[LiveRep]:
        chosen = set(self.counted_channels())
        return sorted((r for r in self.reps if r.channel in chosen), key=lambda r: r.start_s)

    @property
    def rep_count(self) -> int:
        return sum(self.counters[ch].count for ch in self.counted_channels() if ch in self.counters)

    @property
    def hold_count(self) -> int:
        chosen = self.counted_channels()
        return sum(len(self.hold_trackers[ch].holds) for ch in chosen if ch in self.hold_trackers)

    @property
    def set_index(self) -> int:
        """Current set (0-based): reps of the counted channels split by rest gaps."""
        gap = self.definition.counting.rest_gap_s if self.definition.counting else 8.0
        current, last_end = 0, None
        for r in self.counted_reps():
            if last_end is not None and r.start_s - last_end > gap:
                current += 1
            last_end = r.end_s if last_end is None else max(last_end, r.end_s)
        return current

    def hold_s(self, now_s: float) -> float:
        """Seconds in the hold position at ``now_s`` (0 without hold trackers)."""
        if not self.hold_trackers:
            return 0.0
        return max(
            (self.hold_trackers[ch].current_s(now_s) for ch in self.counted_channels()),
            default=0.0,
        )
