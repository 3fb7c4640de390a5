"""Symmetry indices between the right and left sides.

.. math::

    SI = \\frac{R - L}{\\tfrac12 (R + L)} \\times 100 \\quad (\\%)

(Robinson et al. 1987). Positive SI means the right value is larger. The index is computed
from the per-side means, only for positive quantities (durations, lengths, excursions) and is
null with a reason when the denominator is near zero or a side has no value. ``lower_side``
is the side with the smaller value; ``symmetric`` is ``|SI| <= cutoff`` (10 % by default, a
common if arbitrary cutoff). The spread ``si_sd_pct`` is the SD of the SI of per-stride pairs:
right and left values of the same walking pass paired one to one with the smallest total
start-time gap (an optimal assignment, no pair further apart than a median stride).

Parameters: stance, single support and swing time (per phase: two consecutive events of one
foot; single support of A is B's swing, see :mod:`avnmotion.gait.parameters`), step time and
step length (per step, named after the landing foot), and hip excursion (range of hip flexion
over the stride). Pairs for the spread are formed the same way from phases, steps or strides;
when only the near leg's phases are used (side-view video), the two sides' phases come from
alternate passes and are paired across passes, up to five median strides apart.

References
----------
Robinson, R. O., Herzog, W., & Nigg, B. M. (1987). Use of force platform variables to quantify
the effects of chiropractic manipulation on gait symmetry. J Manipulative Physiol Ther 10(4),
172-176.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from avnmotion.gait.parameters import GaitParameters, Step, Stride, hip_stride_measures, other
from avnmotion.kinematics import Kinematics
from avnmotion.result import SymmetryIndex

#: Symmetry parameters: name -> (where the value lives, key).
SYMMETRY_PARAMETERS: dict[str, tuple[str, str]] = {
    "stance_time_s": ("phase", "stance"),
    "single_support_time_s": ("phase", "single_support"),
    "swing_time_s": ("phase", "swing"),
    "step_time_s": ("step", "step_time_s"),
    "step_length": ("step", "length"),
    "hip_excursion_deg": ("hip", "excursion"),
}

#: Pairing distance for near-leg-only phases, in median stride times (the other side's
#: near phases are on the next pass, a few strides away).
NEAR_ONLY_PAIR_STRIDES = 5.0

#: Denominators below this share of the larger side count as "near zero".
_EPS = 1e-9


def symmetry_index(right: float | None, left: float | None) -> tuple[float | None, str | None]:
    """SI in % and None, or None and the reason it is undefined."""
    if right is None or left is None or not np.isfinite(right) or not np.isfinite(left):
        return None, "no value on one side"
    if right <= 0 or left <= 0:
        return None, "only defined for positive quantities"
    den = 0.5 * (right + left)
    if den < _EPS:
        return None, "denominator near zero"
    return 100.0 * (right - left) / den, None


def _values(
    params: GaitParameters, kin: Kinematics | None, where: str, key: str
) -> dict[str, list[tuple[float, int, float]]]:
    """Per side: (start time, pass, value) per stride or step."""
    out: dict[str, list[tuple[float, int, float]]] = {"left": [], "right": []}
    if where == "phase":
        for p in params.phases:
            # Near-leg phases of the two sides come from alternate passes: pair across them.
            pass_id = 0 if params.phases_near_only else p.pass_id
            if key == "single_support" and p.kind == "swing":
                # A's single support is B's swing.
                out[other(p.side)].append((p.start_s, pass_id, p.duration_s))
            elif p.kind == key:
                out[p.side].append((p.start_s, pass_id, p.duration_s))
    elif where == "step":
        for st in params.steps:
            v = st.step_time_s if key == "step_time_s" else st.length
            if v is not None:
                out[st.side].append((st.start_s, st.pass_id, float(v)))
    else:
        for s in params.strides:
            exc, _ = hip_stride_measures(kin, s)
            if exc is not None:
                out[s.side].append((s.start_s, s.pass_id, exc))
    return out


def _pairs(
    right: list[tuple[float, int, float]], left: list[tuple[float, int, float]], max_gap_s: float
) -> list[tuple[float, float]]:
    """Pair right and left values of the same pass, each used once, with the smallest total
    start-time gap (an optimal assignment; pairs further apart than ``max_gap_s`` are not
    pairs)."""
    if not right or not left:
        return []
    t_r = np.array([r[0] for r in right])
    t_l = np.array([v[0] for v in left])
    same = np.array([r[1] for r in right])[:, None] == np.array([v[1] for v in left])[None, :]
    gap = np.abs(t_r[:, None] - t_l[None, :])
    ok = same & (gap <= max_gap_s * (1 + 1e-9))
    cost = np.where(ok, gap, 1e6)  # not-allowed pairs cost more than any allowed set
    rows, cols = linear_sum_assignment(cost)
    return [(right[i][2], left[j][2]) for i, j in zip(rows, cols, strict=True) if ok[i, j]]


def compute_symmetry(
    params: GaitParameters,
    kin: Kinematics | None = None,
    *,
    cutoff_pct: float = 10.0,
) -> list[SymmetryIndex]:
    """Symmetry indices of :data:`SYMMETRY_PARAMETERS`; see the module docstring."""
    out: list[SymmetryIndex] = []
    strides: list[Stride] = params.strides
    steps: list[Step] = params.steps
    typical = [s.stride_time_s for s in strides] or [st.step_time_s * 2 for st in steps] or [2.0]
    max_gap = float(np.median(typical))
    near_only = params.phases_near_only
    for name, (where, key) in SYMMETRY_PARAMETERS.items():
        vals = _values(params, kin, where, key)
        r = float(np.mean([v for *_, v in vals["right"]])) if vals["right"] else None
        lft = float(np.mean([v for *_, v in vals["left"]])) if vals["left"] else None
        si, reason = symmetry_index(r, lft)
        # Near-leg phases: the other side's nearest ones are a pass away (a few strides).
        gap = NEAR_ONLY_PAIR_STRIDES * max_gap if where == "phase" and near_only else max_gap
        pairs = _pairs(vals["right"], vals["left"], gap)
        per_pair = [symmetry_index(a, b)[0] for a, b in pairs]
        per_pair_ok = [p for p in per_pair if p is not None]
        sd = float(np.std(per_pair_ok, ddof=1)) if len(per_pair_ok) > 1 else None
        lower: Any = None
        if si is not None and r is not None and lft is not None and r != lft:
            lower = "right" if r < lft else "left"
        out.append(
            SymmetryIndex(
                parameter=name,
                si_pct=None if si is None else round(si, 2),
                si_sd_pct=None if sd is None else round(sd, 2),
                n_pairs=len(per_pair_ok),
                lower_side=lower,
                symmetric=None if si is None else bool(abs(si) <= cutoff_pct),
                cutoff_pct=cutoff_pct,
                reason=reason,
            )
        )
    return out
