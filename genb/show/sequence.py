"""``genb show RUN --animate``: play sequences as an animated PNG (or GIF), ground truth drawn over.

RUN is a sequence run (``sequences.json``: its first ``num`` sequences side by side) or one
sequence's folder. Each animation frame is a contact sheet of the sequences' frame t: the
overlay (keypoints, boxes), and with ``noise`` the enhanced frame next to it.
"""

from __future__ import annotations

from pathlib import Path

from genb.core.records.sequence import is_sequence_folder, is_sequence_run
from genb.core.draw import contact_sheet, draw_ground_truth
from genb.core.log import get_logger
from genb.core.run import RunFolder
from genb.errors import GenbError

logger = get_logger(__name__)


def sequence_folders(root: Path) -> list[Path]:
    """The sequence folders of a sequence run, or ``[root]`` for one sequence's folder."""
    if is_sequence_folder(root):
        return [root]
    if is_sequence_run(root):
        return sorted(p for p in (root / "sequences").iterdir() if is_sequence_folder(p))
    raise GenbError(f"{root} is not a sequence run", "give a folder written by `genb render --frames T` or one of its "
                    "sequences/NNNNNN folders")


def animate(run_dir: str | Path, out: str | Path | None = None, num: int = 4, noise: float | None = None,
            tile_width: int = 256, fps: float | None = None) -> Path:
    """Write an animated PNG (``.png``/``.apng``) or GIF (``.gif``) of the sequences; returns its path."""
    from PIL import Image

    root = Path(run_dir)
    seqs = [RunFolder(p) for p in sequence_folders(root)[:num]]
    frames = min(len(s.sample_ids()) for s in seqs)
    if frames == 0:
        raise GenbError(f"{root} has no rendered frames", f"run `genb render {root} --frames T` first")
    rate = fps or float(seqs[0].labels(0).get("fps", 30.0))
    sheets = []
    for t in range(frames):
        tiles, captions = [], []
        for s in seqs:
            tiles.append(draw_ground_truth(s.image(t), s.labels(t), s.instances(t)))
            captions.append(f"{s.root.name} frame {t}")
            if noise is not None:
                tiles.append(s.enhanced_image(noise, t))
                captions.append(f"noise {noise:.2f}")
        sheets.append(Image.fromarray(contact_sheet(tiles, captions, 2 if noise is not None else min(len(tiles), 4),
                                                    tile_width)))
    out = Path(out) if out else root / "show.png"
    duration = int(round(1000.0 / rate))
    tmp = out.with_name(f".{out.name}.tmp{out.suffix}")
    sheets[0].save(tmp, save_all=True, append_images=sheets[1:], duration=duration, loop=0,
                   **({"format": "PNG"} if out.suffix.lower() in (".png", ".apng") else {}))
    tmp.replace(out)
    logger.info("wrote %s (%d frames of %d sequence(s) at %.0f fps)", out, frames, len(seqs), rate)
    return out
