"""The values taint analysis passes around: what is tainted, where it lands, and what a project
function or method does with its parameters and its instance's attributes."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field

from secloop.sast.project import FunctionNode, Module
from secloop.sast.rules import FAMILIES

ALL = frozenset(FAMILIES)
PARAM = -1  # the origin of a helper parameter's (or attribute's) taint while its summary is computed


@dataclass(frozen=True, slots=True)
class Taint:
    families: frozenset[str]
    origin: int  # line of the source

    def without(self, families: frozenset[str]) -> Taint | None:
        left = self.families - families
        return Taint(left, self.origin) if left else None


def merge(a: Taint | None, b: Taint | None) -> Taint | None:
    if a is None or b is None:
        return a or b
    return Taint(a.families | b.families, min(a.origin, b.origin))


def join(a: Taint | None, b: Taint) -> Taint:
    return b if a is None else Taint(a.families | b.families, min(a.origin, b.origin))


# names, and `name.attr` for an attribute of a local object (`self.cmd`, `job.cmd`), to their taint
Env = dict[str, Taint]


@dataclass(frozen=True, slots=True)
class Hit:
    family: str
    path: str  # the file of the sink (a helper's file when the taint went through calls)
    line: int
    column: int
    sink: str
    origin: int
    via: str = ""  # the calls from the handler to the sink: "find() line 17"


@dataclass(frozen=True, slots=True)
class Part:
    """What a function does with one tainted input (a parameter, an attribute of `self`, or nothing
    but the request data it reads itself), computed once per scan and input."""

    sinks: tuple[Hit, ...] = ()  # the sinks the input reaches (origin PARAM)
    returns: frozenset[str] = frozenset()  # the families of it that reach the return value
    stores: Mapping[str, frozenset[str]] = field(default_factory=dict)  # self.<attr> it is stored in


EMPTY = Part()


@dataclass(frozen=True, slots=True)
class Callee:
    """A project function a call reaches: a plain function, a method, or a class's `__init__`."""

    module: Module
    func: FunctionNode
    label: str  # how a finding's path names it: "find", "Service.run", "Runner"
    skip: int = 0  # leading parameters the call binds itself (`self`, `cls`)
    receiver: ast.expr | None = None  # the object a method is called on: `job` in `job.go()`
