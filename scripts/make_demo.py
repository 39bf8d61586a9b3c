"""Build the demo repository that `make demo` assesses: a small "shop" service with planted problems.

Usage: python scripts/make_demo.py DEST

The result is deterministic: fixed authors, dates, branch name and no user or system git config, so
two builds give the same HEAD sha. The service is plain text; it is never installed or executed.

Planted for the assessment to find:
- a GitHub token committed in config/settings.py and removed two commits later (in history only);
- PyYAML==5.3.1 (a version with a published advisory) among safe pins; Dependabot without cooldown;
  a pre-commit config without a secret-scanning hook; no threat model;
- .github/workflows/ci.yml runs on pull_request_target, checks out the PR head, uses tag-pinned
  actions, has no permissions block and interpolates the PR title into `run:`; lint.yml is fine but
  for one tag-pinned action carrying an inline suppression; nightly.yml is malformed YAML;
- annotated release tags v0.1.0 … v0.5.0 and .secloop/events.jsonl with their production
  deployments and one incident (INC-1) caused by v0.4.0;
- an alert rule with `for: 5m` and one without `for:`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
import subprocess
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

EXIT_USAGE = 2
EXIT_GIT = 3
DEPLOY_DELAY = timedelta(minutes=25)
GIT = (
    "git",
    *("-c", "init.defaultBranch=main"),
    *("-c", "commit.gpgsign=false"),
    *("-c", "tag.gpgsign=false"),
    *("-c", "core.autocrlf=false"),
    *("-c", "core.hooksPath=" + os.devnull),
)
CHECKOUT = "actions/checkout@34e114876b0b11c390a56381ad16ebd13914f8d5 # v4.3.1"
SETUP_PYTHON = "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class Person:
    name: str
    email: str


AUTHORS = {"ana": Person("Ana Lima", "ana@shop.example"), "ben": Person("Ben Okafor", "ben@shop.example")}


@dataclass(frozen=True)
class Step:
    when: str
    author: Person
    message: str
    files: Mapping[str, str]
    tag: tuple[str, str] | None = None  # (name, time) of an annotated release tag on this commit


@dataclass(frozen=True)
class Built:
    head: str
    commits: int
    tags: Mapping[str, str]


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


def planted_token() -> str:
    """A GitHub-token-shaped string (30 characters and a CRC32 checksum, like real ones), valid nowhere.

    Assembled at runtime and never written literally in this file, so that secloop's own secret scan
    of this repository stays clean while the demo's history carries a realistic leak.
    """
    digest = hashlib.sha256(b"secloop demo: planted, never a real credential").digest()
    body = "".join(_BASE62[byte % 62] for byte in digest[:30])
    return "gh" + "p_" + body + _base62(zlib.crc32(body.encode()), 6)


def _at(when: str) -> datetime:
    return datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the shop's files ------------------------------------------------------------------------------

README = """# shop

A small web shop service: catalog, login, cart and orders.

    pip install -r requirements.txt && gunicorn 'shop.app:create_app()'
"""

REQUIREMENTS = "flask==3.1.1\ngunicorn==23.0.0\nprometheus-client==0.21.1\n"

SETTINGS = '''"""Runtime settings, read by create_app()."""

import os

DEBUG = False
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///shop.db")
'''


def app_py(*blueprints: str) -> str:
    imports = "".join(f"from shop.{name} import bp as {name}_bp\n" for name in blueprints)
    registers = "".join(f"    app.register_blueprint({name}_bp)\n" for name in blueprints)
    return f'''"""HTTP entry point of the shop service."""

import logging

from flask import Flask

{imports}
log = logging.getLogger("shop")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.from_object("config.settings")
{registers}    log.info("shop started")
    return app
'''


CATALOG = '''"""Product catalog."""

from flask import Blueprint, jsonify

bp = Blueprint("catalog", __name__)
PRODUCTS = {1: {"name": "mug", "price": "9.50"}, 2: {"name": "poster", "price": "14.00"}}


@bp.get("/products")
def list_products():
    return jsonify(sorted(PRODUCTS.values(), key=lambda p: p["name"]))
'''

CONFTEST = """import pytest

