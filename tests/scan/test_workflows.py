"""WorkflowAnalyzer: literal secrets in GitHub Actions workflows/actions and GitLab CI files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import Finding, Severity
from autoaudit_secrets.scan.analyzers._ci_workflows import CiKind, WorkflowAnalyzer, ci_kind
from tests.conftest import assert_no_leak
from tests.scan._analyzer_fakes import FakeContext, fake_token

PW = "Hx4" + "tN8wqLz2V"
TOKEN = fake_token("w")
WORKFLOW = ".github/workflows/ci.yml"


def run(text: str, relpath: str = WORKFLOW, root: Path | None = None) -> list[Finding]:
    body = textwrap.dedent(text)
    findings = list(WorkflowAnalyzer().analyze(relpath, body, FakeContext(root or Path("."))))
    for f in findings:
        assert f.severity is Severity.ERROR
        assert_no_leak(f.message + repr(f), [PW, TOKEN], where=f"finding {f.rule_id}")
    return findings


def ids_lines(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule_id, f.line, f.column) for f in findings]


def at(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """(line, column) of the n-th occurrence of ``needle`` in the dedented ``text``, counted by hand here."""
    body = textwrap.dedent(text)
    index = -1
    for _ in range(occurrence + 1):
        index = body.index(needle, index + 1)
    line = body.count("\n", 0, index) + 1
    return line, index - (body.rfind("\n", 0, index) + 1) + 1


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (".github/workflows/ci.yml", CiKind.GITHUB_WORKFLOW),
        (".github/workflows/release.yaml", CiKind.GITHUB_WORKFLOW),
        (".github/actions/setup/action.yml", CiKind.GITHUB_ACTION),
        ("action.yaml", CiKind.GITHUB_ACTION),
        (".gitlab-ci.yml", CiKind.GITLAB),
        ("ci/deploy.gitlab-ci.yml", CiKind.GITLAB),
        (".gitlab/ci/build.yml", CiKind.GITLAB),
        (".github/workflows/README.md", None),
        ("src/action.yml", None),
        ("workflows/ci.yml", None),
    ],
)
def test_file_kinds(path: str, kind: CiKind | None) -> None:
    assert ci_kind(path) is kind
    assert WorkflowAnalyzer().applies_to(path) is (kind is not None)


def test_env_at_workflow_job_and_step_level() -> None:
    text = f"""\
    name: ci
    on: push
    env:
      REGISTRY_PASSWORD: {PW}
    jobs:
      test:
        runs-on: ubuntu-latest
        env:
          NPM_TOKEN: {PW}
        steps:
          - run: make test
            env:
              DEPLOY_KEY_VALUE: plain
              GH_TOKEN: {TOKEN}
    """
    findings = run(text)
    assert ids_lines(findings) == [
        ("ci-env-secret", *at(text, PW, 0)),
        ("ci-env-secret", *at(text, PW, 1)),
        ("ci-env-secret", *at(text, TOKEN)),
    ]
    assert at(text, TOKEN)[0] == 14
    assert "jobs.test.steps[0].env" in findings[2].message


@pytest.mark.parametrize(
    "value",
    [
        "${{ secrets.NPM_TOKEN }}",
        "${{ vars.NPM_TOKEN }}",
        "${{ env.NPM_TOKEN }}",
        "'${{ secrets.A || secrets.B }}'",
        "''",
    ],
    ids=["secrets", "vars", "env", "expression", "empty"],
)
def test_expressions_are_safe(value: str) -> None:
    text = (
        f"jobs:\n  t:\n    env:\n      NPM_TOKEN: {value}\n    steps:\n      - uses: a/b@v1\n        with:\n"
        f"          token: {value}\n"
    )
    assert run(text) == []


def test_with_inputs_and_credentials() -> None:
    text = f"""\
    jobs:
      build:
        container:
          image: ghcr.io/acme/builder
          credentials:
            username: bot
            password: {PW}
        steps:
          - uses: docker/login-action@v3
            with:
              username: bot
              password: {PW}
          - uses: actions/checkout@v4
            with:
              token: ${{{{ github.token }}}}
    """
    assert ids_lines(run(text)) == [
        ("ci-credentials-secret", *at(text, PW, 0)),
        ("ci-with-secret", *at(text, PW, 1)),
    ]


def test_literal_secret_passed_to_a_reusable_workflow() -> None:
    text = f"""\
    on:
      workflow_call:
        secrets:
          deploy_token:
            required: true
    jobs:
      deploy:
        uses: acme/pipelines/.github/workflows/deploy.yml@v2
        secrets:
          deploy_token: {PW}
          other: ${{{{ secrets.OTHER }}}}
    """
    assert ids_lines(run(text)) == [("ci-secrets-literal", *at(text, PW))]


def test_jobs_named_like_workflow_keys_are_jobs() -> None:
    # CrunchyData/postgres-operator's trivy.yaml has a job named `secrets`: its runs-on is no secret passed
    # to a reusable workflow; a job named `env` is no env mapping. What they hold is still read.
    text = f"""    on: push
    jobs:
      secrets:
        runs-on: ubuntu-24.04
        steps:
          - uses: actions/checkout@v4
      env:
        runs-on: ubuntu-24.04
        env:
          DEPLOY_TOKEN: {PW}
        steps:
          - run: make
    """
    assert ids_lines(run(text)) == [("ci-env-secret", *at(text, PW))]


RUN_MISTAKES = [
    ("url-credentials", f"git clone https://deploy:{PW}@github.com/acme/app.git"),
    ("docker-login-p", f"docker login -u bot -p {PW} ghcr.io"),
    ("password-flag", f"mysqladmin --password={PW} status"),
    ("authorization-header", f'curl -H "Authorization: Bearer {PW}" https://api.example.test'),
    ("export-token", f"export API_TOKEN={PW}"),
    ("npmrc", f'echo "//registry.npmjs.org/:_authToken={PW}" > ~/.npmrc'),
    ("token-format", f"gh auth login --with-token <<< {TOKEN}"),
    ("aws-configure", f"aws configure set aws_secret_access_key {PW}"),
    ("curl-user", f"curl -u admin:{PW} https://api.example.test"),
    ("github-env-file", f'echo "API_TOKEN={PW}" >> "$GITHUB_ENV"'),
    ("mysql-attached-p", f"mysql -u root -p{PW} -e 'select 1'"),
]


@pytest.mark.parametrize("line", [m[1] for m in RUN_MISTAKES], ids=[m[0] for m in RUN_MISTAKES])
def test_run_script_literals_point_at_their_physical_line(line: str) -> None:
    text = f"""\
    jobs:
      deploy:
        steps:
          - name: deploy
            run: |
              set -eu
              echo start
              {line}
              echo done
    """
    findings = run(text)
    secret = TOKEN if TOKEN in line else PW
    assert at(text, secret)[0] == 8
    assert ids_lines(findings) == [("ci-run-secret", *at(text, secret))]


SAFE_SCRIPTS = [
    ("password-stdin", 'echo "$REGISTRY_PASSWORD" | docker login -u bot --password-stdin ghcr.io'),
    ("secret-expression", 'docker login -u bot -p "${{ secrets.REGISTRY_PASSWORD }}" ghcr.io'),
    ("mkdir-p", "mkdir -p build/out && docker run -p 8080:80 nginx"),
    ("header-from-env", 'curl -H "Authorization: Bearer $API_TOKEN" https://api.example.test'),
    ("url-with-variable", "git clone https://x-access-token:${GH_TOKEN}@github.com/acme/app.git"),
    ("export-reference", "export API_TOKEN=${{ secrets.API_TOKEN }}"),
    ("command-substitution", 'export API_TOKEN="$(cat /run/secrets/api_token)"'),
    (
        "build-secret-spec",
        "docker buildx build --secret id=pip_index_url,env=PIP_INDEX_URL --secret=id=npm,src=.npmrc .",
    ),
    ("positional-argument", 'login() { export REGISTRY_PASSWORD="$1"; }'),
    ("export-field-name", "export SMTP_PASSWORD=smtp_account_password"),  # names a field, as in the rules
    (
        "url-without-credentials",
        "curl https://example.test/download && pip install --index-url https://pypi.org/simple x",
    ),
]


@pytest.mark.parametrize("script", [s[1] for s in SAFE_SCRIPTS], ids=[s[0] for s in SAFE_SCRIPTS])
def test_safe_scripts(script: str) -> None:
    assert run(f"jobs:\n  t:\n    steps:\n      - run: {script!r}\n") == []


def test_env_values_naming_a_field_of_the_same_secret_are_not_secrets() -> None:
    text = f"""\
    env:
      DB_PASSWORD: current-password
      API_TOKEN: nextToken
      SESSION_SECRET: {PW}
    jobs:
      t:
        steps:
          - run: make
    """
    assert ids_lines(run(text)) == [("ci-env-secret", *at(text, PW))]


def test_gitlab_variables_and_scripts() -> None:
    text = f"""\
    variables:
      DOCKER_DRIVER: overlay2
      REGISTRY_PASSWORD: {PW}
      DEPLOY_TOKEN:
        value: {PW}
        description: deploy token
    test:
      variables:
        CI_DEBUG: "false"
        DB_PASSWORD: $CI_DB_PASSWORD
      before_script:
        - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
      script:
        - echo ok
        - - git clone https://ci:{PW}@gitlab.example.test/acme/app.git
    """
    findings = run(text, relpath=".gitlab-ci.yml")
    assert ids_lines(findings) == [
        ("ci-env-secret", *at(text, PW, 0)),
        ("ci-env-secret", *at(text, PW, 1)),
        ("ci-run-secret", *at(text, PW, 2)),
    ]
    assert "masked CI/CD variable" in findings[0].message


def test_composite_action_run_and_input_default() -> None:
    text = f"""\
    name: setup
    inputs:
      api-token:
        description: token
        default: {PW}
      region:
        default: eu-west-1
    runs:
      using: composite
      steps:
        - shell: bash
          run: echo "machine api.example.test login bot password {PW}" > ~/.netrc
    """
    findings = run(text, relpath=".github/actions/setup/action.yml")
    assert sorted(ids_lines(findings)) == [
        ("ci-input-default-secret", *at(text, PW, 0)),
        ("ci-run-secret", *at(text, PW, 1)),
    ]


def test_workflow_keys_named_like_secrets_elsewhere_are_ignored() -> None:
    text = """\
    permissions:
      id-token: write
    jobs:
      t:
        strategy:
          matrix:
            token: [a, b]
        steps:
          - uses: a/b@v1
    """
    assert run(text) == []


def test_invalid_yaml_gives_nothing() -> None:
    assert run("jobs: [\n") == []


def test_alias_bomb_is_walked_once_per_node() -> None:
    levels = ["a0: &a0 [{run: echo hi}, {run: echo hi}]"]
    for i in range(1, 40):
        levels.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    text = "\n".join(levels) + f"\njobs:\n  t:\n    steps: *a39\n    env:\n      API_TOKEN: {PW}\n"
    # 2**40 step references if expanded; visited once each, the scan is instant and still finds the literal.
    assert [f.rule_id for f in run(text)] == ["ci-env-secret"]


@pytest.mark.parametrize(
    "run_value",
    [
        f'"git clone https://bot:{PW}@example.test/r.git"',
        f"'git clone https://bot:{PW}@example.test/r.git'",
        f">\n          git clone\n          https://bot:{PW}@example.test/r.git",
        f"|-\n\n          echo one\n\n          git clone https://bot:{PW}@example.test/r.git",
        f"git clone\n          https://bot:{PW}@example.test/r.git",
    ],
    ids=["double-quoted", "single-quoted", "folded", "literal-strip-blank-lines", "plain-multiline"],
)
def test_scalar_styles_locate_the_secret(run_value: str) -> None:
    text = f"jobs:\n  t:\n    steps:\n      - run: {run_value}\n"
    assert ids_lines(run(text)) == [("ci-run-secret", *at(text, PW))]


def test_key_value_lines_of_build_inputs() -> None:
    text = f"""\
    jobs:
      image:
        steps:
          - uses: docker/build-push-action@v6
            with:
              build-args: |
                PYTHON_VERSION=3.12
                NPM_TOKEN={PW}
              secrets: |
                pip_index_url=${{{{ secrets.PIP_INDEX_URL }}}}
                github_token={PW}
    """
    assert ids_lines(run(text)) == [
        ("ci-with-secret", *at(text, PW, 0)),
        ("ci-with-secret", *at(text, PW, 1)),
    ]


def test_every_shell_check_match_holds_one_of_its_words() -> None:
    """The shell checks skip a pattern whose words are all absent from a script: each pattern's match must
    hold one of them (lower-cased), over every script line the test data and the sample stack hold."""
    from autoaudit_secrets.scan.analyzers import _config_values as cv

    roots = [Path(__file__).resolve().parents[1] / "data"]
    texts = [
        p.read_text(errors="replace")
        for root in roots
        for p in root.rglob("*")
        if p.is_file() and p.stat().st_size < 200_000
    ]
    matched = 0
    for (pattern, _), needles in zip(cv._SHELL_PATTERNS, cv._SHELL_NEEDLES, strict=True):
        for text in texts:
            for m in pattern.finditer(text):
                matched += 1
                assert any(n in m.group(0).lower() for n in needles), (pattern.pattern[:40], needles)
    assert matched > 20


def test_scripts_and_values_judged_once_through_a_remembering_context() -> None:
    """A history scan's context remembers what shell_secrets found in a script and what an env value was
    judged: the same script and value in a later version (moved down) give the same findings, at their new
    places, without being judged again."""
    from autoaudit_secrets.scan.sources._git import _RememberingContext

    class Counting(FakeContext):
        judged = 0

        def is_secret_name(self, name: str) -> bool:
            Counting.judged += 1
            return super().is_secret_name(name)

    step = (
        f"      - run: |\n          export DEPLOY_PASSWORD={PW}\n          make deploy\n"
        f"        env:\n          API_TOKEN: {PW}\n"
    )
    first = "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n" + step
    second = first.replace("    steps:\n", "    steps:\n      - uses: actions/checkout@v4\n")
    plain = [
        ids_lines(list(WorkflowAnalyzer().analyze(WORKFLOW, t, FakeContext(Path(".")))))
        for t in (first, second)
    ]
    ctx = _RememberingContext(Counting(Path(".")))
    got = [ids_lines(list(WorkflowAnalyzer().analyze(WORKFLOW, first, ctx)))]
    judged = Counting.judged
    got.append(ids_lines(list(WorkflowAnalyzer().analyze(WORKFLOW, second, ctx))))
    assert got == plain
    assert sorted((f[0], f[1]) for f in plain[0] + plain[1]) == [
        ("ci-env-secret", 10),
        ("ci-env-secret", 11),
        ("ci-run-secret", 7),
        ("ci-run-secret", 8),
    ]
    assert judged > 0 and Counting.judged == judged  # the second version's script and value: remembered


SERVICES = f"""
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      DB_PASSWORD: postgres
      API_PASSWORD: {PW}
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
          POSTGRES_ADMIN_TOKEN: {TOKEN}
    steps:
      - run: pytest
        env:
          PGPASSWORD: postgres
