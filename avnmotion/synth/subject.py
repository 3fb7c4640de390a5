"""The synthetic subject: anthropometry, colours and body-shaped meshes.

Segment lengths are fractions of standing height ``H`` after Winter (2009, Fig. 4.1,
Drillis & Contini): thigh 0.245H, shank 0.246H, foot 0.152H, ankle height 0.039H, upper
arm 0.186H, forearm 0.146H, hand 0.108H, shoulder height 0.818H, hip (greater trochanter)
height 0.530H. Outer body widths use 0.191H (hips) and 0.259H (shoulders); joint centres
sit inside those (hip joint centres 0.11H apart, shoulder joint centres 0.215H apart).

Coordinate conventions (shared with :mod:`avnmotion.synth.motion`): every segment has a
local frame with ``x`` = anterior (forward), ``y`` = superior (up) and ``z`` = the
subject's right. Limb segments start at their proximal joint and extend along ``-y``;
the trunk starts at mid-hip and extends along ``+y``; the head frame starts at the top of
the neck (mid-shoulder + neck length). The foot frame is at the ankle joint centre; its
flat sole lies at ``y = -ankle_height`` from the heel point ``x = -heel_back`` to the toe
point ``x = +toe_front``. Those two sole edges are the lowest points of the shoe mesh for
any pitch (the shoe is convex and no vertex lies behind the heel edge or in front of the
toe edge at sole level), which is what makes contact events exact.

This module only needs numpy; meshes are returned as plain ``(vertices, faces)`` arrays
built with scipy's convex hull, so the renderer is the only place that imports trimesh /
pyrender.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Per-segment mesh part: (name of the segment it rides on, vertices (N,3) in the segment
#: frame, faces (M,3), RGB colour in 0..1).
MeshPart = tuple[str, FloatArray, NDArray[np.int64], tuple[float, float, float]]

SKIN_TONES: tuple[tuple[float, float, float], ...] = (
    (0.96, 0.80, 0.69),
    (0.90, 0.72, 0.58),
    (0.78, 0.57, 0.44),
    (0.62, 0.44, 0.33),
    (0.45, 0.31, 0.23),
)
SHIRT_COLOURS: tuple[tuple[float, float, float], ...] = (
    (0.15, 0.35, 0.70),
    (0.75, 0.20, 0.20),
    (0.20, 0.55, 0.35),
    (0.85, 0.55, 0.15),
    (0.45, 0.30, 0.60),
    (0.90, 0.90, 0.88),
)
PANTS_COLOURS: tuple[tuple[float, float, float], ...] = (
    (0.12, 0.14, 0.22),
    (0.25, 0.25, 0.27),
    (0.35, 0.28, 0.20),
    (0.20, 0.30, 0.45),
)
HAIR_COLOURS: tuple[tuple[float, float, float], ...] = (
    (0.08, 0.06, 0.05),
    (0.30, 0.18, 0.10),
    (0.55, 0.40, 0.22),
    (0.60, 0.60, 0.60),
)
SHOE_COLOURS: tuple[tuple[float, float, float], ...] = (
    (0.10, 0.10, 0.12),
    (0.55, 0.10, 0.10),
    (0.12, 0.25, 0.55),
)


@dataclass(frozen=True)
class Subject:
    """Body dimensions (metres) and appearance of one synthetic person."""

    height_m: float = 1.75
    seed: int = 0
    # segment lengths
    thigh: float = 0.0
    shank: float = 0.0
    foot_length: float = 0.0
    ankle_height: float = 0.0
    heel_back: float = 0.0
    toe_front: float = 0.0
    foot_width: float = 0.0
    hip_joint_width: float = 0.0
    pelvis_width: float = 0.0
    trunk: float = 0.0  # mid-hip joint centres -> mid-shoulder joint centres
    shoulder_joint_width: float = 0.0
    shoulder_width: float = 0.0
    neck: float = 0.0
    head_height: float = 0.0
    head_width: float = 0.0
    head_depth: float = 0.0
    upper_arm: float = 0.0
    forearm: float = 0.0
    hand: float = 0.0
    bulk: float = 1.0  # girth multiplier
    # appearance
    skin: tuple[float, float, float] = SKIN_TONES[0]
    shirt: tuple[float, float, float] = SHIRT_COLOURS[0]
    pants: tuple[float, float, float] = PANTS_COLOURS[0]
    hair: tuple[float, float, float] = HAIR_COLOURS[0]
    shoes: tuple[float, float, float] = SHOE_COLOURS[0]
    shorts: bool = False
    long_sleeves: bool = False

    @property
    def leg_length(self) -> float:
        """Hip joint centre to floor with straight legs and flat feet."""
        return self.thigh + self.shank + self.ankle_height

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly description (rounded)."""
        d = asdict(self)
        out: dict[str, Any] = {}
        for k, v in d.items():
            if isinstance(v, float):
                out[k] = round(v, 4)
            elif isinstance(v, tuple):
                out[k] = [round(float(x), 3) for x in v]
            else:
                out[k] = v
        return out


