"""Places: every object kind builds a mesh with its own seg class, every place kind builds a place that
keeps clear of people, the camera and the framed person's sightline, and a rendered place shows its
classes, lists its objects and is named in the prompt."""

import numpy as np
import pytest

from genb.core.conventions import SCENE_PART_INDEX
from genb.render.scene import places
from genb.render.scene import props
from genb.render.config import RenderConfig
from genb.render.stage import RenderStage


@pytest.mark.parametrize("kind", sorted(places.PROP_KINDS))
def test_every_object_kind_builds_a_mesh_of_its_class(kind):
    rec = places.recipe(np.random.default_rng(0), kind, (3.0, 4.0), 30.0)
    meshes = places.prop_meshes(rec)
    assert meshes and SCENE_PART_INDEX[places.PROP_KINDS[kind].part] in [m[4] for m in meshes]
    for v, f, n, c, part in meshes:
        assert np.isfinite(v).all() and f.max() < len(v) and np.allclose(np.linalg.norm(n, axis=1), 1, atol=1e-3)
        assert v[:, 2].min() >= -2.01 and c.shape == v.shape


@pytest.mark.parametrize("name", sorted(places.PLACE_KINDS))
def test_every_place_keeps_clear_of_people_and_the_framed_sightline(name):
    kind = places.PLACE_KINDS[name]
    rng = np.random.default_rng(1)
    people = np.array([[0.5, 6.0], [-2.0, 8.0], [2.5, 9.0]])
    radii = np.array([0.5, 0.6, 0.4])
    room = ((-5.0, -2.0), (5.0, 14.0)) if kind.indoor else None
    near, far = places.build_place(rng, kind, np.zeros(2), np.array([0.0, 1.0]), people, radii, 0, [], room)
    assert len(near) >= 3 and all(o["place"] == name for o in near + far)
    corridor = props._corridor(np.zeros(2), people[0], radii[0])
    for o in near:
        flat = o["size"][2] < 0.02 or o["type"] in ("wall_window", "door", "picture")
        if flat:
            continue
        assert (props.rect_circle_gap(np.array(o["position"]), o["size"][:2], o["yaw_deg"], people, radii) >= 0.15).all(), o["type"]
        assert not props.rects_overlap(props.footprint(o, 0.0), corridor), o["type"]
    assert (len(far) > 0) == (not kind.indoor)


def test_a_rendered_street_shows_its_classes_and_names_them():
    from genb.enhance.prompts import build_prompt, load_templates

    stage = RenderStage(RenderConfig(num_samples=2, seed=3, image_size=(160, 120), places="street", camera_effects=False,
                                     camera_pitch_deg=(0.0, 5.0)))
    seen = set()
    for i in range(2):
        s = stage(i)
        parts, inst = s.images["parts"], s.images["instances"]
        new = parts >= SCENE_PART_INDEX["chair"]
        assert (inst[new] == 0).all()
        seen |= set(np.unique(parts[new]).tolist())
        assert s.scene["background"]["place"] == "street"
        assert "city street" in build_prompt(s.scene, load_templates(None))
        assert any(o.get("place") == "street" and o["type"] == "building" for o in s.scene["objects"])
    stage.close()
    assert SCENE_PART_INDEX["building"] in seen
