"""Fixtures for anything that needs a real rendered run folder."""

import pytest

from genb.render.config import RenderConfig
from genb.core.run import RunFolder

TINY = dict(num_samples=4, seed=3, image_size=(128, 96), num_people=(1, 3), portrait_prob=0.25,
            person_height_frac=(0.4, 0.9), truncation_prob=0.0,
            # The checker's drift tests move a person's pixels and measure them with optical flow: they
            # need people no prop hides and images without sensor noise or JPEG (tests/test_scenery.py
            # covers props and camera effects).
            camera_effects=False, props=(0, 0), occluders=(0, 0))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> RunFolder:
    """A real 4-sample anny run at 128x96 (1-3 people), rendered once per test session.

    Treat it as read-only: copy it (shutil.copytree) before writing into it.
    """
    from genb.render.run import run_render

    root = tmp_path_factory.mktemp("runs") / "tiny"
    run_render(root, RenderConfig(**TINY))
    return RunFolder(root)
