"""A shoulder bag's sash pulled taut: a strap under the bag's weight runs straight over the cloth.

The sash is a band of the trunk cut along a straight line in the rest body (``Dresser.region_shell("sash")``,
from over one shoulder down to the other hip, front and back), posed on the outermost cloth as the layers
give it (:func:`~genb.render.dress.mesh.cloth_over_skin`), pulled taut here, then lifted over the cloth
that moved (:func:`~genb.render.dress.accessories.over_cloth`). Posed so it followed every form under it: into the
cleft between the breasts and round the belly, its middle line wandering a few centimetres either side
and its edges waving (a child's t-shirt: an S across the chest). A strap under tension bridges the hollows
and runs straight along the body. Here the band is rebuilt along a taut middle line:

* :func:`sash_coordinates`: each sash vertex's place along the band (``u`` in [-1, 1]: the front hip end at
  -1, over the shoulder at 0, the back hip end at 1) and across it (metres from the middle line, signed),
  from the rest body; :func:`plan` (once per shell, :func:`shell_plan`) what of them the pose does not change.
* :func:`taut` (per pose): :data:`STATIONS` points along the middle line (the band's posed vertices near
  it, averaged) are relaxed towards straight lines between their neighbours (the hip ends held) and kept
  over the cloth under the whole width of the band (each station no lower than what its vertices lay on,
  edges included). Sideways the relaxation is held to :data:`SIDE_REACH` of where the band lay (it
  slides no further over the shoulder or off the chest). Each vertex is then put back on the taut line at
  its own place across the band (the band is flat across), its hem strip at the depth it had.

Over the 32 key poses (tests/test_bags.py::test_a_shoulder_bags_sash_runs_taut) the middle line's turning in
the cloth's plane fell from a median 67 degrees to 20 and the width's variation along the front from 65 mm
to 6; sash vertices under cloth in bent poses 98 -> 65 (``test_a_shoulder_bags_sash_lies_over_the_cloth_of_a_bent_body``). About 1.5 ms a shoulder-bag wearer (thread time).
"""

from __future__ import annotations

import dataclasses

import numpy as np

# the middle line's ends in the rest body, (x metres, trunk height in trunk lengths): over the left shoulder,
# down to the right hip (Dresser.region_shell's cut)
LINE = ((0.11, 1.06), (-0.15, 0.02))
HALF_WIDTH = 0.022  # metres from the middle line to each edge
STATIONS = 65  # points along the middle line, front hip to back hip (about 2 cm apart on an adult)
ROUNDS = 80  # relaxation rounds
SIDE_REACH = 0.015  # metres the middle line may move sideways (in the cloth's tangent plane) from where it lay
CORE = 0.008  # metres from the middle line of the vertices a station's place is averaged over


def sash_coordinates(rest: np.ndarray, rest_normals: np.ndarray, trunk: np.ndarray, p0: np.ndarray,
                     p1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sash vertex (G,) its place along the band ``u`` in [-1, 1] (front hip end -1, the shoulder 0,
    back hip end 1) and (G,) across it, metres from the middle line (signed). ``rest``/``rest_normals``:
    (G, 3) the shell's rest positions and normals; ``trunk``: (G,) their trunk height, metres; ``p0``,
    ``p1``: the middle line's ends in (x, trunk height) (the shoulder's, the hip's: ``region_shell``'s)."""
    d = np.asarray(p1, np.float64) - p0
    q = np.stack([rest[:, 0], trunk], 1) - p0
    t = np.clip(q @ d / (d @ d), 0.0, 1.0)
    across = (q[:, 0] * d[1] - q[:, 1] * d[0]) / np.linalg.norm(d)
    front = rest_normals[:, 1] < 0.0
    return np.where(front, -t, t), across


_PLANS: dict = {}  # id(shell) -> (shell, Plan): once a process


@dataclasses.dataclass(frozen=True)
class Plan:
    """What :func:`taut` needs of a sash shell that does not change with the pose (its indices and weights).

    Attributes:
        across: (G,) metres across the band (:func:`sash_coordinates`).
        main: (G,) bool the shell proper (not a hem's inner edge); twin: (G,) the shell's twins.
        core: (Gc,) the vertices near the middle line; core_station: (Gc,) their stations (0..K-1 of the held ones).
        counts: (K,) how many core vertices each held station averages.
        mains: (Gm,) the shell proper's vertices; main_station: (Gm,) each one's station; order, starts: those
            sorted by station and where each station's run starts (for the floor's maximum).
        i0, f: (G,) per vertex the station before it along the band and its share of the next one.
        tips: (front, back) the core vertices alone at the first and last station (:func:`hip_ends`).
    """

    across: np.ndarray
    main: np.ndarray
    twin: np.ndarray
    core: np.ndarray
    core_station: np.ndarray
    counts: np.ndarray
    mains: np.ndarray
    main_station: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    stations: np.ndarray
    i0: np.ndarray
    f: np.ndarray
    tips: tuple[np.ndarray, np.ndarray]


def _station(u: np.ndarray) -> np.ndarray:
    """(G,) the station nearest each place along the band ``u`` (G,), 0..STATIONS-1."""
    return np.clip(np.rint((u + 1.0) * 0.5 * (STATIONS - 1)).astype(np.int64), 0, STATIONS - 1)


def _core(across: np.ndarray, twin: np.ndarray) -> np.ndarray:
    """The shell proper's vertices within :data:`CORE` of the middle line (indices)."""
    return np.flatnonzero((twin == np.arange(len(twin))) & (np.abs(across) < CORE))


