"""Security metrics in the Prometheus text exposition format (0.0.4), and a loopback HTTP endpoint.

Written by hand rather than with prometheus_client: four metric families do not justify a
dependency of the core package, and the format is small and stable.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from secloop.core.errors import UsageError
from secloop.monitor import events as ev

if TYPE_CHECKING:
    from secloop.monitor.detect import Incident
    from secloop.monitor.events import Event

EVENTS = "secloop_security_events_total"
DETECTIONS = "secloop_security_detections_total"
OPEN = "secloop_security_detections_open"
LINES = "secloop_monitor_lines_total"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: dict[tuple[str, str], int] = {}
        self.detections: dict[str, int] = {}
        self.open: dict[str, int] = {}
        self.lines: dict[str, int] = {"event": 0, "ignored": 0, "malformed": 0}

    def declare(self, detections: Iterable[str]) -> None:
        """Series that exist at zero from the start, so that rate() and absent() work at once."""
        with self.lock:
            for name in detections:
                self.detections.setdefault(name, 0)
                self.open.setdefault(name, 0)
            for type_ in (ev.LOGIN_FAIL, ev.LOGIN_SUCCESS):
                self.events.setdefault((type_, "ssh"), 0)

    def event(self, event: Event) -> None:
        key = (event.type, event.source)
        with self.lock:
            self.events[key] = self.events.get(key, 0) + event.count

    def opened(self, incident: Incident) -> None:
        with self.lock:
            self.detections[incident.detection] = self.detections.get(incident.detection, 0) + 1
            self.open[incident.detection] = self.open.get(incident.detection, 0) + 1

    def closed(self, incident: Incident) -> None:
        with self.lock:
            self.open[incident.detection] = max(0, self.open.get(incident.detection, 0) - 1)

    def lines_seen(self, events: int, ignored: int, malformed: int) -> None:
        with self.lock:
            self.lines = {"event": events, "ignored": ignored, "malformed": malformed}

    def render(self) -> str:
        with self.lock:
            out = [
                f"# HELP {EVENTS} Security events from logs, by OWASP vocabulary event and source.",
                f"# TYPE {EVENTS} counter",
            ]
            for (type_, source), value in sorted(self.events.items()):
                out.append(f'{EVENTS}{{event="{_label(type_)}",source="{_label(source)}"}} {value}')
            out += [f"# HELP {DETECTIONS} Incidents opened, by detection.", f"# TYPE {DETECTIONS} counter"]
            for name, value in sorted(self.detections.items()):
                out.append(f'{DETECTIONS}{{detection="{_label(name)}"}} {value}')
            out += [f"# HELP {OPEN} Incidents open now, by detection.", f"# TYPE {OPEN} gauge"]
            for name, value in sorted(self.open.items()):
                out.append(f'{OPEN}{{detection="{_label(name)}"}} {value}')
            out += [f"# HELP {LINES} Log lines read, by outcome.", f"# TYPE {LINES} counter"]
            for outcome, value in sorted(self.lines.items()):
                out.append(f'{LINES}{{outcome="{outcome}"}} {value}')
        return "\n".join(out) + "\n"


def parse_listen(value: str) -> tuple[str, int]:
    """PORT, :PORT, HOST:PORT or [V6]:PORT; a bare port binds to 127.0.0.1."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--serve-metrics: not HOST:PORT: {value!r}", hint="e.g. 127.0.0.1:9465 or 9465")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    metrics: Metrics

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/metrics", "/"):
            self.send_error(404)
            return
        body = self.metrics.render().encode()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(metrics: Metrics, host: str, port: int) -> ThreadingHTTPServer:
    """Start the endpoint on a daemon thread; the caller shuts it down."""
    handler = type("MetricsHandler", (_Handler,), {"metrics": metrics})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="secloop-metrics", daemon=True).start()
    return server
