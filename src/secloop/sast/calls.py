"""Calls whose callee is not named where it is called: a project function handed to a higher-order
call with fixed semantics (`map(f, xs)`, `executor.submit(f, x)`, `threading.Thread(target=f, ...)`,
...), and the class of the object a project factory function returns. Only these fixed shapes: an
arbitrary callable taking a function is not guessed at."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from secloop.sast.project import FunctionNode, Module, Project, method_kind
from secloop.sast.sinks import dotted

Owner = tuple[Module, ast.ClassDef]
THREAD_PARAMS = ("group", "target", "name", "args", "kwargs")


@dataclass(frozen=True, slots=True)
class Indirect:
    """The call of `func` a higher-order call makes, with the call site's arguments and line."""

    func: ast.expr
    call: ast.Call
    shape: str  # how a finding's path names the call site: "map", "executor.submit"
    returns: bool  # whether the higher-order call gives back what `func` returns (not `filter`)


def canonical(node: ast.expr, module: Module) -> str:
    """A callee's dotted name with the module's imports expanded; "" for the project's own names."""
    name = dotted(node)
    head, _, rest = name.partition(".")
    if not head or head in module.defs or head in module.classes:
        return ""
    if head in module.aliases:
        target, attr = module.aliases[head]
        return ".".join(part for part in (target, attr, rest) if part)
    return name


def _made(like: ast.Call, func: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call:
    return ast.copy_location(ast.Call(func=func, args=args, keywords=keywords), like)


def _unpacked(args: ast.expr | None, kwargs: ast.expr | None) -> tuple[list[ast.expr], list[ast.keyword]]:
    """`args=(x, y)` and `kwargs={"k": v}` given as literals: the arguments they stand for."""
    positional = list(args.elts) if isinstance(args, ast.Tuple | ast.List) else []
    keywords = []
    if isinstance(kwargs, ast.Dict):
        for key, value in zip(kwargs.keys, kwargs.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                keywords.append(ast.keyword(arg=key.value, value=value))
    return positional, keywords


def indirect_call(call: ast.Call, module: Module) -> Indirect | None:
    """The function call a higher-order call of a fixed shape makes, if it is one."""
    func = call.func
    if isinstance(func, ast.Call):  # functools.partial(f, x)(y)
        if canonical(func.func, module) != "functools.partial" or not func.args:
            return None
        args, keywords = [*func.args[1:], *call.args], [*func.keywords, *call.keywords]
        return Indirect(func.args[0], _made(call, func.args[0], args, keywords), "functools.partial", True)
    name = canonical(func, module)
    if name in {"map", "filter"} and len(call.args) >= 2 and not call.keywords:
        iterables = call.args[1:] if name == "map" else call.args[1:2]  # each element is one argument
        return Indirect(call.args[0], _made(call, call.args[0], iterables, []), name, name == "map")
    if name == "threading.Thread":
        given = dict(zip(THREAD_PARAMS, call.args, strict=False))
        given.update((kw.arg, kw.value) for kw in call.keywords if kw.arg in THREAD_PARAMS)
        target = given.get("target")
        if target is None:
            return None
        args, keywords = _unpacked(given.get("args"), given.get("kwargs"))
        return Indirect(target, _made(call, target, args, keywords), name, False)
    attr = func.attr if isinstance(func, ast.Attribute) else ""
    if attr in {"submit", "run_in_executor"} and any(isinstance(n, ast.Call) for n in ast.walk(func)):
        name = attr  # `asyncio.get_running_loop().run_in_executor`: named by the method alone
    if (name == "asyncio.to_thread" or attr == "submit") and call.args:  # executor.submit(f, x)
        return Indirect(call.args[0], _made(call, call.args[0], call.args[1:], call.keywords), name, True)
    if attr == "run_in_executor" and len(call.args) >= 2 and not call.keywords:
        return Indirect(call.args[1], _made(call, call.args[1], call.args[2:], []), name, True)
    return None


def _own_nodes(func: FunctionNode) -> list[ast.AST]:
    """The nodes of a function's body, without those of nested functions, classes and lambdas."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(func.body)
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                todo.append(child)
    return out


def returned_constructors(func: FunctionNode) -> list[ast.expr] | None:
    """What each `return` of a factory calls to build its value (`Service` in `return Service(...)`,
    or in `svc = Service(...)` ... `return svc` when that is the local's only binding); None when a
    return gives anything else back, or the function is a generator."""
    nodes = _own_nodes(func)
    if any(isinstance(node, ast.Yield | ast.YieldFrom) for node in nodes):
        return None
    params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
    built: dict[str, list[ast.expr]] = {}
    stores: dict[str, int] = {}
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            stores[node.id] = stores.get(node.id, 0) + 1
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(target, ast.Name) and isinstance(value, ast.Call):
            built.setdefault(target.id, []).append(value.func)
    out: list[ast.expr] = []
    for node in nodes:
        if not isinstance(node, ast.Return):
            continue
        value = node.value
        if isinstance(value, ast.Call):
            out.append(value.func)
        elif (
            isinstance(value, ast.Name)
            and value.id not in params
            and value.id in built
            and len(built[value.id]) == stores.get(value.id, 0)
        ):
            out.extend(built[value.id])
        else:
            return None
    return out or None


def returned_class(project: Project, module: Module, func: FunctionNode) -> Owner | None:
    """The project class every `return` of a factory function or method gives an instance of."""
    callees = returned_constructors(func)
    if callees is None:
        return None
    owner = module.owners.get(id(func))
    params = [*func.args.posonlyargs, *func.args.args]
    this_class = params[0].arg if owner is not None and params and method_kind(func) == "class" else ""
    found: Owner | None = None
    for callee in callees:
        if isinstance(callee, ast.Name) and callee.id == this_class and owner is not None:
            cls: Owner | None = (module, owner)  # `return cls(...)` in a classmethod
        else:
            cls = project.resolve_class(module, callee)
        if cls is None or (found is not None and found[1] is not cls[1]):
            return None
        found = cls
    return found


class Factories:
    """What project factories return, read once per scan, with the files each lookup looked into."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.done: dict[tuple[str, int], tuple[Owner | None, set[str]]] = {}

    def returned(self, module: Module, func: FunctionNode) -> Owner | None:
        key = (module.src.path, func.lineno)
        if key not in self.done:
            touched = {module.src.path}  # its returns: its own code
            self.project.recorders.append(touched)
            found = returned_class(self.project, module, func)
            self.project.recorders.pop()
            self.done[key] = (found, touched)
        found, touched = self.done[key]
        for recorder in self.project.recorders:  # whoever reuses it depends on what it looked into
            recorder |= touched
        return found
