"""Command-line interface: ``avnmotion extract | analyze | exercises | convert | model | info |
schema | serve | user | live``.

Exit codes: 0 success, 2 bad input or usage, 1 internal error. With ``--json -`` stdout carries
only the JSON result; progress and logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from avnmotion import __version__
from avnmotion.errors import AvnInputError, AvnMotionError, ModelNotAvailableError

log = logging.getLogger("avnmotion")

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"avnmotion: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _progress_printer(label: str) -> Any:
    last = [-1]

    def report(frac: float) -> None:
        pct = int(frac * 100)
        if pct // 10 != last[0] // 10 and sys.stderr.isatty():
            print(f"\r{label}: {pct:3d}%", end="", file=sys.stderr, flush=True)
        last[0] = pct
        if frac >= 1.0 and sys.stderr.isatty():
            print(file=sys.stderr)

    return report


# -- commands -------------------------------------------------------------------------------
def cmd_extract(args: argparse.Namespace) -> int:
    from avnmotion.pipeline import check_output_path, input_kind, save_track
    from avnmotion.pose.extract import extract_track

    video = Path(args.video)
    if not video.exists():
        raise AvnInputError(f"{video}: file not found")
    if input_kind(video) != "video":
        raise AvnInputError(f"{video.name}: extract needs a video file")
    check_output_path(args.output, (".npz", ".trc"))
    track = extract_track(video, model_path=args.model, progress=_progress_printer("pose"))
    out = save_track(track, args.output)
    pct = 100.0 * float(track.frames_with_pose().mean())
    print(f"wrote {out} ({track.n_frames} frames, person in {pct:.1f}%)", file=sys.stderr)
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from avnmotion.pipeline import analyze, check_output_path, check_task
    from avnmotion.protocol import load_protocol

    check_task(args.task)  # before any expensive work
    if args.json and args.json != "-":
        check_output_path(args.json)
    protocol = load_protocol(args.protocol) if args.protocol else None
    prescription = None
    if args.prescription:
        try:
            prescription = json.loads(Path(args.prescription).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise AvnInputError(f"{args.prescription}: not a JSON prescription ({exc})") from None
    result = analyze(
        args.input,
        args.task,
        protocol=protocol,
        height_m=args.height_m,
        affected_side=args.affected_side,
        working_side=args.working_side,
        prescription=prescription,
        model_path=args.model,
        annotate_path=args.annotate,
        track_out=args.track_out,
        progress=_progress_printer("analysis"),
    )
    text = result.model_dump_json(indent=2)
    if args.json == "-":
        sys.stdout.write(text + "\n")
    elif args.json:
        Path(args.json).write_text(text + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    if args.json != "-":
        print(format_summary(result.model_dump()))
    return EXIT_OK


def format_summary(r: dict[str, Any]) -> str:
    """A short human-readable summary of a result dictionary."""
    q, inp = r["quality"], r["input"]
    lines = [
        f"avnmotion {r['avnmotion_version']}  task: {r['task']}",
        f"input: {inp['name']} ({inp['kind']}, {inp['frames']} frames, {inp['duration_s']:.1f} s, "
        f"{inp['fps']} Hz)",
        f"view: {q['view']}  person in {q['frames_with_pose_pct']:.1f}% of frames  "
        f"side swaps fixed: {q['side_swaps_fixed']}",
    ]
    for w in q["warnings"]:
        lines.append(f"warning: {w}")
    lines.append("range of movement during this clip (deg, min..max, +-uncertainty):")
    for angle, sides in r["rom"].items():
        parts = [
            f"{side} {e['min_deg']:.0f}..{e['max_deg']:.0f}"
            for side, e in sides.items()
            if e["available"]
        ]
        if parts:
            unc = next(e["uncertainty_deg"] for e in sides.values() if e["available"])
            lines.append(f"  {angle:<28} {'   '.join(parts)}   (+-{unc:g})")
    if r.get("gait"):
        g = r["gait"]
        lines.append(
            f"gait: {len(g['events'])} events, cadence {g['cadence_steps_per_min']} steps/min, "
            f"strides used {g['strides_used']}"
        )
        for si in g["symmetry"]:
            if si["si_pct"] is not None:
                lines.append(f"  SI {si['parameter']}: {si['si_pct']:+.1f}%")
    if r.get("exercise"):
        e = r["exercise"]
        not_counted = (e.get("unavailable") or {}).get("rep_count")
        if not_counted:
            lines.append(f"exercise {e['exercise_id']}: reps not counted: {not_counted}")
        else:
            lines.append(
                f"exercise {e['exercise_id']}: {e['rep_count']} reps, {len(e['partial_reps'])} "
                f"partial, {len(e['sets'])} sets, {len(e['holds'])} holds"
            )
        for m in e["patient_messages"]:
            lines.append(f"  cue: {m}")
        if e.get("test_result"):
            lines += _test_result_lines(e["test_result"])
    for f in r["flags"]:
        lines.append(f"flag [{f['audience']}] {f['code']}: {f['message']}")
    if r.get("patient_advice"):
        lines.append(r["patient_advice"])
    lines.append("No flag does not mean a movement was safe.")
    return "\n".join(lines)


def _test_result_lines(tr: dict[str, Any]) -> list[str]:
    """The ROM or function test's values, their stated uncertainty and measured accuracy."""
    unit = tr.get("unit") or ""
    unc = tr.get("uncertainty_deg")
    pm = f" (+-{unc:g} {unit})" if isinstance(unc, int | float) else ""
    values = []
    for side, entry in sorted((tr.get("sides") or {}).items()):
        if not entry.get("available", True):
            values.append(f"{side} unavailable ({entry.get('reason', 'not measured')})")
            continue
        for name, v in entry.items():
            if (
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and name.endswith(("_deg", "_s"))
            ):
                values.append(f"{side} {name} {v:g}")
    if not values and tr.get("value") is not None:
        values.append(f"{tr['value']:g} {unit}")
    lines = [f"test {tr.get('test')}: " + ", ".join(values) + pm]
    for field, acc in sorted((tr.get("accuracy") or {}).items()):
        if acc.get("summary"):
            lines.append(f"  accuracy of {field}: {acc['summary']}")
    return lines


