"""secloop's own intra-procedural taint checks for Flask, Django and FastAPI code.

Sources: request attributes (`request.args/form/json/values/cookies/headers/data/files`, Django
`request.GET/POST/COOKIES/META/body`, Starlette `query_params/path_params`, `get_json()`), Flask and
FastAPI route-handler parameters (unless typed or converted to int/float/bool/UUID/date) and, in
Django modules, the URL parameters of function views. Taint is a set of sink families still open; it
flows through assignments, string building and calls, and into the project's own functions through
their summaries (which parameters reach which sinks or the return value), across modules; into
methods (`self.helper(x)`, `svc.run(x)`, class and static methods) the same way, through objects
whose constructor stored request data in `self.<attr>` (attributes per local object, per function)
or that a project factory returns, and into functions handed to `map`, `executor.submit`,
`threading.Thread` and other higher-order calls of fixed shapes (calls.py).

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
from collections.abc import Iterator, Sequence
from dataclasses import replace

from secloop.core.model import Finding, Location
from secloop.sast.calls import Factories, Owner, indirect_call
from secloop.sast.flow import (
    CLEAN_CALLS,
    PROJECT_SANITIZER,
    SANITIZERS,
    TRUST_CALLS,
    TRUST_STORES,
    catches,
    checked,
    handler_env,
    is_source,
    prefix_clears,
    terminates,
    web_frameworks,
)
from secloop.sast.project import FunctionNode, Module, Project, method_kind
from secloop.sast.rules import TAINT_RULES
from secloop.sast.sinks import CONVERSIONS, arg, dotted, sinks
from secloop.sast.source import PySource
from secloop.sast.values import ALL, EMPTY, PARAM, Callee, Env, Hit, Part, Taint, join, merge

Bound = tuple[Callee | tuple[Owner, int] | None, dict[str, Taint], Callee | None]  # see _object
Which = int | str  # a parameter's index, "" (no input), "*" (the whole object) or an attribute's name
CLASS, INSTANCE, OPAQUE = 0, 1, 2  # a class; an instance whose attributes are known; one whose are not


class FunctionScan:
    def __init__(
        self, module: Module, summaries: Summaries, func: FunctionNode, flask_handler: bool = False
    ) -> None:
        self.module = module
        self.summaries = summaries
        self.project = summaries.project
        self.flask_handler = flask_handler
        self.hits: list[Hit] = []
        self.returns: Taint | None = None
        self.guarded = 0  # inside a try whose handler catches ValueError (or a broader class)
        # local names of project classes and their instances (CLASS, INSTANCE, OPAQUE), and of project
        # functions passed around as values: per function, not per program point
        self.objects: dict[str, tuple[Owner, int]] = {}
        self.funcs: dict[str, Callee] = {}
        self.made: dict[str, Callee] = {}  # names bound to what a project function returned
        cls = module.owners.get(id(func))
        params = [*func.args.posonlyargs, *func.args.args]
        if cls is not None and params and (kind := method_kind(func)) != "static":
            self.objects[params[0].arg] = ((module, cls), INSTANCE if kind == "method" else CLASS)

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
            if is_source(node):
                return Taint(ALL, line)
            if isinstance(node.value, ast.Name):
                found = env.get(f"{node.value.id}.{node.attr}")
                known = self.objects.get(node.value.id)
                if known is not None and known[1] == INSTANCE:  # what its constructor and methods stored
                    return found
                return merge(found, env.get(node.value.id))
            return self.taint(node.value, env)
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
        callee = self._callee(node.func)
        if callee is not None:
            return self._returned(callee, node, env)
        indirect = indirect_call(node, self.module)
        if indirect is not None and indirect.returns and (callee := self._callee(indirect.func)):
            return self._returned(callee, indirect.call, env)  # map(f, xs), executor.submit(f, x)
        result = None
        made = self._constructor(node)
        if made is not None and made[1] is not None:  # an object carries what its constructor stored
            for taint in self._attrs(node, env).values():
                result = merge(result, taint)
            return result
        if isinstance(node.func, ast.Attribute):
            result = self.taint(node.func.value, env)
        for value in [*node.args, *(k.value for k in node.keywords)]:
            result = merge(result, self.taint(value, env))
        cleared = SANITIZERS.get(name) or SANITIZERS.get(last if last != "quote" else name)
        if result is not None and cleared:
            result = result.without(cleared)
        return result

    def _returned(self, callee: Callee, call: ast.Call, env: Env) -> Taint | None:
        own = self.summaries.part(callee, "").returns
        result = Taint(own, call.lineno) if own else None
        for which, taint in self._inputs(callee, call, env):
            families = taint.families & self.summaries.part(callee, which).returns
            result = merge(result, Taint(families, taint.origin) if families else None)
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
        callee = self._callee(call.func)
        if callee is None and (made := self._constructor(call)) is not None:
            callee = made[1]
        label = f"{callee.label}()" if callee is not None else ""
        if callee is None and (indirect := indirect_call(call, self.module)) is not None:
            callee, call = self._callee(indirect.func), indirect.call  # the call f gets: f(x)
            label = f"{indirect.shape}({callee.label})" if callee is not None else ""
        if callee is None:
            return
        for which, taint in self._inputs(callee, call, env):
            for hit in self.summaries.part(callee, which).sinks:
                if hit.family == "VALIDATION" and self.guarded:
                    continue  # the caller handles what the helper raises
                if hit.family in taint.families:
                    via = f"{label} line {call.lineno}" + (f", {hit.via}" if hit.via else "")
                    self.hits.append(replace(hit, origin=taint.origin, via=via))
        if isinstance(callee.receiver, ast.Name):  # `job.set(cmd)` stores into job's attributes
            self._store(callee.receiver.id, callee, call, env)

    # -- calls to the project's functions, methods and classes ------------------------------------

    def _callee(self, node: ast.expr) -> Callee | None:
        """The project function or method a call's callee (or a name bound to one) is."""
        if isinstance(node, ast.Name) and node.id in self.funcs:
            return self.funcs[node.id]
        found = self.project.resolve(self.module, node)
        if found is not None:
            return Callee(found[0], found[1], found[1].name)
        if not isinstance(node, ast.Attribute):
            return None
        known = self._class_of(node.value)
        if known is None:
            return None
        (module, cls), role = known
        method = self.project.method(module, cls, node.attr)
        if method is None:
            return None
        kind = method_kind(method[1])
        bound = kind == "method" and role != CLASS
        skip = 1 if bound or kind == "class" else 0
        return Callee(*method, f"{cls.name}.{node.attr}", skip, node.value if bound else None)

    def _class_of(self, node: ast.expr) -> tuple[Owner, int] | None:
        """The project class an expression is, or is an instance of (CLASS, INSTANCE, OPAQUE)."""
        if isinstance(node, ast.Name) and node.id in self.made:  # its factory is read on first use
            owner = self._returned_class(self.made.pop(node.id))
            if owner is not None:
                self.objects[node.id] = (owner, OPAQUE)
        if isinstance(node, ast.Name) and node.id in self.objects:
            return self.objects[node.id]
        if isinstance(node, ast.Call):
            made = self._constructor(node)
            if made is not None:
                return made[0], OPAQUE if made[1] is None else INSTANCE
            owner = self._returned_class(self._callee(node.func))  # `make_service().run(x)`
            return None if owner is None else (owner, OPAQUE)
        owner = self.project.resolve_class(self.module, node)
        return None if owner is None else (owner, CLASS)

    def _returned_class(self, factory: Callee | None) -> Owner | None:
        return None if factory is None else self.summaries.factories.returned(factory.module, factory.func)

    def _constructor(self, call: ast.Call) -> tuple[Owner, Callee | None] | None:
        """The project class a call instantiates, and its `__init__` if the project defines one."""
        owner = self.project.resolve_class(self.module, call.func)
        if owner is None and isinstance(call.func, ast.Name):
            known = self.objects.get(call.func.id)  # `cls(...)` in a classmethod
            owner = known[0] if known is not None and known[1] == CLASS else None
        if owner is None:
            return None
        init = self.project.method(*owner, "__init__")
        return owner, None if init is None else Callee(*init, owner[1].name, 1)

    def _attrs(self, node: ast.expr, env: Env) -> dict[str, Taint]:
        """The tainted attributes of a local object, or of the object a constructor call makes."""
        if isinstance(node, ast.Name):
            prefix = node.id + "."
            return {key[len(prefix) :]: taint for key, taint in env.items() if key.startswith(prefix)}
        made = self._constructor(node) if isinstance(node, ast.Call) else None
        if made is None or made[1] is None or not isinstance(node, ast.Call):
            return {}
        init = made[1]
        own = self.summaries.part(init, "").stores
        out = {attr: Taint(families, node.lineno) for attr, families in own.items()}
        for which, taint in self._bound(init, node, env):
            for attr, families in self.summaries.part(init, which).stores.items():
                if kept := families & taint.families:
                    out[attr] = join(out.get(attr), Taint(kept, taint.origin))
        return out

    def _store(self, name: str, callee: Callee, call: ast.Call, env: Env) -> None:
        for attr, families in self.summaries.part(callee, "").stores.items():
            env[f"{name}.{attr}"] = join(env.get(f"{name}.{attr}"), Taint(families, call.lineno))
        for which, taint in self._bound(callee, call, env):
            for attr, families in self.summaries.part(callee, which).stores.items():
                if kept := families & taint.families:
                    env[f"{name}.{attr}"] = join(env.get(f"{name}.{attr}"), Taint(kept, taint.origin))

    def _inputs(self, callee: Callee, call: ast.Call, env: Env) -> Iterator[tuple[Which, Taint]]:
        """The tainted inputs of a call to a project function: arguments and the receiver's attributes."""
        yield from self._bound(callee, call, env)
        receiver = callee.receiver
        if receiver is None:
            return
        known = self._class_of(receiver)
        if known is not None and known[1] == OPAQUE:
            if (whole := self.taint(receiver, env)) is not None:
                yield "*", whole
            return
        yield from self._attrs(receiver, env).items()

    def _bound(self, callee: Callee, call: ast.Call, env: Env) -> Iterator[tuple[int, Taint]]:
        """(parameter index, taint) of the tainted arguments of a call to a project function."""
        func = callee.func
        params = [p.arg for p in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]]
        for index, value in enumerate(call.args, start=callee.skip):
            if (
                index < len(params)
                and not isinstance(value, ast.Starred)
                and (taint := self.taint(value, env)) is not None
            ):
                yield index, taint
        for kw in call.keywords:
            if kw.arg in params[callee.skip :] and (taint := self.taint(kw.value, env)) is not None:
                yield params.index(kw.arg), taint

    def _trust_target(self, target: ast.expr, taint: Taint | None) -> None:
        if isinstance(target, ast.Subscript | ast.Attribute) and dotted(target.value) in TRUST_STORES:
            self._hit("TRUST", target, dotted(target.value), taint)

    # -- statements --------------------------------------------------------------------------------

    def bind(self, target: ast.expr, taint: Taint | None, env: Env) -> None:
        if isinstance(target, ast.Name):
            self._forget(target.id, env)
            if taint is not None:
                env[target.id] = taint
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.bind(elt.value if isinstance(elt, ast.Starred) else elt, taint, env)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            key = f"{target.value.id}.{target.attr}"
            if taint is None:
                env.pop(key, None)
            else:
                env[key] = taint
        elif isinstance(target, ast.Subscript) and taint:
            key = dotted(target.value)
            if isinstance(target.value, ast.Name) or (
                isinstance(target.value, ast.Attribute) and isinstance(target.value.value, ast.Name)
            ):
                env[key] = join(env.get(key), taint)

    def _forget(self, name: str, env: Env) -> None:
        """A name bound anew: its old value, attributes, class and function are gone."""
        env.pop(name, None)
        self.objects.pop(name, None)
        self.funcs.pop(name, None)
        self.made.pop(name, None)
        prefix = name + "."
        for key in [key for key in env if key.startswith(prefix)]:
            del env[key]

    def _object(self, value: ast.expr, env: Env) -> Bound:
        """`Job(cmd)`, `job`, `helpers.run`: the project function, or the class (or instance of one)
        with its tainted attributes, an assignment binds a name to; or the factory that made it."""
        if isinstance(value, ast.Name | ast.Attribute) and (callee := self._callee(value)) is not None:
            return callee, {}, None
        if not isinstance(value, ast.Call | ast.Name | ast.Attribute):
            return None, {}, None
        if isinstance(value, ast.Call) and self._constructor(value) is None:
            return None, {}, self._callee(value.func)  # `svc = make_service()`
        known = self._class_of(value)
        return known, self._attrs(value, env) if known is not None else {}, None

    def _adopt(self, name: str, object_: Bound, env: Env) -> None:
        thing, attrs, factory = object_
        if factory is not None:
            self.made[name] = factory
        elif isinstance(thing, Callee):
            self.funcs[name] = thing
        elif thing is not None:
            self.objects[name] = thing
            env.update((f"{name}.{attr}", taint) for attr, taint in attrs.items())

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
            object_ = self._object(node.value, env)
            for target in node.targets:
                self._trust_target(target, taint)
                self.bind(target, taint, env)
                if isinstance(target, ast.Name):
                    self._adopt(target.id, object_, env)
        elif isinstance(node, ast.AnnAssign):
            self.check(node.value, env)
            if node.value is not None:
                self.bind(node.target, self.taint(node.value, env), env)
        elif isinstance(node, ast.AugAssign):
            self.check(node.value, env)
            if isinstance(node.target, ast.Name | ast.Attribute):
                joined = merge(self.taint(node.target, env), self.taint(node.value, env))
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