def hip_ends(u: np.ndarray, across: np.ndarray, twin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sash's hip ends by :func:`sash_coordinates`' straight ``u``: (front, back) the core vertices (near
    the middle line) at the first and last station that ``u`` reaches. Their mean is where the bag hangs
    from (:func:`ends`); :func:`arc_u` starts its places there."""
    core = _core(across, twin)
    k = _station(u[core])
    return core[k == k.min()], core[k == k.max()]


def plan(u: np.ndarray, across: np.ndarray, twin: np.ndarray, tips: tuple[np.ndarray, np.ndarray]) -> Plan | None:
    """The :class:`Plan` of a sash with coordinates ``u``, ``across`` (:func:`sash_coordinates`, ``u`` maybe
    :func:`arc_u`'s) and the shell's ``twin``, or None where too few stations have vertices near the middle
    line to follow. ``tips`` (:func:`hip_ends`, at ``u`` -1 and 1): the vertices alone at the first and last
    station (the other core vertices kept to the second to the last but one), so the ends stay those of
    the straight ``u`` whatever ``u`` the band runs by."""
    G = len(u)
    main = twin == np.arange(G)
    core = _core(across, twin)
    k = _station(u)
    k[core] = k[core].clip(1, STATIONS - 2)
    k[tips[0]], k[tips[1]] = 0, STATIONS - 1
    held = np.flatnonzero(np.bincount(k[core], minlength=STATIONS) > 0)
    if len(held) < 8:
        return None
    kc = np.searchsorted(held, k[core])
    mains = np.flatnonzero(main)
    km = np.searchsorted(held, k[mains]).clip(0, len(held) - 1)
    order = np.argsort(km, kind="stable")
    stations, starts = np.unique(km[order], return_index=True)
    g = np.linspace(-1.0, 1.0, STATIONS)[held]
    at = np.interp(u, g, np.arange(len(g)))
    i0 = np.floor(at).astype(np.int64).clip(0, len(g) - 2)
    return Plan(across=np.asarray(across, np.float64), main=main, twin=twin, core=core, core_station=kc,
                counts=np.bincount(kc, minlength=len(held)).astype(np.float64), mains=mains, main_station=km,
                order=order, starts=starts, stations=stations, i0=i0, f=(at - i0)[:, None], tips=tips)


def shell_plan(shell, atlas, trunk_length: float) -> Plan | None:
    """The :class:`Plan` of the sash ``shell`` cut from ``atlas`` (made once per shell)."""
    got = _PLANS.get(id(shell))
    if got is None or got[0] is not shell:
        rest = np.asarray(shell.blend @ atlas.rest, np.float64)
        normals = np.asarray(shell.blend @ atlas.normals, np.float64)
        trunk = np.asarray(shell.blend @ np.nan_to_num(atlas.torso, nan=0.0), np.float64).ravel() * trunk_length
        p0, p1 = (np.array([x, z * trunk_length]) for x, z in LINE)
        u, across = sash_coordinates(rest, normals, trunk, p0, p1)
        tips = hip_ends(u, across, shell.twin)
        arc = arc_u(u, rest, shell.faces, shell.twin, tuple(_station(u[t[:1]])[0] for t in tips))
        got = _PLANS[id(shell)] = (shell, plan(arc, across, shell.twin, tips))
    return got[1]


def arc_u(u: np.ndarray, rest: np.ndarray, faces: np.ndarray, twin: np.ndarray, reach: tuple[int, int]) -> np.ndarray:
    """(G,) the place along the band in [-1, 1] by the distance over the rest shell (``faces`` (F, 3), ``rest``
    (G, 3)) from its hip ends, each hem vertex its ``twin``'s. The cut leaves the band in two pieces (front,
    back) parted over the top of the shoulder (the torso's own vertices end there): each piece's place runs
    from its hip end (-1 or 1: where ``u``'s station is ``reach``'s front one or before, its back one or after:
    :func:`hip_ends`' stations, so the ends are d0d7369's; a piece reaching neither, where ``u`` is within 3 %
    of its extreme) to 0 at its farthest vertex; a piece
    reaching both ends runs by the ratio of the two distances. ``u`` (:func:`sash_coordinates`) projects the
    rest body on the cut's straight line, so the last 6 cm of each piece over the shoulder (past the line's
    end) got about 0: posed, the band was folded there onto one line across it, a crease of 36-57 degrees
    between 2 cm stations over the 40 key cases (d0d7369;
    tests/test_bags.py::test_a_shoulder_bags_sash_bends_smoothly_over_the_shoulder)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    f = np.asarray(faces, np.int64)
    a, b = f.ravel(), np.roll(f, -1, axis=1).ravel()
    G = len(u)
    graph = coo_matrix((np.linalg.norm(rest[a] - rest[b], axis=1) + 1e-9, (a, b)), shape=(G, G)).tocsr()
    n, label = connected_components(graph, directed=False)
    out = np.asarray(u, np.float64).copy()
    k = _station(u)
    for c in range(n):
        part = np.flatnonzero(label == c)
        lo, hi = u[part].min(), u[part].max()
        e0, e1 = k[part] <= reach[0], k[part] >= reach[1]  # its hip ends; a piece short of them: its extremes
        e0, e1 = (e0 if e0.any() else u[part] <= lo + 0.03), (e1 if e1.any() else u[part] >= hi - 0.03)
        if lo < -0.5 and hi > 0.5:  # the whole band in one piece
            d0, d1 = (dijkstra(graph, directed=False, indices=part[e], min_only=True)[part] for e in (e0, e1))
            out[part] = (d0 - d1) / np.maximum(d0 + d1, 1e-9)
        elif max(-lo, hi) > 0.5:  # one side's piece, from its hip end to 0 at its top
            side = 1.0 if hi > -lo else -1.0
            d = dijkstra(graph, directed=False, indices=part[e1 if side > 0 else e0], min_only=True)[part]
            out[part] = side * (1.0 - d / max(float(d.max()), 1e-9))
    return np.clip(out, -1.0, 1.0)[twin]


def _frames(C: np.ndarray, N: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, 3) unit normals made square to the line ``C`` (K, 3) and (K, 3) unit across directions
    (tangent x normal) at each station, from the cloth's normals ``N`` (K, 3)."""
    T = np.gradient(C, axis=0)
    T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-12)
    n = N - np.einsum("ij,ij->i", N, T)[:, None] * T
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n, np.cross(T, n)


