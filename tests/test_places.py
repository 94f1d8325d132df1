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
    horizon = len(far) > 0 or any(o["type"] == "sea" for o in near)  # a backdrop, or the sea to the horizon
    assert horizon == (not kind.indoor)


@pytest.mark.parametrize("name", sorted(places.PLACE_KINDS))
def test_every_place_builds_round_people_right_in_front_of_the_camera(name):
    """A close-up stands its person 0.6 m from the camera: nearer than a park's benches' own minimum
    distance (3 m, `far + 2` below it); the place is built all the same."""
    kind = places.PLACE_KINDS[name]
    people, radii = np.array([[0.0, 0.6]]), np.array([0.3])
    room = ((-4.0, -2.0), (4.0, 8.0)) if kind.indoor else None
    for seed in range(6):
        near, _ = places.build_place(np.random.default_rng(seed), kind, np.zeros(2), np.array([0.0, 1.0]), people, radii, 0, [], room)
        assert all(o["place"] == name for o in near)


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


def test_the_beach_runs_down_to_the_sea_behind_the_people():
    """The sea starts behind the farthest person, is drawn with its own class (water, appended after
    equipment), and props that would stand in it are dropped."""
    assert SCENE_PART_INDEX["water"] == SCENE_PART_INDEX["equipment"] + 1
    rng = np.random.default_rng(4)
    people = np.array([[0.5, 6.0], [-2.0, 8.0], [2.5, 9.0]])
    radii = np.array([0.5, 0.6, 0.4])
    near, _ = places.build_place(rng, places.PLACE_KINDS["beach"], np.zeros(2), np.array([0.0, 1.0]), people, radii, 0, [])
    sea = [o for o in near if o["type"] == "sea"]
    assert len(sea) == 1
    assert (props.rect_circle_gap(np.array(sea[0]["position"]), sea[0]["size"][:2], sea[0]["yaw_deg"], people, radii) > 2.0).all()
    wet = {"type": "crate", "position": sea[0]["position"], "yaw_deg": 0.0, "size": [0.5, 0.5, 0.5]}
    dry = {"type": "crate", "position": [0.0, 3.0], "yaw_deg": 0.0, "size": [0.5, 0.5, 0.5]}
    assert places.keep_dry([wet, dry], near) == [dry]

    stage = RenderStage(RenderConfig(num_samples=1, seed=3, image_size=(160, 120), places="beach", camera_effects=False,
                                     camera_pitch_deg=(0.0, 5.0)))
    s = stage(0)
    stage.close()
    water = s.images["parts"] == SCENE_PART_INDEX["water"]
    assert water.mean() > 0.02 and (s.images["instances"][water] == 0).all()
    assert "the sea" in s.scene["background"]["description"]
