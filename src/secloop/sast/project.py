"""The project's Python modules by dotted name, and which function a call names: the index that lets
taint follow request data into helper functions of the same module and of sibling modules."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from secloop.core.fingerprint import keyed_fingerprint
from secloop.sast.sinks import dotted
from secloop.sast.source import PySource

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Loader = Callable[[str], PySource | None]


def module_names(path: str) -> list[str]:
    """`src/app/db.py` -> ["src.app.db", "app.db"]; a package's `__init__.py` names the package."""
    parts = path.removesuffix(".pyw").removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = [".".join(parts)] if parts else []
    if len(parts) > 1 and parts[0] in {"src", "lib", "app_src"}:
        names.append(".".join(parts[1:]))
    return names


@dataclass
class Module:
    src: PySource
    name: str
    is_package: bool
    imports: frozenset[str] = frozenset()  # top-level names of imported modules: {"flask", "ldap3"}
    defs: dict[str, FunctionNode] = field(default_factory=dict)  # top-level functions
    # local name -> (module, attribute): `from .db import find` -> ("app.db", "find");
    # `import x.y as z` -> ("x.y", "")
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)

    def absolute(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        base = package[: len(package) - (level - 1)] if level > 1 else package
        return ".".join([*base, *([module] if module else [])])


def imported_names(module: Module) -> list[str]:
    """Module names its imports may refer to: `from .db import find` -> app.db, app.db.find."""
    names = {target for target, _ in module.aliases.values()}
    names |= {f"{target}.{attr}" for target, attr in module.aliases.values() if attr}
    return sorted(names)


def names_digest(module: Module) -> str:
    """What name lookups in a module depend on: its top-level functions and imported names."""
    parts = sorted(module.defs) + sorted(f"{k}={t}:{a}" for k, (t, a) in module.aliases.items())
    return keyed_fingerprint("names", *parts)


def index_module(src: PySource) -> Module:
    names = module_names(src.path)
    module = Module(src, names[-1] if names else src.path, src.path.endswith("__init__.py"))
    imports: set[str] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imports.add(alias.name.split(".")[0])
                local = alias.asname or alias.name.split(".")[0]
                module.aliases[local] = (alias.name if alias.asname else local, "")
        elif isinstance(node, ast.ImportFrom):
            base = module.absolute(node.module, node.level)
            if node.module and node.level == 0:
                imports.add(node.module.split(".")[0])
            for alias in node.names:
                module.aliases[alias.asname or alias.name] = (base, alias.name)
    module.imports = frozenset(imports)
    for stmt in src.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            module.defs[stmt.name] = stmt
    return module


class Project:
    """The project's module names (from paths, no parsing) and, parsed on first use, its modules."""

    def __init__(
        self, sources: Iterable[PySource] = (), *, paths: Iterable[str] = (), load: Loader | None = None
    ):
        given = {src.path: src for src in sources}
        self.load: Loader = load if load is not None else given.get
        self.paths = tuple(dict.fromkeys([*given, *paths]))
        self.by_name: dict[str, str] = {}
        for path in self.paths:
            for name in module_names(path):
                self.by_name.setdefault(name, path)
        self._modules: dict[str, Module | None] = {}
        # sets that record what an analysis looked into (its cache dependencies): "path" for a file
        # whose function it followed, "path#names" for one where it only looked a name up
        self.recorders: list[set[str]] = []

    def record(self, dependency: str) -> None:
        for recorder in self.recorders:
            recorder.add(dependency)

    def module_at(self, path: str) -> Module | None:
        if path not in self._modules:
            src = self.load(path)
            self._modules[path] = index_module(src) if src is not None else None
        return self._modules[path]

    def resolve_names(self, names: Iterable[str]) -> list[str]:
        """The project files that module names (a module's imports) name."""
        return sorted({self.by_name[name] for name in names if name in self.by_name})

    def _function(self, module_name: str, attr: str, depth: int = 0) -> tuple[Module, FunctionNode] | None:
        path = self.by_name.get(module_name)
        target = self.module_at(path) if path is not None else None
        if target is None or depth > 3:
            return None
        if attr in target.defs:
            self.record(target.src.path)
            return target, target.defs[attr]
        self.record(f"{target.src.path}#names")  # what it defines and re-exports decides, not its code
        if attr in target.aliases:  # re-exported: `from .db import find` in a package __init__
            sub_module, sub_attr = target.aliases[attr]
            return self._function(sub_module, sub_attr or attr, depth + 1) if sub_attr else None
        return None

    def resolve(self, module: Module, func: ast.expr) -> tuple[Module, FunctionNode] | None:
        """The project function a call's callee names, if it is one."""
        if isinstance(func, ast.Name):
            if func.id in module.defs:
                return module, module.defs[func.id]
            if func.id in module.aliases:
                target, attr = module.aliases[func.id]
                return self._function(target, attr) if attr else None
            return None
        if isinstance(func, ast.Attribute):
            base = dotted(func.value)
            if not base or isinstance(func.value, ast.Call):
                return None
            head = base.split(".")[0]
            if head in module.aliases:
                target, attr = module.aliases[head]
                qualified = ".".join([target, *([attr] if attr else []), *base.split(".")[1:]])
                return self._function(qualified, func.attr)
        return None
