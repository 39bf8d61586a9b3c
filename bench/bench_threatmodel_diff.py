"""`secloop threatmodel diff`: the starter web model against a changed copy, and two 100-element models.

Each run is a fresh process (interpreter and CLI start-up included), as in a pull-request check.
Goal (issue 7): a diff of two 100-element models < 0.5 s.

    .venv/bin/python bench/bench_threatmodel_diff.py --runs 7
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_threatmodel import (
    ROOT,
    WORK,
    generated_model,
    measure,
    secloop_command,
    summary,
)


def changed_copy(doc: dict[str, object]) -> dict[str, object]:
    """The same model with a few edits a pull request makes: a flow added, one removed, a control changed."""
    components = list(doc["components"])  # type: ignore[call-overload]
    flows = list(doc["flows"])  # type: ignore[call-overload]
    first = dict(components[0])
    first["properties"] = {
        **first["properties"],
        "input_validation": not first["properties"]["input_validation"],
    }
    new_flow = {"id": "f-new", "source": "actor-0", "destination": components[1]["id"], "protocol": "http"}
    return {**doc, "components": [first, *components[1:]], "flows": [*flows[1:], new_flow]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    secloop = secloop_command()

    starter = ROOT / "src" / "secloop" / "threatmodel" / "starters" / "web.yaml"
    web = yaml.safe_load(starter.read_text("utf-8"))
    web["components"][0]["properties"]["mfa"] = True
    changed_web = WORK / "web-changed.yaml"
    changed_web.write_text(yaml.safe_dump(web, sort_keys=False), "utf-8")
    summary(
        "diff of the web starter and a changed copy",
        measure([*secloop, "diff", str(starter), str(changed_web)], args.runs),
    )

    old = generated_model(100, 300)
    old_path, new_path = WORK / "diff-100-old.yaml", WORK / "diff-100-new.yaml"
    old_path.write_text(yaml.safe_dump(old, sort_keys=False), "utf-8")
    new_path.write_text(yaml.safe_dump(changed_copy(old), sort_keys=False), "utf-8")
    summary(
        "diff of two 100-element / 300-flow models",
        measure([*secloop, "diff", str(old_path), str(new_path)], args.runs),
    )
    summary(
        "  the same without a bytecode cache",
        measure([*secloop, "diff", str(old_path), str(new_path)], args.runs, cached=False),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
