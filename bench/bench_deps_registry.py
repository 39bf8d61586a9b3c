"""Benchmarks of the deps engine's second slice (figures go to docs/benchmarks.md, "Dependencies").

Usage: python bench/bench_deps_registry.py [--runs N] [--packages N]

1. registry rules: cooldown, freshness and health for N (default 5,000) npm packages whose metadata
   is in the on-disk cache (30 releases each), offline: cache reads plus the rules. Then the same
   end to end: `secloop scan deps --registry` on a package-lock.json of those N pins, a fresh process
   (bytecode cached), next to the same command without `--registry`.
2. registry fetch: the same N packages fetched from a loopback HTTP server (8 threads), cache empty.
3. parsers: a generated N-module gradle.lockfile, an N-dependency pom.xml, an N-package NuGet
   packages.lock.json and an N-component CycloneDX SBOM, each parsed once per run.
4. SPDX output: the SPDX 2.3 document of the N-module gradle.lockfile inventory.

Everything generated goes under bench/.work/deps-registry/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from secloop.deps.health import assess_health
from secloop.deps.model import NPM, package
from secloop.deps.parsers import parser_for
from secloop.deps.parsers.interface import LockfileParser
from secloop.deps.registry import ClientSettings, RegistryClient
from secloop.deps.scan import inventory
from secloop.deps.settings import Policy
from secloop.deps.spdx import build_spdx
from secloop.sources.repo import Repo

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "deps-registry"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _packument(name: str) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    versions = [f"1.{i}.0" for i in range(30)]
    times = {v: (start + timedelta(days=40 * i)).isoformat() for i, v in enumerate(versions)}
    doc = {
        "name": name,
        "dist-tags": {"latest": versions[-1]},
        "versions": {v: {"name": name, "version": v} for v in versions},
        "time": {"created": times[versions[0]], "modified": times[versions[-1]], **times},
        "maintainers": [{"name": "m"}],
    }
    return json.dumps(doc).encode()


def _serve() -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            body = (
                json.dumps({"downloads": 5000}).encode() if "/downloads/" in self.path else _packument(name)
            )
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _time(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _show(label: str, times: list[float]) -> None:
    print(f"{label}: median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")


def _parse_once(parser: LockfileParser, rel: str, text: str) -> Callable[[], object]:
    return lambda: parser.parse(rel, text, lambda _: None)


def _end_to_end(names: list[str], cache: Path, npm_url: str, runs: int) -> None:
    from secloop.deps.db import import_osv

    lock_repo = WORK / "lock-repo"
    lock_repo.mkdir()
    packages: dict[str, object] = {"": {"name": "bench", "version": "1.0.0", "dependencies": {}}}
    packages.update({f"node_modules/{name}": {"version": "1.20.0"} for name in names})
    lock = {"name": "bench", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    (lock_repo / "package-lock.json").write_text(json.dumps(lock, indent=1))
    records = WORK / "advisories"
    records.mkdir()
    advisory = {
        "id": "BENCH-1",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": names[0]},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.21.0"}]}],
            }
        ],
    }
    (records / "BENCH-1.json").write_text(json.dumps(advisory))
    db = WORK / "db"
    import_osv(records, db)
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "SECLOOP_REGISTRY_ONLINE")
    }
    env.update(
        PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
        SECLOOP_NPM_REGISTRY=npm_url,  # the cache file is the one of this registry
        SOURCE_DATE_EPOCH=str(int(NOW.timestamp())),
    )
    exe = str(Path(sys.executable).parent / "secloop")
    base_argv = [exe, "scan", "deps", str(lock_repo), "--db-dir", str(db), "--no-baseline", "-f", "json"]
    for extra, label in (
        ([], "without --registry"),
        (["--registry", "--registry-cache", str(cache)], "--registry"),
    ):
        argv = [*base_argv, *extra, "-o", str(WORK / "report.json")]
        subprocess.run(argv, capture_output=True, check=False, env=env)  # warm-up (.pyc, disk cache)

        def once(argv: list[str] = argv) -> None:
            done = subprocess.run(argv, capture_output=True, check=False, env=env)
            if done.returncode not in (0, 1):
                raise SystemExit(done.stderr.decode())

        times = _time(once, runs)
        report = json.loads((WORK / "report.json").read_text())
        ids = [p["id"] for p in report["practices"]]
        _show(f"scan deps {label}, {len(names)} npm pins, end to end ({', '.join(ids)})", times)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--runs", type=int, default=5)
    args.add_argument("--packages", type=int, default=5000)
    opts = args.parse_args()
    n = opts.packages
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    names = [f"pkg-{i:05d}" for i in range(n)]
    pkgs = [
        package(NPM, name, "1.20.0", "package-lock.json", i + 1, direct=i % 10 == 0)
        for i, name in enumerate(names)
    ]
    server, base = _serve()
    cache = WORK / "cache"

    def settings(online: bool) -> ClientSettings:
        return ClientSettings.resolve(
            online=online, cache_dir=cache, npm_url=f"{base}/npm", npm_downloads_url=f"{base}/downloads"
        )

    def fetch() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        RegistryClient(settings(True), now=NOW).lookup_many((NPM, name) for name in names)

    _show(
        f"registry fetch, {n} npm packages, loopback server, empty cache",
        _time(fetch, max(1, opts.runs // 2)),
    )
    fetch()

    def rules() -> None:
        lookups = RegistryClient(settings(False), now=NOW).lookup_many((NPM, name) for name in names)
        report = assess_health(pkgs, lookups, {"package-lock.json": NOW}, NOW, Policy())
        assert report.checked == n, report.checked

    _show(f"registry rules, {n} npm packages from the cache (offline)", _time(rules, opts.runs))
    server.shutdown()
    _end_to_end(names, cache, f"{base}/npm", opts.runs)

    repo = WORK / "repo"
    repo.mkdir()
    (repo / "gradle.lockfile").write_text(
        "".join(
            f"org.example{i % 50}:lib{i}:1.{i % 7}.0=compileClasspath,runtimeClasspath\n" for i in range(n)
        )
    )
    deps = "".join(
        f"<dependency><groupId>org.g{i % 50}</groupId><artifactId>a{i}</artifactId>"
        f"<version>${{v{i % 100}}}</version></dependency>\n"
        for i in range(n)
    )
    props = "".join(f"<v{i}>1.{i}.0</v{i}>" for i in range(100))
    (repo / "pom.xml").write_text(
        f"<project><properties>{props}</properties><dependencies>\n{deps}</dependencies></project>\n"
    )
    nuget = {
        "version": 1,
        "dependencies": {
            "net8.0": {f"Pkg.N{i}": {"type": "Transitive", "resolved": f"1.{i % 9}.0"} for i in range(n)}
        },
    }
    (repo / "packages.lock.json").write_text(json.dumps(nuget, indent=2))
    cdx = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            {"type": "library", "name": f"p{i}", "purl": f"pkg:npm/p{i}@1.{i % 9}.0"} for i in range(n)
        ],
    }
    (repo / "bom.json").write_text(json.dumps(cdx, indent=2))
    for rel in ("gradle.lockfile", "pom.xml", "packages.lock.json", "bom.json"):
        text = (repo / rel).read_text()
        found = parser_for(rel)
        assert found is not None
        parser: LockfileParser = found
        count = len(parser.parse(rel, text, lambda _: None).packages)
        times = _time(_parse_once(parser, rel, text), opts.runs)
        _show(f"parse {rel} ({count} packages, {len(text) / 1e6:.1f} MB)", times)

    only = Repo(repo)
    inv = inventory(only, only="gradle.lockfile")
    _show(
        f"SPDX 2.3 document of {len(inv.packages)} packages",
        _time(lambda: build_spdx(inv, "repo", NOW), opts.runs),
    )


if __name__ == "__main__":
    main()
