"""One severity for one value, whatever found it: a Stripe test-mode key (``sk_test_``/``rk_test_``) is a
warning as the ``stripe-test-secret-key`` rule says, also when a ``.env``, Dockerfile, compose or CI-workflow
check finds it under a secret-ish variable name (which alone would make a literal an error); a live key
(``sk_live_``/``rk_live_``) stays an error. Each place gives one finding.

The keys are generated at run time (a literal here would be a finding of the repository's own scan) and the
real CLI scans real files, in a directory and in a git history."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path
from typing import Any

from tests.conftest import assert_no_leak, git, run_cli


def _key(prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(24))
        if (
            any(c.isdigit() for c in body)
            and any(c.isupper() for c in body)
            and any(c.islower() for c in body)
        ):
            return prefix + body


# (prefix, the severity every finding on it must have)
_KINDS = [
    ("sk_" + "test_", "warning"),
    ("rk_" + "test_", "warning"),
    ("sk_" + "live_", "error"),
    ("rk_" + "live_", "error"),
]


def _files() -> tuple[dict[str, str], dict[tuple[str, int], str], list[str]]:
    """File name -> content, (path, line) -> the severity expected there, and every key written: one key of
    each kind in each place, under a secret-ish name (so that the file-kind check reports it by its name too),
    each key new (a history scan reports a value once, at its first place)."""
    keys: list[str] = []
    expected: dict[tuple[str, int], str] = {}
    files: dict[str, list[str]] = {
        "Dockerfile": ["FROM python:3.12-slim"],
        "compose.yaml": ["services:", "  api:", "    image: x", "    environment:"],
        ".github/workflows/ci.yml": [
            "on: push",
            "jobs:",
            "  test:",
            "    runs-on: ubuntu-latest",
            "    env:",
        ],
        ".env": [],
    }

    def add(path: str, template: str) -> None:
        for prefix, severity in _KINDS:
            keys.append(_key(prefix))
            files[path].append(template.format(i=len(keys), v=keys[-1]))
            expected[(path, len(files[path]))] = severity

    add("Dockerfile", "ENV STRIPE_SECRET_KEY_{i}={v}")
    add("Dockerfile", 'RUN curl -H "Authorization: Bearer {v}" https://api.stripe.com/v1/charges')
    add("Dockerfile", 'RUN export STRIPE_API_KEY_{i}="{v}" && ./migrate')
    add("compose.yaml", "      STRIPE_SECRET_KEY_{i}: {v}")
    files["compose.yaml"] += ["    build:", "      context: .", "      args:"]
    add("compose.yaml", "        STRIPE_API_KEY_{i}: {v}")
    files["compose.yaml"] += ["    command: >-"]
    add("compose.yaml", "      ./serve --api-key {v}")
    add(".github/workflows/ci.yml", "      STRIPE_SECRET_KEY_{i}: {v}")
    files[".github/workflows/ci.yml"] += ["    steps:", "      - run: |"]
    add(".github/workflows/ci.yml", "          export STRIPE_API_KEY_{i}={v}")
    add(".env", "STRIPE_SECRET_KEY_{i}={v}")
    add(".env", 'export STRIPE_API_KEY_{i}="{v}"')
    return {path: "\n".join(lines) + "\n" for path, lines in files.items()}, expected, keys


def _write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


def _check(findings: list[dict[str, Any]], expected: dict[tuple[str, int], str]) -> None:
    for (path, line), severity in expected.items():
        here = [f for f in findings if f["path"] == path and f["line"] == line]
        assert len(here) == 1, (path, line, [(f["rule"], f["severity"]) for f in here])
        assert here[0]["severity"] == severity, (path, line, here[0]["rule"], here[0]["severity"])
    stray = [(f["path"], f["line"], f["rule"]) for f in findings if (f["path"], f["line"]) not in expected]
    assert stray == []


def test_each_file_kind_reports_a_stripe_key_at_the_rules_severity(tmp_path: Path) -> None:
    files, expected, keys = _files()
    _write(tmp_path, files)
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert_no_leak(result.stdout + result.stderr, keys)
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    assert {f["rule"] for f in findings} >= {
        "docker-env-secret",
        "docker-run-secret",
        "compose-environment-secret",
        "compose-build-arg-secret",
        "compose-command-secret",
        "ci-env-secret",
        "ci-run-secret",
        "dotenv-plaintext-secret",
    }
    _check(findings, expected)


def test_test_mode_keys_alone_do_not_fail_the_scan(tmp_path: Path) -> None:
    """Only warnings: the default --fail-on error passes, --fail-on warning fails."""
    files, expected, _ = _files()
    live = {place for place, severity in expected.items() if severity == "error"}
    for path, content in files.items():
        lines = content.splitlines()
        kept = [line for number, line in enumerate(lines, 1) if (path, number) not in live]
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("\n".join(kept) + "\n")
    passed = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert passed.returncode == 0, passed.stderr
    findings = json.loads(passed.stdout)["findings"]
    assert len(findings) == len(expected) - len(live)
    assert {f["severity"] for f in findings} == {"warning"}
    failed = run_cli("check-secrets", "scan", "--fail-on", "warning", ".", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr


def test_compose_env_file_is_as_severe_as_its_worst_value(tmp_path: Path) -> None:
    test_key, live_key = _key("sk_" + "test_"), _key("sk_" + "live_")
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: x\n    env_file: app.env\n")

    def env_file_severities() -> list[str]:
        result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
        findings = json.loads(result.stdout)["findings"]
        return [f["severity"] for f in findings if f["rule"] == "compose-env-file-plaintext"]

    (tmp_path / "app.env").write_text(f"STRIPE_SECRET_KEY={test_key}\n")
    assert env_file_severities() == ["warning"]
    (tmp_path / "app.env").write_text(f"STRIPE_SECRET_KEY={test_key}\nSTRIPE_LIVE_KEY={live_key}\n")
    assert env_file_severities() == ["error"]


def test_history_scan_gives_the_same_severities(git_repo: Path) -> None:
    files, expected, keys = _files()
    _write(git_repo, files)
    git(git_repo, "add", "-A", "-f")
    git(git_repo, "commit", "-q", "-m", "config")
    result = run_cli("check-secrets", "git", "--all", "--format", "json", cwd=git_repo)
    assert result.returncode == 1, result.stderr
    assert_no_leak(result.stdout + result.stderr, keys)
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    _check(findings, expected)


def test_a_context_rule_on_a_self_identifying_token_gives_one_finding(tmp_path: Path) -> None:
    """``Authorization: Bearer <sk_test_...>``: the bearer-header rule (an error) and the Stripe rule (a
    warning) match one value; the format's rule is the one finding, in code as in a Dockerfile RUN."""
    test_key, live_key = _key("sk_" + "test_"), _key("sk_" + "live_")
    (tmp_path / "client.py").write_text(
        f'HEADERS = {{"Authorization": "Bearer {test_key}"}}\n'
        f'LIVE = {{"Authorization": "Bearer {live_key}"}}\n'
        f'OTHER = {{"Authorization": "Bearer {_key("q")}"}}\n'
    )
    result = run_cli("check-secrets", "scan", "--format", "json", "client.py", cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    assert sorted((f["line"], f["rule"], f["severity"]) for f in findings) == [
        (1, "stripe-test-secret-key", "warning"),
        (2, "stripe-secret-key", "error"),
        (3, "http-bearer-token", "error"),  # no format knows this one: the header's rule reports it
    ]


def test_two_values_decoded_from_one_base64_run_are_both_reported(tmp_path: Path) -> None:
    """A base64 value holding a bearer token (an error) and a Stripe test key (a warning): both decoded
    findings share the run's place but are two values, so both stay, each at its own rule's severity."""
    bearer, test_key = _key("q") + _key("z"), _key("sk_" + "test_")
    blob = base64.b64encode(f"Authorization: Bearer {bearer}\nSTRIPE={test_key}\n".encode()).decode()
    (tmp_path / "values.yaml").write_text(f"app:\n  blob: {blob}\n")
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert_no_leak(result.output, [bearer, test_key, blob])
    findings = json.loads(result.stdout)["findings"]
    assert sorted((f["line"], f["rule"], f["severity"]) for f in findings) == [
        (2, "http-bearer-token", "error"),
        (2, "stripe-test-secret-key", "warning"),
    ]
