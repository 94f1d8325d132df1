"""Level of detail of the dressing (genb/render/dress/lod.py) and the preparing half's quicker paths:
a person's scale on screen picks subdivided shells and folds; the quicker paths (skin variation on its
regions, the chunked search for feet spots, the support search on convex hulls) give what the plain
computations give."""

import numpy as np
import pytest

from _fixtures_bodies import anny_body  # noqa: F401


def _camera(f: float = 500.0):
    K = np.array([[f, 0.0, 256.0], [0.0, f, 256.0], [0.0, 0.0, 1.0]])
    ext = np.eye(4)  # world = camera frame: depth is z
    return K, ext


def test_pixels_per_metre_is_focal_over_the_nearest_keypoint_depth():
    from genb.render.dress.lod import pixels_per_metre

    K, ext = _camera(500.0)
    kp = np.zeros((2, 25, 3))
    kp[0, :, 2] = 5.0
    kp[0, 3, 2] = 4.0  # one keypoint nearer: it decides
    kp[1, :, 2] = 10.0
    assert pixels_per_metre(kp, K, ext) == pytest.approx([125.0, 50.0])
    kp[1, :, 2] = -1.0  # behind the camera: clamped, never negative or infinite
    assert pixels_per_metre(kp, K, ext)[1] == pytest.approx(500.0 / 0.05)


def test_detail_thresholds():
    from genb.render.dress.lod import FINE_MIN_PX_PER_M, FOLDS_MIN_PX_PER_M, FULL, detail_of

    assert detail_of(1e4) == FULL
    assert detail_of(FINE_MIN_PX_PER_M - 1).fine is False and detail_of(FINE_MIN_PX_PER_M - 1).folds is True
    assert detail_of(FOLDS_MIN_PX_PER_M - 1).folds is False
    assert FOLDS_MIN_PX_PER_M < FINE_MIN_PX_PER_M


def _posed(body, pose: str):
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix
    from genb.render.raster.meshes import vertex_normals

    posed = body.pose(np.full((1, 6), 0.5, np.float32), euler_xyz_to_matrix(PoseLibrary().key_pose(pose)[None]))
    v, kp = posed.vertices[0], posed.keypoints[0]
    return v, vertex_normals(v, body.faces.astype(np.int64)), kp


def _striped_top():
    return {"kind": "top", "type": "t-shirt", "sleeve": 0.5, "waist": 0.0, "thickness": 0.004, "ease": 0.01,
            "color": "2a4d8f", "color2": "f0f0f0", "pattern": "stripes", "pattern_scale": 0.03}


def test_a_small_person_wears_a_patterned_top_on_the_unsubdivided_shell_and_without_folds(anny_body):
    """Close up, a striped top is subdivided and folds at the bent elbows and knees; small on screen it
    takes the cut's plain shell (the solid top's vertex count), with no fold shading, and the same
    cloth coordinates' pattern record."""
    from genb.render.dress import Dresser
    from genb.render.dress.lod import Detail, FULL

    v, n, kp = _posed(anny_body, "sitting_floor_knees_up")
    dresser = Dresser(anny_body)
    outfit = {"garments": [_striped_top()], "hair": {}, "accessories": []}
    big = dresser.dress(outfit, v, n, kp, detail=FULL)[0]
    small = dresser.dress(outfit, v, n, kp, detail=Detail(fine=False, folds=False))[0]
    solid = dresser.dress({**outfit, "garments": [{**_striped_top(), "pattern": "solid"}]}, v, n, kp,
                          detail=Detail(fine=False, folds=False))[0]
    assert len(small.vertices) == len(solid.vertices) < len(big.vertices) / 2
    assert small.fabric == big.fabric and small.uv is not None
    # folds: the same shell posed with and without them differs only where a joint bends
    folded = dresser.dress(outfit, v, n, kp, detail=Detail(fine=False, folds=True))[0]
    moved = np.linalg.norm(folded.vertices - small.vertices, axis=1)
    assert moved.max() > 1e-3 and np.all(moved < 0.03)


