"""secloop's own intra-procedural taint checks for Flask, Django and FastAPI code.

Sources: request attributes (`request.args/form/json/values/cookies/headers/data/files`, Django
`request.GET/POST/COOKIES/META/body`, Starlette `query_params/path_params`, `get_json()`), Flask and
FastAPI route-handler parameters (unless typed or converted to int/float/bool/UUID/date) and, in
Django modules, the URL parameters of function views. Taint is a set of sink families still open; it
flows through assignments, string building and calls, and into the project's own functions through
their summaries (which parameters reach which sinks or the return value), across modules.

Sanitizers, kept simple on purpose:
- `int/float/bool/len/UUID(...)`, `url_for`, `render_template`, `jsonify` and the project's own
  functions named `safe_*`, `sanitize_*`, `validate_*` or `clean_*`: the result is clean;
- family-specific: `shlex.quote` (command), `os.path.basename`/`secure_filename`/`safe_join` (path),
  `escape`/`html.escape`/`bleach.clean` (XSS), `urllib.parse.quote`/`urlencode` (SSRF, redirect);
- a fixed `scheme://host/` prefix or a leading `url_for(...)`/`reverse(...)` clears SSRF and redirect;
  a fixed `/path` prefix clears redirect;
- checks: `if x in ALLOWED`, `x.isdigit()`, `re.fullmatch(...)`, `url_has_allowed_host_and_scheme`,
  `urlparse(x).hostname in ALLOWED`, `.startswith(...)` clear every family of the names they test,
  inside the branch where the check held — and after an `if not <check>: return/raise/abort(...)`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from secloop.core.model import Finding, Location
from secloop.sast.flow import (
    CLEAN_CALLS,
    PROJECT_SANITIZER,
    ROUTE_METHODS,
    SAFE_TYPES,
    SANITIZERS,
    TRUST_CALLS,
    TRUST_STORES,
    catches,
    checked,
    is_source,
    prefix_clears,
    terminates,
)
from secloop.sast.project import FunctionNode, Module, Project
from secloop.sast.rules import FAMILIES, TAINT_RULES
from secloop.sast.sinks import CONVERSIONS, arg, dotted, sinks
from secloop.sast.source import PySource

ALL = frozenset(FAMILIES)
PARAM = -1  # the origin of a helper parameter's taint while its summary is computed


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
class Summary:
    """What a project function does with each parameter, computed once per scan."""

    sinks: tuple[tuple[Hit, ...], ...]  # per parameter: the sinks it reaches (origin PARAM)
    returns: tuple[frozenset[str], ...]  # per parameter: the families that reach the return value
    own: frozenset[str]  # families of request data the function reads itself and returns


Env = dict[str, Taint]


def _frameworks(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in {"flask", "django", "fastapi", "starlette"}:
                found.add("fastapi" if top == "starlette" else top)
    return found


class FunctionScan:
    def __init__(self, module: Module, summaries: Summaries, flask_handler: bool = False) -> None:
        self.module = module
        self.summaries = summaries
        self.flask_handler = flask_handler
        self.hits: list[Hit] = []
        self.returns: Taint | None = None
        self.guarded = 0  # inside a try whose handler catches ValueError (or a broader class)

    # -- expressions -------------------------------------------------------------------------------

    def taint(self, node: ast.expr | None, env: Env) -> Taint | None:
        if node is None:
            return None
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            return env.get(node.id)
        if isinstance(node, ast.Constant | ast.Lambda | ast.Compare):
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return None
        if isinstance(node, ast.Attribute):
            return Taint(ALL, line) if is_source(node) else self.taint(node.value, env)
        if isinstance(node, ast.Call):
            return self._call_taint(node, env)
        if isinstance(node, ast.IfExp):
            body = self.taint(node.body, self.taint_env(node.test, env, True))
            return merge(body, self.taint(node.orelse, self.taint_env(node.test, env, False)))
        result: Taint | None = None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                result = merge(result, self.taint(child, env))
            elif isinstance(child, ast.comprehension):  # [f(x) for x in tainted] is tainted
                result = merge(result, self.taint(child.iter, env))
        if result is not None and isinstance(node, ast.JoinedStr | ast.BinOp):
            result = result.without(prefix_clears(node))
        return result

    def _call_taint(self, node: ast.Call, env: Env) -> Taint | None:
        name = dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Attribute) and is_source(node.func):
            return Taint(ALL, node.lineno)
        if (
            name in CLEAN_CALLS
            or last in {"url_for", "render_template", "jsonify"}
            or PROJECT_SANITIZER.match(last)
        ):
            return None
        if any(family in {"SQL", "SSRF"} for family, _ in sinks(node, self.module.imports)):
            return None  # rows and remote responses are not request data (stored taint is not tracked)
        called = self.summaries.of(self.module, node.func)
        if called is not None:
            func, summary = called
            result = Taint(summary.own, node.lineno) if summary.own else None
            for index, taint in self._bound(func, node, env):
                families = taint.families & summary.returns[index]
                result = merge(result, Taint(families, taint.origin) if families else None)
            return result
        result = None
        if isinstance(node.func, ast.Attribute):
            result = self.taint(node.func.value, env)
        for value in [*node.args, *(k.value for k in node.keywords)]:
            result = merge(result, self.taint(value, env))
        cleared = SANITIZERS.get(name) or SANITIZERS.get(last if last != "quote" else name)
        if result is not None and cleared:
            result = result.without(cleared)
        return result

    # -- sinks -------------------------------------------------------------------------------------

    def check(self, node: ast.AST | None, env: Env) -> None:
        if node is None:
            return
        if isinstance(node, ast.IfExp):  # `int(v) if v.isdigit() else 0`: the check holds in the body
            self.check(node.test, env)
            self.check(node.body, self.taint_env(node.test, env, True))
            self.check(node.orelse, self.taint_env(node.test, env, False))
            return
        if isinstance(node, ast.Call):
            self._check_call(node, env)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                self.check(child, env)

    @staticmethod
    def taint_env(test: ast.expr, env: Env, held: bool) -> Env:
        """The environment where `test` is (held) or is not true: checked names are clean."""
        names, negated = checked(test, env)
        if not names or negated == held:
            return env
        return {k: v for k, v in env.items() if k not in names}

    def _hit(self, family: str, node: ast.AST, sink: str, taint: Taint | None) -> None:
        if taint is not None and family in taint.families:
            line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1
            self.hits.append(Hit(family, self.module.src.path, line, col, sink, taint.origin))

    def _check_call(self, call: ast.Call, env: Env) -> None:
        name = dotted(call.func)
        for family, value in sinks(call, self.module.imports):
            self._hit(family, call, name, self.taint(value, env))
        if name in CONVERSIONS and not self.guarded:
            self._hit("VALIDATION", call, name, self.taint(arg(call, 0), env))
        store = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else ""
        if store in TRUST_STORES and name.rsplit(".", 1)[-1] in TRUST_CALLS:
            index = TRUST_CALLS[name.rsplit(".", 1)[-1]]
            values = [arg(call, index), *(k.value for k in call.keywords if k.arg is None or index == 0)]
            taint = None
            for value in values:
                taint = merge(taint, self.taint(value, env))
            self._hit("TRUST", call, name, taint)
        elif name == "setattr" and len(call.args) == 3 and dotted(call.args[0]) in TRUST_STORES:
            self._hit("TRUST", call, name, self.taint(call.args[2], env))
        called = self.summaries.of(self.module, call.func)
        if called is None:
            return
        func, summary = called
        for index, taint in self._bound(func, call, env):
            for hit in summary.sinks[index]:
                if hit.family == "VALIDATION" and self.guarded:
                    continue  # the caller handles what the helper raises
                if hit.family in taint.families:
                    via = f"{func.name}() line {call.lineno}" + (f", {hit.via}" if hit.via else "")
                    self.hits.append(replace(hit, origin=taint.origin, via=via))

    def _bound(self, func: FunctionNode, call: ast.Call, env: Env) -> Iterator[tuple[int, Taint]]:
        """(parameter index, taint) of the tainted arguments of a call to a project function."""
        params = [p.arg for p in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]]
        for index, value in enumerate(call.args):
            if (
                index < len(params)
                and not isinstance(value, ast.Starred)
                and (taint := self.taint(value, env)) is not None
            ):
                yield index, taint
        for kw in call.keywords:
            if kw.arg in params and (taint := self.taint(kw.value, env)) is not None:
                yield params.index(kw.arg), taint

    def _trust_target(self, target: ast.expr, taint: Taint | None) -> None:
        if isinstance(target, ast.Subscript | ast.Attribute) and dotted(target.value) in TRUST_STORES:
            self._hit("TRUST", target, dotted(target.value), taint)

    # -- statements --------------------------------------------------------------------------------

    def bind(self, target: ast.expr, taint: Taint | None, env: Env) -> None:
        if isinstance(target, ast.Name):
            if taint is None:
                env.pop(target.id, None)
            else:
                env[target.id] = taint
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.bind(elt.value if isinstance(elt, ast.Starred) else elt, taint, env)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and taint:
            env[target.value.id] = merge(env.get(target.value.id), taint) or taint

    def block(self, stmts: Sequence[ast.stmt], env: Env) -> Env:
        for stmt in stmts:
            env = self.stmt(stmt, env)
        return env

    def stmt(self, node: ast.stmt, env: Env) -> Env:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return env
        if isinstance(node, ast.Assign):
            self.check(node.value, env)
            taint = self.taint(node.value, env)
            for target in node.targets:
                self._trust_target(target, taint)
                self.bind(target, taint, env)
        elif isinstance(node, ast.AnnAssign):
            self.check(node.value, env)
            if node.value is not None:
                self.bind(node.target, self.taint(node.value, env), env)
        elif isinstance(node, ast.AugAssign):
            self.check(node.value, env)
            if isinstance(node.target, ast.Name):
                joined = merge(env.get(node.target.id), self.taint(node.value, env))
                self.bind(node.target, joined, env)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.check(node.iter, env)
            self.bind(node.target, self.taint(node.iter, env), env)
            env = _union(self.block(node.body, dict(env)), self.block(node.orelse, dict(env)))
        elif isinstance(node, ast.While):
            self.check(node.test, env)
            env = _union(env, self.block(node.body, dict(env)))
        elif isinstance(node, ast.If):
            return self._if(node, env)
        elif isinstance(node, ast.With | ast.AsyncWith):
            guard = 0
            for item in node.items:
                self.check(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.taint(item.context_expr, env), env)
                context = item.context_expr
                if isinstance(context, ast.Call) and dotted(context.func).endswith("suppress"):
                    guard = int(any(catches(a) for a in context.args))
            self.guarded += guard
            env = self.block(node.body, env)
            self.guarded -= guard
        elif isinstance(node, ast.Try):
            guard = int(any(catches(h.type) for h in node.handlers))
            self.guarded += guard
            env = self.block(node.body, env)
            self.guarded -= guard
            for handler in node.handlers:
                env = _union(env, self.block(handler.body, dict(env)))
            env = self.block(node.finalbody, self.block(node.orelse, env))
        elif isinstance(node, ast.Match):
            self.check(node.subject, env)
            env = _union(env, *(self.block(case.body, dict(env)) for case in node.cases))
        elif isinstance(node, ast.Return):
            self.check(node.value, env)
            self.returns = merge(self.returns, self.taint(node.value, env))
            self._flask_return(node, env)
        else:
            self.check(node, env)
        return env

    def _flask_return(self, node: ast.Return, env: Env) -> None:
        value = node.value
        if not self.flask_handler or value is None:
            return
        if isinstance(value, ast.Tuple) and value.elts:
            value = value.elts[0]
        formatted = isinstance(value, ast.Call) and dotted(value.func).endswith("format")
        if isinstance(value, ast.Dict | ast.List | ast.Call | ast.Constant) and not formatted:
            return
        taint = self.taint(value, env)
        if taint is not None and "XSS" in taint.families:
            self._hit("XSS", node, "return", taint)

    def _if(self, node: ast.If, env: Env) -> Env:
        self.check(node.test, env)
        names, negated = checked(node.test, env)
        body_env, else_env = dict(env), dict(env)
        for name in names:
            (else_env if negated else body_env).pop(name, None)
        body_out = self.block(node.body, body_env)
        else_out = self.block(node.orelse, else_env)
        if terminates(node.body):
            return else_out
        if node.orelse and terminates(node.orelse):
            return body_out
        return _union(body_out, else_out)


def _union(first: Env, *others: Env) -> Env:
    out = dict(first)
    for other in others:
        for name, taint in other.items():
            out[name] = merge(out.get(name), taint) or taint
    return out


def _handler_env(func: ast.FunctionDef | ast.AsyncFunctionDef, frameworks: set[str]) -> tuple[Env, bool]:
    """Tainted parameters of a route handler, and whether it is a Flask handler (returns are HTML)."""
    env: Env = {}
    route = None
    for deco in func.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr in ROUTE_METHODS
        ):
            route = deco
    params = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    if params and params[0].arg in {"self", "cls"}:
        params = params[1:]
    defaults = dict(
        zip(
            [a.arg for a in [*func.args.posonlyargs, *func.args.args]][::-1],
            func.args.defaults[::-1],
            strict=False,
        )
    )
    defaults.update({a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True) if d})
    django_view = "django" in frameworks and bool(params) and params[0].arg == "request"
    if route is None and not django_view:
        return env, False
    typed: set[str] = set()
    if route is not None and route.args and isinstance(route.args[0], ast.Constant):
        path = str(route.args[0].value)
        typed = set(re.findall(r"<(?:int|float|uuid):(\w+)>", path))
    for param in params:
        annotation = dotted(param.annotation) if param.annotation is not None else ""
        default = defaults.get(param.arg)
        if (
            param.arg == "request"
            or param.arg in typed
            or annotation.rsplit(".", 1)[-1] in SAFE_TYPES
            or (isinstance(default, ast.Call) and dotted(default.func) in {"Depends", "Security"})
        ):
            continue
        env[param.arg] = Taint(ALL, param.lineno)
    flask = route is not None and "flask" in frameworks and "fastapi" not in frameworks
    return env, flask


class Summaries:
    """Function summaries of one scan's project, computed on first use and kept."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.done: dict[tuple[str, int], Summary] = {}
        self.deps: dict[tuple[str, int], set[str]] = {}  # the files each summary looked into
        self.active: set[tuple[str, int]] = set()

    def of(self, module: Module, func: ast.expr) -> tuple[FunctionNode, Summary] | None:
        found = self.project.resolve(module, func)
        return None if found is None else (found[1], self.summary(*found))

    def summary(self, module: Module, func: FunctionNode) -> Summary:
        key = (module.src.path, func.lineno)
        if key in self.done:
            for recorder in self.project.recorders:  # whoever reuses a summary depends on its files
                recorder |= self.deps[key]
            return self.done[key]
        params = [p.arg for p in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]]
        if key in self.active:  # recursion: the inner call adds nothing
            return Summary(tuple(() for _ in params), tuple(frozenset() for _ in params), frozenset())
        self.active.add(key)
        touched: set[str] = {module.src.path}  # its own code
        self.project.recorders.append(touched)
        reached: list[tuple[Hit, ...]] = []
        returns: list[frozenset[str]] = []
        for param in params:
            scan = FunctionScan(module, self)
            scan.block(func.body, {param: Taint(ALL, PARAM)})
            reached.append(tuple(hit for hit in scan.hits if hit.origin == PARAM))
            back = scan.returns
            returns.append(back.families if back is not None and back.origin == PARAM else frozenset())
        scan = FunctionScan(module, self)
        scan.block(func.body, {})
        own = scan.returns.families if scan.returns is not None else frozenset()
        self.active.discard(key)
        self.project.recorders.pop()  # the stack top is `touched`
        for recorder in self.project.recorders:
            recorder |= touched
        self.deps[key] = touched
        self.done[key] = Summary(tuple(reached), tuple(returns), own)
        return self.done[key]


