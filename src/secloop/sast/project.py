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
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)  # top-level classes
    owners: dict[int, ast.ClassDef] = field(default_factory=dict)  # id(method node) -> its class
    # local name -> (module, attribute): `from .db import find` -> ("app.db", "find");
    # `import x.y as z` -> ("x.y", "")
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)

    def absolute(self, module: str | None, level: int) -> str:
        if level == 0:
            return module or ""
        package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        base = package[: len(package) - (level - 1)] if level > 1 else package
        return ".".join([*base, *([module] if module else [])])


Found = tuple[Module, FunctionNode | ast.ClassDef]


def imported_names(module: Module) -> list[str]:
    """Module names its imports may refer to: `from .db import find` -> app.db, app.db.find."""
    names = {target for target, _ in module.aliases.values()}
    names |= {f"{target}.{attr}" for target, attr in module.aliases.values() if attr}
    return sorted(names)


def names_digest(module: Module) -> str:
    """What name lookups in a module depend on: its top-level functions and imported names."""
    parts = sorted(module.defs) + sorted(f"class {name}" for name in module.classes)
    parts += sorted(f"{k}={t}:{a}" for k, (t, a) in module.aliases.items())
    return keyed_fingerprint("names", *parts)


def class_digests(module: Module) -> tuple[tuple[str, str], ...]:
    """What a lookup of a class depends on: its own code (decorators, bases, body), not its place."""
    lines = module.src.lines
    out = []
    for name, cls in sorted(module.classes.items()):
        start = min([cls.lineno, *(d.lineno for d in cls.decorator_list)])
        out.append((name, keyed_fingerprint("class", *lines[start - 1 : cls.end_lineno or cls.lineno])))
    return tuple(out)


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
        elif isinstance(stmt, ast.ClassDef):
            module.classes[stmt.name] = stmt
            for item in stmt.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.owners[id(item)] = stmt
    return module


def method_kind(func: FunctionNode) -> str:
    """What a method's first parameter is bound to: nothing ("static"), the class or the instance."""
    for deco in func.decorator_list:
        name = dotted(deco)
        if name in {"staticmethod", "classmethod"}:
            return name.removesuffix("method")
    return "method"


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

    def _lookup(self, module_name: str, attr: str, depth: int = 0) -> Found | None:
        path = self.by_name.get(module_name)
        target = self.module_at(path) if path is not None else None
        if target is None or depth > 3:
            return None
        if attr in target.defs:
            self.record(target.src.path)
            return target, target.defs[attr]
        if attr in target.classes:  # its methods' summaries record their file when followed
            self.record(f"{target.src.path}#class:{attr}")
            return target, target.classes[attr]
        self.record(f"{target.src.path}#names")  # what it defines and re-exports decides, not its code
        if attr in target.aliases:  # re-exported: `from .db import find` in a package __init__
            sub_module, sub_attr = target.aliases[attr]
            return self._lookup(sub_module, sub_attr or attr, depth + 1) if sub_attr else None
        return None

    def _named(self, module: Module, node: ast.expr) -> Found | None:
        """The project function or class a name or dotted module attribute refers to."""
        if isinstance(node, ast.Name):
            found = module.defs.get(node.id) or module.classes.get(node.id)
            if found is not None:
                return module, found
            if node.id in module.aliases:
                target, attr = module.aliases[node.id]
                return self._lookup(target, attr) if attr else None
            return None
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            if not base or isinstance(node.value, ast.Call):
                return None
            head = base.split(".")[0]
            if head in module.aliases:
                target, attr = module.aliases[head]
                qualified = ".".join([target, *([attr] if attr else []), *base.split(".")[1:]])
                return self._lookup(qualified, node.attr)
        return None

    def resolve(self, module: Module, func: ast.expr) -> tuple[Module, FunctionNode] | None:
        """The project function a call's callee names, if it is one."""
        found = self._named(module, func)
        if found is None or isinstance(found[1], ast.ClassDef):
            return None
        return found[0], found[1]

    def resolve_class(self, module: Module, node: ast.expr) -> tuple[Module, ast.ClassDef] | None:
        """The project class a name or dotted module attribute refers to, if it is one."""
        found = self._named(module, node)
        if found is None or not isinstance(found[1], ast.ClassDef):
            return None
        return found[0], found[1]

    def method(
        self, module: Module, cls: ast.ClassDef, name: str, depth: int = 0
    ) -> tuple[Module, FunctionNode] | None:
        """A class's method by name, its own or inherited from a project base class."""
        self.record(f"{module.src.path}#class:{cls.name}")  # a base class in the same module too
        for item in cls.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == name:
                return module, item
        if depth > 3:
            return None
        for base in cls.bases:
            found = self.resolve_class(module, base)
            if found is not None and found[1] is not cls:
                method = self.method(*found, name, depth + 1)
                if method is not None:
                    return method
        return None
