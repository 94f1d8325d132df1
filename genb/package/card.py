"""The dataset card: ``OUT/README.md`` with counts, distributions (plots), licence and provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genb.package.formats import PACKAGE_FORMATS
from genb.package.inputs import Selection
from genb.package.joints44 import JOINTS44, PROVIDED
from genb.package.stats import DatasetStats
from genb.render.bodies import BODY_MODELS
from genb.core.io import atomic_write_bytes, atomic_write_text
from genb.core.run import RunFolder

GENB_LICENCE = "genb itself is Apache-2.0."
DIFFUSION_NOTE = (
    "The enhanced images were made by a diffusion model and ControlNet(s) (named in the enhance command "
    "below); their weights' licences (for Stable Diffusion 1.5 derivatives, CreativeML OpenRAIL-M) govern "
    "the use of the images they generate."
)


def _read_yaml(path: Path) -> dict[str, Any] | None:
    import yaml

    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError):  # the card only quotes it: an unreadable one is left out
        return None
    return data if isinstance(data, dict) else None


def _hist_png(path: Path, panels: list[tuple[str, np.ndarray, Any, str]]) -> None:
    """One row of histograms: (title, values, bins, x label) per panel."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.6), dpi=90, squeeze=False)
    for ax, (title, values, bins, xlabel) in zip(axes[0], panels):
        values = np.asarray(values, float)
        if len(values):
            ax.hist(values, bins=bins, color="#4c72b0", edgecolor="white")
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def write_plots(folder: Path, stats: DatasetStats) -> dict[str, str]:
    """The card's plots; ``{name: file name}``."""
    s = stats.s
    folder.mkdir(parents=True, exist_ok=True)
    ppl = np.asarray(s["people_per_image"], int)
    vis = np.asarray(s["visible_keypoints"], int)
    plots = {
        "people_per_image": [("people per image", ppl, np.arange(-0.5, (ppl.max() if len(ppl) else 1) + 1.5), "people")],
        "fov": [("horizontal FOV", s["fov_x_deg"], 20, "degrees"), ("vertical FOV", s["fov_y_deg"], 20, "degrees")],
        "visible_joints": [("visible BODY25 keypoints per person", vis, np.arange(-0.5, 26.5), "keypoints")],
    }
    shape = np.asarray(s["shape"], float).reshape(-1, len(s["shape_names"]) or 1)
    body_panels = [("stature", s["height_m"], 20, "metres")] if s["height_m"] else []
    for i, name in enumerate(s["shape_names"]):
        if name in ("gender", "proportions"):
            continue
        anny = s["body_model"] == "anny"
        body_panels.append((f"anny {name}" if anny else name, shape[:, i], 20, "phenotype (0..1)" if anny else "SMPL-X beta"))
    plots["body_shape"] = body_panels or [("body shape", [], 10, "")]
    out = {}
    for name, panels in plots.items():
        _hist_png(folder / f"{name}.png", panels)
        out[name] = f"card/{name}.png"
    return out


def _provenance_sentence(selection: Selection) -> str:
    if selection.source == "render":
        which = "Images are the renders themselves"
        if selection.num_checked is not None and not selection.include_rejected:
            which += f", of the samples the checker accepted at noise {selection.noise:.2f}"
        return which + "."
    text = f"Images were re-rendered by a noise-conditioned ControlNet at noise {selection.noise:.2f}"
    if selection.include_rejected:
        return text + "; all of them are included, also those the checker rejected or never checked (--include-rejected)."
    return text + " and kept only where the checker found they still match their ground truth."


def _tidy_command(command: str) -> str:
    """``/path/to/genb/__main__.py render ...`` (what ``python -m genb`` leaves in argv) -> ``genb render ...``."""
    first, _, rest = command.partition(" ")
    if first.endswith(("genb/__main__.py", "/genb", "genb/cli.py")) or first == "genb":
        return "genb " + rest
    return command


def _command_lines(run: RunFolder, selection: Selection, out: Path) -> list[tuple[str, dict[str, Any] | None]]:
    records = [("render", _read_yaml(run.root / "render.yaml"))]
    if selection.source == "enhanced" or selection.noise > 0:
        records.append(("enhance", _read_yaml(run.enhanced_dir(selection.noise) / "enhance.yaml")))
        records.append(("check", _read_yaml(run.check_dir(selection.noise) / "check.yaml")))
    records.append(("package", _read_yaml(out / "package.yaml")))
    return records


