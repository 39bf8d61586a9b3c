"""Problems in a threat-model file: each names file:line:col, what was expected and a hint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secloop.core.errors import InputError, Place
from secloop.core.model import Skipped


@dataclass(frozen=True, slots=True)
class Problem:
    place: Place
    message: str
    expected: str | None = None
    hint: str | None = None

    def render(self) -> str:
        text = f"{self.place}: {self.message}"
        if self.expected:
            text += f"\n  expected: {self.expected}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[int, int, str]:
        return (self.place.line or 0, self.place.column or 0, self.message)


class ModelError(InputError):
    """A threat-model file is malformed (exit 2); carries every problem found, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        ordered = tuple(sorted(problems, key=Problem.sort_key))
        first = ordered[0]
        super().__init__(first.message, place=first.place, hint=first.hint)
        self.problems = ordered

    def render(self) -> str:
        count = len(self.problems)
        head = f"error: the threat model has {count} problem{'s' if count != 1 else ''}"
        return head + "\n" + "\n".join(p.render() for p in self.problems)

    def skipped(self) -> Skipped:
        """The first problem as a `Skipped`, for the practices that meet the model while assessing."""
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        expected = f"; expected {first.expected}" if first.expected else ""
        return Skipped(
            first.place.path,
            f"malformed threat model: {first.message}{expected}{more}",
            first.place.line,
            first.place.column,
        )