from shop.app import create_app


@pytest.fixture
def client():
    return create_app().test_client()
"""

TEST_CATALOG = """def test_lists_products_by_name(client):
    assert [p["name"] for p in client.get("/products").get_json()] == ["mug", "poster"]
"""

AUTH = '''"""Login, and the bearer-token check in front of every private endpoint."""

import functools
import logging

from flask import Blueprint, abort, g, request
from prometheus_client import Counter

from shop.users import SESSIONS, verify

bp = Blueprint("auth", __name__)
log = logging.getLogger("shop.auth")
LOGIN_FAILURES = Counter("login_failures_total", "Failed login attempts", ["reason"])


@bp.post("/login")
def login():
    body = request.get_json(silent=True) or {}
    if not verify(body.get("user", ""), body.get("password", "")):
        LOGIN_FAILURES.labels(reason="bad_credentials").inc()
        log.warning("failed login for user=%s", body.get("user"))
        abort(401)
    return {"status": "ok"}


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.user = SESSIONS.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if g.user is None:
            abort(401)
        return view(*args, **kwargs)

    return wrapper
'''

USERS = '''"""Users and sessions; passwords are kept as scrypt digests."""

import hashlib
import hmac

USERS: dict[str, bytes] = {}
SESSIONS: dict[str, str] = {}


def verify(user: str, supplied: str) -> bool:
    actual = hashlib.scrypt(supplied.encode(), salt=user.encode(), n=2**14, r=8, p=1)
    return hmac.compare_digest(USERS.get(user, b""), actual)
'''

TEST_AUTH = """def test_unauthenticated_request_is_rejected_with_401(client):
    assert client.get("/orders").status_code == 401


def test_login_with_unknown_user_is_rejected(client):
    assert client.post("/login", json={"user": "nobody"}).status_code == 401
"""

CI_WORKFLOW = """name: ci

on:
  pull_request_target:
    types: [opened, synchronize]
  push:
    branches: [main]

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt pytest
      - run: pytest -q
      - name: Announce
        run: echo "Tested PR ${{ github.event.pull_request.title }}"
"""

DOCKERFILE = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "shop.app:create_app()"]
"""

ORDERS = '''"""Checkout: turn the cart into an order."""

import logging

from flask import Blueprint, g, jsonify

from shop.auth import login_required
from shop.cart import CARTS, total

bp = Blueprint("orders", __name__)
log = logging.getLogger("shop.orders")
ORDERS: list[dict] = []


@bp.post("/orders")
@login_required
def checkout():
    cart = CARTS.pop(g.user, [])
    if not cart:
        return ("cart is empty", 400)
    ORDERS.append({"user": g.user, "items": cart, "total": str(total(cart))})
    log.info("order placed by %s", g.user)
    return jsonify(ORDERS[-1]), 201
'''

ORDER_HISTORY = """

@bp.get("/orders")
@login_required
def order_history():
    return jsonify([order for order in ORDERS if order["user"] == g.user])
"""

TEST_ORDERS = """def test_checkout_requires_login(client):
    assert client.post("/orders").status_code == 401
"""

K8S = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop}
spec:
  replicas: 3
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: registry.example.com/shop:0.2.0
          ports:
            - containerPort: 8000
          readinessProbe:
            httpGet: {path: /products, port: 8000}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
"""

FEATURES = '''"""Feature switches, read from features.yaml at start-up."""

import yaml


def load_features(path: str = "features.yaml") -> dict[str, bool]:
    with open(path, encoding="utf-8") as handle:
        return {name: bool(on) for name, on in (yaml.safe_load(handle) or {}).items()}
'''

PRE_COMMIT = """repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.9
    hooks:
      - id: ruff
      - id: ruff-format
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: end-of-file-fixer
      - id: check-yaml