def make_subject(height_m: float = 1.75, seed: int = 0, *, bulk: float | None = None) -> Subject:
    """Build a subject of the given height with seeded proportions jitter and colours.

    Proportions are Winter's fractions with a small (+-2 %) seeded jitter per segment;
    colours are drawn from fixed palettes.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5B1]))
    h = float(height_m)

    def j(frac: float) -> float:
        return float(frac * h * (1.0 + rng.uniform(-0.02, 0.02)))

    b = float(bulk) if bulk is not None else float(rng.uniform(0.92, 1.12))
    foot_length = j(0.152)
    return Subject(
        height_m=h,
        seed=int(seed),
        thigh=j(0.245),
        shank=j(0.246),
        foot_length=foot_length,
        ankle_height=0.039 * h,
        heel_back=0.21 * foot_length,
        toe_front=0.79 * foot_length,
        foot_width=0.055 * h,
        hip_joint_width=0.11 * h,
        pelvis_width=0.191 * h * (0.95 + 0.1 * (b - 1.0) + 0.05),
        trunk=j(0.288),
        shoulder_joint_width=0.215 * h,
        shoulder_width=0.259 * h,
        neck=0.030 * h,
        head_height=0.130 * h,
        head_width=0.086 * h,
        head_depth=0.110 * h,
        upper_arm=j(0.186),
        forearm=j(0.146),
        hand=0.108 * h,
        bulk=b,
        skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
        shirt=SHIRT_COLOURS[int(rng.integers(len(SHIRT_COLOURS)))],
        pants=PANTS_COLOURS[int(rng.integers(len(PANTS_COLOURS)))],
        hair=HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))],
        shoes=SHOE_COLOURS[int(rng.integers(len(SHOE_COLOURS)))],
        shorts=bool(rng.uniform() < 0.75),
        long_sleeves=bool(rng.uniform() < 0.0),
    )


# ---------------------------------------------------------------------------------------
# mesh primitives (numpy + scipy only)
# ---------------------------------------------------------------------------------------
def _unit_sphere(n_lat: int = 10, n_lon: int = 16) -> FloatArray:
    """Points on a unit sphere (UV sampling, poles included)."""
    pts = [np.array([0.0, 1.0, 0.0]), np.array([0.0, -1.0, 0.0])]
    for i in range(1, n_lat):
        th = np.pi * i / n_lat
        for k in range(n_lon):
            ph = 2 * np.pi * k / n_lon
            pts.append(np.array([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)]))
    return np.array(pts)


def convex_mesh(points: FloatArray) -> tuple[FloatArray, NDArray[np.int64]]:
    """Convex hull of ``points`` as (vertices, outward-wound faces)."""
    from scipy.spatial import ConvexHull

    pts = np.asarray(points, dtype=np.float64)
    hull = ConvexHull(pts)
    used = np.unique(hull.simplices)
    remap = -np.ones(len(pts), dtype=np.int64)
    remap[used] = np.arange(len(used))
    verts = pts[used]
    faces = remap[hull.simplices].astype(np.int64)
    # orient outward
    centre = verts.mean(axis=0)
    a, b, c = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
    n = np.cross(b - a, c - a)
    flip = np.einsum("ij,ij->i", n, a - centre) < 0
    faces[flip] = faces[flip][:, [0, 2, 1]]
    return verts, faces


def ellipsoid(centre: Any, radii: Any, n_lat: int = 12, n_lon: int = 20) -> FloatArray:
    """Points of an axis-aligned ellipsoid."""
    return _unit_sphere(n_lat, n_lon) * np.asarray(radii, float) + np.asarray(centre, float)


def tapered_capsule(
    p0: Any, p1: Any, r0: float, r1: float, *, depth_scale: float = 1.0
) -> FloatArray:
    """Points of a capsule from ``p0`` (radius r0) to ``p1`` (radius r1).

    ``depth_scale`` squashes the x (anterior-posterior) extent to give flatter limbs.
    """
    s = _unit_sphere(8, 16)
    s = s * np.array([depth_scale, 1.0, 1.0])
    return np.vstack([s * r0 + np.asarray(p0, float), s * r1 + np.asarray(p1, float)])


def shoe_points(subj: Subject) -> FloatArray:
    """Convex shoe in the foot frame; lowest edges exactly at the heel and toe sole points.

    The heel edge (x = -heel_back) is the rearmost point at sole level and the toe edge
    (x = +toe_front) the frontmost, so for any pitch the lowest vertex is one of them.
    """
    ha = subj.ankle_height
    hb, tf = subj.heel_back, subj.toe_front
    wh = 0.33 * subj.foot_width  # half width at heel
    wt = 0.48 * subj.foot_width  # half width at forefoot
    y0 = -ha
    pts = []
    # sole outline (flat, y = y0)
    for x, w in ((-hb, wh * 0.8), (-hb + 0.04, wh), (0.35 * tf, wt), (0.75 * tf, wt * 0.9)):
        pts += [(x, y0, -w), (x, y0, w)]
    pts += [(tf, y0, -wt * 0.55), (tf, y0, wt * 0.55)]
    # upper: toe box rises from the toe edge backwards, never in front of it
    pts += [(tf - 0.02, y0 + 0.035, -wt * 0.5), (tf - 0.02, y0 + 0.035, wt * 0.5)]
    pts += [(0.55 * tf, y0 + 0.06, -wt * 0.85), (0.55 * tf, y0 + 0.06, wt * 0.85)]
    pts += [(0.2 * tf, y0 + 0.085, -wt * 0.7), (0.2 * tf, y0 + 0.085, wt * 0.7)]
    # heel counter and collar around the ankle
    pts += [(-hb + 0.002, y0 + 0.06, -wh * 0.85), (-hb + 0.002, y0 + 0.06, wh * 0.85)]
    pts += [(-hb + 0.015, y0 + ha + 0.02, -wh * 0.8), (-hb + 0.015, y0 + ha + 0.02, wh * 0.8)]
    pts += [(0.05, y0 + ha + 0.025, -wh * 0.9), (0.05, y0 + ha + 0.025, wh * 0.9)]
    return np.array(pts, dtype=np.float64)


def sole_points(subj: Subject) -> FloatArray:
    """The two sole edge mid-points (heel, toe) in the foot frame."""
    return np.array(
        [[-subj.heel_back, -subj.ankle_height, 0.0], [subj.toe_front, -subj.ankle_height, 0.0]]
    )


def _shade(c: tuple[float, float, float], k: float) -> tuple[float, float, float]:
    return (c[0] * k, c[1] * k, c[2] * k)


def _head_parts(subj: Subject) -> list[MeshPart]:
    """Head with face (eyes, nose, mouth, brows), ears and hair, in the head frame.

    Head frame origin = top of the neck; head centre at y = 0.5 * head_height.
    """
    hh, hw, hd = subj.head_height, subj.head_width, subj.head_depth
    cy = 0.5 * hh
    rx, ry, rz = 0.5 * hd * 0.92, 0.5 * hh * 0.95, 0.5 * hw
    skin = subj.skin
    parts: list[MeshPart] = []
    v, f = convex_mesh(ellipsoid((0.0, cy, 0.0), (rx, ry, rz), 14, 24))
    parts.append(("head", v, f, skin))
    # hair cap: covers top and back, leaves the face free
    hair_pts = ellipsoid(
        (-0.004 * subj.height_m, cy + 0.025 * hh, 0.0), (rx * 1.06, ry * 1.0, rz * 1.08), 14, 24
    )
    keep = (hair_pts[:, 1] > cy + 0.22 * hh) | (hair_pts[:, 0] < -0.3 * rx)
    keep &= hair_pts[:, 1] > cy - 0.45 * hh
    v, f = convex_mesh(hair_pts[keep])
    parts.append(("head", v, f, subj.hair))

    # eyes: white + dark iris, on the front surface
    def on_surface(z: float, y: float) -> float:
        val = 1.0 - (z / rz) ** 2 - ((y - cy) / ry) ** 2
        return rx * float(np.sqrt(max(val, 0.0)))

    ey = cy + 0.01 * hh
    for side in (-1.0, 1.0):
        ez = side * 0.36 * rz
        ex = on_surface(ez, ey)
        v, f = convex_mesh(ellipsoid((ex - 0.004, ey, ez), (0.008, 0.011, 0.016), 6, 10))
        parts.append(("head", v, f, (0.97, 0.97, 0.97)))
        v, f = convex_mesh(ellipsoid((ex + 0.002, ey, ez), (0.006, 0.008, 0.008), 6, 10))
        parts.append(("head", v, f, (0.10, 0.08, 0.06)))
        # brow
        v, f = convex_mesh(ellipsoid((ex + 0.001, ey + 0.026, ez), (0.006, 0.005, 0.02), 5, 8))
        parts.append(("head", v, f, subj.hair))
        # ear
        v, f = convex_mesh(
            ellipsoid((-0.05 * rx, cy - 0.02 * hh, side * rz * 0.98), (0.022, 0.032, 0.012), 6, 10)
        )
        parts.append(("head", v, f, _shade(skin, 0.92)))
    # jaw / chin: gives the profile a face-forward silhouette
    v, f = convex_mesh(
        np.vstack(
            [
                ellipsoid((0.25 * rx, cy - 0.28 * hh, 0.0), (0.55 * rx, 0.2 * ry, 0.7 * rz), 8, 14),
                ellipsoid((-0.2 * rx, cy - 0.1 * hh, 0.0), (0.6 * rx, 0.3 * ry, 0.85 * rz), 8, 14),
            ]
        )
    )
    parts.append(("head", v, f, skin))
    # nose: wedge from between the eyes down to the tip
    ny = cy - 0.15 * hh
    nx = on_surface(0.0, ny)
    nose = np.array(
        [
            (on_surface(0.0, ey) - 0.005, ey - 0.005, 0.0),
            (nx + 0.026, ny - 0.005, 0.0),
            (nx - 0.005, ny - 0.02, -0.016),
            (nx - 0.005, ny - 0.02, 0.016),
            (nx - 0.01, ny + 0.01, -0.01),
            (nx - 0.01, ny + 0.01, 0.01),
        ]
    )
    v, f = convex_mesh(nose)
    parts.append(("head", v, f, _shade(skin, 0.93)))
    # mouth
    my = cy - 0.29 * hh
    mx = max(on_surface(0.0, my), 0.25 * rx + 0.55 * rx * 0.8)
    v, f = convex_mesh(ellipsoid((mx - 0.006, my, 0.0), (0.008, 0.007, 0.026), 6, 12))
    parts.append(("head", v, f, (0.65, 0.18, 0.18)))
    return parts


def body_parts(subj: Subject) -> list[MeshPart]:
    """All mesh parts of the subject, each attached to a named segment frame.

    Segment names: ``pelvis``, ``trunk``, ``head``, and per side ``{l,r}_thigh``,
    ``{l,r}_shank``, ``{l,r}_foot``, ``{l,r}_upper_arm``, ``{l,r}_forearm``, ``{l,r}_hand``.
    """
    h = subj.height_m
    b = subj.bulk
    parts: list[MeshPart] = []
    # pelvis: a rounded block around the hip joints
    pw = 0.5 * subj.pelvis_width
    pel = np.vstack(
        [
            ellipsoid((0.0, 0.02 * h, 0.0), (0.075 * h * b, 0.06 * h, pw), 10, 18),
            ellipsoid((0.0, 0.075 * h, 0.0), (0.07 * h * b, 0.03 * h, pw * 0.92), 6, 18),
        ]
    )
    v, f = convex_mesh(pel)
    parts.append(("pelvis", v, f, subj.pants))
    # trunk: waist -> chest -> shoulders
    sw = 0.5 * subj.shoulder_width
    L = subj.trunk
    trunk_pts = np.vstack(
        [
            ellipsoid((0.0, 0.10 * L, 0.0), (0.068 * h * b, 0.04 * L, 0.85 * pw), 6, 18),
            ellipsoid((0.005 * h, 0.60 * L, 0.0), (0.075 * h * b, 0.12 * L, sw * 0.86), 8, 20),
            ellipsoid((-0.005 * h, 0.93 * L, 0.0), (0.055 * h * b, 0.07 * L, sw * 0.98), 8, 20),
        ]
    )
    v, f = convex_mesh(trunk_pts)
    parts.append(("trunk", v, f, subj.shirt))
    # neck (rides on the trunk)
    v, f = convex_mesh(
        tapered_capsule(
            (0.0, 0.9 * L, 0.0), (0.004 * h, L + subj.neck + 0.02 * h, 0.0), 0.04 * h, 0.033 * h
        )
    )
    parts.append(("trunk", v, f, subj.skin))
    parts += _head_parts(subj)
    for s, sign in (("l", -1.0), ("r", 1.0)):
        _ = sign
        # thigh
        v, f = convex_mesh(
            tapered_capsule(
                (0.0, -0.03 * h, 0.0),
                (0.0, -subj.thigh + 0.005 * h, 0.0),
                0.056 * h * b,
                0.034 * h * b,
            )
        )
        parts.append((f"{s}_thigh", v, f, subj.pants))
        # shank
        v, f = convex_mesh(
            tapered_capsule(
                (0.0, -0.01 * h, 0.0), (0.0, -0.35 * subj.shank, 0.0), 0.032 * h * b, 0.036 * h * b
            )
        )
        parts.append((f"{s}_shank", v, f, subj.skin if subj.shorts else subj.pants))
        v, f = convex_mesh(
            tapered_capsule(
                (0.0, -0.35 * subj.shank, 0.0),
                (0.0, -subj.shank + 0.012 * h, 0.0),
                0.036 * h * b,
                0.02 * h,
            )
        )
        parts.append((f"{s}_shank", v, f, subj.skin if subj.shorts else subj.pants))
        if subj.shorts:
            v, f = convex_mesh(
                tapered_capsule(
                    (0.0, -0.005 * h, 0.0),
                    (0.0, -0.12 * subj.thigh, 0.0),
                    0.0345 * h * b,
                    0.031 * h * b,
                )
            )
            parts.append((f"{s}_shank", v, f, subj.skin))
        # shoe
        v, f = convex_mesh(shoe_points(subj))
        parts.append((f"{s}_foot", v, f, subj.shoes))
        # upper arm / forearm / hand
        v, f = convex_mesh(
            tapered_capsule(
                (0.0, 0.0, 0.0), (0.0, -subj.upper_arm, 0.0), 0.033 * h * b, 0.025 * h * b
            )
        )
        parts.append((f"{s}_upper_arm", v, f, subj.shirt))
        v, f = convex_mesh(
            tapered_capsule((0.0, 0.0, 0.0), (0.0, -subj.forearm, 0.0), 0.024 * h * b, 0.017 * h)
        )
        parts.append((f"{s}_forearm", v, f, subj.shirt if subj.long_sleeves else subj.skin))
        v, f = convex_mesh(
            np.vstack(
                [
                    ellipsoid((0.0, -0.02 * h, 0.0), (0.013 * h, 0.02 * h, 0.025 * h), 6, 10),
                    ellipsoid((0.0, -0.075 * h, 0.0), (0.011 * h, 0.02 * h, 0.02 * h), 6, 10),
                ]
            )
        )
        parts.append((f"{s}_hand", v, f, subj.skin))
    return parts


@dataclass(frozen=True)
class Prop:
    """A static object in the scene (e.g. a chair or a treatment table)."""

    name: str
    vertices: FloatArray
    faces: NDArray[np.int64]
    colour: tuple[float, float, float]
    pose: FloatArray = field(default_factory=lambda: np.eye(4))


def box_points(lo: Any, hi: Any) -> FloatArray:
    lo = np.asarray(lo, float)
    hi = np.asarray(hi, float)
    return np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )


def chair_props(
    seat_height: float, origin: Any, heading: float = 0.0, seat_depth: float = 0.42
) -> list[Prop]:
    """A simple chair: seat, back rest and four legs.

    ``origin`` is the front-centre of the seat at floor level; the chair faces ``heading``
    (radians about +y, 0 = facing +x), i.e. a sitter faces that way.
    """
    col_seat = (0.45, 0.30, 0.18)
    col_leg = (0.25, 0.20, 0.15)
    w = 0.46
    t = 0.04
    pieces = [
        (box_points((-seat_depth, seat_height - t, -w / 2), (0.0, seat_height, w / 2)), col_seat),
        (
            box_points(
                (-seat_depth - 0.04, seat_height, -w / 2), (-seat_depth, seat_height + 0.45, w / 2)
            ),
            col_seat,
        ),
    ]
    for x in (-seat_depth + 0.02, -0.03):
        for z in (-w / 2 + 0.02, w / 2 - 0.03):
            pieces.append(
                (
                    box_points((x - 0.02, 0.0, z - 0.015), (x + 0.015, seat_height - t, z + 0.015)),
                    col_leg,
                )
            )
    c, s = np.cos(heading), np.sin(heading)
    pose = np.eye(4)
    # rotation about +y by heading (x -> -z for positive heading keeps right-handedness)
    pose[:3, :3] = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    pose[:3, 3] = np.asarray(origin, float)
    props = []
    for i, (pts, col) in enumerate(pieces):
        v, f = convex_mesh(pts)
        props.append(Prop(f"chair_{i}", v, f, col, pose))
    return props


def table_props(height: float, origin: Any, length: float = 2.0, width: float = 0.75) -> list[Prop]:
    """A treatment table (plinth) along x centred at ``origin`` (floor level)."""
    top = box_points((-length / 2, height - 0.06, -width / 2), (length / 2, height, width / 2))
    pad = box_points(
        (-length / 2 + 0.01, height, -width / 2 + 0.01),
        (length / 2 - 0.01, height + 0.005, width / 2 - 0.01),
    )
    base = box_points(
        (-length / 2 + 0.15, 0.0, -width / 2 + 0.1),
        (length / 2 - 0.15, height - 0.06, width / 2 - 0.1),
    )
    pose = np.eye(4)
    pose[:3, 3] = np.asarray(origin, float)
    out = []
    for name, pts, col in (
        ("table_top", top, (0.30, 0.30, 0.33)),
        ("table_pad", pad, (0.20, 0.35, 0.45)),
        ("table_base", base, (0.35, 0.35, 0.38)),
    ):
        v, f = convex_mesh(pts)
        out.append(Prop(name, v, f, col, pose))
    return out
