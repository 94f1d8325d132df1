"""A hoodie's and a sweater's ribbed waistband and cuffs: the bands gathered in, the cloth above them bloused.

A knitted top ends in rib bands: a waistband at its hem and a cuff at each sleeve's end, 5-7 cm of
stretchy rib that holds the cloth in. The body's cloth blouses over the waistband and the sleeve bunches
above the cuff, so the band reads as a narrower ring under a rolled edge, even from a distance. Before,
a hooded top's or a sweater's shell stood off the skin by the same thickness right down to its hem: the
hem was a plain cut edge and a hoodie read as a plain sweater.

Here (:func:`band_weights`) each shell vertex of a :data:`RIBBED` top gets its distance up the cloth from
its hem (the trunk's cut at the waist, or the sleeve's cut on the forearm), metres on the template body,
and from it a band weight (1 on the band, :data:`TRUNK_BAND` / :data:`CUFF_BAND` deep, falling to 0
over :data:`EDGE`) and a blousing weight (rising as the band's falls, back to 0 :data:`BLOUSE_LEN` above
a waistband, :data:`CUFF_BLOUSE_LEN` above a cuff). :func:`band_thickness` takes the band's drop off the
garment's thickness and adds the blousing above it; :func:`band_slack` takes most of the cuffs' ease away
(:func:`gather`). The trousers are dressed after the top: once the outfit is done (:func:`settle`), a
waistband vertex that came to lie within :data:`GAP` of them moves back out, by no more than it came in
(:func:`clear_under`), and the offset's change bends the normals (:func:`tilt_normals`: its surface
gradient taken off them), so the step is lit as one. The bands' albedo is :data:`BAND_SHADE` darker
(:func:`shade`). Measured (key bodies standing, walking, seated, arms raised; tests/test_rib_bands.py):
the cloth 7-11 cm above the hem stands 12.7-16.4 mm further off the skin than the band (ccda6a9:
0.05-4.0 mm), 11.6-13.5 mm at the cuffs (ccda6a9: -1.2-2.0 mm), hoodie and sweater.
Functions over arrays (metres); the per-pixel ribs are drawn with the seams
(:meth:`~genb.render.dress.seam_canvas.Canvas.ribs`).
"""

from __future__ import annotations

import numpy as np

from genb.core.conventions import BODY25_INDEX as K25, PART_INDEX
from genb.render.dress.vec import cross

RIBBED = ("hoodie", "sweater")  # garment types with rib bands at the hem and the cuffs
TRUNK_BAND = 0.06  # metres: the waistband's depth up from the hem
CUFF_BAND = 0.055  # metres: a cuff's depth up the forearm from the sleeve's end
EDGE = 0.012  # metres: the band's top edge, where the band's weight falls from 1 to 0 (a smoothstep)
BLOUSE_LEN = 0.10  # metres above the waistband over which the bloused cloth comes back to the garment's offset
CUFF_BLOUSE_LEN = 0.06  # metres above a cuff likewise
TRUNK_DROP = 0.012  # metres the waistband comes in (off the thickness)
CUFF_DROP = 0.005  # metres a cuff comes in (off the thickness; the ease too, CUFF_EASE)
CUFF_EASE = 0.75  # share of a sleeve's ease a cuff gives up
TRUNK_BLOUSE = 0.005  # metres the body's cloth stands out over its waistband (at the most)
CUFF_BLOUSE = 0.003  # metres a sleeve bunches out above its cuff (at the most)
FLOOR = 0.003  # metres: the least thickness a band keeps
BAND_SHADE = 0.06  # the bands' albedo this much darker
GAP = 0.004  # metres a waistband keeps over the trousers (or a dress) under it, where it came in


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def ribbed(g: dict) -> bool:
    """Whether the garment record ``g`` has rib bands: a sweater or a hoodie with sleeves."""
    return g.get("type") in RIBBED and float(g.get("sleeve", -1.0)) >= 0.0


