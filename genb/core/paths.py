"""Paths read from files genb did not just write, resolved inside their own root."""

from __future__ import annotations

from pathlib import Path

from genb.errors import GenbError


def inside(root: str | Path, name: str | Path, what: str = "a path") -> Path:
    """``root / name`` resolved, refused unless it lies inside ``root``.

    For every path genb reads from a file it did not just write (a package's ``imgname``,
    a rank's part marker, a shard index, a scene or wardrobe reference): an absolute name,
    one that climbs out with ``..`` or a symlink that leads outside is one :class:`GenbError`.

    Args:
        root: the folder the name must stay in.
        name: the name as read from the file (relative to ``root``).
        what: what the name is, for the message (``"imgname"``, ``"a part file"``).
    """
    root = Path(root)
    text = str(name)
    base = root.resolve()
    target = (base / text).resolve() if text and not Path(text).is_absolute() else None
    if target is None or not target.is_relative_to(base) or target == base:
        raise GenbError(f"{what} {text!r} (read from a file in {root}) points outside {root}",
                        "genb reads only files inside the folder that names them; the file was edited "
                        "or made elsewhere: re-make it with genb, or fix the name")
    return target
