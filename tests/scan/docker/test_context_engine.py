"""The Docker checks through the real engine (``Scanner.scan``) and the real ``check-secrets`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import ScanConfig, ScanOptions, Severity
from tests.conftest import DATA_DIR, assert_no_leak, git, run_cli

Scanner = pytest.importorskip("autoaudit_secrets.scan.engine._scanner").Scanner

JWT = "Qm9vdHN0cmFwLVNlY3JldC0yMDI2LXh5eg"  # fake; a secret by its name only
PW = "Tr0ub4dor-Horse-91"  # fake


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


GOOD_DOCKERFILE = (
    "# syntax=docker/dockerfile:1.7\n"
    "FROM python:3.12-slim AS build\n"
    "WORKDIR /src\n"
    "COPY pyproject.toml ./\n"
    "COPY src/ ./src/\n"
    "RUN --mount=type=secret,id=pip_index_url \\\n"
    '    PIP_INDEX_URL="$(cat /run/secrets/pip_index_url)" pip install --prefix=/install .\n'
    "FROM python:3.12-slim\n"
    "ENV JWT_SECRET_FILE=/run/secrets/jwt_secret\n"
    "COPY --from=build /install /usr/local\n"
    "USER 10001\n"
    'ENTRYPOINT ["python", "-m", "app"]\n'
)


def _good_repo(repo: Path) -> None:
    _write(
        repo,
        {
            ".gitignore": ".env\n",
            ".dockerignore": "**\n!pyproject.toml\n!src/\n**/__pycache__\n",
            "Dockerfile": GOOD_DOCKERFILE,
            "pyproject.toml": "[project]\nname = 'app'\nversion = '0'\n",
            "src/app/__init__.py": "",
            "src/app/__main__.py": "print('ok')\n",
            ".env": f"JWT_SECRET={JWT}\nDB_PASSWORD={PW}\n",
        },
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")


def test_done_right_is_clean_then_each_mistake_is_named(git_repo: Path) -> None:
    _good_repo(git_repo)
    scanner = Scanner(ScanConfig())
    clean = scanner.scan(ScanOptions(root=git_repo))
    assert [(f.rule_id, f.path) for f in clean.findings] == []

    # Mistake 1: COPY . . with a .dockerignore that forgets the gitignored .env.
    (git_repo / ".dockerignore").write_text(".git\n**/__pycache__\n")
    dockerfile = GOOD_DOCKERFILE.replace("COPY src/ ./src/\n", "COPY . .\n")
    # Mistake 2: a secret baked into ENV.
    dockerfile = dockerfile.replace(
        "ENV JWT_SECRET_FILE=/run/secrets/jwt_secret\n", f"ENV JWT_SECRET={JWT}\n"
    )
    (git_repo / "Dockerfile").write_text(dockerfile)
    result = Scanner(ScanConfig()).scan(ScanOptions(root=git_repo))
    got = {(f.rule_id, f.path, f.line, f.related) for f in result.findings if f.rule_id.startswith("docker-")}
    assert got == {
        ("docker-context-secret-file", ".env", 1, "Dockerfile:5"),
        ("docker-env-secret", "Dockerfile", 9, None),
    }
    # The gitignored .env itself is not walked: only the context check sees it.
    assert not [f for f in result.findings if f.path == ".env" and not f.rule_id.startswith("docker-")]
    report = "\n".join(f"{f.message} {f.preview} {f!r}" for f in result.findings)
    assert_no_leak(report, [JWT, PW], where="findings")


def test_builds_of_gitignored_dockerfiles_are_left_out_as_the_walk_leaves_them(git_repo: Path) -> None:
    """A project cloned or vendored into an ignored folder is not this repository's build: its Dockerfile is
    not walked, and the files its build would send are not reported either (with --no-ignore they are). A
    Dockerfile git tracks in an ignored folder (force-added) is this repository's."""
    leaky = "FROM alpine:3\nCOPY . /app\n"
    _write(
        git_repo,
        {
            ".gitignore": "vendor/\n.env\n",
            "README.md": "hi\n",
            "vendor/clone/Dockerfile": leaky,
            "vendor/clone/.env": f"DB_PASSWORD={PW}\n",
            "tools/Dockerfile": leaky,
            "tools/.env": f"DB_PASSWORD={PW}\n",
        },
    )
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "init")

    def context_findings(**options: object) -> set[tuple[str, str | None]]:
        result = Scanner(ScanConfig()).scan(ScanOptions(root=git_repo, **options))  # type: ignore[arg-type]
        return {(f.path, f.related) for f in result.findings if f.rule_id == "docker-context-secret-file"}

    # tools/.env is gitignored too, but its Dockerfile is not: docker ignores .gitignore, so it is sent
    assert context_findings() == {("tools/.env", "tools/Dockerfile:2")}
    assert context_findings(no_ignore=True) == {
        ("tools/.env", "tools/Dockerfile:2"),
        ("vendor/clone/.env", "vendor/clone/Dockerfile:2"),
    }
    git(git_repo, "add", "-f", "vendor/clone/Dockerfile")
    git(git_repo, "commit", "-q", "-m", "track the vendored Dockerfile")
    assert ("vendor/clone/.env", "vendor/clone/Dockerfile:2") in context_findings()