def test_stage_dresses_by_scale_and_keeps_ground_truth(tmp_path):
    """The camera picks each person's level: the prepared sample's people are those of the full
    detail (same bodies, same outfits), and two preparations give the same meshes."""
    from genb.render.config import RenderConfig
    from genb.render.stage import RenderStage

    stage = RenderStage(RenderConfig(num_samples=4, seed=7, image_size=(256, 192), num_people=(3, 3)))
    try:
        a, b = stage.prepare(1), stage.prepare(1)
        for k in a.labels:
            assert np.array_equal(np.asarray(a.labels[k]), np.asarray(b.labels[k])), k
        sa, sb = a.passes[0][0], b.passes[0][0]
        va = sorted(p.positions.tobytes() for node in sa.mesh_nodes for p in node.mesh.primitives)  # (a set of nodes)
        vb = sorted(p.positions.tobytes() for node in sb.mesh_nodes for p in node.mesh.primitives)
        assert va == vb
    finally:
        stage.close()


def test_skin_variation_per_pixel_on_its_regions_equals_the_whole_computation():
    """apply_variation(per_pixel=True) changes only the flush, palm and nail vertices, to exactly what
    decoding, varying and encoding every vertex gives (the others round-trip unchanged)."""
    from genb.render.dress import skin

    rng = np.random.default_rng(3)
    V = 4000
    flush = np.where(rng.random(V) < 0.2, rng.random(V), 0.0).astype(np.float32)
    palms = (rng.random(V) < 0.05).astype(np.float32)
    nails = (rng.random(V) < 0.02).astype(np.float32)
    regions = skin.SkinRegions(flush, palms, nails, rng.random(V).astype(np.float32), rng.random(V).astype(np.float32))
    col = rng.random((V, 3)).astype(np.float32)
    col[::97, 1] = np.float32(0.04045)  # the one value that does not round-trip exactly
    var = {"redness": 0.7, "freckles": 0.05, "palm_lightening": 0.4}
    shows = rng.random(V) < 0.9
    for mask in (None, shows):
        w = np.ones(V) if mask is None else mask.astype(np.float64)
        lin = skin._regional(skin._decode(col.astype(np.float64)), var, flush, palms, nails, w)
        want = skin._encode(lin).astype(np.float32)
        got = skin.apply_variation(col, regions, var, mask, per_pixel=True)
        assert got.dtype == np.float32 and np.array_equal(got, want)
    untouched = np.setdiff1d(np.arange(V), regions.touched)
    assert np.array_equal(got[untouched[::7]][:, [0, 2]], col[untouched[::7]][:, [0, 2]])


def test_feet_spots_in_chunks_draw_as_one_try_after_another():
    """place_people's chunked search returns the spots the one-try-at-a-time loop returns and leaves the
    random stream where that loop leaves it (whatever the chunk size)."""
    import math

    from genb.render.config import RenderConfig
    from genb.render.scene import sample as S

    cfg = RenderConfig(num_samples=4, seed=1, image_size=(512, 512), num_people=(1, 10))

    def one_by_one(rng, camera, radii, heights, tries=500):  # the loop as it was written before the chunks
        K, ext = camera.K, camera.cam_ext
        c = np.array(camera.position, np.float64)
        M = ext[:3, :3].T @ np.linalg.inv(K)
        xy, placed = np.zeros((len(radii), 2)), np.zeros(len(radii), bool)
        yaw = rng.uniform(0.0, 360.0, size=len(radii))
        for p in range(len(radii)):
            truncated = rng.random() < cfg.truncation_prob
            for _ in range(tries):
                u = rng.uniform(-0.2, 1.2) if truncated else rng.uniform(0.05, 0.95)
                v = rng.uniform(0.55, 1.35) if truncated else rng.uniform(*cfg.feet_row)
                x, y = u * (camera.width - 1), v * (camera.height - 1)
                d = M @ np.array([x, y, 1.0])
                if d[2] >= -1e-6:
                    continue
                t = -c[2] / d[2]
                gx, gy = c[0] + t * d[0], c[1] + t * d[1]
                dist = math.hypot(gx - c[0], gy - c[1])
                if dist > cfg.max_distance or dist < radii[p] + 0.4:
                    continue
                frac = K[1, 1] * heights[p] / max(ext[2, 0] * gx + ext[2, 1] * gy + ext[2, 3], 1e-6) / camera.height
                if not cfg.person_height_frac[0] <= frac <= cfg.person_height_frac[1]:
                    continue
                if not truncated and not cfg.head_row[0] <= v - frac <= cfg.head_row[1]:
                    continue
                if np.all(np.linalg.norm(xy[placed] - (gx, gy), axis=1) - radii[placed] - radii[p] > 0.05):
                    xy[p], placed[p] = (gx, gy), True
                    break
        return xy, yaw, placed

    placed_any = 0
    for seed in range(60):
        r = np.random.default_rng(seed)
        camera = S.sample_camera(r, cfg)
        P = int(r.integers(1, 11))
        radii, heights = r.uniform(0.2, 0.6, P), r.uniform(0.8, 1.9, P)
        r1, r2 = np.random.default_rng(seed + 99), np.random.default_rng(seed + 99)
        want = one_by_one(r1, camera, radii, heights)
        got = S.place_people(r2, cfg, camera, radii, heights)
        assert np.array_equal(want[2], got[2]) and np.array_equal(want[1], got[1])
        assert np.allclose(want[0], got[0], rtol=0, atol=1e-9)
        assert r1.random() == r2.random()  # the stream goes on from the same place
        placed_any += int(got[2].sum())
    assert placed_any > 60