def cmd_model_prepare(args: argparse.Namespace) -> int:
    from avnmotion.pose.model import prepare_model

    path = prepare_model(Path(args.cache_dir) if args.cache_dir else None, force=args.force)
    print(path)
    return EXIT_OK


def cmd_model_path(args: argparse.Namespace) -> int:
    from avnmotion.pose.model import resolve_model_path

    print(resolve_model_path(args.model))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    import platform

    info: dict[str, Any] = {"avnmotion": __version__, "python": platform.python_version()}
    try:
        from avnmotion.pose.model import resolve_model_path

        info["pose_model"] = str(resolve_model_path(args.model))
    except (ModelNotAvailableError, AvnInputError) as exc:
        info["pose_model"] = f"unavailable: {exc}"
    for mod in ("numpy", "scipy", "mediapipe", "cv2", "fastapi"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "installed")
        except ImportError:
            info[mod] = "not installed"
    from avnmotion.pipeline import valid_tasks

    info["tasks"] = valid_tasks()
    print(json.dumps(info, indent=2))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from avnmotion.result import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_exercises(args: argparse.Namespace) -> int:
    from avnmotion.exercises.registry import list_exercises

    rows = list_exercises()
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        print(f"{row['id']:<28} {row['kind']:<11} view: {row['view']}")
        print(f"    measures: {row['measures']}")
        if row.get("cannot_verify"):
            print(f"    cannot verify: {row['cannot_verify']}")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from avnmotion.formats.c3d import convert_file

    out = convert_file(args.input, args.output)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from api.cli import serve

    return int(serve(args) or 0)


def cmd_user_create(args: argparse.Namespace) -> int:
    from api.cli import user_create

    return int(user_create(args) or 0)


def cmd_live(args: argparse.Namespace) -> int:
    from avnmotion.live import run_camera

    return int(run_camera(args) or 0)


