"""Dressing made cheaper with the same outputs (session 34): what a cached shell's lookup, a loose garment's
cut, a shell's noise and a cross product cost, each kept to the same values.

Measured over 67 people of two default bedlam renders (seeds 100 and 101, 8 samples each; the dress calls
replayed, thread CPU): ``Dresser.dress`` 19.4 -> 17.4 ms a person on 15423f4 -> this, every output array
equal; ``Dresser.top_shell`` 0.39 -> 0.02 ms a person (a cached top's chest and seat zones made per lookup)."""

import dataclasses

import numpy as np
import pytest

from _fixtures_bodies import anny_body  # noqa: F401


def test_cross_is_np_cross_bit_for_bit():
    """dress.vec.cross: the same bits, dtype, shape and layout as np.cross (3-vectors, rows, broadcast, mixed types)."""
    from genb.render.dress.vec import cross

    rng = np.random.default_rng(3)
    for shape_a, shape_b in [((3,), (3,)), ((50, 3), (50, 3)), ((7, 9, 3), (7, 9, 3)), ((3,), (40, 3)), ((40, 3), (3,))]:
        for ta, tb in [(np.float64, np.float64), (np.float32, np.float32), (np.float32, np.float64)]:
            a, b = rng.standard_normal(shape_a).astype(ta), rng.standard_normal(shape_b).astype(tb)
            want, got = np.cross(a, b), cross(a, b)
            assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
            assert np.array_equal(got.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


@dataclasses.dataclass
class _Kept:
    extra: np.ndarray


def test_cached_shell_lookups_make_no_zones(anny_body, monkeypatch):  # noqa: F811
    """A cached top's or trousers' shell is found without making its drape's zones (15423f4 made the chest, the
    seat's back and the trousers' seat zone and holds on every lookup: 0.3 ms each, about 2 a person)."""
    import genb.render.dress.dresser as dresser_module
    from genb.render.dress.dresser import Dresser, span

    d = Dresser(anny_body)
    top = object()
    d._shells[("top", 0.5, 0.0, 1.1, False, False, False, span(0.008))] = top
    d._shells[("bottom", 1.9, 0.3, False, span(0.006))] = _Kept(np.ones(4))

    def made(*_a, **_k):
        raise AssertionError("a zone made for a cached shell")

    for name in ("chest_zone", "seat_back_zone", "back_seat_zone", "seat_zone"):
        monkeypatch.setattr(dresser_module, name, made)
    assert d.top_shell(0.5, 0.0, ease=0.008) is top
    assert np.array_equal(d.bottom_shell(1.9, 0.3, flare=0.5, ease=0.006).extra, np.full(4, 0.5))


def test_loose_cut_kept_and_equal(anny_body):  # noqa: F811
    """dress.loose.loose_cut: the masks and covered faces of a cut, made once and read-only, equal to their formulas."""
    from genb.core.conventions import PART_INDEX
    from genb.render.dress.dresser import Dresser
    from genb.render.dress.loose import KEEP_CUTS, loose_cut
    from genb.render.dress.mesh import nan_le

    d = Dresser(anny_body)
    a, torso = d.atlas, PART_INDEX["torso"]
    enclosed, band, cover = loose_cut(d, 0.3, 1.2, False)
    assert loose_cut(d, 0.3, 1.2, False)[0] is enclosed
    assert np.array_equal(enclosed, ((a.parts == torso) & (a.torso <= 0.3)) | (d.is_leg & nan_le(a.leg, 1.35)))
    assert np.array_equal(band, (a.parts == torso) & (a.torso <= 0.3) & (a.torso >= 0.3 - 0.1))
    held = ((a.parts == torso) & (a.torso <= 0.25)) | (d.is_leg & nan_le(a.leg, 1.05))
    assert np.array_equal(cover, np.flatnonzero(held[a.faces].all(axis=1))) and len(cover) > 100
    assert len(loose_cut(d, 0.3, 1.2, True)[2]) == 0  # an open coat covers nothing
    with pytest.raises(ValueError):
        enclosed[0] = True
    for k in range(KEEP_CUTS + 3):  # a coat tail's waist follows the pose: at most KEEP_CUTS kept
        loose_cut(d, 0.01 * k, 1.2, False)
    assert len(d._loose_cuts) == KEEP_CUTS


def test_kept_noise_is_the_noise():
    """materials: a shell's kept fabric and hair noise equal the noise of its points, made once per array."""
    from genb.render.dress import materials

    rest = np.random.default_rng(5).standard_normal((300, 3)) * 0.3
    fabric = {"color": "3b5b84", "pattern": "knit", "pattern_scale": 0.05, "color2": "e8e6e1"}
    first = materials.fabric_colors(fabric, rest, rest)
    assert materials._NOISE[("fabric", id(rest))][0] is rest
    assert np.array_equal(materials._kept_noise("fabric", rest, materials.hash_noise), materials.hash_noise(rest))
    assert np.array_equal(materials.fabric_colors(fabric, rest, rest), first)
    hair = materials.hair_colors("2e2119", rest)
    assert np.array_equal(materials._NOISE[("hair", id(rest))][1],
                          materials.hash_noise(np.floor(rest * np.array([80.0, 80.0, 12.0]))))
    assert np.array_equal(materials.hair_colors("2e2119", rest), hair)
