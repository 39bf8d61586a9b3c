"""The matcher: one Hyperscan database over every rule, then exact confirmation with Python `re`.

Hyperscan reports where each rule's pattern ends; the engine re-runs that rule's Python regex on the
lines around the end (the rule's `span` widens that for multi-line rules), takes the `secret` group
and applies entropy, allowlists and the shared noise controls. Patterns Hyperscan cannot compile are
compiled with HS_FLAG_PREFILTER (a superset, confirmed by `re` anyway); those it still rejects are
run with `re` alone, on buffers that contain one of their keywords (`Engine.fallback` lists them).

Compiling the database takes seconds, so it is serialised under the user cache directory, keyed by
the hash of the patterns and the Hyperscan version, and loaded in milliseconds by later processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import hyperscan

from secloop.secrets.decode import TRIGGERS, decoded_runs
from secloop.secrets.noise import placeholder_reason, shannon_entropy
from secloop.secrets.spec import SECRET_GROUP, SecretRule

MAX_DEPTH = 2
_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")
_NAMED_BACKREF = re.compile(r"\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)")
_LEADING_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")
_WIDE_REPEAT = re.compile(r"(?<!\\)\{(\d+),(\d+)\}\??")
_HS_MAX_BOUND = 256
_BASE_FLAGS = hyperscan.HS_FLAG_MULTILINE
_CACHE_FORMAT = "1"


@dataclass(frozen=True, slots=True)
class Hit:
    """A confirmed secret: byte offsets into the scanned buffer (of the encoded run when decoded)."""

    rule: SecretRule
    secret: str
    start: int
    end: int
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class _Compiled:
    spec: SecretRule
    pattern: re.Pattern[bytes]
    groups: tuple[int, ...]
    allow: tuple[re.Pattern[str], ...]
    context_allow: tuple[re.Pattern[str], ...]


def hyperscan_expression(regex: str) -> tuple[bytes, int]:
    """The rule's regex in Hyperscan's dialect: no group names, leading inline flags as HS flags."""
    flags = _BASE_FLAGS
    expression = regex
    leading = _LEADING_FLAGS.match(expression)
    if leading:
        letters = leading.group(1)
        if "i" in letters:
            flags |= hyperscan.HS_FLAG_CASELESS
        if "s" in letters:
            flags |= hyperscan.HS_FLAG_DOTALL
        expression = expression[leading.end() :]
    names = re.compile(expression).groupindex
    expression = _NAMED_BACKREF.sub(lambda m: f"\\{names[m.group(1)]}", expression)
    expression = _NAMED_GROUP.sub("(", expression)
    # Large bounded repeats make Hyperscan slow to compile or refuse the pattern; an open repeat is
    # a superset, and `re` confirms the exact bound anyway.
    expression = _WIDE_REPEAT.sub(
        lambda m: m.group(0) if int(m.group(2)) <= _HS_MAX_BOUND else "{" + m.group(1) + ",}", expression
    )
    return expression.encode("utf-8"), flags


def _compile_one(expression: bytes, flags: int) -> bool:
    try:
        hyperscan.Database().compile(expressions=[expression], ids=[0], elements=1, flags=[flags])
    except hyperscan.error:
        return False
    return True


def _python_pattern(spec: SecretRule) -> tuple[re.Pattern[bytes], tuple[int, ...]]:
    """The rule's pattern and the groups that may hold the secret, in order of preference."""
    pattern = re.compile(spec.regex.encode("utf-8"), re.MULTILINE)
    if spec.secret_group:
        return pattern, (spec.secret_group,)
    groups = tuple(sorted(i for name, i in pattern.groupindex.items() if SECRET_GROUP.match(name)))
    # Without a named secret group, the first group that took part in the match holds the secret.
    return pattern, groups or tuple(range(1, pattern.groups + 1))


def _hyperscan_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperscan")
    except PackageNotFoundError:
        return "unknown"


def default_cache_dir() -> Path:
    from secloop.secrets.cache import cache_dir

    return cache_dir()