@pytest.mark.slow
def test_cli_reports_context_leak_and_exits_1(git_repo: Path) -> None:
    _good_repo(git_repo)
    ok = run_cli("check-secrets", "scan", "--format", "json", str(git_repo))
    assert ok.returncode == 0, ok.stderr
    (git_repo / ".dockerignore").write_text(".git\n")
    (git_repo / "Dockerfile").write_text(GOOD_DOCKERFILE.replace("COPY src/ ./src/\n", "COPY . .\n"))
    bad = run_cli("check-secrets", "scan", "--format", "json", str(git_repo))
    assert bad.returncode == 1, bad.stderr
    assert_no_leak(bad.output, [JWT, PW], where="check-secrets output")
    findings = json.loads(bad.stdout)["findings"]
    context = [f for f in findings if f["rule"] == "docker-context-secret-file"]
    assert [(f["path"], f["severity"]) for f in context] == [(".env", "error")]
    assert "Dockerfile:5" in context[0]["message"]
    text = run_cli("check-secrets", "scan", str(git_repo))
    assert ".env:1:1" in text.stdout and "docker-context-secret-file" in text.stdout
    assert_no_leak(text.output, [JWT, PW], where="text report")


@pytest.mark.slow
def test_warning_only_exits_0_unless_fail_on_warning(tmp_path: Path) -> None:
    _write(tmp_path, {"Dockerfile": "FROM node:22\nARG NPM_TOKEN\nRUN npm ci\n"})
    plain = run_cli("check-secrets", "scan", "--format", "json", str(tmp_path))
    rules = [(f["rule"], f["severity"]) for f in json.loads(plain.stdout)["findings"]]
    assert rules == [("docker-secret-arg-no-value", "warning")]
    assert plain.returncode == 0
    strict = run_cli("check-secrets", "scan", "--fail-on", "warning", str(tmp_path))
    assert strict.returncode == 1


def test_wrongsecrets_style_dockerfile_through_the_engine() -> None:
    root = DATA_DIR / "docker" / "wrongsecrets"
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    docker_errors = {
        (f.rule_id, f.line)
        for f in result.findings
        if f.rule_id.startswith("docker-") and f.severity is Severity.ERROR and f.path == "Dockerfile"
    }
    assert docker_errors == {
        ("docker-arg-secret-default", 3),
        ("docker-env-secret", 6),
        ("docker-run-secret", 10),
        ("docker-copy-secret-file", 11),
        ("docker-copy-secret-file", 12),
    }


def test_sensitive_files_through_the_engine(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".pgpass": f"db:5432:app:app:{PW}\n",
            "deploy/.npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
            "src/app.py": "print('ok')\n",
        },
    )
    (tmp_path / "vault.kdbx").write_bytes(b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5\x00\x01binary")
    result = Scanner(ScanConfig()).scan(ScanOptions(root=tmp_path))
    got = {(f.rule_id, f.path) for f in result.findings if f.rule_id.startswith("sensitive-file-")}
    assert got == {("sensitive-file-pgpass", ".pgpass"), ("sensitive-file-keepass", "vault.kdbx")}


def test_schema_names_count_in_dockerfiles(tmp_path: Path) -> None:
    """``--schema`` names (ScanConfig.secret_names) are secret-bearing whatever they look like."""
    _write(
        tmp_path,
        {"Dockerfile": f"FROM a\nENV SIGNING_MATERIAL={PW} DATABASE_URL=postgres://app@db/app\nARG DSN\n"},
    )
    plain = Scanner(ScanConfig()).scan(ScanOptions(root=tmp_path))
    assert [f.rule_id for f in plain.findings if f.rule_id.startswith("docker-")] == []
    names = frozenset({"SIGNING_MATERIAL", "DATABASE_URL", "DSN"})
    schema = Scanner(ScanConfig(secret_names=names)).scan(ScanOptions(root=tmp_path))
    got = {(f.rule_id, f.line) for f in schema.findings if f.rule_id.startswith("docker-")}
    # DATABASE_URL carries no credentials: a URL without a password is not a secret.
    assert got == {("docker-env-secret", 2), ("docker-secret-arg-no-value", 3)}
