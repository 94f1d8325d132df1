"""Scenes: sun shadows, the sky's horizon, props that occlude, seg palettes, camera effects."""

import math

import numpy as np
import pytest

from genb.render.labels import maps

from genb.render.scene import places

from genb.render.scene import props

from genb.render.raster import shadows

from genb.render.scene import sky
from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov, project, to_camera
from genb.render.config import RenderConfig
from genb.core.conventions import SCENE_PART_BASE, SCENE_PART_INDEX
from genb.render.raster.gl import Rasterizer
from genb.render.raster.normals import decode_normals
from genb.render.raster.meshes import GroundLayer, Lighting, MeshLayer, PropMesh
from genb.render.stage import RenderStage

W, H = 192, 144


def _pillar():
    """A person-sized box (0.4 x 0.3 x 1.8 m) standing at the origin, as a one-part 'body'."""
    v, f, _ = props.box_mesh([0.4, 0.3, 1.8], [0.0, 0.0, 0.0])
    return v.astype(np.float32), f


@pytest.fixture(scope="module")
def pillar_raster():
    _, f = _pillar()
    return Rasterizer(f, np.ones(24, np.int64))


def _render_lit(r, light_dir, with_shadows, cam_ext, K, extra_props=()):
    v, _ = _pillar()
    light = Lighting(np.asarray(light_dir, float), 0.8, np.ones(3), np.full(3, 0.3))
    ground = GroundLayer(np.full((8, 8, 3), 160, np.uint8), size=60.0)
    passes = r.build_passes([MeshLayer(v, np.full_like(v, 0.6))], K, cam_ext, light, ground, list(extra_props))
    built = r.build_shadow_pass(passes[0][0], light.direction, W, H)
    assert built is not None
    shadow_pass, cam = built
    res = r.run_passes([passes[0], shadow_pass, passes[1]], W, H)
    out = r.decode([res[0], res[2]], cam_ext, True)
    color = out.color
    if with_shadows:
        color, _ = shadows.apply_sun_shadows(
            out.color, out.depth, out.normals, out.parts == SCENE_PART_INDEX["ground"], K, cam_ext,
            cam.linear_depth(res[1]), cam, light.direction, light.intensity * light.color, light.ambient,
            np.zeros((0, 3)))
    return color, out


def test_a_low_sun_shadows_the_ground_behind_a_person_not_in_front(pillar_raster):
    K = intrinsics_from_fov(60.0, W, H)
    ext = extrinsics(np.array([0.0, -6.0, 1.6]), camera_to_world_rotation(0.0, -12.0, 0.0))
    e = math.radians(15.0)  # low sun in the east (+x): its light travels west, the shadow falls on -x
    light_dir = [-math.cos(e), 0.0, -math.sin(e)]
    lit, out = _render_lit(pillar_raster, light_dir, True, ext, K)
    flat, _ = _render_lit(pillar_raster, light_dir, False, ext, K)
    far_side = np.array([[-x, 0.0, 0.0] for x in (1.0, 2.0, 3.0)])  # on the shadow's line, within its 6.7 m
    near_side = np.array([[x, 0.0, 0.0] for x in (1.0, 2.0, 3.0)])
    for pts, darker in ((far_side, True), (near_side, False)):
        uv = np.rint(project(to_camera(pts, ext), K)).astype(int)
        for u, v in uv:
            assert out.parts[v, u] == SCENE_PART_INDEX["ground"]
            ratio = lit[v, u].astype(float).mean() / flat[v, u].astype(float).mean()
            if darker:
                assert ratio < 0.6, ratio  # the direct light is gone: ambient / (ambient + direct) ~ 0.55
            else:
                assert ratio > 0.98, ratio
    # everything else on the ground that the sun sees is untouched, and shadows only darken
    assert (lit.astype(int) <= flat.astype(int) + 1).all()


