"""The sweep's pictures: realism against accuracy, and the samples-by-noise contact sheet."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from genb.core.log import get_logger
from genb.core.io import read_image
from genb.core.run import RunFolder

from genb.sweep.table import Recommendation, accuracy_measures, is_missing

logger = get_logger(__name__)

# ----------------------------------------------------------------------------- pictures


def plot_png(rows: list[dict[str, Any]], rec: Recommendation, min_acceptance: float, extractor: str) -> bytes:
    """sweep.png: realism (x) against each accuracy measure (y), one labelled point per level.

    Without FID numbers the x axis is the noise level and the title says so.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    have_fid = any(not is_missing(r.get("fid")) for r in rows)
    xkey = "fid" if have_fid else "noise"
    panels = [("acceptance_rate", "acceptance rate ↑", None)]
    panels += [(f"{m}_mean", f"{m.replace('_', ' ')} ({'↑' if 'iou' in m else '↓'})", f"{m}_std")
               for m in accuracy_measures() if any(not is_missing(r.get(f"{m}_mean")) for r in rows)]
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (ykey, ylabel, errkey) in zip(axes.flat, panels):
        pts = [r for r in rows if not is_missing(r.get(xkey)) and not is_missing(r.get(ykey))]
        xs = [r[xkey] for r in pts]
        ys = [r[ykey] for r in pts]
        if errkey:
            ax.errorbar(xs, ys, yerr=[r[errkey] for r in pts], fmt="none", ecolor="0.7", capsize=3, zorder=1)
        ax.plot(xs, ys, "-", color="0.8", zorder=1)
        ax.scatter(xs, ys, c=[r["noise"] for r in pts], cmap="viridis", vmin=0, vmax=1, s=40, zorder=2)
        for r, x, y in zip(pts, xs, ys):
            ax.annotate(f"s={r['noise']:.2f}", (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
            if rec.noise is not None and abs(r["noise"] - rec.noise) < 1e-9:
                ax.scatter([x], [y], s=180, facecolors="none", edgecolors="red", linewidths=1.5, zorder=3,
                           label="recommended")
        if ykey == "acceptance_rate":
            ax.axhline(min_acceptance, color="red", ls="--", lw=1, label=f"floor {min_acceptance:.0%}")
            ax.set_ylim(-0.05, 1.05)
            ax.legend(fontsize=7, loc="lower left")
        ax.set_xlabel("FID ↓ (realism)" if have_fid else "noise level (no --reference: realism not measured)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    fig.suptitle(f"realism vs accuracy, one point per noise level s (error bars: std over people)\n"
                 f"realism features: {extractor.split(';')[0]}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def draw_skeletons(image: np.ndarray, keypoints2d: np.ndarray, visible: np.ndarray, thickness: int = 2) -> np.ndarray:
    """Every person's BODY25 ground-truth skeleton on a copy of ``image``, as ``genb show`` draws it.

    Args:
        image: (H, W, 3) uint8 RGB.
        keypoints2d: (P, 25, 2) pixels, OpenCV convention, in ``image``'s pixel grid.
        visible: (P, 25) bool; occluded keypoints are drawn as rings, their limbs thin and dim.
    """
    from genb.core.draw import PERSON_COLORS, draw_skeleton

    out = np.ascontiguousarray(image.copy())
    for p, (kp, vis) in enumerate(zip(np.asarray(keypoints2d), np.asarray(visible, dtype=bool))):
        draw_skeleton(out, kp, vis, PERSON_COLORS[p % len(PERSON_COLORS)], thickness)
    return out


def contact_sheet(run: RunFolder, noises: list[float], ids: list[int], cell: int = 256,
                  decisions: dict[float, dict[int, bool]] | None = None) -> np.ndarray:
    """Rows: samples; columns: the render, then each noise level; ground-truth skeleton on every cell.

    Cells of rejected samples get a red frame, accepted ones green, unchecked none; a
    missing enhanced image is a grey cell.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    import cv2

    decisions = decisions or {}
    heads = ["render"] + [f"noise {s:.2f}" for s in noises]
    header, pad = 40, 4
    rows = []
    for i in ids:
        render = run.image(i)
        h, w = render.shape[:2]
        scale = cell / max(h, w)
        ch, cw = max(1, round(h * scale)), max(1, round(w * scale))
        labels = run.labels(i)
        kp = labels["keypoints2d"] if "keypoints2d" in labels else np.zeros((0, 25, 2))
        vis = labels["keypoints_vis"] if "keypoints_vis" in labels else np.zeros(kp.shape[:2], bool)
        cells = []
        for col, s in enumerate([None, *noises]):
            if s is None:
                img = render
            else:
                path = run.enhanced_dir(s) / f"{run.sample_name(i)}.png"
                img = read_image(path) if path.is_file() else None
            if img is None:
                tile = np.full((ch, cw, 3), 96, np.uint8)
            else:
                tile = cv2.resize(img, (cw, ch), interpolation=cv2.INTER_AREA)
                # keypoints are in render pixels; pixel centres map as (x + 0.5) * scale - 0.5
                k = (kp + 0.5) * np.array([cw / w, ch / h]) - 0.5 if len(kp) else kp
                tile = draw_skeletons(tile, k, vis, thickness=2 if cell >= 192 else 1)
            frame = np.full((ch + 2 * pad, cell + 2 * pad, 3), 255, np.uint8)
            accepted = decisions.get(s, {}).get(i) if s is not None else None
            x0 = pad + (cell - cw) // 2
            if accepted is not None:  # a coloured border around the tile
                frame[:, x0 - pad:x0 + cw + pad] = (40, 180, 60) if accepted else (220, 40, 40)
            frame[pad:pad + ch, x0:x0 + cw] = tile
            cells.append(frame)
        row = np.concatenate(cells, axis=1)
        label = np.full((row.shape[0], 70, 3), 255, np.uint8)
        cv2.putText(label, f"#{i}", (6, row.shape[0] // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([label, row], axis=1))
    body = np.concatenate(rows, axis=0)
    top = np.full((header, body.shape[1], 3), 255, np.uint8)
    for col, text in enumerate(heads):
        cv2.putText(top, text, (70 + col * (cell + 2 * pad) + pad, header - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(top, "ground-truth skeleton; frame: green accepted, red rejected", (6, 14),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (80, 80, 80), 1, cv2.LINE_AA)
    return np.concatenate([top, body], axis=0)


