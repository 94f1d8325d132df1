"""Draw a check decision on an image: moved to :mod:`genb.core.draw` (shared with ``genb show``); re-exported."""

from genb.core.draw import DETECTED_COLOR, GT_COLOR, STATUS_COLOR, _skeleton, overlay_check  # noqa: F401
