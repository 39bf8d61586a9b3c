"""The DORA tier tables: every cell cites its source, and values classify as documented."""

from __future__ import annotations

import pytest

from secloop.delivery.tiers import BUCKETS, TIERS, classify, reports


def test_every_report_has_four_rows_of_four_cells_each_with_a_source() -> None:
    assert sorted(reports()) == ["2021", "2023", "2024"]
    for report in reports().values():
        assert report.url.startswith("https://dora.dev/research/")
        assert len(report.rows) == 4
        for row in report.rows:
            assert [c.tier for c in row.cells] == list(TIERS)
            for cell in row.cells:
                assert cell.source.startswith(f"State of DevOps {report.id}, ")
                assert f"column '{cell.tier.capitalize()}'" in cell.source
                assert cell.text


TRANSCRIPTION = "https://huggingface.co/spaces/rdlf/devops-metrics-interpreter/blob/main/data/benchmarks.json"


def test_verification_status_is_stated_per_cell() -> None:
    for report_id in ("2021", "2023", "2024"):
        sources = [cell.source for row in reports()[report_id].rows for cell in row.cells]
        assert len(sources) == 16
        if report_id == "2021":
            assert not any("UNVERIFIED" in s for s in sources)
        elif report_id == "2023":
            assert all(s.endswith("; UNVERIFIED: the report's table was not found in the searchable "
                                  "reference copies (see the header)") for s in sources)  # fmt: skip
        else:
            assert all(s.endswith(f"; UNVERIFIED against the report (see the header); agrees with the "
                                  f"third-party transcription {TRANSCRIPTION}") for s in sources)  # fmt: skip


@pytest.mark.parametrize(
    ("report_id", "metric", "texts"),
    [
        ("2023", "deployment-frequency", ["On demand", "Between once per day and once per week",
                                          "Between once per week and once per month",
                                          "Between once per week and once per month"]),
        ("2023", "change-failure-rate", ["5%", "10%", "15%", "64%"]),
        ("2023", "failed-deployment-recovery-time", ["Less than one hour", "Less than one day",
                                                     "Between one day and one week",
                                                     "Between one month and six months"]),
        ("2024", "deployment-frequency", ["On demand", "Between once per day and once per week",
                                          "Between once per week and once per month",
                                          "Between once per month and once every six months"]),
        ("2024", "lead-time", ["Less than one day", "Between one day and one week",
                               "Between one week and one month", "Between one month and six months"]),
        ("2024", "change-failure-rate", ["5%", "20%", "10%", "40%"]),
        ("2024", "failed-deployment-recovery-time", ["Less than one hour", "Less than one day",
                                                     "Less than one day", "Between one week and one month"]),
    ],
)  # fmt: skip
def test_later_tables_as_transcribed(report_id: str, metric: str, texts: list[str]) -> None:
    row = reports()[report_id].row(metric)
    assert row is not None
    assert [c.text for c in row.cells] == texts


def test_the_2021_table_as_quoted_in_the_talk() -> None:
    row = reports()["2021"].row("lead-time")
    assert row is not None
    assert [c.text for c in row.cells] == [
        "Less than one hour",
        "Between one day and one week",
        "Between one month and six months",
        "More than six months",
    ]


@pytest.mark.parametrize(
    ("report", "metric", "value", "tier"),
    [
        ("2021", "lead-time", 0.5, "elite"),
        ("2021", "lead-time", 1.0, "elite"),
        ("2021", "lead-time", 3.0, "high"),  # in the gap between elite and high: the better tier it meets
        ("2021", "lead-time", 300.0, "medium"),
        ("2021", "lead-time", 5000.0, "low"),
        ("2021", "change-failure-rate", 15.0, "elite"),
        ("2021", "change-failure-rate", 20.0, "high"),
        ("2021", "change-failure-rate", 45.0, "low"),  # beyond the table: the worst tier
        ("2021", "time-to-restore", 30.0, "medium"),
        ("2021", "failed-deployment-recovery-time", 0.5, "elite"),  # 2021's row is "time to restore"
        ("2021", "deployment-frequency", BUCKETS.index("daily-to-weekly"), "high"),
        ("2023", "deployment-frequency", BUCKETS.index("weekly-to-monthly"), "medium"),
        ("2023", "deployment-frequency", BUCKETS.index("monthly-to-six-monthly"), "low"),
        ("2024", "failed-deployment-recovery-time", 12.0, "high"),
        ("2024", "time-to-restore", 200.0, "low"),
        ("2024", "lead-time", 20.0, "elite"),
    ],
)
def test_classification(report: str, metric: str, value: float, tier: str) -> None:
    assert classify(report, metric, value).tier == tier


def test_typical_values_do_not_classify() -> None:
    result = classify("2024", "change-failure-rate", 12.0)
    assert result.tier is None
    assert result.note == (
        "the 2024 report gives typical values per tier (elite 5%, high 20%, medium 10%, low 40%), not "
        "ranges; no tier is given"
    )
    assert classify("2021", "change-failure-rate", 20.0).note == "2021 'Change failure rate' high: 16%-30%"
