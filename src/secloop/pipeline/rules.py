"""Rules of the pipeline engine: each is declared once, on its audit, and collected here."""

from __future__ import annotations

from secloop.core.rules import Rule
from secloop.pipeline.audits import AUDITS
from secloop.pipeline.audits.pin_comment import RULE as PIN_COMMENT
from secloop.pipeline.azure.audits import AZURE_AUDITS
from secloop.pipeline.bitbucket.audits import BITBUCKET_AUDITS
from secloop.pipeline.dependabot import RULES as DEPENDABOT_RULES
from secloop.pipeline.gitlab.audits import GITLAB_AUDITS
from secloop.pipeline.jenkins.audits import JENKINS_AUDITS

RULES: tuple[Rule, ...] = (
    *(audit.rule for audit in AUDITS),
    PIN_COMMENT,
    *(audit.rule for audit in GITLAB_AUDITS),
    *(audit.rule for audit in JENKINS_AUDITS),
    *(audit.rule for audit in BITBUCKET_AUDITS),
    *(audit.rule for audit in AZURE_AUDITS),
    *DEPENDABOT_RULES,
)