# -- parser ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="avnmotion", description="Motion analysis for hip AVN rehabilitation.")
    p.add_argument("--version", action="version", version=f"avnmotion {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    model_help = "PoseLandmarker .task bundle (default: AVNMOTION_POSE_MODEL or the prepared one)"

    e = sub.add_parser("extract", help="extract a pose track from a video")
    e.add_argument("video")
    e.add_argument("-o", "--output", required=True, help="track.npz or track.trc")
    e.add_argument("--model", help=model_help)
    e.set_defaults(func=cmd_extract)

    a = sub.add_parser("analyze", help="analyse a video or a track")
    a.add_argument("input", help="video (.mp4 .mov .avi .webm) or track (.npz .trc .c3d)")
    a.add_argument("--task", required=True, help="gait, rom, or an exercise/test id")
    a.add_argument("--affected-side", choices=["left", "right"])
    a.add_argument("--working-side", choices=["left", "right"])
    a.add_argument("--protocol", help="patient protocol JSON")
    a.add_argument("--prescription", help="prescription JSON (reps, sets, tempo, hold)")
    a.add_argument("--height-m", type=float, help="subject height in metres")
    a.add_argument("--annotate", help="write an annotated video (mp4, H.264)")
    a.add_argument("--track-out", help="also write the extracted track (.npz or .trc)")
    a.add_argument("--json", help="write the JSON result to a file, or - for stdout")
    a.add_argument("--model", help=model_help)
    a.set_defaults(func=cmd_analyze)

    x = sub.add_parser("exercises", help="list exercises and tests")
    x.add_argument("--json", action="store_true")
    x.set_defaults(func=cmd_exercises)

    c = sub.add_parser("convert", help="convert a motion-capture trial (.c3d) to .trc")
    c.add_argument("input")
    c.add_argument("-o", "--output", required=True)
    c.set_defaults(func=cmd_convert)

    m = sub.add_parser("model", help="pose model bundle")
    msub = m.add_subparsers(dest="model_command", required=True, parser_class=_Parser)
    mp = msub.add_parser("prepare", help="build the offline pose model bundle (idempotent)")
    mp.add_argument("--cache-dir")
    mp.add_argument("--force", action="store_true")
    mp.set_defaults(func=cmd_model_prepare)
    mpath = msub.add_parser("path", help="print the model bundle that would be used")
    mpath.add_argument("--model")
    mpath.set_defaults(func=cmd_model_path)

    i = sub.add_parser("info", help="versions, model and tasks")
    i.add_argument("--model")
    i.set_defaults(func=cmd_info)

    s = sub.add_parser("schema", help="print the JSON Schema of the analysis result")
    s.set_defaults(func=cmd_schema)

    sv = sub.add_parser("serve", help="start the web service")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--db", help="database URL (default: embedded SQLite)")
    sv.add_argument("--data-dir")
    sv.add_argument("--workers", type=int)
    sv.add_argument("--tls-cert")
    sv.add_argument("--tls-key")
    sv.set_defaults(func=cmd_serve)

    u = sub.add_parser("user", help="manage service users")
    usub = u.add_subparsers(dest="user_command", required=True, parser_class=_Parser)
    uc = usub.add_parser("create", help="create a user and print its token once")
    uc.add_argument("--name", required=True)
    uc.add_argument("--role", choices=["clinician", "patient"], required=True)
    uc.add_argument("--clinic", required=True)
    uc.add_argument("--patient-id")
    uc.add_argument("--db")
    uc.add_argument("--data-dir")
    uc.set_defaults(func=cmd_user_create)

    lv = sub.add_parser("live", help="count reps from a local camera")
    lv.add_argument("--camera", default="0", help="device index or a video file")
    lv.add_argument("--task", required=True)
    lv.add_argument("--model", help=model_help)
    lv.add_argument("--record", help="write an annotated recording")
    lv.add_argument("--max-seconds", type=float)
    lv.set_defaults(func=cmd_live)
    return p


def _quiet_native_logs() -> None:
    """Keep OpenCV/FFmpeg's own log lines off stderr so errors stay one line.

    Must run before cv2 is imported; users can still override the variables.
    """
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _native_stderr_to_devnull() -> None:
    """Point file descriptor 2 at /dev/null; Python's ``sys.stderr`` keeps the real stream.

    MediaPipe's C++ runtime writes to descriptor 2 at any frame, not only at start-up
    (LiteRT's "Input tensor memory is not aligned ..." warning depends on where a frame's
    buffer happens to lie), and no environment variable stops it. Our own messages, progress
    and Python logging go through ``sys.stderr``, so they still reach the user.
    ``AVNMOTION_NATIVE_LOGS=1`` keeps the native lines (for debugging MediaPipe).
    """
    if os.environ.get("AVNMOTION_NATIVE_LOGS") == "1":
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, ValueError):  # no stderr at all (daemonised): nothing to route
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr = os.fdopen(  # lives as long as the process
        real, "w", buffering=1, encoding=encoding, errors="backslashreplace"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; ``argv=None`` means a real process (``sys.argv``).

    Only a real process routes native stderr away: callers that pass ``argv`` (tests, other
    programs) keep their own descriptors untouched.
    """
    _quiet_native_logs()
    if argv is None:
        _native_stderr_to_devnull()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except (AvnInputError, ModelNotAvailableError) as exc:
        print(f"avnmotion: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AvnMotionError as exc:
        print(f"avnmotion: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("avnmotion: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # internal error: one line, details only with --verbose
        print(f"avnmotion: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
