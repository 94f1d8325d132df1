"""The Hugging Face hub, asked once: can it be reached, and is a model already in the local cache?

Without a network, ``from_pretrained`` of a hub id retries a HEAD request five times with
backoff (about 25 s of "Retrying in 8s" lines) and then reports the last symptom, such as
"does not appear to have a file named config.json", which names the wrong cause. genb asks
first: one short connection to the hub's host (:func:`hub_unreachable`); a model that is in
the local cache then loads with ``local_files_only=True`` (no retries), and one that is not
becomes one clear error that says the hub cannot be reached.
"""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlparse

from genb.errors import GenbError

_TRUE = ("1", "true", "yes", "on")


def offline_by_env() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks for no network at all."""
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def endpoint() -> str:
    """The hub's base URL (``HF_ENDPOINT``, default ``https://huggingface.co``)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


@functools.lru_cache(maxsize=4)
def hub_unreachable(timeout_s: float = 3.0) -> str | None:
    """Why the hub cannot be reached (``"huggingface.co: Name or service not known"``), or None if it can.

    One TCP connection to the endpoint's host, once per process. Behind an HTTP(S) proxy
    (``HTTPS_PROXY``) a direct connection says nothing, so the answer is None there and the
    libraries' own requests decide.
    """
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    url = urlparse(endpoint())
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return None
    except socket.gaierror as e:
        return f"{host}: {e.strerror or e}"
    except OSError as e:
        return f"{host}:{port}: {e.strerror or type(e).__name__}"


def cached_file(repo_id: str, filename: str, revision: str | None = None) -> str | None:
    """The local cache's copy of ``repo_id/filename`` (a path), or None if it is not cached."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo_id, filename, revision=revision)
    except Exception:  # noqa: BLE001 - an id the cache cannot even parse is not cached
        return None
    return found if isinstance(found, str) else None


def unreachable_problem(repo_id: str, what: str, reason: str) -> str:
    """The one-line problem for a hub model that is neither reachable nor cached."""
    return (f"the Hugging Face hub cannot be reached ({reason}) and the {what} {repo_id!r} is not in the "
            "local cache")


def offline_problem(repo_id: str, what: str, switch: str = "HF_HUB_OFFLINE=1") -> str:
    """The one-line problem for a hub model that is not cached while the hub is switched off (by ``switch``)."""
    return f"the hub is switched off ({switch}) and the {what} {repo_id!r} is not in the local cache"


def offline_fix(repo_id: str, option: str, offline: bool = False, also: str = "") -> str:
    """What to do about a hub model that cannot be had here (``also``: another way to pass the folder)."""
    return (f"download it where there is internet (`hf download {repo_id} --local-dir DIR`) and pass {option} DIR"
            + (f" {also}" if also else "") + " (or copy the Hugging Face cache, ~/.cache/huggingface, to this machine)"
            + ("" if offline else "; set HF_HUB_OFFLINE=1 to never try the network"))


def local_only(repo_id: str, filename: str, what: str, option: str, offline: bool,
               revision: str | None = None, switch: str = "HF_HUB_OFFLINE=1", also: str = "") -> bool:
    """Whether to load ``repo_id`` from the local cache only (the hub is off or unreachable).

    Raises:
        GenbError: when the hub cannot be used and ``filename`` is not in the local cache, naming the
            real cause (off, or unreachable and why) and ``option`` as the fix.
    """
    reason = None if offline else hub_unreachable()
    if not offline and reason is None:
        return False
    if cached_file(repo_id, filename, revision) is None:
        raise GenbError(offline_problem(repo_id, what, switch) if offline else unreachable_problem(repo_id, what, reason),
                        offline_fix(repo_id, option, offline, also=also))
    return True