def _finding(src: PySource, hit: Hit) -> Finding:
    rule = TAINT_RULES[hit.family]
    where = f"line {hit.origin}" + (f" of {src.path}" if hit.path != src.path else "")
    through = f" through {hit.via}" if hit.via else ""
    props = [("engine", "secloop-taint"), ("sink", hit.sink), ("source_line", str(hit.origin))]
    if hit.path != src.path:
        props.append(("source_path", src.path))
    if hit.via:
        props.append(("via", hit.via))
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=f"{rule.title}: `{hit.sink}` gets request data from {where}{through}",
        locations=(Location(hit.path, hit.line, hit.column),),
        fingerprint="",  # set by source.with_fingerprints
        properties=tuple(props),
        fix=rule.fix,
    )


def scan_taint(src: PySource, summaries: Summaries | None = None) -> tuple[list[Finding], bool]:
    """The taint findings of one file's handlers (their sinks may sit in helpers of other files), and
    whether it is Flask, Django or FastAPI code."""
    frameworks = _frameworks(src.tree)
    if not frameworks and "request" not in src.text:
        return [], False
    if summaries is None or summaries.project.module_at(src.path) is None:
        summaries = Summaries(Project([src]))
    module = summaries.project.module_at(src.path)
    if module is None:  # pragma: no cover - module_at(src.path) was just checked
        return [], bool(frameworks)
    best: dict[tuple[str, str, int, int], Hit] = {}
    for node in ast.walk(src.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            env, flask = _handler_env(node, frameworks)
            scan = FunctionScan(module, summaries, flask)
            scan.block(node.body, env)
            for hit in scan.hits:
                key = (hit.family, hit.path, hit.line, hit.column)
                if key not in best or (hit.origin, hit.via) < (best[key].origin, best[key].via):
                    best[key] = hit
    hits = sorted(best.values(), key=lambda h: (h.path != src.path, h.path, h.line, h.column, h.family))
    return [_finding(src, hit) for hit in hits], bool(frameworks)
