"""Maven ordering (ComparableVersion): items split on '.', '-' and digit/letter transitions, with
qualifiers ranked alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp and
any other qualifier after those, alphabetically. Trailing "null" items (0, "", ga…) do not count, so
1 = 1.0 = 1-ga = 1.0.0.
"""

from __future__ import annotations

from functools import lru_cache, total_ordering
from typing import Any

from secloop.deps.versions.interface import Key, VersionScheme

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE = str(_QUALIFIERS.index(""))
_PRERELEASE = frozenset({"alpha", "beta", "milestone", "rc", "snapshot"})

# An item is an int, a str (a qualifier already made comparable) or a list (a '-' sublist).
Item = Any


def _qualifier(text: str, followed_by_digit: bool) -> str:
    if followed_by_digit and len(text) == 1:
        text = {"a": "alpha", "b": "beta", "m": "milestone"}.get(text, text)
    text = _ALIASES.get(text, text)
    return str(_QUALIFIERS.index(text)) if text in _QUALIFIERS else f"{len(_QUALIFIERS)}-{text}"


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return item == _RELEASE
    return not item


def _normalize(items: list[Item]) -> None:
    for index in range(len(items) - 1, -1, -1):
        if _is_null(items[index]):
            del items[index]
        elif not isinstance(items[index], list):
            break


def _parse(text: str) -> list[Item]:
    root: list[Item] = []
    current = root
    stack = [root]
    is_digit = False
    start = 0

    def item(digit: bool, part: str, followed_by_digit: bool = False) -> Item:
        return int(part) if digit else _qualifier(part, followed_by_digit)

    def sublist() -> None:
        nonlocal current
        new: list[Item] = []
        current.append(new)
        current = new
        stack.append(new)

    for i, char in enumerate(text):
        if char == ".":
            current.append(0 if i == start else item(is_digit, text[start:i]))
            start = i + 1
        elif char == "-":
            current.append(0 if i == start else item(is_digit, text[start:i]))
            start = i + 1
            sublist()
        elif char.isdigit():
            if not is_digit and i > start:
                current.append(item(False, text[start:i], followed_by_digit=True))
                start = i
                sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(item(True, text[start:i]))
                start = i
                sublist()
            is_digit = False
    if len(text) > start:
        current.append(item(is_digit, text[start:]))
    for items in reversed(stack):
        _normalize(items)
    return root


def _compare(left: Item, right: Item) -> int:
    """ComparableVersion's item comparison; `right` None stands for a missing item."""
    if right is None:
        if isinstance(left, int):
            return 0 if left == 0 else 1
        if isinstance(left, str):
            return (left > _RELEASE) - (left < _RELEASE)
        return 0 if not left else _compare(left[0], None)
    if isinstance(left, int):
        if isinstance(right, int):
            return (left > right) - (left < right)
        return 1
    if isinstance(left, str):
        if not isinstance(right, str):
            return -1
        return (left > right) - (left < right)
    if isinstance(right, int):
        return -1
    if isinstance(right, str):
        return 1
    for index in range(max(len(left), len(right))):
        a = left[index] if index < len(left) else None
        b = right[index] if index < len(right) else None
        result = -_compare(b, None) if a is None else _compare(a, b)
        if result:
            return result
    return 0


@total_ordering
class MavenKey:
    __slots__ = ("items",)

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenKey) and _compare(self.items, other.items) == 0

    def __lt__(self, other: MavenKey) -> bool:
        return _compare(self.items, other.items) < 0

    def __hash__(self) -> int:
        return hash(repr(self.items))


@lru_cache(maxsize=65536)
def parse(text: str) -> MavenKey | None:
    text = text.strip().lower()
    if not text or not text[0].isalnum() or any(c.isspace() for c in text):
        return None
    return MavenKey(_parse(text))


class Maven(VersionScheme):
    name = "Maven"

    def key(self, text: str) -> Key | None:
        return parse(text)

    def is_prerelease(self, text: str) -> bool:
        items = _parse(text.strip().lower())
        stack = list(items)
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and item.isdigit() and _QUALIFIERS[int(item)] in _PRERELEASE:
                return True
        return False


SCHEME = Maven()
