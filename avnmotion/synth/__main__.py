"""``python -m avnmotion.synth``: render the curated sample set or single variants.

Examples::

    python -m avnmotion.synth samples --out sample_videos
    python -m avnmotion.synth render --task gait --view side --seed 7 --fps 30 --out /tmp/clips \\
        --pattern antalgic_right --severity-si 10
    python -m avnmotion.synth render --task squat --seed 3 --out /tmp/clips --duration-s 12
    python -m avnmotion.synth list
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m avnmotion.synth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("samples", help="render the curated sample set")
    s.add_argument("--out", default="sample_videos")
    s.add_argument("--jobs", type=int, default=2)
    s.add_argument("--only", nargs="*", help="clip names to (re)render")
    s.add_argument("--keys-only", action="store_true", help="write answer keys without rendering")
    r = sub.add_parser("render", help="render one clip (unseen variants by seed)")
    r.add_argument("--task", required=True)
    r.add_argument("--view", choices=("side", "front"))
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--fps", type=int, default=30)
    r.add_argument("--out", required=True)
    r.add_argument("--name", help="file stem (default: <task>_<view>_seed<seed>[_pattern])")
    r.add_argument(
        "--pattern", help="gait pattern, e.g. normal, antalgic_right, trendelenburg_left"
    )
    r.add_argument("--severity-si", type=float, help="antalgic: |stance-time SI| in percent")
    r.add_argument("--pelvic-drop-deg", type=float)
    r.add_argument("--trunk-lean-deg", type=float)
    r.add_argument("--passes", type=int, help="gait: number of walking passes")
    r.add_argument("--duration-s", type=float, help="cut the clip to this length")
    r.add_argument("--size", type=_size, help="WxH, default 960x540 (gait) / 640x480")
    r.add_argument("--crf", type=int, default=28)
    r.add_argument("--keys-only", action="store_true")
    sub.add_parser("list", help="list tasks and curated clips")
    args = ap.parse_args(argv)

    from avnmotion.synth import catalog

    if args.cmd == "list":
        print("tasks:", ", ".join(catalog.available_tasks()))
        for c in catalog.curated():
            print(f"  {c.name:30s} {c.task:26s} {c.view:5s} {c.fps}fps  {c.description}")
        return 0
    if args.cmd == "samples":
        catalog.render_samples(args.out, jobs=args.jobs, only=args.only, keys_only=args.keys_only)
        return 0
    # render
    from avnmotion.synth.exercises import EXERCISES

    task = args.task
    if task != "gait" and task not in EXERCISES:
        ap.error(f"unknown task {task!r}; choose from {', '.join(catalog.available_tasks())}")
    view = args.view or ("side" if task == "gait" else EXERCISES[task][1])
    kwargs: dict[str, Any] = {}
    if task == "gait":
        if args.pattern:
            kwargs["pattern"] = args.pattern
        if args.severity_si is not None:
            kwargs["severity_si"] = args.severity_si
        if args.pelvic_drop_deg is not None:
            kwargs["pelvic_drop_deg"] = args.pelvic_drop_deg
        if args.trunk_lean_deg is not None:
            kwargs["trunk_lean_deg"] = args.trunk_lean_deg
        passes = args.passes
        if passes is None and args.duration_s is not None:
            passes = math.ceil(args.duration_s / (4.3 if view == "side" else 4.8)) + 1
        kwargs["n_passes"] = passes or (4 if view == "side" else 3)
    elif args.pattern or args.severity_si is not None:
        ap.error("--pattern / --severity-si apply to --task gait only")
    name = args.name or f"{task}_{view}_seed{args.seed}" + (
        f"_{args.pattern}" if args.pattern else ""
    )
    spec = catalog.ClipSpec(
        name, task, view, args.seed, fps=args.fps, kwargs=kwargs, size=args.size
    )
    max_frames = None if args.duration_s is None else round(args.duration_s * args.fps)
    info = catalog.render_clip(
        spec, Path(args.out), keys_only=args.keys_only, max_frames=max_frames, crf=args.crf
    )
    print(info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