"""


def test_a_service_containers_throwaway_password_is_not_reported_by_its_name() -> None:
    """GitHub's guide to service containers writes ``POSTGRES_PASSWORD: postgres``: a database that lives as
    long as the job. Its env, and the job's or a step's env handing the same value to the tests, are not
    reported by name; a token a rule identifies is, and so is another literal of the job."""
    assert ids_lines(run(SERVICES)) == [
        ("ci-env-secret", *at(SERVICES, PW)),
        ("ci-env-secret", *at(SERVICES, TOKEN)),
    ]
    # a job without service containers: the same literal is reported
    alone = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      DB_PASSWORD: postgres\n"
    assert ids_lines(run(alone)) == [("ci-env-secret", 6, 20)]


def test_a_gitlab_job_s_service_variables_are_not_reported_by_their_name() -> None:
    """bram2w/baserow's pipeline: GitLab hands a job's variables to its services, so POSTGRES_PASSWORD beside
    a postgres service is the service's own, as is a service's own ``variables``; the same value elsewhere in
    the job is the tests' way in. Without the service, or under a name of no service, it is reported."""
    text = f"""
test:
  services:
    - name: postgres:13
      alias: db
  variables:
    POSTGRES_USER: app
    POSTGRES_PASSWORD: baserow
    DATABASE_PASSWORD: baserow
    API_PASSWORD: {PW}
  script: [pytest]
e2e:
  services:
    - name: mariadb:11
      variables:
        MARIADB_ROOT_PASSWORD: baserow
  script: [pytest]
lint:
  variables:
    POSTGRES_PASSWORD: baserow
  script: [ruff check]
"""
    found = ids_lines(run(text, relpath=".gitlab-ci.yml"))
    assert found == [("ci-env-secret", *at(text, PW)), ("ci-env-secret", *at(text, "baserow", 3))]


