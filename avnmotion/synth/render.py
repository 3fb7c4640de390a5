"""Offscreen rendering of a :class:`~avnmotion.synth.motion.Motion` to an H.264 mp4.

pyrender with EGL (Mesa's software rasteriser works) draws the subject's body-shaped
meshes in a simple room (floor, back wall) with a shadow-casting directional light and a
perspective camera. Frames are streamed to ffmpeg (``imageio_ffmpeg.write_frames``,
libx264, yuv420p, ``+faststart``) so the clips play in browsers.

This module is a development / test extra: it needs ``pyrender``, ``trimesh``,
``PyOpenGL`` and an EGL driver (Debian: ``libegl1 libegl-mesa0 libgl1-mesa-dri libgles2``).
Nothing outside :mod:`avnmotion.synth` imports it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from avnmotion.synth.motion import Motion, heading_vec
from avnmotion.synth.subject import body_parts

FloatArray = NDArray[np.float64]

VIEWS: tuple[str, ...] = ("side", "front")
DEFAULT_SIZE: tuple[int, int] = (960, 540)


def _import_pyrender() -> Any:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    if not hasattr(np, "infty"):
        # pyrender 0.1.45 uses the alias removed in numpy 2 (setattr keeps linters from
        # "fixing" the name)
        setattr(np, "infty", np.inf)  # noqa: B010
    import pyrender

    return pyrender


def renderer_available() -> tuple[bool, str]:
    """Whether offscreen EGL rendering works here, and why not if it does not."""
    try:
        pyrender = _import_pyrender()
        import trimesh  # noqa: F401
    except Exception as exc:  # pragma: no cover - depends on the environment
        return False, f"pyrender/trimesh not importable: {exc}"
    try:
        r = pyrender.OffscreenRenderer(64, 48)
        scene = pyrender.Scene()
        scene.add(pyrender.PerspectiveCamera(yfov=0.8))
        r.render(scene)
        r.delete()
    except Exception as exc:  # pragma: no cover
        return False, f"EGL offscreen rendering failed: {type(exc).__name__}: {exc}"
    return True, "ok"


@dataclass(frozen=True)
class CameraSpec:
    """A fixed perspective camera."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    yfov_deg: float
    width: int
    height: int

    def pose(self) -> FloatArray:
        """Camera-to-world 4x4 (camera looks along its -z, y up)."""
        eye = np.asarray(self.position, float)
        tgt = np.asarray(self.target, float)
        fwd = tgt - eye
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, up, -fwd, eye
        return m

    def as_dict(self) -> dict[str, Any]:
        return {
            "position_m": [round(float(x), 4) for x in self.position],
            "target_m": [round(float(x), 4) for x in self.target],
            "yfov_deg": round(float(self.yfov_deg), 3),
            "width_px": self.width,
            "height_px": self.height,
        }

    def project(self, pts: FloatArray) -> FloatArray:
        """World points (...,3) -> pixel coordinates (...,2) (x right, y down)."""
        m = np.linalg.inv(self.pose())
        p = pts @ m[:3, :3].T + m[:3, 3]
        f = 0.5 * self.height / np.tan(np.deg2rad(self.yfov_deg) / 2)
        x = self.width / 2 + f * p[..., 0] / -p[..., 2]
        y = self.height / 2 - f * p[..., 1] / -p[..., 2]
        return np.stack([x, y], axis=-1)


def default_camera(
    motion: Motion,
    view: str,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    distance_m: float | None = None,
) -> CameraSpec:
    """Camera for a view, framing the whole motion; seeded jitter of height / distance.

    ``side``: the camera looks across the motion's main horizontal axis from ~3.3 m at a
    little above hip height (higher for lying tasks so the far leg stays visible).
    ``front``: the camera faces the subject from the front (walks come toward it).
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xCA3]))
    w, h = size
    subj = motion.subject
    hip_h = subj.leg_length
    pel = motion.pose.joints["pelvis"]
    lo = np.min(np.vstack([v for v in motion.pose.joints.values()]), axis=0)
    hi = np.max(np.vstack([v for v in motion.pose.joints.values()]), axis=0)
    centre = 0.5 * (lo + hi)
    cam_h = hip_h + 0.12 + rng.uniform(-0.08, 0.08)
    lying = motion.reference == "supine"
    if lying:
        cam_h = 1.75 + rng.uniform(-0.1, 0.1)
    look_h = 0.5 * (lo[1] + hi[1]) if not lying else float(pel[:, 1].mean()) - 0.05
    d = distance_m if distance_m is not None else 3.3 + rng.uniform(-0.2, 0.3)
    yfov = 45.0
    if motion.task == "gait":
        if view == "side":
            # walking axis = x; camera on +z, far enough to see the whole walkway
            yfov = 48.0
            half = max(abs(lo[0] - centre[0]), abs(hi[0] - centre[0])) + 0.25
            aspect = w / h
            hfov_half = np.arctan(np.tan(np.deg2rad(yfov) / 2) * aspect)
            d = max(d, half / np.tan(hfov_half)) + max(0.0, hi[2])
            return CameraSpec(
                (float(centre[0]), cam_h, float(d)),
                (float(centre[0]), look_h, float(centre[2])),
                yfov,
                w,
                h,
            )
        # front: walks along +z toward z = 0
        return CameraSpec(
            (float(centre[0]), cam_h + 0.1, 0.0), (float(centre[0]), look_h, 6.0), 40.0, w, h
        )
    # exercises: camera relative to the subject's mean facing direction
    psi = float(np.mean(motion.heading)) if motion.heading is not None else 0.0
    f = heading_vec(psi)
    right = np.cross(f, [0.0, 1.0, 0.0])
    # A side view films the working side, as a therapist would (the far leg is hidden).
    working_left = str(motion.params.get("side", "right")) == "left"
    side_sign = float(motion.params.get("camera_side", -1.0 if working_left else 1.0))
    direction = side_sign * right if view == "side" else f
    ext = float(np.max(hi - lo))
    d = max(d, 0.5 * ext / np.tan(np.deg2rad(yfov) / 2) * 1.1)
    pos = centre + d * direction
    pos[1] = cam_h
    tgt = centre.copy()
    tgt[1] = look_h
    return CameraSpec(
        (float(pos[0]), float(pos[1]), float(pos[2])),
        (float(tgt[0]), float(tgt[1]), float(tgt[2])),
        yfov,
        w,
        h,
    )


def _trimesh(v: FloatArray, f: NDArray[np.int64]) -> Any:
    import trimesh

    return trimesh.Trimesh(vertices=v, faces=f, process=False)


class SceneRenderer:
    """Builds the pyrender scene once and renders frames of a motion."""

    def __init__(self, motion: Motion, camera: CameraSpec, *, shadows: bool = True) -> None:
        pyrender = _import_pyrender()
        import trimesh

        self._pr = pyrender
        self.motion = motion
        self.camera = camera
        self.shadows = shadows
        scene = pyrender.Scene(bg_color=[0.82, 0.84, 0.86, 1.0], ambient_light=[0.32, 0.32, 0.32])

        def material(rgb: tuple[float, float, float], rough: float = 0.85) -> Any:
            return pyrender.MetallicRoughnessMaterial(
                baseColorFactor=[*rgb, 1.0], metallicFactor=0.0, roughnessFactor=rough
            )

        # room: floor + back wall (+ a skirting strip) around the motion's extent
        pel = motion.pose.joints["pelvis"]
        cx, cz = float(np.mean(pel[:, 0])), float(np.mean(pel[:, 2]))
        cam = np.asarray(camera.position)
        tgt = np.asarray(camera.target)
        view_dir = tgt - cam
        view_dir[1] = 0
        view_dir /= np.linalg.norm(view_dir)
        floor = trimesh.creation.box(extents=[40.0, 0.02, 40.0])
        floor.apply_translation([cx, -0.01, cz])
        room = [
            scene.add(pyrender.Mesh.from_trimesh(floor, material=material((0.42, 0.36, 0.30), 0.9)))
        ]
        # floor tiles (subtle lines help depth perception)
        # back wall: behind the subject along the view direction
        far = float(np.max((np.vstack([pel[:, 0], pel[:, 1], pel[:, 2]]).T - cam) @ view_dir)) + 1.8
        wall_c = cam + view_dir * far
        wall = trimesh.creation.box(extents=[40.0, 6.0, 0.05])
        yaw = np.arctan2(view_dir[0], view_dir[2])
        tw = np.eye(4)
        c, s = np.cos(yaw), np.sin(yaw)
        tw[:3, :3] = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        tw[:3, 3] = [wall_c[0], 3.0, wall_c[2]]
        room.append(
            scene.add(
                pyrender.Mesh.from_trimesh(wall, material=material((0.86, 0.85, 0.80))), pose=tw
            )
        )
        skirt = trimesh.creation.box(extents=[40.0, 0.12, 0.07])
        ts = tw.copy()
        ts[:3, 3] = [wall_c[0] - view_dir[0] * 0.03, 0.06, wall_c[2] - view_dir[2] * 0.03]
        room.append(
            scene.add(
                pyrender.Mesh.from_trimesh(skirt, material=material((0.45, 0.40, 0.35))), pose=ts
            )
        )
        # props (chair, table)
        for prop in motion.props:
            node = scene.add(
                pyrender.Mesh.from_trimesh(
                    _trimesh(prop.vertices, prop.faces),
                    material=material(prop.colour),
                    smooth=False,
                ),
                pose=prop.pose,
            )
            room.append(node)
        # subject
        self.nodes: list[tuple[str, Any]] = []
        for seg, v, f, col in body_parts(motion.subject):
            tm = _trimesh(v, f)
            mesh = pyrender.Mesh.from_trimesh(tm, material=material(col, 0.75), smooth=True)
            node = scene.add(mesh)
            self.nodes.append((seg, node))
        # lights: key light (shadows) from above, slightly from the camera side; fill light
        key = pyrender.DirectionalLight(color=np.ones(3), intensity=3.2)
        side = np.cross(view_dir, [0.0, 1.0, 0.0])
        scene.add(key, pose=_look_pose(0.6 * view_dir + np.array([0.0, -1.0, 0.0]) + 0.35 * side))
        fill = pyrender.DirectionalLight(color=np.ones(3), intensity=1.2)
        scene.add(fill, pose=_look_pose(view_dir + np.array([0.0, -0.3, 0.0]) - 0.5 * side))
        cam_node = pyrender.PerspectiveCamera(
            yfov=np.deg2rad(camera.yfov_deg),
            aspectRatio=camera.width / camera.height,
            znear=0.05,
            zfar=60.0,
        )
        scene.add(cam_node, pose=camera.pose())
        self.scene = scene
        self.renderer = pyrender.OffscreenRenderer(camera.width, camera.height)
        _fix_draw_order(self.renderer, [*room, *(node for _, node in self.nodes)])

    def render_frame(self, segments: dict[str, FloatArray], i: int) -> NDArray[np.uint8]:
        for seg, node in self.nodes:
            self.scene.set_pose(node, segments[seg][i])
        flags = (
            self._pr.RenderFlags.SHADOWS_DIRECTIONAL if self.shadows else self._pr.RenderFlags.NONE
        )
        color, _ = self.renderer.render(self.scene, flags=flags)
        return np.ascontiguousarray(color[:, :, :3])

    def close(self) -> None:
        self.renderer.delete()


def _fix_draw_order(renderer: Any, mesh_nodes: list[Any]) -> None:
    """Draw meshes in a fixed order so that a render is byte-identical from run to run.

    pyrender sorts mesh nodes by distance to the camera but keeps ties (segments sharing an
    origin) in the order of a ``set`` of nodes, i.e. by memory address, so coincident surfaces
    came out differently in each process (a few pixels per frame, which the video encoder
    then spread). Ties now keep the order in which the nodes were added.
    """
    rank = {node: k for k, node in enumerate(mesh_nodes)}
    inner = renderer._renderer

    def sorted_mesh_nodes(sc: Any) -> list[Any]:
        cam = sc.get_pose(sc.main_camera_node)[:3, 3]

        def key(n: Any) -> tuple[bool, float, int]:
            dist = float(np.linalg.norm(sc.get_pose(n)[:3, 3] - cam))
            return (bool(n.mesh.is_transparent), -dist, rank.get(n, len(rank)))

        return sorted(sc.mesh_nodes, key=key)

    inner._sorted_mesh_nodes = sorted_mesh_nodes


def _look_pose(direction: FloatArray) -> FloatArray:
    """Pose whose -z axis points along ``direction`` (directional lights shine along -z)."""
    z = -np.asarray(direction, float)
    z /= np.linalg.norm(z)
    x = np.cross([0.0, 1.0, 0.0], z)
    if np.linalg.norm(x) < 1e-6:
        x = np.array([1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2] = x, y, z
    return m


def render_motion(
    motion: Motion,
    out_path: str | Path,
    *,
    fps: int = 30,
    camera: CameraSpec | None = None,
    view: str = "side",
    size: tuple[int, int] = DEFAULT_SIZE,
    seed: int = 0,
    crf: int = 28,
    shadows: bool = True,
    max_frames: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Render ``motion`` at ``fps`` to ``out_path`` (H.264 yuv420p mp4).

    Returns render info: ``n_frames``, ``fps``, ``ms_per_frame`` (render only),
    ``camera`` (dict) and ``wall_s``.
    """
    import imageio_ffmpeg

    cam = camera or default_camera(motion, view, size=size, seed=seed)
    pose = motion.at_fps(fps)
    n = pose.n if max_frames is None else min(pose.n, max_frames)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    sr = SceneRenderer(motion, cam, shadows=shadows)
    writer = imageio_ffmpeg.write_frames(
        str(out_path),
        (cam.width, cam.height),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=None,
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=[
            "-crf",
            str(crf),
            "-preset",
            "medium",
            "-movflags",
            "+faststart",
            "-threads",
            "2",
        ],
    )
    writer.send(None)
    t_render = 0.0
    try:
        for i in range(n):
            t0 = time.perf_counter()
            frame = sr.render_frame(pose.segments, i)
            t_render += time.perf_counter() - t0
            writer.send(frame)
            if progress is not None:
                progress(i + 1, n)
    finally:
        writer.close()
        sr.close()
    return {
        "n_frames": n,
        "fps": fps,
        "ms_per_frame": round(1000.0 * t_render / max(n, 1), 1),
        "wall_s": round(time.perf_counter() - t_start, 2),
        "camera": cam.as_dict(),
    }
