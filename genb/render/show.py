"""``genb show``: contact sheets of samples with their ground truth overlaid.

Drawing helpers here are pure functions (image in, image out) reused by the
checker and the sweep.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from genb.errors import GenbError
from genb.log import get_logger
from genb.core.conventions import BODY25_LIMBS
from genb.core.controls import CONTROL_MAPS as CONTROL_REGISTRY
from genb.store import RunFolder, atomic_write_bytes, png_bytes, read_image

logger = get_logger(__name__)

PERSON_COLORS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
                 (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def draw_skeleton(image: np.ndarray, keypoints2d: np.ndarray, visible: np.ndarray, color: tuple[int, int, int],
                  thickness: int = 2) -> np.ndarray:
    """Draw one BODY25 skeleton: visible keypoints filled, occluded ones as hollow rings.

    Args:
        image: (H, W, 3) uint8 RGB, drawn on in place and returned.
        keypoints2d: (25, 2) pixels. visible: (25,) bool.
    """
    pts = np.round(keypoints2d).astype(int)
    for a, b in BODY25_LIMBS:
        both = visible[a] and visible[b]
        cv2.line(image, tuple(pts[a]), tuple(pts[b]), color if both else tuple(c // 2 for c in color),
                 thickness if both else 1, cv2.LINE_AA)
    for j, (x, y) in enumerate(pts):
        cv2.circle(image, (x, y), thickness + 1, color, -1 if visible[j] else 1, cv2.LINE_AA)
    return image


def draw_ground_truth(image: np.ndarray, labels: dict[str, np.ndarray], instances: np.ndarray | None = None) -> np.ndarray:
    """Overlay every person's skeleton, visible-mask box and mask outline on a copy of ``image``."""
    out = image.copy()
    t = max(1, round(min(out.shape[:2]) / 256))
    for p in range(len(labels["keypoints2d"])):
        color = PERSON_COLORS[p % len(PERSON_COLORS)]
        if instances is not None:
            contours, _ = cv2.findContours((instances == p + 1).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, contours, -1, color, 1, cv2.LINE_AA)
        x0, y0, x1, y1 = labels["bbox"][p]
        if x1 > x0:
            cv2.rectangle(out, (int(x0), int(y0)), (int(x1), int(y1)), color, 1)
        draw_skeleton(out, labels["keypoints2d"][p], labels["keypoints_vis"][p], color, t)
    return out


def contact_sheet(tiles: list[np.ndarray], captions: list[str], columns: int = 4, tile_width: int = 256) -> np.ndarray:
    """Tiles fitted (keeping aspect) into ``tile_width`` x 3/4 ``tile_width`` cells, centred and
    captioned, in a grid on dark grey: landscape and portrait images share one row height."""
    if not tiles:
        raise GenbError("nothing to draw", "check that the run folder holds samples")
    box_h = tile_width * 3 // 4
    resized = []
    for t in tiles:
        s = min(tile_width / t.shape[1], box_h / t.shape[0])
        size = (max(1, round(t.shape[1] * s)), max(1, round(t.shape[0] * s)))
        resized.append(cv2.resize(t, size, interpolation=cv2.INTER_AREA))
    cell_h = box_h + 18
    rows = (len(resized) + columns - 1) // columns
    sheet = np.full((rows * cell_h, columns * tile_width, 3), 32, np.uint8)
    for k, (r, cap) in enumerate(zip(resized, captions)):
        y, x = (k // columns) * cell_h, (k % columns) * tile_width
        dx = (tile_width - r.shape[1]) // 2
        sheet[y : y + r.shape[0], x + dx : x + dx + r.shape[1]] = r
        cv2.putText(sheet, _fit(cap, tile_width - 8), (x + 4, y + cell_h - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (235, 235, 235), 1, cv2.LINE_AA)
    return sheet




def _fit(text: str, width: int) -> str:
    """``text`` cut (with "..") to fit ``width`` pixels in the caption font."""
    def w(t: str) -> int:
        return cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)[0][0]

    if w(text) <= width:
        return text
    while len(text) > 1 and w(text + "..") > width:
        text = text[:-1]
    return text + ".."


def show_run(run_dir: str | Path, out: str | Path | None = None, num: int = 16, columns: int = 4,
             noise: float | None = None, rejected: bool = False, tile_width: int = 256,
             with_maps: bool = False) -> Path:
    """Write a contact sheet of the first ``num`` samples (or rejected ones) and return its path.

    With ``with_maps`` each sample is a row: the overlay, then its five control maps.
    """
    control_maps = CONTROL_REGISTRY.names()  # every registered map, built-in or added
    run = RunFolder(run_dir).require()
    ids = run.sample_ids()
    check_dir = run.check_dir(noise) if noise is not None else None
    if rejected:
        if check_dir is None or not check_dir.is_dir():
            raise GenbError("--rejected needs check results", f"run `genb check {run.root} --noise N` and pass --noise N")
        records = {i: json.loads((check_dir / f"{run.sample_name(i)}.json").read_text())
                   for i in ids if (check_dir / f"{run.sample_name(i)}.json").is_file()}
        ids = [i for i, r in records.items() if not r.get("accepted", True)]
        if not ids:
            raise GenbError(f"no rejected samples at noise {noise}", "nothing to show; try without --rejected")
    tiles, captions = [], []
    for i in ids[:num]:
        labels = run.labels(i)
        if noise is not None:
            path = run.enhanced_dir(noise) / f"{run.sample_name(i)}.png"
            image = read_image(path)
        else:
            image = run.image(i)
        tile = draw_ground_truth(image, labels, run.instances(i))
        caption = f"#{i}  {len(labels['keypoints2d'])} people"
        if rejected:
            from genb.check.overlay import overlay_check  # the checker's detected pose and reasons

            record = records[i]
            tile = overlay_check(tile, labels, record)
            caption += "  " + "; ".join(record.get("reasons", []))[:40]
        tiles.append(tile)
        captions.append(caption)
        if with_maps:
            tiles += [run.control(i, name) for name in control_maps]
            captions += [f"control_{name}" for name in control_maps]
    sheet = contact_sheet(tiles, captions, 1 + len(control_maps) if with_maps else columns, tile_width)
    out = Path(out) if out else run.root / ("show_rejected.png" if rejected else "show.png")
    atomic_write_bytes(out, png_bytes(sheet, 3))
    logger.info("wrote %s (%d samples)", out, len(tiles) // (1 + len(control_maps)) if with_maps else len(tiles))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN", help="a run folder written by genb render")
    parser.add_argument("--out", help="PNG to write (default RUN/show.png)")
    parser.add_argument("--num", type=int, default=16, help="how many samples")
    parser.add_argument("--columns", type=int, default=4, help="tiles per row")
    parser.add_argument("--tile-width", type=int, default=256, help="width of one tile, pixels")
    parser.add_argument("--noise", type=float, help="show the enhanced images of this noise level instead of the renders")
    parser.add_argument("--rejected", action="store_true", help="only samples the checker rejected (needs --noise)")
    parser.add_argument("--maps", action="store_true", help="one row per sample: the overlay and its control maps")


def run(args: argparse.Namespace) -> int:
    show_run(args.run_dir, args.out, args.num, args.columns, args.noise, args.rejected, args.tile_width, args.maps)
    return 0
