"""Measure contact, framing and scene coverage of render presets (docs/render.md states the targets).

``python bench/measure_world.py --presets bedlam closeup --samples 60 [--contact-only] [--indoor]``

``--indoor`` renders rooms only (``--places living_room,office,gym``) and adds, per preset, the share of
renders that show a window (window frame or glass pixels over 0.2 % of the image) and a sun patch (floor
pixels whose ray toward the recorded sun leaves through a recorded window opening, over 0.5 % of the
image; people and furniture in the way not counted), and both.

Contact (from the labels and scene.json, no GL needed): per visible person the height of the
lowest body point, of the knees (kneeling poses) and of the mid-hip (sitting poses) above
their support (a seat's top, else the ground). Framing and coverage need the rendered maps.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from genb.config import resolve_config
from genb.render.config import RenderConfig
from genb.render.stage import REDRAWS, RenderStage
from genb.render.scene import framing
from genb.core.conventions import SCENE_PART_INDEX


def _window_rays(points: np.ndarray, toward: np.ndarray, window: dict) -> np.ndarray:
    """(N,) bool: the ray from each point toward the sun crosses the window's opening (6 cm frame inside),
    on both faces of its wall."""
    L, T, H = window["size"]
    s, a = float(window["sill"]), math.radians(window["yaw_deg"])
    R = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    p, t = (points - np.array([*window["position"], 0.0])) @ R, toward @ R
    if t[1] <= 1e-6:
        return np.zeros(len(points), bool)
    ok = np.ones(len(points), bool)
    for y in (-T / 2, T / 2):
        q = p + ((y - p[:, 1]) / t[1])[:, None] * t
        ok &= (np.abs(q[:, 0]) < L / 2 - 0.06) & (q[:, 2] > s + 0.06) & (q[:, 2] < s + H - 0.06)
    return ok


def indoor_light(s) -> dict:
    """A rendered room's window share of the image and its sun patch's share (floor lit through a window)."""
    parts, depth, scene = s.images["parts"], s.depth, s.scene
    ids = [SCENE_PART_INDEX[n] for n in ("window", "glass") if n in SCENE_PART_INDEX]
    window = float(np.isin(parts, ids).mean())
    windows = [o for o in scene["objects"] if o["type"] == "wall_window" and "sill" in o]
    sunlit = (scene["sky"].get("daylight") or {}).get("sun")
    patch = 0.0
    if windows and sunlit:
        floor = (parts == SCENE_PART_INDEX["ground"]) & (depth > 0)
        from genb.render.raster.shadows import pixel_world_points
        from genb.render.scene.sample import CameraRecipe

        cam = CameraRecipe(**scene["camera"])
        pts = pixel_world_points(depth, cam.K, cam.cam_ext, floor).astype(np.float64)
        toward = -np.asarray(scene["lighting"]["direction"], np.float64)
        hit = np.zeros(len(pts), bool)
        for w in windows:
            hit |= _window_rays(pts, toward / np.linalg.norm(toward), w)
        patch = float(hit.sum() / floor.size)
    return {"window": window, "patch": patch, "sunlit": bool(sunlit)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", nargs="+", default=["bedlam", "closeup"])
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="256,192")
    ap.add_argument("--contact-only", action="store_true")
    ap.add_argument("--indoor", action="store_true", help="rooms only; measure their windows and sun patches")
    ap.add_argument("--start", type=int, default=0, help="first sample index (split a long measure over processes)")
    ap.add_argument("--rows", help="also write one JSON line per sample (framing, the scene's place and framing record)")
    a = ap.parse_args()
    w, h = (int(x) for x in a.size.split(","))
    for preset in a.presets:
        over = {"num_samples": a.start + a.samples, "image_size": (w, h), "seed": a.seed, "camera_effects": False}
        if a.indoor:
            over["places"] = "living_room,office,gym"
        cfg = resolve_config(RenderConfig, "render", preset, over)
        rooms = []
        stage = RenderStage(cfg)
        contact_rows, frame_rows = [], []
        rows_file = open(a.rows, "a") if a.rows else None
        for i in range(a.start, a.start + a.samples):
            prep = stage.prepare(i)
            labels, scene = prep.labels, prep.scene
            first_best = None
            if not a.contact_only:  # as the renderer does: a render that frames nobody is drawn again
                s = stage.finish(prep)
                first_best = framing.sample_framing(s.labels, s.images["parts"], s.depth, s.scene)["best_visible"]
                for retry in range(1, REDRAWS + 1):
                    if stage.frames_someone(s):
                        break
                    prep = stage.prepare(i, retry=retry)
                    s = stage.finish(prep)
                labels, scene = s.labels, s.scene
                frame_rows.append(framing.sample_framing(s.labels, s.images["parts"], s.depth, s.scene))
                if a.indoor:
                    rooms.append(indoor_light(s))
                frame_rows[-1]["first_best_visible"] = first_best
                if rows_file:
                    rows_file.write(json.dumps({"preset": preset, "seed": a.seed, "index": i, **frame_rows[-1],
                                                "place": s.scene["background"].get("place"),
                                                "framing": s.scene.get("framing")}) + "\n")
                    rows_file.flush()
            ext = prep.cam_ext
            lowest = ((prep.body_vertices_cam - ext[:3, 3]) @ ext[:3, :3])[..., 2].min(axis=1)
            contact_rows += framing.contact_report(labels, scene, lowest)
        stage.close()
        out = {"preset": preset, "samples": a.samples, **framing.summarise_contact(contact_rows)}
        if frame_rows:
            out.update(framing.summarise_framing(frame_rows))
        if rooms:
            win = np.array([r["window"] > 0.002 for r in rooms])
            sun = np.array([r["patch"] > 0.005 for r in rooms])
            out["rooms"] = {"n": len(rooms), "window_visible": float(win.mean()), "sun_patch": float(sun.mean()),
                            "window_and_sun_patch": float((win & sun).mean()),
                            "sunlit_rooms": float(np.mean([r["sunlit"] for r in rooms])),
                            "patch_share_p50_when_seen": float(np.median([r["patch"] for r in rooms if r["patch"] > 0.005]
                                                                         or [0.0]))}
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
