"""Threat modelling: `secloop threatmodel check` side by side with OWASP pytm, and at scale.

1. pytm's example system (a web comment system: user, web server, SQL and identity databases, a
   Lambda; three boundaries, six flows), written once as a pytm script and once as a secloop model
   (tests/fixtures/threatmodel/pytm-example.yaml). pytm renders its report from a template; secloop
   writes its Markdown report organised by the four questions. Both run as fresh processes.
2. A generated model with --elements components and actors and --flows flows (deterministic),
   checked with the JSON report: wall time and peak RSS (goal: <= 2 s and <= 300 MB).

    .venv/bin/python bench/bench_threatmodel.py --runs 5

pytm goes into bench/.work/venv-peers (created and filled from PyPI when missing); it is never a
dependency of secloop.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "threatmodel"
PEERS = ROOT / "bench" / ".work" / "venv-peers"
PYTM_VERSION = "1.4.0"
EXAMPLE = ROOT / "tests" / "fixtures" / "threatmodel" / "pytm-example.yaml"
PYTHON = ROOT / ".venv" / "bin" / "python"

# Runs one command and prints "<seconds> <peak RSS in KiB>" of that child on the last line.
MEASURE = textwrap.dedent(
    """
    import resource, subprocess, sys, time
    start = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr.decode())
        sys.exit(done.returncode)
    print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    """
)

# The same system as pytm's own example (tm.py in its repository), written with pytm's API.
PYTM_SCRIPT = textwrap.dedent(
    """
    from pytm import TM, Actor, Boundary, Classification, Data, Dataflow, Datastore, Lambda, Server

    tm = TM("my test tm")
    tm.description = "A web-based comment system."
    tm.isOrdered = True
    tm.mergeResponses = True
    internet, server_db, vpc = Boundary("Internet"), Boundary("Server/DB"), Boundary("AWS VPC")
    user = Actor("User")
    user.inBoundary = internet
    web = Server("Web Server")
    web.OS, web.isHardened, web.sanitizesInput, web.encodesOutput = "Ubuntu", True, False, True
    web.authorizesSource = False
    db = Datastore("SQL Database")
    db.OS, db.isHardened, db.inBoundary, db.isSQL, db.inScope = "CentOS", False, server_db, True, True
    db.maxClassification = Classification.RESTRICTED
    ids = Datastore("Real Identity Database")
    ids.OS, ids.isHardened, ids.inBoundary, ids.isSQL, ids.inScope = "CentOS", True, server_db, True, True
    ids.storesPII, ids.maxClassification = True, Classification.TOP_SECRET
    fn = Lambda("AWS Lambda")
    fn.hasAccessControl, fn.inBoundary = True, vpc

    def flow(src, dst, name, protocol, data, classification, port=None):
        f = Dataflow(src, dst, name)
        f.protocol, f.data = protocol, Data(data, classification=classification)
        if port is not None:
            f.dstPort = port
        return f

    PUBLIC, SECRET = Classification.PUBLIC, Classification.SECRET
    verify = flow(db, ids, "Database verify real user identity", "RDA-TCP", "Token", SECRET, 40234)
    enter = flow(user, web, "User enters comments (*)", "HTTP", "Comments", PUBLIC, 80)
    insert = flow(web, db, "Insert query with comments", "MySQL", "Insert query", PUBLIC, 3306)
    flow(db, web, "Retrieve comments", "MySQL", "Comments from DB", PUBLIC, 80).responseTo = insert
    flow(web, user, "Show comments (*)", "HTTP", "Comments shown", PUBLIC).responseTo = enter
    flow(fn, db, "Serverless function periodically cleans DB", "MySQL", "Clear", PUBLIC, 3306)
    Data("User ID Token", classification=Classification.TOP_SECRET, traverses=[enter, verify],
         processedBy=[db, ids])

    if __name__ == "__main__":
        tm.process()
    """
)

PYTM_TEMPLATE = """# {tm.name}

{tm.description}

## Findings

{findings:repeat:- {{item.threat_id}} {{item.severity}} {{item.target}}: {{item.description}}
}
"""


def peer_python() -> Path | None:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    probe = subprocess.run([str(python), "-c", "import pytm"], capture_output=True, check=False)
    if probe.returncode != 0:
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"pytm=={PYTM_VERSION}"], check=False
        )
        if install.returncode != 0:
            print("pytm could not be installed: the side-by-side run is skipped")
            return None
    return python


def secloop_command() -> list[str]:
    """`secloop threatmodel` once it is wired into the CLI; until then the same command group on the app."""
    secloop = ROOT / ".venv" / "bin" / "secloop"
    wired = subprocess.run([str(secloop), "threatmodel", "--help"], capture_output=True, check=False)
    if wired.returncode == 0:
        return [str(secloop), "threatmodel"]
    code = (
        "import sys; from secloop.cli import main; from secloop.cli.threatmodel import register; "
        "register(main.app); main.run(['threatmodel', *sys.argv[1:]])"
    )
    return [str(PYTHON), "-c", code]


def environment(cached: bool) -> dict[str, str]:
    """With cached bytecode (how an installed secloop runs) or compiling every module at start-up
    (how this sandbox runs Python: PYTHONDONTWRITEBYTECODE=1)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    if cached:
        env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(command: list[str], runs: int, *, cached: bool = True) -> list[tuple[float, int]]:
    env = environment(cached)
    subprocess.run(
        [str(PYTHON), "-c", MEASURE, *command], capture_output=True, env=env, check=True
    )  # warm-up
    out = []
    for _ in range(runs):
        done = subprocess.run(
            [str(PYTHON), "-c", MEASURE, *command], capture_output=True, text=True, env=env, check=True
        )
        seconds, rss = done.stdout.split()
        out.append((float(seconds), int(rss)))
    return out