def test_no_shadows_leaves_the_ground_unshadowed(tmp_path):
    cfg = dict(num_samples=2, seed=4, image_size=(128, 96), num_people=(2, 3), portrait_prob=0.0,
               camera_effects=False, props=(1, 2))
    on, off = RenderStage(RenderConfig(**cfg)), RenderStage(RenderConfig(**cfg, shadows=False))
    darkened = 0
    for i in range(2):
        a, b = on(i), off(i)
        assert all(np.array_equal(a.labels[k], b.labels[k]) for k in a.labels)  # labels never change
        ground = b.images["parts"] == SCENE_PART_INDEX["ground"]
        diff = b.images["image"].astype(int).sum(-1) - a.images["image"].astype(int).sum(-1)
        # the shadowed image is not brighter on the ground (but for the auto exposure's small lift:
        # shadows lower the scene's mean luminance; it lifts the whole ground alike, so it is the
        # ground's median difference, a few levels per channel). Sample 1's lift: -13 on 1e43475, -17 with the
        # octahedral label normals (s35): a few dozen silhouette pixels of people and the car whose normals point
        # away from the camera are no longer mirrored, so now shadowed; the log-average exposure, in 1/32
        # stops, moved one step more between the two images; the ground's spread (1st percentile) is unchanged
        lift = min(float(np.median(diff[ground])), 0.0)
        assert lift >= -20 and np.percentile(diff[ground], 1) >= lift - 6  # (summed over the three channels)
        darkened += int((diff[ground] > 30).sum())
    assert darkened > 20  # and with shadows some ground is clearly darker
    on.close()
    off.close()


@pytest.mark.parametrize("pitch, roll", [(0.0, 0.0), (12.0, 15.0), (-8.0, -25.0)])
def test_the_horizon_follows_pitch_and_roll(pillar_raster, pitch, roll):
    """The ground's far edge (400 m) meets the sky where the camera says the horizon is."""
    K = intrinsics_from_fov(70.0, W, H)
    R = camera_to_world_rotation(30.0, pitch, roll)
    ext = extrinsics(np.array([0.0, 0.0, 1.5]), R)
    ground = GroundLayer(np.full((8, 8, 3), 100, np.uint8), size=800.0)
    out = pillar_raster.render([], K, ext, W, H, Lighting(np.array([0, 0, -1.0]), 0.5, np.ones(3), np.ones(3) * 0.3),
                               ground)
    # the horizon: the image of the horizontal directions (vanishing points) left and right of forward
    fwd = R[:, 2]
    yaw = math.atan2(fwd[1], fwd[0])
    d = np.array([[math.cos(yaw + a), math.sin(yaw + a), 0.0] for a in (-0.3, 0.3)])
    p = (K @ (ext[:3, :3] @ d.T)).T
    p = p[:, :2] / p[:, 2:]
    slope = (p[1, 1] - p[0, 1]) / (p[1, 0] - p[0, 0])
    dip = K[1, 1] * 1.5 / 400.0 + 1.0  # the edge lies 1.5 m / 400 m below the true horizon; a pixel
    cols = 0
    for u in range(0, W, 7):
        row = p[0, 1] + slope * (u - p[0, 0])
        hit = np.flatnonzero(out.depth[:, u] > 0)
        if 2 < row < H - 3 and len(hit):
            assert abs(hit[0] - row) <= dip + 1.5 / max(math.cos(math.radians(roll)), 0.5), (u, hit[0], row)
            cols += 1
    assert cols >= 10
    # and the sky is fixed to the world: a direction has the same colour whatever the camera's
    # pitch and roll, so its horizon goes where theirs says
    recipe = {"setting": "clear", "sun_azimuth_deg": 80.0, "sun_elevation_deg": 40.0, "turbidity": 3.0}
    img = sky.sky_image(recipe, K, ext, W, H).astype(int)
    ext0 = extrinsics(np.array([0.0, 0.0, 1.5]), camera_to_world_rotation(30.0, 0.0, 0.0))
    img0 = sky.sky_image(recipe, K, ext0, W, H).astype(int)
    dirs = sky.ray_directions(K, ext, W, H)
    uv0 = project(dirs @ ext0[:3, :3].T, K)
    ok = (dirs @ ext0[:3, :3].T)[:, 2] > 0
    ok &= (uv0[:, 0] > 8) & (uv0[:, 0] < W - 9) & (uv0[:, 1] > 8) & (uv0[:, 1] < H - 9)
    assert ok.sum() > 1000
    a = img.reshape(-1, 3)[ok]
    b = img0[np.rint(uv0[ok, 1]).astype(int), np.rint(uv0[ok, 0]).astype(int)]
    assert np.abs(a - b).mean() < 1.5 and np.abs(a - b).max() <= 12


