"""Rules raised by the feature-toggles practice from a secloop flags file."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

FLAG_INVALID = Rule(
    id="FLAG-INVALID",
    title="The flags file does not validate",
    stage=Stage.DEPLOY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    description=(
        "The repository's flags file (flags.yaml or .secloop/flags.yaml) has a problem: an unknown key, "
        "operator, strategy or flag type, a missing owner or creation date, a value that does not parse. "
        "A flag service or SDK fed from it would refuse it, or worse, evaluate a flag differently than "
        "its author meant."
    ),
    fix="Run `secloop flags validate` and fix each problem at the file:line it names.",
    tags=("feature-flags",),
)

FLAG_STALE = Rule(
    id="FLAG-STALE",
    title="A feature flag is stale: past its type's lifetime or rolled out to everyone",
    stage=Stage.DEPLOY,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "A release or experiment flag older than 40 days, an operational flag older than 7 (Unleash's "
        "expected lifetimes), or a flag that is on for everyone in every environment. Each such flag "
        "keeps two code paths alive, one of them untested in production: technical debt that grows "
        "with every flag left behind."
    ),
    fix=(
        "Remove the flag and the code path it switched off, keeping the winning one; or, if it is meant "
        "to stay, change its type to kill-switch or permission."
    ),
    cwe=(1164,),
    tags=("feature-flags", "technical-debt"),
)

FLAG_UNREFERENCED = Rule(
    id="FLAG-UNREFERENCED",
    title="A feature flag is declared but no code reads it",
    stage=Stage.DEPLOY,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    description=(
        "No file of the repository other than the flags file mentions the flag's name: the code that "
        "read it is gone (or reads it under another name), so switching it does nothing."
    ),
    fix="Delete the flag from the flags file, or fix the name the code asks for.",
    cwe=(561,),
    tags=("feature-flags", "technical-debt"),
)

RULES: tuple[Rule, ...] = (FLAG_INVALID, FLAG_STALE, FLAG_UNREFERENCED)
