"""Fixtures for person-centric enhancement (genb enhance --per-person).

:func:`make_people_run`: a hand-made run folder with ground truth that agrees with itself:
people are flat boards of BODY25 keypoints at known depths seen by a pinhole camera
(``keypoints2d`` = ``cam_int`` projection of ``keypoints3d``), their silhouettes depth-tested
into ``instances.png`` (a nearer person hides a farther one where they overlap), control maps
drawn from them (the OpenPose map with genb's own ``pose_control``).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from genb.core.run import RunFolder

from _fixtures_enhance import start_handmade_run, textured_background, write_handmade_sample

PEOPLE_SIZE = (96, 128)
"""(H, W) of the hand-made per-person run."""


def _person_keypoints(cx: float, top: float, height: float, width: float) -> np.ndarray:
    """(25, 2) a standing figure's BODY25 keypoints in pixels inside a height x width box."""
    rel = {0: (0.5, 0.06), 1: (0.5, 0.17), 2: (0.3, 0.18), 3: (0.22, 0.33), 4: (0.18, 0.47), 5: (0.7, 0.18),
           6: (0.78, 0.33), 7: (0.82, 0.47), 8: (0.5, 0.5), 9: (0.38, 0.5), 10: (0.38, 0.72), 11: (0.38, 0.94),
           12: (0.62, 0.5), 13: (0.62, 0.72), 14: (0.62, 0.94), 15: (0.46, 0.04), 16: (0.54, 0.04),
           17: (0.42, 0.06), 18: (0.58, 0.06), 19: (0.62, 0.99), 20: (0.66, 0.99), 21: (0.6, 0.97),
           22: (0.38, 0.99), 23: (0.34, 0.99), 24: (0.4, 0.97)}
    return np.array([[cx + (rel[j][0] - 0.5) * width, top + rel[j][1] * height] for j in range(25)])


def make_people_run(root: Path, num_samples: int = 2, seed: int = 7) -> RunFolder:
    """A run of ``num_samples`` 96x128 samples, each with three people, farthest first in the list order
    shuffled per sample: a far one (6 m), a near one (3 m) overlapping it, and a tiny one (20 m)."""
    import cv2

    from genb.render.labels.maps import depth_control, pose_control

    H, W = PEOPLE_SIZE
    K = np.array([[110.0, 0.0, W / 2 - 0.5], [0.0, 110.0, H / 2 - 0.5], [0.0, 0.0, 1.0]])
    start_handmade_run(root, num_samples, seed, (H, W))
    for i in range(num_samples):
        rng = np.random.default_rng(seed * 1000 + i)
        folder = root / "samples" / f"{i:06d}"
        folder.mkdir(parents=True)
        image = textured_background(rng, H, W)
        # (centre x, top, height, width, depth) of the three people; the order in labels varies per sample
        people = [(48 + 4 * i, 14, 62, 26, 6.0), (74 + 3 * i, 8, 84, 36, 3.0), (112, 60, 12, 5, 20.0)]
        if i % 2:
            people = people[::-1]
        kp3d = []
        depth = np.zeros((H, W), np.float32)
        instances = np.zeros((H, W), np.uint8)
        for p, (cx, top, h, w, z) in sorted(enumerate(people), key=lambda e: -e[1][4]):  # far to near: depth test
            uv = _person_keypoints(cx, top, h, w)
            xyz = np.concatenate([(uv - K[:2, 2]) / K[[0, 1], [0, 1]] * z, np.full((25, 1), z)], axis=1)
            kp3d.append((p, xyz))
            x0, y0, x1, y1 = int(cx - w / 2), top, int(np.ceil(cx + w / 2)), top + h
            instances[y0:y1, x0:x1] = p + 1
            depth[y0:y1, x0:x1] = z
            image[y0:y1, x0:x1] = rng.integers(40, 220, 3)
        kp3d = np.stack([x for _, x in sorted(kp3d, key=lambda e: e[0])])
        proj = kp3d @ K.T
        kp2d = proj[..., :2] / proj[..., 2:]
        boxes = np.concatenate([kp2d.min(1) - 1.0, kp2d.max(1) + 1.0], axis=1)
        vis = np.zeros((3, 25), bool)
        for p in range(3):
            u = np.clip(np.rint(kp2d[p]).astype(int), 0, [W - 1, H - 1])
            vis[p] = instances[u[:, 1], u[:, 0]] == p + 1
        controls = {
            "control_depth": depth_control(depth),
            "control_normal": np.where(instances[..., None] > 0, [128, 128, 255], [0, 0, 0]).astype(np.uint8),
            "control_pose": pose_control(kp2d, vis, H, W),
            "control_seg": np.where(instances[..., None] > 0, [200, 50, 50], [0, 0, 0]).astype(np.uint8),
            "control_edges": cv2.cvtColor(cv2.Canny(image, 50, 150), cv2.COLOR_GRAY2RGB),
        }
        np.save(folder / "depth.npy", depth)
        buf = io.BytesIO()
        np.savez(buf, cam_int=K, cam_ext=np.eye(4), image_size=np.array([H, W]), keypoints2d=kp2d,
                 keypoints3d=kp3d, keypoints_vis=vis, keypoints_in_frame=np.ones((3, 25), bool),
                 bbox_full=boxes, bbox=boxes, index=np.array(i), seed=np.array(seed))
        (folder / "labels.npz").write_bytes(buf.getvalue())
        recipe = [{"description": {"gender": ["female", "male", "female"][p], "age_group": "adult", "build": "slim"},
                   "appearance": {"top": ["red", "green", "blue"][p], "bottom": "navy", "shoes": "white",
                                  "long_sleeves": False, "long_bottom": True},
                   "hair": {"style": "ponytail", "color": "brown"} if p == 0 else None} for p in range(3)]
        scene = {"index": i, "seed": seed, "people": recipe,
                 "background": {"kind": "procedural", "sky": "clear", "ground": "grass"}}
        write_handmade_sample(folder, image, controls, instances, scene)
    return RunFolder(root)


@pytest.fixture(scope="session")
def _people_run_template(tmp_path_factory) -> RunFolder:
    return make_people_run(tmp_path_factory.mktemp("people_template") / "run")


@pytest.fixture
def people_run(_people_run_template, tmp_path) -> RunFolder:
    """A writable copy of the 2-sample hand-made run with three people per sample."""
    return RunFolder(shutil.copytree(_people_run_template.root, tmp_path / "people_run"))
