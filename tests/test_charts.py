"""Cloth charts cut along clean lines (genb.render.dress.charts, texcoords): the cutter keeps the surface
and puts its cut on the line; on rendered jeans and a striped sweater the pattern's coordinates jump only
on seam lines (no trunk chart in the crotch, no leg chart in a top's hem band, no staircase along an
unrolled seam)."""

import types

import numpy as np
import pytest

from genb.render.dress.fabric import REGION_OFFSETS, decode_texcoords
from genb.render.dress.seams import regions


def _grid(n=9):
    """A planar (n x n) grid of the unit square, its (x, y, 0) vertices jittered, two triangles a cell."""
    rng = np.random.default_rng(3)
    x, y = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n))
    v = np.stack([x.ravel(), y.ravel(), np.zeros(n * n)], 1)
    inner = (v[:, 0] > 0) & (v[:, 0] < 1) & (v[:, 1] > 0) & (v[:, 1] < 1)
    v[inner, :2] += rng.uniform(-0.3, 0.3, (inner.sum(), 2)) / n
    i = np.arange(n - 1)[:, None] * n + np.arange(n - 1)[None]
    f = np.concatenate([np.stack([i, i + 1, i + n + 1], -1).reshape(-1, 3), np.stack([i, i + n + 1, i + n], -1).reshape(-1, 3)])
    return v, f


def _area(p, f):
    return 0.5 * np.abs(np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])[:, 2])


