"""Where request data must not arrive: the sink calls of secloop's taint checks, one family each."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence

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
EXEC_CALLS = frozenset({"asyncio.create_subprocess_exec", "create_subprocess_exec"})
# `["sh", "-c", cmd]`: the shell parses the string that follows the flag, as with shell=True
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "fish"})
SHELL_FLAG = re.compile(r"-[a-z]*c[a-z]*")  # -c, -lc, -ec
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
# ldap3: conn.search(base, filter, ...); python-ldap: l.search_s(base, scope, filterstr, ...)
LDAP3_METHODS = frozenset({"search", "extend.standard.paged_search"})
PYLDAP_METHODS = frozenset({"search", "search_s", "search_st", "search_ext", "search_ext_s"})
XPATH_METHODS = frozenset({"xpath"})
XPATH_CALLS = frozenset({"etree.XPath", "XPath", "etree.ETXPath", "ETXPath", "lxml.etree.XPath"})
ELEMENTPATH_METHODS = frozenset({"findall", "iterfind", "findtext"})
#: conversions that raise on malformed input: unguarded, request data makes them a 500
CONVERSIONS = frozenset(
    {"int", "float", "Decimal", "decimal.Decimal", "UUID", "uuid.UUID", "json.loads", "date.fromisoformat",
     "datetime.fromisoformat", "datetime.strptime", "datetime.datetime.strptime", "bytes.fromhex"}
)  # fmt: skip


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def arg(call: ast.Call, index: int, *keywords: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in keywords:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _word(node: ast.expr) -> str | None:
    return node.value.strip() if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _program(word: str) -> str:
    return word.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def _shell_string(argv: Sequence[ast.expr]) -> ast.expr | None:
    """The command string of an argv that starts a shell with `-c` (`cmd /c` on Windows), if any."""
    start = 1 if argv and _program(_word(argv[0]) or "") == "env" else 0
    if len(argv) < start + 3:
        return None
    program, flag = _word(argv[start]), _word(argv[start + 1])
    if program is None or flag is None:
        return None
    name = _program(program)
    if (name in SHELLS and SHELL_FLAG.fullmatch(flag)) or (name == "cmd" and flag.lower() in {"/c", "/k"}):
        return argv[start + 2]
    return None


def _non_html(call: ast.Call) -> bool:
    for kw in call.keywords:
        if kw.arg in {"mimetype", "media_type", "content_type"}:
            value = kw.value
            return not (
                isinstance(value, ast.Constant) and isinstance(value.value, str) and "html" in value.value
            )
    return False


def _safe_loader(call: ast.Call) -> bool:
    loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
    if loader is None and len(call.args) > 1:
        loader = call.args[1]
    return loader is not None and "Safe" in dotted(loader)


def sinks(call: ast.Call, imports: frozenset[str]) -> Iterator[tuple[str, ast.expr | None]]:
    """The (family, argument) pairs of a call that is a sink; `imports` are the module's top-level imports."""
    name = dotted(call.func)
    last = name.rsplit(".", 1)[-1]
    method = isinstance(call.func, ast.Attribute)
    if (method and last in SQL_METHODS) or name in SQL_CALLS:
        yield "SQL", arg(call, 0, "sql", "query", "operation")
    if name in SHELL_CALLS:
        yield "CMD", arg(call, 0, "cmd", "command")
    if name in SUBPROCESS and any(
        k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    ):
        yield "CMD", arg(call, 0, "args")
    elif (
        name in SUBPROCESS
        and isinstance(argv := arg(call, 0, "args"), ast.List | ast.Tuple)
        and (command := _shell_string(argv.elts)) is not None
    ):
        yield "CMD", command
    if name in EXEC_CALLS and (command := _shell_string(call.args)) is not None:
        yield "CMD", command
    if name in CODE_CALLS:
        yield "CODE", arg(call, 0, "source")
    if name in PATH_CALLS or last in {"send_file", "FileResponse"}:
        yield "PATH", arg(call, 0, "file", "path", "path_or_file", "filename_or_fp")
    if method and last in PATH_METHODS and isinstance(call.func, ast.Attribute):
        yield "PATH", arg(call, 0, "dst") if last == "save" else call.func.value
    receiver = name.split(".")[0].lower()
    if last in HTTP_METHODS and (
        receiver in {"requests", "httpx"} or "session" in receiver or "client" in receiver
    ):
        yield "SSRF", arg(call, 1 if last in {"request", "stream"} else 0, "url")
    if name in SSRF_CALLS:
        yield "SSRF", arg(call, 0, "url")
    if last in REDIRECTS:
        yield "REDIRECT", arg(call, 0, "location", "redirect_to", "url")
    if last in XSS_CALLS and not _non_html(call):
        yield "XSS", arg(call, 0, "content", "response", "source", "base")
    if name in DESERIALIZERS:
        yield "DESERIALIZE", arg(call, 0, "data", "stream", "file", "filename")
    if name == "yaml.load" and not _safe_loader(call):
        yield "DESERIALIZE", arg(call, 0, "stream")
    if method and receiver not in {"re", "regex"}:
        if "ldap3" in imports and last in LDAP3_METHODS:
            yield "LDAP", arg(call, 1, "search_filter")
        if "ldap" in imports and last in PYLDAP_METHODS:
            yield "LDAP", arg(call, 2, "filterstr")
        if last in XPATH_METHODS:
            yield "XPATH", arg(call, 0, "_path")
        if imports & {"lxml", "xml", "defusedxml"} and last in ELEMENTPATH_METHODS:
            yield "XPATH", arg(call, 0, "path")
    if name in XPATH_CALLS:
        yield "XPATH", arg(call, 0, "path")
