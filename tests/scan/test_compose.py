"""ComposeAnalyzer: literal secrets in environment, build args, commands; committed env and secret files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import Finding, Severity
from autoaudit_secrets.scan.analyzers.docker._compose import ComposeAnalyzer, is_compose_file
from tests.conftest import assert_no_leak, git
from tests.scan._analyzer_fakes import FakeContext, fake_token

# Built at run time: this repository's own scan must not flag its tests.
PW = "Qv7" + "mR2pXz9Lw"
TOKEN = fake_token("c")


def run(root: Path, text: str, relpath: str = "compose.yaml", **ctx_args: frozenset[str]) -> list[Finding]:
    body = textwrap.dedent(text)
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
    findings = list(ComposeAnalyzer().analyze(relpath, body, FakeContext(root, **ctx_args)))
    for f in findings:
        assert_no_leak(f.message + repr(f), [PW, TOKEN], where=f"finding {f.rule_id}")
    return findings


def ids_lines(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule_id, f.line, f.column) for f in findings]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("compose.yaml", True),
        ("compose.yml", True),
        ("deploy/compose.prod.yaml", True),
        ("docker-compose.yml", True),
        ("docker-compose.override.yaml", True),
        ("compose.json", False),
        ("my-compose.yaml", False),
        ("composer.yaml", False),
    ],
)
def test_file_names(name: str, expected: bool) -> None:
    assert is_compose_file(name) is expected
    assert ComposeAnalyzer().applies_to(name) is expected


def test_environment_map_literal_password_is_an_error_on_its_line(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        f"""\
        services:
          autoaudit-db:
            image: postgres:16
            environment:
              POSTGRES_USER: autoaudit
              POSTGRES_PASSWORD: {PW}
        """,
    )
    assert ids_lines(findings) == [("compose-environment-secret", 6, 26)]
    f = findings[0]
    assert f.severity is Severity.ERROR
    assert (f.end_line, f.end_column) == (6, 26 + len(PW))
    assert f.secret == PW
    assert "POSTGRES_PASSWORD" in f.message and "autoaudit-db" in f.message


def test_environment_list_form_points_after_the_equals_sign(tmp_path: Path) -> None:
    findings = run(
        tmp_path,
        f"""\
        services:
          api:
            environment:
              - APP_ENV=production
              - "JWT_SECRET={PW}"
        """,
    )
    # `      - "JWT_SECRET=` is 20 characters; the value starts at column 21.
    assert ids_lines(findings) == [("compose-environment-secret", 5, 21)]


def test_token_by_value_under_an_ordinary_name(tmp_path: Path) -> None:
    findings = run(tmp_path, f"services:\n  ci:\n    environment:\n      GREETING: {TOKEN}\n")
    assert ids_lines(findings) == [("compose-environment-secret", 4, 17)]
    assert findings[0].secret == TOKEN


@pytest.mark.parametrize(
    "value",
    [
        "${POSTGRES_PASSWORD}",
        "${POSTGRES_PASSWORD:-}",
        '"${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"',
        "$$POSTGRES_PASSWORD",
        "changeme",
        "''",
        "",
    ],
    ids=["braced", "default", "required", "escaped-dollar", "placeholder", "empty-string", "null"],
)
def test_safe_environment_forms(tmp_path: Path, value: str) -> None:
    text = f"services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {value}\n      - x\n"
    text = text.replace("      - x\n", "")
    assert run(tmp_path, text) == []


def test_bare_names_in_list_form_are_pass_through(tmp_path: Path) -> None:
    assert run(tmp_path, "services:\n  api:\n    environment:\n      - JWT_SECRET\n      - API_TOKEN\n") == []


def test_file_variable_with_declared_secret_is_safe(tmp_path: Path) -> None:
    text = """\
    services:
      autoaudit-db:
        image: postgres:16
        environment:
          POSTGRES_PASSWORD_FILE: /run/secrets/db_password
        secrets: [db_password]
    secrets:
      db_password:
        file: ./secrets/db_password
    """
    assert run(tmp_path, text) == []


def test_file_variable_without_the_secret_is_a_warning(tmp_path: Path) -> None:
    text = """\
    services:
      autoaudit-db:
        environment:
          POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    """
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [("compose-secret-file-undeclared", 4, 31)]
    assert findings[0].severity is Severity.WARNING


def test_long_syntax_secret_with_target_is_accepted(tmp_path: Path) -> None:
    text = """\
    services:
      db:
        environment:
          POSTGRES_PASSWORD_FILE: /run/secrets/pg_pw
        secrets:
          - source: db_password
            target: pg_pw
    secrets:
      db_password:
        environment: DB_PASSWORD
    """
    assert run(tmp_path, text) == []


def test_build_args_map_and_list(tmp_path: Path) -> None:
    text = f"""\
    services:
      api:
        build:
          context: .
          args:
            PYTHON_VERSION: "3.12"
            PIP_TOKEN: {PW}
      worker:
        build:
          context: .
          args:
            - NPM_TOKEN={PW}
            - NODE_ENV=production
    """
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [("compose-build-arg-secret", 7, 20), ("compose-build-arg-secret", 12, 21)]
    assert "image metadata" in findings[0].message


def test_build_as_a_string_is_fine(tmp_path: Path) -> None:
    assert run(tmp_path, "services:\n  api:\n    build: .\n") == []


@pytest.mark.parametrize(
    ("command", "line", "column"),
    [
        (f"redis-server --requirepass {PW}", 4, 41),
        (f'["redis-server", "--requirepass", "{PW}"]', 4, 49),
    ],
    ids=["string", "list"],
)
def test_literal_password_in_command(tmp_path: Path, command: str, line: int, column: int) -> None:
    text = f"services:\n  autoaudit-redis:\n    image: redis:7\n    command: {command}\n"
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [("compose-command-secret", line, column)]


def test_password_read_from_the_secret_file_in_command_is_safe(tmp_path: Path) -> None:
    text = """\
    services:
      autoaudit-redis:
        command: ["sh", "-c", "exec redis-server --requirepass \\"$$(cat /run/secrets/redis_password)\\""]
        healthcheck:
          test: ["CMD-SHELL", "redis-cli -a \\"$$(cat /run/secrets/redis_password)\\" ping"]
        secrets: [redis_password]
    secrets:
      redis_password:
        file: ./secrets/redis_password
    """
    assert run(tmp_path, text) == []


def test_healthcheck_with_literal_redis_password(tmp_path: Path) -> None:
    text = f"""\
    services:
      cache:
        healthcheck:
          test: ["CMD", "redis-cli", "-a", "{PW}", "ping"]
    """
    assert [f.rule_id for f in run(tmp_path, text)] == ["compose-command-secret"]


# --- env_file -------------------------------------------------------------------------------------

ENV_FILE_BODY = f"APP_ENV=production\nDB_PASSWORD={PW}\n"


@pytest.mark.parametrize(
    ("env_file", "line", "column"),
    [
        ("    env_file: config/app.env\n", 3, 15),
        ("    env_file:\n      - config/base.env\n      - config/app.env\n", 5, 9),
        ("    env_file:\n      - path: config/app.env\n        required: false\n", 4, 15),
    ],
    ids=["string", "list", "long-form"],
)
def test_env_file_with_plaintext_secret_is_reported_on_the_env_file_line(
    tmp_path: Path, env_file: str, line: int, column: int
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.env").write_text(ENV_FILE_BODY)
    (tmp_path / "config" / "base.env").write_text("LOG_LEVEL=INFO\n")
    findings = run(tmp_path, "services:\n  api:\n" + env_file)
    assert ids_lines(findings) == [("compose-env-file-plaintext", line, column)]
    assert "config/app.env" in findings[0].message and "DB_PASSWORD" in findings[0].message
    assert findings[0].related == "config/app.env"


def test_an_env_file_loaded_by_many_services_is_one_finding_that_names_them(tmp_path: Path) -> None:
    # zalando/patroni's compose file loads docker/patroni.env from eight services: one finding, where the
    # first loads it; another file with secrets is its own finding
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.env").write_text(ENV_FILE_BODY)
    (tmp_path / "config" / "worker.env").write_text(ENV_FILE_BODY)
    services = "".join(f"  node{n}:\n    env_file: config/app.env\n" for n in range(1, 6))
    text = "services:\n" + services + "  worker:\n    env_file: config/worker.env\n"
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [
        ("compose-env-file-plaintext", 3, 15),
        ("compose-env-file-plaintext", 13, 15),
    ]
    assert "service 'node1' loads env_file config/app.env (so do 'node2', 'node3', 'node4' and 1 more)" in (
        findings[0].message
    )
    assert "so do" not in findings[1].message


def test_an_env_file_beyond_the_read_limit_is_not_read(tmp_path: Path) -> None:
    # hostile input: a committed file of many megabytes named as an env_file is left unread (over 10 MiB,
    # the tree scan's default limit for a file), never read whole into memory; the same secret in a small
    # file is reported
    (tmp_path / "config").mkdir()
    padding = "# " + "x" * 1022 + "\n"
    (tmp_path / "config" / "app.env").write_text(ENV_FILE_BODY + padding * (11 * 1024))
    assert run(tmp_path, "services:\n  api:\n    env_file: config/app.env\n") == []
    (tmp_path / "config" / "app.env").write_text(ENV_FILE_BODY + padding * 16)
    findings = run(tmp_path, "services:\n  api:\n    env_file: config/app.env\n")
    assert ids_lines(findings) == [("compose-env-file-plaintext", 3, 15)]


def test_env_file_is_resolved_next_to_the_compose_file(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "prod.env").write_text(ENV_FILE_BODY)
    findings = run(tmp_path, "services:\n  api:\n    env_file: prod.env\n", relpath="deploy/compose.yaml")
    assert [(f.rule_id, f.related) for f in findings] == [("compose-env-file-plaintext", "deploy/prod.env")]


@pytest.mark.parametrize(
    "body",
    [f"DB_PASSWORD=enc:v1:{'A' * 40}\n", "DB_PASSWORD=\nAPI_TOKEN=changeme\n", "LOG_LEVEL=INFO\n"],
    ids=["encrypted", "placeholders", "no-secrets"],
)
def test_env_file_without_plaintext_secrets_is_fine(tmp_path: Path, body: str) -> None:
    (tmp_path / "app.env").write_text(body)
    assert run(tmp_path, "services:\n  api:\n    env_file: app.env\n") == []


def test_missing_or_outside_env_file_is_not_reported(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.env").write_text(ENV_FILE_BODY)
    assert run(root, "services:\n  api:\n    env_file: [missing.env, ../outside.env]\n") == []


def test_gitignored_env_file_is_not_committed(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text(".env\n")
    (git_repo / ".env").write_text(ENV_FILE_BODY)
    assert run(git_repo, "services:\n  api:\n    env_file: .env\n") == []


def test_tracked_env_file_counts_even_when_a_pattern_ignores_it(git_repo: Path) -> None:
    (git_repo / ".env").write_text(ENV_FILE_BODY)
    git(git_repo, "add", ".env")
    git(git_repo, "commit", "-q", "-m", "oops")
    (git_repo / ".gitignore").write_text(".env\n")
    findings = run(git_repo, "services:\n  api:\n    env_file: .env\n")
    assert [f.rule_id for f in findings] == ["compose-env-file-plaintext"]


# --- top-level secrets ---------------------------------------------------------------------------


def test_committed_secret_source_file(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "db_password").write_text(PW + "\n")
    text = "secrets:\n  db_password:\n    file: ./secrets/db_password\n"
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [("compose-secret-file-committed", 3, 11)]
    assert findings[0].related == "secrets/db_password"


def test_gitignored_secret_source_file_is_fine(git_repo: Path) -> None:
    (git_repo / ".gitignore").write_text("secrets/\n")
    (git_repo / "secrets").mkdir()
    (git_repo / "secrets" / "db_password").write_text(PW + "\n")
    assert run(git_repo, "secrets:\n  db_password:\n    file: ./secrets/db_password\n") == []


# --- YAML shapes ----------------------------------------------------------------------------------


def test_anchor_shared_by_two_services_is_reported_once_at_the_anchor(tmp_path: Path) -> None:
    text = f"""\
    x-common-env: &common-env
      SESSION_SECRET: {PW}
    services:
      api:
        environment:
          <<: *common-env
          APP_ENV: production
      worker:
        environment: *common-env
    """
    assert ids_lines(run(tmp_path, text)) == [("compose-environment-secret", 2, 19)]


def test_several_documents_and_non_mapping_roots(tmp_path: Path) -> None:
    text = f"--- []\n---\nservices:\n  api:\n    environment: {{API_TOKEN: {PW}}}\n"
    assert ids_lines(run(tmp_path, text)) == [("compose-environment-secret", 5, 30)]


@pytest.mark.parametrize(
    "text", ["services: [\n", "\tservices:\n", "services:\n  api: !custom-tag 3\n", ""], ids=range(4)
)
def test_invalid_or_odd_yaml_gives_no_findings_and_no_error(tmp_path: Path, text: str) -> None:
    assert run(tmp_path, text) == []


def test_env_file_symlink_leading_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.env").write_text(ENV_FILE_BODY)
    (root / "app.env").symlink_to(tmp_path / "outside.env")
    assert run(root, "services:\n  api:\n    env_file: app.env\n") == []
    (root / "inside.env").write_text(ENV_FILE_BODY)
    (root / "link.env").symlink_to(root / "inside.env")
    assert [f.rule_id for f in run(root, "services:\n  api:\n    env_file: link.env\n")] == [
        "compose-env-file-plaintext"
    ]


def test_file_variable_whose_secret_is_not_defined_at_top_level(tmp_path: Path) -> None:
    text = """\
    services:
      db:
        environment:
          POSTGRES_PASSWORD_FILE: /run/secrets/db_password
          REDIS_PASSWORD_FILE: /run/secrets/redis_password
        secrets: [db_password, redis_password]
    secrets:
      db_password:
        file: ./secrets/db_password
    """
    findings = run(tmp_path, text)
    assert ids_lines(findings) == [("compose-secret-file-undeclared", 5, 28)]
    assert "redis_password" in findings[0].message


def test_override_file_without_top_level_secrets_is_not_judged_on_definitions(tmp_path: Path) -> None:
    text = "services:\n  db:\n    environment:\n      PW_FILE: /run/secrets/db_pw\n    secrets: [db_pw]\n"
    assert run(tmp_path, text, relpath="compose.override.yaml") == []