def test_a_cut_keeps_the_surface_and_puts_its_edge_on_the_line():
    """Cut twice (a slanted line, then a crossing one through the cut pieces): the pieces tile the
    same area, each lies on one side of the last cut, every cut point lies on its line (posed through its
    vertex weights), and an edge is cut once for the faces on both sides (no cracks)."""
    from genb.render.dress.charts import Cut, cut, positions

    v, f = _grid()
    line = lambda p: p[..., 0] + 0.4 * p[..., 1] - 0.63  # noqa: E731
    circle = lambda p: 0.7 * p[..., 0] - p[..., 1] + 0.2  # noqa: E731  (a second line, crossing the first)
    mesh = cut(Cut.of(f, len(v), v[f]), line(v[f]))
    assert (mesh.side > 0).any() and (mesh.side < 0).any() and len(mesh.faces) > len(f)
    mesh = cut(mesh, circle(mesh.attrs))
    index = np.concatenate([np.arange(len(v)), mesh.mix[0][:, 0]])
    rows = np.arange(len(v), mesh.points)
    p = positions(index, (rows, *mesh.mix), v)
    assert np.allclose(p[mesh.faces], mesh.attrs, atol=1e-6)  # the corners' attributes are their positions
    assert _area(p, mesh.faces).sum() == pytest.approx(_area(v, f).sum(), rel=1e-6)
    val = circle(p[mesh.faces])
    assert ((val >= -1e-5).all(axis=1) | (val <= 1e-5).all(axis=1)).all()  # no face spans the last cut
    assert np.array_equal(mesh.side > 0, val.sum(axis=1) > 0)
    new = p[len(v):]
    assert np.minimum(np.abs(line(new)), np.abs(circle(new))).max() < 1e-5
    edges = np.sort(np.concatenate([mesh.faces[:, [0, 1]], mesh.faces[:, [1, 2]], mesh.faces[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts <= 2).all()
    # every edge with one face lies on the square's border: inside, each edge has a face on either side
    q = p[uniq[counts == 1]]
    on_border = (np.abs(q[..., 0]) < 1e-6) | (np.abs(q[..., 0] - 1) < 1e-6) | (np.abs(q[..., 1]) < 1e-6) | (np.abs(q[..., 1] - 1) < 1e-6)
    assert on_border.all(axis=1).all()


@pytest.fixture(scope="module")
def raster():
    from genb.render.raster.gl import Rasterizer

    return Rasterizer(np.array([[0, 1, 2]]), np.zeros(3, np.int64))


@pytest.fixture(scope="module")
def dresser(anny_body):
    from genb.render.dress.dresser import Dresser

    return Dresser(anny_body, store_root=None)


def _view(raster, shell, cmap, turn: float, W=320, H=400, distance=1.5):
    """The rest shell turned ``turn`` radians about the vertical, its front (-y) toward the camera at 0:
    local cloth coordinates (H, W, 2) (each region's offset removed), its region (H, W), depth (H, W)
    and the camera's intrinsics."""
    from genb.render.labels.camera import camera_to_world_rotation, extrinsics, intrinsics_from_fov
    from genb.render.raster.texcoord_pass import build_texcoord_pass, render_texcoord_pass
    import pyrender

    r = np.asarray(shell.rest, np.float64)
    c, s = np.cos(turn), np.sin(turn)
    x, y = c * r[:, 0] - s * r[:, 1], s * r[:, 0] + c * r[:, 1]
    world = np.stack([-x, distance + y, r[:, 2] + 1.0], 1).astype(np.float32)
    piece = types.SimpleNamespace(vertices=world, uv=cmap)
    K = intrinsics_from_fov(50.0, W, H)
    ext = extrinsics(np.array([0.0, 0.0, 1.0]), camera_to_world_rotation(0, 0, 0))
    rgba, depth = render_texcoord_pass(raster, build_texcoord_pass(pyrender, K, ext, [[piece]]), W, H)
    uv = decode_texcoords(rgba.reshape(-1, 4))
    reg = regions(uv[:, 0], uv[:, 1])
    off = REGION_OFFSETS.astype(np.float32)[reg]
    return (uv - off).reshape(H, W, 2), reg.reshape(H, W), depth, K


def off_seam_jumps(local, reg, depth, K, layout) -> np.ndarray:
    """(H, W) bool the pixels where the pattern's coordinates step (> 1.5 cm between neighbours, 4 times
    the steps beside it: not a steep slope at a grazing angle; the surface continuous in depth) with
    neither pixel within 3 mm + 1.5 pixel footprints of a seam line of its region (u = k pi R; the
    region's lowest or highest v: hems, armholes, the waist)."""
    H, W = depth.shape
    hit = depth > 0
    ul, vl = local[..., 0], local[..., 1]
    lay = np.asarray(layout, np.float64)
    tol = 0.003 + 1.5 * depth / K[0, 0]
    piR = np.pi * lay[reg, 0]
    with np.errstate(invalid="ignore"):
        near = (np.abs(ul - piR * np.rint(ul / piR)) < tol) | (np.abs(vl - lay[reg, 1]) < tol) | (np.abs(vl - lay[reg, 2]) < tol)
    bad = np.zeros((H, W), bool)
    for axis in (0, 1):
        d = np.maximum(np.abs(np.diff(ul, axis=axis)), np.abs(np.diff(vl, axis=axis)))
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(0, -1), slice(1, None)
        a, b = tuple(a), tuple(b)
        ok = hit[a] & hit[b] & (np.abs(depth[a] - depth[b]) < 0.03)
        d = np.where(ok, d, np.nan)
        beside = np.full_like(d, np.nan)
        inner = [slice(None), slice(None)]
        inner[axis] = slice(1, -1)
        lo, hi = [slice(None), slice(None)], [slice(None), slice(None)]
        lo[axis], hi[axis] = slice(0, -2), slice(2, None)
        beside[tuple(inner)] = np.fmax(d[tuple(lo)], d[tuple(hi)])
        with np.errstate(invalid="ignore"):
            step = (d > 0.015) & (d > 4 * beside)
        bad[a] |= step & ~near[a] & ~near[b]
    return bad


@pytest.mark.parametrize("garment", ["jeans", "sweater"])
def test_patterns_jump_only_on_seam_lines(raster, dresser, garment):
    """Long jeans and a long-sleeved sweater in the rest pose, seen from the front, back and both sides:
    wherever the cloth coordinates a pattern is drawn at step, the step is on a seam line. (On the old
    charts: the jeans' crotch was the trunk's chart with a sawtooth edge, the sweater's hem band over
    the hips the legs' chart, offset against the body.)"""
    from genb.render.dress.texcoords import shell_texcoords

    shell = dresser.bottom_shell(1.9, 0.25) if garment == "jeans" else dresser.top_shell(1.98, 0.0)
    cmap = shell_texcoords(shell, dresser.atlas, dresser._uv_centres)
    total = seen = 0
    for turn in (0.0, np.pi / 2, np.pi, -np.pi / 2):
        local, reg, depth, K = _view(raster, shell, cmap, turn)
        seen += (depth > 0).sum()
        total += off_seam_jumps(local, reg, depth, K, cmap.seams).sum()
    assert seen > 20000
    # (a few pixels remain where a sleeve's or leg's end closes near its axis, or at a fold's silhouette)
    assert total < 2e-3 * seen, f"{total} of {seen} pixels step off every seam line"


def test_trousers_waistband_runs_across_both_legs_charts(raster, dresser):
    """Trousers are two legs up to the waist (no trunk chart): their waistband's seam and stitching are
    drawn on both legs' charts, all around the front."""
    from genb.render.dress.seams import apply_seams
    from genb.render.dress.texcoords import shell_texcoords

    shell = dresser.bottom_shell(1.9, 0.25)
    cmap = shell_texcoords(shell, dresser.atlas, dresser._uv_centres)
    assert np.isnan(cmap.seams[0]).all() and np.isfinite(cmap.seams[3:5]).all()
    local, reg, depth, K = _view(raster, shell, cmap, 0.0, W=480, H=600, distance=0.9)
    hit = depth > 0
    off = REGION_OFFSETS.astype(np.float32)[reg[hit]]
    u, v = local[hit, 0] + off[:, 0], local[hit, 1] + off[:, 1]
    fp = (depth[hit] / K[0, 0]).astype(np.float32)
    g = {"kind": "bottom", "type": "jeans", "color": "3b5a8a", "pattern": "denim", "seams": cmap.seams}
    at, alb, _, _ = apply_seams(g, u, v, fp, lambda i: np.full((len(i), 3), 0.3, np.float32))
    below_top = cmap.seams[reg[hit], 2] - local[hit, 1]
    band = np.flatnonzero(np.abs(below_top - 0.04) < 0.002)  # on the waistband's lower seam
    assert len(band) > 100
    for r in (3, 4):
        on = band[reg[hit][band] == r]
        changed = np.isin(on, at)
        assert len(on) > 40 and changed.mean() > 0.95
