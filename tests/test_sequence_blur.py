"""Motion blur from the real motion (genb/sequence/blur.py): pixels averaged along their exact flow."""

from __future__ import annotations

import json

import numpy as np

from genb.sequence.blur import flow_blur


def test_blur_smears_along_the_flow_only():
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, 20:] = 200  # a vertical edge
    flow = np.zeros((20, 40, 2), np.float32)
    valid = np.ones((20, 40), bool)
    assert np.array_equal(flow_blur(img, flow, valid, 0.5), img)  # nothing moves: nothing changes
    flow[..., 0] = 12.0  # everything moves 12 px right per frame; a half-open shutter: 6 px of path
    out = flow_blur(img, flow, valid, 0.5, samples=13)
    row = out[10, :, 0].astype(int)
    ramp = np.flatnonzero((row > 0) & (row < 200))
    assert 4 <= len(ramp) <= 7 and abs(ramp.mean() - 19.5) < 1.0  # a ramp about as wide as the path, centred
    assert np.array_equal(out[:, :, 0], out[:, :, 1])  # channels alike
    flow[..., :] = [0.0, 12.0]  # moving along the edge: the edge stays sharp
    assert np.array_equal(flow_blur(img, flow, valid, 0.5)[5:15], img[5:15])
    flow[..., :] = [12.0, 0.0]
    assert np.array_equal(flow_blur(img, flow, np.zeros_like(valid), 0.5), img)  # occluded: sharp


def test_rendered_sequence_blurs_only_the_image(tmp_path):
    from genb.sequence.stage import SequenceConfig, run_sequences

    base = dict(num_samples=1, frames=3, image_size=(96, 72), num_people=(1, 1), seed=4, wardrobe="none",
                portrait_prob=0.0, png_compression=1, camera_motion_weights=(0.0, 1.0, 0.0, 0.0, 0.0))
    run_sequences(tmp_path / "sharp", SequenceConfig(**base))
    run_sequences(tmp_path / "blur", SequenceConfig(**base, motion_blur=0.5))
    frame = lambda root, t: root / "sequences" / "000000" / "samples" / f"{t:06d}"  # noqa: E731
    from PIL import Image

    for t in range(3):
        a, b = frame(tmp_path / "sharp", t), frame(tmp_path / "blur", t)
        for name in ("labels.npz", "depth.npz", "flow.npz", "instances.png"):
            assert (a / name).read_bytes() == (b / name).read_bytes(), name  # exact ground truth unchanged
        sharp, blurred = (np.asarray(Image.open(x / "image.png"), np.int16) for x in (a, b))
        moved = np.linalg.norm(np.load(a / "flow.npz")["flow"], axis=-1) > 2 if t < 2 else None
        assert np.abs(sharp - blurred).mean() > 0.2  # a panning camera: the frame is smeared
        if moved is not None:
            still = ~moved & (np.load(a / "flow.npz")["flow"] == 0).all(-1)
            assert np.abs(sharp - blurred)[still].max() == 0  # no motion, no blur
        assert json.loads((b / "scene.json").read_text())["motion_blur"]["shutter"] == 0.5
