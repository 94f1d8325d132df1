"""genb's forward pass (raster/forward.py) against pyrender's own, on real dressed renders."""

import contextlib

import numpy as np
import pytest

import genb.render.raster.context as C
from genb.render.config import RenderConfig
from genb.render.stage import RenderStage


@pytest.fixture(scope="module")
def stage():
    return RenderStage(RenderConfig(num_samples=4, seed=11, image_size=(256, 192), num_people=(3, 4), portrait_prob=0.0))


@contextlib.contextmanager
def _pyrender_forward(inner, reverse=False):
    """pyrender's own forward pass, in genb's draw order (what genb drew before raster/forward.py)."""
    inner._sorted_mesh_nodes = lambda sc: C.draw_order(sc, reverse)
    try:
        yield
    finally:
        inner.__dict__.pop("_sorted_mesh_nodes", None)


def _arrays(results):
    for r in results:
        for a in (r if isinstance(r, tuple) else (r,)):
            if a is not None:
                yield a


def test_every_pass_is_the_same_bytes_as_pyrenders_forward_pass(stage, monkeypatch):
    for index in range(2):
        prep = stage.prepare(index)
        assert len(prep.passes) == 3 and prep.look is not None and prep.look.shadow_pass is not None  # dressed, sunlit
        with monkeypatch.context() as m:
            m.setattr(C, "genb_forward", _pyrender_forward)
            ref = stage.rasterize(prep)
        ours = stage.rasterize(prep)
        assert len(ref) == len(ours) >= 5  # colour, sun, labels, bare bodies, texcoords
        for a, b in zip(_arrays(ref), _arrays(ours)):
            assert a.dtype == b.dtype and np.array_equal(a, b)


def test_a_label_pass_reads_its_vertex_colours_whatever_the_shader_held(stage):
    """pyrender never sets the flat shader's colour factor in a SEG pass: a label pass drawn first in a
    process read zeros. genb's pass sets it: zeroing it first changes nothing."""
    from OpenGL import GL

    prep = stage.prepare(2)
    label = [prep.passes[1]]
    ref = stage.raster.run_passes(label, prep.width, prep.height)[0]
    assert ref[0][..., 1].any()  # parts drawn
    inner = stage.raster._renderer_for(prep.width, prep.height)._renderer
    programs = [p for p in inner._genb_programs.programs.values() if p._in_context()]
    assert programs
    for p in programs:
        loc = GL.glGetUniformLocation(p._program_id, "material.base_color_factor")
        if loc != -1:
            GL.glUseProgram(p._program_id)
            GL.glUniform4fv(loc, 1, np.zeros(4, np.float32))
    GL.glUseProgram(0)
    again = stage.raster.run_passes(label, prep.width, prep.height)[0]
    assert np.array_equal(ref[0], again[0]) and np.array_equal(ref[1], again[1])


def test_flags_it_does_not_draw_are_refused(stage):
    from pyrender.constants import RenderFlags

    from genb.render.raster.forward import forward_pass

    prep = stage.prepare(0)
    inner = stage.raster._renderer_for(prep.width, prep.height)._renderer
    with pytest.raises(ValueError, match="FLAT, SEG and DEPTH_ONLY"):
        forward_pass(inner, prep.passes[0][0], RenderFlags.NONE, None, [])