class Summaries:
    """What the project's functions do with each input, computed on first use and kept for the scan."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.done: dict[tuple[str, int, Which], Part] = {}
        self.deps: dict[tuple[str, int, Which], set[str]] = {}  # the files each part looked into
        self.active: set[tuple[str, int, Which]] = set()
        self.factories = Factories(project)

    def part(self, callee: Callee, which: Which) -> Part:
        module, func = callee.module, callee.func
        key = (module.src.path, func.lineno, which)
        if key in self.done:
            for recorder in self.project.recorders:  # whoever reuses a summary depends on its files
                recorder |= self.deps[key]
            return self.done[key]
        if key in self.active:  # recursion: the inner call adds nothing
            return EMPTY
        params = [p.arg for p in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]]
        cls = module.owners.get(id(func))
        this = params[0] if cls is not None and params and method_kind(func) == "method" else ""
        scan = FunctionScan(module, self, func)
        env: Env = {}
        if isinstance(which, int):
            env[params[which]] = Taint(ALL, PARAM)
        elif which == "*" and this and cls is not None:
            env[this] = Taint(ALL, PARAM)
            scan.objects[this] = ((module, cls), OPAQUE)
        elif which and this:
            env[f"{this}.{which}"] = Taint(ALL, PARAM)
        elif which:
            return EMPTY  # an attribute of a function that is not a method
        self.active.add(key)
        touched: set[str] = {module.src.path}  # its own code
        self.project.recorders.append(touched)
        out = scan.block(func.body, env)
        self.active.discard(key)
        self.project.recorders.pop()  # the stack top is `touched`
        for recorder in self.project.recorders:
            recorder |= touched
        own = which == ""
        back = scan.returns
        prefix = this + "."
        self.deps[key] = touched
        self.done[key] = Part(
            () if own else tuple(hit for hit in scan.hits if hit.origin == PARAM),
            back.families if back is not None and (own or back.origin == PARAM) else frozenset(),
            {
                name[len(prefix) :]: taint.families
                for name, taint in out.items()
                if this and name.startswith(prefix) and (own or taint.origin == PARAM)
            },
        )
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
    frameworks = web_frameworks(src.tree)
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
            env, flask = handler_env(node, frameworks)
            scan = FunctionScan(module, summaries, node, flask)
            scan.block(node.body, env)
            for hit in scan.hits:
                key = (hit.family, hit.path, hit.line, hit.column)
                if key not in best or (hit.origin, hit.via) < (best[key].origin, best[key].via):
                    best[key] = hit
    hits = sorted(best.values(), key=lambda h: (h.path != src.path, h.path, h.line, h.column, h.family))
    return [_finding(src, hit) for hit in hits], bool(frameworks)
