"""`secloop scan secrets PATH`: secrets in the tree, given files, the staged change, a range, all history."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from secloop import __version__
from secloop.cli.options import FAIL_ON_OPTION, NO_BASELINE_OPTION, OUTPUT_OPTION, check_fail_on, check_format
from secloop.core.baseline import write_atomic
from secloop.core.config import Config
from secloop.core.enums import Stage, Status
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.core.model import Assessment, PracticeResult
from secloop.core.policy import apply_policy
from secloop.core.rules import RuleRegistry
from secloop.inputs import Prepared, prepare
from secloop.report.terminal import SEVERITY_STYLE
from secloop.secrets.gitleaks import load_gitleaks_config
from secloop.secrets.rules import RULES, SPECS, as_rule
from secloop.secrets.scan import (
    MAX_FILE_BYTES,
    SecretsScan,
    blob_cache,
    get_engine,
    scan_history,
    scan_paths,
    scan_staged,
    scan_tree,
)
from secloop.secrets.spec import SecretRule

FORMATS = ("terminal", "json", "sarif")


def with_overrides(config: Config, fail_on: str | None, audit: bool) -> Config:
    update: dict[str, object] = {}
    value = check_fail_on(fail_on)
    if value is not None:
        update["fail_on"] = value
    if audit:
        update["audit"] = True
    return config.model_copy(update=update) if update else config


PRACTICE = "code.secrets"
_RELATED_SHOWN = 5


def _mode(history: bool, staged: bool, since: str | None) -> str:
    chosen = [name for name, on in (("--history", history), ("--staged", staged), ("--since", since)) if on]
    if len(chosen) > 1:
        raise UsageError(
            f"{' and '.join(chosen)} cannot be combined",
            hint="--history scans all of history, --since REF the commits after REF, --staged the index",
        )
    return chosen[0].lstrip("-") if chosen else "tree"


def _rules(config: Path | None) -> tuple[SecretRule, ...]:
    if config is None:
        return SPECS
    return load_gitleaks_config(config).rules


def _scan(
    paths: list[Path],
    mode: str,
    since: str | None,
    rules: tuple[SecretRule, ...],
    max_bytes: int,
    use_baseline: bool,
    use_cache: bool = True,
    on_blob: Callable[[int, int], None] | None = None,
) -> tuple[SecretsScan, Prepared | None]:
    engine = get_engine(None if rules is SPECS else rules)
    if len(paths) == 1 and paths[0].is_dir():
        prepared = prepare(paths[0], use_baseline=use_baseline)
        root = prepared.repo.root
        if mode == "tree":
            return scan_tree(prepared.repo, engine, max_bytes), prepared
        if not prepared.repo.is_git:
            raise UsageError(
                f"--{mode} needs a git repository: {root}", hint="run it at the top of a git work tree"
            )
        if mode == "staged":
            return scan_staged(root, engine, max_bytes), prepared
        cache = blob_cache(engine, max_bytes) if use_cache else None
        since_ref = since if mode == "since" else None
        return scan_history(root, engine, since_ref, max_bytes, cache, on_blob=on_blob), prepared
    if mode != "tree":
        raise UsageError(
            f"--{mode} scans a repository: give one directory", hint="e.g. secloop scan secrets . --history"
        )
    items: list[tuple[str, bytes | None]] = []
    for path in paths:
        if str(path) == "-":
            items.append(("<stdin>", sys.stdin.buffer.read()))
        elif path.is_dir():
            raise UsageError(f"{path} is a directory", hint="give one directory alone, or files only")
        elif not path.exists():
            raise UsageError(
                f"path does not exist: {path}", hint="give existing files or a repository directory"
            )
        else:
            items.append((str(path), None))
    return scan_paths(items, engine, max_bytes), None


def _assessment(scan: SecretsScan, prepared: Prepared | None, config: Config) -> Assessment:
    findings = scan.findings
    status = Status.FAIL if findings else Status.PASS
    summary = f"{len(findings)} secret(s) found" if findings else "no secret found"
    result = PracticeResult(
        PRACTICE, Stage.CODE, status, 0 if findings else 100, summary, (), findings, scan.skipped
    )
    repo = prepared.repo if prepared else None

    def read_line(rel: str, number: int) -> str | None:
        text = repo.read_text(rel) if repo is not None else _read_file(rel)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else None

    outcome = apply_policy(
        [result],
        config,
        read_line=read_line,
        suppressions=prepared.suppressions if prepared else (),
        baseline=prepared.baseline if prepared else None,
        today=date.today(),
        rank=lambda _r: None,
    )
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        created = datetime.fromtimestamp(int(epoch), tz=UTC)
    else:
        head_time = repo.head_time() if repo is not None else None
        created = head_time or datetime.now(tz=UTC).replace(microsecond=0)
    skipped = tuple(s for r in outcome.results for s in r.skipped) + outcome.notes
    return Assessment(
        target=repo.root.name if repo else scan.target,
        commit=repo.head() if repo else None,
        created_at=created,
        tool_version=__version__,
        config_digest=config.digest(),
        results=outcome.results,
        skipped=tuple(sorted(set(skipped), key=lambda s: (s.path, s.line or 0, s.reason))),
        gate=outcome.gate,
    )


def _read_file(rel: str) -> str | None:
    try:
        return Path(rel).read_text("utf-8", "replace")
    except OSError:
        return None


def render_terminal(assessment: Assessment, scan: SecretsScan, seconds: float, console: Console) -> None:
    findings = assessment.findings
    for f in findings:
        line = Text()
        line.append(f"{f.severity.value:<8}", style=SEVERITY_STYLE[f.severity.value])
        line.append(f" {f.rule_id} ", style="bold")
        if f.primary:
            line.append(f"{f.primary} ", style="blue")
        line.append(f.message)
        verified = dict(f.properties).get("verified")
        if verified is not None:
            line.append(f"  [verified: {verified}]", style="bold red" if verified == "true" else "dim")
        if f.suppression is not None:
            line.append(f"  [suppressed ({f.suppression.kind}): {f.suppression.reason}]", style="dim")
        elif not f.active:
            line.append("  [in baseline]", style="dim")
        console.print(line, overflow="fold")
        if f.primary and f.primary.snippet:
            console.print(Text(f"         {f.primary.snippet}", style="dim"), overflow="fold")
        for loc in f.locations[1 : 1 + _RELATED_SHOWN]:
            where = f"{loc}" + (f" @ {loc.commit[:12]}" if loc.commit else "")
            console.print(Text(f"         also: {where}", style="dim"), overflow="fold")
        if len(f.locations) > 1 + _RELATED_SHOWN:
            console.print(Text(f"         … {len(f.locations) - 1 - _RELATED_SHOWN} more", style="dim"))
    for s in assessment.skipped:
        where = s.path + (f":{s.line}" if s.line is not None else "")
        console.print(Text(f"not checked: {where}: {s.reason}", style="magenta"), overflow="fold")
    if scan.fallback:
        console.print(Text(f"rules run without Hyperscan: {', '.join(scan.fallback)}", style="dim"))
    active = sum(1 for f in findings if f.active)
    console.print(
        Text(
            f"{active} active secret(s), {len(findings) - active} suppressed or in baseline; "
            f"{scan.scanned} {'blobs' if 'history' in scan.target or 'staged' in scan.target else 'files'} "
            f"({scan.scanned_bytes / 1_000_000:.1f} MB) in {seconds:.2f} s",
            style="bold red" if active else "bold green",
        )
    )
    gate = assessment.gate
    if gate is not None and not gate.passed:
        console.print(Text("gate: FAILED — " + "; ".join(gate.reasons), style="bold red"))


def render(assessment: Assessment, fmt: str, rules: tuple[SecretRule, ...]) -> str:
    """JSON or SARIF, with only the secrets rules: importing every engine's registry would cost more
    than an incremental scan itself (the renderers describe only the rules that have findings)."""
    from secloop.practices.catalog import load_catalog
    from secloop.report import json_v1, sarif
    from secloop.report.interface import RenderInput

    registry = RuleRegistry(RULES)
    for spec in rules:
        if spec.id not in registry:
            registry.add(as_rule(spec))
    renderer = json_v1.render if fmt == "json" else sarif.render
    return renderer(RenderInput(assessment, registry, load_catalog()))


@contextmanager
def progress(mode: str) -> Iterator[Callable[[int, int], None] | None]:
    """A live count of blobs and bytes on stderr for history scans, only when stderr is a terminal.

    The report goes to stdout (or --output), so JSON and SARIF never see it.
    """
    if mode not in ("history", "since") or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("scanning history: {task.fields[blobs]} blobs, {task.fields[mb]:.1f} MB"),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    task = bar.add_task("history", total=None, blobs=0, mb=0.0)
    last = [0.0]

    def update(blobs: int, size: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:  # refreshing per blob would cost more than the scan of small blobs
            last[0] = now
            bar.update(task, blobs=blobs, mb=size / 1_000_000)

    with bar:
        yield update


def verify(
    result: SecretsScan, prepared: Prepared | None, rules: tuple[SecretRule, ...], settings_file: Path | None
) -> SecretsScan:
    """Opt-in: ask the providers whether each found credential works (see secloop.secrets.verify)."""
    from secloop.secrets.gitio import run_git
    from secloop.secrets.verify import Verifier, load_settings, verify_findings

    root = prepared.repo.root if prepared is not None else None
    if settings_file is None and root is not None:
        settings_file = root / ".secloop" / "verify.toml"
    settings = load_settings(settings_file)

    def read(path: str, blob: str | None) -> bytes | None:
        try:
            if blob is not None and root is not None:
                return run_git(root, "cat-file", "blob", blob)
            return (root / path if root is not None else Path(path)).read_bytes()
        except (OSError, UsageError):
            return None

    engine = get_engine(None if rules is SPECS else rules)
    return replace(result, findings=verify_findings(result.findings, engine, read, Verifier(settings)))


def register(scan: typer.Typer) -> None:
    @scan.command("secrets")
    def secrets_command(
        paths: list[Path] = typer.Argument(
            None, help="A repository directory (default: .), or files; '-' reads standard input."
        ),
        history: bool = typer.Option(False, "--history", help="Scan every unique blob of all history once."),
        staged: bool = typer.Option(
            False, "--staged", help="Scan the lines the staged change adds (pre-commit)."
        ),
        since: str | None = typer.Option(
            None,
            "--since",
            metavar="REF",
            help="Scan the blobs of the commits after REF up to HEAD (pre-push, CI).",
        ),
        fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMATS)}."),
        output: Path | None = OUTPUT_OPTION,
        config: Path | None = typer.Option(
            None,
            "--config",
            help="A gitleaks configuration (gitleaks.toml) whose rules and allowlists are used.",
        ),
        fail_on: str | None = FAIL_ON_OPTION,
        audit: bool = typer.Option(False, "--audit", help="Audit mode: ignore inline suppressions."),
        no_baseline: bool = NO_BASELINE_OPTION,
        max_file_size: int = typer.Option(
            MAX_FILE_BYTES,
            "--max-file-size",
            help="Files and blobs larger than this many bytes are skipped (and listed).",
        ),
        no_cache: bool = typer.Option(
            False,
            "--no-cache",
            help="History scans: read every blob again instead of reusing the scanned-blob cache.",
        ),
        live: bool = typer.Option(
            False,
            "--verify",
            help="Ask the provider whether each credential works (network; allowlisted endpoints only).",
        ),
        verify_config: Path | None = typer.Option(
            None,
            "--verify-config",
            help="Verification settings (allowlist, base URLs, timeout, rate); default .secloop/verify.toml.",
        ),
    ) -> None:
        """Find secrets (tokens, keys, passwords) and report each once, redacted, with every location.

        Exit codes: 0 no active secret at or above the gate; 1 the gate failed; 2 usage or input error;
        3 internal error.
        """
        check_format(fmt, FORMATS)
        mode = _mode(history, staged, since)
        rules = _rules(config)
        started = time.perf_counter()
        with progress(mode) as on_blob:
            result, prepared = _scan(
                list(paths or [Path(".")]),
                mode,
                since,
                rules,
                max_file_size,
                not no_baseline,
                not no_cache,
                on_blob,
            )
        if live:
            result = verify(result, prepared, rules, verify_config)
        settings = with_overrides(prepared.config if prepared else Config(), fail_on, audit)
        assessment = _assessment(result, prepared, settings)
        seconds = time.perf_counter() - started
        if fmt == "terminal":
            if output is not None:
                buffer = io.StringIO()
                render_terminal(assessment, result, seconds, Console(file=buffer, width=120, no_color=True))
                write_atomic(output, buffer.getvalue())
            else:
                render_terminal(assessment, result, seconds, Console(highlight=False))
        else:
            text = render(assessment, fmt, rules)
            if output is not None:
                write_atomic(output, text)
            else:
                typer.echo(text, nl=False)
        if assessment.gate is not None and not assessment.gate.passed:
            raise typer.Exit(EXIT_GATE_FAILED)
