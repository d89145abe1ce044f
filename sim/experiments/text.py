"""Text that reaches a terminal or a report: sanitised titles and numbers that say when there is no data."""

from __future__ import annotations

import math
import re
import unicodedata

# C0 and C1 controls, DEL, and the bidirectional overrides that can reorder a line on screen
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: object, limit: int = 500) -> str:
    """One line of printable text: control characters become spaces, runs of spaces one space.

    Titles and descriptions come from files anyone can write; printed raw, an
    escape sequence could rewrite the terminal, and a newline could forge a
    line of a report.
    """
    s = unicodedata.normalize("NFC", str(text))
    s = _CONTROL.sub(" ", s)
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def markdown_cell(text: object) -> str:
    """Clean text that is safe inside a Markdown table cell."""
    return clean_text(text).replace("|", "\\|")


def is_missing(v: object) -> bool:
    """Whether ``v`` is a missing value: ``None`` or a non-finite float."""
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def fmt(v: float | None, missing: str = "no data") -> str:
    """A number with sensible precision; ``missing`` for nan or None."""
    if is_missing(v):
        return missing
    v = float(v)
    a = abs(v)
    return f"{v:.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}" if a >= 0.1 else f"{v:.3f}"


__all__ = ["clean_text", "fmt", "is_missing", "markdown_cell"]
