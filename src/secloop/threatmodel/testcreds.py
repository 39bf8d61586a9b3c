"""Generated HTTP tests that need real credentials or a captured request from the environment.

Per-object authorisation, session renewal, logout, idle timeout, token lifetime, re-authentication,
multi-factor login, account enumeration, replay and limit-overrun races cannot be checked
anonymously: each test reads what it needs (SECLOOP_TM_TOKEN_A, SECLOOP_TM_LOGIN_PATH, ...) and
skips, naming the variables, when they are absent. Same placeholders as `secloop.threatmodel.testcode`.
"""

from __future__ import annotations

CRED_HELPERS = '''

def _need(*names: str) -> list[str]:
    """The values of environment variables a test needs; skip naming the missing ones."""
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        pytest.skip(f"set {', '.join(missing)} to run this check")
    return [os.environ[n] for n in names]


def _auth(token: str) -> dict[str, str]:
    """Request headers carrying a credential: a bearer token, or a Cookie header when given as name=value."""
    name = os.environ.get("SECLOOP_TM_AUTH_HEADER", "Authorization")
    if name.lower() == "authorization" and " " not in token:
        token = "Bearer " + token
    return {name: token}


def _form(text: str) -> tuple[dict[str, str], bytes]:
    kind = "application/json" if text.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    return {"Content-Type": kind}, text.encode()


def _cookies(reply: Reply) -> dict[str, str]:
    pairs = (c.split(";")[0].split("=", 1) for c in reply.headers.get_all("Set-Cookie") or [])
    return {p[0].strip(): p[1].strip() for p in pairs if len(p) == 2}


def _cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}


def _login(body_env: str = "SECLOOP_TM_LOGIN_BODY", cookies: dict[str, str] | None = None) -> Reply:
    """POST the login form (real credentials from the environment) to SECLOOP_TM_LOGIN_PATH."""
    path, body = _need("SECLOOP_TM_LOGIN_PATH", body_env)
    headers, data = _form(body)
    url = _base() + "/" + path.lstrip("/")
    return _request(url, "POST", {**headers, **_cookie_header(cookies or {})}, data)


def _session(body_env: str = "SECLOOP_TM_LOGIN_BODY") -> dict[str, str]:
    cookies = _cookies(_login(body_env))
    assert cookies, "the login answered without setting a session cookie: check SECLOOP_TM_LOGIN_BODY"
    return cookies


def _allowed(reply: Reply) -> bool:
    return 200 <= reply.status < 300
'''

