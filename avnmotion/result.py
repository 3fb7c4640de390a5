"""The analysis result: one schema for CLI JSON, API responses and stored results.

Every number carries its unit in its name. Flags are observations for the clinician (or
technique cues for the patient) with value, threshold, unit, source and time intervals; they
are never load estimates, and the absence of a flag never means "safe".

The JSON Schema of :class:`AnalysisResult` is checked into ``avnmotion/schema/`` and a test
keeps it in step with this module (``avnmotion schema`` prints it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from avnmotion.protocol import PatientProtocol

SCHEMA_VERSION = "1.0"

Side = Literal["left", "right"]
Audience = Literal["clinician", "patient"]
Severity = Literal["info", "caution", "warning"]
View = Literal["side", "front", "oblique", "unknown", "3d"]

#: Standing advice that accompanies every patient-facing result.
PATIENT_SAFETY_ADVICE = (
    "Stop and contact your therapist if pain in your hip or groin increases during or after "
    "exercise."
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def to_plain(value: Any) -> Any:
    """Recursively turn numpy scalars and arrays into Python values (JSON-serialisable).

    The free-form dictionaries of a result (test results, prescriptions, gait tables) are
    filled by numeric code; without this a stray ``numpy.bool_`` makes the result fail to
    serialise only when it is stored or sent.
    """
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return value.tolist()
    return value


class Interval(_Model):
    start_s: float
    end_s: float


class Flag(_Model):
    """An observation for the clinician, or a technique cue for the patient.

    ``value`` is what was measured and ``threshold`` the documented limit it was judged
    against, both in ``unit``; ``source`` names where the threshold comes from.
    """

    code: str
    severity: Severity = "caution"
    audience: Audience = "clinician"
    side: Side | None = None
    value: float | None = None
    threshold: float | None = None
    unit: str | None = None
    uncertainty: float | None = Field(
        default=None,
        description="Stated uncertainty of value, in unit, where one is known (angles: the "
        "angle's uncertainty_deg); a value within it of the threshold is within measurement "
        "error, and the message says so.",
    )
    source: str
    message: str
    intervals: list[Interval] = Field(default_factory=list)


class InputInfo(_Model):
    kind: Literal["video", "track_npz", "track_trc", "c3d", "live"]
    name: str | None = None
    fps: float | None = Field(None, description="Sampling rate of the analysed track, Hz.")
    container_fps: float | None = None
    frames: int
    duration_s: float
    frame_size_px: tuple[int, int] | None = None
    rotation_deg: int | None = None
    height_m: float | None = Field(None, description="Subject height given by the user, m.")


class Quality(_Model):
    view: View
    view_confidence: float | None = Field(
        None, description="Share of frames whose per-frame view agrees with `view` (0-1)."
    )
    frames_with_pose_pct: float
    side_swaps_fixed: int = 0
    far_side_low_confidence_pct: float | None = None
    frames_gated: int = Field(0, description="Landmark samples set to NaN for low visibility.")
    frames_filled: int = Field(0, description="Landmark samples filled by gap interpolation.")
    timing_jitter_ms: float | None = Field(
        None, description="SD of frame intervals before resampling to an even grid, ms."
    )
    resampled: bool = False
    warnings: list[str] = Field(default_factory=list)


class RangeOfMovement(_Model):
    """Range of an angle during this clip (not clinical ROM unless the task is a ROM test)."""

    available: bool
    reason: str | None = None
    min_deg: float | None = None
    max_deg: float | None = None
    range_deg: float | None = None
    uncertainty_deg: float | None = Field(
        None,
        description=(
            "Stated uncertainty of this angle, deg: the larger of the frame RMSE and the RMSE "
            "of the clip extremes against rendered truth, for the clip's posture "
            "(benchmarks/angle_error.py; a lower bound for real people and cameras)."
        ),
    )


class GaitEvent(_Model):
    side: Side
    kind: Literal["foot_strike", "foot_off"]
    time_s: float


class SideSummary(_Model):
    """Mean and SD of one side's temporal-spatial parameters.

    Stance, swing and single support over phases (two consecutive events of one foot; single
    support is the other foot's swing); shares of the cycle and double support over complete
    strides (``n_strides``); steps over steps.
    """

    n_strides: int
    step_time_s: float | None = None
    step_time_sd_s: float | None = None
    stride_time_s: float | None = None
    stride_time_sd_s: float | None = None
    stance_time_s: float | None = None
    stance_time_sd_s: float | None = None
    n_stance_phases: int = Field(0, description="Stance phases behind the stance time.")
    n_swing_phases: int = Field(0, description="Swing phases behind the swing time.")
    swing_time_s: float | None = None
    single_support_time_s: float | None = None
    double_support_time_s: float | None = None
    stance_pct_cycle: float | None = None
    swing_pct_cycle: float | None = None
    single_support_pct_cycle: float | None = None
    double_support_pct_cycle: float | None = None
    step_length_m: float | None = None
    step_length_leg_lengths: float | None = None
    step_width_m: float | None = None
    hip_excursion_deg: float | None = None
    peak_hip_extension_deg: float | None = None


class SymmetryIndex(_Model):
    """SI = (R - L) / (0.5 (R + L)) x 100, from per-side means; null with a reason if undefined."""

    parameter: str
    si_pct: float | None = None
    si_sd_pct: float | None = Field(None, description="SD of per-stride SI values, points.")
    n_pairs: int = 0
    lower_side: Side | None = None
    symmetric: bool | None = None
    cutoff_pct: float
    reason: str | None = None


class GaitCurve(_Model):
    angle: str
    side: Side | None = None
    percent_cycle: list[float]
    mean_deg: list[float]
    sd_deg: list[float]
    n_cycles: int


class GaitResult(_Model):
    events: list[GaitEvent]
    events_dropped: int = 0
    cadence_steps_per_min: float | None = None
    gait_speed_m_per_s: float | None = None
    gait_speed_leg_lengths_per_s: float | None = None
    left: SideSummary | None = None
    right: SideSummary | None = None
    symmetry: list[SymmetryIndex] = Field(default_factory=list)
    cycles: list[GaitCurve] = Field(default_factory=list)
    strides_used: int = 0
    walking_direction_changes: int = 0
    warnings: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(
        default_factory=dict, description="Per-step and per-stride tables."
    )

    @field_validator("details", mode="before")
    @classmethod
    def _plain(cls, v: Any) -> Any:
        return to_plain(v)


class Rep(_Model):
    """One rep, measured on the exercise's counted signal (``ExerciseResult.counted_signal``)."""

    index: int = Field(description="0-based among counted reps (partial reps separately).")
    start_s: float = Field(description="Leaves the rest level (within 5 % of the excursion), s.")
    end_s: float = Field(description="Back at the rest level, s.")
    peak_s: float | None = Field(default=None, description="Farthest from rest, s.")
    side: Literal["left", "right", "both"] | None = None
    rom_deg: float | None = Field(
        default=None,
        description="Excursion of the counted angle from rest to peak, deg (uncertainty: "
        "ExerciseResult.counted_signal_uncertainty_deg); null for a non-angle signal.",
    )
    peak_deg: float | None = Field(
        default=None, description="Counted angle at the peak, deg; null for a non-angle signal."
    )
    concentric_s: float | None = Field(
        default=None,
        description="Muscle-shortening phase, s: the 5-90 % time of that half of the rep divided "
        "by 0.85 (extrapolated to the whole movement).",
    )
    eccentric_s: float | None = Field(
        default=None, description="Lengthening (lowering) phase, s, measured like concentric_s."
    )
    peak_velocity_deg_per_s: float | None = Field(
        default=None, description="Largest angular speed of the counted angle in the rep, deg/s."
    )
    set_index: int = 0
    form_issues: list[str] = Field(default_factory=list)


class Hold(_Model):
    """A held position: the span within the exercise's hold band of the held level."""

    start_s: float
    end_s: float
    duration_s: float = Field(description="end_s - start_s, s (+-0.26 s on the sample clips).")
    side: Literal["left", "right", "both"] | None = None
    mean_deg: float | None = Field(
        default=None, description="Mean counted angle over the hold, deg; null if not an angle."
    )


class ExerciseSet(_Model):
    index: int
    start_s: float
    end_s: float
    rep_count: int


class ExerciseResult(_Model):
    exercise_id: str
    rep_count: int = Field(
        description="complete reps counted (partial reps are listed, not counted); for a hold "
        "exercise, the number of holds"
    )
    reps: list[Rep] = Field(default_factory=list)
    partial_reps: list[Rep] = Field(default_factory=list)
    sets: list[ExerciseSet] = Field(default_factory=list)
    holds: list[Hold] = Field(default_factory=list)
    working_side: Literal["left", "right", "both"] | None = None
    counted_signal: str | None = Field(
        default=None,
        description="The signal reps and holds are counted and measured on (an angle name "
        "such as hip_flexion_deg, or a distance), from the exercise registry for this view.",
    )
    counted_signal_unit: str | None = Field(default=None, description="Its unit.")
    counted_signal_uncertainty_deg: float | None = Field(
        default=None,
        description="Stated uncertainty of an angle signal in this posture (see "
        "RangeOfMovement.uncertainty_deg); null for a distance signal.",
    )
    prescription: dict[str, Any] | None = None
    test_result: dict[str, Any] | None = None
    patient_messages: list[str] = Field(default_factory=list)
    unavailable: dict[str, str] = Field(default_factory=dict)

    @field_validator("prescription", "test_result", mode="before")
    @classmethod
    def _plain(cls, v: Any) -> Any:
        return to_plain(v)


class Processing(_Model):
    model: str | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    timing_s: dict[str, float] = Field(default_factory=dict)


class AnalysisResult(_Model):
    schema_version: str = SCHEMA_VERSION
    avnmotion_version: str
    input: InputInfo
    task: str
    quality: Quality
    rom: dict[str, dict[str, RangeOfMovement]] = Field(
        default_factory=dict,
        description="Range of movement per angle name and side ('left', 'right' or 'both').",
    )
    gait: GaitResult | None = None
    exercise: ExerciseResult | None = None
    flags: list[Flag] = Field(default_factory=list)
    protocol: PatientProtocol | None = Field(
        default=None,
        description=(
            "The patient protocol the loading observations were judged against (with the "
            "affected side given for this analysis); null when none was given, in which case "
            "loading was not judged."
        ),
    )
    patient_advice: str | None = Field(
        default=None,
        description="Standing advice shown with every patient-facing result (all tasks).",
    )
    processing: Processing = Field(default_factory=Processing)


def json_schema() -> dict[str, Any]:
    """JSON Schema of :class:`AnalysisResult` (what ``avnmotion schema`` prints)."""
    return AnalysisResult.model_json_schema()
