"""Work items from an issue tracker's export, typed as features, defects, risks or debts by rules.

Readers: a Jira CSV export ("Issue key", "Issue Type", "Summary", "Created", "Resolved", every
"Labels" column; a "Start date"/"Started" column when there is one), a plain CSV
(id,type,labels,title,created,started,done), the GitHub issues REST list (JSON array of issues:
number, title, labels, created_at, closed_at; pull requests are left out) and the GitLab issues API
list (iid, title, labels, created_at, closed_at).

Typing: the first rule that matches decides (labels and issue types as case-insensitive globs, or a
title pattern); an item no rule matches is reported as unmapped and not counted, because guessing
"feature" would hide exactly the risk and debt work the 20% check is about.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, Place
from secloop.delivery.model import WorkItem, WorkType

FORMATS = ("jira-csv", "csv", "github-issues", "gitlab-issues")


@dataclass(frozen=True, slots=True)
class Rule:
    work_type: WorkType
    labels: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    title: re.Pattern[str] | None = None

    def matches(self, labels: Sequence[str], issue_type: str | None, title: str | None) -> bool:
        lowered = [label.lower() for label in labels]
        if any(fnmatch.fnmatchcase(label, glob) for glob in self.labels for label in lowered):
            return True
        if issue_type and any(fnmatch.fnmatchcase(issue_type.lower(), glob) for glob in self.issue_types):
            return True
        return bool(title and self.title is not None and self.title.search(title))


def _rule(work_type: WorkType, labels: str = "", types: str = "", title: str | None = None) -> Rule:
    return Rule(
        work_type,
        tuple(labels.split()),
        tuple(types.split()),
        re.compile(title, re.IGNORECASE) if title else None,
    )


# Risk before defect: a security bug is risk work (Flow Framework: security, compliance, governance).
DEFAULT_RULES: tuple[Rule, ...] = (
    _rule(
        WorkType.RISK, "security* vulnerab* cve* compliance* risk* privacy* gdpr* audit*", "security* risk*"
    ),
    _rule(WorkType.DEBT, "*debt* refactor* chore* cleanup* maintenance* upgrade* deprecat*", "*debt* chore"),
    _rule(WorkType.DEFECT, "bug* defect* regression* incident* hotfix*", "bug defect incident problem"),
    _rule(
        WorkType.FEATURE,
        "feature* enhancement* story* epic* improvement*",
        "story feature epic improvement new*",
    ),
)


@dataclass(frozen=True, slots=True)
class RawItem:
    id: str
    issue_type: str | None
    labels: tuple[str, ...]
    title: str | None
    created: datetime
    started: datetime | None
    done: datetime | None
    origin: str


@dataclass(frozen=True)
class Typed:
    items: tuple[WorkItem, ...]
    unmapped: tuple[RawItem, ...]


def load_rules(path: Path) -> tuple[Rule, ...]:
    """`[[rule]]` tables: type = "risk", labels = ["security", "cve-*"], issue_types = [...],
    title = "regex"."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the mapping: {exc.strerror}", place=Place(str(path))) from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+), column (\d+)", str(exc))
        line, column = (int(found[1]), int(found[2])) if found else (None, None)
        raise InputError(
            f"not valid TOML: {str(exc).split(' (at')[0]}", place=Place(str(path), line, column)
        ) from None
    rules: list[Rule] = []
    for index, entry in enumerate(data.get("rule", []), 1):
        where = Place(str(path))
        if not isinstance(entry, dict):
            raise InputError(f"rule {index}: expected a table", place=where)
        try:
            work_type = WorkType(str(entry.get("type", "")).lower())
        except ValueError:
            raise InputError(
                f"rule {index}: type {entry.get('type')!r} is not one of feature, defect, risk, debt",
                place=where,
            ) from None
        try:
            title = re.compile(str(entry["title"]), re.IGNORECASE) if "title" in entry else None
        except re.error as exc:
            raise InputError(f"rule {index}: title is not a valid pattern: {exc}", place=where) from None
        labels = tuple(str(v).lower() for v in entry.get("labels", []))
        types = tuple(str(v).lower() for v in entry.get("issue_types", []))
        if not (labels or types or title):
            raise InputError(f"rule {index}: give labels, issue_types or title", place=where)
        rules.append(Rule(work_type, labels, types, title))
    if not rules:
        raise InputError(
            "no [[rule]] tables",
            place=Place(str(path), 1),
            hint='[[rule]]\ntype = "risk"\nlabels = ["security"]',
        )
    return tuple(rules)


def classify(item: RawItem, rules: Sequence[Rule]) -> WorkType | None:
    return next((r.work_type for r in rules if r.matches(item.labels, item.issue_type, item.title)), None)


def typed(raw: Iterable[RawItem], rules: Sequence[Rule] = DEFAULT_RULES) -> Typed:
    items: list[WorkItem] = []
    unmapped: list[RawItem] = []
    for item in raw:
        work_type = classify(item, rules)
        if work_type is None:
            unmapped.append(item)
            continue
        items.append(
            WorkItem(item.id, work_type, item.created, item.started, item.done, item.title, item.origin)
        )
    return Typed(tuple(items), tuple(unmapped))


