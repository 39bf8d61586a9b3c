"""`secloop hook …`: install git hooks and run them (pre-commit, pre-push, server-side pre-receive)."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import typer
from rich.console import Console

from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.secrets.push import HOOK_MARKER

HOOKS = ("pre-commit", "pre-push", "pre-receive")
MARKER = HOOK_MARKER
DEFAULT_TIMEOUT = 60.0


def hook_script(hook: str, extra: list[str]) -> str:
    """The hook file: runs this Python's secloop, so the hook works without secloop on PATH.

    It calls this module directly (`python -m secloop.cli.hook`): only the hook group is imported.
    """
    command = [sys.executable, "-m", "secloop.cli.hook", hook, *extra]
    return (
        "#!/bin/sh\n"
        f"{MARKER} {hook} (written by `secloop hook install`; delete this file to uninstall)\n"
        f'exec {shlex.join(command)} "$@"\n'
    )


def hooks_dir(repo: Path) -> Path:
    from secloop.secrets.gitio import run_git

    common = run_git(repo, "rev-parse", "--git-common-dir").decode().strip()
    path = Path(common)
    return (path if path.is_absolute() else (repo / path)).resolve() / "hooks"


def install(hook: str, repo: Path, force: bool, directory: Path | None, extra: list[str]) -> tuple[Path, str]:
    """Write the hook; returns its path and what happened (installed, updated, unchanged, replaced)."""
    if hook not in HOOKS:
        raise UsageError(f"unknown hook {hook!r}", hint=f"one of: {', '.join(HOOKS)}")
    folder = directory if directory is not None else hooks_dir(repo)
    target = folder / hook
    text = hook_script(hook, extra)
    state = "installed"
    if target.exists():
        current = target.read_text("utf-8", "replace")
        if current == text:
            return target, "unchanged"
        if MARKER in current:
            state = "updated"
        elif not force:
            raise UsageError(
                f"{target} exists and was not written by secloop",
                hint="chain it yourself, or pass --force (the old hook is kept as <hook>.secloop-backup)",
            )
        else:
            target.replace(target.with_name(f"{hook}.secloop-backup"))
            state = "replaced (old hook kept as .secloop-backup)"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{hook}.secloop-tmp")
    tmp.write_text(text, "utf-8")
    tmp.chmod(0o755)
    tmp.replace(target)
    return target, state


def _console() -> Console:
    return Console(file=sys.stderr, highlight=False)


def _pushed_refs(stdin_text: str, env: Mapping[str, str]) -> str:
    """git's pre-push lines; under the pre-commit framework, which keeps stdin to itself, the same
    line rebuilt from its PRE_COMMIT_* variables."""
    if stdin_text.strip() or not env.get("PRE_COMMIT_TO_REF"):
        return stdin_text
    local = env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    remote = env.get("PRE_COMMIT_REMOTE_BRANCH") or local
    old = env.get("PRE_COMMIT_FROM_REF") or "0" * 40
    return f"{local} {env['PRE_COMMIT_TO_REF']} {remote} {old}\n"


def _client_check(repo: Path, mode: str, stdin_text: str | None, remote: str | None) -> None:
    """pre-commit and pre-push: the same findings, baseline and inline allows as `scan secrets`."""
    from secloop.cli.secrets import _assessment, render_terminal, with_overrides
    from secloop.inputs import prepare
    from secloop.secrets.push import parse_pre_push, scan_push
    from secloop.secrets.scan import MAX_FILE_BYTES, get_engine, scan_staged

    prepared = prepare(repo, use_baseline=True)
    if not prepared.repo.is_git:
        raise UsageError(f"not a git repository: {repo}", hint="run the hook inside a git work tree")
    root = prepared.repo.root
    engine = get_engine()
    if mode == "pre-commit":
        result = scan_staged(root, engine, MAX_FILE_BYTES)
    else:
        updates = parse_pre_push(stdin_text or "")
        result = scan_push(root, engine, updates, ["--remotes"], MAX_FILE_BYTES, strict=False)
    assessment = _assessment(result, prepared, with_overrides(prepared.config, None, False))
    active = [f for f in assessment.findings if f.active]
    if active or assessment.skipped:
        render_terminal(assessment, result, 0.0, _console())
    if assessment.gate is not None and not assessment.gate.passed:
        where = f" to {remote}" if remote else ""
        typer.echo(
            f"secloop: {mode} blocked{where}: remove the secret (or mark a false positive with "
            "`secloop: ignore[RULE-ID] <reason>` on its line); `git {0} --no-verify` skips the check".format(
                "commit" if mode == "pre-commit" else "push"
            ),
            err=True,
        )
        raise typer.Exit(EXIT_GATE_FAILED)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Push protection: install git hooks and run them (pre-commit, pre-push, server pre-receive).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="hook")

    @group.command("install")
    def install_command(
        hook: str = typer.Argument(
            ..., help="pre-commit, pre-push or pre-receive (server, bare repository)."
        ),
        repo: Path = typer.Option(Path("."), "--repo", help="The repository (a work tree or a bare one)."),
        force: bool = typer.Option(
            False, "--force", help="Replace a hook secloop did not write (kept as backup)."
        ),
        hooks_directory: Path | None = typer.Option(
            None,
            "--hooks-dir",
            help="Write into this folder instead (GitLab custom_hooks/pre-receive.d, Gitea pre-receive.d).",
        ),
        audit_log: Path | None = typer.Option(
            None, "--audit-log", help="pre-receive: JSON-lines file that records break-glass pushes."
        ),
        timeout: float = typer.Option(
            DEFAULT_TIMEOUT,
            "--timeout",
            help="pre-receive: reject the push if the scan takes longer (seconds).",
        ),
        config: Path | None = typer.Option(
            None, "--config", help="pre-receive: a gitleaks configuration whose rules the hook uses."
        ),
        baseline_ref: str | None = typer.Option(
            None, "--baseline-ref", help="pre-receive: honour only this ref's baseline (refs/heads/main)."
        ),
    ) -> None:
        """Write a git hook that runs `secloop hook <name>`; running it again is a no-op.

        A hook secloop did not write is left alone unless --force. Exit codes: 0 written or unchanged;
        2 usage error (unknown hook, foreign hook, not a repository).
        """
        extra: list[str] = []
        if hook == "pre-receive":
            if audit_log is not None:
                extra += ["--audit-log", str(audit_log.resolve())]
            extra += ["--timeout", f"{timeout:g}"]
            if config is not None:
                extra += ["--config", str(config.resolve())]
            if baseline_ref is not None:
                extra += ["--baseline-ref", _full_ref(baseline_ref)]
        target, state = install(hook, repo, force, hooks_directory, extra)
        typer.echo(f"{hook} hook {state}: {target}")

    @group.command("pre-commit")
    def pre_commit_command(
        repo: Path = typer.Option(Path("."), "--repo", help="The repository whose index is checked."),
    ) -> None:
        """Scan the lines the staged change adds; exit 1 (blocking the commit) on an active secret.

        Exit codes: 0 clean; 1 a secret at or above the gate; 2 usage error; 3 internal error.
        """
        _client_check(repo, "pre-commit", None, None)

    @group.command("pre-push")
    def pre_push_command(
        remote: str | None = typer.Argument(None, help="The remote's name (git passes it)."),
        url: str | None = typer.Argument(None, help="The remote's URL (git passes it)."),
        repo: Path = typer.Option(Path("."), "--repo", help="The repository being pushed from."),
    ) -> None:
        """Scan the blobs of the commits being pushed (ref lines on stdin, as git gives them).

        Only objects no remote-tracking ref already has are read. Exit codes: 0 clean; 1 a secret at
        or above the gate (the push is stopped); 2 usage error; 3 internal error.
        """
        del url
        _client_check(repo, "pre-push", _pushed_refs(sys.stdin.read(), os.environ), remote)

    @group.command("pre-receive")
    def pre_receive_command(
        audit_log: Path | None = typer.Option(
            None,
            "--audit-log",
            envvar="SECLOOP_AUDIT_LOG",
            help="JSON-lines file for break-glass pushes; without it break-glass is refused.",
        ),
        timeout: float = typer.Option(
            DEFAULT_TIMEOUT,
            "--timeout",
            help="Reject the push when the scan takes longer (seconds; 0: none).",
        ),
        max_file_size: int = typer.Option(
            10_000_000, "--max-file-size", help="Larger blobs are not read (listed, the push goes on)."
        ),
        config: Path | None = typer.Option(
            None, "--config", help="A gitleaks configuration whose rules replace the built-in ones."
        ),
        baseline_ref: str | None = typer.Option(
            None,
            "--baseline-ref",
            envvar="SECLOOP_BASELINE_REF",
            help="Honour only the baseline of this full ref (a protected branch: refs/heads/main), "
            "whichever ref is pushed; default: the old tip of each pushed ref.",
        ),
    ) -> None:
        """Server hook: scan only the new blobs of the pushed commits and fail closed.

        Reads `<old> <new> <ref>` lines on stdin. A secret, an unreadable object, a timeout or any
        internal error rejects the push (exit 1). Inline `secloop: ignore[RULE-ID] <reason>` allows
        apply, and the baseline the server already holds (at the old tip), not one the push adds.
        Break-glass: `git push -o secloop.break-glass=<reason>`
        (the server needs receive.advertisePushOptions=true) or SECLOOP_BREAK_GLASS=<reason>; it needs
        a reason and an audit log, and is written there as one JSON line before the push is accepted.
        """
        from secloop.core.model import Finding
        from secloop.secrets.push import Judgement, RefUpdate, pre_receive, scan_push
        from secloop.secrets.scan import SecretsScan, get_engine

        root = Path(os.environ.get("GIT_DIR", "."))

        def scanner(updates: list[RefUpdate]) -> SecretsScan:
            from secloop.secrets.gitleaks import load_gitleaks_config

            rules = load_gitleaks_config(config).rules if config is not None else None
            return scan_push(root, get_engine(rules), updates, ["--all"], max_file_size, strict=True)

        if baseline_ref is None:
            verdict = pre_receive(root, sys.stdin.read(), os.environ, scanner, audit_log, timeout)
        else:
            ref = _full_ref(baseline_ref)

            def judge(r: Path, u: Sequence[RefUpdate], f: Sequence[Finding]) -> Judgement:
                from secloop.secrets.pushpolicy import judge_push

                return judge_push(r, u, f, ref)

            verdict = pre_receive(root, sys.stdin.read(), os.environ, scanner, audit_log, timeout, judge)
        for line in verdict.lines:
            typer.echo(line, err=True)
        if not verdict.accepted:
            raise typer.Exit(EXIT_GATE_FAILED)


def _full_ref(ref: str) -> str:
    """A full ref name: a short `main` could be matched by a tag `main` that any pusher can create."""
    if not ref.startswith("refs/") or any(c in ref for c in " ~^:?*[\\") or ".." in ref:
        raise UsageError(
            f"--baseline-ref must be a full ref name, got {ref!r}", hint="for example refs/heads/main"
        )
    return ref


def main(argv: list[str] | None = None) -> None:
    """`python -m secloop.cli.hook <hook> …`: what installed hook scripts run."""
    from secloop.cli.main import run_app

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    register(app)
    hook_app = app.registered_groups[0].typer_instance
    assert hook_app is not None
    run_app(hook_app, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
