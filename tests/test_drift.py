"""Drift checks: rule ids = docs sections = fixtures; catalog = evaluators; README --help = real --help."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

from secloop.core.enums import Stage
from secloop.docsgen import generated
from secloop.practices.catalog import load_catalog
from secloop.practices.registry import EVALUATORS
from secloop.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_and_help_blocks_are_current() -> None:
    help_of = _gen_docs().help_of
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generated(ROOT, help_of).items()
        if not path.is_file() or path.read_text("utf-8") != text
    ]
    assert stale == [], f"run `make docs`: {stale}"


def test_every_practice_has_an_evaluator_and_every_evaluator_a_practice() -> None:
    ids = {p.id for p in load_catalog()}
    assert ids == set(EVALUATORS)


def test_catalog_covers_every_stage() -> None:
    assert {p.stage for p in load_catalog()} == set(Stage)


def test_practice_rules_are_registered() -> None:
    for p in load_catalog():
        for rule_id in p.rules:
            assert rule_id in REGISTRY, f"{p.id} names unknown rule {rule_id}"


def test_every_rule_is_raised_by_a_practice() -> None:
    named = {r for p in load_catalog() for r in p.rules}
    assert {r.id for r in REGISTRY} <= named


def _test_texts() -> str:
    here = Path(__file__).resolve()
    return "\n".join(
        p.read_text("utf-8", "replace") for p in (ROOT / "tests").rglob("*.py") if p.resolve() != here
    )


def _rules_with_data_examples() -> set[str]:
    """Rules declared as data with both kinds of example, which the engine's own tests run every one of
    (secrets: tp/fp lines; threat model: positive/negative models)."""
    pairs = (("tp", "fp"), ("positive", "negative"))
    found: set[str] = set()
    for path in (ROOT / "src" / "secloop").glob("*/rules/*.toml"):
        for rule in tomllib.loads(path.read_text("utf-8")).get("rule", []):
            if any(rule.get(a) and rule.get(b) for a, b in pairs):
                found.add(rule["id"])
    return found


def test_every_rule_and_practice_has_tests_and_docs() -> None:
    texts = _test_texts()
    data_examples = _rules_with_data_examples()
    rules_doc = (ROOT / "docs" / "rules.md").read_text("utf-8")
    practices_doc = (ROOT / "docs" / "practices.md").read_text("utf-8")
    for rule in REGISTRY:
        assert rule.id in texts or rule.id in data_examples, f"rule {rule.id} has no test fixture"
        assert f'<a id="{rule.anchor}"></a>' in rules_doc
    for p in load_catalog():
        assert re.search(re.escape(f'"{p.id}"'), texts), f"practice {p.id} has no test"
        assert f"### {p.id}:" in practices_doc