def card_text(run: RunFolder, cfg: Any, selection: Selection, stats: DatasetStats, npz_files: dict[str, Path],
              shard_paths: list[Path], plots: dict[str, str], out: Path, skipped: dict[str, str] | None = None) -> str:
    """The dataset card's Markdown: counts and distributions, files, what is absent, licence, how it was made."""
    body = stats.s["body_model"] or run.manifest.body_model or "?"
    lines = _counts_section(run, cfg, selection, stats.s, plots, body)
    lines += _files_section(cfg, stats.s, npz_files, shard_paths, out, skipped)
    lines += _absent_section(cfg, stats.s, npz_files, body)
    lines += _licence_section(run, selection, body)
    lines += _made_section(run, selection, out)
    return "\n".join(lines)


def _counts_section(run: RunFolder, cfg: Any, selection: Selection, s: dict[str, Any], plots: dict[str, str],
                    body: str) -> list[str]:
    """Title, counts and distributions (``s``: the merged statistics)."""
    name = run.root.resolve().name
    lines = [f"# genb dataset: {name}, {selection.source} images at noise {selection.noise:.2f}", ""]
    lines += [
        "Synthetic images of people with exact 3D ground truth, made with "
        "genb (render -> enhance -> check -> package). "
        + _provenance_sentence(selection), "",
        "## Counts", "", "| | |", "| --- | --- |",
        f"| rendered samples in the run | {selection.num_samples} |",
        f"| samples with {selection.source} images | {selection.num_candidates} |",
    ]
    if selection.num_checked is not None:
        rate = selection.acceptance_rate or 0.0
        lines += [f"| checked at noise {selection.noise:.2f} | {selection.num_checked} |",
                  f"| accepted | {selection.num_accepted} ({100 * rate:.1f}%) |"]
    lines += [
        f"| rejected samples included | {'yes (--include-rejected)' if selection.include_rejected else 'no'} |",
        f"| packaged images | {s['samples']} |",
        f"| people in them | {s['people_total']} |",
        f"| packaged people (rows / person records) | {s['people_packaged']} |",
        f"| people left out (fewer than {cfg.min_visible_keypoints} visible keypoints) | {s['people_dropped']} |",
        f"| images with nobody left (not in the shards) | {s['samples_without_people']} |",
        f"| image sizes (W x H: images) | {', '.join(f'{k}: {v}' for k, v in sorted(s['image_sizes'].items()))} |",
        f"| gender (people) | {', '.join(f'{k}: {v}' for k, v in sorted(s['gender'].items()))} |",
        f"| body model | {body} |", "",
        "## Distributions", "",
    ]
    for title, key in (("People per image", "people_per_image"), ("Field of view", "fov"),
                       ("Body shape", "body_shape"), ("Visible joints", "visible_joints")):
        lines += [f"**{title}**", "", f"![{title}]({plots[key]})", ""]
    if s["fov_x_deg"]:
        fx = np.asarray(s["fov_x_deg"])
        lines += [f"Horizontal FOV {fx.min():.1f}-{fx.max():.1f} degrees (median {np.median(fx):.1f}).", ""]
    return lines


