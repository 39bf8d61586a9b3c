"""What taint looks for and what clears it: sources, sanitizers, checks and the conditions they hold in."""

from __future__ import annotations

import ast
import re
from collections.abc import Container, Sequence

from secloop.sast.sinks import dotted
from secloop.sast.values import ALL, Env, Taint

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
    "escape_filter_chars": frozenset({"LDAP"}),
    "filter_format": frozenset({"LDAP"}),
}
CHECK_CALLS = frozenset(
    {"isdigit", "isnumeric", "isdecimal", "isalnum", "isalpha", "isidentifier", "match", "fullmatch",
     "startswith", "url_has_allowed_host_and_scheme", "is_safe_url", "is_valid", "validate"}
)  # fmt: skip
ABORTS = frozenset({"abort", "sys.exit", "exit"})
# built-in exceptions that do not catch a ValueError; any other handler (ValueError, Exception, the
# project's own error a validator raises) turns a malformed value into an answer rather than a 500
MISSES_VALUE_ERROR = frozenset(
    {"KeyError", "IndexError", "LookupError", "AttributeError", "NameError", "OSError", "IOError",
     "FileNotFoundError", "PermissionError", "ConnectionError", "TimeoutError", "ZeroDivisionError",
     "ImportError", "ModuleNotFoundError", "RuntimeError", "StopIteration", "NotImplementedError"}
)  # fmt: skip
# where request data must not be stored unvalidated: the session, flask.g and the application's config
TRUST_STORES = frozenset(
    {"session", "flask.session", "request.session", "self.request.session", "g", "flask.g",
     "app.config", "current_app.config", "settings", "os.environ", "cache"}
)  # fmt: skip
TRUST_CALLS = {"update": 0, "setdefault": 1, "__setitem__": 1}
# the project's own sanitizers, by naming convention: safe_next(...), sanitize_html(...), validate_url(...)
# (yaml.safe_load and friends parse, they do not sanitise)
PROJECT_SANITIZER = re.compile(r"^_?(safe_(?!load|dump)|sanitize_|sanitise_|validate_|clean_)[a-z0-9_]+$")
HOST_PREFIX = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+[/?#]")


def is_source(node: ast.expr) -> bool:
    if not isinstance(node, ast.Attribute) or node.attr not in SOURCE_ATTRS:
        return False
    base = node.value
    return (isinstance(base, ast.Name) and base.id in {"request", "req"}) or (
        isinstance(base, ast.Attribute) and base.attr == "request"
    )


def leading_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return leading_text(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return leading_text(node.left)
    return None


def leading(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return leading(first.value if isinstance(first, ast.FormattedValue) else first)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return leading(node.left)
    return node


def prefix_clears(node: ast.expr) -> frozenset[str]:
    head = leading(node)
    if isinstance(head, ast.Call) and dotted(head.func).rsplit(".", 1)[-1] in {"url_for", "reverse"}:
        return frozenset({"SSRF", "REDIRECT"})  # an internal URL chooses scheme and host
    text = leading_text(node)
    if text is None:
        return frozenset()
    if HOST_PREFIX.match(text):
        return frozenset({"SSRF", "REDIRECT"})
    if text.startswith("/") and text[1:2] not in {"/", "\\", ""}:
        return frozenset({"SSRF", "REDIRECT"})
    return frozenset()


def terminates(body: Sequence[ast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    return (
        isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and dotted(last.value.func) in ABORTS
    )


def catches(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    if isinstance(kind, ast.Tuple):
        return any(catches(elt) for elt in kind.elts)
    return dotted(kind).rsplit(".", 1)[-1] not in MISSES_VALUE_ERROR


def checked(test: ast.expr, env: Container[str]) -> tuple[set[str], bool]:
    """Names a condition validates, and whether the condition holds when they are invalid."""
    negated = False
    while isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, negated = test.operand, not negated
    if isinstance(test, ast.BoolOp):
        parts = [checked(v, env) for v in test.values]
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


def web_frameworks(tree: ast.Module) -> set[str]:
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


def handler_env(func: ast.FunctionDef | ast.AsyncFunctionDef, frameworks: set[str]) -> tuple[Env, bool]:
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
