"""The version-ordering seam: one module per scheme, each turning a version string into a sortable key."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol


class Key(Protocol):
    """A totally ordered version key; keys are only compared within one scheme."""

    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...
    def __gt__(self, other: Any, /) -> bool: ...
    def __ge__(self, other: Any, /) -> bool: ...


class VersionScheme(ABC):
    #: shown in reasons, e.g. "PEP 440"
    name: str

    @abstractmethod
    def key(self, text: str) -> Key | None:
        """The sortable key of ``text``, or None when it is not a version of this scheme."""

    @abstractmethod
    def is_prerelease(self, text: str) -> bool:
        """Whether ``text`` (a valid version) is a pre-release, which upgrades avoid proposing."""
