"""Moved to :mod:`genb.core.conventions` (shared by every stage); kept so old imports work."""

from genb.core.conventions import *  # noqa: F401,F403
from genb.core.conventions import __doc__ as _doc  # noqa: F401