"""

DEPENDABOT = """version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
"""

LINT_WORKFLOW = f"""name: lint

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {SETUP_PYTHON}
        with:
          python-version: "3.12"
      - uses: shop-org/style-check@v2 # secloop: ignore[GHA-UNPINNED-ACTION] vendored action, reviewed 2026-09
"""

ALERTS = """groups:
  - name: shop
    rules:
      - alert: LoginFailuresHigh
        expr: sum(rate(login_failures_total[5m])) > 5
        for: 5m
        labels: {severity: page}
        annotations:
          summary: More than 5 failed logins per second for 5 minutes
      - alert: ShopDown
        expr: up{job="shop"} == 0
        labels: {severity: page}
        annotations:
          summary: A shop instance cannot be scraped
"""

# Deliberately malformed (a misindented step), so the assessment reports it as Skipped.
NIGHTLY_WORKFLOW = """name: nightly

on:
  schedule:
    - cron: "0 3 * * *"

jobs:
  audit:
    runs-on: ubuntu-latest
    steps:
      - run: pip install pip-audit
      - run: pip-audit -r requirements.txt
       - run: echo "audit done"
"""


def cart_py(version: int) -> str:
    head, body = "", "sum(float(item['price']) for item in cart)"
    if version == 2:  # the change behind INC-1
        body = f"round({body}, 1)"
    elif version == 3:
        head, body = (
            "from decimal import Decimal\n\n",
            "sum((Decimal(i['price']) for i in cart), Decimal('0.00'))",
        )
    return f'''"""Shopping cart, kept in memory per user."""

{head}from flask import Blueprint, g, jsonify, request

from shop.auth import login_required

bp = Blueprint("cart", __name__)
CARTS: dict[str, list[dict]] = {{}}


def total(cart):
    return {body}


@bp.post("/cart")
@login_required
def add_to_cart():
    CARTS.setdefault(g.user, []).append(request.get_json())
    return jsonify(CARTS[g.user]), 201
'''


TEST_CART = """from shop.cart import total


def test_total_of_two_items():
    assert total([{"price": "9.50"}, {"price": "14.00"}]) == 23.5
"""

TEST_CART_FIXED = """from decimal import Decimal

from shop.cart import total


def test_total_keeps_cents():
    assert total([{"price": "0.05"}, {"price": "0.10"}]) == Decimal("0.15")
"""


def files() -> dict[str, str]:
    """Every version of every file, keyed by its path, or path#n when the file changes over time."""
    leak = f'# TODO: move to the secret store before v0.2.0\nGITHUB_TOKEN = "{planted_token()}"\n'
    return {
        "README.md": README,
        ".gitignore": "__pycache__/\n*.pyc\n.venv/\n.env\n",
        "requirements.txt#1": REQUIREMENTS,
        "requirements.txt#2": REQUIREMENTS + "PyYAML==5.3.1\n",
        "shop/__init__.py": "",
        "config/__init__.py": "",
        "config/settings.py#1": SETTINGS,
        "config/settings.py#2": SETTINGS + leak,
        "config/settings.py#3": SETTINGS + 'GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")\n',
        "shop/app.py#1": app_py(),
        "shop/app.py#2": app_py("catalog"),
        "shop/app.py#3": app_py("auth", "catalog"),
        "shop/app.py#4": app_py("auth", "cart", "catalog", "orders"),
        "shop/catalog.py": CATALOG,
        "tests/conftest.py": CONFTEST,
        "tests/test_catalog.py": TEST_CATALOG,
        "shop/auth.py": AUTH,
        "shop/users.py": USERS,
        "tests/test_auth.py": TEST_AUTH,
        ".github/workflows/ci.yml": CI_WORKFLOW,
        "Dockerfile": DOCKERFILE,
        ".dockerignore": ".git\n.venv\n__pycache__\ntests\n",
        "shop/orders.py#1": ORDERS,
        "shop/orders.py#2": ORDERS + ORDER_HISTORY,
        "tests/test_orders.py": TEST_ORDERS,
        "k8s/deployment.yaml": K8S,
        "shop/features.py": FEATURES,
        "features.yaml": "new_checkout: false\norder_history: false\n",
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".github/dependabot.yml": DEPENDABOT,
        ".github/CODEOWNERS": "* @shop-org/backend\n/.github/ @shop-org/platform\n/k8s/ @shop-org/platform\n",
        ".github/workflows/lint.yml": LINT_WORKFLOW,
        "monitoring/alerts.yml": ALERTS,
        ".github/workflows/nightly.yml": NIGHTLY_WORKFLOW,
        "shop/cart.py#1": cart_py(1),
        "shop/cart.py#2": cart_py(2),
        "shop/cart.py#3": cart_py(3),
        "tests/test_cart.py#1": TEST_CART,
        "tests/test_cart.py#2": TEST_CART_FIXED,
        "secloop.toml": '# Fail the build on high and critical findings.\nfail_on = "high"\n',
    }


