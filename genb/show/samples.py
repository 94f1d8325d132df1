"""``genb show``: contact sheets of samples with their ground truth overlaid.

The drawing helpers are in :mod:`genb.core.draw` (shared with the checker and the sweep).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genb.errors import GenbError
from genb.core.log import get_logger
from genb.core.controls import CONTROL_MAPS as CONTROL_REGISTRY
from genb.core.records.check import read_check_records
from genb.core.draw import contact_sheet, draw_ground_truth, overlay_check
from genb.core.io import atomic_write_bytes, png_bytes
from genb.core.run import RunFolder

logger = get_logger(__name__)

def show_run(run_dir: str | Path, out: str | Path | None = None, num: int = 16, columns: int = 4,
             noise: float | None = None, rejected: bool = False, tile_width: int = 256,
             with_maps: bool = False) -> Path:
    """Write a contact sheet of the first ``num`` samples (or rejected ones) and return its path.

    With ``with_maps`` each sample is a row: the overlay, the plain render, then its five control maps.
    """
    control_maps = CONTROL_REGISTRY.names()  # every registered map, built-in or added
    run = RunFolder(run_dir).require()
    ids = run.sample_ids()
    check_dir = run.check_dir(noise) if noise is not None else None
    if rejected:
        if check_dir is None or not check_dir.is_dir():
            raise GenbError("--rejected needs check results", f"run `genb check {run.root} --noise N` and pass --noise N")
        records = {r.sample: r for r in read_check_records(check_dir)}
        ids = [i for i in ids if i in records and not records[i].accepted]
        if not ids:
            raise GenbError(f"no rejected samples at noise {noise}", "nothing to show; try without --rejected")
    tiles, captions = [], []
    for i in ids[:num]:
        labels = run.labels(i)
        if noise is not None:
            image = run.enhanced_image(noise, i)
        else:
            image = run.image(i)
        tile = draw_ground_truth(image, labels, run.instances(i))
        caption = f"#{i}  {len(labels['keypoints2d'])} people"
        if rejected:

            record = records[i]
            tile = overlay_check(tile, labels, record.to_json())
            caption += "  " + "; ".join(record.reasons)[:40]
        tiles.append(tile)
        captions.append(caption)
        if with_maps:  # the render itself (people as dressed), then its control maps
            tiles += [image] + [run.control(i, name) for name in control_maps]
            captions += ["image"] + [f"control_{name}" for name in control_maps]
    sheet = contact_sheet(tiles, captions, 2 + len(control_maps) if with_maps else columns, tile_width)
    out = Path(out) if out else run.root / ("show_rejected.png" if rejected else "show.png")
    atomic_write_bytes(out, png_bytes(sheet, 3))
    logger.info("wrote %s (%d samples)", out, len(tiles) // (2 + len(control_maps)) if with_maps else len(tiles))
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
    parser.add_argument("--animate", action="store_true",
                        help="a sequence run (genb render --frames): an animated PNG (or GIF with --out x.gif)")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "animate", False):  # sequences (genb.show.sequence)
        from genb.show.sequence import animate

        animate(args.run_dir, args.out, min(args.num, 4), args.noise, args.tile_width)
        return 0
    show_run(args.run_dir, args.out, args.num, args.columns, args.noise, args.rejected, args.tile_width, args.maps)
    return 0
