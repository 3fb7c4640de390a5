"""The patient's protocol: what the loading observations are judged against.

A protocol is entered by the clinician. Hip-replacement approaches only pre-fill default
precautions (:func:`default_precautions`); the clinician's list is what counts. Precautions past
their ``until_date`` raise nothing. Precautions after hip replacement do not apply to
pre-collapse AVN, where the concerns are weight bearing on the affected side, impact and fast
uncontrolled loading.

References
----------
Barnsley, L. et al. (2015). Hip precautions after total hip replacement: a systematic review.
Smith, T. O. et al. (2012). Hip precautions following THR: physiotherapy practice, Physiotherapy 98.
Mont, M. A. et al. (2015). The natural history of untreated asymptomatic osteonecrosis of the
femoral head, J Bone Joint Surg Am 97. (Protected weight bearing in pre-collapse AVN.)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from avnmotion.errors import AvnInputError

Stage = Literal[
    "pre_collapse", "post_collapse", "after_core_decompression", "after_hip_replacement"
]
WeightBearing = Literal["non", "toe_touch", "partial", "as_tolerated", "full"]
Approach = Literal["posterior", "anterior", "lateral_abductor_repair"]
Movement = Literal[
    "hip_flexion",
    "hip_extension",
    "hip_adduction",
    "hip_abduction_resisted",
    "hip_internal_rotation",
    "hip_external_rotation",
    "single_leg_stance",
    "impact",
]

#: Movements judged without an angle limit (resisted abduction: any active abduction above
#: 15 deg, see :mod:`avnmotion.exercises.loading`).
NO_ANGLE_LIMIT = frozenset({"single_leg_stance", "impact", "hip_abduction_resisted"})


class Precaution(BaseModel):
    """A movement limit entered by the clinician.

    ``limit_deg`` is the angle beyond which the movement is flagged (e.g. hip flexion 90);
    movements without an angle (impact, single-leg stance) leave it empty.
    """

    model_config = ConfigDict(extra="forbid")

    movement: Movement
    limit_deg: float | None = Field(None, ge=-90, le=180, allow_inf_nan=False)
    side: Literal["left", "right", "both"] = "both"
    until_date: dt.date | None = None
    source: str = "clinician-entered precaution"

    @model_validator(mode="after")
    def _limit_applies(self) -> Precaution:
        # A limit the analysis would ignore must not look as if it were checked.
        if self.limit_deg is not None and self.movement in NO_ANGLE_LIMIT:
            raise ValueError(
                f"limit_deg does not apply to {self.movement} (it is judged without an angle "
                "limit); leave it empty"
            )
        return self

    def active_on(self, day: dt.date) -> bool:
        return self.until_date is None or day <= self.until_date


class PatientProtocol(BaseModel):
    """The patient's clinical protocol (affected side, stage, weight bearing, precautions)."""

    model_config = ConfigDict(extra="forbid")

    affected_side: Literal["left", "right", "both"] | None = None
    stage: Stage | None = None
    weight_bearing: WeightBearing | None = None
    replacement_approach: Approach | None = None
    precautions: list[Precaution] = Field(default_factory=list)
    single_leg_stance_allowed: bool | None = None

    def active_precautions(self, day: dt.date | None = None) -> list[Precaution]:
        day = day or dt.date.today()
        return [p for p in self.precautions if p.active_on(day)]


def default_precautions(
    approach: Approach, side: Literal["left", "right", "both"], until_date: dt.date | None = None
) -> list[Precaution]:
    """Conventional precautions after hip replacement, to pre-fill the clinician's form.

    Posterior: flexion past 90 deg, adduction past midline, internal rotation. Anterior:
    extension past neutral, external rotation. Lateral with abductor repair: resisted
    abduction.
    """
    src = f"default precautions after {approach.replace('_', ' ')} approach hip replacement"
    table: dict[str, list[tuple[Movement, float | None]]] = {
        "posterior": [
            ("hip_flexion", 90.0),
            ("hip_adduction", 0.0),
            ("hip_internal_rotation", 0.0),
        ],
        "anterior": [("hip_extension", 0.0), ("hip_external_rotation", 0.0)],
        "lateral_abductor_repair": [("hip_abduction_resisted", None)],
    }
    return [
        Precaution(movement=m, limit_deg=lim, side=side, until_date=until_date, source=src)
        for m, lim in table[approach]
    ]


def load_protocol(path: str | Path) -> PatientProtocol:
    """Read a protocol JSON file with a one-line error naming every problem."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise AvnInputError(f"{path}: protocol file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AvnInputError(f"{path}: not a JSON protocol file ({exc})") from None
    try:
        return PatientProtocol.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'protocol'}: {e['msg']}" for e in exc.errors()
        )
        raise AvnInputError(f"{path}: invalid protocol: {problems}") from None