def test_props_occlude_keypoints_have_instance_zero_and_their_own_classes():
    cfg = RenderConfig(num_samples=10, seed=2, image_size=(160, 120), num_people=(1, 1), portrait_prob=0.0,
                       props=(1, 1), occluders=(1, 1), person_height_frac=(0.4, 0.8), truncation_prob=0.0,
                       camera_effects=False, places="none")
    stage = RenderStage(cfg)
    hidden_by_prop = with_prop = 0
    for i in range(cfg.num_samples):
        s = stage(i)
        # indoors: + the room's 4 walls; a seated person: + the seat under them (genb.render.scene.contact)
        seats = [o for o in s.scene["objects"] if "seat_of" in o]
        assert all(0 <= o["seat_of"] < len(s.scene["people"]) for o in seats) and len(seats) <= len(s.scene["people"])
        objects = [o for o in s.scene["objects"] if not o.get("room") and "seat_of" not in o]
        assert len(objects) <= 1 and all(set(o) >= {"type", "position", "yaw_deg", "size"} for o in objects + seats)
        with_prop += len(objects)
        classes = {m[4] for o in s.scene["objects"] for m in places.prop_meshes(o)}  # a room: walls, windows, ceiling
        if s.scene["held_objects"]:
            classes.add(SCENE_PART_INDEX["held_object"])
        parts, inst, depth = s.images["parts"], s.images["instances"], s.depth
        on_prop = (parts > SCENE_PART_INDEX["ground"]) & (depth > 0)
        assert (inst[on_prop] == 0).all()
        if on_prop.any():
            assert set(np.unique(parts[on_prop])) <= classes
        kp, kp3 = s.labels["keypoints2d"][0], s.labels["keypoints3d"][0]
        inside = s.labels["keypoints_in_frame"][0]
        uv = np.rint(kp[inside]).astype(int)
        behind = on_prop[uv[:, 1], uv[:, 0]] & (depth[uv[:, 1], uv[:, 0]] < kp3[inside, 2] - cfg.visibility_tolerance)
        assert not s.labels["keypoints_vis"][0][inside][behind].any()  # hidden by the prop: occluded
        hidden_by_prop += int(behind.sum())
    assert with_prop >= 3  # an occluder finds a free spot in about 60% of scenes (7 of the first 12 here)
    assert hidden_by_prop >= 3  # and the occluders do hide keypoints
    stage.close()


def test_seg_palette_ade20k_and_normal_background():
    cfg = RenderConfig(num_samples=1, seed=7, image_size=(128, 96), num_people=(2, 3), portrait_prob=0.0,
                       seg_palette="ade20k", props=(2, 3), camera_effects=False)
    stage = RenderStage(cfg)
    s = stage(0)
    seg, inst, depth = s.images["control_seg"], s.images["instances"], s.depth
    assert (seg[inst > 0] == maps.ADE20K["person"]).all()
    sky_name = "ceiling" if s.scene["background"]["sky"] == "indoor" else "sky"
    assert (seg[depth == 0] == maps.ADE20K[sky_name]).all()
    ground = s.images["parts"] == SCENE_PART_INDEX["ground"]
    assert (seg[ground] == maps.ADE20K[maps.GROUND_TO_ADE20K[s.scene["background"]["ground"]]]).all()
    normal = s.images["control_normal"]
    assert (normal[depth == 0] == maps.NORMAL_FACING_CAMERA).all()
    stage.close()


