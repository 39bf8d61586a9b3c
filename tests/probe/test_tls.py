"""TLS checks against a loopback HTTPS server with a certificate made by `openssl` in the test."""

from __future__ import annotations

import ssl
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from secloop.probe.config import ProbeConfig
from secloop.probe.engine import run_probe
from secloop.probe.openapi import load_spec

SPEC = '{"openapi": "3.0.0", "paths": {}}'


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[Callable[[bool], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(allow_old: bool) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        if allow_old:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers("ALL:@SECLEVEL=0")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_untrusted_certificate_is_a_finding_and_stops_http_probes(
    https_server: Callable[[bool], str],
) -> None:
    url = https_server(False)
    report = run_probe(url, load_spec(SPEC, "api.json"), ProbeConfig(rate=1000))
    assert [(f.rule_id, f.message) for f in report.findings] == [
        ("PROBE-TLS-CERT-INVALID", f"{url}: the certificate does not verify: self-signed certificate")
    ]
    assert report.notes == ["HTTP probes not sent: the certificate does not verify (set ca_file)"]
    assert [s.variant for s in report.log] == ["tls:certificate", "tls:old-protocol"]


def test_trusted_certificate_modern_tls_only_hsts_missing(
    https_server: Callable[[bool], str], certificate: tuple[Path, Path]
) -> None:
    url = https_server(False)
    report = run_probe(url, load_spec(SPEC, "api.json"), ProbeConfig(rate=1000, ca_file=str(certificate[0])))
    assert [f.rule_id for f in report.findings] == ["PROBE-HSTS-MISSING"]
    assert report.notes == []


def test_tls_1_0_is_a_finding(https_server: Callable[[bool], str], certificate: tuple[Path, Path]) -> None:
    url = https_server(True)
    report = run_probe(url, load_spec(SPEC, "api.json"), ProbeConfig(rate=1000, ca_file=str(certificate[0])))
    assert [f.rule_id for f in report.findings] == ["PROBE-TLS-OLD-PROTOCOL", "PROBE-HSTS-MISSING"]