def _files_section(cfg: Any, s: dict[str, Any], npz_files: dict[str, Path], shard_paths: list[Path], out: Path,
                   skipped: dict[str, str] | None) -> list[str]:
    """The files written (npz keys, shards, formats not written) and how clients read them."""
    lines = ["## Files and how to read them", ""]
    if npz_files:
        lines += ["Every npz's `imgname` is relative to this folder (images in `images/`): set the trainer's "
                  "image folder (`DATASET_FOLDERS`) to it. Crops (`center`, `scale` = side / 200) follow BEDLAM's "
                  "definition: the in-frame body joints' box x 1.2. **Dataset names**: BEDLAM and CameraHMR rotate "
                  "the images of any dataset whose name contains `closeup` (or `portrait`) and split dataset lists "
                  "on `_`; register this package under a name with neither (the default is "
                  f"`{next(iter(npz_files.values())).stem.replace('-hands', '')}`).", ""]
        for fmt, path in npz_files.items():
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.files)
            people = s.get("format_people", {}).get(fmt, 0)
            dropped = s.get("format_dropped", {}).get(fmt, 0)
            drop_text = (f", {dropped} packaged people left out because the client's own processing drops them "
                         "(fewer than 12 body joints in frame, or a failed SMPL fit)" if fmt != "genb" else "")
            title = PACKAGE_FORMATS.get(fmt).title if fmt in PACKAGE_FORMATS else fmt
            lines += [f"* **{title}**: `{path.relative_to(out)}`, {people} rows{drop_text}. "
                      "Keys: " + ", ".join(f"`{k}`" for k in keys) + "."]
    if skipped:
        lines += [f"* **not written: {fmt}**: {why}." for fmt, why in skipped.items()]
    if shard_paths:
        lines += [
            f"* **4D-Humans / TokenHMR WebDataset**: {len(shard_paths)} shard(s) in `webdataset/` "
            f"(`webdataset/index.json` lists them): `<key>.{cfg.image_format}` + `<key>.data.pyd`"
            + (" + `<key>.detection.npz` (person masks)" if cfg.masks else "")
            + ". Read with `wds.WebDataset(urls).decode('rgb8').rename(jpg='jpg;jpeg;png')`. "
            "**TokenHMR**: register them with `TYPE: ImageDataset` (4D-Humans' reader, "
            "`tokenhmr/lib/datasets/image_dataset.py`, as its `configs/datasets_tar.yaml` does for every tar set "
            "but BEDLAM's), not `BedlamDataset` (`bedlam_dataset_tar.py`), which reads BEDLAM's own tar keys "
            "(`gtkps`, `pose_cam`, `shape`, `trans_cam`, `cam_ext`, `gender`) these shards do not carry.",
        ]
    lines += ["* **PyTorch**: `genb.data.PackagedDataset(OUT)` gives image + labels per person.", ""]
    return lines


def _absent_section(cfg: Any, s: dict[str, Any], npz_files: dict[str, Path], body: str) -> list[str]:
    """What the package does not carry, or carries differently from its clients' conventions."""
    missing = [n for n, p in zip(JOINTS44, PROVIDED) if not p]
    lines = ["## What is absent", ""]
    lines += [f"* 44-joint keypoints: {', '.join(missing)} have no counterpart in genb's ground truth and are "
              "zeros with confidence 0. The other 38 are genb's exact BODY25 keypoints (the LSP hips and MPII pelvis "
              "are the BODY25 hips and mid-hip)."]
    lines += ["* Derived joints: in genb's BODY25 (and the `genb` npz) OpenPose `Neck` and `MidHip` (and so the MPII "
              "pelvis) are the midpoints of the shoulders and of the hips; the LSP hips are the BODY25 hips. The "
              "SMPL-family trainers' joint maps put SMPL's neck (joint 12) and pelvis (joint 0) in those two slots "
              "instead, so in `camerahmr`, `camerahmr-hands` and the shards slots 1 and 8 of the 44 joints hold the "
              "body model's own neck and pelvis (the SMPL fit's, else SMPL-X's), and have confidence 0 where there "
              "is neither (anny without an SMPL fit)."]
    if "humandata" in npz_files:
        lines += ["* **HumanData hand poses are absolute** (`flat_hand_mean=True`: zero is a flat hand, as in "
                  "BEDLAM and `misc['flat_hand_mean']`). SMPLer-X's SMPL-X layer assumes poses relative to the mean "
                  "hand (`flat_hand_mean=False`) everywhere but its BEDLAM dataset class: register this file as "
                  "that class, or subtract the model's `hands_meanl`/`hands_meanr` (from your `SMPLX_*.npz`) from "
                  "`left_hand_pose`/`right_hand_pose` before training with the default layer."]
    fits = np.asarray(s.get("smpl_v2s_mean_mm", []), float)
    if len(fits):
        mx = np.asarray(s["smpl_v2s_max_mm"], float)
        lines += [f"* **SMPL parameters are fits** of SMPL (your model file, `--smpl-dir`) to each body: vertex-to-"
                  f"surface error per person mean {fits.mean():.1f} mm (median {np.median(fits):.1f}, worst person "
                  f"{fits.max():.1f}), max over vertices {np.median(mx):.1f} mm at the median person; "
                  f"{s.get('smpl_failed', 0)} fits above --smpl-max-error-mm={cfg.smpl_max_error_mm:g} are left out "
                  "of `camerahmr` and have `has_body_pose = has_betas = 0` in the shards. Per person: "
                  "`smpl_v2s_mean_mm`, `smpl_v2s_max_mm` (npz), `extra_info` (shards)."]
    else:
        lines += ["* **No SMPL parameters** (no SMPL model files were given): SMPL fields are absent, never filled with "
              f"{'SMPL-X' if body == 'smplx' else 'anny'} values. In the shards `body_pose`/`betas` are zeros with "
              "`has_body_pose = has_betas = 0`. Usable: keypoint-only supervision (4D-Humans/TokenHMR configs with "
              "2D/3D keypoint losses; the `genb` npz)"
              + ("; BEDLAM's and CameraHMR-hands' SMPL-X trainers (`bedlam`, `camerahmr-hands`)" if body == "smplx" else "")
              + ". Not usable: CameraHMR's SMPL trainer (`camerahmr`), and the parameter losses of HMR2.0/TokenHMR."]
    if body == "anny":
        lines += ["* anny bodies are not SMPL/SMPL-X: there is **no `pose_cam`, `shape`, `trans_cam`**; the anny "
                  "parameters are under `anny_phenotypes`, `anny_bone_rotations`, `anny_root` (genb npz, shard "
                  "`extra_info`). BEDLAM's trainer cannot use this run."]
    else:
        lines += ["* `pose_cam` eye poses are zeros (genb does not animate eyes)."]
    lines += ["* `proj_verts` (genb npz) / `genb_proj_verts` (bedlam npz) is genb's fixed vertex subset "
              "(`proj_vert_ids` of the run), not BEDLAM's 437-vertex downsampling; the bedlam npz has no "
              "`proj_verts` key, so BEDLAM's loader falls back to its zeros.", ""]
    return lines