# Two lines a commit: "date time author message [-> tag at date time]", then the files it writes.
HISTORY = """
2026-08-03 09:12 ana Start the shop service
    README.md .gitignore requirements.txt#1 shop/__init__.py
2026-08-03 11:40 ana Add the app factory and settings
    shop/app.py#1 config/__init__.py config/settings.py#1
2026-08-04 14:30 ben Add the product catalog
    shop/catalog.py shop/app.py#2 tests/conftest.py tests/test_catalog.py
2026-08-06 10:05 ana Add login and count failed logins
    shop/auth.py shop/users.py shop/app.py#3 tests/test_auth.py
2026-08-07 16:20 ben Run the tests in CI
    .github/workflows/ci.yml
2026-08-10 11:00 ana Containerise the service -> v0.1.0 at 2026-08-11 09:30
    Dockerfile .dockerignore
2026-08-13 15:45 ben Let the release bot call the GitHub API
    config/settings.py#2
2026-08-17 10:10 ana Add the cart and the checkout flow
    shop/cart.py#1 shop/orders.py#1 shop/app.py#4 tests/test_orders.py tests/test_cart.py#1
2026-08-19 09:05 ben Read the GitHub token from the environment
    config/settings.py#3
2026-08-24 13:00 ana Add the Kubernetes deployment -> v0.2.0 at 2026-08-25 10:00
    k8s/deployment.yaml
2026-08-27 11:30 ben Load feature switches from YAML
    shop/features.py features.yaml requirements.txt#2
2026-09-01 09:40 ana Add pre-commit hooks
    .pre-commit-config.yaml
2026-09-03 14:15 ben Add Dependabot and code owners
    .github/dependabot.yml .github/CODEOWNERS
2026-09-08 10:50 ana Add the lint workflow -> v0.3.0 at 2026-09-09 11:00
    .github/workflows/lint.yml
2026-09-14 15:20 ben Alert on failed logins and downtime
    monitoring/alerts.yml
2026-09-17 09:55 ana Audit dependencies every night
    .github/workflows/nightly.yml
2026-09-22 16:00 ben Round cart totals for display -> v0.4.0 at 2026-09-23 10:00
    shop/cart.py#2
2026-09-24 11:15 ana Fix cart totals losing cents, which failed checkouts (INC-1)
    shop/cart.py#3 tests/test_cart.py#2
2026-09-28 10:30 ben Gate the build with secloop
    secloop.toml
2026-10-05 14:00 ana Add the order history endpoint -> v0.5.0 at 2026-10-06 09:30
    shop/orders.py#2
"""

_HEADER = re.compile(r"(\S+ \S+) (\w+) (.+?)(?: -> (\S+) at (\S+ \S+))?")


