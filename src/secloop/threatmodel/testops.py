"""Generated repository checks for operations: logging, monitoring, resilience and data-store settings.

They look in the component's code paths (its `code` globs in the model, @CODE@; the whole repository
when it names none) for the configuration that is the control: authentication outcomes logged,
structured and redacted logs, alert rules, log shipping, retention and immutability, network
policies, more than one instance, timeouts on outbound calls. Data-store settings reuse secloop's
IaC engine (`secloop.iac`) on the component's files rather than grepping for them.
"""

from __future__ import annotations

OPS_HELPERS = '''
SOURCE = ("*.py", "*.js", "*.mjs", "*.ts", "*.go", "*.java", "*.kt", "*.rb", "*.cs", "*.php")
CONFIG = ("*.yml", "*.yaml", "*.json", "*.toml", "*.tf", "*.conf", "*.ini", "*.cfg", "*.properties",
          "Dockerfile", "*.env")
VENDORED = {"node_modules", "venv", "vendor", "site-packages", "dist", "build", "__pycache__"}
CI_FOLDERS = {".github", ".gitlab", ".circleci", ".secloop"}


def _tree(*patterns: str) -> list[Path]:
    """Files whose names match ``patterns``, outside vendored and hidden folders (CI's are kept)."""
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in VENDORED and (not d.startswith(".") or d in CI_FOLDERS)]
        found += [Path(folder) / n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    return sorted(found)


def _scoped(code: tuple[str, ...], *patterns: str) -> list[Path]:
    """Files named ``patterns`` inside the component's code globs (the whole repository without any)."""
    found = _tree(*patterns)
    if not code:
        return found
    globs = [*code, *(g.rstrip("/") + "/*" for g in code)]
    return [f for f in found if any(fnmatch.fnmatch(f.relative_to(ROOT).as_posix(), g) for g in globs)]


def _some(files: list[Path], what: str) -> list[Path]:
    if not files:
        pytest.skip(f"no {what} in the component's code paths")
    return files


def _calls(text: str, start: str) -> list[str]:
    """The argument text of every call that begins with the regex ``start`` (ending in its open paren)."""
    found = []
    for match in re.finditer(start, text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        found.append(text[match.end() : i - 1])
    return found


def _iac_findings(code: tuple[str, ...], resource_types: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(data-store resources in scope, IaC rule ids raised on them) from secloop's IaC engine."""
    scan_module = pytest.importorskip("secloop.iac.scan", reason="secloop is needed for the IaC checks")
    repo_module = pytest.importorskip("secloop.sources.repo")
    scan = scan_module.scan_iac(repo_module.Repo(ROOT))
    scoped = {f.relative_to(ROOT).as_posix() for f in _scoped(code, "*")}
    stores = [f"{r.path}:{r.line} {r.address}" for r in scan.resources
              if r.type in resource_types and r.path in scoped]
    if not stores:
        pytest.skip(f"no {', '.join(resource_types[:3])}... resource in the component's code paths")
    places = {s.split(":")[0] for s in stores}
    raised = [f"{f.rule_id} at {f.primary.path}:{f.primary.start_line}" for f in scan.findings
              if f.primary is not None and f.primary.path in places]
    return stores, raised
'''

_STORES = (
    "('aws_db_instance', 'aws_rds_cluster', 'aws_s3_bucket', 'aws_ebs_volume', 'aws_dynamodb_table', "
    "'google_sql_database_instance', 'google_storage_bucket', 'azurerm_storage_account')"
)


def _iac(rules: str, message: str) -> str:
    return f'''    stores, raised = _iac_findings(@CODE@, {_STORES})
    failing = [r for r in raised if r.split(" ")[0] in {rules}]
    assert not failing, f"{message}: {{failing}}"
'''