def _licence_section(run: RunFolder, selection: Selection, body: str) -> list[str]:
    """The body model's licence, the diffusion models' note and genb's licence."""
    lines = ["## Licence", "", (BODY_MODELS.get(body).licence_text() if body in BODY_MODELS
                                 else f"Body model {body}: see its own licence."), ""]
    if selection.source == "enhanced":
        lines += [DIFFUSION_NOTE, ""]
        enhance = _read_yaml(run.enhanced_dir(selection.noise) / "enhance.yaml")
        models = {k: v for k, v in ((enhance or {}).get("config") or {}).items()
                  if k.endswith("_model") and v}
        if models:
            lines += ["Models used: " + ", ".join(f"`{k}={v}`" for k, v in models.items()) + ".", ""]
    lines += [GENB_LICENCE, ""]
    return lines


def _made_section(run: RunFolder, selection: Selection, out: Path) -> list[str]:
    """The commands of every stage, the package step's versions and the render settings."""
    lines = ["## How it was made", ""]
    versions = None
    for stage, rec in _command_lines(run, selection, out):
        if rec is None:
            lines += [f"* {stage}: (no record found)"]
            continue
        lines += [f"* {stage}: `{_tidy_command(str(rec.get('command', '?')))}`"]
        versions = rec.get("versions") or versions
    lines += [""]
    if versions:
        lines += ["Versions (package step):", "", "| package | version |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in versions.items()]
        lines += [""]
    render = _read_yaml(run.root / "render.yaml")
    if render and render.get("config"):
        cfg_r = render["config"]
        lines += ["Render settings: " + ", ".join(f"`{k}={v}`" for k, v in cfg_r.items()), ""]
    return lines


def write_card(out: Path, run: RunFolder, cfg: Any, selection: Selection, stats: DatasetStats,
               npz_files: dict[str, Path], shard_paths: list[Path], skipped: dict[str, str] | None = None) -> Path:
    """Write ``OUT/README.md`` and ``OUT/card/*.png``; returns the README's path."""
    plots = write_plots(out / "card", stats)
    path = out / "README.md"
    atomic_write_text(path, card_text(run, cfg, selection, stats, npz_files, shard_paths, plots, out, skipped))
    return path