def test_camera_effects_change_the_image_only_and_are_recorded():
    cfg = dict(num_samples=4, seed=9, image_size=(128, 96), num_people=(1, 2), portrait_prob=0.0)
    a, b = RenderStage(RenderConfig(**cfg)), RenderStage(RenderConfig(**cfg, camera_effects=False))
    seen = set()
    for i in range(4):
        x, y = a(i), b(i)
        assert y.scene["camera_effects"] == {}
        seen |= set(x.scene["camera_effects"])
        for k in x.images:
            if k != "image":
                np.testing.assert_array_equal(x.images[k], y.images[k])
        if x.scene["camera_effects"]:
            assert not np.array_equal(x.images["image"], y.images["image"])
    assert seen  # some effect was drawn
    a.close()
    b.close()


def test_prop_footprints_never_touch_people():
    rng = np.random.default_rng(0)
    people = rng.uniform(-5, 5, size=(8, 2)) + [0, 8]
    radii = rng.uniform(0.3, 0.6, size=8)
    for _ in range(20):
        objs = props.place_props(rng, 6, 2, np.zeros(2), np.array([0.0, 1.0]), people, radii, 20.0, False)
        for o in objs:
            L, D, _ = o["size"]
            gap = props.rect_circle_gap(np.array(o["position"]), (L, D), o["yaw_deg"], people, radii)
            assert (gap >= 0.1).all()
        v, f, n, c, part = places.prop_mesh(objs[0]) if objs else places.prop_mesh(props._recipe(rng, "car", np.zeros(2), 0))
        assert part >= SCENE_PART_BASE and len(v) == len(n) == len(c) and f.max() < len(v)


def test_holding_poses_get_their_object_in_the_hands():
    from genb.render.scene import held
    from genb.core.conventions import BODY25_INDEX as I

    kp = np.zeros((3, 25, 3))
    for p in range(3):
        kp[p, I["left_wrist"]], kp[p, I["right_wrist"]] = [0.2, -0.4, 1.1], [-0.2, -0.4, 1.1]
        kp[p, I["left_elbow"]], kp[p, I["right_elbow"]] = [0.22, -0.1, 1.05], [-0.22, -0.1, 1.05]
    kp[1, I["right_wrist"]] = [-0.15, -0.05, 1.6]  # phone call: the right hand raised to the ear
    kp[1, I["right_elbow"]] = [-0.3, -0.05, 1.35]
    objs = held.held_objects(["carrying_box~walk:mirrored", "phone_call", "standing"], kp)
    assert [(o["type"], o["person"]) for o in objs] == [("box", 0), ("phone", 1)]
    box, phone = objs
    assert abs(box["size"][0] - (0.4 - 0.06)) < 1e-6 and abs(box["center"][0]) < 1e-6
    assert np.linalg.norm(np.array(phone["center"]) - kp[1, I["right_wrist"]]) < 0.1
    v, f, n, c, part = held.held_mesh(box)
    assert part == SCENE_PART_INDEX["held_object"]
    # the box lies between the wrists, which stay just outside it
    R, centre = np.array(box["rotation"]), np.array(box["center"])
    local = (kp[0, [I["left_wrist"], I["right_wrist"]]] - centre) @ R
    assert (np.abs(local[:, 0]) > box["size"][0] / 2).all() and (np.abs(local[:, 0]) < box["size"][0] / 2 + 0.05).all()


