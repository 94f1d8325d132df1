"""Prompts from a sample's scene recipe (scene.json), through templates a user can replace.

The scene recipe names each person's shape description (``gender``,
``age_group``, ``build``), appearance (clothing colour names) and, for dressed
people, their garments, shoes and hair (``genb.render.dress.describe``), and the
background (sky and ground recipe, or a user image). A template file (YAML,
see ``configs/enhance/templates/default.yaml``) turns them into words.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from genb.config import _config_roots, read_user_yaml
from genb.errors import GenbError

DEFAULT_TEMPLATES = "templates/default.yaml"


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@functools.lru_cache(maxsize=8)
def _default_templates() -> dict[str, Any]:
    for root in _config_roots():
        path = root / "enhance" / DEFAULT_TEMPLATES
        if path.is_file():
            return yaml.safe_load(path.read_text())
    raise GenbError("the built-in prompt templates (configs/enhance/templates/default.yaml) are missing",
                    "reinstall genb, or pass --prompt-template with your own file")


def load_templates(spec: str | None) -> dict[str, Any]:
    """Templates from ``--prompt-template``: None (built-in), a YAML path, or a prompt string.

    A YAML file overrides the built-in keys it names; a plain string replaces only ``prompt``.
    """
    templates = dict(_default_templates())
    if not spec:
        return templates
    path = Path(spec)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise GenbError(f"prompt template file {path} does not exist",
                            "give a YAML file like configs/enhance/templates/default.yaml, or a template string")
        data = read_user_yaml(path, "prompt template file", "fix its syntax") or {}
        if not isinstance(data, dict):
            raise GenbError(f"prompt template file {path} must be a mapping (prompt:, person:, ...)",
                            "see configs/enhance/templates/default.yaml")
        templates.update(data)
    else:
        templates["prompt"] = spec
    try:  # fail early on a broken template rather than on sample 1000
        templates["prompt"].format_map(_Blank())
        templates["person"].format_map(_Blank())
    except (KeyError, ValueError, IndexError, AttributeError) as e:
        raise GenbError(f"prompt template is not a valid format string ({e})",
                        "use {people} and {setting} in the prompt; {noun}, {build}, {top}, ... in person") from None
    return templates


def describe_person(person: dict[str, Any], templates: dict[str, Any]) -> str:
    """One person of scene.json in words, e.g. ``a slim woman wearing a red t-shirt, navy shorts and white shoes``."""
    desc = person.get("description") or {}
    app = person.get("appearance") or {}
    gender = desc.get("gender", "neutral")
    age = desc.get("age_group", "adult")
    nouns = templates.get("nouns", {})
    noun = nouns.get(gender, nouns.get("neutral", {})).get(age, "person")
    build = templates.get("builds", {}).get(desc.get("build", "average"), "") or ""
    clothing = templates.get("clothing", {})

    def wear(key: str, color: str | None) -> str:
        return clothing.get(key, "{color}").format(color=color) if color else ""

    fields = _Blank(
        noun=noun, build=build,
        top=wear("top_long" if app.get("long_sleeves") else "top_short", app.get("top")),
        bottom=wear("bottom_long" if app.get("long_bottom", True) else "bottom_short", app.get("bottom")),
        shoes=wear("shoes", app.get("shoes")), skin_tone=app.get("skin_tone", ""),
        gender=gender, age_group=age,
    )
    fields["outfit"] = ", ".join(w for w in (fields["top"], fields["bottom"]) if w) + \
        (f" and {fields['shoes']}" if fields["shoes"] else "")
    from genb.render.dress.describe import describe_outfit  # a dressed person: their actual garments and hair

    dressed = describe_outfit(person)
    fields.update(dressed)
    fields["with_hair"] = f"with {fields['hair']}," if fields.get("hair") else ""
    first = (build or noun).strip()
    fields["article"] = "an" if first[:1].lower() in "aeiou" and first else "a"
    text = templates["person"].format_map(fields)
    return _tidy(text)


def describe_setting(background: dict[str, Any] | None, templates: dict[str, Any]) -> str:
    """The background recipe in words, e.g. ``outdoors under a clear blue sky, on grass``."""
    setting = templates.get("setting", {})
    background = background or {}
    if background.get("kind") == "image":
        return setting.get("image", "")
    parts = [background.get("description", ""),  # the place around the people (genb.render.scene.places), if any
             setting.get("sky", {}).get(background.get("sky"), ""),
             setting.get("ground", {}).get(background.get("ground"), "")]
    parts = [p for p in parts if p]
    return ", ".join(parts) if parts else setting.get("default", "")


def build_prompt(scene: dict[str, Any], templates: dict[str, Any]) -> str:
    """The prompt of one sample from its scene recipe."""
    people = [describe_person(p, templates) for p in scene.get("people", [])]
    limit = int(templates.get("max_people", 4))
    if len(people) > limit:
        people = people[:limit] + [f"{len(people) - limit} more people"]
    fields = _Blank(people=templates.get("people_join", ", ").join(people) or "an empty place",
                    setting=describe_setting(scene.get("background"), templates),
                    num_people=len(scene.get("people", [])))
    return _tidy(templates["prompt"].format_map(fields))


DEFAULT_PERSON_PROMPT = ("a photo of {person}{hair}, {setting}, natural light, realistic, detailed face and hands, "
                         "sharp focus, 35mm photograph")
DEFAULT_DETAIL_PROMPTS = {
    "face": "a close-up photo of the face of {person}{hair}, realistic skin, detailed eyes, sharp focus",
    "hands": "a close-up photo of the hand of {person}, realistic skin, five fingers, detailed, sharp focus",
}


def describe_hair(person: dict[str, Any]) -> str:
    """The person's hair in words (``"short brown hair"``), from ``hair`` in scene.json if the recipe has one.

    Accepts ``{"style": ..., "color": ...}`` (or ``colour``/``name``/``type``) or a plain string; ``""`` if none or bald.
    """
    hair = person.get("hair", (person.get("appearance") or {}).get("hair"))
    if not hair:
        return ""
    if isinstance(hair, str):
        words = hair
    elif isinstance(hair, dict):
        style = hair.get("style") or hair.get("name") or hair.get("type") or ""
        if str(style).lower() in ("bald", "none"):
            return "bald"
        color = hair.get("color") or hair.get("colour") or ""
        words = " ".join(str(w) for w in (hair.get("length", ""), color, style) if w)
    else:
        return ""
    words = " ".join(str(words).replace("_", " ").split())
    return words if words.endswith("hair") or words == "bald" else f"{words} hair" if words else ""


def build_person_prompt(scene: dict[str, Any], person: int, templates: dict[str, Any], kind: str = "person") -> str:
    """The prompt of one person's crop (``kind`` person) or of a detail crop (``face``, ``hands``).

    From that person's recipe only (description, appearance, hair) and the setting; templates
    ``person_prompt``, ``face_prompt``, ``hands_prompt`` with fields ``{person}``, ``{hair}``
    (``", with short brown hair"`` or empty) and ``{setting}``.
    """
    people = scene.get("people", [])
    recipe = people[person] if 0 <= person < len(people) else {}
    hair = describe_hair(recipe)
    fields = _Blank(person=describe_person(recipe, templates) if recipe else "a person",
                    hair=("" if not hair else ", bald" if hair == "bald" else f", with {hair}"),
                    setting=describe_setting(scene.get("background"), templates))
    default = DEFAULT_PERSON_PROMPT if kind == "person" else DEFAULT_DETAIL_PROMPTS[kind]
    return _tidy(str(templates.get(f"{kind}_prompt", default)).format_map(fields))


def _tidy(text: str) -> str:
    """Collapse the doubled spaces and commas that empty fields leave."""
    text = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", r"\1n ", " ".join(text.split()))
    while ", ," in text or ",," in text:
        text = text.replace(", ,", ",").replace(",,", ",")
    return text.replace(" ,", ",").strip(" ,")