def steps() -> list[Step]:
    contents = files()
    lines = HISTORY.strip().splitlines()
    plan: list[Step] = []
    for header, written in zip(lines[::2], lines[1::2], strict=True):
        match = _HEADER.fullmatch(header)
        assert match is not None, header
        when, author, message, tag, tag_when = match.groups()
        changed = {key.split("#")[0]: contents[key] for key in written.split()}
        plan.append(Step(when, AUTHORS[author], message, changed, (tag, tag_when) if tag else None))
    return plan


def events(tags: Mapping[str, tuple[str, str]]) -> str:
    """Production deployments of every release and one incident caused by v0.4.0, as JSON lines."""
    lines: list[dict[str, str]] = []
    for version, (sha, when) in sorted(tags.items()):
        deployed = _at(when) + DEPLOY_DELAY
        head = {"type": "deployment", "environment": "production", "sha": sha, "version": version}
        lines.append(head | {"time": _iso(deployed), "status": "success"})
        if version == "v0.4.0":
            opened = deployed + timedelta(hours=3, minutes=15)
            times = {"opened": _iso(opened), "resolved": _iso(opened + timedelta(hours=3))}
            about = {"deployment_sha": sha, "severity": "high", "title": "Checkouts fail: totals lose cents"}
            lines.append({"type": "incident", "id": "INC-1"} | times | about)
    return "".join(json.dumps(line) + "\n" for line in lines)


# --- git -------------------------------------------------------------------------------------------


class Git:
    """git in the demo repository, blind to the user's and the system's config, with fixed identities."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", TZ="UTC")

    def run(self, *args: str, person: Person | None = None, when: str | None = None) -> str:
        env = dict(self.env)
        if person is not None:
            env.update(GIT_AUTHOR_NAME=person.name, GIT_AUTHOR_EMAIL=person.email)
            env.update(GIT_COMMITTER_NAME=person.name, GIT_COMMITTER_EMAIL=person.email)
        if when is not None:
            stamp = _at(when).strftime("%Y-%m-%dT%H:%M:%S+0000")
            env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        done = subprocess.run(
            [*GIT, *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def commit(self, step: Step) -> str:
        for rel, text in step.files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        self.run("add", "--all")
        self.run("commit", "--quiet", "--no-verify", "-m", step.message, person=step.author, when=step.when)
        return self.run("rev-parse", "HEAD")


def build(dest: Path) -> Built:
    dest.mkdir(parents=True, exist_ok=True)
    git = Git(dest)
    git.run("init", "--quiet")
    plan = steps()
    tags: dict[str, tuple[str, str]] = {}
    for step in plan:
        sha = git.commit(step)
        if step.tag is not None:
            name, when = step.tag
            git.run("tag", "--annotate", name, "-m", f"Release {name}", person=step.author, when=when)
            tags[name] = (sha, when)
    last = _at(plan[-1].when) + timedelta(days=7)
    record = {".secloop/events.jsonl": events(tags)}
    head = git.commit(
        Step(
            last.strftime("%Y-%m-%d %H:%M"), AUTHORS["ben"], "Record production deployments and INC-1", record
        )
    )
    return Built(head, len(plan) + 1, {name: sha for name, (sha, _) in tags.items()})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python scripts/make_demo.py DEST", file=sys.stderr)
        return EXIT_USAGE
    dest = Path(args[0])
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        print(
            f"make_demo: refusing to write into {dest}: it exists and is not an empty directory "
            "(remove it or choose a new path)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        built = build(dest)
    except FileNotFoundError:
        print("make_demo: git is not installed or not on PATH", file=sys.stderr)
        return EXIT_GIT
    except subprocess.CalledProcessError as exc:
        print(f"make_demo: `git {' '.join(exc.cmd[len(GIT) :])}` failed:\n{exc.stderr}", file=sys.stderr)
        return EXIT_GIT
    print(f"built the demo repository at {dest}")
    print(f"  commits: {built.commits}")
    print(f"  tags:    {', '.join(sorted(built.tags))}")
    print(f"  HEAD:    {built.head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
