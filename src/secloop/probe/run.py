"""One probe run from command-line inputs: config, overrides, the OpenAPI document (file or URL)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from secloop.core.errors import InputError, UsageError, place_of
from secloop.probe.client import Client
from secloop.probe.config import ALL_METHODS, ProbeConfig, check_target, load_config
from secloop.probe.engine import ProbeReport, run_probe
from secloop.probe.openapi import Spec, load_spec, read_spec
from secloop.probe.tls import verified_context


def _methods(text: str) -> tuple[str, ...]:
    methods = tuple(dict.fromkeys(m.strip().upper() for m in text.split(",") if m.strip()))
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown or not methods:
        raise UsageError(
            f"--methods: unknown method(s) {', '.join(unknown) or text!r}", hint="e.g. GET,HEAD,POST"
        )
    return methods


def fetch_spec(location: str, url: str, config: ProbeConfig) -> Spec:
    """The OpenAPI document from a URL on the probed host (counted in a budget of its own)."""
    if urlsplit(location).hostname != urlsplit(url).hostname:
        raise UsageError("--openapi URL must be on the probed host", hint="or download it and pass the file")
    scheme, host, port, _ = check_target(location, config)
    client = Client(
        scheme,
        host,
        port,
        config.rate,
        1,
        config.time_budget,
        config.timeout,
        context=verified_context(config.ca_file) if scheme == "https" else None,
    )
    parts = urlsplit(location)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    answer = client.send("GET", target or "/", {"Accept": "application/json"}, "openapi")
    if answer is None or answer.status != 200:
        status = "no answer" if answer is None else f"status {answer.status}"
        raise InputError(f"could not fetch the OpenAPI document ({status})", place=place_of(location))
    return load_spec(answer.body.decode("utf-8", "replace"), location)


def probe(
    url: str,
    openapi: str,
    config_file: Path | None,
    methods: str | None = None,
    rate: float | None = None,
    max_requests: int | None = None,
    time_budget: float | None = None,
) -> ProbeReport:
    config = load_config(config_file) if config_file is not None else ProbeConfig()
    if methods is not None:
        config = replace(config, methods=_methods(methods))
    if rate is not None:
        config = replace(config, rate=rate)
    if max_requests is not None:
        config = replace(config, max_requests=max_requests)
    if time_budget is not None:
        config = replace(config, time_budget=time_budget)
    check_target(url, config)  # before anything is read from or sent to the network
    if openapi.startswith(("http://", "https://")):
        spec = fetch_spec(openapi, url, config)
    else:
        spec = read_spec(Path(openapi))
    return run_probe(url, spec, config)
