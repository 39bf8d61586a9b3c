"""Evaluators of the test stage: automated tests in CI, and tests that unauthenticated access is refused."""

from __future__ import annotations

import re

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.sources.ci import PreCommit, load_ci
from secloop.sources.ci.scripts import tool_uses
from secloop.sources.manifests import app_code
from secloop.sources.repo import Repo

RULES: tuple[Rule, ...] = ()

_VENDORED = re.compile(r"(^|/)(node_modules|vendor|third_party|\.venv|venv|site-packages)/")
_CODE = r"\.(py|js|jsx|mjs|cjs|ts|tsx|go|java|kt|kts|scala|rb|php|cs|rs|ex|exs|swift)$"
_TEST_FILE = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs)/.*"
    + _CODE
    + r"|(^|/)src/test/.*"
    + _CODE
    + r"|(^|/)(test_[^/]+\.py|[^/]+_test\.(py|go|exs?)|[^/]+\.(test|spec)\.[cm]?[jt]sx?"
    r"|[^/]+Tests?\.(java|kt|cs|php|swift)|[^/]+_spec\.rb)$"
)


def find_test_files(repo: Repo) -> list[str]:
    return [f for f in repo.files() if _TEST_FILE.search(f) and not _VENDORED.search(f)]


# -- automated tests -------------------------------------------------------------------------------

_TEST_COMMAND = re.compile(
    r"\bpytest\b|-m\s+(?:pytest|unittest)\b|\btox\b|\bnox\b|\b(?:npm|pnpm|bun)\s+(?:run\s+)?test\b"
    r"|\byarn\s+(?:run\s+)?test\b|\b(?:jest|vitest|mocha|ava|karma|playwright\s+test|cypress\s+run)\b"
    r"|\bgo\s+test\b|\bcargo\s+(?:test|nextest)\b|\bmvnw?\b.*\b(?:test|verify|package|install)\b"
    r"|\bgradlew?\b.*\b(?:test|check|build)\b|\bmake\s+(?:\S+\s+)*(?:test|check)\b|\bdotnet\s+test\b"
    r"|\brspec\b|\bphpunit\b|\bpest\b|\brake\s+(?:test|spec)\b|\bmix\s+test\b|\bctest\b|\bswift\s+test\b"
    r"|\bhatch\s+(?:run\s+)?test\b|\bbazel\s+test\b|command:\s*test\b|goals:.*\b(?:test|verify)\b"
    r"|tasks:.*\b(?:test|check)\b",
    re.IGNORECASE,
)


# `pip install pytest` names a test runner without running it.
_INSTALL = re.compile(
    r"\b(?:pip3?|npm|yarn|pnpm|bun|apt(?:-get)?|brew|poetry|gem|uv\s+pip)\s+(?:install|add|i)\b"
)


def evaluate_automated(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    tests = find_test_files(repo)
    config = load_ci(repo)
    runs = [
        u
        for u in tool_uses(repo, config, PreCommit(), _TEST_COMMAND)  # a pre-commit hook is not CI
        if not _INSTALL.search(u.text)
    ]
    if runs:
        evidence = [f"{u.where}: {u.text[:80]}" for u in runs[:5]]
        if tests:
            evidence.append(f"{len(tests)} test file(s), e.g. {', '.join(tests[:3])}")
        return ctx.result(Status.PASS, "CI runs the automated tests", evidence, skipped=config.skipped)
    if tests:
        where = "no CI configuration" if not config.pipelines else "no CI step runs a test command"
        return ctx.result(
            Status.PARTIAL,
            f"{len(tests)} test file(s) exist but {where}",
            [f"tests: {', '.join(tests[:5])}"],
            skipped=config.skipped,
        )
    if not app_code(repo).sources:
        return ctx.result(Status.NOT_APPLICABLE, "no source code and no tests: nothing to test automatically")
    return ctx.result(Status.FAIL, "no automated tests: no test files and no test command in CI")


# -- negative authentication tests -----------------------------------------------------------------

_ROUTES = re.compile(
    r"^\s*@(?:app|router|bp|blueprint|api|route)\.(?:route|get|post|put|patch|delete|websocket)\("
    r"|^\s*(?:app|router|server)\.(?:get|post|put|patch|delete)\(\s*[\"'`/]"
    r"|^\s*(?:http|mux)\.(?:Handle|HandleFunc)\(|^\s*@(?:Get|Post|Put|Delete|Request)Mapping\b"
    r"|^\s*@RestController\b|^\s*urlpatterns\s*=",
    re.MULTILINE,
)
_NEGATIVE = re.compile(
    r"(?:status(?:_code|Code)?\W{0,3}\s*(?:==|===|!=|,|\)\.to(?:Be|Equal)\(|\.should\.equal\()\s*40[13]\b)"
    r"|\bassert\w*\b.*\b40[13]\b|\bexpect\w*\b.*\b40[13]\b|\.expect\(\s*40[13]\b|\bassertStatus\(\s*40[13]\b"
    r"|HTTP_40[13]_(?:UNAUTHORIZED|FORBIDDEN)|HTTPStatus\.(?:UNAUTHORIZED|FORBIDDEN)"
    r"|Status(?:Unauthorized|Forbidden)\b"
    r"|HttpStatus(?:Code)?\.(?:UNAUTHORIZED|FORBIDDEN|Unauthorized|Forbidden)|is(?:Unauthorized|Forbidden)\(\)"
    r"|have_http_status\(:(?:unauthorized|forbidden)\)|\bUnauthorized\b|\bForbidden\b"
)


def evaluate_negative_auth(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    app = app_code(repo)
    route = repo.any_match(_ROUTES, app.sources) if app.sources else None
    if not app.service_markers and route is None:
        return ctx.result(
            Status.NOT_APPLICABLE, "not a web application: no web framework dependency and no HTTP routes"
        )
    web = [f"web framework: {app.service_markers[0]}"] if app.service_markers else []
    if route is not None:
        web.append(f"{route.path}:{route.line}: HTTP route ({route.text.strip()[:60]})")
    tests = find_test_files(repo)
    hits = list(repo.grep(_NEGATIVE, tests))
    if hits:
        evidence = [f"{h.path}:{h.line}: {h.text.strip()[:100]}" for h in hits[:10]]
        return ctx.result(
            Status.PASS,
            f"{len(hits)} test assertion(s) check that unauthenticated or unauthorised requests are refused",
            [*evidence, *web],
        )
    why = f"none of {len(tests)} test file(s) asserts" if tests else "there are no tests asserting"
    return ctx.result(
        Status.FAIL,
        f"a web application, but {why} a 401/403 for an unauthenticated or unauthorised request",
        web,
    )


EVALUATORS: dict[str, Evaluator] = {
    "test.automated": evaluate_automated,
    "test.negative-auth": evaluate_negative_auth,
}
