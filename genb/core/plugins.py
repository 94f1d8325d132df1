"""Plugins: packages that add control maps, drift measures, package formats or body models
without editing genb.

A plugin is an ordinary Python package that declares an entry point in the ``genb.plugins``
group (as nerfstudio discovers methods); ``genb`` imports each one before it parses the
command line, so what it registers is in every ``--controls``/``--measures``/``--format``/
``--body`` list::

    # the plugin's pyproject.toml
    [project.entry-points."genb.plugins"]
    silhouette = "genb_silhouette"            # a module that registers on import
    colour = "genb_colour:register"           # or a function called with no arguments

A plugin that fails to load is one :class:`~genb.errors.GenbError` naming it.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from genb.errors import GenbError

GROUP = "genb.plugins"
_loaded: dict[str, Any] = {}


def load_plugins() -> list[str]:
    """Import (or call) every ``genb.plugins`` entry point once per process; returns their names."""
    for ep in importlib.metadata.entry_points(group=GROUP):
        if ep.name in _loaded:
            continue
        try:
            obj = ep.load()
            if callable(obj):
                obj()
        except GenbError:
            raise
        except Exception as e:  # noqa: BLE001 - a plugin may raise anything; say which one
            raise GenbError(f"the genb plugin {ep.name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}",
                            f"fix or uninstall the package that provides it (pip uninstall {ep.dist.name if ep.dist else ep.name})") from None
        _loaded[ep.name] = obj
    return list(_loaded)