class Engine:
    """Compiled rules, ready to scan byte buffers. Build one per process and reuse it."""

    def __init__(self, rules: Sequence[SecretRule], cache_dir: Path | None = None) -> None:
        if not rules:
            raise ValueError("the secrets engine needs at least one rule")
        self.rules = tuple(rules)
        self._rank = {spec.id: index for index, spec in enumerate(self.rules)}
        # Python patterns are compiled on a rule's first candidate: most rules never see one in a scan.
        self._compiled: list[_Compiled | None] = [None] * len(self.rules)
        self._triggers = sorted(TRIGGERS)
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.plan: dict[str, str] = {}
        self._keyword_owner: list[int] = []
        self.database = self._load_or_build()
        self.database.scratch = hyperscan.Scratch(self.database)

    # -- the database ------------------------------------------------------------------------

    @property
    def fallback(self) -> tuple[str, ...]:
        """Ids of the rules Hyperscan could not compile at all: they run with `re` on keyword hits."""
        return tuple(sorted(rule_id for rule_id, how in self.plan.items() if how == "re"))

    def _key(self) -> str:
        h = hashlib.sha256()
        h.update(f"{_CACHE_FORMAT}\x00{_hyperscan_version()}\x00".encode())
        for kind in self._triggers:
            h.update(TRIGGERS[kind] + b"\x00")
        for spec in self.rules:
            h.update(spec.regex.encode())
            h.update(b"\x00")
            h.update("\x1f".join(spec.keywords).encode())
            h.update(b"\x00")
        return h.hexdigest()[:32]

    def _load_or_build(self) -> hyperscan.Database:
        key = self._key()
        db_path = self.cache_dir / f"secrets-{key}.hsdb"
        plan_path = self.cache_dir / f"secrets-{key}.json"
        try:
            plan = json.loads(plan_path.read_text("utf-8"))
            database = hyperscan.loadb(db_path.read_bytes(), hyperscan.HS_MODE_BLOCK)
        except (OSError, ValueError, hyperscan.error):
            database, plan = self._build()
            self._store(db_path, hyperscan.dumpb(database))
            self._store(plan_path, json.dumps(plan, sort_keys=True).encode())
        self.plan = {str(k): str(v) for k, v in plan["rules"].items()}
        self._keyword_owner = [int(i) for i in plan["keyword_owner"]]
        return database

    def _build(self) -> tuple[hyperscan.Database, dict[str, object]]:
        expressions: list[bytes] = []
        ids: list[int] = []
        flags: list[int] = []
        rules_plan: dict[str, str] = {}
        keyword_owner: list[int] = []
        fallback_keywords: list[tuple[int, str]] = []
        for index, spec in enumerate(self.rules):
            expression, flag = hyperscan_expression(spec.regex)
            if _compile_one(expression, flag):
                rules_plan[spec.id] = "hyperscan"
            elif _compile_one(expression, flag | hyperscan.HS_FLAG_PREFILTER):
                rules_plan[spec.id] = "hyperscan-prefilter"
                flag |= hyperscan.HS_FLAG_PREFILTER
            else:
                rules_plan[spec.id] = "re"
                fallback_keywords += [(index, k) for k in spec.keywords] or [(index, "")]
                continue
            expressions.append(expression)
            ids.append(index)
            flags.append(flag)
        base = len(self.rules)
        for offset, kind in enumerate(self._triggers):
            expressions.append(TRIGGERS[kind])
            ids.append(base + offset)
            flags.append(_BASE_FLAGS | hyperscan.HS_FLAG_SINGLEMATCH)
        base += len(self._triggers)
        for offset, (index, keyword) in enumerate(fallback_keywords):
            # A fallback rule without keywords runs on every buffer: its empty keyword is "." (any byte).
            literal = re.escape(keyword).encode() if keyword else rb"[\s\S]"
            expressions.append(literal)
            ids.append(base + offset)
            flags.append(_BASE_FLAGS | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS)
            keyword_owner.append(index)
        database = hyperscan.Database()
        database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        return database, {"rules": rules_plan, "keyword_owner": keyword_owner}

    @staticmethod
    def _store(path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs the next process a recompilation

    # -- scanning ----------------------------------------------------------------------------

    def _prefer_specific(self, hits: list[Hit]) -> list[Hit]:
        """One hit per secret span: a provider rule beats a generic one; among generic rules, the
        rule of a named format (connection strings, .npmrc) beats the catch-all assignments."""
        if not any(h.rule.generic for h in hits):
            return hits
        ordered = sorted(
            hits, key=lambda h: (h.rule.generic, h.rule.family == "generic", self._rank[h.rule.id])
        )
        kept: list[Hit] = []
        for hit in ordered:
            if hit.rule.generic and any(k.start < hit.end and hit.start < k.end for k in kept):
                continue
            kept.append(hit)
        return sorted(kept, key=lambda h: (h.start, self._rank[h.rule.id]))

    def scan(self, data: bytes, depth: int = 0) -> list[Hit]:
        """Every confirmed secret in data, decoding base64/hex/percent runs down to MAX_DEPTH levels."""
        ends: defaultdict[int, list[int]] = defaultdict(list)

        def on_match(ident: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            ends[ident].append(end)

        self.database.scan(data, match_event_handler=on_match)
        if not ends:
            return []
        hits: list[Hit] = []
        base = len(self.rules)
        triggered: set[str] = set()
        full: set[int] = set()
        for ident, positions in ends.items():
            if ident < base:
                hits += self._confirm(self._rule(ident), data, positions)
            elif ident < base + len(self._triggers):
                triggered.add(self._triggers[ident - base])
            else:
                full.add(self._keyword_owner[ident - base - len(self._triggers)])
        for index in sorted(full):
            hits += self._confirm(self._rule(index), data, None)
        if triggered and depth < MAX_DEPTH:
            for run in decoded_runs(data, triggered):
                for inner in self.scan(run.data, depth + 1):
                    encoding = run.encoding if inner.encoding is None else f"{run.encoding}>{inner.encoding}"
                    hits.append(Hit(inner.rule, inner.secret, run.start, run.end, encoding))
        return self._prefer_specific(hits)

    def _rule(self, index: int) -> _Compiled:
        compiled = self._compiled[index]
        if compiled is None:
            spec = self.rules[index]
            pattern, groups = _python_pattern(spec)
            allow = tuple(re.compile(a) for a in spec.allowlist)
            context = tuple(re.compile(a) for a in spec.context_allowlist)
            compiled = self._compiled[index] = _Compiled(spec, pattern, groups, allow, context)
        return compiled

    def _confirm(self, compiled: _Compiled, data: bytes, ends: list[int] | None) -> list[Hit]:
        regions = [(0, len(data))] if ends is None else _regions(data, ends, compiled.spec.span)
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        for start, stop in regions:
            for match in compiled.pattern.finditer(data, start, stop):
                group = next((g for g in compiled.groups if match.start(g) >= 0), 0)
                if group == 0 and compiled.groups and compiled.spec.secret_group:
                    continue
                span = (match.start(group), match.end(group))
                if span in seen or span[0] == span[1]:
                    continue
                seen.add(span)
                secret = match.group(group).decode("utf-8", "replace")
                context = match.group(0).decode("utf-8", "replace")
                if self.accept(compiled, secret, context):
                    hits.append(Hit(compiled.spec, secret, span[0], span[1]))
        return hits

    @staticmethod
    def accept(compiled: _Compiled, secret: str, context: str) -> bool:
        spec = compiled.spec
        if spec.entropy is not None and shannon_entropy(secret) < spec.entropy:
            return False
        if spec.noise and placeholder_reason(secret) is not None:
            return False
        lowered = secret.lower()
        if any(word in lowered for word in spec.stopwords):
            return False
        if any(a.search(secret) for a in compiled.allow):
            return False
        return not any(a.search(context) for a in compiled.context_allow)


def _regions(data: bytes, ends: list[int], span: int) -> list[tuple[int, int]]:
    """Merged [line start, line end) regions around each match end, widened by span bytes backwards."""
    raw: list[tuple[int, int]] = []
    size = len(data)
    for end in sorted(set(ends)):
        last = max(end - 1, 0)
        start = data.rfind(b"\n", 0, max(last - span, 0)) + 1
        stop = data.find(b"\n", end)
        raw.append((start, size if stop < 0 else stop))
    merged: list[tuple[int, int]] = []
    for start, stop in raw:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged
