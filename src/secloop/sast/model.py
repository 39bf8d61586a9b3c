"""What a SAST scan returns."""

from __future__ import annotations

from dataclasses import dataclass

from secloop.core.model import Finding, Skipped


@dataclass(frozen=True, slots=True)
class SastScan:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    files: tuple[str, ...] = ()  # the Python files checked
    engines: tuple[str, ...] = ()  # e.g. ("bandit 1.9.4", "secloop-taint")
    web_files: tuple[str, ...] = ()  # files that import Flask, Django, FastAPI or Starlette
    notes: tuple[str, ...] = ()  # e.g. "Semgrep not run: semgrep not installed"
