"""The Bandit tests secloop maps to its own rules, as data: one line per test.

Columns: Bandit test id | default severity | confidence | CWE | title | fix. A finding carries the
severity and confidence Bandit reported for it; the rule carries these defaults.
"""

from __future__ import annotations

TABLE = """
B101 | low | high | 703 | assert used for a runtime check | Raise an exception; asserts vanish under -O.
B102 | medium | high | 78 | exec() used | Do not execute dynamic code; dispatch on known names.
B103 | medium | medium | 732 | file permissions too permissive | Use 0o600/0o700 or narrower.
B104 | medium | medium | 605 | binding to all interfaces | Bind to a specific interface from config.
B105 | low | medium | 259 | hard-coded password string | Read secrets from the environment or a vault.
B106 | low | medium | 259 | hard-coded password argument | Read secrets from the environment or a vault.
B107 | low | medium | 259 | hard-coded password default | Read secrets from the environment or a vault.
B108 | medium | medium | 377 | insecure temporary file or directory | Use the tempfile module.
B110 | low | high | 703 | try/except/pass hides errors | Handle or log the exception.
B112 | low | high | 703 | try/except/continue hides errors | Handle or log the exception.
B113 | medium | low | 400 | HTTP request without a timeout | Pass timeout= to every request.
B201 | high | medium | 94 | Flask app run with debug=True | Never enable the debugger outside development.
B202 | high | high | 22 | tarfile.extractall without member filtering | Pass filter='data' or vet members.
B301 | medium | high | 502 | pickle deserialisation | Deserialise untrusted data with json or a schema.
B302 | medium | high | 502 | marshal deserialisation | Never unmarshal untrusted data.
B303 | medium | high | 327 | insecure hash (MD5/SHA1) | Use SHA-256+, or usedforsecurity=False.
B304 | high | high | 327 | insecure cipher | Use AES-GCM or ChaCha20-Poly1305.
B305 | medium | high | 327 | insecure cipher mode | Use an authenticated mode such as GCM.
B306 | medium | high | 377 | tempfile.mktemp race | Use tempfile.mkstemp.
B307 | medium | high | 78 | eval() used | Use ast.literal_eval or a parser for the expected format.
B308 | medium | high | 79 | mark_safe may expose XSS | Escape input; use format_html.
B310 | medium | high | 22 | urlopen with a dynamic URL | Allow only http(s) URLs from an allowlist.
B311 | low | high | 330 | non-cryptographic random | Use secrets for tokens and keys.
B312 | high | high | 319 | telnetlib used | Use SSH.
B313 | medium | high | 20 | XML parsing open to XXE (cElementTree) | Use defusedxml.
B314 | medium | high | 20 | XML parsing open to XXE (ElementTree) | Use defusedxml.
B315 | medium | high | 20 | XML parsing open to XXE (expatreader) | Use defusedxml.
B316 | medium | high | 20 | XML parsing open to XXE (expatbuilder) | Use defusedxml.
B317 | medium | high | 20 | XML parsing open to XXE (sax) | Use defusedxml.
B318 | medium | high | 20 | XML parsing open to XXE (minidom) | Use defusedxml.
B319 | medium | high | 20 | XML parsing open to XXE (pulldom) | Use defusedxml.
B321 | high | high | 319 | FTP used | Use SFTP or HTTPS.
B323 | medium | high | 295 | unverified SSL context | Use ssl.create_default_context().
B324 | high | high | 327 | insecure hash function | Use SHA-256+, or usedforsecurity=False.
B401 | high | high | 319 | telnetlib imported | Use SSH.
B402 | high | high | 319 | ftplib imported | Use SFTP or HTTPS.
B403 | low | high | 502 | pickle imported | Prefer json for data from outside.
B404 | low | high | 78 | subprocess imported | Review every call; never pass shell=True with input.
B405 | low | high | 20 | xml.etree imported | Use defusedxml.
B406 | low | high | 20 | xml.sax imported | Use defusedxml.
B407 | low | high | 20 | xml.dom.expatbuilder imported | Use defusedxml.
B408 | low | high | 20 | xml.dom.minidom imported | Use defusedxml.
B409 | low | high | 20 | xml.dom.pulldom imported | Use defusedxml.
B411 | high | high | 20 | xmlrpc imported | Use defusedxml.xmlrpc.monkey_patch().
B412 | high | high | 284 | wsgiref.handlers.CGIHandler imported (httpoxy) | Do not use CGIHandler.
B413 | high | high | 327 | pycrypto imported | Use cryptography.
B415 | high | high | 319 | pyghmi imported | Avoid IPMI.
B501 | high | high | 295 | TLS certificate verification disabled | Keep verify=True.
B502 | high | high | 327 | insecure SSL/TLS version | Use TLS 1.2 or newer.
B503 | medium | medium | 327 | insecure SSL/TLS default version | Use TLS 1.2 or newer.
B504 | low | medium | 327 | SSL/TLS without an explicit version | Use ssl.create_default_context().
B505 | high | high | 326 | weak cryptographic key | RSA/DSA >= 2048 bits, EC >= 224 bits.
B506 | medium | high | 20 | yaml.load without a safe loader | Use yaml.safe_load.
B507 | high | medium | 295 | SSH host key verification disabled | Use RejectPolicy and known hosts.
B508 | medium | high | 319 | insecure SNMP version | Use SNMPv3.
B509 | medium | medium | 319 | SNMP without authentication or encryption | Use authPriv.
B601 | medium | medium | 78 | paramiko exec_command (shell injection) | Quote arguments with shlex.quote.
B602 | high | high | 78 | subprocess with shell=True | Pass a list of arguments without shell=True.
B603 | low | high | 78 | subprocess without a shell (check input) | Validate untrusted arguments.
B604 | medium | low | 78 | function called with shell=True | Avoid shell=True.
B605 | high | high | 78 | process started with a shell | Use subprocess with a list of arguments.
B606 | low | medium | 78 | process started without a shell | Validate untrusted arguments.
B607 | low | high | 78 | process started with a partial path | Use an absolute executable path.
B608 | medium | low | 89 | SQL built from strings | Use parameterised queries.
B609 | high | medium | 78 | wildcard injection in a command | Avoid shell wildcards.
B610 | medium | medium | 89 | Django extra() used | Use the ORM or parameters.
B611 | medium | medium | 89 | Django RawSQL used | Use the ORM or parameters.
B612 | medium | high | 94 | logging.config.listen() used | Do not accept logging config over a socket.
B613 | high | medium | 838 | bidi control characters (trojan source) | Remove bidi control characters.
B614 | medium | high | 502 | torch.load without weights_only | Pass weights_only=True.
B615 | medium | high | 494 | Hugging Face download without a revision | Pin revision= to a commit hash.
B701 | high | high | 94 | Jinja2 autoescape disabled | Use autoescape=select_autoescape().
B702 | medium | high | 80 | Mako templates (no autoescape) | Use default_filters=['h'] or Jinja2.
B703 | medium | high | 80 | Django mark_safe (XSS) | Escape input; use format_html.
B704 | medium | high | 79 | markupsafe.Markup on dynamic content (XSS) | Escape input before Markup.
"""


def rows() -> list[tuple[str, str, str, int, str, str]]:
    out = []
    for line in TABLE.strip().splitlines():
        test_id, severity, confidence, cwe, title, fix = (part.strip() for part in line.split("|"))
        out.append((test_id, severity, confidence, int(cwe), title, fix))
    return out
