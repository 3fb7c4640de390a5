"""Declarative definitions of the exercises, ROM tests and function tests.

Every exercise is one frozen :class:`ExerciseDefinition`; adding one is adding one definition
to :data:`EXERCISES`, never new code. A definition says

* what drives the count in each camera view in which the movement is visible
  (:class:`ViewSpec` / :class:`DriveSignal`): a joint angle with side selection, an axial angle,
  or a distance such as the vertical travel of the hips normalised by leg length. Counting works
  from every listed view; what a view cannot show (depth in degrees from the front, knee valgus
  from the side) is reported unavailable with the reason, not the whole exercise;
* how reps are counted (:class:`CountingSpec`: hysteresis fractions of the set's own range,
  minimum rep duration and amplitude, rest gap that splits sets) or holds are found
  (:class:`HoldSpec`);
* form rules (:class:`FormRule`: signal, measure, phase, comparator, threshold, audience, cue,
  source);
* what video cannot verify, and the normative reference of a test.

Signal names
------------
Angles use the base names of :mod:`avnmotion.kinematics` (``"knee_flexion_deg"``); the side is
chosen at analysis time (``side="working"``), or the name is an axial angle
(``"pelvic_obliquity_deg"``). Distances come from the landmarks
(:mod:`avnmotion.exercises.signals`): ``hip_height_leg_lengths``, ``hip_height_torso_lengths``
and ``foot_lift_leg_lengths``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from avnmotion.errors import AvnInputError

Kind = Literal["rep", "hold", "rom_test", "timed_test"]
ViewName = Literal["side", "front"]
SideMode = Literal["working", "axial", "body"]
Laterality = Literal["unilateral", "bilateral", "either"]
WeightBearing = Literal["none", "bilateral", "unilateral"]
Measure = Literal["max", "min", "abs_max", "range", "rise"]
Phase = Literal["rep", "away", "top", "return", "hold"]
Comparator = Literal[">", "<"]
RuleSide = Literal["working", "each", "axial"]


@dataclass(frozen=True)
class DriveSignal:
    """The signal a view counts on.

    ``rest_at`` is the end of the signal's range where the subject rests between reps (a squat
    rests at low knee flexion, a sit-to-stand at high knee flexion); ``concentric`` says whether
    the signal increases or decreases during the concentric (muscle-shortening) phase.
    ``min_amplitude`` is the smallest excursion counted as a rep, in ``unit``.
    """

    name: str
    side: SideMode = "working"
    rest_at: Literal["low", "high"] = "low"
    concentric: Literal["increase", "decrease"] = "increase"
    min_amplitude: float = 15.0
    unit: str = "deg"

    @property
    def is_angle(self) -> bool:
        return self.name.endswith("_deg")

    @property
    def away_is_concentric(self) -> bool:
        """True when moving away from rest is the concentric phase (biceps curl, SLR)."""
        return (self.rest_at == "low") == (self.concentric == "increase")


@dataclass(frozen=True)
class ViewSpec:
    """A camera view in which the movement is visible, and what drives the count there."""

    view: ViewName
    drive: DriveSignal
    note: str = ""


@dataclass(frozen=True)
class CountingSpec:
    """Rep counting thresholds, relative to the set's own range (see ``counting.py``).

    Levels are fractions of the robust range (``lo_pct``-``hi_pct`` percentiles over the last
    ``window_s`` seconds) measured from the rest end: an excursion starts at ``partial_frac``,
    becomes a rep at ``enter_frac`` and ends below ``leave_frac``. Partial reps (reported, not
    counted) are movements from ``motion_frac`` back to below ``motion_leave_frac`` that never
    reach ``enter_frac`` and move at least ``partial_min_frac`` x the drive's
    ``min_amplitude``.
    """

    enter_frac: float = 0.6
    leave_frac: float = 0.3
    partial_frac: float = 0.4
    min_rep_s: float = 0.4
    rest_gap_s: float = 8.0
    window_s: float = 20.0
    lo_pct: float = 5.0
    hi_pct: float = 95.0
    cutoff_hz: float = 3.0
    motion_frac: float = 0.15
    motion_leave_frac: float = 0.07
    partial_min_frac: float = 0.5


@dataclass(frozen=True)
class HoldSpec:
    """A hold: the driving signal beyond ``threshold`` (``direction``) and within ``band`` of
    its own level for at least ``min_hold_s``.

    ``direction`` ``">="``/``"<="`` compares the signal, ``"abs<="`` its absolute value.

    ``squeeze_min_change``: for isometric work done *in* a held position (a glute set), the
    holds are the squeezes inside it: runs where the signal leaves its resting level (the
    median of the position hold's first second) by more than half of the hold's own excursion
    (2nd-98th percentile), counted when that excursion is at least ``squeeze_min_change``
    (otherwise no squeeze is visible and the position hold is reported with a note).
    """

    threshold: float
    direction: Literal[">=", "<=", "abs<="] = ">="
    band: float = 6.0
    min_hold_s: float = 3.0
    bridge_s: float = 0.3
    squeeze_min_change: float | None = None
    min_squeeze_s: float = 1.0


@dataclass(frozen=True)
class FormRule:
    """A declarative technique rule evaluated per rep (or per hold).

    ``measure`` of ``signal`` during ``phase`` compared (``comparator``) with ``threshold``.
    ``side``: ``"working"`` uses the rep's side (the mean of both sides for a bilateral rep),
    ``"each"`` checks left and right separately, ``"axial"`` a whole-body angle. Rules for the
    patient produce ``cue`` in ``ExerciseResult.patient_messages``; rules for the clinician
    produce a :class:`~avnmotion.result.Flag` with ``message``.
    """

    code: str
    signal: str
    measure: Measure
    comparator: Comparator
    threshold: float
    message: str
    source: str
    phase: Phase = "rep"
    side: RuleSide = "working"
    audience: Literal["patient", "clinician"] = "patient"
    cue: str | None = None
    unit: str = "deg"
    severity: Literal["info", "caution", "warning"] = "caution"


@dataclass(frozen=True)
class NormRow:
    """One row of a normative table (``low``/``high`` bound a range, ``value`` a mean)."""

    age_min: int | None = None
    age_max: int | None = None
    sex: Literal["female", "male"] | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    note: str = ""


@dataclass(frozen=True)
class NormativeReference:
    citation: str
    measure: str
    unit: str
    rows: tuple[NormRow, ...] = ()
    better: Literal["higher", "lower"] | None = None
    interpretation: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "citation": self.citation,
            "measure": self.measure,
            "unit": self.unit,
            "better": self.better,
            "interpretation": self.interpretation,
            "note": self.note,
            "rows": [
                {k: v for k, v in row.__dict__.items() if v not in (None, "")} for row in self.rows
            ],
        }


TestMethod = Literal[
    "rom_peak",
    "rom_rotation",
    "five_times",
    "count_in_time",
    "excursion_time",
    "stance_time",
    "delegated",
]


@dataclass(frozen=True)
class TestSpec:
    """How a ROM or function test turns the analysis into ``ExerciseResult.test_result``."""

    __test__ = False  # not a pytest class

    method: TestMethod
    measure: str
    unit: str
    references: tuple[NormativeReference, ...] = ()
    duration_s: float | None = None
    repetitions: int | None = None
    delegated_to: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Tempo:
    """Default slowest-acceptable phase durations (s) when no prescription is given."""

    concentric_s: float | None = None
    eccentric_s: float | None = None


@dataclass(frozen=True)
class ExerciseDefinition:
    id: str
    title: str
    kind: Kind
    measures: str
    views: tuple[ViewSpec, ...]
    cannot_verify: str
    laterality: Laterality = "either"
    weight_bearing: WeightBearing = "none"
    counting: CountingSpec | None = field(default_factory=CountingSpec)
    hold: HoldSpec | None = None
    form_rules: tuple[FormRule, ...] = ()
    tempo: Tempo = field(default_factory=Tempo)
    test: TestSpec | None = None
    requires_protocol: str | None = None
    seated_rotation_test: bool = False
    #: Done in one place (everything but walking tests): hips travelling across the view
    #: mean the clip is probably not this exercise (see ``analysis.WALKING_TRAVEL_LEG_LENGTHS``).
    in_place: bool = True
    references: tuple[str, ...] = ()

    @property
    def view_names(self) -> tuple[str, ...]:
        return tuple(v.view for v in self.views)

    def view_spec(self, view: str) -> ViewSpec | None:
        """The spec for a clip view; a 3-D track sees both planes and prefers the side view."""
        if view == "3d":
            return self.views[0] if self.views else None
        for spec in self.views:
            if spec.view == view:
                return spec
        return None


# -- shared pieces ---------------------------------------------------------------------------
_KNEE_VIDEO = "knee angle from video has ~7 deg typical error, so thresholds leave room for it"

KNEE_VALGUS_RULE = FormRule(
    code="knee_valgus",
    signal="knee_valgus_deg",
    measure="max",
    comparator=">",
    threshold=10.0,
    phase="top",
    side="each",
    message="knee moved inward (valgus) {value:.0f} deg, threshold {threshold:.0f}",
    cue="Keep your knees in line with your toes.",
    source=(
        "2-D frontal plane projection angle (Munro, Herrington & Carolan 2012, J Sport Rehabil "
        "21:7-11); 10 deg is a screening threshold"
    ),
)

_SIT_TO_STAND_VIEWS = (
    ViewSpec(
        "side",
        DriveSignal(
            "knee_flexion_deg", "body", rest_at="high", concentric="decrease", min_amplitude=30.0
        ),
    ),
    ViewSpec(
        "front",
        DriveSignal(
            "hip_height_leg_lengths",
            "body",
            rest_at="low",
            concentric="increase",
            min_amplitude=0.15,
            unit="leg_lengths",
        ),
        note="counted from the vertical travel of the hips; knee angles need a side view",
    ),
)

_ROACH_MILES = (
    "Roach KE, Miles TP (1991). Normal hip and knee active range of motion: the relationship "
    "to age. Phys Ther 71:656-665"
)
_UNVERIFIED = "values quoted from the literature; check against the paper before clinical use"


def _d(**kwargs: Any) -> ExerciseDefinition:
    return ExerciseDefinition(**kwargs)


_DEFINITIONS: tuple[ExerciseDefinition, ...] = (
    # -- programme ---------------------------------------------------------------------------
    _d(
        id="straight_leg_raise",
        title="Straight leg raise (supine)",
        kind="rep",
        measures="reps, hip flexion ROM and peak per rep, knee straightness, tempo, top holds",
        views=(ViewSpec("side", DriveSignal("hip_flexion_deg", min_amplitude=15.0)),),
        laterality="unilateral",
        form_rules=(
            FormRule(
                code="slr_knee_bent",
                signal="knee_flexion_deg",
                measure="max",
                comparator=">",
                threshold=15.0,
                phase="top",
                message="knee bent {value:.0f} deg while the leg was raised, threshold "
                "{threshold:.0f}",
                cue="Keep the knee straight as you lift the leg.",
                source="programme technique criterion (straight knee); " + _KNEE_VIDEO,
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify=(
            "quadriceps pre-tension and low-back position are not visible; the resting leg is "
            "not checked"
        ),
    ),
    _d(
        id="glute_bridge",
        title="Glute bridge",
        kind="rep",
        measures="reps, hip extension excursion (trunk-thigh angle), top holds, tempo",
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "hip_flexion_deg",
                    "body",
                    rest_at="high",
                    concentric="decrease",
                    min_amplitude=15.0,
                ),
            ),
        ),
        laterality="bilateral",
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify=(
            "gluteal versus hamstring or back-muscle effort is not visible; lumbar extension is "
            "not separated from hip extension (trunk-thigh angle)"
        ),
    ),
    _d(
        id="glute_set",
        title="Glute set (isometric)",
        kind="hold",
        measures="time held still in the position",
        views=(
            ViewSpec("side", DriveSignal("hip_flexion_deg", "body", min_amplitude=5.0)),
            ViewSpec("front", DriveSignal("hip_abduction_deg", "body", min_amplitude=5.0)),
        ),
        laterality="bilateral",
        counting=None,
        hold=HoldSpec(
            threshold=25.0,
            direction="abs<=",
            band=5.0,
            min_hold_s=3.0,
            squeeze_min_change=3.0,
        ),
        cannot_verify="position and duration only; the contraction itself is not visible, "
        "so each squeeze is timed by the small change of hip angle it causes (a posterior "
        "pelvic tilt; at least 3 deg), and without one the time in position is reported",
    ),
    _d(
        id="quad_stretch",
        title="Standing quadriceps stretch",
        kind="hold",
        measures="hold durations, knee flexion held, thigh position",
        views=(ViewSpec("side", DriveSignal("knee_flexion_deg", min_amplitude=30.0)),),
        laterality="unilateral",
        weight_bearing="unilateral",
        counting=None,
        hold=HoldSpec(threshold=90.0, direction=">=", band=8.0, min_hold_s=5.0),
        form_rules=(
            FormRule(
                code="quad_stretch_thigh_forward",
                signal="hip_flexion_deg",
                measure="max",
                comparator=">",
                threshold=25.0,
                phase="hold",
                message="thigh {value:.0f} deg forward of the trunk during the stretch, "
                "threshold {threshold:.0f}",
                cue="Keep the bent knee pointing down, in line with the standing leg.",
                source="programme technique criterion; trunk-thigh angle",
            ),
        ),
        cannot_verify=(
            "the stretch felt and pelvic tilt are not visible; hand support on a wall or chair "
            "is not detected"
        ),
    ),
    _d(
        id="adductor_stretch",
        title="Adductor stretch (standing side lunge)",
        kind="hold",
        measures="hold durations, hip abduction held",
        views=(ViewSpec("front", DriveSignal("hip_abduction_deg", min_amplitude=10.0)),),
        laterality="unilateral",
        weight_bearing="bilateral",
        counting=None,
        # A wide standing stance already abducts each hip 20-27 deg (rendered samples and
        # their keys), so the stretched side must be past 32 deg: the lunge brings it to ~43.
        hold=HoldSpec(threshold=32.0, direction=">=", band=3.0, min_hold_s=5.0),
        cannot_verify="the stretch felt and foot rotation are not visible",
    ),
    _d(
        id="hamstring_curl",
        title="Standing hamstring curl",
        kind="rep",
        measures="reps, knee flexion ROM and peak per rep, thigh stillness, tempo",
        views=(ViewSpec("side", DriveSignal("knee_flexion_deg", min_amplitude=20.0)),),
        laterality="unilateral",
        weight_bearing="unilateral",
        form_rules=(
            # The thigh swinging forward, measured from where it was at the start of the rep:
            # a clean curl moves the trunk-thigh angle through about 16 deg too (it extends,
            # then returns; sample key), so its range cannot tell the fault. Sample clip:
            # clean reps rise 2-5 deg, the rep with a 17 deg forward swing 10 deg (MediaPipe
            # reads the swing short).
            FormRule(
                code="hamstring_curl_hip_flexion",
                signal="hip_flexion_deg",
                measure="rise",
                comparator=">",
                threshold=8.0,
                message="hip flexed {value:.0f} deg beyond its position at the start of the "
                "curl (the thigh swung forward), threshold {threshold:.0f}",
                cue="Keep the thigh still and in line with the standing leg; bend only the knee.",
                source="programme technique criterion; trunk-thigh angle (5 deg video error)",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="ankle weight and hand support are not detected",
    ),
    _d(
        id="leg_extension",
        title="Seated leg extension",
        kind="rep",
        measures="reps, knee extension ROM per rep, trunk stillness, tempo",
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "knee_flexion_deg", rest_at="high", concentric="decrease", min_amplitude=20.0
                ),
            ),
        ),
        laterality="unilateral",
        # MediaPipe reads the seated knee's full extension 15-20 deg short (26 deg for a true
        # 7 deg on the sample clip) but a half extension about right, so a half rep reaches
        # 0.67 of the set's measured range (full reps 1.03-1.14): a rep must reach 0.75.
        counting=CountingSpec(enter_frac=0.75),
        form_rules=(
            FormRule(
                code="trunk_swing",
                signal="trunk_forward_lean_deg",
                measure="range",
                comparator=">",
                threshold=10.0,
                side="axial",
                message="trunk rocked through {value:.0f} deg during the rep, threshold "
                "{threshold:.0f}",
                cue="Sit still and move only the lower leg.",
                source="programme technique criterion (4 deg video error of trunk lean)",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="resistance (ankle weight or machine load) is not visible",
    ),
    _d(
        id="leg_press",
        title="Leg press",
        kind="rep",
        measures="reps, knee flexion ROM per rep (depth), tempo; hip flexion for precautions",
        # Rest between reps is with the knees bent (sled at its stops, or feet against the
        # wall); a rep pushes out to extension (concentric) and returns. A short push is the
        # partial rep.
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "knee_flexion_deg",
                    "body",
                    rest_at="high",
                    concentric="decrease",
                    min_amplitude=20.0,
                ),
            ),
        ),
        laterality="bilateral",
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="machine load and how it is shared between the legs are not visible",
    ),
    _d(
        id="squat",
        title="Squat (including mini squats)",
        kind="rep",
        measures=(
            "reps (any depth, mini squats included); depth in degrees from the side; knee "
            "valgus from the front; tempo"
        ),
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "knee_flexion_deg",
                    "body",
                    rest_at="low",
                    concentric="decrease",
                    min_amplitude=10.0,
                ),
            ),
            ViewSpec(
                "front",
                DriveSignal(
                    "hip_height_leg_lengths",
                    "body",
                    rest_at="high",
                    concentric="increase",
                    min_amplitude=0.04,
                    unit="leg_lengths",
                ),
                note="counted from the vertical travel of the hips; depth in degrees needs a "
                "side view",
            ),
        ),
        laterality="bilateral",
        weight_bearing="bilateral",
        form_rules=(KNEE_VALGUS_RULE,),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="how weight is shared between the legs is not visible",
    ),
    _d(
        id="sit_to_stand",
        title="Sit to stand",
        kind="rep",
        measures="reps, rise and sit-down durations, knee valgus from the front",
        views=_SIT_TO_STAND_VIEWS,
        laterality="bilateral",
        weight_bearing="bilateral",
        form_rules=(KNEE_VALGUS_RULE,),
        # The knee bends in the middle of a sit-down, so its measured (5-90 %) time is about
        # a third of the whole descent: 0.47 s for a 1.5 s sit-down on the sample clip and on
        # its true angles alike. 0.3 s is a sit-down of about 1 s or less (dropping into the
        # chair).
        tempo=Tempo(eccentric_s=0.3),
        cannot_verify="use of the hands on the thighs or the chair is not detected",
    ),
    _d(
        id="hip_abduction",
        title="Hip abduction (standing or side-lying)",
        kind="rep",
        measures="reps, hip abduction ROM and peak per rep, pelvic hitching, trunk lean, tempo",
        views=(ViewSpec("front", DriveSignal("hip_abduction_deg", min_amplitude=8.0)),),
        laterality="unilateral",
        weight_bearing="unilateral",
        form_rules=(
            FormRule(
                code="hip_hitching",
                signal="pelvic_obliquity_deg",
                measure="range",
                comparator=">",
                threshold=8.0,
                side="axial",
                message="pelvis tilted through {value:.0f} deg during the rep (hip hitching), "
                "threshold {threshold:.0f}",
                cue="Keep your pelvis level: lift from the hip, not the waist.",
                source="programme technique criterion (3 deg video error of pelvic obliquity)",
            ),
            FormRule(
                code="trunk_lateral_lean",
                signal="trunk_lateral_lean_deg",
                measure="range",
                comparator=">",
                threshold=10.0,
                side="axial",
                message="trunk leaned sideways through {value:.0f} deg during the rep, "
                "threshold {threshold:.0f}",
                cue="Keep your trunk upright; do not lean to the side.",
                source="programme technique criterion",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="resistance (band or weight) is not visible; hip rotation is not measured",
    ),
    _d(
        id="biceps_curl",
        title="Biceps curl",
        kind="rep",
        measures="reps, elbow flexion ROM per rep, trunk swing, tempo",
        views=(
            ViewSpec(
                "side",
                DriveSignal("elbow_flexion_deg", min_amplitude=30.0),
            ),
        ),
        form_rules=(
            FormRule(
                code="trunk_swing",
                signal="trunk_forward_lean_deg",
                measure="range",
                comparator=">",
                threshold=10.0,
                side="axial",
                message="trunk swung through {value:.0f} deg during the curl, threshold "
                "{threshold:.0f}",
                cue="Keep your body still; move only the forearm.",
                source="programme technique criterion (4 deg video error of trunk lean)",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="the weight lifted is not visible; from the front the forearm moves "
        "towards the camera, so curls are analysed from the side only",
    ),
    _d(
        id="shoulder_press",
        title="Shoulder press",
        kind="rep",
        measures="reps, elbow extension ROM per rep, back arching (side view), tempo",
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "elbow_flexion_deg", rest_at="high", concentric="decrease", min_amplitude=30.0
                ),
                note="side view assumes a neutral-grip press with the elbows forward",
            ),
            ViewSpec(
                "front",
                DriveSignal(
                    "elbow_flexion_deg", rest_at="high", concentric="decrease", min_amplitude=30.0
                ),
                note="back arching needs a side view",
            ),
        ),
        form_rules=(
            FormRule(
                code="back_arching",
                signal="trunk_forward_lean_deg",
                measure="min",
                comparator="<",
                threshold=-10.0,
                phase="top",
                side="axial",
                message="trunk leaned back {value:.0f} deg while pressing, threshold "
                "{threshold:.0f}",
                cue="Keep your back straight; do not lean back as you press.",
                source="programme technique criterion (4 deg video error of trunk lean)",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="the weight lifted is not visible",
    ),
    _d(
        id="lateral_raise",
        title="Lateral raise",
        kind="rep",
        measures="reps, shoulder abduction ROM and peak per rep, trunk sway, tempo",
        views=(ViewSpec("front", DriveSignal("shoulder_abduction_deg", min_amplitude=20.0)),),
        form_rules=(
            FormRule(
                code="raise_above_shoulder",
                signal="shoulder_abduction_deg",
                measure="max",
                comparator=">",
                threshold=110.0,
                phase="top",
                message="arm raised to {value:.0f} deg abduction, threshold {threshold:.0f}",
                cue="Lift the arms only to shoulder height.",
                source="programme instruction (raise to shoulder height, 90 deg; 20 deg margin)",
            ),
            FormRule(
                code="trunk_sway",
                signal="trunk_lateral_lean_deg",
                measure="range",
                comparator=">",
                threshold=10.0,
                side="axial",
                message="trunk swayed sideways through {value:.0f} deg, threshold {threshold:.0f}",
                cue="Keep your body still while you lift.",
                source="programme technique criterion",
            ),
        ),
        tempo=Tempo(concentric_s=0.5, eccentric_s=0.5),
        cannot_verify="the weight lifted is not visible",
    ),
    # -- ROM tests ---------------------------------------------------------------------------
    _d(
        id="rom_hip_flexion",
        title="Hip flexion range of movement (supine or standing)",
        kind="rom_test",
        measures="peak hip flexion per side (sustained for 0.25 s), attempts",
        views=(ViewSpec("side", DriveSignal("hip_flexion_deg", min_amplitude=15.0)),),
        laterality="unilateral",
        test=TestSpec(
            method="rom_peak",
            measure="hip_flexion_deg",
            unit="deg",
            note=(
                "trunk-thigh angle, not pelvis-referenced: it includes posterior pelvic tilt, "
                "so it can exceed goniometric hip flexion (by about 10 deg or more at end range)"
            ),
            references=(
                NormativeReference(
                    citation=_ROACH_MILES,
                    measure="active hip flexion, adults 25-74",
                    unit="deg",
                    rows=(NormRow(value=121.0, note="mean, SD 13"),),
                    better="higher",
                    note=_UNVERIFIED,
                ),
            ),
        ),
        cannot_verify="pelvic tilt and low-back flexion are not separated from hip flexion",
    ),
    _d(
        id="rom_hip_abduction",
        title="Hip abduction range of movement",
        kind="rom_test",
        measures="peak hip abduction per side, knee straight: the hip-ankle line against the "
        "trunk line (leg_abduction_deg), sustained for 0.25 s",
        views=(ViewSpec("front", DriveSignal("leg_abduction_deg", min_amplitude=8.0)),),
        laterality="unilateral",
        test=TestSpec(
            method="rom_peak",
            measure="leg_abduction_deg",
            unit="deg",
            references=(
                NormativeReference(
                    citation=_ROACH_MILES,
                    measure="active hip abduction, adults 25-74",
                    unit="deg",
                    rows=(NormRow(value=42.0, note="mean, SD 11"),),
                    better="higher",
                    note=_UNVERIFIED,
                ),
            ),
        ),
        cannot_verify="hip rotation during the movement is not measured; the angle is referenced "
        "to the trunk, not the pelvis, so hip hiking with the trunk held upright adds to it "
        "(MediaPipe's hip-hip line is too short a lever to measure pelvic tilt), and a bent "
        "knee changes it",
    ),
    _d(
        id="rom_hip_rotation",
        title="Hip rotation range of movement (seated, hips and knees at 90 deg)",
        kind="rom_test",
        measures="peak internal and external rotation per side (shank angle, seated test)",
        views=(
            ViewSpec(
                "front",
                DriveSignal("hip_internal_rotation_deg", min_amplitude=8.0),
                note="seated, hips and knees at 90 deg, camera in front",
            ),
        ),
        laterality="unilateral",
        counting=None,
        seated_rotation_test=True,
        test=TestSpec(
            method="rom_rotation",
            measure="hip_internal_rotation_deg",
            unit="deg",
            note="shank angle from vertical in the seated test position; thigh rotation is "
            "assumed to equal hip rotation",
            references=(
                NormativeReference(
                    citation=(
                        "Kouyoumdjian P et al. (2012). Clinical evaluation of hip joint rotation "
                        "range of motion in adults. Orthop Traumatol Surg Res 98:17-23"
                    ),
                    measure="seated hip rotation, adults 20-60",
                    unit="deg",
                    rows=(
                        NormRow(value=37.9, note="internal rotation, mean"),
                        NormRow(value=78.5, note="total rotation arc, mean"),
                    ),
                    better="higher",
                ),
            ),
        ),
        cannot_verify="the thigh must stay still; trunk shifts and pelvic lift are not checked",
    ),
    # -- function tests ----------------------------------------------------------------------
    _d(
        id="timed_up_and_go",
        title="Timed Up and Go",
        kind="timed_test",
        in_place=False,
        measures="time from rising off the chair to sitting back down",
        views=(
            ViewSpec(
                "side",
                DriveSignal(
                    "knee_flexion_deg",
                    "body",
                    rest_at="high",
                    concentric="decrease",
                    min_amplitude=30.0,
                ),
            ),
            ViewSpec(
                "front",
                DriveSignal(
                    "hip_height_torso_lengths",
                    "body",
                    rest_at="low",
                    concentric="increase",
                    min_amplitude=0.3,
                    unit="torso_lengths",
                ),
                note="seated/standing from hip height relative to torso length",
            ),
        ),
        laterality="bilateral",
        weight_bearing="bilateral",
        counting=CountingSpec(min_rep_s=2.0, window_s=60.0, rest_gap_s=1e9),
        test=TestSpec(
            method="excursion_time",
            measure="time_s",
            unit="s",
            references=(
                NormativeReference(
                    citation=(
                        "Bohannon RW (2006). Reference values for the timed up and go test: a "
                        "descriptive meta-analysis. J Geriatr Phys Ther 29:64-68"
                    ),
                    measure="TUG time, community-dwelling elders",
                    unit="s",
                    rows=(
                        NormRow(60, 69, value=8.1, low=7.1, high=9.0, note="mean (95% CI)"),
                        NormRow(70, 79, value=9.2, low=8.2, high=10.2, note="mean (95% CI)"),
                        NormRow(80, 99, value=11.3, low=10.0, high=12.7, note="mean (95% CI)"),
                    ),
                    better="lower",
                    interpretation="times above the upper confidence limit of the age group "
                    "are worse than average",
                ),
            ),
            note="timing starts at the first visible rise (not at a 'go' command); the 3 m "
            "distance is not verified",
        ),
        cannot_verify="the 3 m walking distance, chair height and walking-aid use",
    ),
    _d(
        id="five_times_sit_to_stand",
        title="Five times sit to stand",
        kind="timed_test",
        measures="time for five stands (to the fifth sit-down, and to the fifth stand)",
        views=_SIT_TO_STAND_VIEWS,
        laterality="bilateral",
        weight_bearing="bilateral",
        counting=CountingSpec(min_rep_s=0.3),
        test=TestSpec(
            method="five_times",
            measure="time_s",
            unit="s",
            repetitions=5,
            references=(
                NormativeReference(
                    citation=(
                        "Bohannon RW (2006). Reference values for the five-repetition "
                        "sit-to-stand test: a descriptive meta-analysis of data from elders. "
                        "Percept Mot Skills 103:215-222"
                    ),
                    measure="five-repetition sit-to-stand time",
                    unit="s",
                    rows=(
                        NormRow(60, 69, high=11.4),
                        NormRow(70, 79, high=12.6),
                        NormRow(80, 89, high=14.8),
                    ),
                    better="lower",
                    interpretation="times above the age group's value are worse than average",
                ),
                NormativeReference(
                    citation=(
                        "Whitney SL et al. (2005). Clinical measurement of sit-to-stand "
                        "performance in people with balance disorders: validity of data for the "
                        "Five-Times-Sit-to-Stand Test. Phys Ther 85:1034-1045"
                    ),
                    measure="procedure: 43 cm chair, arms folded, as fast as possible; timing "
                    "ends when the buttocks touch the chair after the fifth stand",
                    unit="s",
                ),
            ),
            note="timing runs from the onset of trunk flexion before the first rise (side view; "
            "the first rise from the front), not from a 'go' command, to the fifth sit",
        ),
        cannot_verify="chair height and arm use (arms should stay folded) are not verified",
    ),
    _d(
        id="thirty_second_chair_stand",
        title="30-second chair stand",
        kind="timed_test",
        measures="full stands within 30 s of the first rise",
        views=_SIT_TO_STAND_VIEWS,
        laterality="bilateral",
        weight_bearing="bilateral",
        counting=CountingSpec(min_rep_s=0.3),
        test=TestSpec(
            method="count_in_time",
            measure="stands",
            unit="count",
            duration_s=30.0,
            references=(
                NormativeReference(
                    citation=(
                        "Rikli RE, Jones CJ (1999). Functional fitness normative scores for "
                        "community-residing older adults, ages 60-94. J Aging Phys Act 7:162-181"
                    ),
                    measure="stands in 30 s, normal range (25th-75th percentile)",
                    unit="count",
                    rows=tuple(
                        NormRow(a, b, sex, low=lo, high=hi)  # type: ignore[arg-type]
                        for sex, table in (
                            (
                                "female",
                                (
                                    (60, 64, 12, 17),
                                    (65, 69, 11, 16),
                                    (70, 74, 10, 15),
                                    (75, 79, 10, 15),
                                    (80, 84, 9, 14),
                                    (85, 89, 8, 13),
                                    (90, 94, 4, 11),
                                ),
                            ),
                            (
                                "male",
                                (
                                    (60, 64, 14, 19),
                                    (65, 69, 12, 18),
                                    (70, 74, 12, 17),
                                    (75, 79, 11, 17),
                                    (80, 84, 10, 15),
                                    (85, 89, 8, 14),
                                    (90, 94, 7, 12),
                                ),
                            ),
                        )
                        for a, b, lo, hi in table
                    ),
                    better="higher",
                    interpretation="below the range is below average for age and sex",
                ),
            ),
            note="a stand more than halfway up at 30 s counts (Rikli & Jones); timing starts at "
            "the onset of trunk flexion before the first rise (side view; the first rise from "
            "the front)",
        ),
        cannot_verify="chair height and arm use (arms should stay folded) are not verified",
    ),
    _d(
        id="single_leg_stance",
        title="Single-leg stance (eyes open)",
        kind="timed_test",
        measures="longest time standing on each leg with the other foot off the ground",
        views=(
            ViewSpec(
                "side",
                DriveSignal("foot_lift_leg_lengths", min_amplitude=0.05, unit="leg_lengths"),
            ),
            ViewSpec(
                "front",
                DriveSignal("foot_lift_leg_lengths", min_amplitude=0.05, unit="leg_lengths"),
            ),
        ),
        laterality="unilateral",
        weight_bearing="unilateral",
        counting=None,
        requires_protocol="single_leg_stance_allowed",
        test=TestSpec(
            method="stance_time",
            measure="stance_time_s",
            unit="s",
            references=(
                NormativeReference(
                    citation=(
                        "Springer BA et al. (2007). Normative values for the unipedal stance "
                        "test with eyes open and closed. J Geriatr Phys Ther 30:8-15"
                    ),
                    measure="eyes-open unipedal stance, best of 3 trials",
                    unit="s",
                    rows=tuple(
                        NormRow(a, b, sex, value=v)  # type: ignore[arg-type]
                        for sex, table in (
                            (
                                "female",
                                (
                                    (18, 39, 45.1),
                                    (40, 49, 42.1),
                                    (50, 59, 40.9),
                                    (60, 69, 30.4),
                                    (70, 79, 16.7),
                                    (80, 99, 10.6),
                                ),
                            ),
                            (
                                "male",
                                (
                                    (18, 39, 44.4),
                                    (40, 49, 41.6),
                                    (50, 59, 41.5),
                                    (60, 69, 33.8),
                                    (70, 79, 25.9),
                                    (80, 99, 8.7),
                                ),
                            ),
                        )
                        for a, b, v in table
                    ),
                    better="higher",
                    note=_UNVERIFIED + "; trials were capped at 45 s",
                ),
            ),
            note="only when the protocol allows single-leg stance",
        ),
        cannot_verify="eyes open or closed, and support from a hand, wall or rail, are not "
        "detected",
    ),
    _d(
        id="gait_speed",
        title="Gait speed over a known distance",
        kind="timed_test",
        in_place=False,
        measures="walking speed (delegated to the gait analysis)",
        views=(
            ViewSpec("side", DriveSignal("hip_height_leg_lengths", "body", unit="leg_lengths")),
        ),
        laterality="bilateral",
        weight_bearing="bilateral",
        counting=None,
        test=TestSpec(
            method="delegated",
            measure="gait_speed_m_per_s",
            unit="m/s",
            delegated_to="gait",
            references=(
                NormativeReference(
                    citation=(
                        "Bohannon RW, Williams Andrews A (2011). Normal walking speed: a "
                        "descriptive meta-analysis. Physiotherapy 97:182-189"
                    ),
                    measure="comfortable gait speed by age and sex",
                    unit="m/s",
                ),
            ),
            note="delegated to gait analysis: run the 'gait' task (with the subject's height "
            "for metric speed)",
        ),
        cannot_verify="the walked distance is not measured from video without a known scale",
    ),
)

#: Every definition by id (the pipeline lists these as valid tasks).
EXERCISES: dict[str, ExerciseDefinition] = {d.id: d for d in _DEFINITIONS}


def get_definition(exercise_id: str) -> ExerciseDefinition:
    """The definition for ``exercise_id``; an unknown id raises an error listing valid ids."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise AvnInputError(
            f"unknown exercise {exercise_id!r}; valid ids: {', '.join(sorted(EXERCISES))}"
        ) from None


def _views_text(d: ExerciseDefinition) -> str:
    names = {"side": "side view", "front": "front view"}
    return " or ".join(names[v] for v in d.view_names)


def list_exercises() -> list[dict[str, Any]]:
    """What each exercise measures, the camera view it needs and what it cannot verify."""
    out = []
    for d in _DEFINITIONS:
        view_notes = {v.view: v.note for v in d.views if v.note}
        entry: dict[str, Any] = {
            "id": d.id,
            "title": d.title,
            "kind": d.kind,
            "measures": d.measures,
            "camera": _views_text(d),
            "view": " or ".join(d.view_names),
            "views": list(d.view_names),
            "view_notes": view_notes,
            "cannot_verify": d.cannot_verify,
        }
        if d.test is not None:
            entry["references"] = [r.citation for r in d.test.references]
            if d.test.delegated_to:
                entry["delegated_to"] = d.test.delegated_to
        if d.requires_protocol:
            entry["requires_protocol"] = d.requires_protocol
        out.append(entry)
    return out
