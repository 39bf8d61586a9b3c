"""ASVS levels from C-I-A and `secloop threatmodel requirements` as work items."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from secloop.core.errors import UsageError
from secloop.threatmodel.requirements import (
    asset_level,
    asset_levels,
    load_asvs,
    model_level,
    requirements_at,
    work_items,
)
from secloop.threatmodel.schema import DataAsset
from tests.threatmodel.conftest import FIXTURES, analysis, problems
from tests.threatmodel.test_rules import ASVS

SHOP = str(FIXTURES / "shop.yaml")
Invoke = Callable[..., Result]


def _asset(cia: tuple[str, str, str] | None, level: int | None = None) -> DataAsset:
    doc: dict[str, object] = {"id": "a", "classification": "internal"}
    if cia is not None:
        doc["cia"] = {
            axis: {"rating": rating, "justification": "j"}
            for axis, rating in zip(("confidentiality", "integrity", "availability"), cia, strict=True)
        }
    if level is not None:
        doc["asvs_level"] = level
    return DataAsset.model_validate(doc)


def test_the_bundled_asvs_is_the_shared_asvs_5() -> None:
    shared = json.loads(ASVS.read_text("utf-8"))["requirements"]
    bundled = load_asvs()
    assert [(r.id, r.level, r.text) for r in bundled] == [
        (r["req_id"], int(r["L"]), r["req_description"]) for r in shared
    ]
    assert Counter(r["L"] for r in shared) == {"1": 70, "2": 183, "3": 92}
    assert [len(requirements_at(n)) for n in (1, 2, 3)] == [70, 253, 345]


@pytest.mark.parametrize(
    ("cia", "stated", "level", "reason"),
    [
        (("low", "medium", "low"), None, 1, "from C=low, I=medium, A=low"),
        (("high", "medium", "high"), None, 2, "from C=high, A=high"),
        (("low", "critical", "high"), None, 3, "from I=critical"),
        (None, None, 1, "no C-I-A rating yet: L1 until the asset is rated"),
        (("low", "low", "low"), 3, 3, "stated in the model (asvs_level)"),
    ],
)
def test_asset_levels_from_cia_or_stated(
    cia: tuple[str, str, str] | None, stated: int | None, level: int, reason: str
) -> None:
    derived = asset_level(_asset(cia, stated))
    assert (derived.level, derived.reason) == (level, reason)


def test_asvs_level_is_validated_with_its_line() -> None:
    text = (
        "system: {name: x, scope: {in: [x]}}\n"
        "data_assets:\n  - id: a\n    classification: internal\n    asvs_level: 4\n"
    )
    assert problems(text) == [
        "tm.yaml:5:17: data_assets[0].asvs_level: 4 is not allowed\n  expected: 1, 2 or 3"
    ]


def test_work_items_name_assets_and_citing_threats() -> None:
    shop = analysis((FIXTURES / "shop.yaml").read_text("utf-8"))
    assert model_level(shop.loaded.model) == 2
    assert [(x.asset, x.level) for x in asset_levels(shop.loaded.model)] == [("orders", 2)]
    items = {i.requirement.id: i for i in work_items(shop, 2)}
    assert len(items) == 253
    sql = items["V1.2.4"]
    assert (sql.requirement.level, sql.assets) == (1, ("orders",))
    assert sql.threats == (
        ("THREAT-7175BA620C", "Queries to a SQL database may be built from input", "accepted"),
    )
    assert "V1.1.3" not in items and len(work_items(shop, 1)) == 70


def test_csv_is_deterministic_and_counts_per_level(invoke: Invoke) -> None:
    first = invoke("threatmodel", "requirements", SHOP)
    assert first.exit_code == 0, first.output
    assert first.output == invoke("threatmodel", "requirements", SHOP, "--level", "2").output
    rows = list(csv.reader(io.StringIO(first.output)))
    assert rows[0] == ["id", "level", "chapter", "section", "requirement", "assets", "threats", "title"]
    assert len(rows) == 1 + 253
    sql = next(r for r in rows if r[0] == "V1.2.4")
    assert sql[1:4] == ["1", "V1 Encoding and Sanitization", "V1.2 Injection Prevention"]
    assert sql[5:] == [
        "orders",
        "THREAT-7175BA620C",
        "ASVS V1.2.4 (L1): Data selection or database queries (e.g., SQL, HQL, NoSQL, Cypher) use "
        "parameterized…",
    ]
    for level, count in ((1, 70), (3, 345)):
        out = invoke("threatmodel", "requirements", SHOP, "--level", str(level)).output
        assert len(out.splitlines()) == 1 + count


def test_json_and_github_issues(invoke: Invoke, tmp_path: Path) -> None:
    doc = json.loads(invoke("threatmodel", "requirements", SHOP, "-f", "json", "--level", "1").output)
    assert (doc["schema"], doc["level"], doc["count"]) == ("secloop.threatmodel.requirements/v1", 1, 70)
    assert doc["assets"] == [{"id": "orders", "level": 2, "reason": "from C=high, I=high"}]
    assert doc["requirements"][0]["id"] == "V1.2.1"
    out = tmp_path / "issues.json"
    result = invoke(
        "threatmodel", "requirements", SHOP, "-f", "github-issues", "--level", "1", "-o", str(out)
    )
    assert (result.exit_code, result.output) == (0, "")
    issues = json.loads(out.read_text("utf-8"))
    assert len(issues) == 70
    assert all(set(i) == {"title", "body", "labels"} for i in issues)
    sql = next(i for i in issues if i["title"].startswith("ASVS V1.2.4 "))
    assert sql["labels"] == ["security", "asvs", "asvs-L1", "asvs-V1"]
    assert sql["body"].splitlines()[2:5] == [
        "- ASVS 5.0: V1.2.4, level 1; V1 Encoding and Sanitization / V1.2 Injection Prevention",
        "- Data assets that need it: orders",
        "- Threats that cite it: THREAT-7175BA620C Queries to a SQL database may be built from input "
        "(accepted)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--level", "4"), "--level must be 1, 2 or 3 (got 4)"),
        (("-f", "xlsx"), "unknown format 'xlsx'"),
    ],
)
def test_usage_errors(invoke: Invoke, args: tuple[str, ...], message: str) -> None:
    result = invoke("threatmodel", "requirements", SHOP, *args)
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == message
