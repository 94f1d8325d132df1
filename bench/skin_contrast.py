"""Share of people whose top, coat or dress, as lit in ``image.png``, is within RGB distance 60
of their lit skin (the garment-against-skin colour measure), for skin that is not dark and for dark skin.

    python bench/skin_contrast.py RUN [--dark 55]

A person counts when at least 20 of their pixels show skin (parts 1-14) and 20 show a top,
coat or dress (parts 16, 17, 19); the medians of each are compared. Skin is "dark" when its lit
median's mean channel is under ``--dark``. Not a test: numbers depend on the scenes' light.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--dark", type=float, default=55.0)
    args = ap.parse_args()
    counts = {"not dark": [0, 0], "dark": [0, 0]}
    for d in sorted((args.run / "samples").iterdir()):
        img = np.asarray(Image.open(d / "image.png").convert("RGB"), np.float64)
        parts, inst = np.asarray(Image.open(d / "parts.png")), np.asarray(Image.open(d / "instances.png"))
        for p in range(1, int(inst.max()) + 1):
            me = inst == p
            skin, cloth = me & (parts >= 1) & (parts <= 14), me & np.isin(parts, [16, 17, 19])
            if skin.sum() < 20 or cloth.sum() < 20:
                continue
            s, c = np.median(img[skin], axis=0), np.median(img[cloth], axis=0)
            key = "dark" if s.mean() < args.dark else "not dark"
            counts[key][0] += int(np.linalg.norm(s - c) < 60)
            counts[key][1] += 1
    for key, (near, n) in counts.items():
        print(f"{key} skin: {near}/{n} = {near / max(n, 1):.1%} within RGB 60 of their top/coat/dress")


if __name__ == "__main__":
    main()
