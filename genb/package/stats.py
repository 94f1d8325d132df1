"""Statistics of a packaged dataset: gathered per sample, merged over ranks, drawn in the card."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from genb.package.records import PersonRecords

ANNY_PHENOTYPES = ("gender", "age", "muscle", "weight", "height", "proportions")


def fov_deg(cam_int: np.ndarray, image_size: np.ndarray) -> tuple[float, float]:
    """(horizontal, vertical) field of view in degrees of a pinhole camera.

    Args:
        cam_int: (3, 3) intrinsics, pixels.
        image_size: (H, W) pixels.
    """
    H, W = (float(x) for x in image_size)
    return (math.degrees(2 * math.atan(W / (2 * float(cam_int[0, 0])))),
            math.degrees(2 * math.atan(H / (2 * float(cam_int[1, 1])))))


class DatasetStats:
    """Running statistics of the packaged samples of one process (JSON-serialisable state)."""

    def __init__(self, state: dict[str, Any] | None = None):
        self.s: dict[str, Any] = state or {
            "samples": 0, "samples_without_people": 0, "people_total": 0, "people_packaged": 0,
            "people_dropped": 0, "people_per_image": [], "fov_x_deg": [], "fov_y_deg": [],
            "visible_keypoints": [], "height_m": [], "gender": {}, "image_sizes": {},
            "shape": [], "shape_names": [], "body_model": None,
            "format_people": {}, "format_dropped": {}, "smpl_v2s_mean_mm": [], "smpl_v2s_max_mm": [],
            "smpl_failed": 0,
        }

    def add(self, labels: dict[str, np.ndarray], rec: PersonRecords) -> None:
        s = self.s
        s["samples"] += 1
        s["samples_without_people"] += int(len(rec) == 0)
        P = int(len(labels["keypoints_vis"]))
        s["people_total"] += P
        s["people_packaged"] += len(rec)
        s["people_dropped"] += rec.dropped
        s["people_per_image"].append(len(rec))
        fx, fy = fov_deg(rec.cam_int, rec.image_size)
        s["fov_x_deg"].append(round(fx, 3))
        s["fov_y_deg"].append(round(fy, 3))
        s["visible_keypoints"].extend(int(v) for v in rec.vis_count)
        if "height_m" in labels:
            s["height_m"].extend(round(float(h), 4) for h in np.asarray(labels["height_m"])[rec.person_index])
        g = Counter(str(x) for x in rec.gender)
        for k, v in g.items():
            s["gender"][k] = s["gender"].get(k, 0) + v
        size = f"{int(rec.image_size[1])}x{int(rec.image_size[0])}"
        s["image_sizes"][size] = s["image_sizes"].get(size, 0) + 1
        s["body_model"] = rec.body_model
        if rec.smpl is not None:
            s["smpl_v2s_mean_mm"].extend(round(float(x), 3) for x in rec.smpl["v2s_mean_mm"])
            s["smpl_v2s_max_mm"].extend(round(float(x), 3) for x in rec.smpl["v2s_max_mm"])
            s["smpl_failed"] += int((rec.smpl["ok"] == 0).sum())
        if rec.body_model == "anny" and "phenotypes" in rec.params:
            s["shape_names"] = list(ANNY_PHENOTYPES)
            s["shape"].extend(np.round(np.asarray(rec.params["phenotypes"], float), 4).tolist())
        elif "betas" in rec.params:
            betas = np.asarray(rec.params["betas"], float)
            s["shape_names"] = [f"beta{i}" for i in range(min(2, betas.shape[1]))]
            s["shape"].extend(np.round(betas[:, :2], 4).tolist())

    def add_formats(self, rows: dict[str, dict[str, np.ndarray]], dropped: dict[str, int]) -> None:
        """Count, per npz format, the people written and those its client's rule drops."""
        for fmt, r in rows.items():
            self.s["format_people"][fmt] = self.s["format_people"].get(fmt, 0) + len(r.get("imgname", ()))
            self.s["format_dropped"][fmt] = self.s["format_dropped"].get(fmt, 0) + int(dropped.get(fmt, 0))

    @staticmethod
    def merge(states: list[dict[str, Any]]) -> "DatasetStats":
        out = DatasetStats()
        for st in states:
            for k, v in st.items():
                if isinstance(v, list) and k != "shape_names":
                    out.s[k].extend(v)
                elif isinstance(v, dict):
                    for kk, vv in v.items():
                        out.s[k][kk] = out.s[k].get(kk, 0) + vv
                elif isinstance(v, int):
                    out.s[k] += v
                elif v:
                    out.s[k] = v
            if st.get("shape_names"):
                out.s["shape_names"] = st["shape_names"]
        return out
