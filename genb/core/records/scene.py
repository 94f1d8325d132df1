"""A sample's recipe ``samples/NNNNNN/scene.json``: one typed record, one writer, one reader.

:class:`SceneRecord` holds the keys later stages read (the people, the place's background, the
objects, the camera) with their types checked; each person is a :class:`ScenePerson`. Every other
key (lighting, sky, framing, camera effects, ...) and every person's other keys (pose details,
skin, eyes, ...) are kept as they were (:class:`~genb.core.records.keyed.KeyedRecord`), so
:func:`scene_bytes` of a record read from a file is that file's bytes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

from genb.core.io import atomic_write_bytes, read_json
from genb.core.records.fields import list_of
from genb.core.records.keyed import KeyedRecord

SCENE_FIX = "re-render the sample (delete its folder and run the same `genb render` command)"
SCENE_LISTS = ("garments", "accessories", "held_objects")


@dataclasses.dataclass
class ScenePerson(KeyedRecord):
    """One person of a scene: who they are, what they wear, where and how they stand."""

    OPTIONAL: ClassVar[dict[str, Any]] = {
        "description": dict, "appearance": dict, "garments": list, "accessories": list, "held_objects": list,
        "hair": (dict, str), "shoes": dict, "facial_hair": str, "pose": str, "position": list, "yaw_deg": float}
    WHAT: ClassVar[str] = "scene person"

    description: dict[str, Any] | None = None
    """``gender``, ``age_group``, ``build`` (words for prompts)."""
    appearance: dict[str, Any] | None = None
    """Colours and cuts in words (``top``, ``bottom``, ``shoes``, ``skin_tone``, ...)."""
    garments: list[dict[str, Any]] | None = None
    """The outfit's garments (the dresser's recipes, :mod:`genb.render.dress`)."""
    accessories: list[dict[str, Any]] | None = None
    held_objects: list[dict[str, Any]] | None = None
    hair: dict[str, Any] | str | None = None
    shoes: dict[str, Any] | None = None
    facial_hair: str | None = None
    pose: str | None = None
    """The key pose's name (``name``, ``name:mirrored``, ``a~b`` for a blend)."""
    position: list[float] | None = None
    """World position, metres."""
    yaw_deg: float | None = None

    @classmethod
    def from_json(cls, d: Any, path: str | Path, where: str) -> "ScenePerson":
        for key in SCENE_LISTS:  # named by their place in the scene
            if isinstance(d, dict) and d.get(key) is not None:
                list_of(d[key], dict, f"{where}.{key}", path, SCENE_FIX, "scene recipe")
        return cls(**cls.split(cls.check(d, path, SCENE_FIX)))


@dataclasses.dataclass
class SceneRecord(KeyedRecord):
    """One sample's recipe: its people and the setting around them."""

    REQUIRED: ClassVar[dict[str, Any]] = {"people": list}
    OPTIONAL: ClassVar[dict[str, Any]] = {"objects": list, "camera": dict, "background": dict, "index": int,
                                          "seed": int, "body_model": str}
    WHAT: ClassVar[str] = "scene recipe"

    people: list[ScenePerson]
    background: dict[str, Any] | None = None
    """The place or backdrop: ``kind``, ``description``, ``sky``, ``ground``, ... (words for prompts)."""
    objects: list[dict[str, Any]] | None = None
    """Props and place objects (recipes of :mod:`genb.render.places`)."""
    camera: dict[str, Any] | None = None
    """``position``, ``yaw_deg``, ``pitch_deg``, ``roll_deg``, ``fov_x_deg``, ``width``, ``height``."""
    index: int | None = None
    seed: int | None = None
    body_model: str | None = None

    @classmethod
    def from_json(cls, d: Any, path: str | Path = "scene.json") -> "SceneRecord":
        scene = cls.check(d, path, SCENE_FIX)
        list_of(scene["people"], dict, "people", path, SCENE_FIX, cls.WHAT)
        list_of(scene.get("objects") or [], dict, "objects", path, SCENE_FIX, cls.WHAT)
        args = cls.split(scene)
        args["people"] = [ScenePerson.from_json(p, path, f"people[{k}]") for k, p in enumerate(scene["people"])]
        return cls(**args)

    def to_bytes(self) -> bytes:
        """The file's bytes (keys sorted, one-space indent, no final newline)."""
        return json.dumps(self.to_json(), indent=1, sort_keys=True).encode()

    def write(self, path: str | Path) -> None:
        """The one writer (atomic)."""
        atomic_write_bytes(path, self.to_bytes())


def scene_bytes(scene: dict[str, Any] | SceneRecord) -> bytes:
    """The bytes of ``scene.json`` for a recipe (the renderer's mapping is checked on the way)."""
    record = scene if isinstance(scene, SceneRecord) else SceneRecord.from_json(scene, "the rendered scene")
    return record.to_bytes()


def read_scene(path: str | Path) -> SceneRecord:
    """The one reader of ``scene.json``: a missing or corrupt file is one error naming it."""
    return SceneRecord.from_json(read_json(path), path)
