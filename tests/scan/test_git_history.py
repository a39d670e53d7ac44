"""History scans (``check-secrets git``): token rules on the added lines only, analyzers only on the files a
commit changes with their findings compared with the file's version before, and ``--jobs`` parts that give
the same report as one process.

Real repositories in temp folders; tokens are random per test and never appear in any output.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets.scan._model import Finding, Match, ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._git import GitMode, GitSelection, HistoryOptions, HistoryScan
from tests.cli.test_check_secrets_git import RULE_ID, Repo
from tests.conftest import fast_import_history, git, run_cli


@pytest.fixture
def repo(git_repo: Path) -> Repo:
    return Repo(git_repo)


def _password() -> str:
    """A random literal that the Dockerfile checks take for a password (mixed classes, 20 characters)."""
    return "Qx7" + secrets.token_hex(8) + "!k"


def _by_rule(findings: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == rule]


def _all(repo: Repo, *args: str) -> list[dict[str, Any]]:
    result = repo.run("--all", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


# -------------------------------------------------------------------------------------------- added lines


def test_secret_inserted_in_the_middle_of_a_long_file_is_found_at_its_line(repo: Repo) -> None:
    body = [f"line {n} of an ordinary module" for n in range(1, 2001)]
    repo.write("module.py", "\n".join(body) + "\n")
    repo.commit("a long file")
    token = repo.token()
    body.insert(1000, f'API = "{token}"')
    repo.write("module.py", "\n".join(body) + "\n")
    inserted = repo.commit("insert a key in the middle")
    body[10] = "line 11, edited"
    repo.write("module.py", "\n".join(body) + "\n")
    repo.commit("edit another line")
    [finding] = _by_rule(_all(repo), RULE_ID)
    assert (finding["path"], finding["line"], finding["column"]) == ("module.py", 1001, 8)
    assert finding["commit"]["sha"] == inserted


def test_token_joining_lines_of_two_hunks_is_not_a_token(repo: Repo) -> None:
    """The added lines of one file are scanned together; a match may not join lines that are not neighbours
    in the file (here a key's BEGIN line in one hunk and its END line in another)."""
    lines = [f"filler {n}" for n in range(1, 41)]
    repo.write("notes.txt", "\n".join(lines) + "\n")
    repo.commit("notes")
    # Base64 key material, split so that neither hunk alone is long enough for a key (the rule wants 64
    # characters after BEGIN) while the two joined are one: only a join across the unchanged lines finds it.
    body = base64.b64encode(secrets.token_bytes(72)).decode()
    lines[4] = "-----BEGIN RSA PRIVATE KEY-----"
    lines[5] = body[:40]
    lines[30] = body[40:]
    lines[31] = "-----END RSA PRIVATE KEY-----"
    repo.write("notes.txt", "\n".join(lines) + "\n")
    repo.commit("two separate edits")
    assert not [f for f in _all(repo) if f["path"] == "notes.txt"]


def _pem_body() -> list[str]:
    """Random key material as a PEM body: base64 in lines of 64 characters."""
    body = base64.b64encode(secrets.token_bytes(480)).decode()
    return [body[i : i + 64] for i in range(0, len(body), 64)]


@pytest.mark.parametrize("where", ["config.py", "deploy/settings.yml"])
def test_a_key_whose_body_a_commit_replaces_is_reported_at_that_commit(repo: Repo, where: str) -> None:
    """A key rotated in place: the commit adds the new body lines only, its BEGIN and END lines stay. The
    key block around the added lines is what the rule needs; the new key is a new secret."""
    before = ["# service settings", "DEBUG = False", 'SIGNING_KEY = """']
    after = ['"""', "TIMEOUT = 30"]
    head, tail = "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"
    repo.write(where, "\n".join([*before, head, *_pem_body(), tail, *after]) + "\n")
    first = repo.commit("add the signing key")
    body = _pem_body()
    repo.write(where, "\n".join([*before, head, *body, tail, *after]) + "\n")
    rotated = repo.commit("rotate the signing key")
    repo.write(where, "\n".join([*before, head, *body[:3], tail, *after]) + "\n")
    repo.commit("a key body cut short: lines removed, none added")
    found = _by_rule(_all(repo), "private-key-pem")
    assert sorted((f["commit"]["sha"], f["path"], f["line"]) for f in found) == sorted(
        [(first, where, 5), (rotated, where, 5)]
    )


def test_secret_on_added_lines_of_a_merge_resolution(repo: Repo) -> None:
    repo.write("conf.txt", "a\nb\nc\n")
    repo.commit("base")
    git(repo.path, "checkout", "-q", "-b", "side")
    repo.write("conf.txt", "a\nside\nc\n")
    repo.commit("side")
    git(repo.path, "checkout", "-q", "main")
    repo.write("conf.txt", "a\nmain\nc\n")
    repo.commit("main")
    with pytest.raises(subprocess.CalledProcessError):  # both sides changed line 2: a conflict
        git(repo.path, "merge", "-q", "side", "-m", "merge")
    token = repo.token()
    repo.write("conf.txt", f"a\nmain\nk = {token}\nc\n")
    git(repo.path, "add", "conf.txt")
    git(repo.path, "commit", "-q", "--no-edit")
    merge = repo.head()
    [finding] = _by_rule(_all(repo), RULE_ID)
    assert (finding["line"], finding["commit"]["sha"]) == (3, merge)
    assert len(finding["commit"]["sha"]) == 40


# ---------------------------------------------------------------------------------------------- analyzers


def test_dockerfile_secret_is_reported_once_at_the_commit_that_added_it(repo: Repo) -> None:
    password = _password()
    repo.write("Dockerfile", "FROM python:3.12-slim\nWORKDIR /app\n")
    repo.commit("dockerfile")
    repo.write("Dockerfile", f"FROM python:3.12-slim\nWORKDIR /app\nENV DB_PASSWORD={password}\n")
    introduced = repo.commit("hard-code the password")
    # later commits touch the file: a new first line moves the secret down, a version bump, a new RUN line
    repo.write(
        "Dockerfile",
        f"# syntax=docker/dockerfile:1\nFROM python:3.13-slim\nWORKDIR /app\nENV DB_PASSWORD={password}\n",
    )
    repo.commit("move it down")
    repo.write(
        "Dockerfile",
        f"# syntax=docker/dockerfile:1\nFROM python:3.13-slim\nWORKDIR /app\nENV DB_PASSWORD={password}\n"
        "RUN pip install flask\n",
    )
    repo.commit("install flask")
    findings = _all(repo)
    [env] = _by_rule(findings, "docker-env-secret")
    assert (env["path"], env["line"], env["commit"]["sha"]) == ("Dockerfile", 3, introduced)
    assert len([f for f in findings if f["path"] == "Dockerfile"]) == 1
    repo.run("--all")  # the text report does not show it either (checked by Repo.run)
    assert password not in repo.run("--all").output


def test_history_judges_copy_sources_by_the_commit_not_by_todays_files(repo: Repo) -> None:
    """A whole history is not checked against today's working tree: an old Dockerfile that copied a private
    key is reported although the file has since become a certificate (judged by its name then)."""
    body = base64.b64encode(secrets.token_bytes(96)).decode()
    repo.write("Dockerfile", "FROM alpine:3\nCOPY tls.pem /etc/app/\n")
    repo.write("tls.pem", f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    leaked = repo.commit("ship the key")
    repo.write("tls.pem", f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    repo.commit("only the certificate")
    copies = _by_rule(_all(repo), "docker-copy-secret-file")
    assert [(f["path"], f["line"], f["commit"]["sha"]) for f in copies] == [("Dockerfile", 2, leaked)]
    # a tree scan does read today's tls.pem: a certificate, nothing to report about the COPY
    tree = json.loads(run_cli("check-secrets", "scan", str(repo.path), "--format", "json").stdout)
    assert _by_rule(tree["findings"], "docker-copy-secret-file") == []


def test_dockerfile_finding_without_a_value_is_reported_per_line_once(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM alpine:3\nARG GITHUB_TOKEN\nRUN echo hi\n")
    first = repo.commit("first secret-named arg")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN echo hello\n")
    repo.commit("bump, edit")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\nARG NPM_TOKEN\nRUN echo hello\n")
    second = repo.commit("a second one")
    repo.write("Dockerfile", "FROM alpine:3.20\nRUN echo hello\nARG GITHUB_TOKEN\nARG NPM_TOKEN\n")
    repo.commit("reorder")
    found = sorted(
        (f["line"], f["commit"]["sha"]) for f in _by_rule(_all(repo), "docker-secret-arg-no-value")
    )
    assert found == [(2, first), (3, second)]


def test_finding_present_before_the_range_is_not_reported_for_an_edit_elsewhere(repo: Repo) -> None:
    password = _password()
    repo.write("Dockerfile", f"FROM alpine:3\nENV API_PASSWORD={password}\nRUN echo a\n")
    base = repo.commit("old leak")
    repo.write("Dockerfile", f"FROM alpine:3\nRUN echo b\nENV API_PASSWORD={password}\n")
    repo.commit("reorder and edit")
    code, _ = repo.findings("--since", base)
    assert code == 0
    result = repo.run("--since", base, "--format", "json")
    assert json.loads(result.stdout)["findings"] == []
    # the whole history still has it, once, at the first commit
    [env] = _by_rule(_all(repo), "docker-env-secret")
    assert env["commit"]["sha"] == base


def test_workflow_literal_reported_once_and_a_new_one_later(repo: Repo) -> None:
    first, second = _password(), _password()
    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v3\n      - run: make\n        env:\n"
        f"          DEPLOY_PASSWORD: {first}\n"
    )
    repo.write(".github/workflows/ci.yml", workflow)
    introduced = repo.commit("ci")
    repo.write(".github/workflows/ci.yml", workflow.replace("@v3", "@v4"))
    repo.commit("bump checkout")
    repo.write(
        ".github/workflows/ci.yml",
        workflow.replace("@v3", "@v4") + f"          REGISTRY_PASSWORD: {second}\n",
    )
    later = repo.commit("second literal")
    found = sorted((f["line"], f["commit"]["sha"]) for f in _by_rule(_all(repo), "ci-env-secret"))
    assert found == sorted([(9, introduced), (10, later)])


def test_renamed_into_a_sensitive_name_is_reported(repo: Repo) -> None:
    repo.write("notes/key.txt", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + secrets.token_hex(30) + "\n")
    repo.commit("a text file")
    git(repo.path, "mv", "notes/key.txt", "notes/id_rsa")
    repo.write("notes/id_rsa", (repo.path / "notes/id_rsa").read_text() + "more\n")
    renamed = repo.commit("rename to id_rsa, one more line")
    found = [f for f in _all(repo) if f["rule"] == "sensitive-file-ssh-private-key"]
    assert [(f["path"], f["commit"]["sha"]) for f in found] == [("notes/id_rsa", renamed)]


class _CountingScanner(Scanner):
    """A real scanner that records which files its analyzers were run on."""

    def __init__(self, config: ScanConfig) -> None:
        super().__init__(config)
        self.analyzed: Counter[str] = Counter()

    def analyze_document(self, relpath: str, text: str, analyzers: Any, **kwargs: Any) -> list[Finding]:
        self.analyzed[relpath] += 1
        return super().analyze_document(relpath, text, analyzers, **kwargs)


def test_analyzers_run_only_on_files_the_commit_changes(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM alpine:3\nARG GITHUB_TOKEN\n")
    repo.write(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    repo.commit("analyzed files")
    for n in range(6):
        repo.write("app.py", f"print({n})\n")
        repo.commit(f"app {n}")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\n")
    repo.commit("bump: a FROM line cannot give the file a finding")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\nARG NPM_TOKEN\n")
    repo.commit("a line the checks read")
    scanner = _CountingScanner(ScanConfig())
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        findings, _ = history.run(scanner, HistoryOptions())
    # the Dockerfile: when added, and at the last commit together with the version before it (read from its
    # blob, as the bump was not analyzed); the workflow: once by each analyzer of YAML files (CI, Kubernetes),
    # when added; app.py has no analyzer
    assert scanner.analyzed == Counter({"Dockerfile": 3, ".github/workflows/ci.yml": 2})
    assert sorted((f.rule_id, f.line) for f in findings) == [
        ("docker-secret-arg-no-value", 2),
        ("docker-secret-arg-no-value", 3),
    ]


def test_version_before_is_not_analyzed_when_every_finding_was_reported(repo: Repo) -> None:
    repo.write("Dockerfile", "FROM alpine:3\nARG GITHUB_TOKEN\n")
    repo.commit("a secret-named arg")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\n")
    repo.commit("bump: not analyzed")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN echo hi\n")
    repo.commit("a RUN line: analyzed; it finds only the ARG, reported already")
    repo.write("Dockerfile", "FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN echo hi\nARG NPM_TOKEN\n")
    last = repo.commit("a new finding: compared with the version before")
    scanner = _CountingScanner(ScanConfig())
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        findings, _ = history.run(scanner, HistoryOptions())
    # added; the RUN commit alone (its parent, the bump, is not read); the last commit and its parent (the
    # RUN commit's version, known already)
    assert scanner.analyzed == Counter({"Dockerfile": 3})
    assert sorted((f.rule_id, f.line) for f in findings) == [
        ("docker-secret-arg-no-value", 2),
        ("docker-secret-arg-no-value", 4),
    ]
    assert [f.commit.sha for f in findings if f.line == 4] == [last]  # type: ignore[union-attr]


class _DetectCountingScanner(Scanner):
    """A real scanner that counts the texts the analyzers ask it about (``detect``)."""

    def __init__(self, config: ScanConfig) -> None:
        super().__init__(config)
        self.asked: Counter[str] = Counter()

    def detect(self, text: str, relpath: str | None = None) -> list[Match]:
        self.asked[text] += 1
        return super().detect(text, relpath)


def test_analyzers_of_a_history_ask_about_each_text_once(repo: Repo) -> None:
    password = _password()
    head = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make test --jobs 2\n        env:\n          APP_VERSION: 1.2.3\n"
    )
    for n in range(4):
        repo.write(".github/workflows/ci.yml", head + f"      - run: make deploy --stage {n}\n")
        repo.commit(f"deploy stage {n}")
    repo.write(
        ".github/workflows/ci.yml",
        head + f"      - run: make deploy --stage 4\n        env:\n          DEPLOY_PASSWORD: {password}\n",
    )
    leaked = repo.commit("a literal password")
    scanner = _DetectCountingScanner(ScanConfig())
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        findings, _ = history.run(scanner, HistoryOptions())
    assert scanner.asked["make test --jobs 2"] == 1  # in all five versions
    assert scanner.asked["1.2.3"] == 1
    assert max(scanner.asked.values()) == 1
    [env] = [f for f in findings if f.rule_id == "ci-env-secret"]
    assert (env.line, env.commit.sha if env.commit else None) == (11, leaked)


def test_inert_lines_of_dockerfiles_and_workflows() -> None:
    from autoaudit_secrets.scan.analyzers._ci_workflows import WorkflowAnalyzer
    from autoaudit_secrets.scan.analyzers.docker._dockerfile_checks import DockerfileAnalyzer

    ctx = Scanner(ScanConfig()).context()
    docker, workflow = DockerfileAnalyzer(), WorkflowAnalyzer()

    def alone(analyzer: DockerfileAnalyzer | WorkflowAnalyzer, line: str) -> bool:
        """What the analyzer says of a file of one line, that line added."""
        return analyzer.may_change(line + "\n", ctx, line + "\n", [1])

    for inert in (
        "FROM python:3.13-slim AS build",
        "# a comment",
        "",
        'ARG APP_VERSION="1.2.3"',
        "EXPOSE 8080",
    ):
        assert not alone(docker, inert), inert
    for relevant in (
        "ARG GITHUB_TOKEN",
        "ENV DB_PASSWORD=abc",
        "ENV X=$SECRET_ARG",
        "COPY id_rsa /root/.ssh/",
        "RUN curl -u me:pw https://example.test",
        "  && echo done",
        "# escape=`",
        "FROM alpine:3 \\",
    ):
        assert alone(docker, relevant), relevant
    for inert in (
        "      - uses: actions/checkout@v4",
        '        java-version: "21"',
        "    steps:",
        "- master",
        "# a comment",
        # a value that no check reads (any text), or one with a run-time reference under a secret-ish name,
        # or a one-line command in which the script check finds nothing
        "      - uses: docker://example/label-approved:0.0.2",
        '    - cron: "0 0 * * *"',
        "        if: github.event_name == 'pull_request'",
        "    branches: [ main, dev ]",
        "          token: ${{ secrets.GITHUB_TOKEN }}",
        "      - run: make deploy",
        "  # TODO: a comment, with a colon: and {braces}",
    ):
        assert not alone(workflow, inert), inert
    for relevant in (
        "        with:",
        "        env:",
        "jobs:",
        "          DEPLOY_PASSWORD: hunter2hunter2",
        "          mysql -psecret",
        "          export TOKEN=abc",
        "      - run: mysql -pS3cr3tPa55 db",  # check-secrets: allow
        "      - run: git clone https://user:pw@example.test/r.git",
        "      - run: 'make'",  # quoted: the script is the unquoted text, not judged here
        "      - run: |",
        "          git clone https://user:pw@example.test/r.git",
        "          password: hunter2hunter2",
        "          api_key: 'unclosed ${{ secrets.KEY }}",
        "          build-args: VERSION=1",  # NAME=value lines: read by the with: check
        "          settings: {env: {API_TOKEN: hunter2hunter2}}",
        "          include: [ {password: hunter2hunter2} ]",
        "          label: value # a comment",
        "          fi",  # words alone: the continuation of a scalar (a script's line, a wrapped value)
    ):
        assert alone(workflow, relevant), relevant


# Lines put in place of each line of a workflow by the test below. Those with a token-rule match are not
# checked there: the token rules look at the added lines, and the analyzers then run whatever may_change says.
_REPLACEMENTS = (
    "run: make",
    "run: mysql -phunter2hunter2 db",  # check-secrets: allow
    "run: git clone https://ci:hunter2hunter2@example.test/r.git",  # check-secrets: allow
    "run: echo a",
    'cron: "0 0 * * *"',
    "token: ${{ secrets.X }}",
    "DEPLOY_PASSWORD: hunter2hunter2",
    "DEPLOY_PASSWORD: hunter2 hunter2",
    'DEPLOY_PASSWORD: "hunter2hunter2"',  # check-secrets: allow
    "DEPLOY_PASSWORD: 'hunter2",
    "build-args: API_TOKEN=hunter2hunter2",
    "args: --password hunter2hunter2",  # check-secrets: allow
    "uses: docker://example/img:1",
    "description: 'a token, to read the API'",
    "if: github.event_name == 'push'",
    "branches: [ main, dev ]",
    "settings: {env: {API_TOKEN: hunter2hunter2}}",
    "include: [ {password: hunter2hunter2} ]",
    "default: hunter2hunter2",
    "value: hunter2hunter2",
    "label: value # password: hunter2hunter2",
    "shared: *anchor",
    "base: &anchor",
    "password: |",
    "hunter2hunter2",
    "# password: hunter2hunter2",
)


@pytest.mark.parametrize("source", ["stack", "example", "inline", "gitlab"])
def test_workflow_lines_said_inert_give_no_new_finding(source: str) -> None:
    """What may_change says False about gives the file no finding it did not have: every line of real
    workflows, replaced by each of _REPLACEMENTS (kept at the line's indentation and item marker) and by
    the replacement below a copy of the line."""
    from autoaudit_secrets.scan.analyzers._ci_workflows import WorkflowAnalyzer
    from autoaudit_secrets.scan.sources._git import _identity

    root = Path(__file__).resolve().parents[2]
    relpath, text = {
        "stack": (
            ".github/workflows/ci.yml",
            (root / "tests/data/stack/.github/workflows/ci.yml").read_text(),
        ),
        "example": (
            ".github/workflows/ci.yml",
            (root / "examples/autoaudit-api/.github/workflows/ci.yml").read_text(),
        ),
        "inline": (".github/workflows/ci.yml", _WORKFLOW),
        "gitlab": (".gitlab-ci.yml", _GITLAB),
    }[source]
    scanner = Scanner(ScanConfig())
    ctx = scanner.context()
    analyzer = WorkflowAnalyzer()

    def found(version: str) -> set[tuple[str, ...]]:
        return {_identity(f, "line") for f in scanner.analyze_document(relpath, version, [analyzer], ctx=ctx)}

    before = found(text)
    lines = text.split("\n")
    judged = inert = 0
    for index, line in enumerate(lines):
        lead = re.match(r"\s*(?:-\s+)?", line)
        assert lead is not None
        for replacement in _REPLACEMENTS:
            new = lead.group() + replacement
            if ctx.detect(new):
                continue
            for version, number in (
                ([*lines[:index], new, *lines[index + 1 :]], index + 1),  # the line replaced
                ([*lines[: index + 1], new, *lines[index + 1 :]], index + 2),  # a line added below it
            ):
                after = "\n".join(version)
                judged += 1
                if analyzer.may_change(new + "\n", ctx, after, [number]):
                    continue
                inert += 1
                assert found(after) <= before, (index, new)
    assert inert > judged // 10  # the test sees lines said inert


_GITLAB = """variables:
  GIT_DEPTH: "10"
stages: [build, deploy]
build:
  stage: build
  image: python:3.13
  variables:
    APP_ENV: test
  script:
    - make build
    - |
      echo building
      make test
  only:
    - main
deploy:
  stage: deploy
  script: make deploy
  environment:
    name: prod
"""


_WORKFLOW = """on:
  push:
    branches:
      - main
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      # check out first
      - uses: actions/setup-java@v4
        with:
          java-version: "21"
      - run: |
          ./build.sh
          - listed-in-the-script: yes
          # not a YAML comment
          cat <<EOF > notes.txt
          uses: a-line-of-the-notes
          EOF
      - run: make deploy
        env:
          APP_VERSION: 1.2.3
  call:
    uses: ./.github/workflows/deploy.yml
    secrets:
      registry: ${{ secrets.REGISTRY }}
      deployer: DEPLOYER_NAME
x-shared: &shared
  target: prod
"""


@pytest.mark.parametrize(
    ("line", "context_matters"),
    [
        ("      - main", False),
        ("      - uses: actions/checkout@v4", False),
        ("      # check out first", False),
        ('          java-version: "21"', False),
        ("          APP_VERSION: 1.2.3", False),
        ("          - listed-in-the-script: yes", True),  # in a block scalar (the run script)
        ("          # not a YAML comment", True),
        ("          uses: a-line-of-the-notes", True),
        ("      deployer: DEPLOYER_NAME", True),  # under secrets: (every entry is one)
        ("  target: prod", True),  # under an anchor: its node may be used anywhere
    ],
)
def test_workflow_lines_are_judged_in_their_context(line: str, context_matters: bool) -> None:
    from autoaudit_secrets.scan.analyzers._ci_workflows import WorkflowAnalyzer

    ctx = Scanner(ScanConfig()).context()
    number = _WORKFLOW.split("\n").index(line) + 1
    assert WorkflowAnalyzer().may_change(line + "\n", ctx, _WORKFLOW, [number]) is context_matters
    # the same line alone in a file is judged by its text: inert
    assert not WorkflowAnalyzer().may_change(line + "\n", ctx, line + "\n", [1])


_DOCKERFILE = """FROM alpine:3.20
# a comment
EXPOSE 8080
RUN apk add mysql-client \\
    # a comment inside the continuation
    USER is-read-as-part-of-the-RUN
COPY <<EOF /etc/motd
USER is-text-of-the-heredoc
# so is this line
EOF
USER app
"""


@pytest.mark.parametrize(
    ("line", "context_matters"),
    [
        ("# a comment", False),
        ("EXPOSE 8080", False),
        ("USER app", False),
        ("    # a comment inside the continuation", False),  # dropped by Docker
        ("    USER is-read-as-part-of-the-RUN", True),  # continues the RUN (past a comment line)
        ("USER is-text-of-the-heredoc", True),
        ("# so is this line", True),
    ],
)
def test_dockerfile_lines_are_judged_in_their_context(line: str, context_matters: bool) -> None:
    from autoaudit_secrets.scan.analyzers.docker._dockerfile_checks import DockerfileAnalyzer

    ctx = Scanner(ScanConfig()).context()
    number = _DOCKERFILE.split("\n").index(line) + 1
    assert DockerfileAnalyzer().may_change(line + "\n", ctx, _DOCKERFILE, [number]) is context_matters
    assert not DockerfileAnalyzer().may_change(line + "\n", ctx, line + "\n", [1])


def _literal() -> str:
    """A random literal of letters and digits only (plain words to a look at the line alone), which the
    checks take for a secret."""
    alphabet = string.ascii_letters + string.digits
    return "Qx7" + "".join(secrets.choice(alphabet) for _ in range(17))


def _key_in_env() -> str:
    """A workflow with a random OpenSSH-style key in an env block scalar (base64 lines without padding)."""
    body = base64.b64encode(secrets.token_bytes(48 * 6 + 12)).decode()
    lines = "".join(f"            {body[i : i + 64]}\n" for i in range(0, len(body), 64))
    return (
        _STEP + "      - run: ./deploy.sh\n        env:\n          SSH_PRIVATE_KEY: |\n"
        "            -----BEGIN OPENSSH PRIVATE KEY-----\n"
        + lines
        + "            -----END OPENSSH PRIVATE KEY-----\n"
    )


_STEP = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
_CALL = "on: push\njobs:\n  call:\n    uses: ./.github/workflows/deploy.yml\n    secrets:\n"
_SHARED = "on: push\nx-shared: &shared\n  registry: ${{ secrets.REGISTRY }}\n"
_SHARED_CALL = "jobs:\n  call:\n    uses: ./.github/workflows/deploy.yml\n    secrets: *shared\n"


def _context_cases() -> list[Any]:
    """(path, the file before, the file after, the analyzer's rule the change gives it): each change adds
    only lines that look inert alone."""
    a, b = _literal(), _literal()
    return [
        pytest.param(
            ".github/workflows/ci.yml",
            _key_in_env(),
            _key_in_env(),
            "ci-env-secret",
            id="key-in-a-block-scalar",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            _CALL + "      registry: ${{ secrets.REGISTRY }}\n",
            _CALL + f"      registry: ${{{{ secrets.REGISTRY }}}}\n      deployer: {a}\n",
            "ci-secrets-literal",
            id="literal-under-secrets",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            _SHARED + _SHARED_CALL,
            _SHARED + f"  deployer: {a}\n" + _SHARED_CALL,
            "ci-secrets-literal",
            id="literal-under-an-anchor-passed-as-secrets",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            _STEP + f"      - run: >\n          mysql --user root --password\n          {a}\n",
            _STEP + f"      - run: >\n          mysql --user root --password\n          {b}\n",
            "ci-run-secret",
            id="folded-run-script",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            _STEP + f"      - run: make\n        env:\n          API_KEY:\n            {a}\n",
            _STEP + f"      - run: make\n        env:\n          API_KEY:\n            {b}\n",
            "ci-env-secret",
            id="wrapped-env-value",
        ),
        pytest.param(
            "Dockerfile",
            "FROM alpine:3.20\nRUN mysql -h db \\\n    -u app\n",
            f"FROM alpine:3.20\nRUN mysql -h db \\\n    USER -u root -p{a}\n",
            "docker-run-secret",
            id="continued-run",
        ),
        pytest.param(
            "Dockerfile",
            "FROM alpine:3.20\nENV DB_PASSWORD \\\n    unset\n",
            f"FROM alpine:3.20\nENV DB_PASSWORD \\\n    USER {a}\n",
            "docker-env-secret",
            id="continued-env",
        ),
        pytest.param(
            "Dockerfile",
            "FROM alpine:3.20\nRUN <<EOF\nmysql -h db \\\n  -u app\nEOF\n",
            f"FROM alpine:3.20\nRUN <<EOF\nmysql -h db \\\n  USER -u root -p{a}\nEOF\n",
            "docker-run-secret",
            id="continued-line-of-a-heredoc",
        ),
    ]


@pytest.mark.parametrize(("path", "before", "after", "rule"), _context_cases())
def test_history_finds_what_a_change_means_in_its_context(
    repo: Repo, path: str, before: str, after: str, rule: str
) -> None:
    """A change whose added lines look inert alone but not where they stand: the history reports, at that
    commit, the analyzer's findings a tree scan of the file reports."""
    _reported_at_the_change(repo, path, before, after, rule)


def _reported_at_the_change(repo: Repo, path: str, before: str, after: str, rule: str) -> None:
    """Commit ``path`` as ``before``, then as ``after``: ``git --all`` reports at the second commit every
    ``rule`` finding that a tree scan of ``after`` has (and there is at least one)."""
    repo.write(path, before)
    repo.commit("before")
    repo.write(path, after)
    changed = repo.commit("the change")
    expected = {
        (f.rule_id, f.line) for f in Scanner(ScanConfig()).scan_document(path, after) if f.rule_id == rule
    }
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        findings, _ = history.run(Scanner(ScanConfig()), HistoryOptions())
    at_change = {(f.rule_id, f.line) for f in findings if f.commit is not None and f.commit.sha == changed}
    assert expected
    assert expected <= at_change


def _removal_cases() -> list[Any]:
    """(path, the file before, the file after: the same but for lines removed (and, once, a comment edited
    elsewhere), the analyzer's rule that the removal gives it)."""
    a, pw = _literal(), _password()
    registry = "      registry: ${{ secrets.REGISTRY }}\n"
    return [
        pytest.param(
            ".github/workflows/ci.yml",
            _CALL + f"      registry: ${{{{ secrets.REGISTRY }}}}\n    with:\n      deployer: {a}\n",
            _CALL + f"      registry: ${{{{ secrets.REGISTRY }}}}\n      deployer: {a}\n",
            "ci-secrets-literal",
            id="key-moved-under-secrets",
        ),
        pytest.param(
            ".github/workflows/ci.yml",
            "# deploy\n" + _CALL + registry + f"    with:\n      deployer: {a}\n",
            "# deploy it\n" + _CALL + registry + f"      deployer: {a}\n",
            "ci-secrets-literal",
            id="key-moved-under-secrets-beside-an-inert-edit",
        ),
        pytest.param(
            "Dockerfile",
            f"FROM alpine:3.20\nRUN mysql -h db \\\n    -u app\nUSER -u root -p{a}\n",
            f"FROM alpine:3.20\nRUN mysql -h db \\\nUSER -u root -p{a}\n",
            "docker-run-secret",
            id="line-joined-to-a-continued-run",
        ),
        pytest.param(
            "Dockerfile",
            f"FROM alpine:3.20\nCOPY <<EOF /etc/motd\nENV DB_PASSWORD={pw}\nEOF\n",
            f"FROM alpine:3.20\nENV DB_PASSWORD={pw}\nEOF\n",
            "docker-env-secret",
            id="heredoc-opening-removed",
        ),
        pytest.param(
            "Dockerfile",
            f"FROM alpine:3.20\n# check-secrets: allow\nENV DB_PASSWORD={pw}\n",
            f"FROM alpine:3.20\nENV DB_PASSWORD={pw}\n",
            "docker-env-secret",
            id="allow-comment-removed",
        ),
        pytest.param(
            "Dockerfile",
            f"FROM alpine:3.20\n# check-secrets: allow\n# the test database's\n\nENV DB_PASSWORD={pw}\n",
            f"FROM alpine:3.20\n# the test database's\n\nENV DB_PASSWORD={pw}\n",
            "docker-env-secret",
            id="allow-comment-removed-above-another-comment",
        ),
    ]


@pytest.mark.parametrize(("path", "before", "after", "rule"), _removal_cases())
def test_history_finds_what_a_removal_of_lines_gives(
    repo: Repo, path: str, before: str, after: str, rule: str
) -> None:
    """A commit that only removes lines adds none for the token rules, but what is left may read differently
    to an analyzer (a tree scan's findings for the file as of the commit): the history reports it there. An
    allow comment removed is the same: the instruction it allowed is reported, as a tree scan of that version
    does (a pull request that removes the comment is where the secret becomes a finding again)."""
    assert not [f for f in Scanner(ScanConfig()).scan_document(path, before) if f.rule_id == rule]
    _reported_at_the_change(repo, path, before, after, rule)


def test_a_pull_request_removing_an_allow_comment_is_flagged(repo: Repo) -> None:
    """The policy for an allow comment removed: the finding is about the file as the pull request leaves it
    (what a tree scan of the merged branch reports), so ``--since`` flags it at the commit that removed it,
    though the secret itself was committed before."""
    password = _password()
    repo.write("Dockerfile", f"FROM alpine:3.20\n# check-secrets: allow\nENV DB_PASSWORD={password}\n")
    base = repo.commit("an allowed test password")
    assert not _by_rule(_all(repo), "docker-env-secret")
    git(repo.path, "checkout", "-q", "-b", "cleanup")
    repo.write("Dockerfile", f"FROM alpine:3.20\nENV DB_PASSWORD={password}\n")
    removed = repo.commit("remove the allow comment")
    result = repo.run("--since", base, "--format", "json")
    assert result.returncode == 1, result.stderr
    found = _by_rule(json.loads(result.stdout)["findings"], "docker-env-secret")
    assert [(f["path"], f["line"], f["commit"]["sha"]) for f in found] == [("Dockerfile", 2, removed)]
    assert password not in result.stdout + result.stderr


def test_removals_inert_in_their_context_are_not_analyzed(repo: Repo) -> None:
    """Removing lines runs the analyzers only where the lines around could now mean something else (lines that
    are inert in their context, as for added lines)."""
    text = _WORKFLOW.replace("      - main\n", "      - master\n      - main\n")
    repo.write(".github/workflows/ci.yml", text)
    dockerfile = "FROM alpine:3.20\n# a comment\nEXPOSE 8080\nWORKDIR /app\nUSER app\n"
    repo.write("Dockerfile", dockerfile)
    repo.commit("a workflow and a Dockerfile")
    for old in ("      - master\n", "      # check out first\n"):
        text = text.replace(old, "")
        repo.write(".github/workflows/ci.yml", text)
        repo.commit(f"remove {old.strip()}")
    for old in ("# a comment\n", "EXPOSE 8080\n"):
        dockerfile = dockerfile.replace(old, "")
        repo.write("Dockerfile", dockerfile)
        repo.commit(f"remove {old.strip()}")
    scanner = _CountingScanner(ScanConfig())
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        history.run(scanner, HistoryOptions())
    # when added only (the workflow: by the CI and the Kubernetes analyzers)
    assert scanner.analyzed == Counter({".github/workflows/ci.yml": 2, "Dockerfile": 1})


def test_changes_inert_in_their_context_are_not_analyzed(repo: Repo) -> None:
    """The cheap path stands where the lines around do not change what the added lines mean."""
    text = _WORKFLOW.replace("checkout@v4", "checkout@v3")
    repo.write(".github/workflows/ci.yml", text)
    repo.commit("a workflow")
    for old, new in (
        ("checkout@v3", "checkout@v4"),
        ("      - main\n", "      - main\n      - master\n"),
        ("      # check out first", "      # check out the sources first"),
        ('java-version: "21"', 'java-version: "25"'),
    ):
        text = text.replace(old, new)
        repo.write(".github/workflows/ci.yml", text)
        repo.commit(f"edit {old.strip()}")
    scanner = _CountingScanner(ScanConfig())
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=1) as history:
        history.run(scanner, HistoryOptions())
    # when added only, by the CI and the Kubernetes analyzers
    assert scanner.analyzed == Counter({".github/workflows/ci.yml": 2})


# ----------------------------------------------------------------------------------------------- --jobs


def _history_with_branches(repo: Repo) -> str:
    """About fifty commits with secrets, Dockerfile edits, a branch, a merge that adds a secret of its own,
    a clean merge and a rename; returns the first merge."""
    for n in range(20):
        repo.write(
            f"src/m{n % 5}.py", f"VALUE_{n} = {n}\n" + (f'KEY = "{repo.token()}"\n' if n % 4 == 0 else "")
        )
        if n % 3 == 0:
            repo.write("Dockerfile", f"FROM alpine:3.{n}\nARG GITHUB_TOKEN\nENV APP_PASSWORD={_password()}\n")
        repo.commit(f"c{n}")
    git(repo.path, "checkout", "-q", "-b", "feature")
    for n in range(10):
        repo.write("feature.txt", f"f{n}\nk = {repo.token()}\n")
        repo.commit(f"f{n}")
    git(repo.path, "checkout", "-q", "main")
    for n in range(10):
        repo.write("src/late.py", f"late {n}\n")
        repo.commit(f"late {n}")
    git(repo.path, "merge", "-q", "--no-ff", "--no-commit", "feature")
    dockerfile = (repo.path / "Dockerfile").read_text()
    repo.write("Dockerfile", f"{dockerfile}ENV MERGE_PASSWORD={_password()}\n")  # written in the merge itself
    merge = repo.commit("merge feature")
    git(repo.path, "checkout", "-q", "-b", "other", "HEAD~1")
    repo.write("other.txt", "other\n")
    repo.commit("other")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "other", "-m", "merge other")
    (repo.path / "docs").mkdir()
    git(repo.path, "mv", "feature.txt", "docs/feature.md")
    repo.commit("move")
    token = repo.token()
    for n in range(10):
        repo.write("src/again.py", f"K = '{token}'\n# {n}\n")  # the same secret, re-added: reported once
        repo.commit(f"again {n}")
    return merge


def _report(findings: list[Finding]) -> list[tuple[str, str, int, int, str, str]]:
    return [
        (f.rule_id, f.path, f.line, f.column, f.commit.sha if f.commit else "", f.message) for f in findings
    ]


def test_parts_give_the_same_findings_as_one_process(repo: Repo) -> None:
    merge = _history_with_branches(repo)
    repo.write("dump.sql", "".join(f"insert into t values ({n});\n" for n in range(200)))  # > max_file_size
    repo.commit("dump")
    repo.write("broken.zip", b"PK\x03\x04\x14\x00" + b"\xff" * 300)  # an archive that cannot be read
    repo.commit("broken archive")
    settings = HistoryOptions(max_file_size=2048)
    runs = []
    # 1 job: one git, scanned here; 2 jobs: two gits write parts of the patches, scanned here; 3 and more:
    # worker processes, each with its own git
    for jobs, min_part in ((1, 400), (2, 5), (3, 7), (4, 5)):
        with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=jobs, min_part=min_part) as history:
            assert bool(history.parts) == (jobs > 2)
            findings, stats = history.run(Scanner(ScanConfig()), settings)
            if history.stream is not None:
                assert len(history.stream._pipes) == (2 if jobs == 2 else 1)
        counts = (
            stats.files_scanned,
            stats.files_skipped,
            stats.files_truncated,
            stats.bytes_scanned,
            stats.archives_incomplete,
        )
        runs.append((_report(findings), counts))
    assert runs[0][0], "the history has findings"
    assert runs[0][1][4] == 1, "the damaged archive is said to be read partly"
    assert [(path, line) for _, path, line, _, sha, _ in runs[0][0] if sha == merge] == [("Dockerfile", 4)]
    assert runs[0][1][2] == 1, "the dump's added lines are scanned in part (head and tail)"
    assert all(run == runs[0] for run in runs[1:])


def test_cli_jobs_output_is_identical_to_jobs_1(repo: Repo) -> None:
    """A history long enough for parts (fast-import: 1,000 commits in a second)."""
    tokens = [repo.token() for _ in range(5)]
    fast_import_history(
        repo.path,
        1000,
        lambda n: f"value = {n}\n" + (f"key = {tokens[n // 200]}\n" if n % 200 == 7 else ""),
        lambda n: f"f{n % 37}.txt",
    )
    one = repo.run("--all", "--format", "json", "--jobs", "1")
    two = repo.run("--all", "--format", "json", "--jobs", "2")
    assert one.returncode == two.returncode == 1
    first, second = json.loads(one.stdout), json.loads(two.stdout)
    assert first["findings"] == second["findings"]
    assert len(_by_rule(first["findings"], RULE_ID)) == 5


@pytest.mark.parametrize("jobs", [1, 3])
def test_progress_counts_every_commit_also_those_left_out(repo: Repo, jobs: int) -> None:
    """The last progress figure is the number of commits of the history, whatever git and the plan left out:
    a commit that only deletes a file, an empty one, a merge that changes nothing — in one process or in
    worker processes."""
    repo.write("a.txt", "a\n")
    repo.write("gone.txt", "g\n")
    repo.commit("base")
    (repo.path / "gone.txt").unlink()
    repo.commit("only a deletion")
    git(repo.path, "commit", "-q", "--allow-empty", "-m", "empty")
    git(repo.path, "checkout", "-q", "-b", "topic")
    repo.write("t.txt", "t\n")
    repo.commit("topic")
    git(repo.path, "checkout", "-q", "main")
    repo.write("m.txt", "m\n")
    repo.commit("main")
    git(repo.path, "merge", "-q", "--no-edit", "topic")  # a clean merge: changes nothing of its own
    for n in range(4):
        repo.write(f"more{n}.txt", f"{n}\n")
        repo.commit(f"more {n}")
    total = int(git(repo.path, "rev-list", "--all", "--count"))
    seen: list[int] = []
    with HistoryScan(repo.path, GitSelection(GitMode.ALL), jobs=jobs, min_part=2) as history:
        if jobs > 1:
            assert len(history.parts) > 1  # the worker processes' path
        history.run(
            Scanner(ScanConfig()), HistoryOptions(), progress=lambda commits, _files: seen.append(commits)
        )
    assert seen and seen[-1] == total
