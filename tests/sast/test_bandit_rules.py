"""Every mapped Bandit test, through secloop: one vulnerable and one safe snippet each, with the line.

Password-like literals are assembled at run time so that none sits in this file.
"""

from __future__ import annotations

import pytest

from secloop.sast.model import SastScan
from secloop.sast.rules import BANDIT_RULES
from tests.sast.conftest import rows, scan_dir, write

PW = "pass" + "word"
VALUE = "not-" + "a-real-one"
COMMIT = "0123456789" * 4
BIDI = "\u202e"

# (rule id, vulnerable code, line of the finding, safe code)
CASES: list[tuple[str, str, int, str]] = [
    ("SAST-PY-B101", "def f(x):\n    assert x\n", 2, "def f(x):\n    if not x:\n        raise ValueError\n"),
    ("SAST-PY-B102", "exec(code)\n", 1, "print(code)\n"),
    ("SAST-PY-B103", "import os\nos.chmod('f.txt', 0o777)\n", 2, "import os\nos.chmod('f.txt', 0o600)\n"),
    ("SAST-PY-B104", "HOST = '0.0.0.0'\n", 1, "HOST = '127.0.0.1'\n"),
    ("SAST-PY-B105", f"{PW} = '{VALUE}'\n", 1, f"{PW} = os.environ['X']\n"),
    ("SAST-PY-B106", f"connect({PW}='{VALUE}')\n", 1, f"connect({PW}=os.environ['X'])\n"),
    ("SAST-PY-B107", f"def f({PW}='{VALUE}'):\n    pass\n", 1, f"def f({PW}=None):\n    pass\n"),
    ("SAST-PY-B108", "open('/tmp/x.txt', 'w')\n", 1, "open('x.txt', 'w')\n"),
    (
        "SAST-PY-B110",
        "try:\n    f()\nexcept Exception:\n    pass\n",
        3,
        "try:\n    f()\nexcept Exception:\n    log()\n",
    ),
    (
        "SAST-PY-B112",
        "for x in xs:\n    try:\n        f(x)\n    except Exception:\n        continue\n",
        4,
        "for x in xs:\n    try:\n        f(x)\n    except Exception:\n        log(x)\n",
    ),
    (
        "SAST-PY-B113",
        "import requests\nrequests.get(url)\n",
        2,
        "import requests\nrequests.get(url, timeout=5)\n",
    ),
    (
        "SAST-PY-B201",
        "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
        3,
        "from flask import Flask\napp = Flask(__name__)\napp.run()\n",
    ),
    (
        "SAST-PY-B202",
        "import tarfile\ntarfile.open('a.tar').extractall()\n",
        2,
        "import tarfile\ntarfile.open('a.tar').extractall(filter='data')\n",
    ),
    ("SAST-PY-B301", "import pickle\npickle.loads(data)\n", 2, "import json\njson.loads(data)\n"),
    ("SAST-PY-B302", "import marshal\nmarshal.loads(data)\n", 2, "import json\njson.loads(data)\n"),
    (
        "SAST-PY-B303",
        "from cryptography.hazmat.primitives import hashes\nhashes.MD5()\n",
        2,
        "from cryptography.hazmat.primitives import hashes\nhashes.SHA256()\n",
    ),
    (
        "SAST-PY-B304",
        "from cryptography.hazmat.primitives.ciphers import algorithms\nalgorithms.ARC4(key)\n",
        2,
        "from cryptography.hazmat.primitives.ciphers import algorithms\nalgorithms.AES(key)\n",
    ),
    (
        "SAST-PY-B305",
        "from cryptography.hazmat.primitives.ciphers import modes\nmodes.ECB()\n",
        2,
        "from cryptography.hazmat.primitives.ciphers import modes\nmodes.GCM(iv)\n",
    ),
    ("SAST-PY-B306", "import tempfile\ntempfile.mktemp()\n", 2, "import tempfile\ntempfile.mkstemp()\n"),
    ("SAST-PY-B307", "eval(text)\n", 1, "import ast\nast.literal_eval(text)\n"),
    (
        "SAST-PY-B308",
        "from django.utils.safestring import mark_safe\nmark_safe(text)\n",
        2,
        "from django.utils.html import format_html\nformat_html('<b>{}</b>', text)\n",
    ),
    (
        "SAST-PY-B310",
        "import urllib.request\nurllib.request.urlopen(url)\n",
        2,
        "import requests\nrequests.get('https://example.com/', timeout=5)\n",
    ),
    ("SAST-PY-B311", "import random\nrandom.random()\n", 2, "import secrets\nsecrets.token_hex()\n"),
    (
        "SAST-PY-B312",
        "import telnetlib\ntelnetlib.Telnet('h')\n",
        2,
        "import socket\nsocket.create_connection(('h', 22))\n",
    ),
    (
        "SAST-PY-B313",
        "import xml.etree.cElementTree as ET\nET.parse(f)\n",
        2,
        "import defusedxml.ElementTree as ET\nET.parse(f)\n",
    ),
    (
        "SAST-PY-B314",
        "import xml.etree.ElementTree as ET\nET.parse(f)\n",
        2,
        "import defusedxml.ElementTree as ET\nET.parse(f)\n",
    ),
    (
        "SAST-PY-B315",
        "import xml.sax.expatreader\nxml.sax.expatreader.create_parser()\n",
        2,
        "import defusedxml.expatreader\ndefusedxml.expatreader.create_parser()\n",
    ),
    (
        "SAST-PY-B316",
        "import xml.dom.expatbuilder\nxml.dom.expatbuilder.parse(f)\n",
        2,
        "import defusedxml.expatbuilder\ndefusedxml.expatbuilder.parse(f)\n",
    ),
    (
        "SAST-PY-B317",
        "import xml.sax\nxml.sax.parse(f, h)\n",
        2,
        "import defusedxml.sax\ndefusedxml.sax.parse(f, h)\n",
    ),
    (
        "SAST-PY-B318",
        "import xml.dom.minidom\nxml.dom.minidom.parse(f)\n",
        2,
        "import defusedxml.minidom\ndefusedxml.minidom.parse(f)\n",
    ),
    (
        "SAST-PY-B319",
        "import xml.dom.pulldom\nxml.dom.pulldom.parse(f)\n",
        2,
        "import defusedxml.pulldom\ndefusedxml.pulldom.parse(f)\n",
    ),
    ("SAST-PY-B321", "import ftplib\nftplib.FTP('h')\n", 2, "import paramiko\nparamiko.SFTPClient\n"),
    (
        "SAST-PY-B323",
        "import ssl\nssl._create_unverified_context()\n",
        2,
        "import ssl\nssl.create_default_context()\n",
    ),
    ("SAST-PY-B324", "import hashlib\nhashlib.md5(data)\n", 2, "import hashlib\nhashlib.sha256(data)\n"),
    ("SAST-PY-B401", "import telnetlib\n", 1, "import json\n"),
    ("SAST-PY-B402", "import ftplib\n", 1, "import json\n"),
    ("SAST-PY-B403", "import pickle\n", 1, "import json\n"),
    ("SAST-PY-B404", "import subprocess\n", 1, "import json\n"),
    ("SAST-PY-B405", "import xml.etree.ElementTree\n", 1, "import json\n"),
    ("SAST-PY-B406", "import xml.sax\n", 1, "import json\n"),
    ("SAST-PY-B407", "import xml.dom.expatbuilder\n", 1, "import json\n"),
    ("SAST-PY-B408", "import xml.dom.minidom\n", 1, "import json\n"),
    ("SAST-PY-B409", "import xml.dom.pulldom\n", 1, "import json\n"),
    ("SAST-PY-B411", "import xmlrpc.client\n", 1, "import json\n"),
    (
        "SAST-PY-B412",
        "from wsgiref.handlers import CGIHandler\n",
        1,
        "from wsgiref.simple_server import make_server\n",
    ),
    ("SAST-PY-B413", "from Crypto.Cipher import AES\n", 1, "from cryptography.fernet import Fernet\n"),
    ("SAST-PY-B415", "import pyghmi\n", 1, "import json\n"),
    (
        "SAST-PY-B501",
        "import requests\nrequests.get(url, verify=False, timeout=5)\n",
        2,
        "import requests\nrequests.get(url, verify=True, timeout=5)\n",
    ),
    (
        "SAST-PY-B502",
        "import ssl\nssl.wrap_socket(s, ssl_version=ssl.PROTOCOL_SSLv2)\n",
        2,
        "import ssl\nssl.create_default_context().wrap_socket(s)\n",
    ),
    (
        "SAST-PY-B503",
        "import ssl\ndef f(ssl_version=ssl.PROTOCOL_SSLv2):\n    pass\n",
        2,
        "import ssl\ndef f(ssl_version=ssl.PROTOCOL_TLS_CLIENT):\n    pass\n",
    ),
    (
        "SAST-PY-B504",
        "import ssl\nssl.wrap_socket(s)\n",
        2,
        "import ssl\nssl.create_default_context().wrap_socket(s)\n",
    ),
    (
        "SAST-PY-B505",
        "from cryptography.hazmat.primitives.asymmetric import rsa\n"
        "rsa.generate_private_key(public_exponent=65537, key_size=1024)\n",
        2,
        "from cryptography.hazmat.primitives.asymmetric import rsa\n"
        "rsa.generate_private_key(public_exponent=65537, key_size=4096)\n",
    ),
    ("SAST-PY-B506", "import yaml\nyaml.load(f)\n", 2, "import yaml\nyaml.safe_load(f)\n"),
    (
        "SAST-PY-B507",
        "import paramiko\nc = paramiko.SSHClient()\n"
        "c.set_missing_host_key_policy(paramiko.AutoAddPolicy())\n",
        3,
        "import paramiko\nc = paramiko.SSHClient()\nc.set_missing_host_key_policy(paramiko.RejectPolicy())\n",
    ),
    (
        "SAST-PY-B508",
        "from pysnmp.hlapi import CommunityData\nCommunityData('public', mpModel=0)\n",
        2,
        "from pysnmp.hlapi import UsmUserData\nUsmUserData('u', 'auth-key', 'priv-key')\n",
    ),
    (
        "SAST-PY-B509",
        "from pysnmp.hlapi import UsmUserData\nUsmUserData('u')\n",
        2,
        "from pysnmp.hlapi import UsmUserData\nUsmUserData('u', 'auth-key', 'priv-key')\n",
    ),
    (
        "SAST-PY-B601",
        "import paramiko\nc = paramiko.SSHClient()\nc.exec_command(cmd)\n",
        3,
        "import paramiko\nc = paramiko.SSHClient()\nc.connect('h')\n",
    ),
    (
        "SAST-PY-B602",
        "import subprocess\nsubprocess.call(cmd, shell=True)\n",
        2,
        "import subprocess\nsubprocess.call(['/bin/ls', cmd])\n",
    ),
    (
        "SAST-PY-B603",
        "import subprocess\nsubprocess.call(['/bin/ls'])\n",
        2,
        "import shutil\nshutil.which('ls')\n",
    ),
    ("SAST-PY-B604", "run(cmd, shell=True)\n", 1, "run(cmd)\n"),
    ("SAST-PY-B605", "import os\nos.system(cmd)\n", 2, "import os\nos.getcwd()\n"),
    ("SAST-PY-B606", "import os\nos.execl('/bin/ls', 'ls')\n", 2, "import os\nos.getpid()\n"),
    (
        "SAST-PY-B607",
        "import subprocess\nsubprocess.call(['ls'])\n",
        2,
        "import subprocess\nsubprocess.call(['/bin/ls'])\n",
    ),
    (
        "SAST-PY-B608",
        "q = \"SELECT * FROM t WHERE a = '%s'\" % x\n",
        1,
        "cur.execute('SELECT * FROM t WHERE a = ?', (x,))\n",
    ),
    ("SAST-PY-B609", "import os\nos.system('chmod 600 *')\n", 2, "import os\nos.system('chmod 600 a.txt')\n"),
    (
        "SAST-PY-B610",
        "from django.contrib.auth.models import User\nUser.objects.extra(where=[x])\n",
        2,
        "from django.contrib.auth.models import User\nUser.objects.filter(name=x)\n",
    ),
    (
        "SAST-PY-B611",
        "from django.db.models.expressions import RawSQL\nRawSQL(x, ())\n",
        2,
        "from django.db.models import F\nF('x')\n",
    ),
    (
        "SAST-PY-B612",
        "import logging.config\nlogging.config.listen(9999)\n",
        2,
        "import logging.config\nlogging.config.dictConfig({})\n",
    ),
    ("SAST-PY-B613", f"access = 'user'  # {BIDI} admin\n", 1, "access = 'user'  # admin\n"),
    ("SAST-PY-B614", "import torch\ntorch.load(f)\n", 2, "import torch\ntorch.load(f, weights_only=True)\n"),
    (
        "SAST-PY-B615",
        "from transformers import AutoModel\nAutoModel.from_pretrained('org/model')\n",
        2,
        f"from transformers import AutoModel\nAutoModel.from_pretrained('org/model', revision='{COMMIT}')\n",
    ),
    (
        "SAST-PY-B701",
        "import jinja2\njinja2.Environment(autoescape=False)\n",
        2,
        "import jinja2\njinja2.Environment(autoescape=True)\n",
    ),
    (
        "SAST-PY-B702",
        "from mako.template import Template\nTemplate(text)\n",
        2,
        "from string import Template\nTemplate(text)\n",
    ),
    (
        "SAST-PY-B703",
        "from django.utils.safestring import mark_safe\nmark_safe(text)\n",
        2,
        "from django.utils.html import format_html\nformat_html('<b>{}</b>', text)\n",
    ),
    (
        "SAST-PY-B704",
        "from markupsafe import Markup\nMarkup(text)\n",
        2,
        "from markupsafe import escape\nescape(text)\n",
    ),
]


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> SastScan:
    root = tmp_path_factory.mktemp("bandit-rules")
    files = {}
    for rule_id, bad, _line, good in CASES:
        test = rule_id.removeprefix("SAST-PY-")
        files[f"cases/{test}_bad.py"] = bad
        files[f"cases/{test}_good.py"] = good
    return scan_dir(write(root, files))


def test_every_mapped_test_has_a_case() -> None:
    assert sorted(c[0] for c in CASES) == sorted(r.id for r in BANDIT_RULES.values())


@pytest.mark.parametrize(("rule_id", "bad", "line", "good"), CASES, ids=[c[0] for c in CASES])
def test_bandit_rule(scan: SastScan, rule_id: str, bad: str, line: int, good: str) -> None:
    test = rule_id.removeprefix("SAST-PY-")
    found = [(path, at) for rid, path, at, _severity in rows(scan) if rid == rule_id]
    assert (f"cases/{test}_bad.py", line) in found
    assert [p for p, _ in found if p == f"cases/{test}_good.py"] == []
    assert scan.skipped == ()