def test_an_image_that_reads_another_image_s_variables_gives_their_prefix() -> None:
    """PostGIS reads POSTGRES_*, MariaDB MYSQL_* too: beside such a service, those are its own. A name of
    no service the job has stays reported."""
    text = f"""
gis:
  services: [postgis/postgis:16-3.4]
  variables:
    POSTGRES_PASSWORD: geodata
    REDIS_PASSWORD: {PW}
  script: [pytest]
maria:
  services: [mariadb:11]
  variables:
    MYSQL_ROOT_PASSWORD: maria
  script: [pytest]
"""
    assert ids_lines(run(text, relpath=".gitlab-ci.yml")) == [("ci-env-secret", *at(text, PW))]


def test_a_step_connecting_to_its_service_container_with_its_password_is_not_reported() -> None:
    """Prefect's tests write the service's URL to $GITHUB_ENV in a run script; another password in the same
    URL, or that URL in a job without the service, is reported."""
    url = 'echo "DATABASE_URL=postgresql+asyncpg://app:{pw}@localhost/app" >> $GITHUB_ENV'
    steps = f"      - run: {url.format(pw='postgres')}\n      - run: {url.format(pw=PW)}\n"
    workflow = SERVICES.replace(f"      API_PASSWORD: {PW}\n", "").replace(
        f"          POSTGRES_ADMIN_TOKEN: {TOKEN}\n", ""
    )
    workflow = workflow.replace("      - run: pytest\n", steps + "      - run: pytest\n")
    assert [rule for rule, _, _ in ids_lines(run(workflow))] == ["ci-run-secret"]
    line = workflow.count("\n", 0, workflow.index(PW)) + 1
    assert [line_no for _, line_no, _ in ids_lines(run(workflow))] == [line]
    alone = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + steps
    assert [rule for rule, _, _ in ids_lines(run(alone))] == ["ci-run-secret", "ci-run-secret"]


def test_a_strong_password_of_a_service_container_is_still_reported_by_the_generic_rule(
    tmp_path: Path,
) -> None:
    from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions

    workflow = tmp_path / WORKFLOW
    workflow.parent.mkdir(parents=True)
    text = SERVICES.replace(f"API_PASSWORD: {PW}", "API_URL: http://localhost:8000").replace(
        f"POSTGRES_ADMIN_TOKEN: {TOKEN}", f"MYSQL_ROOT_PASSWORD: {PW}"
    )
    workflow.write_text(text)
    result = Scanner(ScanConfig()).scan(ScanOptions(root=tmp_path, no_ignore=True))
    line = text.count("\n", 0, text.index("MYSQL_ROOT_PASSWORD")) + 1
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == [
        (WORKFLOW, line, "generic-password-config")
    ]
