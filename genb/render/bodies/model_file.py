"""Checks of a user's SMPL / SMPL-X model file before smplx builds a module from it.

smplx trusts its input: a file with a missing array or an array of the wrong shape fails
deep inside its constructor or its first forward pass with a shape error. These checks say
which array is wrong, what shape it has and what shape the model needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from genb.errors import GenbError

# Expected shapes: letters are sizes bound by their first use (V vertices, F faces, J joints);
# a number is fixed; None is any size; ">=n" at least n.
SMPL_SHAPES: dict[str, tuple] = {
    "v_template": ("V", 3), "f": ("F", 3), "shapedirs": ("V", 3, ">=10"), "posedirs": ("V", 3, 207),
    "J_regressor": (24, "V"), "weights": ("V", 24), "kintree_table": (2, 24),
}
SMPLX_SHAPES: dict[str, tuple] = {
    "v_template": ("V", 3), "f": ("F", 3), "shapedirs": ("V", 3, ">=310"), "posedirs": ("V", 3, 486),
    "J_regressor": (55, "V"), "weights": ("V", 55), "kintree_table": (2, 55),
    "hands_componentsl": (45, 45), "hands_componentsr": (45, 45), "hands_meanl": (45,), "hands_meanr": (45,),
    "lmk_faces_idx": ("L",), "lmk_bary_coords": ("L", 3),
}


def _fits(want: tuple, shape: tuple, bound: dict[str, int]) -> bool:
    if len(want) != len(shape):
        return False
    for w, s in zip(want, shape):
        if isinstance(w, str) and w.startswith(">="):
            if s < int(w[2:]):
                return False
        elif isinstance(w, str):
            if bound.setdefault(w, s) != s:
                return False
        elif w is not None and w != s:
            return False
    return True


def _describe(want: tuple, bound: dict[str, int]) -> str:
    parts = [str(bound.get(w, w)) if isinstance(w, str) and not w.startswith(">=") else str(w) for w in want]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_model_arrays(path: str | Path, arrays: Mapping[str, np.ndarray], shapes: dict[str, tuple],
                       hint: str, model: str) -> None:
    """Raise one :class:`GenbError` for the first missing, non-numeric or misshapen array.

    Args:
        path: the model file (for the message).
        arrays: name -> array as read from the file (``np.load`` result or a dict).
        shapes: name -> expected shape (see ``SMPL_SHAPES``).
        hint: where to get a good file (the fix).
        model: ``"SMPL"`` or ``"SMPL-X"``.
    """
    names = list(getattr(arrays, "files", arrays))
    missing = [k for k in shapes if k not in names]
    if missing:
        raise GenbError(f"{path} lacks the {model} arrays {', '.join(missing)}", hint)
    bound: dict[str, int] = {}
    for name, want in shapes.items():
        value = arrays[name]
        value = value.toarray() if hasattr(value, "toarray") else value  # a scipy sparse J_regressor
        value = np.asarray(getattr(value, "r", value))  # chumpy arrays expose .r
        if value.dtype.kind not in "biuf":
            raise GenbError(f"{path}: {model} array {name} holds {value.dtype} values, not numbers", hint)
        if not _fits(want, tuple(value.shape), bound):
            raise GenbError(f"{path}: {model} array {name} has shape {tuple(value.shape)}, the model needs "
                            f"{_describe(want, bound)}", hint)
    faces = np.asarray(arrays["f"])
    if faces.size and (faces.min() < 0 or faces.max() >= bound["V"]):
        raise GenbError(f"{path}: {model} faces index vertices outside 0..{bound['V'] - 1}", hint)
