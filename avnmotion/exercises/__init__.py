"""Exercise analysis: declarative definitions, rep counting, form, tests and loading.

Public API
----------
* :func:`analyze_exercise` — one exercise or test on one clip -> ``(ExerciseResult, flags,
  quality warnings)`` (what the pipeline calls).
* :func:`list_exercises`, :func:`get_definition`, :data:`EXERCISES` — the registry.
* :class:`RepCounter`, :func:`count_reps`, :class:`CountParams` — counting; the incremental
  counter gives the same events as the offline count on the same frames (live path).
  :func:`counting_plan` (view spec, driving signal, side(s), thresholds), :func:`counting_values`
  and :func:`counting_rate_hz` are what a live session needs to feed the same counter.
* :func:`adherence` — prescription adherence; :func:`loading_observations` — protocol checks.

Flags are observations for the clinician; no flag never means "safe".
"""

from avnmotion.exercises.analysis import (
    CountingPlan,
    analyze_exercise,
    counting_plan,
    counting_values,
)
from avnmotion.exercises.counting import (
    CountParams,
    RepCounter,
    RepEvent,
    count_reps,
    counting_rate_hz,
)
from avnmotion.exercises.loading import loading_observations
from avnmotion.exercises.prescription import adherence, validate_prescription
from avnmotion.exercises.registry import (
    EXERCISES,
    ExerciseDefinition,
    get_definition,
    list_exercises,
)

__all__ = [
    "EXERCISES",
    "CountParams",
    "CountingPlan",
    "ExerciseDefinition",
    "RepCounter",
    "RepEvent",
    "adherence",
    "analyze_exercise",
    "count_reps",
    "counting_plan",
    "counting_rate_hz",
    "counting_values",
    "get_definition",
    "list_exercises",
    "loading_observations",
    "validate_prescription",
]
