"""Issue 5, item 7: our own stack's shape, done right, scans clean; each classic mistake added to it fails and
the finding names the mistake (rule id, path, line).

The fixture (``tests/data/stack``) is copied into a fresh git repository for every test, committed, then one
mistake is applied (and committed, as a developer would) before scanning with the real engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import Finding, ScanConfig, ScanOptions, Severity
from autoaudit_secrets.scan.engine._scanner import Scanner
from tests.conftest import DATA_DIR, assert_no_leak, git, run_cli

STACK = DATA_DIR / "stack"
# Built at run time so that our own repository scan does not flag this file.
PASSWORD = "Zr8" + "kP2vQ9xLm4Tn"
RANDOM_KEY = "q7Hv" + "L2xN9pR4tW8zK3mB6yD1fG5sJ0cV"
GH_TOKEN = "ghp" + "_" + "Xb4mKq9Lw2Rt7Vn3Pz8Yc6Hd1Fs5Gj0Ae"
SECRETS = [PASSWORD, RANDOM_KEY, GH_TOKEN]


def _stack_repo(tmp_path: Path) -> Path:
    root = tmp_path / "stack"
    shutil.copytree(STACK, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "stack")
    return root


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    """One scanner for the module: compiling the matcher database is the slow part, scans are independent."""
    return Scanner(ScanConfig())


def _scan(scanner: Scanner, root: Path) -> list[Finding]:
    return scanner.scan(ScanOptions(root=root, jobs=1)).findings


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"fixture anchor not unique in {path.name}"
    path.write_text(text.replace(old, new))


def _line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"marker not found in {path.name}")


@dataclass(frozen=True)
class Mistake:
    """One classic mistake: how to make it, and the finding that must name it (rule, file, and the line
    holding ``marker``)."""

    name: str
    apply: Callable[[Path], None]
    rule_id: str
    path: str
    marker: str
    # For findings reached through another file (a COPY that sends a file into the image): that file and line.
    related: tuple[str, str] | None = None


def _dockerfile(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: _edit(root / "Dockerfile", old, new)


def _compose(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: _edit(root / "compose.yaml", old, new)


def _workflow(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: _edit(root / ".github/workflows/ci.yml", old, new)


def _dotenv_forgotten_in_dockerignore(root: Path) -> None:
    (root / ".env").write_text(
        f"APP_ENV=development\nJWT_SECRET={RANDOM_KEY}\n"
    )  # gitignored, never committed
    _edit(root / ".dockerignore", ".env\n.env.*\n!.env.example\n", "")


def _committed_env_file(root: Path) -> None:
    (root / "config").mkdir()
    (root / "config" / "production.env").write_text(f"APP_ENV=production\nJWT_SECRET={PASSWORD}\n")
    _edit(
        root / "compose.yaml",
        "    image: autoaudit-api:local\n",
        "    image: autoaudit-api:local\n    env_file: config/production.env\n",
    )


def _force_committed_secret_file(root: Path) -> None:
    (root / "secrets").mkdir()
    (root / "secrets" / "db_password").write_text(PASSWORD + "\n")
    git(root, "add", "-f", "secrets/db_password")


def _committed_dotenv(root: Path) -> None:
    (root / "deploy").mkdir()
    (root / "deploy" / "staging.env").write_text(f"LOG_LEVEL=INFO\nDATABASE_PASSWORD={PASSWORD}\n")


MISTAKES = [
    Mistake(
        "env-jwt-secret",
        _dockerfile("USER 10001:10001\n", f"USER 10001:10001\nENV JWT_SECRET={RANDOM_KEY}\n"),
        "docker-env-secret",
        "Dockerfile",
        "ENV JWT_SECRET=",
    ),
    Mistake(
        "arg-secret-default",
        _dockerfile("WORKDIR /src\n", f"WORKDIR /src\nARG PIP_TOKEN={PASSWORD}\n"),
        "docker-arg-secret-default",
        "Dockerfile",
        "ARG PIP_TOKEN=",
    ),
    Mistake(
        "git-clone-with-token",
        _dockerfile(
            "WORKDIR /src\n",
            f"WORKDIR /src\nRUN git clone https://deploy:{PASSWORD}@github.com/acme/private-lib.git lib\n",
        ),
        "docker-run-secret",
        "Dockerfile",
        "RUN git clone",
    ),
    Mistake(
        "mounted-secret-persisted",
        _dockerfile(
            "WORKDIR /src\n",
            "WORKDIR /src\nRUN --mount=type=secret,id=pip_index_url "
            "cat /run/secrets/pip_index_url > /src/pip-index.txt\n",
        ),
        "docker-mounted-secret-persisted",
        "Dockerfile",
        "pip-index.txt",
    ),
    Mistake(
        "copy-ssh-key",
        _dockerfile("COPY . .\n", "COPY . .\nCOPY deploy/id_ed25519 /root/.ssh/id_ed25519\n"),
        "docker-copy-secret-file",
        "Dockerfile",
        "COPY deploy/id_ed25519",
    ),
    Mistake(
        "dotenv-not-in-dockerignore",
        _dotenv_forgotten_in_dockerignore,
        "docker-context-secret-file",
        ".env",
        "JWT_SECRET=",
        related=("Dockerfile", "COPY . ."),
    ),
    Mistake(
        "compose-postgres-password-literal",
        _compose("POSTGRES_PASSWORD_FILE: /run/secrets/db_password", f"POSTGRES_PASSWORD: {PASSWORD}"),
        "compose-environment-secret",
        "compose.yaml",
        "POSTGRES_PASSWORD:",
    ),
    Mistake(
        "compose-build-arg-token",
        _compose(
            "      secrets: [pip_index_url]\n",
            f"      secrets: [pip_index_url]\n      args:\n        PIP_TOKEN: {PASSWORD}\n",
        ),
        "compose-build-arg-secret",
        "compose.yaml",
        "PIP_TOKEN:",
    ),
    Mistake(
        "redis-requirepass-literal",
        _compose(
            'command: ["sh", "-c", "exec redis-server --requirepass '
            '\\"$$(cat /run/secrets/redis_password)\\""]',
            f"command: redis-server --requirepass {PASSWORD}",
        ),
        "compose-command-secret",
        "compose.yaml",
        "--requirepass",
    ),
    Mistake(
        "compose-env-file-committed",
        _committed_env_file,
        "compose-env-file-plaintext",
        "compose.yaml",
        "env_file: config/production.env",
    ),
    Mistake(
        "secret-file-force-committed",
        _force_committed_secret_file,
        "compose-secret-file-committed",
        "compose.yaml",
        "file: ./secrets/db_password",
    ),
    Mistake(
        "workflow-env-token",
        _workflow("REGISTRY_TOKEN: ${{ secrets.GITHUB_TOKEN }}", f"REGISTRY_TOKEN: {GH_TOKEN}"),
        "ci-env-secret",
        ".github/workflows/ci.yml",
        "REGISTRY_TOKEN:",
    ),
    Mistake(
        "workflow-docker-login-password",
        _workflow(
            'echo "$REGISTRY_TOKEN" | docker login ghcr.io -u "${{ github.actor }}" --password-stdin',
            f"docker login ghcr.io -u bot -p {PASSWORD}",
        ),
        "ci-run-secret",
        ".github/workflows/ci.yml",
        "docker login ghcr.io",
    ),
    Mistake(
        "workflow-clone-with-token",
        _workflow(
            "          python -m pytest -q\n",
            f"          python -m pytest -q\n          git clone https://ci:{PASSWORD}@github.com/acme/e2e.git\n",
        ),
        "ci-run-secret",
        ".github/workflows/ci.yml",
        "git clone https://ci:",
    ),
    Mistake(
        "workflow-with-password-literal",
        _workflow("password: ${{ secrets.GITHUB_TOKEN }}", f"password: {PASSWORD}"),
        "ci-with-secret",
        ".github/workflows/ci.yml",
        "password: ",
    ),
    Mistake(
        "real-key-in-env-example",
        lambda root: _edit(root / ".env.example", "JWT_SECRET=\n", f"JWT_SECRET={RANDOM_KEY}\n"),
        "dotenv-example-real-secret",
        ".env.example",
        "JWT_SECRET=",
    ),
    Mistake(
        "committed-dotenv-file",
        _committed_dotenv,
        "dotenv-plaintext-secret",
        "deploy/staging.env",
        "DATABASE_PASSWORD=",
    ),
]


def test_the_stack_done_right_has_no_findings(tmp_path: Path, scanner: Scanner) -> None:
    root = _stack_repo(tmp_path)
    assert [(f.rule_id, f.path, f.line) for f in _scan(scanner, root)] == []


def test_the_stack_done_right_exits_zero_through_the_cli(tmp_path: Path) -> None:
    root = _stack_repo(tmp_path)
    result = run_cli("check-secrets", "scan", str(root), cwd=root)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_classic_mistake_is_named(tmp_path: Path, scanner: Scanner, mistake: Mistake) -> None:
    root = _stack_repo(tmp_path)
    mistake.apply(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", mistake.name)
    findings = _scan(scanner, root)
    for f in findings:
        assert_no_leak(f.message + f.preview + repr(f), SECRETS, where=f"finding {f.rule_id}")
    expected = (mistake.rule_id, mistake.path, _line_of(root / mistake.path, mistake.marker))
    got = [(f.rule_id, f.path, f.line) for f in findings]
    assert expected in got
    named = next(f for f in findings if (f.rule_id, f.path, f.line) == expected)
    assert named.severity is Severity.ERROR
    if mistake.related is not None:
        related_path, related_marker = mistake.related
        assert named.related == f"{related_path}:{_line_of(root / related_path, related_marker)}"


def test_a_mistake_fails_the_cli_and_the_report_names_rule_path_and_line(tmp_path: Path) -> None:
    root = _stack_repo(tmp_path)
    _edit(
        root / "compose.yaml",
        "POSTGRES_PASSWORD_FILE: /run/secrets/db_password",
        f"POSTGRES_PASSWORD: {PASSWORD}",
    )
    result = run_cli("check-secrets", "scan", str(root), cwd=root)
    assert result.returncode == 1
    assert "compose-environment-secret" in result.output
    line = _line_of(root / "compose.yaml", "POSTGRES_PASSWORD:")
    assert f"compose.yaml:{line}" in result.output
    assert_no_leak(result.output, SECRETS, where="check-secrets output")
