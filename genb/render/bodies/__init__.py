"""Body models: anny (default, ships in its package) and SMPL-X (bring your own files).

A :class:`BodySpec` says the model's name (``--body``; it prefixes the model's
parameters in ``labels.npz`` and the packages), how to build it, and its licence
(named in every dataset card of a run rendered with it). Adding one (see
docs/architecture.md, "How to add")::

    from genb.render.bodies import BODY_MODELS, BodySpec

    BODY_MODELS.register(BodySpec("mybody", build=lambda **kw: MyBody(device=kw["device"]),
                                  licence="CC-BY-4.0", licence_url="https://example.org/licence"))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from genb.core.registry import Registry
from genb.render.bodies.base import BodyModel, PosedBodies, rigid_transform_bodies

__all__ = ["BodyModel", "PosedBodies", "rigid_transform_bodies", "load_body_model", "BODY_MODELS", "BodySpec"]


@dataclasses.dataclass(frozen=True)
class BodySpec:
    """One body model."""

    name: str
    """Its name in ``--body``; the built model's ``name`` (the prefix of its parameters, ``anny_*``)."""
    build: Callable[..., BodyModel]
    """``build(smplx_dir=, gender=, anny_cache_dir=, device=) -> BodyModel``, once per process (ignore what you
    do not need)."""
    licence: str
    """The licence of the model and of what is derived from it (parameters, joints, vertices), by name."""
    licence_url: str = ""
    """Where that licence is written."""
    card_text: str = ""
    """The dataset card's licence paragraph (default: one sentence from ``licence`` and ``licence_url``)."""
    doc: str = ""
    """One line for ``--body`` help and the docs."""

    def licence_text(self) -> str:
        """The licence paragraph of a dataset card of bodies of this model."""
        if self.card_text:
            return self.card_text
        where = f" ({self.licence_url})" if self.licence_url else ""
        return (f"Bodies come from **{self.name}**. The model and what is derived from it - the parameters, joints "
                f"and vertices in this package - are under **{self.licence}**{where}.")


def _anny(*, anny_cache_dir=None, device="cpu", **_) -> BodyModel:
    from genb.render.bodies.anny_body import AnnyBody

    return AnnyBody(cache_dir=anny_cache_dir, device=device)


def _smplx(*, smplx_dir=None, gender="neutral", device="cpu", **_) -> BodyModel:
    from genb.render.bodies.smplx_body import SmplxBody

    return SmplxBody(smplx_dir, gender=gender, device=device)


BODY_MODELS: Registry[BodySpec] = Registry("body model")

for _spec in (
    BodySpec("anny", _anny, "Apache-2.0 (code), CC0 1.0 (assets)", "https://github.com/naver/anny",
             card_text=("Bodies come from **anny** (NAVER LABS Europe): code under **Apache-2.0**, its body-model "
                        "assets (derived from MakeHuman) under **CC0 1.0**. No SMPL or SMPL-X files were used; the "
                        "anny parameters in this package carry no further licence terms."),
             doc="ships with genb, no licence files"),
    BodySpec("smplx", _smplx, "SMPL-X Model License (non-commercial scientific research only)",
             "https://smpl-x.is.tue.mpg.de/modellicense.html",
             card_text=("Bodies come from **SMPL-X** (Max Planck Institute for Intelligent Systems). The SMPL-X model "
                        "and what is derived from it - the parameters, joints and vertices in this package - are "
                        "under the **SMPL-X Model License: non-commercial scientific research only** "
                        "(https://smpl-x.is.tue.mpg.de/modellicense.html). Anyone using this data must accept that "
                        "licence."),
             doc="needs --smplx-dir"),
):
    BODY_MODELS.register(_spec)


def body_choices() -> tuple[str, ...]:
    """Every ``--body`` value (read live)."""
    return BODY_MODELS.names()


def load_body_model(name: str, *, smplx_dir: str | None = None, gender: str = "neutral",
                    anny_cache_dir: str | None = None, device: str = "cpu") -> BodyModel:
    """Build a body model once per process.

    Args:
        name: a registered body model ("anny", "smplx", or one of yours).
        smplx_dir: folder holding ``SMPLX_NEUTRAL.npz`` (and/or MALE/FEMALE), for "smplx".
        gender: SMPL-X model gender: "neutral", "male" or "female".
        anny_cache_dir: where anny keeps its ~800 MB build cache (default ``$ANNY_CACHE_DIR``,
            else ``$XDG_CACHE_HOME/anny``, else ``~/.cache/anny``).
    """
    return BODY_MODELS.get(name).build(smplx_dir=smplx_dir, gender=gender, anny_cache_dir=anny_cache_dir,
                                       device=device)
