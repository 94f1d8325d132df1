"""Read a genb package in a minimal training loop: a small CNN learns 2D keypoints from person crops.

    genb render runs/demo --preset demo
    genb package runs/demo runs/demo-pkg            # --noise 0.4 for checked, enhanced images
    python examples/train_loop.py runs/demo-pkg [--steps 200] [--crop 128] [--shards]

Each item of :class:`genb.data.PackagedDataset` is one person: a square crop
around the person (``center``, ``scale * 200``), the 44 keypoints in crop pixels
with their confidence, and the full image's camera (``cam_int``), which is what
camera-aware regressors (CLIFF, CameraHMR) need next to the crop. The loss is
weighted by the keypoint confidence, so joints genb does not provide (confidence
0) and, with ``--keypoint-confidence visible``, occluded ones are ignored.

``--shards`` reads the WebDataset shards instead, the way 4D-Humans does, to
show the same labels arrive through both formats.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from genb.data import PackagedDataset, webdataset_people

NUM_JOINTS = 44


class TinyKeypointNet(nn.Module):
    """(B, 3, S, S) crop -> (B, 44, 2) keypoints in units of the crop size."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        )
        self.head = nn.Linear(64 * 16, NUM_JOINTS * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).view(-1, NUM_JOINTS, 2)


def keypoint_loss(pred: torch.Tensor, keypoints: torch.Tensor, crop: int) -> torch.Tensor:
    """Confidence-weighted L1 between predictions and (B, 44, 3) crop-pixel keypoints, in crop units."""
    target, conf = keypoints[..., :2] / crop, keypoints[..., 2:]
    return (conf * (pred - target).abs()).sum() / conf.sum().clamp(min=1.0)


def count_shard_people(root: Path) -> int:
    urls = sorted((root / "webdataset").glob("*.tar"))
    n = 0
    for person in webdataset_people(urls):
        d = person["data.pyd"]
        assert d["keypoints_2d"].shape == (NUM_JOINTS, 3) and person["jpg"].ndim == 3
        n += 1
    return n


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="a folder written by `genb package`")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--shards", action="store_true", help="also read the WebDataset shards")
    args = parser.parse_args(argv)
    torch.manual_seed(0)

    dataset = PackagedDataset(args.package, crop_size=args.crop)
    print(f"{len(dataset)} people in {dataset.npz_path}")
    if args.shards:
        print(f"{count_shard_people(args.package)} people in the shards")
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, num_workers=0, drop_last=False)
    model = TinyKeypointNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    step, first, loss = 0, None, torch.tensor(float("nan"))
    while step < args.steps:
        for batch in loader:
            pred = model(batch["image"])
            loss = keypoint_loss(pred, batch["keypoints_2d"], args.crop)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            first = float(loss.detach()) if first is None else first
            if step % 50 == 0:
                print(f"step {step:4d}  loss {float(loss.detach()):.4f}  (cam_int fx of the first item: "
                      f"{float(batch['cam_int'][0, 0, 0]):.1f} px)")
            step += 1
            if step >= args.steps:
                break
    print(f"loss {first:.4f} -> {float(loss.detach()):.4f} after {step} steps")
    return float(loss.detach())


if __name__ == "__main__":
    main()
