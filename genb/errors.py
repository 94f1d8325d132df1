"""One error type for everything a user can get wrong.

A :class:`GenbError` carries the problem and the fix; the CLI prints it as one
message and exits non-zero, with no stack trace.
"""

from __future__ import annotations


class GenbError(Exception):
    """A problem the user can fix: bad input, a missing file, an impossible setting.

    Args:
        problem: what is wrong, naming the value or path.
        fix: what to do about it.
    """

    exit_code = 2

    def __init__(self, problem: str, fix: str = ""):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}" + (f"\n  fix: {fix}" if fix else ""))


def short_reason(error: BaseException, limit: int = 400) -> str:
    """An exception's message on one line, cut at a sentence or word boundary (never mid-word) near ``limit``."""
    text = " ".join(str(error).split()) or type(error).__name__
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("; "))
    if end >= limit // 2:
        return head[: end + 1]
    return head[: head.rfind(" ")].rstrip(",;:") + " ..."