def _ray_hits_boxes(points: np.ndarray, toward: np.ndarray, boxes: list) -> np.ndarray:
    """(N,) bool: the ray from each point toward the sun meets one of the axis-aligned boxes
    (the slab test, independent of the renderer)."""
    hit = np.zeros(len(points), bool)
    inv = 1.0 / np.where(np.abs(toward) < 1e-12, 1e-12, toward)
    for lo, hi in boxes:
        t0, t1 = (lo - points) * inv, (hi - points) * inv
        near = np.minimum(t0, t1).max(axis=1)
        far = np.maximum(t0, t1).min(axis=1)
        hit |= (far >= np.maximum(near, 0.0))
    return hit


@pytest.mark.parametrize("size", [(192, 128), (144, 144), (112, 192)])
def test_sun_shadows_match_a_ray_cast_toward_the_recorded_sun(size):
    """Landscape, square and portrait images: the shadow the shadow map gives on the ground is
    where a ray cast toward the sun (as ``scene.json`` records it) meets a caster."""
    w, h = size
    _, f = _pillar()
    r = Rasterizer(f, np.ones(24, np.int64))
    recipe = sky.sample_sky(np.random.default_rng(3), "clear")
    a, e = math.radians(recipe["sun_azimuth_deg"] + 25.0), math.radians(35.0)
    toward = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    # a wide row of casters (the caster box is far from square, as in a group photo)
    boxes = [(np.array([x - 0.2, -0.15, 0.0]), np.array([x + 0.2, 0.15, 1.8])) for x in (-2.5, 0.0, 2.5)]
    v, _ = _pillar()
    extra = []
    for lo, hi in boxes[::2]:  # the outer two as props, the middle one as the 'person'
        bv, bf, bn = props.box_mesh(hi - lo, [(lo[0] + hi[0]) / 2, 0.0, 0.0])
        extra.append(PropMesh(bv.astype(np.float32), bf.astype(np.uint32), bn.astype(np.float32),
                              np.full((len(bv), 3), 0.5, np.float32), SCENE_PART_INDEX["box"]))
    K = intrinsics_from_fov(70.0, w, h)
    ext = extrinsics(np.array([0.0, -9.0, 5.0]), camera_to_world_rotation(0.0, -35.0, 0.0))
    light = Lighting(-toward, 0.8, np.ones(3), np.full(3, 0.3))
    ground = GroundLayer(np.full((8, 8, 3), 160, np.uint8), size=60.0)
    passes = r.build_passes([MeshLayer(v, np.full_like(v, 0.6))], K, ext, light, ground, extra)
    shadow_pass, cam = r.build_shadow_pass(passes[0][0], light.direction, w, h)
    res = r.run_passes([passes[0], shadow_pass, passes[1]], w, h)
    out = r.decode([res[0], res[2]], ext, True)
    on_ground = (out.parts == SCENE_PART_INDEX["ground"]) & (out.depth > 0)
    _, sun = shadows.apply_sun_shadows(out.color, out.depth, out.normals, on_ground, K, ext,
                                       cam.linear_depth(res[1]), cam, light.direction, np.full(3, 0.8),
                                       light.ambient, np.zeros((0, 3)))
    pts = shadows.pixel_world_points(out.depth, K, ext, on_ground)
    truth = _ray_hits_boxes(pts.astype(np.float64), toward, boxes)
    rendered = sun[on_ground] < 0.5
    assert truth.sum() > 150  # the shadows are in view
    iou = (truth & rendered).sum() / (truth | rendered).sum()
    assert iou > 0.9, iou


