"""Mitigations verified by the store: the latest assessment saved for a repository (`check --db`).

`secloop assess`, `secloop org scan` and the server's workers save each assessment with its whole
`secloop.assessment/v1` document. That document is read exactly as a `--report` file is, so a
mitigation gets the same verdict whichever way the assessment arrives. Then the triage kept in the
store (per repository and finding fingerprint) applies, as on the server's findings page: a finding
triaged false-positive or fixed is not active; an accepted risk leaves the mitigation unverified,
saying until when it is accepted; once that date has passed it counts as open again.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from secloop.core.errors import InputError, UsageError
from secloop.store.engine import build_engine, mask, migrate, parse_url, wrapped
from secloop.store.models import AssessmentRow, RepositoryRow, TriageRow
from secloop.threatmodel.reportlink import NotAReport, ReportFinding, SecloopReport, report_of

NOT_ACTIVE = frozenset({"false-positive", "fixed"})
ACCEPTED = "accepted-risk"
_SHA = re.compile(r"[0-9a-f]{4,64}")
SAVE_HINT = (
    "save one with `secloop assess PATH --db URL` (or `secloop org scan`), or name the repository "
    "with --repository (its root path, clone URL or name)"
)


@dataclass(frozen=True, slots=True)
class StoredAssessment:
    id: int
    root: str  # the repository as the store keys it: an absolute path or a clone URL
    name: str
    commit: str | None
    as_of: datetime
    url: str  # the database, password masked

    @property
    def label(self) -> str:
        """How reasons name it: "assessment 7 at 0123456789ab"."""
        return f"assessment {self.id}" + (f" at {self.commit[:12]}" if self.commit else "")

    def describe(self) -> str:
        when = self.as_of.date().isoformat()
        return f"{self.label} of {self.name} ({self.root}) from {when} in {self.url}"


def _git_top(folder: Path) -> Path | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 and done.stdout.strip() else None


def default_repository(model: Path) -> str:
    """The model's repository as `assess` saves it: the git root of its folder, else the folder."""
    folder = model.resolve().parent
    return str(_git_top(folder) or folder)


def _roots(repository: str) -> list[str]:
    """The roots `repository` may be saved under: as given, and for a path its resolved form and git root."""
    roots = [repository]
    path = Path(repository).expanduser()
    if path.is_dir():
        resolved = path.resolve()
        top = _git_top(resolved)
        roots = [str(resolved), *([str(top)] if top is not None else []), repository]
    return list(dict.fromkeys(roots))


def _check_exists(url: URL) -> None:
    # Opening a SQLite file that is not there would create an empty store; a typo should say so.
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if url.get_backend_name() == "sqlite" and not in_memory and not Path(database).exists():
        raise UsageError(
            f"the database {mask(url)} does not exist",
            hint="pass --db (or set SECLOOP_DB) to the store `secloop serve` or `secloop assess` writes",
        )


def _repository(session: Session, repository: str, shown: str) -> tuple[int, str, str]:
    roots = _roots(repository)
    rows = session.execute(
        select(RepositoryRow.id, RepositoryRow.root, RepositoryRow.name).where(RepositoryRow.root.in_(roots))
    ).all()
    if rows:
        row = min(rows, key=lambda r: roots.index(r.root))
        return int(row.id), row.root, row.name
    named = session.execute(
        select(RepositoryRow.id, RepositoryRow.root, RepositoryRow.name)
        .where(RepositoryRow.name == repository)
        .order_by(RepositoryRow.root)
    ).all()
    if len(named) > 1:
        raise UsageError(
            f"{len(named)} repositories in {shown} are named {repository!r}: "
            + ", ".join(r.root for r in named),
            hint="pass --repository with the root of the one you mean",
        )
    if not named:
        raise UsageError(f"no assessment of repository {repository!r} in {shown}", hint=SAVE_HINT)
    return int(named[0].id), named[0].root, named[0].name


def _commit(value: str | None) -> str | None:
    if value is None:
        return None
    sha = value.strip().lower()
    if not _SHA.fullmatch(sha):
        raise UsageError(f"--commit: not a commit SHA: {value!r}", hint="give 4 to 64 hex digits")
    return sha