CRED_BODIES: dict[str, tuple[str, str]] = {
    "idor-cross-user": (
        "other_users_object_is_refused",
        '''    """@THREAT@: user B gets 403/404 on an object of user A (@RULE@)."""
    token_a, token_b, path = _need("SECLOOP_TM_TOKEN_A", "SECLOOP_TM_TOKEN_B", "SECLOOP_TM_OBJECT_PATH")
    url = _base() + "/" + path.lstrip("/")
    owner = _request(url, "GET", _auth(token_a)).status
    assert 200 <= owner < 300, f"user A cannot read its own object ({owner}): check SECLOOP_TM_OBJECT_PATH"
    other = _request(url, "GET", _auth(token_b)).status
    assert other in (403, 404), f"user B read user A's object: {other}"
''',
    ),
    "session-fixation": (
        "session_id_is_renewed_at_login",
        '''    """@THREAT@: a session id planted before login is replaced at login (@RULE@)."""
    names = _session()
    planted = {name: "secloop" + uuid.uuid4().hex for name in names}
    after = _cookies(_login(cookies=planted))
    kept = [n for n, v in planted.items() if after.get(n, v) == v]
    assert not kept, f"the login kept the planted session id of {kept}"
''',
    ),
    "logout-invalidates": (
        "logout_ends_the_session_on_the_server",
        '''    """@THREAT@: a session used after logout is refused (@RULE@)."""
    (logout,) = _need("SECLOOP_TM_LOGOUT_PATH")
    session = _cookie_header(_session())
    assert _allowed(_request(_url(), METHOD, session)), "the fresh session is not accepted by the flow"
    _request(_base() + "/" + logout.lstrip("/"), "POST", session)
    status = _request(_url(), METHOD, session).status
    assert status in (301, 302, 303, 307, 308, 401, 403), f"the old session still answers {status}"
''',
    ),
    "session-idle-timeout": (
        "idle_session_expires",
        '''    """@THREAT@: a session idle for longer than the timeout is refused (@RULE@)."""
    import time

    (idle,) = _need("SECLOOP_TM_IDLE_TIMEOUT")
    session = _cookie_header(_session())
    assert _allowed(_request(_url(), METHOD, session)), "the fresh session is not accepted by the flow"
    time.sleep(float(idle) + 1)
    status = _request(_url(), METHOD, session).status
    assert status in (301, 302, 303, 307, 308, 401, 403), f"after {idle}s idle the session answers {status}"
''',
    ),
    "token-expiry": (
        "tokens_expire",
        '''    """@THREAT@: an issued token carries an expiry within the allowed lifetime (@RULE@)."""
    (token,) = _need("SECLOOP_TM_TOKEN_A")
    parts = token.split(" ")[-1].split(".")
    if len(parts) != 3:
        pytest.skip("the token is opaque (not a JWT): check its expiry on the server")
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    assert "exp" in claims, "the token has no exp claim"
    limit = int(os.environ.get("SECLOOP_TM_MAX_TOKEN_LIFETIME", "86400"))
    lifetime = int(claims["exp"]) - int(claims.get("iat", claims.get("nbf", 0)) or 0)
    assert "iat" in claims or "nbf" in claims, "the token has no iat or nbf: its lifetime is unknown"
    assert lifetime <= limit, f"the token lives {lifetime}s, more than {limit}s"
''',
    ),
    "reauth-required": (
        "sensitive_change_needs_fresh_authentication",
        '''    """@THREAT@: a change of e-mail or credentials without the password is refused (@RULE@)."""
    (path,) = _need("SECLOOP_TM_CHANGE_PATH")
    body = os.environ.get("SECLOOP_TM_CHANGE_BODY", "email=secloop-probe%40example.invalid")
    headers, data = _form(body)
    url = _base() + "/" + path.lstrip("/")
    reply = _request(url, "POST", {**headers, **_cookie_header(_session())}, data)
    assert 400 <= reply.status < 500, f"a change without re-authentication answered {reply.status}"
''',
    ),
    "mfa-required": (
        "password_alone_does_not_open_the_flow",
        '''    """@THREAT@: a correct password without a second factor does not open the flow (@RULE@)."""
    login = _login()
    assert login.status < 400, f"the login answered {login.status}: check SECLOOP_TM_LOGIN_BODY"
    session = _cookie_header(_cookies(login))
    status = _request(_url(), METHOD, session).status
    assert not 200 <= status < 300, f"a password-only login reached the flow ({status})"
''',
    ),
    "account-enumeration": (
        "login_does_not_reveal_accounts",
        '''    """@THREAT@: known and unknown accounts get the same answer to a wrong password (@RULE@)."""
    (user,) = _need("SECLOOP_TM_KNOWN_USER")
    path = os.environ.get("SECLOOP_TM_LOGIN_PATH") or PATH
    fields = os.environ.get("SECLOOP_TM_LOGIN_FIELDS", "username,password").split(",")
    wrong = "secloop-" + uuid.uuid4().hex
    stranger = "secloop-" + uuid.uuid4().hex + "@example.invalid"
    known, unknown = (
        _request(_base() + "/" + path.lstrip("/"), "POST",
                 {"Content-Type": "application/x-www-form-urlencoded"},
                 urlencode({fields[0]: name, fields[1]: wrong}).encode())
        for name in (user, stranger)
    )
    assert known.status == unknown.status, f"known account: {known.status}, unknown: {unknown.status}"
    assert known.body.replace(user, "") == unknown.body.replace(stranger, ""), "the answers differ"
''',
    ),
    "replay-rejected": (
        "captured_request_is_not_accepted_again",
        '''    """@THREAT@: a request that was already delivered is refused when sent again (@RULE@)."""
    (capture,) = _need("SECLOOP_TM_REPLAY_FILE")
    with open(capture, encoding="utf-8") as handle:
        doc = json.load(handle)
    url = _base() + "/" + str(doc.get("path", PATH)).lstrip("/")
    reply = _request(url, str(doc.get("method", "POST")), dict(doc.get("headers", {})),
                     str(doc.get("body", "")).encode())
    assert 400 <= reply.status < 500, f"the replayed request answered {reply.status}"
''',
    ),
    "race-limit": (
        "concurrent_requests_do_not_overrun_a_limit",
        '''    """@THREAT@: concurrent uses of a limited action succeed at most `allowed` times (@RULE@)."""
    from concurrent.futures import ThreadPoolExecutor

    (capture,) = _need("SECLOOP_TM_RACE_FILE")
    with open(capture, encoding="utf-8") as handle:
        doc = json.load(handle)
    url = _base() + "/" + str(doc.get("path", PATH)).lstrip("/")
    allowed = int(doc.get("allowed", 1))
    copies = int(os.environ.get("SECLOOP_TM_RACE_COPIES", "20"))

    def send(_: int) -> int:
        return _request(url, str(doc.get("method", "POST")), dict(doc.get("headers", {})),
                        str(doc.get("body", "")).encode()).status

    with ThreadPoolExecutor(max_workers=copies) as pool:
        statuses = list(pool.map(send, range(copies)))
    won = sum(200 <= s < 300 for s in statuses)
    assert won <= allowed, f"{won} of {copies} concurrent requests succeeded; the limit is {allowed}"
''',
    ),
    "get-refused": (
        "personal_data_is_not_sent_by_get",
        '''    """@THREAT@: the endpoint takes its data by POST and refuses GET with 405 (@RULE@)."""
    status = _request(_url(), "GET").status
    assert status == 405, f"GET answered {status}: personal data can travel in the URL"
''',
    ),
}

CRED_KINDS: tuple[str, ...] = tuple(CRED_BODIES)
# Kinds that run without any variable beyond the flow's URL (which a model's base_url can give).
NEEDS_CONFIGURATION: frozenset[str] = frozenset(CRED_KINDS) - {"get-refused"}
