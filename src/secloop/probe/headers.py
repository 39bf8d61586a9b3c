"""Checks of one response: security headers, cookie flags and CORS. Each returns (rule, message, key)."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.probe.client import Response
from secloop.probe.rules import COOKIE, CORS, CSP, FRAMING, HSTS, NOSNIFF, REFERRER

PROBE_ORIGIN = "https://secloop-probe.invalid"

Problem = tuple[Rule, str, str]


def header_problems(response: Response, https: bool) -> list[Problem]:
    problems: list[Problem] = []
    if https and not response.header("Strict-Transport-Security"):
        problems.append((HSTS, "no Strict-Transport-Security header on an HTTPS response", "hsts"))
    if (response.header("X-Content-Type-Options") or "").strip().lower() != "nosniff":
        problems.append((NOSNIFF, "no `X-Content-Type-Options: nosniff`", "nosniff"))
    if not response.header("Referrer-Policy"):
        problems.append((REFERRER, "no Referrer-Policy header", "referrer"))
    content_type = (response.header("Content-Type") or "").lower()
    if content_type.startswith("text/html"):
        csp = " ".join(response.all("Content-Security-Policy")).lower()
        if not csp:
            problems.append((CSP, "an HTML response without Content-Security-Policy", "csp"))
        if "frame-ancestors" not in csp and not response.header("X-Frame-Options"):
            problems.append(
                (FRAMING, "an HTML response without CSP frame-ancestors or X-Frame-Options", "framing")
            )
    return problems


def _cookie_flags(line: str) -> tuple[str, set[str]]:
    parts = [p.strip() for p in line.split(";")]
    name = parts[0].split("=", 1)[0].strip()
    flags = {p.split("=", 1)[0].strip().lower() for p in parts[1:] if p}
    return name, flags


def cookie_problems(response: Response, https: bool) -> list[Problem]:
    problems: list[Problem] = []
    for line in response.all("Set-Cookie"):
        name, flags = _cookie_flags(line)
        if "max-age" in flags and "max-age=0" in line.replace(" ", "").lower():
            continue  # a deletion carries no value worth protecting
        missing = [flag for flag in ("secure", "httponly", "samesite") if flag not in flags]
        if not https and "secure" in missing:
            missing.remove("secure")  # plain HTTP (loopback): Secure cannot be judged here
        if missing:
            names = ", ".join(
                {"secure": "Secure", "httponly": "HttpOnly", "samesite": "SameSite"}[m] for m in missing
            )
            problems.append((COOKIE, f"cookie {name!r} is set without {names}", f"cookie:{name}"))
    return problems


def cors_problems(response: Response) -> list[Problem]:
    allowed = (response.header("Access-Control-Allow-Origin") or "").strip()
    credentials = (response.header("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
    if credentials and allowed in (PROBE_ORIGIN, "null"):
        return [
            (
                CORS,
                f"Origin {PROBE_ORIGIN} is reflected in Access-Control-Allow-Origin with credentials allowed",
                "cors",
            )
        ]
    return []
