"""secloop's own intra-procedural taint checks for Flask, Django and FastAPI code.

Sources: request attributes (`request.args/form/json/values/cookies/headers/data/files`, Django
`request.GET/POST/COOKIES/META/body`, Starlette `query_params/path_params`, `get_json()`), Flask and
FastAPI route-handler parameters (unless typed or converted to int/float/bool/UUID/date) and, in
Django modules, the URL parameters of function views. Taint is a set of sink families still open; it
flows through assignments, string building and calls, inside one function only.

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
from dataclasses import dataclass

from secloop.core.model import Finding, Location
from secloop.sast.rules import FAMILIES, TAINT_RULES
from secloop.sast.source import PySource

ALL = frozenset(FAMILIES)
SOURCE_ATTRS = frozenset(
    {
        "args", "form", "json", "values", "cookies", "headers", "data", "files", "get_json", "get_data",
        "GET", "POST", "COOKIES", "META", "FILES", "body", "query_params", "path_params", "query_string",
        "referrer", "full_path", "url", "view_args", "stream",
    }
)  # fmt: skip
ROUTE_METHODS = frozenset({"route", "get", "post", "put", "delete", "patch", "api_route", "websocket"})
SAFE_TYPES = frozenset(
    {"int", "float", "bool", "UUID", "date", "datetime", "Decimal", "Request", "HttpRequest", "Response",
     "BackgroundTasks", "Session", "WebSocket", "AsyncSession"}
)  # fmt: skip
CLEAN_CALLS = frozenset(
    {"int", "float", "bool", "len", "isinstance", "hasattr", "hash", "abs", "round", "UUID", "uuid.UUID",
     "url_for", "render_template", "jsonify", "reverse", "Depends", "Security", "get_object_or_404",
     "JsonResponse", "JSONResponse", "render", "abort"}
)  # fmt: skip
SANITIZERS: dict[str, frozenset[str]] = {
    "shlex.quote": frozenset({"CMD"}),
    "pipes.quote": frozenset({"CMD"}),
    "os.path.basename": frozenset({"PATH"}),
    "basename": frozenset({"PATH"}),
    "secure_filename": frozenset({"PATH"}),
    "safe_join": frozenset({"PATH"}),
    "escape": frozenset({"XSS"}),
    "html.escape": frozenset({"XSS"}),
    "markupsafe.escape": frozenset({"XSS"}),
    "conditional_escape": frozenset({"XSS"}),
    "bleach.clean": frozenset({"XSS"}),
    "urllib.parse.quote": frozenset({"SSRF", "REDIRECT"}),
    "quote_plus": frozenset({"SSRF", "REDIRECT"}),
    "urllib.parse.quote_plus": frozenset({"SSRF", "REDIRECT"}),
    "urlencode": frozenset({"SSRF", "REDIRECT"}),
    "urllib.parse.urlencode": frozenset({"SSRF", "REDIRECT"}),
}
CHECK_CALLS = frozenset(
    {"isdigit", "isnumeric", "isdecimal", "isalnum", "isalpha", "isidentifier", "match", "fullmatch",
     "startswith", "url_has_allowed_host_and_scheme", "is_safe_url", "is_valid", "validate"}
)  # fmt: skip
ABORTS = frozenset({"abort", "sys.exit", "exit"})
# the project's own sanitizers, by naming convention: safe_next(...), sanitize_html(...), validate_url(...)
# (yaml.safe_load and friends parse, they do not sanitise)
_PROJECT_SANITIZER = re.compile(r"^_?(safe_(?!load|dump)|sanitize_|sanitise_|validate_|clean_)[a-z0-9_]+$")
_HOST_PREFIX = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+[/?#]")

SQL_METHODS = frozenset({"execute", "executemany", "executescript", "raw", "mogrify"})
SQL_CALLS = frozenset({"text", "sqlalchemy.text", "RawSQL", "read_sql", "pd.read_sql", "pandas.read_sql"})
SHELL_CALLS = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
     "asyncio.create_subprocess_shell", "system", "popen", "getoutput"}
)  # fmt: skip
SUBPROCESS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
     "subprocess.Popen", "run", "call", "check_call", "check_output", "Popen"}
)  # fmt: skip
CODE_CALLS = frozenset({"eval", "exec", "compile", "builtins.eval", "builtins.exec"})
PATH_CALLS = frozenset(
    {"open", "io.open", "codecs.open", "send_file", "flask.send_file", "FileResponse", "os.remove",
     "os.unlink", "os.rmdir", "os.listdir", "shutil.rmtree", "shutil.copy", "shutil.copyfile", "Path.open"}
)  # fmt: skip
PATH_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir", "save"})
HTTP_METHODS = frozenset({"get", "post", "put", "delete", "head", "patch", "options", "request", "stream"})
SSRF_CALLS = frozenset({"urllib.request.urlopen", "urlopen", "urllib.request.Request", "urllib2.urlopen"})
REDIRECTS = frozenset(
    {"redirect", "HttpResponseRedirect", "HttpResponsePermanentRedirect", "RedirectResponse"}
)
XSS_CALLS = frozenset(
    {"Markup", "markupsafe.Markup", "render_template_string", "HttpResponse", "make_response",
     "HTMLResponse", "mark_safe", "Response"}
)  # fmt: skip
DESERIALIZERS = frozenset(
    {"pickle.loads", "pickle.load", "cPickle.loads", "dill.loads", "marshal.loads", "jsonpickle.decode",
     "yaml.unsafe_load", "yaml.full_load", "_pickle.loads", "shelve.open"}
)  # fmt: skip


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
    line: int
    column: int
    sink: str
    origin: int


Env = dict[str, Taint]


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


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


def _is_source(node: ast.expr) -> bool:
    if not isinstance(node, ast.Attribute) or node.attr not in SOURCE_ATTRS:
        return False
    base = node.value
    return (isinstance(base, ast.Name) and base.id in {"request", "req"}) or (
        isinstance(base, ast.Attribute) and base.attr == "request"
    )


def _leading_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _leading_text(node.left)
    return None


def _leading(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return _leading(first.value if isinstance(first, ast.FormattedValue) else first)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _leading(node.left)
    return node


def _prefix_clears(node: ast.expr) -> frozenset[str]:
    head = _leading(node)
    if isinstance(head, ast.Call) and dotted(head.func).rsplit(".", 1)[-1] in {"url_for", "reverse"}:
        return frozenset({"SSRF", "REDIRECT"})  # an internal URL chooses scheme and host
    text = _leading_text(node)
    if text is None:
        return frozenset()
    if _HOST_PREFIX.match(text):
        return frozenset({"SSRF", "REDIRECT"})
    if text.startswith("/") and text[1:2] not in {"/", "\\", ""}:
        return frozenset({"SSRF", "REDIRECT"})
    return frozenset()


class FunctionScan:
    def __init__(self, flask_handler: bool) -> None:
        self.flask_handler = flask_handler
        self.hits: list[Hit] = []

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
            return Taint(ALL, line) if _is_source(node) else self.taint(node.value, env)
        if isinstance(node, ast.Call):
            return self._call_taint(node, env)
        result: Taint | None = None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                result = merge(result, self.taint(child, env))
            elif isinstance(child, ast.comprehension):  # [f(x) for x in tainted] is tainted
                result = merge(result, self.taint(child.iter, env))
        if result is not None and isinstance(node, ast.JoinedStr | ast.BinOp):
            result = result.without(_prefix_clears(node))
        return result

    def _call_taint(self, node: ast.Call, env: Env) -> Taint | None:
        name = dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        if isinstance(node.func, ast.Attribute) and _is_source(node.func):
            return Taint(ALL, node.lineno)
        if (
            name in CLEAN_CALLS
            or last in {"url_for", "render_template", "jsonify"}
            or _PROJECT_SANITIZER.match(last)
        ):
            return None
        if any(family in {"SQL", "SSRF"} for family, _ in self._sink(node)):
            return None  # rows and remote responses are not request data (stored taint is not tracked)
        result: Taint | None = None
        if isinstance(node.func, ast.Attribute):
            result = self.taint(node.func.value, env)
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            result = merge(result, self.taint(arg, env))
        cleared = SANITIZERS.get(name) or SANITIZERS.get(last if last != "quote" else name)
        if result is not None and cleared:
            result = result.without(cleared)
        return result

    # -- sinks -------------------------------------------------------------------------------------

    def _arg(self, call: ast.Call, index: int, *keywords: str) -> ast.expr | None:
        for kw in call.keywords:
            if kw.arg in keywords:
                return kw.value
        return call.args[index] if len(call.args) > index else None

    def _sink(self, call: ast.Call) -> Iterator[tuple[str, ast.expr | None]]:
        name = dotted(call.func)
        last = name.rsplit(".", 1)[-1]
        method = isinstance(call.func, ast.Attribute)
        if (method and last in SQL_METHODS) or name in SQL_CALLS:
            yield "SQL", self._arg(call, 0, "sql", "query", "operation")
        if name in SHELL_CALLS:
            yield "CMD", self._arg(call, 0, "cmd", "command")
        if name in SUBPROCESS and any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords
        ):
            yield "CMD", self._arg(call, 0, "args")
        if name in CODE_CALLS:
            yield "CODE", self._arg(call, 0, "source")
        if name in PATH_CALLS or last in {"send_file", "FileResponse"}:
            yield "PATH", self._arg(call, 0, "file", "path", "path_or_file", "filename_or_fp")
        if method and last in PATH_METHODS and isinstance(call.func, ast.Attribute):
            yield "PATH", self._arg(call, 0, "dst") if last == "save" else call.func.value
        receiver = name.split(".")[0].lower()
        if last in HTTP_METHODS and (
            receiver in {"requests", "httpx"} or "session" in receiver or "client" in receiver
        ):
            yield "SSRF", self._arg(call, 1 if last in {"request", "stream"} else 0, "url")
        if name in SSRF_CALLS:
            yield "SSRF", self._arg(call, 0, "url")
        if last in REDIRECTS:
            yield "REDIRECT", self._arg(call, 0, "location", "redirect_to", "url")
        if last in XSS_CALLS and not self._non_html(call):
            yield "XSS", self._arg(call, 0, "content", "response", "source", "base")
        if name in DESERIALIZERS:
            yield "DESERIALIZE", self._arg(call, 0, "data", "stream", "file", "filename")
        if name == "yaml.load" and not self._safe_loader(call):
            yield "DESERIALIZE", self._arg(call, 0, "stream")

    @staticmethod
    def _non_html(call: ast.Call) -> bool:
        for kw in call.keywords:
            if kw.arg in {"mimetype", "media_type", "content_type"}:
                value = kw.value
                return not (
                    isinstance(value, ast.Constant) and isinstance(value.value, str) and "html" in value.value
                )
        return False

    @staticmethod
    def _safe_loader(call: ast.Call) -> bool:
        loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
        if loader is None and len(call.args) > 1:
            loader = call.args[1]
        return loader is not None and "Safe" in dotted(loader)

    def check(self, node: ast.AST | None, env: Env) -> None:
        if node is None:
            return
        for sub in _walk_expr(node):
            if isinstance(sub, ast.Call):
                for family, arg in self._sink(sub):
                    taint = self.taint(arg, env)
                    if taint is not None and family in taint.families:
                        self.hits.append(
                            Hit(family, sub.lineno, sub.col_offset + 1, dotted(sub.func), taint.origin)
                        )

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
            for item in node.items:
                self.check(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.taint(item.context_expr, env), env)
            env = self.block(node.body, env)
        elif isinstance(node, ast.Try):
            env = self.block(node.body, env)
            for handler in node.handlers:
                env = _union(env, self.block(handler.body, dict(env)))
            env = self.block(node.finalbody, self.block(node.orelse, env))
        elif isinstance(node, ast.Match):
            self.check(node.subject, env)
            env = _union(env, *(self.block(case.body, dict(env)) for case in node.cases))
        elif isinstance(node, ast.Return):
            self.check(node.value, env)
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
            self.hits.append(Hit("XSS", node.lineno, node.col_offset + 1, "return", taint.origin))

    def _if(self, node: ast.If, env: Env) -> Env:
        self.check(node.test, env)
        names, negated = _checked(node.test, env)
        body_env, else_env = dict(env), dict(env)
        for name in names:
            (else_env if negated else body_env).pop(name, None)
        body_out = self.block(node.body, body_env)
        else_out = self.block(node.orelse, else_env)
        if _terminates(node.body):
            return else_out
        if node.orelse and _terminates(node.orelse):
            return body_out
        return _union(body_out, else_out)


def _walk_expr(node: ast.AST) -> Iterator[ast.AST]:
    """Every node of a statement or expression, not descending into nested functions or lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                stack.append(child)


