"""TLS checks for https targets: the certificate verifies, and TLS 1.0/1.1 handshakes are refused."""

from __future__ import annotations

import socket
import ssl
import warnings

from secloop.probe.client import Client
from secloop.probe.headers import Problem
from secloop.probe.rules import TLS_CERT, TLS_PROTOCOL


def verified_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def _handshake(client: Client, context: ssl.SSLContext) -> None:
    with (
        socket.create_connection((client.host, client.port), timeout=client.timeout) as raw,
        context.wrap_socket(raw, server_hostname=client.host),
    ):
        pass


def tls_problems(client: Client, ca_file: str | None) -> tuple[list[Problem], list[str]]:
    """Problems found, and notes on what could not be checked."""
    problems: list[Problem] = []
    notes: list[str] = []
    client.count("tls:certificate")
    try:
        _handshake(client, verified_context(ca_file))
    except ssl.SSLCertVerificationError as exc:
        problems.append((TLS_CERT, f"the certificate does not verify: {exc.verify_message}", "certificate"))
    except (OSError, ssl.SSLError) as exc:
        notes.append(f"TLS certificate not checked: {type(exc).__name__}: {exc}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        try:
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            old.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as exc:
            notes.append(f"TLS 1.0/1.1 not checked: the local OpenSSL cannot offer them ({exc})")
            return problems, notes
    client.count("tls:old-protocol")
    try:
        _handshake(client, old)
    except ssl.SSLError as exc:
        if "no protocols available" in str(exc).lower():
            notes.append("TLS 1.0/1.1 not checked: the local OpenSSL cannot offer them")
        return problems, notes
    except OSError as exc:
        notes.append(f"TLS 1.0/1.1 not checked: {type(exc).__name__}: {exc}")
        return problems, notes
    problems.append((TLS_PROTOCOL, "the server completed a TLS 1.0/1.1 handshake", "old-protocol"))
    return problems, notes
