"""The run's own records: ``run.json`` (the manifest) and ``samples/NNNNNN/scene.json`` (the recipe).

Both are read before anything is decided from them: the manifest's counts and image size
have their types, a scene's people are a list of mappings, each person's garments and
accessories lists. A wrong one is one :class:`~genb.errors.GenbError` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genb.core.io import read_json
from genb.core.records.fields import list_of, require
from genb.errors import GenbError

MANIFEST_FIX = "restore run.json (or render the run again into a new folder)"


def read_manifest(path: str | Path) -> dict[str, Any]:
    """``run.json``: ``num_samples`` and ``seed`` whole numbers, ``image_size`` ``[W, H]`` of two
    whole numbers, ``body_model`` text (when present)."""
    m = require(read_json(path), {"num_samples": int, "seed": int, "image_size": list}, path, MANIFEST_FIX,
                optional={"body_model": str, "portrait_prob": float, "format_version": int}, what="run manifest")
    size = list_of(m["image_size"], int, "image_size", path, MANIFEST_FIX, "run manifest")
    if len(size) != 2 or min(size) < 1:
        raise GenbError(f"{path} is corrupt: image_size {size} is not [W, H]", MANIFEST_FIX)
    return m


def image_sizes(manifest: dict[str, Any]) -> set[tuple[int, int]]:
    """The (H, W) an image of this run may have: landscape, or portrait (the run's size turned)."""
    w, h = manifest["image_size"]
    return {(h, w), (w, h)}


SCENE_LISTS = ("garments", "accessories", "held_objects")


def read_scene(path: str | Path) -> dict[str, Any]:
    """``scene.json``: a mapping whose ``people`` is a list of mappings; each person's ``garments``,
    ``accessories`` (and the scene's ``objects``) lists of mappings when present."""
    fix = "re-render the sample (delete its folder and run the same `genb render` command)"
    scene = require(read_json(path), {"people": list}, path, fix, optional={"objects": list, "camera": dict},
                    what="scene recipe")
    list_of(scene["people"], dict, "people", path, fix, "scene recipe")
    list_of(scene.get("objects") or [], dict, "objects", path, fix, "scene recipe")
    for k, person in enumerate(scene["people"]):
        for key in SCENE_LISTS:
            if person.get(key) is not None:
                list_of(person[key], dict, f"people[{k}].{key}", path, fix, "scene recipe")
    return scene