def _union(first: Env, *others: Env) -> Env:
    out = dict(first)
    for other in others:
        for name, taint in other.items():
            out[name] = merge(out.get(name), taint) or taint
    return out


def _terminates(body: Sequence[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    return (
        isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and dotted(last.value.func) in ABORTS
    )


def _checked(test: ast.expr, env: Env) -> tuple[set[str], bool]:
    """Names a condition validates, and whether the condition holds when they are invalid."""
    negated = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negated = test.operand, not negated
    if isinstance(test, ast.BoolOp):
        parts = [_checked(v, env) for v in test.values]
        polarities = {neg for names, neg in parts if names}
        if len(polarities) != 1:
            return set(), False
        names = set().union(*(n for n, _ in parts))
        return names, polarities.pop() != negated
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In | ast.NotIn):
        if isinstance(test.ops[0], ast.NotIn):
            negated = not negated
        names = {n.id for n in ast.walk(test.left) if isinstance(n, ast.Name) and n.id in env}
        return names, negated
    if isinstance(test, ast.Call) and dotted(test.func).rsplit(".", 1)[-1] in CHECK_CALLS:
        names = {n.id for n in ast.walk(test) if isinstance(n, ast.Name) and n.id in env}
        return names, negated
    return set(), False


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


def scan_taint(src: PySource) -> tuple[list[Finding], bool]:
    """The taint findings of one file, and whether it is Flask, Django or FastAPI code."""
    frameworks = _frameworks(src.tree)
    if not frameworks and "request" not in src.text:
        return [], False
    hits: set[Hit] = set()
    for node in ast.walk(src.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            env, flask = _handler_env(node, frameworks)
            scan = FunctionScan(flask)
            scan.block(node.body, env)
            hits.update(scan.hits)
    findings = []
    for hit in sorted(hits, key=lambda h: (h.line, h.column, h.family)):
        rule = TAINT_RULES[hit.family]
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=rule.severity,
                confidence=rule.confidence,
                message=f"{rule.title}: `{hit.sink}` gets request data from line {hit.origin}",
                locations=(Location(src.path, hit.line, hit.column),),
                fingerprint="",  # set by source.with_fingerprints
                properties=(
                    ("engine", "secloop-taint"),
                    ("sink", hit.sink),
                    ("source_line", str(hit.origin)),
                ),
                fix=rule.fix,
            )
        )
    return findings, bool(frameworks)
