"""What the preparing process sends (genb.render.prep_wire): a real prepared sample arrives with the
same arrays (values, dtypes, shapes, read-only flags) as a plain pickle gives, in fewer bytes."""

import hashlib
import io
import os
import pickle
import threading

import numpy as np
import pyrender
import pytest

from _fixtures_render import TINY
from genb.render import prep_wire
from genb.render.config import RenderConfig


def _arrays(obj, out, seen):
    """Every ndarray reachable from ``obj`` (dict values, items, objects' __dict__)."""
    if id(obj) in seen:
        return out
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        out.append(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _arrays(k, out, seen)
            _arrays(v, out, seen)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _arrays(v, out, seen)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        _arrays(vars(obj), out, seen)
    return out


def _key(a: np.ndarray) -> tuple:
    return a.dtype.str, a.shape, a.flags.writeable, hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def prepared():
    from genb.render.stage import RenderStage

    stage = RenderStage(RenderConfig(**{**TINY, "camera_effects": True, "props": (1, 2)}))
    try:
        return [stage.prepare(i) for i in range(3)]
    finally:
        stage.close()


def test_a_prepared_sample_arrives_as_a_plain_pickle_would_bring_it(prepared):
    for prep in prepared:
        plain = pickle.loads(pickle.dumps(prep, protocol=5))
        message = prep_wire.dumps(prep)
        got = prep_wire.loads(*message)
        a, b = _arrays(plain, [], set()), _arrays(got, [], set())  # (sets and graphs: in no fixed order)
        assert len(a) == len(b) > 20
        assert sorted(map(_key, a)) == sorted(map(_key, b))
        assert got.scene == prep.scene and got.width == prep.width
        prims = [p for scene, _, _ in got.passes for m in scene.meshes for p in m.primitives]
        assert prims and all(p.indices.dtype == np.float32 for p in prims)
        # the face indices travel as uint16 (fewer than 65536 vertices a mesh)
        assert sum(len(v) for v in message[1]) < 0.85 * len(pickle.dumps(prep, protocol=5))


def test_indices_that_are_not_small_whole_numbers_travel_as_they_are():
    for bad in (np.array([[0.5, 1, 2]], np.float32), np.array([[-1, 1, 2]], np.float32),
                np.array([[0, 1, 2 ** 24]], np.float32)):
        assert prep_wire.compact_indices(bad) is bad
    big = prep_wire.compact_indices(np.array([[0, 1, 70000]], np.float32))
    assert big.ints.dtype == np.uint32
    prim = pyrender.Primitive(positions=np.zeros((3, 3)), indices=np.array([[0.5, 1, 2]]))
    back = prep_wire.loads(*prep_wire.dumps(prim))
    assert back.indices.dtype == np.float32 and np.array_equal(back.indices, prim.indices)


def test_messages_through_a_pipe_and_a_cut_message(prepared):
    r, w = os.pipe()
    messages = [(True, p) for p in prepared[:2]] + [(False, ValueError("x"))]
    writer = threading.Thread(target=lambda: [prep_wire.write(out, prep_wire.dumps(m)) for m in messages]
                              + [out.close()])
    out = os.fdopen(w, "wb")
    writer.start()
    with os.fdopen(r, "rb") as inp:
        got = [prep_wire.read(inp) for _ in messages]
        with pytest.raises(EOFError):
            prep_wire.read(inp)
    writer.join()
    assert [g[0] for g in got] == [True, True, False] and str(got[2][1]) == "x"
    assert np.array_equal(got[1][1].backdrop, prepared[1].backdrop)
    whole = io.BytesIO()
    prep_wire.write(whole, prep_wire.dumps((True, prepared[0])))
    with pytest.raises(EOFError, match="cut short"):
        prep_wire.read(io.BytesIO(whole.getvalue()[:-10]))