IN_PROCESS = textwrap.dedent(
    """
    import statistics, sys, time
    from datetime import date
    from pathlib import Path
    from secloop.core.enums import Severity
    from secloop.threatmodel import check_file
    from secloop.threatmodel.render import render
    times = []
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        render(check_file(Path(sys.argv[1]), today=date.today()), "markdown", Severity.HIGH)
        times.append(time.perf_counter() - start)
    print(statistics.median(times))
    """
)


def in_process(model: Path, runs: int) -> float:
    """Analysis plus the Markdown report inside one process, without interpreter and CLI start-up."""
    done = subprocess.run(
        [str(PYTHON), "-c", IN_PROCESS, str(model), str(runs)],
        capture_output=True,
        text=True,
        env=environment(True),
        check=True,
    )
    return float(done.stdout)


def generated_model(elements: int, flows: int, seed: int = 7) -> dict[str, object]:
    rng = random.Random(seed)
    assets = [
        {
            "id": f"asset-{i}",
            "classification": rng.choice(["public", "internal", "confidential", "restricted"]),
            "cia": {
                axis: {
                    "rating": rng.choice(["low", "medium", "high", "critical"]),
                    "justification": "generated",
                }
                for axis in ("confidentiality", "integrity", "availability")
            },
            "privacy": {"pii": rng.random() < 0.3},
        }
        for i in range(40)
    ]
    actors = [{"id": f"actor-{i}", "trusted": rng.random() < 0.3} for i in range(elements // 10)]
    kinds = ["process"] * 6 + ["data-store"] * 3 + ["external-entity"]
    properties = ["input_validation", "logging", "rate_limiting", "encryption_at_rest", "mfa", "audit_trail"]
    components = []
    for i in range(elements - len(actors)):
        props: dict[str, object] = {p: rng.random() < 0.5 for p in properties}
        props["authentication"] = rng.choice(["none", "session", "oidc", "password", "mtls"])
        props["authorization"] = rng.choice(["none", "rbac"])
        components.append(
            {
                "id": f"c-{i}",
                "kind": rng.choice(kinds),
                "technology": rng.choice(["Python", "PostgreSQL", "MongoDB", "Java", "Redis"]),
                "data": rng.sample([a["id"] for a in assets], 2),
                "properties": props,
            }
        )
    ends = [a["id"] for a in actors] + [c["id"] for c in components]
    flow_items = [
        {
            "id": f"f-{i}",
            "source": rng.choice(ends),
            "destination": rng.choice(ends),
            "protocol": rng.choice(["https", "http", "grpc", "postgresql", "amqp"]),
            "authentication": rng.choice(["none", "session", "oidc", "api-key"]),
            "data": rng.sample([a["id"] for a in assets], 2),
            "method": rng.choice(["GET", "POST"]),
        }
        for i in range(flows)
    ]
    boundaries = [{"id": f"b-{i}", "components": []} for i in range(20)]
    for n, ident in enumerate(ends):
        boundaries[n % 20]["components"].append(ident)  # type: ignore[attr-defined]
    return {
        "version": 1,
        "system": {"name": "generated", "scope": {"in": ["everything"]}},
        "data_assets": assets,
        "actors": actors,
        "components": components,
        "flows": flow_items,
        "trust_boundaries": boundaries,
    }


def summary(label: str, rows: list[tuple[float, int]]) -> tuple[float, float]:
    times = [t for t, _ in rows]
    rss = max(r for _, r in rows) / 1024
    med = statistics.median(times)
    print(
        f"{label}: min {min(times):.3f} s, median {med:.3f} s, max {max(times):.3f} s, peak RSS {rss:.0f} MB"
    )
    return med, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--elements", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=3000)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    secloop = secloop_command()

    peer = peer_python()
    if peer is not None:
        (WORK / "pytm_example.py").write_text(PYTM_SCRIPT, "utf-8")
        (WORK / "template.md").write_text(PYTM_TEMPLATE, "utf-8")
        pytm_rows = measure(
            [str(peer), str(WORK / "pytm_example.py"), "--report", str(WORK / "template.md")], args.runs
        )
        pytm_med, _ = summary(f"pytm {PYTM_VERSION} example report", pytm_rows)
    report = [*secloop, "check", str(EXAMPLE), "--format", "markdown", "--output", str(WORK / "example.md")]
    ours_med, _ = summary("secloop threatmodel check (Markdown report)", measure(report, args.runs))
    summary("  the same without a bytecode cache", measure(report, args.runs, cached=False))
    if peer is not None:
        print(f"ratio: secloop is {pytm_med / ours_med:.1f}x faster than pytm on the example")
    inside = in_process(EXAMPLE, max(args.runs, 20))
    print(f"  of which analysis + Markdown report in process: {inside * 1000:.1f} ms (median)")

    model = WORK / f"generated-{args.elements}-{args.flows}.yaml"
    if not model.exists():
        model.write_text(yaml.safe_dump(generated_model(args.elements, args.flows), sort_keys=False), "utf-8")
    large = [*secloop, "check", str(model), "--format", "json", "--output", str(WORK / "generated.json")]
    summary(
        f"secloop threatmodel check, {args.elements} elements / {args.flows} flows (JSON)",
        measure(large, args.runs),
    )
    doc = json.loads((WORK / "generated.json").read_text("utf-8"))
    crossing = doc["coverage"]["boundary_crossing_flows"]
    print(f"  {len(doc['threats'])} threats, {crossing} boundary-crossing flows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
