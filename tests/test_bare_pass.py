"""The bare bodies' pass draws the label pass's own body meshes plus the hidden faces in place:
the same instances and depth as drawing every body face of each person in one mesh."""

import types

import numpy as np

from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
from genb.render.raster.gl import Rasterizer
from genb.render.raster.meshes import Lighting, MeshLayer


def _grid(n=12, size=1.0):
    xs = np.linspace(-size / 2, size / 2, n)
    X, Z = np.meshgrid(xs, xs + 0.8)
    V = np.stack([X.ravel(), np.zeros(X.size), Z.ravel()], 1).astype(np.float32)
    F = []
    for i in range(n - 1):
        for j in range(n - 1):
            a = i * n + j
            F += [[a, a + 1, a + n + 1], [a, a + n + 1, a + n]]  # facing -y (the camera)
    return V, np.array(F, np.int64)


def test_bare_pass_reuses_label_meshes_and_keeps_the_pixels():
    import pyrender

    V, F = _grid()
    parts = (V[:, 0] > 0).astype(np.uint8) + 1
    r = Rasterizer(F, parts)
    W, H = 160, 128
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, -3.0, 0.8]), camera_to_world_rotation(0, 0, 0))
    light = Lighting(np.array([0.0, 1.0, -1.0]), 1.0, np.ones(3), np.full(3, 0.3))
    people = []
    for k, (dx, dy) in enumerate(((0.0, 0.0), (0.45, 0.4))):  # the second half behind the first
        v = V + np.array([dx, dy, 0.0], np.float32)
        gv = v[: len(v) // 2] + np.array([0.0, -0.03, 0.0], np.float32)  # a garment over the lower half
        gf = F[(F < len(v) // 2).all(1)]
        garment = types.SimpleNamespace(vertices=gv, normals=np.tile([0, -1, 0], (len(gv), 1)).astype(np.float32),
                                        faces=gf.astype(np.uint32), colors=np.full((len(gv), 3), 0.4, np.float32),
                                        part=20, hides=np.flatnonzero((F < len(v) // 2).all(1)) if k == 0 else None)
        people.append(MeshLayer(v, np.full((len(v), 3), 0.6, np.float32), extras=[garment]))
    passes = r.build_passes(people, K, ext, light, None)
    label_meshes = {n.mesh for n in passes[1][0].mesh_nodes}
    bare_meshes = [n.mesh for n in passes[2][0].mesh_nodes]
    assert sum(m in label_meshes for m in bare_meshes) == 2  # both people's in-place bodies: the same objects
    assert len(bare_meshes) == 3  # plus the first person's hidden faces, in place
    _, label, bare = r.run_passes(passes, W, H)  # (the colour pass first: it sets the flat shader's colour factor)
    # the reference: every body face of each person in one mesh, as the pass was drawn before
    ref = pyrender.Scene(bg_color=[0, 0, 0, 0])
    ref.add_node(r._camera_node(K, ext))
    ref_map = {}
    for i, p in enumerate(people):
        col = np.zeros((len(r.split.vertex_ids), 4), np.float32)
        col[:, 0] = (i + 1) / 255.0
        prim = pyrender.Primitive(positions=p.vertices[r.split.vertex_ids], indices=r.split.faces, color_0=col,
                                  material=r._flat_material)
        ref_map[ref.add(pyrender.Mesh(primitives=[prim]))] = (0, 0, 0)
    (ref_seg, ref_depth), = r.run_passes([(ref, passes[2][1], ref_map)], W, H)
    assert (ref_seg[..., 0] > 0).mean() > 0.2 and len(np.unique(ref_seg[..., 0])) == 3
    assert np.array_equal(bare[0][..., 0], ref_seg[..., 0]) and np.array_equal(bare[1], ref_depth)
    hidden_shown = (bare[0][..., 0] == 1) & (label[0][..., 1] == 20)  # the first body seen through its garment
    assert hidden_shown.sum() > 50
