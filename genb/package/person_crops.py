"""``genb package --crops``: package the per-person crops ``genb enhance --per-person --save-crops`` kept.

Each saved crop is a square around one person re-rendered at the model's
resolution, with its own camera ``K_crop`` (``genb.enhance.crops``). Packaged,
it is an image of its own: one image per person, whose 2D labels (keypoints,
projected vertices, boxes, ``center``/``scale``) are those of the full image
mapped into the crop's pixels and whose ``cam_int`` is ``K_crop``; the 3D
labels (camera frame) are unchanged, so ``K_crop`` projects them onto the crop
exactly. Trainers that cut crops around ``center``/``scale`` then cut them
from the high-resolution crop instead of upscaling a few full-image pixels.
People without a saved crop (smaller than ``--person-min-size``) are left out.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from genb.enhance.crops import CropBox, crop_image, crop_intrinsics, map_points
from genb.errors import GenbError
from genb.package.records import PersonRecords
from genb.core.records.crops import read_crop_record
from genb.core.run import RunFolder

CROPS_DIR = "crops"


def crop_imgname(index: int, person: int) -> str:
    """Image path of a person's crop relative to ``OUT`` (the npz files' ``imgname``)."""
    return f"images/{index:06d}_p{person:02d}.png"


def require_crops(run: RunFolder, noise: float) -> Path:
    """The saved crops' folder of ``noise``, or one clear error saying how to make it."""
    folder = run.enhanced_dir(noise) / CROPS_DIR
    if noise <= 0 or not folder.is_dir():
        raise GenbError(f"--crops needs the per-person crops of noise {noise:.2f} ({folder} does not exist)",
                        f"run `genb enhance {run.root} --noise {noise or 0.4} --per-person --save-crops` first "
                        "(and package with that --noise), or drop --crops")
    return folder


def saved_crops(folder: Path, index: int) -> dict[int, tuple[CropBox, Path]]:
    """``{person: (box, png path)}`` of the crops saved for sample ``index``."""
    out = {}
    for path in sorted(folder.glob(f"{index:06d}_p*.json")):
        if not path.stem.split("_p", 1)[1].isdigit():
            continue  # a detail crop
        rec = read_crop_record(path)  # a corrupt one is one error naming it
        out[rec.person] = (CropBox(*rec.box), path.with_suffix(".png"))
    return out


def subset(rec: PersonRecords, keep: np.ndarray) -> PersonRecords:
    """The people ``keep`` (indices into ``rec``) of a sample's records."""
    per_image = ("cam_int", "cam_ext", "image_size")  # every other array field is per person
    take = {f.name: getattr(rec, f.name)[keep] for f in dataclasses.fields(rec)
            if f.name not in per_image and isinstance(getattr(rec, f.name), np.ndarray)}
    smpl = {k: np.asarray(v)[keep] for k, v in rec.smpl.items()} if rec.smpl is not None else None
    return dataclasses.replace(rec, params={k: v[keep] for k, v in rec.params.items()}, smpl=smpl, **take)


def in_crop(rec: PersonRecords, box: CropBox) -> PersonRecords:
    """One person's records (``len(rec) == 1``) in the pixels of their crop ``box``.

    2D quantities (keypoints, native joints, centre, boxes, projected vertices) go through the
    crop's affine map (``genb.enhance.crops.map_points``); ``scale`` (side / 200) grows by
    ``size / side``; a 2D keypoint or joint outside the square gets confidence 0; ``cam_int`` becomes ``K_crop``; ``image_size`` the crop's.
    """
    if len(rec) != 1:
        raise ValueError("in_crop takes one person's records")
    kp = rec.keypoints_2d.copy()
    kp[..., :2] = map_points(kp[..., :2], box)
    inside = ((kp[..., :2] >= -0.5) & (kp[..., :2] <= box.size - 0.5)).all(-1)
    kp[..., 2] *= inside
    joints = map_points(rec.joints_2d, box).astype(np.float32)
    joints_inside = ((joints >= -0.5) & (joints <= box.size - 0.5)).all(-1)
    corners = lambda b: map_points(b.reshape(-1, 2, 2), box).reshape(-1, 4).astype(np.float32)  # noqa: E731
    return dataclasses.replace(
        rec,
        keypoints_2d=kp.astype(np.float32),
        joints_2d=joints, joints_conf=(rec.joints_conf * joints_inside).astype(np.float32),
        center=map_points(rec.center, box).astype(np.float32),
        scale=(rec.scale * box.scale).astype(np.float32),
        bbox=corners(rec.bbox), bbox_full=corners(rec.bbox_full),
        proj_verts=map_points(rec.proj_verts, box).astype(np.float32),
        cam_int=crop_intrinsics(rec.cam_int, box).astype(np.float32),
        image_size=np.array([box.size, box.size], np.int64),
        dropped=0,
    )


