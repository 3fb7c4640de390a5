"""Symmetry indices between the right and left sides.

.. math::

    SI = \\frac{R - L}{\\tfrac12 (R + L)} \\times 100 \\quad (\\%)

(Robinson et al. 1987). Positive SI means the right value is larger. The index is computed
from the per-side means, only for positive quantities (durations, lengths, excursions) and is
null with a reason when the denominator is near zero or a side has no value. ``lower_side``
is the side with the smaller value; ``symmetric`` is ``|SI| <= cutoff`` (10 % by default, a
common if arbitrary cutoff). The spread ``si_sd_pct`` is the SD of the SI of per-stride pairs:
each stride of one side paired with the stride of the other side that starts nearest in time
in the same walking pass (each used once).

Parameters: stance, single support and swing time (per stride of that side), step time and
step length (per step, named after the landing foot), and hip excursion (range of hip flexion
over the stride).

References
----------
Robinson, R. O., Herzog, W., & Nigg, B. M. (1987). Use of force platform variables to quantify
the effects of chiropractic manipulation on gait symmetry. J Manipulative Physiol Ther 10(4),
172-176.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from avnmotion.gait.parameters import GaitParameters, Step, Stride, hip_stride_measures
from avnmotion.kinematics import Kinematics
from avnmotion.result import SymmetryIndex

#: Symmetry parameters: name -> (where the value lives, key).
SYMMETRY_PARAMETERS: dict[str, tuple[str, str]] = {
    "stance_time_s": ("stride", "stance_time_s"),
    "single_support_time_s": ("stride", "single_support_time_s"),
    "swing_time_s": ("stride", "swing_time_s"),
    "step_time_s": ("step", "step_time_s"),
    "step_length": ("step", "length"),
    "hip_excursion_deg": ("hip", "excursion"),
}

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
    if where == "stride":
        for s in params.strides:
            v = s.phases().get(key)
            if v is not None:
                out[s.side].append((s.start_s, s.pass_id, float(v)))
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
    """Pair each right value with the unused left value nearest in time in the same pass."""
    used: set[int] = set()
    pairs: list[tuple[float, float]] = []
    for t_r, p_r, v_r in right:
        best, best_gap = None, max_gap_s * (1 + 1e-9)
        for j, (t_l, p_l, _) in enumerate(left):
            if j in used or p_l != p_r:
                continue
            gap = abs(t_l - t_r)
            if gap < best_gap:  # strict: on a tie the earlier stride wins
                best, best_gap = j, gap
        if best is not None:
            used.add(best)
            pairs.append((v_r, left[best][2]))
    return pairs


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
    for name, (where, key) in SYMMETRY_PARAMETERS.items():
        vals = _values(params, kin, where, key)
        r = float(np.mean([v for *_, v in vals["right"]])) if vals["right"] else None
        lft = float(np.mean([v for *_, v in vals["left"]])) if vals["left"] else None
        si, reason = symmetry_index(r, lft)
        pairs = _pairs(vals["right"], vals["left"], max_gap)
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
