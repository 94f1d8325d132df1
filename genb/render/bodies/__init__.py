"""Body models: anny (default, ships in its package) and SMPL-X (bring your own files)."""

from __future__ import annotations

from genb.render.bodies.base import BodyModel, PosedBodies, rigid_transform_bodies

__all__ = ["BodyModel", "PosedBodies", "rigid_transform_bodies", "load_body_model", "BODY_MODELS"]

BODY_MODELS = ("anny", "smplx")


def load_body_model(name: str, *, smplx_dir: str | None = None, gender: str = "neutral",
                    anny_cache_dir: str | None = None, device: str = "cpu") -> BodyModel:
    """Build a body model once per process.

    Args:
        name: "anny" or "smplx".
        smplx_dir: folder holding ``SMPLX_NEUTRAL.npz`` (and/or MALE/FEMALE), for "smplx".
        gender: SMPL-X model gender: "neutral", "male" or "female".
        anny_cache_dir: where anny keeps its ~800 MB build cache (default ``~/.cache/anny``
            or ``$ANNY_CACHE_DIR``).
    """
    from genb.errors import GenbError

    if name == "anny":
        from genb.render.bodies.anny_body import AnnyBody

        return AnnyBody(cache_dir=anny_cache_dir, device=device)
    if name == "smplx":
        from genb.render.bodies.smplx_body import SmplxBody

        return SmplxBody(smplx_dir, gender=gender, device=device)
    raise GenbError(f"unknown body model {name!r}", f"use one of: {', '.join(BODY_MODELS)}")
