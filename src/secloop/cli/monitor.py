"""`secloop monitor scan|follow|detections`: security events from logs, detections, metrics."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.options import check_fail_on
from secloop.core.baseline import write_atomic
from secloop.core.enums import Severity
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.monitor.config import DEFAULT_DETECTIONS, DEFAULT_PATH, MonitorConfig, load_monitor_config
from secloop.monitor.detect import Incident
from secloop.monitor.engine import Monitor
from secloop.monitor.geo import NOWHERE, Locations, load_locations
from secloop.monitor.metrics import Metrics, is_loopback, parse_listen, serve
from secloop.monitor.render import incident_json, notice, render_json, render_terminal
from secloop.monitor.stream import Follower, Source, Stats, check_format, read_all

FORMATS = ("terminal", "json")
LOG_FORMAT_OPTION = typer.Option(
    "auto", "--log-format", "-l", help="auto (per file), syslog, json, access or k8s."
)
CONFIG_OPTION = typer.Option(
    None, "--config", dir_okay=False, help=f"Monitor config (TOML; default {DEFAULT_PATH} if present)."
)
LOCATIONS_OPTION = typer.Option(
    None, "--locations", dir_okay=False, help="ip,lat,lon CSV or JSON map for impossible travel (no lookups)."
)


def _config(path: Path | None) -> tuple[MonitorConfig, Path | None]:
    if path is None and Path(DEFAULT_PATH).is_file():
        path = Path(DEFAULT_PATH)
    return load_monitor_config(path)


def _locations(option: Path | None, config: MonitorConfig, config_path: Path | None) -> Locations:
    if option is not None:
        return load_locations(option)
    if config.locations is not None:
        base = config_path.parent if config_path is not None else Path()
        return load_locations(base / config.locations)
    return NOWHERE


def _sources(files: list[str] | None, fmt: str, config: MonitorConfig, base: Path | None) -> list[Source]:
    """The files given, else the config's [[sources]] (relative to the config file)."""
    check_format(fmt)
    if not files:
        if not config.sources:
            raise UsageError(
                "no log file given and no [[sources]] in the monitor config",
                hint=f"name the files, or list them in {DEFAULT_PATH}",
            )
        folder = base.parent if base is not None else Path()
        return [Source(e.path, e.format if fmt == "auto" else fmt, folder / e.path) for e in config.sources]
    if files.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    return [Source("-", fmt) if f == "-" else Source(f, fmt, Path(f)) for f in files]


def _threshold(fail_on: str) -> Severity | None:
    value = check_fail_on(fail_on)
    return None if value in (None, "none") else Severity(value)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Security events from logs (OWASP logging vocabulary), detections and a Prometheus exporter.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="monitor")

    @group.command("scan")
    def scan_command(
        files: list[str] | None = typer.Argument(
            None, help="Log files ('-' reads stdin; default: the sources listed in the monitor config)."
        ),
        log_format: str = LOG_FORMAT_OPTION,
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json (secloop.monitor/v1)."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="A detection at or above this severity fails the gate (or none)."
        ),
        strict: bool = typer.Option(
            False, "--strict", help="A malformed line is an error (exit 2), not a count."
        ),
        year: int | None = typer.Option(
            None, "--year", help="Year of the first classic syslog stamp (default: from the file's mtime)."
        ),
        metrics_file: Path | None = typer.Option(
            None,
            "--metrics-file",
            help="Also write the metrics in Prometheus text format (textfile collector).",
        ),
        config: Path | None = CONFIG_OPTION,
        locations: Path | None = LOCATIONS_OPTION,
    ) -> None:
        """Read logs, extract security events and run the detections over them.

        Files are merged in time order; each file's format is detected from its first lines unless
        --log-format is given. Classic syslog stamps carry no year: it comes from --year, else from
        the file's modification time (a stamp more than a day after it belongs to the year before).

        Exit codes: 0 no detection at or above --fail-on; 1 one fired; 2 usage error, malformed
        config, or (with --strict) a malformed line, named file:line; 3 internal error.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        threshold = _threshold(fail_on)
        cfg, cfg_path = _config(config)
        metrics = Metrics() if metrics_file is not None else None
        monitor = Monitor(cfg, _locations(locations, cfg, cfg_path), metrics=metrics)
        stats = Stats()
        sources = _sources(files, log_format, cfg, cfg_path)
        monitor.feed_all(read_all(sources, cfg, stats, strict=strict, year=year))
        report = monitor.report(stats)
        if metrics is not None and metrics_file is not None:
            metrics.lines_seen(stats.events, stats.ignored, stats.malformed)
            write_atomic(metrics_file, metrics.render())
        if fmt == "json":
            text = render_json(report, threshold)
            if output is not None:
                write_atomic(output, text)
            else:
                typer.echo(text, nl=False)
        elif output is not None:
            buffer = io.StringIO()
            render_terminal(
                report, threshold, Console(file=buffer, width=120, no_color=True, highlight=False)
            )
            write_atomic(output, buffer.getvalue())
        else:
            render_terminal(report, threshold, Console(highlight=False))
        if report.at_or_above(threshold):
            raise typer.Exit(EXIT_GATE_FAILED)

    @group.command("follow")
    def follow_command(
        files: list[str] | None = typer.Argument(
            None, help="Log files to follow (tail -F; default: the sources listed in the monitor config)."
        ),
        log_format: str = LOG_FORMAT_OPTION,
        fmt: str = typer.Option(
            "terminal", "--format", "-f", help="terminal (one line) or json (JSON lines)."
        ),
        from_start: bool = typer.Option(False, "--from-start", help="Read existing content first."),
        serve_metrics: str | None = typer.Option(
            None, "--serve-metrics", help="Serve /metrics on HOST:PORT (a bare PORT binds to 127.0.0.1)."
        ),
        interval: float = typer.Option(1.0, "--interval", min=0.05, help="Seconds between polls."),
        duration: float | None = typer.Option(None, "--duration", help="Stop after this many seconds."),
        config: Path | None = CONFIG_OPTION,
        locations: Path | None = LOCATIONS_OPTION,
    ) -> None:
        """Follow logs as they grow and print each incident when it opens and when it closes.

        Memory stays bounded however long it runs: windows expire, tracked keys are capped (LRU,
        `max_keys` in the config). Quiet incidents are closed on the wall clock too, so an attack
        that stops is closed even when the log goes silent.

        Exit codes: 0 stopped (Ctrl-C or --duration); 2 usage error or malformed config; 3 internal error.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        cfg, cfg_path = _config(config)
        sources = _sources(files, log_format, cfg, cfg_path)
        if any(source.path is None for source in sources):
            raise UsageError("follow reads files, not stdin", hint="use `secloop monitor scan -` for stdin")
        metrics = Metrics()

        def show(incident: Incident, action: str) -> None:
            if fmt == "json":
                typer.echo(json.dumps({"action": action, **incident_json(incident)}))
            else:
                typer.echo(notice(incident, action))

        monitor = Monitor(
            cfg,
            _locations(locations, cfg, cfg_path),
            metrics=metrics,
            on_open=lambda i: show(i, "opened"),
            on_close=lambda i: show(i, "closed"),
        )
        server = None
        if serve_metrics is not None:
            host, port = parse_listen(serve_metrics)
            server = serve(metrics, host, port)
            where = f"{host}:{server.server_address[1]}"
            note = "" if is_loopback(host) else " (not loopback: reachable from the network)"
            typer.echo(f"serving metrics on http://{where}/metrics{note}", err=True)
        stats = Stats()
        followers = [Follower(source, cfg, stats, from_start=from_start) for source in sources]
        deadline = time.monotonic() + duration if duration is not None else None
        try:
            while deadline is None or time.monotonic() < deadline:
                for follower in followers:
                    monitor.feed_all(follower.poll())
                metrics.lines_seen(stats.events, stats.ignored, stats.malformed)
                monitor.sweep(max(monitor.clock, time.time()))
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            for follower in followers:
                follower.close()
            if server is not None:
                server.shutdown()
                server.server_close()

    @group.command("detections")
    def detections_command(config: Path | None = CONFIG_OPTION) -> None:
        """List the detections with their effective thresholds (defaults merged with the config).

        Exit codes: 0 listed; 2 malformed config.
        """
        cfg, _ = _config(config)
        for name in DEFAULT_DETECTIONS:
            spec = cfg.detection(name)
            state = "on " if spec.enabled else "off"
            typer.echo(
                f"{name:<24} {state} {spec.severity:<8} threshold {spec.threshold:<4} window {spec.window}s "
                f"reset<{spec.reset_below} quiet {spec.quiet_for}s"
            )