def _parallel_rays_hit(points: np.ndarray, d: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """(N,) bool: the ray from each point along d (unit) meets one of the triangles (T, 3, 3) ahead of
    it. All rays are parallel, so this is a 2D point-in-triangle test across d (independent of
    the renderer and its shadow map)."""
    a = np.cross(d, [0.0, 0.0, 1.0])
    a /= np.linalg.norm(a)
    b = np.cross(d, a)
    P, pz = np.stack([points @ a, points @ b], 1), points @ d
    T, tz = np.stack([tri @ a, tri @ b], -1), (tri @ d).mean(1)
    lo, hi = T.min(1), T.max(1)
    out = np.zeros(len(P), bool)
    for s in range(0, len(P), 128):
        q = P[s:s + 128]
        m = ((q[:, None, 0] >= lo[None, :, 0]) & (q[:, None, 0] <= hi[None, :, 0]) & (q[:, None, 1] >= lo[None, :, 1])
             & (q[:, None, 1] <= hi[None, :, 1]) & (tz[None, :] > pz[s:s + 128, None] + 0.02))
        i, j = np.nonzero(m)
        v0, v1, v2, x = T[j, 0], T[j, 1], T[j, 2], q[i]
        cross = [(p1[:, 0] - o[:, 0]) * (x[:, 1] - o[:, 1]) - (p1[:, 1] - o[:, 1]) * (x[:, 0] - o[:, 0])
                 for o, p1 in ((v0, v1), (v1, v2), (v2, v0))]
        inside = ((cross[0] >= 0) & (cross[1] >= 0) & (cross[2] >= 0)) | ((cross[0] <= 0) & (cross[1] <= 0) & (cross[2] <= 0))
        out[s + np.unique(i[inside])] = True
    return out


@pytest.mark.parametrize("size", [(192, 128), (144, 144), (112, 192)])
def test_rendered_people_shadows_match_a_ray_cast_toward_the_sun_in_scene_json(size):
    """A real sample (dressed people, sky): the ground's sun visibility against rays cast from each
    ground pixel toward the sun that scene.json records, through every caster's triangles."""
    st = RenderStage(RenderConfig(num_samples=1, seed=2, image_size=size, portrait_prob=0.0, num_people=(2, 3),
                                  props=(0, 0), occluders=(0, 0), camera_effects=False))
    prep = st.prepare(0)
    assert prep.look.shadow_pass is not None and prep.scene["sky"]["setting"] in ("clear", "hazy")
    res = list(st.rasterize(prep))
    shadow_depth = res.pop(1)
    out = st.raster.decode(res, prep.cam_ext, True)
    ground = (out.parts == SCENE_PART_INDEX["ground"]) & (out.depth > 0)
    direction = np.asarray(prep.scene["lighting"]["direction"], np.float64)
    sun, _ = shadows.sun_and_contact(out.depth, out.normals, ground, prep.K, prep.cam_ext,
                                     prep.look.shadow_cam.linear_depth(shadow_depth), prep.look.shadow_cam,
                                     direction, np.zeros((0, 3)))
    # every level surface people stand on receives: the ground and a place's sidewalks (a street puts
    # the people's shadows on its sidewalk), not the sides of curbs or other vertical faces
    n_cam = decode_normals(out.normals).astype(np.float64)
    up = (n_cam @ prep.cam_ext[:3, :3])[..., 2] > 0.95
    ground = np.isin(out.parts, [SCENE_PART_INDEX["ground"], SCENE_PART_INDEX["sidewalk"]]) & (out.depth > 0) & up
    tri = np.concatenate([p.positions[np.asarray(p.indices).astype(np.int64).reshape(-1, 3)]
                          for node in prep.passes[0][0].mesh_nodes if getattr(node, "genb_casts_shadow", True)
                          for p in node.mesh.primitives]).astype(np.float64)
    pts = shadows.pixel_world_points(out.depth, prep.K, prep.cam_ext, ground).astype(np.float64)
    near = np.flatnonzero(sun[ground] < 0.999)  # every shadowed pixel and a sample of the rest
    pick = np.unique(np.concatenate([near, np.random.default_rng(0).choice(len(pts), 1000, replace=False)]))
    truth = _parallel_rays_hit(pts[pick], -direction / np.linalg.norm(direction), tri)
    rendered = sun[ground][pick] < 0.5
    assert truth.sum() > 60  # enough shadowed pixels for the overlap to mean something
    assert (truth & rendered).sum() / (truth | rendered).sum() > 0.75