def test_support_search_on_hulls_finds_the_tilt_of_all_points():
    """The minimum of a linear height over a point set is on its convex hull: the support search on
    the hulls' vertices picks the same tilt as on all points, for bodies resting on several groups."""
    from genb.render.scene import contact

    rng = np.random.default_rng(0)
    v = rng.normal(size=(2100, 3)) * [0.3, 0.3, 0.5]
    ix = np.arange(0, 2100, 7)
    h = contact._hull(v, ix)
    assert len(h) < len(ix) and set(h) <= set(ix)
    R = contact._tilts(30.0, 4.0)[0]
    assert np.allclose((v[ix] @ R[:, 2, :].T).min(axis=0), (v[h] @ R[:, 2, :].T).min(axis=0), rtol=0, atol=1e-12)
    flat = np.zeros((20, 3))
    flat[:, :2] = rng.normal(size=(20, 2))  # coplanar: qhull refuses, every point is kept
    assert np.array_equal(contact._hull(flat, np.arange(20)), np.arange(20))


def test_anny_rest_vertices_by_matmul_are_anny_s_own_bits(anny_body):
    """The body model's rest vertices (one matrix product) equal anny's einsum bit for bit, for 1 to 10
    people; a forward pass poses the same vertices as anny's own method would."""
    import torch

    from genb.render.bodies.anny_exact import rest_vertices_by_matmul

    m = anny_body.model
    assert "get_rest_vertices" in vars(m)  # the instance's own method is the product
    C = m.blendshapes.shape[0]
    g = torch.Generator().manual_seed(0)
    for P in (1, 3, 6, 10):
        coeffs = torch.rand(P, C, dtype=m.blendshapes.dtype, generator=g)
        want = m.template_vertices[None] + torch.einsum("cpd, bc -> bpd", m.blendshapes, coeffs)
        assert torch.equal(m.get_rest_vertices(coeffs), want)
    rest_vertices_by_matmul(object())  # a model without the method is left alone (no error)


def test_statures_kept_from_the_forward_are_the_computed_ones(anny_body):
    """After posing, the posed people's statures come from the forward's rest vertices: the same bits as
    computing them anew; other shapes are computed."""
    from genb.render.bodies.poses import PoseLibrary, euler_xyz_to_matrix

    body = anny_body
    shapes = body.sample_shapes(np.random.default_rng(11), 5)
    body.pose(shapes, np.repeat(euler_xyz_to_matrix(PoseLibrary().key_pose("standing")[None]), 5, axis=0))
    kept = body.statures(np.asarray(shapes, np.float64))
    body._forward_statures = {}
    assert np.array_equal(kept, body.statures(np.asarray(shapes, np.float64)))
    other = np.asarray(shapes[:2], np.float64) * 0.9
    body.pose(shapes, np.repeat(euler_xyz_to_matrix(PoseLibrary().key_pose("standing")[None]), 5, axis=0))
    got = body.statures(other)  # not posed: computed
    body._forward_statures = {}
    assert np.array_equal(got, body.statures(other))
