"""Noise controls shared by every rule: entropy, placeholders, templates and references to the environment."""

from __future__ import annotations

import math
import re
from collections import Counter

# Words that mark a value as documentation, a template or a test double rather than a credential.
PLACEHOLDER_WORDS = (
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yourpassword",
    "dummy",
    "redacted",
    "sample",
    "notreal",
    "not_real",
    "not-real",
    "fake",
    "insert",
    "replace",
    "xxxx",
    "****",
    "....",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "%(",
    "$(",
)
_REPEATED = re.compile(r"(.)\1{5,}")
_SEQUENCES = ("0123456789", "123456789", "abcdefghij", "abcdefgh", "qwertyuiop", "asdfghjkl")


def shannon_entropy(text: str) -> float:
    """Bits per character of the text's own character distribution."""
    if not text:
        return 0.0
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def placeholder_reason(secret: str) -> str | None:
    """Why the value is a placeholder and not a credential, or None when it may be real."""
    lowered = secret.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"contains {word!r}"
    if _REPEATED.search(secret):
        return "a character repeated six times or more"
    for run in _SEQUENCES:
        if run in lowered:
            return f"contains the sequence {run!r}"
    return None
