"""A string whose text is a secret's name and a colon (``"Password:"``, a form label in a minified bundle) is
followed by code, not by a value: the generic rules took the code up to the next string's quote
(``),v?e.createElement(``) for a password. FastAPI's vendored swagger-ui bundle gave four such errors. Real
assignments on the same minified line, and in JSON, Python, XML and YAML, stay reported. Passwords are random,
made at run time; results name rules and lines only."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, run_cli


def _password() -> str:
    """14 random characters: a letter, then letters and digits with one of ``!#%^`` inside. (Not one that
    starts with ``#`` or ``.``, a CSS selector's shape, with ``###`` (a mask) or between two ``%`` (a
    Windows variable): the scanner leaves those out on purpose, which is not what this file tests.)"""
    alnum = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alnum) for _ in range(12))
    at = 3 + secrets.randbelow(8)
    return secrets.choice(string.ascii_letters) + body[:at] + secrets.choice("!#%^") + body[at:]


# Form labels as a minifier writes React.createElement calls: label text, then a conditional element.
_LABELS = [
    'n.createElement("label",null,"Password:"),v?n.createElement("code",null," ****** "):'
    'n.createElement(f,{type:"password",name:"password",onChange:this.onChange})',
    'n.createElement("label",{htmlFor:"oauth_password"},"password:"),w?n.createElement("code",null,'
    '" ****** "):n.createElement(f,{id:"oauth_password",type:"password"})',
    'n.createElement("label",{htmlFor:"client_secret"},"client_secret:"),w?n.createElement("code",null,'
    '" ****** "):n.createElement(f,{id:"client_secret",type:"password"})',
]


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


def test_labels_of_a_minified_bundle_are_not_values(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "ui-bundle.js").write_text(
        "!function(){" + ",".join(_LABELS) + "}();\n", encoding="utf-8"
    )
    assert _scan(tmp_path) == []


def test_assignments_next_to_labels_stay_reported(tmp_path: Path) -> None:
    passwords = [_password() for _ in range(5)]
    bundle = ",".join(_LABELS) + f',c={{user:"svc",password:"{passwords[0]}"}}'
    (tmp_path / "bundle.js").write_text("!function(){" + bundle + "}();\n", encoding="utf-8")
    (tmp_path / "users.json").write_text(f'{{"password":"{passwords[1]}"}}\n', encoding="utf-8")
    (tmp_path / "seed.py").write_text(f"ADMIN = {{'password':'{passwords[2]}'}}\n", encoding="utf-8")
    (tmp_path / "web.config").write_text(f'<add name="ldap" password="{passwords[3]}" />\n', encoding="utf-8")
    (tmp_path / "app.yaml").write_text(f'"db_password": "{passwords[4]}"\n', encoding="utf-8")
    assert _scan(tmp_path) == [
        ("app.yaml", 1, "generic-password"),
        ("bundle.js", 1, "generic-password"),
        ("seed.py", 1, "generic-password"),
        ("users.json", 1, "generic-password"),
        ("web.config", 1, "generic-password"),
    ]
    result = run_cli("check-secrets", "scan", ".", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, passwords)
