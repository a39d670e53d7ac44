"""A value shaped like a CSS selector (``#login-form``, ``.password-field``) is code, not a password: it is
left out. A random value of that shape -- ``#`` or ``.`` then letters and digits mixing lower case, upper case
and digits -- is a password, and is reported: ``"db_password": "#<13 random letters and digits>"`` was
taken for a selector, in every kind of file. Values are random, made at run time; results name rules
only."""

from __future__ import annotations

import secrets
import string

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner

_SCANNER = Scanner(ScanConfig())


def _random_selector_shape(first: str) -> str:
    """``first`` then 13 letters and digits, mixing lower case, upper case and digits."""
    alnum = string.ascii_letters + string.digits
    while True:
        name = secrets.choice(string.ascii_letters) + "".join(secrets.choice(alnum) for _ in range(12))
        if not (name.islower() or name.isupper() or name.isalpha()):
            return first + name


def _rules(relpath: str, text: str) -> list[str]:
    return [f.rule_id for f in _SCANNER.scan_document(relpath, text)]


@pytest.mark.parametrize("first", ["#", "."])
@pytest.mark.parametrize(
    ("relpath", "line"),
    [
        ("config/app.yaml", '"db_password": "{v}"\n'),
        ("users.json", '{{"password": "{v}"}}\n'),
        ("settings.py", 'DB_PASSWORD = "{v}"\n'),
        ("src/login.js", 'const password = "{v}";\n'),
    ],
    ids=["yaml", "json", "python", "js"],
)
def test_a_random_value_of_a_selectors_shape_is_reported(first: str, relpath: str, line: str) -> None:
    found = _rules(relpath, line.format(v=_random_selector_shape(first)))
    assert found == ["generic-password"]


@pytest.mark.parametrize(
    ("relpath", "text"),
    [
        ("src/login.js", 'const pwd = "#pwd-input";\n'),
        ("config/e2e.yaml", 'password: ".password-field"\n'),
        ("src/login.js", 'passwordInput: "#passwordInput2",\n'),
        ("src/login.js", 'const PASSWORD_SELECTOR = "#loginPassword";\n'),
        ("tests/e2e.py", 'password_field = "#password2"\n'),
        ("cypress.json", '{"password": "#user_password"}\n'),
        ("tests/e2e.py", 'PASSWORD_BOX = "#PWD_BOX"\n'),
    ],
    ids=["kebab", "class", "camel-digit", "camel", "snake-digit", "json-snake", "upper"],
)
def test_selectors_stay_quiet(relpath: str, text: str) -> None:
    assert _rules(relpath, text) == []