# -- readers --------------------------------------------------------------------------------------

_JIRA_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M")


def parse_time(value: str) -> datetime:
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for form in _JIRA_FORMATS:
            try:
                moment = datetime.strptime(text, form)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"not a date or time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _optional_time(value: str | None) -> datetime | None:
    return parse_time(value) if value and value.strip() else None


def _csv_rows(path: Path) -> Iterable[tuple[int, list[str], list[str]]]:
    """(line, header, row) of a CSV file, the line of each row's start."""
    text = path.read_text("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("empty CSV file", place=Place(str(path), 1)) from None
    line = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            yield line, header, row
        line = reader.line_num + 1


def _column(header: list[str], *names: str) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def read_jira_csv(path: Path) -> list[RawItem]:
    items: list[RawItem] = []
    for line, header, row in _csv_rows(path):
        key, kind = _column(header, "issue key"), _column(header, "issue type")
        created = _column(header, "created")
        if key is None or created is None:
            raise InputError(
                "a Jira export needs the columns 'Issue key' and 'Created'", place=Place(str(path), 1)
            )
        cell = dict(enumerate(row))
        label_columns = [i for i, h in enumerate(header) if h.strip().lower() == "labels"]
        started = _column(header, "start date", "started", "in progress")
        done = _column(header, "resolved", "done")
        summary = _column(header, "summary")
        try:
            items.append(
                RawItem(
                    id=cell.get(key, "").strip(),
                    issue_type=cell.get(kind, "").strip() or None if kind is not None else None,
                    labels=tuple(cell[i].strip() for i in label_columns if cell.get(i, "").strip()),
                    title=cell.get(summary, "").strip() or None if summary is not None else None,
                    created=parse_time(cell.get(created, "")),
                    started=_optional_time(cell.get(started)) if started is not None else None,
                    done=_optional_time(cell.get(done)) if done is not None else None,
                    origin=f"{path.name}:{line}",
                )
            )
        except ValueError as exc:
            raise InputError(str(exc), place=Place(str(path), line)) from None
    return items


def _cell(header: list[str], row: list[str], name: str) -> str:
    index = _column(header, name)
    return row[index].strip() if index is not None and index < len(row) else ""


def read_plain_csv(path: Path) -> list[RawItem]:
    items: list[RawItem] = []
    for line, header, row in _csv_rows(path):
        if _column(header, "id") is None or _column(header, "created") is None:
            raise InputError("the CSV needs the columns id and created", place=Place(str(path), 1))

        def get(name: str, header: list[str] = header, row: list[str] = row) -> str:
            return _cell(header, row, name)

        try:
            items.append(
                RawItem(
                    id=get("id"),
                    issue_type=get("type") or None,
                    labels=tuple(p.strip() for p in re.split(r"[;,|]", get("labels")) if p.strip()),
                    title=get("title") or None,
                    created=parse_time(get("created")),
                    started=_optional_time(get("started")),
                    done=_optional_time(get("done")),
                    origin=f"{path.name}:{line}",
                )
            )
        except ValueError as exc:
            raise InputError(str(exc), place=Place(str(path), line)) from None
    return items


def _json_array(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", place=Place(str(path), exc.lineno, exc.colno)
        ) from None
    if not isinstance(data, list):
        raise InputError(
            "expected a JSON array of issues (the API's list response)", place=Place(str(path), 1)
        )
    return data


def _label_names(labels: Any) -> tuple[str, ...]:
    names = (label.get("name") if isinstance(label, dict) else label for label in labels or ())
    return tuple(str(n) for n in names if n)


def _issue_type(issue: dict[str, Any]) -> str | None:
    """GitHub's issue types (`type.name`) or GitLab's `issue_type` (issue, incident, test_case, task)."""
    kind = issue.get("type")
    if isinstance(kind, dict):
        return str(kind.get("name")) if kind.get("name") else None
    value = issue.get("issue_type")
    return str(value) if value else None


def read_issues(path: Path, platform: str) -> list[RawItem]:
    id_key = "number" if platform == "github" else "iid"
    items: list[RawItem] = []
    for index, issue in enumerate(_json_array(path)):
        if not isinstance(issue, dict) or (platform == "github" and "pull_request" in issue):
            continue
        try:
            items.append(
                RawItem(
                    id=f"#{issue[id_key]}",
                    issue_type=_issue_type(issue),
                    labels=_label_names(issue.get("labels")),
                    title=issue.get("title"),
                    created=parse_time(str(issue["created_at"])),
                    started=None,
                    done=_optional_time(issue.get("closed_at")),
                    origin=f"{path.name}[{index}]",
                )
            )
        except (KeyError, ValueError) as exc:
            raise InputError(f"issue {index}: {exc}", place=Place(str(path))) from None
    return items


def read_items(path: Path, fmt: str) -> list[RawItem]:
    try:
        if fmt == "jira-csv":
            return read_jira_csv(path)
        if fmt == "csv":
            return read_plain_csv(path)
        if fmt in ("github-issues", "gitlab-issues"):
            return read_issues(path, fmt.split("-")[0])
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", place=Place(str(path))) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", place=Place(str(path))) from None
    raise InputError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