def band_weights(shell, atlas, is_arm: np.ndarray, waist: float, sleeve: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per shell vertex (G,) float64: the band's weight, the blousing's weight and whether it is on a sleeve.

    Args:
        shell: the top's :class:`~genb.render.dress.shells.Shell` (cut at ``waist`` on the trunk, trunk
            coordinate, and at ``sleeve`` on the arms, arm coordinate: :meth:`Dresser.top_shell`).
        atlas: the template's :class:`~genb.render.dress.atlas.BodyAtlas`. is_arm: (V,) bool.
    """
    kp = atlas.keypoints
    trunk_len = float(kp[K25["neck"], 2] - kp[K25["mid_hip"], 2])  # metres per unit of the trunk coordinate
    fore = 0.5 * sum(float(np.linalg.norm(kp[K25[f"{s}_wrist"]] - kp[K25[f"{s}_elbow"]])) for s in ("left", "right"))
    on_arm = np.asarray(shell.blend @ is_arm.astype(np.float64)).ravel() > 0.5
    torso = np.asarray(shell.blend @ atlas.torso).ravel()
    arm = np.asarray(shell.blend @ np.nan_to_num(atlas.arm, nan=0.0)).ravel()
    # metres up the cloth from the hem: the forearm's coordinate counts the elbow-wrist length per unit
    up = np.where(on_arm, (sleeve - arm) * fore, (torso - waist) * trunk_len)
    depth = np.where(on_arm, CUFF_BAND, TRUNK_BAND)
    rise = _smooth((up - depth) / EDGE + 0.5)
    band = 1.0 - rise
    blouse = rise * (1.0 - _smooth((up - depth) / np.where(on_arm, CUFF_BLOUSE_LEN, BLOUSE_LEN)))
    if sleeve < 1.0:  # a sleeve ending above the elbow has no cuff
        band, blouse = np.where(on_arm, 0.0, band), np.where(on_arm, 0.0, blouse)
    return band, blouse, on_arm


def band_thickness(thickness: np.ndarray, band: np.ndarray, blouse: np.ndarray, on_arm: np.ndarray) -> np.ndarray:
    """(G,) float64 the garment's thickness per shell vertex with its bands drawn in (:data:`TRUNK_DROP`,
    :data:`CUFF_DROP`, keeping at least :data:`FLOOR`) and the cloth above them bloused, from ``thickness``
    (G,) as posed before. A waistband may then lie in the trousers worn under it: :func:`clear_under`."""
    drop = np.where(on_arm, CUFF_DROP, TRUNK_DROP)
    out = np.maximum(thickness - drop * band, np.minimum(thickness, FLOOR))
    return out + np.where(on_arm, CUFF_BLOUSE, TRUNK_BLOUSE) * blouse


def band_slack(slack: np.ndarray, band: np.ndarray, on_arm: np.ndarray) -> np.ndarray:
    """(G,) the share of the ease kept per shell vertex: a cuff gives up :data:`CUFF_EASE` of its sleeve's."""
    return slack * (1.0 - CUFF_EASE * band * on_arm)


