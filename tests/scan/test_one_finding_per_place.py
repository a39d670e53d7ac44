"""One finding per place, whatever the quoting, and context findings on the secret's own line.

Each secret-holding line is written in every quoting style a user writes it in (Dockerfile ARG/ENV/LABEL,
compose maps and lists, .env); the real CLI must report exactly one finding on that line, at the
column where the value itself starts (past any opening quote). Values are generated at run time."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from tests.conftest import run_cli


def _value(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        v = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
            return v


def _scan_json(root: Path) -> list[dict[str, object]]:
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


# (file name, line template with {q}{v}{q}); {q} is the quote style under test
_DOCKERFILE_LINES = [
    "ARG DB_PASSWORD={q}{v}{q}",
    "ENV JWT_SECRET={q}{v}{q}",
    "ENV A=1 API_TOKEN={q}{v}{q} B=2",
    "LABEL password={q}{v}{q}",
]
_COMPOSE_LINES = [
    "      JWT_SECRET: {q}{v}{q}",
]
_COMPOSE_LIST_LINES = [
    "      - SECRET_KEY={q}{v}{q}",
]
_DOTENV_LINES = ["DB_PASSWORD={q}{v}{q}", "export API_TOKEN={q}{v}{q}"]


@pytest.mark.parametrize("quote", ["", '"', "'"], ids=["bare", "double", "single"])
def test_each_secret_line_gives_exactly_one_finding_at_the_value(tmp_path: Path, quote: str) -> None:
    expected: dict[tuple[str, int], str] = {}  # (path, line) -> value

    def lines(path: str, header: list[str], templates: list[str]) -> list[str]:
        out = list(header)
        for template in templates:
            v = _value()
            out.append(template.format(q=quote, v=v))
            expected[(path, len(out))] = v
        return out

    files = {
        "Dockerfile": lines("Dockerfile", ["FROM scratch"], _DOCKERFILE_LINES),
        "compose.yaml": lines(
            "compose.yaml", ["services:", "  api:", "    image: x", "    environment:"], _COMPOSE_LINES
        ),
        "other/compose.yaml": lines(
            "other/compose.yaml",
            ["services:", "  api:", "    image: x", "    environment:"],
            _COMPOSE_LIST_LINES,
        ),
        ".env": lines(".env", [], _DOTENV_LINES),
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("\n".join(content) + "\n")

    findings = _scan_json(tmp_path)
    for (path, line), value in expected.items():
        here = [f for f in findings if f["path"] == path and f["line"] == line]
        assert len(here) == 1, f"{path}:{line} ({quote or 'bare'}): {[f['rule'] for f in here]}"
        text_line = files[path][line - 1]
        if path != "other/compose.yaml":  # the compose list item is reported at the item's value as written
            assert here[0]["column"] == text_line.index(value) + 1, f"{path}:{line}"


def test_context_finding_for_yaml_names_the_secret_line_not_the_one_above(tmp_path: Path) -> None:
    v = _value(18)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /app\n")
    (tmp_path / "config.yaml").write_text(f"app:\n  name: demo\n  password: {v}\n")
    findings = _scan_json(tmp_path)
    context = [f for f in findings if f["rule"] == "docker-context-file-with-secret"]
    assert [(f["path"], f["line"]) for f in context] == [("config.yaml", 3)]


def test_a_name_that_is_a_password_and_a_key_gives_one_finding_of_the_password_rule(tmp_path: Path) -> None:
    """``keypassword`` (a Java keystore's password) is a password's name and holds ``key``: both generic rules
    take it; one finding is reported, the password rule's (whose preview shows nothing of the value)."""
    source = f'class A {{\n\tString keypassword = "{_value()}";\n}}\n'
    (tmp_path / "A.java").write_text(source, encoding="utf-8")
    findings = _scan_json(tmp_path)
    assert [(f["path"], f["line"], f["rule"]) for f in findings] == [("A.java", 2, "generic-password")]


def test_a_provider_s_name_rule_and_its_format_rule_on_one_key_give_one_finding(tmp_path: Path) -> None:
    # jazzband/django-oauth-toolkit's settings: Django's SECRET_KEY rule (by name, medium confidence) and its
    # django-insecure- format rule (high) both matched the one key
    alphabet = string.ascii_lowercase + string.digits + "!@#%^&*(-_=+)"
    key = "django-insecure-" + "".join(secrets.choice(alphabet) for _ in range(50))
    (tmp_path / "settings.py").write_text(f'SECRET_KEY = "{key}"\n', encoding="utf-8")
    assert [(f["rule"], f["line"]) for f in _scan_json(tmp_path)] == [("django-insecure-secret-key", 1)]
    # a key without the prefix is still the name rule's
    plain = _value(50).lower()
    (tmp_path / "settings.py").write_text(f'SECRET_KEY = "{plain}"\n', encoding="utf-8")
    assert [(f["rule"], f["line"]) for f in _scan_json(tmp_path)] == [("django-secret-key", 1)]