def crop_units(run: RunFolder, noise: float, index: int, rec: PersonRecords) -> list[tuple[int, PersonRecords, Path, CropBox]]:
    """``(person, records in crop pixels, crop png, box)`` for each packaged person with a saved crop."""
    crops = saved_crops(require_crops(run, noise), index)
    units = []
    for k, p in enumerate(rec.person_index.tolist()):
        if p in crops:
            box, png = crops[p]
            units.append((p, in_crop(subset(rec, np.array([k])), box), png, box))
    return units


def crop_masks(instances: np.ndarray, box: CropBox, num_people: int) -> np.ndarray:
    """(P, size, size) bool: every person's visible pixels in the crop (nearest-neighbour resize)."""
    ids = crop_image(instances, box, "nearest", "zero")
    return ids[None] == (np.arange(num_people, dtype=ids.dtype)[:, None, None] + 1)


def package_crops(run: RunFolder, cfg, index: int, labels: dict[str, np.ndarray], rec: PersonRecords,
                  row_makers: dict):
    """The crop-based packaging of one sample (``genb package --crops``).

    Args:
        row_makers: ``{npz format: rows(records, imgname, index) -> (rows, dropped)}`` of the formats written.
    Returns:
        (the records of the people packaged, ``{format: rows}``, ``{format: people its client drops}``,
        ``{imgname: png bytes}``, WebDataset samples, one per person).
    """
    import cv2

    from genb.package import npz, wds

    units = crop_units(run, cfg.noise, index, rec)
    kept = subset(rec, np.array([k for k, p in enumerate(rec.person_index.tolist())
                                 if p in {u[0] for u in units}], np.int64))
    images: dict[str, bytes] = {}
    rows: dict[str, list] = {fmt: [] for fmt in row_makers}
    dropped = dict.fromkeys(row_makers, 0)
    shard_samples = []
    instances = run.instances(index) if cfg.webdataset and cfg.masks else None
    for p, one, png, box in units:
        data = png.read_bytes()
        name = crop_imgname(index, p)
        images[name] = data
        for fmt, make in row_makers.items():
            r, d = make(one, name, index)
            rows[fmt].append(r)
            dropped[fmt] += d
        if cfg.webdataset:
            if cfg.image_format == "png":
                image_bytes, ext = data, "png"
            else:
                bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(cfg.jpeg_quality)])
                if not ok:
                    raise GenbError(f"could not encode {png} as JPEG")
                image_bytes, ext = buf.tobytes(), "jpg"
            masks = crop_masks(instances, box, len(labels["keypoints_vis"])) if instances is not None else None
            people = wds.person_dicts(one, index, cfg.noise, with_masks=cfg.masks)
            for person in people:
                person["extra_info"]["crop_box"] = np.array(box.as_list(), np.int64)
            shard_samples.append(wds.shard_sample(f"{wds.shard_key(index, cfg.noise)}_p{p:02d}", image_bytes, ext,
                                                  people, masks))
    merged = {fmt: npz.concat_rows(r) for fmt, r in rows.items() if r}
    return kept, merged, {f: dropped[f] for f in merged}, images, shard_samples