def _latest(
    session: Session, repository_id: int, root: str, commit: str | None, shown: str
) -> tuple[int, str | None, datetime, str]:
    query = select(AssessmentRow.id, AssessmentRow.commit, AssessmentRow.as_of, AssessmentRow.document).where(
        AssessmentRow.repository_id == repository_id
    )
    if commit is not None:
        query = query.where(AssessmentRow.commit.startswith(commit))
        commits = set(
            session.scalars(
                select(AssessmentRow.commit).where(
                    AssessmentRow.repository_id == repository_id, AssessmentRow.commit.startswith(commit)
                )
            )
        )
        if len(commits) > 1:
            raise UsageError(
                f"--commit {commit} matches {len(commits)} commits of {root} in {shown}: "
                + ", ".join(sorted(c for c in commits if c)),
                hint="give more digits of the commit",
            )
    row = session.execute(
        query.order_by(
            AssessmentRow.as_of.desc(), AssessmentRow.recorded_at.desc(), AssessmentRow.id.desc()
        ).limit(1)
    ).one_or_none()
    if row is None:
        at = f" at commit {commit}" if commit is not None else ""
        raise UsageError(f"no assessment of repository {root}{at} in {shown}", hint=SAVE_HINT)
    return int(row.id), row.commit, row.as_of, row.document


Triage = dict[str, tuple[str, date | None]]  # fingerprint -> (state, expiry)


def _triaged(finding: ReportFinding, triage: Triage, today: date) -> ReportFinding:
    decision = triage.get(finding.fingerprint or "")
    if decision is None or not finding.active:
        return finding
    state, expires = decision
    if state in NOT_ACTIVE:
        return replace(finding, active=False)
    if state == ACCEPTED and (expires is None or expires >= today):
        return replace(finding, accepted=f"until {expires.isoformat()}" if expires else "without expiry")
    return finding  # an expired acceptance: open again


def _read(
    engine: Engine, repository: str, commit: str | None, today: date, rules: dict[str, tuple[str, ...]] | None
) -> tuple[StoredAssessment, SecloopReport]:
    shown = mask(engine.url)
    with wrapped(engine.url, "read the latest assessment"), Session(engine) as session:
        repository_id, root, name = _repository(session, repository, shown)
        assessment_id, sha, as_of, document = _latest(session, repository_id, root, commit, shown)
        stored = StoredAssessment(assessment_id, root, name, sha, as_of, shown)
        try:
            report = report_of(json.loads(document), stored.label, rules)
        except (json.JSONDecodeError, NotAReport) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise InputError(
                f"{stored.label} of {root} in {shown} is not a secloop JSON report: {why}",
                hint="save it again with a current `secloop assess`",
            ) from None
        fingerprints = {f.fingerprint for f in report.findings if f.fingerprint}
        triage: Triage = {}
        if fingerprints:
            for fingerprint, state, expires in session.execute(
                select(TriageRow.fingerprint, TriageRow.state, TriageRow.expires).where(
                    TriageRow.repository_id == repository_id, TriageRow.fingerprint.in_(sorted(fingerprints))
                )
            ):
                triage[fingerprint] = (state, expires)
    findings = tuple(_triaged(f, triage, today) for f in report.findings)
    return stored, replace(report, findings=findings)


def read_stored(
    url: str,
    repository: str,
    commit: str | None,
    today: date,
    practice_rules: dict[str, tuple[str, ...]] | None = None,
) -> tuple[StoredAssessment, SecloopReport]:
    """The newest assessment of `repository` (a root, a path inside one, or a name) in the store at
    `url`, at `commit` (a SHA or a prefix of one) when given, as a report with its triage applied.

    Raises UsageError naming the repository and the (masked) database when there is no such
    assessment, StoreError when the database cannot be read.
    """
    sha = _commit(commit)
    parsed = parse_url(url)
    _check_exists(parsed)
    engine = build_engine(parsed)
    try:
        migrate(engine)
        return _read(engine, repository, sha, today, practice_rules)
    finally:
        engine.dispose()
