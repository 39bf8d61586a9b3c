"""Rules of the probe engine: negative authentication probes, response headers, cookies, CORS and TLS."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule


def _rule(
    rule_id: str,
    title: str,
    severity: Severity,
    description: str,
    fix: str,
    *,
    stage: Stage = Stage.OPERATE,
    cwe: tuple[int, ...] = (),
    asvs: tuple[str, ...] = (),
    confidence: Confidence = Confidence.HIGH,
) -> Rule:
    return Rule(
        id=rule_id,
        title=title,
        stage=stage,
        severity=severity,
        confidence=confidence,
        description=description,
        fix=fix,
        cwe=cwe,
        asvs=asvs,
        tags=("probe", "dast"),
    )


_AUTH_FIX = (
    "Enforce the operation's declared security scheme in the handler or middleware, so that the "
    "request is refused with 401 (no or bad credentials) or 403 (not allowed); or, if the operation "
    "is meant to be public, declare `security: []` for it in the OpenAPI document."
)

AUTH_NONE = _rule(
    "PROBE-AUTH-NO-CREDENTIALS",
    "A secured operation answers 2xx without credentials",
    Severity.CRITICAL,
    "The OpenAPI document declares that the operation needs credentials, yet a request without any "
    "was answered with a success status: anyone can call it.",
    _AUTH_FIX,
    stage=Stage.TEST,
    cwe=(306,),
    asvs=("4.1.1", "1.4.1"),
)
AUTH_MALFORMED = _rule(
    "PROBE-AUTH-MALFORMED-CREDENTIALS",
    "A secured operation answers 2xx to malformed credentials",
    Severity.CRITICAL,
    "A request carrying credentials that cannot be valid (a garbage bearer token, API key or basic "
    "header) was answered with a success status: the credentials are checked for presence only.",
    _AUTH_FIX,
    stage=Stage.TEST,
    cwe=(287,),
    asvs=("2.1.1", "3.5.3"),
)
AUTH_EXPIRED = _rule(
    "PROBE-AUTH-EXPIRED-CREDENTIALS",
    "A secured operation answers 2xx to expired credentials",
    Severity.HIGH,
    "A request carrying credentials that have expired (supplied in the probe configuration) was "
    "answered with a success status: expiry is not enforced.",
    "Check the token's expiry (`exp`) and revocation on every request, not only its signature.",
    stage=Stage.TEST,
    cwe=(613,),
    asvs=("3.5.3", "3.3.1"),
)
HSTS = _rule(
    "PROBE-HSTS-MISSING",
    "HTTPS response without Strict-Transport-Security",
    Severity.MEDIUM,
    "The service answers over HTTPS without an HSTS header, so a browser may still be downgraded to "
    "plain HTTP by an attacker on the network.",
    "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response.",
    cwe=(319,),
    asvs=("14.4.5",),
)
NOSNIFF = _rule(
    "PROBE-NOSNIFF-MISSING",
    "Response without X-Content-Type-Options: nosniff",
    Severity.LOW,
    "Without `nosniff` a browser may guess a response's content type and run uploaded or reflected "
    "content as script.",
    "Send `X-Content-Type-Options: nosniff` on every response.",
    cwe=(693,),
    asvs=("14.4.4",),
)
FRAMING = _rule(
    "PROBE-FRAMING-UNRESTRICTED",
    "HTML response that any site may frame",
    Severity.MEDIUM,
    "An HTML page sent without `Content-Security-Policy: frame-ancestors` and without "
    "`X-Frame-Options` can be framed by any site for clickjacking.",
    "Send `Content-Security-Policy: frame-ancestors 'none'` (or the origins allowed to frame it).",
    cwe=(1021,),
    asvs=("14.4.7",),
)
CSP = _rule(
    "PROBE-CSP-MISSING",
    "HTML response without a Content-Security-Policy",
    Severity.LOW,
    "An HTML page without a Content-Security-Policy has no second line of defence against injected script.",
    "Send a Content-Security-Policy with at least `default-src 'self'` and `object-src 'none'`.",
    cwe=(693,),
    asvs=("14.4.3",),
)
REFERRER = _rule(
    "PROBE-REFERRER-POLICY-MISSING",
    "Response without a Referrer-Policy",
    Severity.LOW,
    "Without a Referrer-Policy, full URLs (with identifiers or tokens in them) may leak to other sites "
    "through the Referer header.",
    "Send `Referrer-Policy: strict-origin-when-cross-origin` or `no-referrer`.",
    cwe=(200,),
    asvs=("14.4.6",),
)
COOKIE = _rule(
    "PROBE-COOKIE-FLAGS",
    "Cookie set without Secure, HttpOnly or SameSite",
    Severity.MEDIUM,
    "A cookie set without `Secure` (over HTTPS) can leak over plain HTTP, without `HttpOnly` can be "
    "read by injected script, and without `SameSite` rides along on cross-site requests.",
    "Set session cookies with `Secure; HttpOnly; SameSite=Lax` (or Strict).",
    cwe=(614, 1004, 1275),
    asvs=("3.4.1", "3.4.2", "3.4.3"),
)
CORS = _rule(
    "PROBE-CORS-REFLECTED-ORIGIN",
    "CORS reflects any Origin and allows credentials",
    Severity.HIGH,
    "The response echoes an arbitrary `Origin` in `Access-Control-Allow-Origin` together with "
    "`Access-Control-Allow-Credentials: true`: any website can read authenticated responses.",
    "Allow only a fixed list of trusted origins, and only those with credentials.",
    cwe=(942,),
    asvs=("14.5.3",),
)
TLS_PROTOCOL = _rule(
    "PROBE-TLS-OLD-PROTOCOL",
    "The service accepts TLS older than 1.2",
    Severity.HIGH,
    "The server completed a handshake with TLS 1.0 or 1.1, which are deprecated (RFC 8996).",
    "Configure the server or load balancer to accept TLS 1.2 and 1.3 only.",
    cwe=(327,),
    asvs=("9.1.3",),
)
TLS_CERT = _rule(
    "PROBE-TLS-CERT-INVALID",
    "The service's TLS certificate does not verify",
    Severity.HIGH,
    "The certificate is expired, not yet valid, self-signed or issued by an untrusted CA, or does not "
    "name the host: clients either fail or learn to ignore certificate errors.",
    "Serve a certificate from a trusted CA that names the host and renew it before it expires.",
    cwe=(295,),
    asvs=("9.2.1",),
)

CONFIG_INVALID = _rule(
    "PROBE-CONFIG-INVALID",
    "The probe configuration does not validate",
    Severity.MEDIUM,
    "A `secloop probe` configuration file kept in the repository is malformed, so the probe step that "
    "reads it stops with an input error and nothing is probed.",
    "Fix the line named in the message; `secloop probe URL --openapi SPEC --config FILE` prints the "
    "same error.",
    stage=Stage.TEST,
)

RULES: tuple[Rule, ...] = (
    AUTH_NONE,
    AUTH_MALFORMED,
    AUTH_EXPIRED,
    HSTS,
    NOSNIFF,
    FRAMING,
    CSP,
    REFERRER,
    COOKIE,
    CORS,
    TLS_PROTOCOL,
    TLS_CERT,
    CONFIG_INVALID,
)
