from __future__ import annotations

from decimal import Decimal

import pytest

from secloop.alerts.slo import parse_slo_file
from secloop.core.errors import InputError
from tests.alerts.conftest import SLO_FIXTURE

GOOD = """\
service: api
team: identity
slos:
  - name: logons
    objective: 99
    sli:
      security:
        source: ssh
"""


def test_fixture_parses_every_kind() -> None:
    doc = parse_slo_file(SLO_FIXTURE.read_text(), "checkout-slo.yml")
    assert (doc.service, doc.team, doc.labels) == ("checkout", "payments", (("tier", "1"),))
    kinds = [(s.name, s.kind, s.objective, s.window_days, s.line) for s in doc.slos]
    assert kinds == [
        ("availability", "events", Decimal("99.9"), 30, 7),
        ("latency", "latency", Decimal(99), 30, 16),
        ("failed-logons", "security", Decimal(95), 30, 23),
    ]
    latency = doc.slos[1]
    assert latency.total == 'sum(rate(http_request_duration_seconds_count{job="checkout"}[{{window}}]))'
    assert latency.errors == (
        '(sum(rate(http_request_duration_seconds_count{job="checkout"}[{{window}}])) - '
        'sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[{{window}}])))'
    )
    assert doc.slos[0].error_budget == Decimal("0.001")
    assert doc.slos[2].alert_name == "CheckoutFailedLogons"


def test_security_sli_defaults_to_failed_logons_over_all_authn_events() -> None:
    slo = parse_slo_file(GOOD, "slo.yml").slos[0]
    assert (
        slo.errors
        == 'sum(rate(secloop_security_events_total{event=~"authn_login_fail",source="ssh"}[{{window}}]))'
    )
    assert slo.total == 'sum(rate(secloop_security_events_total{event=~"authn_.*",source="ssh"}[{{window}}]))'


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("team: identity\n", ""), 1, "the SLO file needs `team`"),
        (GOOD.replace("objective: 99", "objective: 100"), 5, "`objective` must be a percentage"),
        (GOOD.replace("objective: 99", "objective: high"), 5, "`objective` must be a percentage"),
        (GOOD + "owner: me\n", 9, "unknown key 'owner' in the SLO file"),
        (
            GOOD.replace("    sli:", "    window: 4w\n    sli:"),
            6,
            "`window` of SLO 'logons' must be a number of days",
        ),
        (GOOD.replace("security:", "magic:"), 7, "`sli` of SLO 'logons' needs exactly one of"),
        (GOOD.replace("source: ssh", "sauce: ssh"), 8, "unknown key 'sauce'"),
        (GOOD.replace("name: logons", "name: Logons"), 4, "SLO name 'Logons' must be lower-case"),
        (GOOD + "labels:\n  team: other\n", 10, "label 'team' is set by secloop itself"),
        ("service: [unclosed\n", 2, "not valid YAML"),
        (
            GOOD.replace(
                "      security:\n        source: ssh\n",
                "      events:\n        errors: sum(rate(x[5m]))\n        total: sum(rate(y[{{window}}]))\n",
            ),
            8,
            "`errors` of `sli.events` of SLO 'logons' has no {{window}} placeholder",
        ),
        (GOOD + GOOD[GOOD.index("  - name") :], 9, "SLO 'logons' is declared twice (line 4)"),
    ],
)
def test_malformed_slo_files_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_slo_file(text, "slo.yml")
    assert caught.value.place is not None
    assert (caught.value.place.path, caught.value.place.line) == ("slo.yml", line)
    assert message in caught.value.message