def _mean(station: np.ndarray, values: np.ndarray, K: int) -> np.ndarray:
    """(K, 3) the sums of ``values`` (N, 3) per ``station`` (N,)."""
    return np.stack([np.bincount(station, values[:, c], K) for c in range(3)], 1)


def taut(vertices: np.ndarray, normals: np.ndarray, p: Plan) -> tuple[np.ndarray, np.ndarray]:
    """(G, 3) float32 posed sash ``vertices`` on a taut middle line and (G, 3) float32 normals (the line's).
    ``normals``: (G, 3) the posed vertices'; ``p``: the shell's :func:`plan`."""
    V, Nv = np.asarray(vertices, np.float64), np.asarray(normals, np.float64)
    K = len(p.counts)
    C0 = _mean(p.core_station, V[p.core], K) / p.counts[:, None]
    N0 = _mean(p.core_station, Nv[p.core], K)
    n, B = _frames(C0, N0)
    m, km, ac = p.mains, p.main_station, p.across[p.mains]
    sign = 1.0 if np.sum(ac * np.einsum("ij,ij->i", V[m] - C0[km], B[km])) >= 0 else -1.0
    # the floor: a station no lower (along its normal) than any of its vertices lay, each at its place across
    h = np.einsum("ij,ij->i", V[m] - (sign * ac)[:, None] * B[km], n[km])
    floor = np.full(K, -np.inf)
    floor[p.stations] = np.maximum.reduceat(h[p.order], p.starts)
    C = C0.copy()
    for r in range(ROUNDS):
        C[1:-1] = 0.5 * C[1:-1] + 0.25 * (C[:-2] + C[2:])
        C += np.maximum(floor - np.einsum("ij,ij->i", C, n), 0.0)[:, None] * n
        if r % 4 == 3:  # sideways: held near where it lay
            side = C - C0
            side -= np.einsum("ij,ij->i", side, n)[:, None] * n
            C -= side * np.maximum(1.0 - SIDE_REACH / np.maximum(np.sqrt(np.einsum("ij,ij->i", side, side)), 1e-12), 0.0)[:, None]
    n, B = _frames(C, N0)
    # each vertex on the line at its place across (interpolated between stations); hem strips at their depth
    i0, f = p.i0, p.f
    nu = (1 - f) * n[i0] + f * n[i0 + 1]
    nu /= np.maximum(np.linalg.norm(nu, axis=1, keepdims=True), 1e-12)
    depth = np.where(p.main, 0.0, np.einsum("ij,ij->i", V - V[p.twin], Nv[p.twin]))
    out = (1 - f) * C[i0] + f * C[i0 + 1] + (sign * p.across)[:, None] * ((1 - f) * B[i0] + f * B[i0 + 1]) + depth[:, None] * nu
    return out.astype(np.float32), nu.astype(np.float32)


def ends(vertices: np.ndarray, p: Plan) -> np.ndarray:
    """(2, 3) float64 where the posed sash ``vertices`` (G, 3) end at the hip, the front end then the back
    one: the mean of the plan ``p``'s :attr:`Plan.tips` (:func:`hip_ends`)."""
    V = np.asarray(vertices, np.float64)
    return np.stack([V[p.tips[0]].mean(0), V[p.tips[1]].mean(0)])
