"""Measure contact, framing and scene coverage of render presets (docs/render.md states the targets).

``python bench/measure_world.py --presets bedlam closeup --samples 60 [--contact-only]``

Contact (from the labels and scene.json, no GL needed): per visible person the height of the
lowest body point, of the knees (kneeling poses) and of the mid-hip (sitting poses) above
their support (a seat's top, else the ground). Framing and coverage need the rendered maps.
"""

from __future__ import annotations

import argparse
import json

from genb.config import resolve_config
from genb.render.config import RenderConfig
from genb.render.stage import RenderStage
from genb.render.scene import framing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", nargs="+", default=["bedlam", "closeup"])
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--size", default="256,192")
    ap.add_argument("--contact-only", action="store_true")
    a = ap.parse_args()
    w, h = (int(x) for x in a.size.split(","))
    for preset in a.presets:
        cfg = resolve_config(RenderConfig, "render", preset, {"num_samples": a.samples, "image_size": (w, h),
                                                             "seed": a.seed, "camera_effects": False})
        stage = RenderStage(cfg)
        contact_rows, frame_rows = [], []
        for i in range(a.samples):
            prep = stage.prepare(i)
            labels, scene = prep.labels, prep.scene
            ext = prep.cam_ext
            lowest = ((prep.body_vertices_cam - ext[:3, 3]) @ ext[:3, :3])[..., 2].min(axis=1)
            if not a.contact_only:
                s = stage.finish(prep)
                labels, scene = s.labels, s.scene
                frame_rows.append(framing.sample_framing(s.labels, s.images["parts"], s.depth, s.scene))
            contact_rows += framing.contact_report(labels, scene, lowest)
        stage.close()
        out = {"preset": preset, "samples": a.samples, **framing.summarise_contact(contact_rows)}
        if frame_rows:
            out.update(framing.summarise_framing(frame_rows))
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