def tilt_region(faces: np.ndarray, moved: np.ndarray, twin: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The faces and vertices :func:`tilt_normals` works on for an offset that changes where ``moved`` (G,) bool:
    (F', 3) int64 the faces round the moved vertices and their neighbours, less a hem's turned-in strip (faces
    with a vertex whose ``twin`` is another), and (G,) bool those vertices. The same for every pose of a shell."""
    touched = moved.copy()
    touched[faces[touched[faces].any(axis=1)]] = True  # and the vertices round them (the step's foot)
    f = faces[touched[faces].any(axis=1)].astype(np.int64)
    if twin is not None:
        own = twin == np.arange(len(twin))
        f = f[own[f].all(axis=1)]
    return f, touched


def tilt_normals(vertices: np.ndarray, normals: np.ndarray, faces: np.ndarray, offset: np.ndarray,
                 twin: np.ndarray | None, region: tuple | None = None) -> np.ndarray:
    """(G, 3) float32 unit normals of a posed shell whose offset along its normals changed by ``offset``
    (G,) metres (0 away from the bands): each normal less the change's gradient over the surface (the
    first-order normal of a surface moved along its normal), area-weighted over the faces round it, at the
    vertices that moved and their neighbours (``region``: :func:`tilt_region`'s, or None: made here)."""
    f, touched = tilt_region(faces, offset != 0.0, twin) if region is None else region
    if not len(f):
        return normals
    p = vertices[f].astype(np.float64)
    e1, e2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    N = cross(e1, e2)
    a2 = np.maximum(np.einsum("ij,ij->i", N, N), 1e-18)
    d = offset[f].astype(np.float64)
    # the face's gradient times its area (twice), area-weighted at its corners below
    gw = ((d[:, 1] - d[:, 0])[:, None] * cross(e2, N) + (d[:, 2] - d[:, 0])[:, None] * cross(N, e1)) / np.sqrt(a2)[:, None]
    G = len(vertices)
    at = f.ravel()
    acc = np.stack([np.bincount(at, weights=np.repeat(gw[:, k], 3), minlength=G) for k in range(3)], 1)
    wsum = np.bincount(at, weights=np.repeat(np.sqrt(a2), 3), minlength=G)
    ids = np.flatnonzero(touched)
    n = normals[ids].astype(np.float64) - acc[ids] / np.maximum(wsum[ids], 1e-18)[:, None]
    n /= np.maximum(np.sqrt(np.einsum("ij,ij->i", n, n)), 1e-12)[:, None]
    out = normals.copy()
    out[ids] = n.astype(np.float32)
    return out


def tilt_hood(m, shell, cache: dict) -> None:
    """A hooded top's (or a coat's over one) posed mesh ``m`` without rib bands: its normals tilted by its
    ``shell``'s extra offset, so the hood's bulk and its edge's step are lit as such (a ribbed top's are tilted
    in :func:`settle`). ``cache``: a dict kept with the shells (the :func:`tilt_region` of a cut)."""
    key = ("hood", id(shell))
    if key not in cache:
        cache[key] = tilt_region(shell.faces, shell.extra != 0.0, shell.twin)
    m.normals = tilt_normals(m.vertices, m.normals, shell.faces, shell.extra, shell.twin, cache[key])


def clear_under(vertices: np.ndarray, normals: np.ndarray, delta: np.ndarray, on_arm: np.ndarray,
                under: list) -> tuple[np.ndarray, np.ndarray]:
    """A posed ribbed top's ``vertices`` (G, 3) with the band vertices that came in (``delta`` (G,) < 0: their
    offset's change) moved back out along their ``normals`` to :data:`GAP` over the garments ``under`` it
    ((N, 3) vertices, (N, 3) unit normals each: the trousers' waist under a waistband), by no more than they
    came in (a band never lies deeper in them than the cut edge did before); and the offset's change so left.
    The cuffs (``on_arm`` (G,) bool) are left as they are."""
    from scipy.spatial import cKDTree

    ids = np.flatnonzero((delta < 0.0) & ~on_arm)
    if not len(ids) or not under:
        return vertices, delta
    X = vertices[ids].astype(np.float64)
    lo, hi = X.min(axis=0) - 0.03, X.max(axis=0) + 0.03
    push = np.zeros(len(ids))
    for P, N in under:
        near = np.flatnonzero(((P >= lo) & (P <= hi)).all(axis=1))
        if not len(near):
            continue
        d, i = cKDTree(P[near]).query(X, distance_upper_bound=0.03)
        ok = np.flatnonzero(np.isfinite(d))
        j = near[i[ok]]
        clear = np.einsum("ij,ij->i", X[ok] - P[j], N[j])  # metres out of its tangent plane
        push[ok] = np.maximum(push[ok], GAP - clear)
    push = np.clip(push, 0.0, -delta[ids])
    if not push.any():
        return vertices, delta
    out, d = vertices.copy(), delta.copy()
    out[ids] = (X + push[:, None] * normals[ids]).astype(np.float32)
    d[ids] += push
    return out, d


def gather(shell, atlas, is_arm: np.ndarray, g: dict, waist: float, thickness: np.ndarray, slack: np.ndarray | None,
           e: float, cache: dict) -> tuple[np.ndarray, np.ndarray | None, tuple | None]:
    """A :data:`RIBBED` top's thickness and ease share per shell vertex with its bands gathered
    (:func:`band_thickness`, :func:`band_slack`; ``e`` its stacked ease) and, for :func:`settle` and
    :func:`shade`, the change of its offset along the normals (G,) metres, the vertices on a sleeve (G,) bool,
    the band's weight (G,) and the :func:`tilt_region`; another garment's as given and None. ``cache``: a
    dict kept with the shells (the weights and the region of a cut, the same in every pose)."""
    if not ribbed(g) or slack is None:
        return thickness, slack, None
    key = ("ribs", id(shell), waist, float(g["sleeve"]))
    if key not in cache:  # (a hood's extra offset tilts the normals in the same pass: settle)
        band, blouse, on_arm = band_weights(shell, atlas, is_arm, waist, float(g["sleeve"]))
        cache[key] = band, blouse, on_arm, tilt_region(shell.faces, (band > 0.0) | (blouse > 0.0) | (shell.extra != 0.0), shell.twin)
    band, blouse, on_arm, region = cache[key]
    t1 = band_thickness(thickness, band, blouse, on_arm)
    s1 = band_slack(slack, band, on_arm)
    scale = shell.drape.ease_scale if shell.drape is not None else 1.0
    delta = (t1 - thickness) * shell.lift + e * (s1 - slack) * scale
    return t1, s1, (delta, on_arm, band, region)


def shade(colors: np.ndarray, band: np.ndarray) -> np.ndarray:
    """(G, 3) float32 vertex colours with the bands :data:`BAND_SHADE` darker (the ribs' grooves in shadow,
    their mean where a pixel spans many: the per-pixel ribs, :meth:`~genb.render.dress.seam_canvas.Canvas.ribs`,
    are drawn only in close-ups)."""
    return (np.asarray(colors, np.float32) * (1.0 - BAND_SHADE * band)[:, None]).astype(np.float32)


def settle(ribs: list, out: list) -> None:
    """Once the whole outfit is dressed (the trousers are dressed after the top): each ribbed top's mesh in
    ``ribs`` ((mesh, shell, offset change, on a sleeve, band, region), :func:`gather`'s) taken out of the bottoms and
    dresses in ``out`` (:func:`clear_under`) and its normals tilted by what its offset changed and by its shell's
    extra offset (a hood's: :func:`tilt_normals`). A record with a last element True (a top's back pulled taut,
    :func:`~genb.render.dress.taut_back.pull`) is taken out of their cloth less their hem strips (a waistband's
    turned-in strip lies near the skin: the taut back, nearest to it, stayed in the waistband)."""
    parts = (PART_INDEX["lower_clothes"], PART_INDEX["dress"])
    for m, shell, delta, on_arm, _, region, *taut in ribs:
        under = [(u.vertices, u.normals) if not taut or u.hem is None else (u.vertices[~u.hem], u.normals[~u.hem])
                 for u in out if u.part in parts and u is not m]
        m.vertices, delta = clear_under(m.vertices, m.normals, delta, on_arm, under)
        m.normals = tilt_normals(m.vertices, m.normals, shell.faces, delta + shell.extra, shell.twin, region)
