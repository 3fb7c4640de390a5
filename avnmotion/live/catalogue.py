"""Which exercises can be followed live, and where to put the camera for them."""

from __future__ import annotations

from typing import Any


def live_exercises() -> list[dict[str, Any]]:
    """Exercises and tests that can be followed live (counted reps or timed holds).

    ``kind`` is what the display counts (``"rep"`` or ``"hold"``), ``category`` the registry
    kind (``rep``, ``hold``, ``rom_test``, ``timed_test``): tests are counted live and their
    test result comes with the saved analysis.
    """
    from avnmotion.exercises.registry import EXERCISES

    out = []
    for d in EXERCISES.values():
        if d.counting is None and d.hold is None:
            continue  # delegated and stance-time tests: nothing to count as it happens
        views = list(d.view_names)
        out.append(
            {
                "id": d.id,
                "name": d.title,
                "kind": "hold" if d.counting is None else "rep",
                "category": d.kind,
                "view": views[0] if len(views) == 1 else None,
                "instructions": view_instruction(views),
            }
        )
    return out


def view_instruction(views: list[str]) -> str:
    """Where to put the camera for an exercise filmed from ``views``."""
    if views == ["side"]:
        return "Place the camera to your side, about 2-3 m away, so your whole body is visible."
    if views == ["front"]:
        return "Place the camera in front of you, about 2-3 m away, so your whole body is visible."
    return "Place the camera 2-3 m away, to your side or in front, so your whole body is visible."