OPS_BODIES: dict[str, tuple[str, str]] = {
    "repo-security-logging": (
        "authentication_outcomes_are_logged",
        '''    """@THREAT@: the component's code logs authentication and authorization outcomes (@RULE@)."""
    files = _some(_scoped(@CODE@, *SOURCE), "source code")
    owasp = r"\\b(authn|authz|session|privilege|user)_[a-z_]+(fail|success|created|change|deleted|lock)"
    calls = (r"\\b(log|logger|logging|audit|_log|console)\\.(info|warn|warning|error|critical|notice"
             r"|audit|log|exception)\\w*\\(.{0,160}(log ?in|logon|sign.?in|authenticat|authori[sz]"
             r"|permission|forbidden|access denied|unauthori[sz]ed)")
    logged = _mentions(files, owasp) or _mentions(files, calls)
    assert logged, "no authentication or authorization outcome is logged"
''',
    ),
    "repo-alerting": (
        "security_events_raise_alerts",
        '''    """@THREAT@: Prometheus alert rules (valid) or .secloop/monitor.toml exist (@RULE@)."""
    import shutil
    import subprocess

    rules = [f for f in _mentions(_tree("*.yml", "*.yaml"), r"^\\s*-?\\s*alert:\\s*\\S")
             if _mentions([f], r"^\\s*expr:")]
    monitor = _files(".secloop/monitor.toml")
    assert rules or monitor, "no Prometheus alert rules and no .secloop/monitor.toml"
    promtool = shutil.which("promtool")
    for f in rules if promtool else []:
        command = [promtool, "check", "rules", str(f)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{f.relative_to(ROOT)}: {proc.stdout}{proc.stderr}"
''',
    ),
    "repo-log-retention": (
        "log_retention_is_configured",
        '''    """@THREAT@: infrastructure code sets a retention period for logs (@RULE@)."""
    pattern = (r"(retention_in_days|retentionInDays|RetentionInDays|log_retention\\w*|retention_period)"
               r"[\\"']?\\s*[=:]\\s*[\\"']?[1-9]")
    assert _mentions(_tree(*CONFIG), pattern), "no log retention period in the IaC"
''',
    ),
    "repo-central-logs": (
        "logs_are_shipped_off_the_host",
        '''    """@THREAT@: logs are shipped to a central system (log agent or sink) (@RULE@)."""
    agents = _tree("fluent-bit*.conf", "fluent-bit*.yaml", "fluentd*.conf", "vector.toml", "vector.yaml",
                   "promtail*.yaml", "*otel*collector*.yaml", "filebeat*.yml")
    sinks = (r"aws_cloudwatch_log_subscription_filter|google_logging_project_sink"
             r"|azurerm_monitor_diagnostic_setting|^\\s*driver:\\s*[\\"']?(awslogs|gelf|syslog|fluentd|splunk|gcplogs|loki)\\b")
    assert agents or _mentions(_tree(*CONFIG), sinks), "logs stay on the host"
''',
    ),
    "repo-immutable-logs": (
        "logs_are_append_only",
        '''    """@THREAT@: logs land in append-only or tamper-evident storage (@RULE@)."""
    pattern = (r"object_lock_enabled\\s*=\\s*true|object_lock_configuration|ObjectLockEnabled"
               r"|is_locked\\s*=\\s*true|immutability_policy|enable_log_file_validation\\s*=\\s*true")
    assert _mentions(_tree(*CONFIG), pattern), "no object lock, WORM or log validation"
''',
    ),
    "repo-structured-logging": (
        "logs_are_structured",
        '''    """@THREAT@: the component logs structured (JSON) records input cannot forge (@RULE@)."""
    files = _some(_scoped(@CODE@, *SOURCE, *CONFIG), "source code or configuration")
    pattern = (r"\\bstructlog\\b|pythonjsonlogger|jsonlogger|JSONRenderer|\\bpino\\b|winston\\.format\\.json"
               r"|LogstashEncoder|logstash-logback-encoder|\\bzerolog\\b|zap\\.New|slog\\.NewJSONHandler"
               r"|[\\"']?format[\\"']?\\s*[=:]\\s*[\\"']json")
    assert _mentions(files, pattern), "no structured (JSON) logging configured"
''',
    ),
    "repo-utc-logs": (
        "log_times_are_utc",
        '''    """@THREAT@: log timestamps are in UTC or the clock is synchronised (@RULE@)."""
    files = _scoped(@CODE@, *SOURCE, *CONFIG)
    pattern = (r"converter\\s*=\\s*time\\.gmtime|TimeStamper\\([^)]*utc\\s*=\\s*True"
               r"|\\bTZ[\\"']?\\s*[=:]\\s*[\\"']?(Etc/)?UTC\\b|\\bchronyd?\\b|timesyncd|\\bntpd\\b")
    assert _mentions(files, pattern), "no UTC log time and no clock synchronisation configured"
''',
    ),
    "repo-log-redaction": (
        "personal_data_is_redacted_from_logs",
        '''    """@THREAT@: the logging set-up of the component redacts personal data (@RULE@)."""
    files = _mentions(_some(_scoped(@CODE@, *SOURCE, *CONFIG), "source code or configuration"),
                      r"logging|logger|structlog|pino|winston|log4j|logback|serilog")
    pattern = r"redact|scrub|anonymi[sz]|pseudonymi[sz]|mask_?(pii|email|personal|sensitive|secrets?)"
    assert _mentions(files, pattern), "no redaction in the logging code or configuration"
''',
    ),
    "repo-network-policy": (
        "network_is_segmented",
        '''    """@THREAT@: network policies or firewall rules restrict what components reach (@RULE@)."""
    pattern = (r"^\\s*kind:\\s*(NetworkPolicy|CiliumNetworkPolicy|AuthorizationPolicy)\\b"
               r"|resource\\s+\\"(aws_security_group|aws_network_acl|google_compute_firewall"
               r"|azurerm_network_security_group)\\"|^\\s*internal:\\s*true")
    assert _mentions(_tree(*CONFIG), pattern), "no network policy or firewall rules"
''',
    ),
    "repo-redundancy": (
        "more_than_one_instance_runs",
        '''    """@THREAT@: deployments run at least two instances (@RULE@)."""
    files = _tree(*CONFIG)
    two = r"[2-9]|[1-9][0-9]+"
    many = (rf"^\\s*(replicas|minReplicas):\\s*({two})\\b"
            rf"|\\b(min_size|desired_count|min_capacity)\\s*=\\s*({two})\\b|multi_az\\s*=\\s*true")
    ones = _mentions(files, r"^\\s*(replicas|minReplicas):\\s*1\\b")
    single = [f.relative_to(ROOT).as_posix() for f in ones]
    assert _mentions(files, many), "no deployment with two or more instances"
    assert not single, f"single instances in {single}"
''',
    ),
    "repo-four-eyes": (
        "changes_need_a_second_approver",
        '''    """@THREAT@: a second person must approve changes (approval rules as code) (@RULE@)."""
    pattern = (r"(required_approving_review_count|approvals_before_merge|approvals_required)"
               r"[\\"']?\\s*[=:]\\s*[1-9]"
               r"|resource\\s+\\"github_repository_environment\\"[^}]*reviewers")
    files = _files(".github/settings.yml", ".gitlab/*.yml") + _tree("*.tf", "*.tf.json")
    assert _mentions(files, pattern), "no required approvals in the repository settings or IaC"
''',
    ),
    "repo-client-timeouts": (
        "outbound_calls_have_timeouts",
        '''    """@THREAT@: outbound HTTP calls in the component's code set a timeout (@RULE@)."""
    start = (r"\\b(requests|httpx)\\.(get|post|put|patch|delete|head|request)\\(|\\burlopen\\("
             r"|\\baxios(\\.(get|post|put|patch|delete|request))?\\(")
    calls = [(f, a) for f in _scoped(@CODE@, *SOURCE) for a in _calls(f.read_text("utf-8", "replace"), start)]
    if not calls:
        pytest.skip("no requests/httpx/urlopen/axios call found in the component's code paths")
    loose = sorted({f.relative_to(ROOT).as_posix() for f, args in calls if not re.search(r"timeout", args)})
    assert not loose, f"calls without a timeout in {loose}"
''',
    ),
    "repo-no-static-keys": (
        "no_long_lived_keys",
        '''    """@THREAT@: no static cloud keys issued or given to CI, no key files committed (@RULE@)."""
    issued = r"resource\\s+\\"(aws_iam_access_key|google_service_account_key|azuread_application_password)\\""
    passed = r"secrets\\.\\w*(ACCESS_KEY|SECRET_KEY|CLIENT_SECRET|API_KEY|CREDENTIALS|PASSWORD)\\w*"
    if not _tree("*.tf") and not _workflows():
        pytest.skip("no Terraform and no CI workflow to look at")
    found = [f.relative_to(ROOT).as_posix() for f in _mentions(_tree("*.tf"), issued)]
    found += [f.relative_to(ROOT).as_posix() for f in _mentions(_workflows(), passed)]
    found += [f.relative_to(ROOT).as_posix() for f in _tree(".env", "*.pem", "*.p12", "*.pfx")]
    assert not found, f"static credentials in {sorted(set(found))}"
''',
    ),
    "iac-store-encrypted": (
        "store_is_encrypted_at_rest",
        '''    """@THREAT@: secloop's IaC engine finds the data store encrypted at rest (@RULE@)."""
'''
        + _iac(
            "('IAC-AWS-RDS-ENCRYPTION', 'IAC-AWS-S3-ENCRYPTION', 'IAC-AWS-EBS-ENCRYPTION')", "not encrypted"
        ),
    ),
    "iac-store-backups": (
        "store_is_backed_up",
        '''    """@THREAT@: secloop's IaC engine finds backups (or versioning) on the data store (@RULE@)."""
'''
        + _iac("('IAC-AWS-RDS-BACKUP', 'IAC-AWS-S3-VERSIONING')", "no backups"),
    ),
    "iac-store-private": (
        "store_is_not_public",
        '''    """@THREAT@: secloop's IaC engine finds no public access to the data store (@RULE@)."""
'''
        + _iac(
            "('IAC-AWS-RDS-PUBLIC', 'IAC-GCP-SQL-PUBLIC', 'IAC-AWS-S3-PUBLIC-ACL', "
            "'IAC-AWS-S3-POLICY-PUBLIC', 'IAC-AWS-S3-PUBLIC-ACCESS-BLOCK', 'IAC-GCP-BUCKET-PUBLIC', "
            "'IAC-AZURE-STORAGE-PUBLIC-BLOB')",
            "public access",
        ),
    ),
}

OPS_KINDS: tuple[str, ...] = tuple(OPS_BODIES)
