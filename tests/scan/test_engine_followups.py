"""Engine follow-ups: tree-analyzer findings filtered like file findings, one finding per place, force-tracked
files, base64 values after ``=``, FIFOs and undecodable file names. Real temp trees and real subprocesses; the
made-up secrets are built at run time and never printed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, git, run_cli

GH = "ghp_" + "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2U"


def _docker_tree(root: Path) -> None:
    (root / "app").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM python:3.11\nCOPY . /app\n")
    (root / "app" / "config.py").write_text(f"TOKEN = '{GH}'\n")
    (root / "other" / "x.py").write_text("print(1)\n")


def _scan(root: Path, *, exclude: tuple[str, ...] = (), paths: tuple[str, ...] = (), **cfg: object) -> list:  # type: ignore[type-arg]
    config = ScanConfig(exclude=exclude, **cfg)  # type: ignore[arg-type]
    result = Scanner(config).scan(ScanOptions(root=root, paths=tuple(Path(p) for p in paths), config=config))
    return result.findings


def _context(findings: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f.rule_id, f.path) for f in findings if f.rule_id.startswith("docker-context")]


# -- 1. tree-analyzer findings ------------------------------------------------------------------------------


def test_tree_findings_honour_exclude_of_the_file_and_of_its_dockerfile(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path)) == [("docker-context-file-with-secret", "app/config.py")]
    assert _context(_scan(tmp_path, exclude=("app/config.py",))) == []
    assert _context(_scan(tmp_path, exclude=("app/**",))) == []
    assert _context(_scan(tmp_path, exclude=("app/Dockerfile",))) == []


def test_tree_findings_honour_allow_paths_disabled_rules_and_inline_allow(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path, allow_paths=("app/config.py",))) == []
    assert _context(_scan(tmp_path, disabled_rules=frozenset({"docker-context-file-with-secret"}))) == []
    (tmp_path / "app" / "config.py").write_text(f"TOKEN = '{GH}'  # check-secrets: allow\n")
    assert _scan(tmp_path) == []


def test_explicit_paths_keep_tree_findings_within_them_or_their_dockerfile(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    assert _context(_scan(tmp_path, paths=("other/x.py",))) == []
    assert _context(_scan(tmp_path, paths=("other",))) == []
    leaking = [("docker-context-file-with-secret", "app/config.py")]
    assert _context(_scan(tmp_path, paths=("app/Dockerfile",))) == leaking
    assert _context(_scan(tmp_path, paths=("app/config.py",))) == leaking
    assert _context(_scan(tmp_path, paths=("app",))) == leaking


def test_cli_scan_of_one_unrelated_file_reports_no_build_context_finding(tmp_path: Path) -> None:
    _docker_tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.check-secrets]\nexclude = ["app/config.py"]\n')
    whole = run_cli("check-secrets", "scan", "--format", "json", cwd=tmp_path)
    assert "docker-context" not in whole.output and whole.returncode == 0, whole.output
    (tmp_path / "pyproject.toml").write_text("[tool.check-secrets]\n")
    one = run_cli("check-secrets", "scan", "--format", "json", "other/x.py", cwd=tmp_path)
    assert "docker-context" not in one.output and one.returncode == 0, one.output
    assert_no_leak(whole.output + one.output, [GH])


# -- 2. one finding per place -----------------------------------------------------------------------------

URI_PASSWORD = "-".join(["Wint3r", "Kettle", "99"])
URI = f"postgres://app:{URI_PASSWORD}@db:5432/app"


def _compose_tree(root: Path) -> None:
    (root / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: x\n    environment:\n"
        f"      DATABASE_URL: {URI}\n      API_TOKEN: {GH}\n"
    )
    (root / "Dockerfile").write_text(f"FROM x\nENV DATABASE_URL={URI}\n")


def _places(findings: list) -> dict[tuple[str, int, int], list[str]]:  # type: ignore[type-arg]
    out: dict[tuple[str, int, int], list[str]] = {}
    for f in findings:
        out.setdefault((f.path, f.line, f.column), []).append(f.rule_id)
    return out


def test_analyzer_and_token_rule_on_the_same_value_give_one_finding(tmp_path: Path) -> None:
    _compose_tree(tmp_path)
    findings = _scan(tmp_path)
    places = _places(findings)
    assert sorted(places.values()) == [["compose-environment-secret"]] * 2 + [["docker-env-secret"]]
    by_rule = {(f.path, f.line): f for f in findings}
    assert "github-pat-classic" in by_rule[("docker-compose.yml", 6)].message
    assert "connection-uri-password" in by_rule[("docker-compose.yml", 5)].message
    assert "connection-uri-password" in by_rule[("Dockerfile", 2)].message
    assert_no_leak(" ".join(f.message + f.preview for f in findings), [GH, URI_PASSWORD])


def test_token_finding_stays_when_the_analyzer_rule_is_disabled(tmp_path: Path) -> None:
    _compose_tree(tmp_path)
    findings = _scan(tmp_path, disabled_rules=frozenset({"compose-environment-secret"}))
    ids = sorted(f.rule_id for f in findings if f.path == "docker-compose.yml")
    assert ids == ["connection-uri-password", "github-pat-classic"]


def test_git_staged_reports_one_finding_per_place(git_repo: Path) -> None:
    _compose_tree(git_repo)
    git(git_repo, "add", "docker-compose.yml", "Dockerfile")
    result = run_cli("check-secrets", "git", "--staged", "--format", "json", cwd=git_repo)
    rules = sorted(f["rule"] for f in json.loads(result.stdout)["findings"])
    assert rules == ["compose-environment-secret", "compose-environment-secret", "docker-env-secret"], rules
    assert_no_leak(result.output, [GH, URI_PASSWORD])


# -- 3. force-tracked files ----------------------------------------------------------------------------------


def _ignored_tree(root: Path) -> None:
    (root / ".gitignore").write_text("*.cfg\nbuild/\n")
    (root / "build").mkdir()
    (root / "tracked.cfg").write_text(f"token = {GH}\n")
    (root / "build" / "tracked.py").write_text(f"TOKEN = '{GH}'\n")
    (root / "untracked.cfg").write_text(f"token = {GH}\n")
    (root / "build" / "untracked.py").write_text(f"TOKEN = '{GH}'\n")


def _paths(findings: list) -> list[str]:  # type: ignore[type-arg]
    return sorted({f.path for f in findings})


def test_force_tracked_files_are_scanned_untracked_ignored_ones_are_not(git_repo: Path) -> None:
    _ignored_tree(git_repo)
    git(git_repo, "add", ".gitignore")
    git(git_repo, "add", "-f", "tracked.cfg", "build/tracked.py")
    assert _paths(_scan(git_repo)) == ["build/tracked.py", "tracked.cfg"]
    assert _paths(_scan(git_repo, paths=("build",))) == ["build/tracked.py"]
    every = ["build/tracked.py", "build/untracked.py", "tracked.cfg", "untracked.cfg"]
    config = ScanConfig()
    no_ignore = Scanner(config).scan(ScanOptions(root=git_repo, config=config, no_ignore=True))
    assert _paths(no_ignore.findings) == every
    result = run_cli("check-secrets", "scan", "--format", "json", cwd=git_repo)
    assert sorted({f["path"] for f in json.loads(result.stdout)["findings"]}) == [
        "build/tracked.py",
        "tracked.cfg",
    ]
    assert_no_leak(result.output, [GH])


def test_outside_a_work_tree_gitignore_alone_decides(tmp_path: Path) -> None:
    _ignored_tree(tmp_path)
    assert _paths(_scan(tmp_path)) == []


def test_a_hooks_git_dir_variable_does_not_redirect_the_tracked_list(git_repo: Path) -> None:
    _ignored_tree(git_repo)
    (git_repo / "build" / ".gitignore").write_text("*.py\n")  # (the scan root's own ignore file)
    git(git_repo, "add", "-f", "build/tracked.py")
    # As a hook sees it: GIT_DIR relative to the work tree's top, while the scan root is a subdirectory.
    env = {"GIT_DIR": ".git"}
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=git_repo / "build", env=env)
    assert sorted({f["path"] for f in json.loads(result.stdout)["findings"]}) == ["tracked.py"], result.stderr
    assert_no_leak(result.output, [GH])


# -- 4. base64 after "=" or as the whole text ----------------------------------------------------------------

_DOTENV_LINE = "DB_PASSWORD=" + "-".join(["Wint3r", "Kettle", "99"])
_B64_SECRETS = {"github": GH + "\n", "uri": URI, "dotenv-line": _DOTENV_LINE, "padded-twice": GH}
_B64_LAYOUTS = {
    "key-eq": "KEY={}",
    "key-eq-newline": "KEY={}\n",
    "bare": "{}",
    "bare-newline": "{}\n",
    "export": "export KEY={}\n",
}


@pytest.mark.parametrize("backend", ["hyperscan", "re2", "re"])
@pytest.mark.parametrize("name", ["app.py", "data.txt", "settings.env"])
def test_base64_of_a_secret_after_equals_or_bare_is_decoded(tmp_path: Path, backend: str, name: str) -> None:
    scanner = Scanner(ScanConfig(), matcher=backend)
    missed = []
    for secret_id, secret in _B64_SECRETS.items():
        encoded = base64.b64encode(secret.encode()).decode()
        for layout_id, layout in _B64_LAYOUTS.items():
            root = tmp_path / f"{secret_id}-{layout_id}"
            root.mkdir()
            (root / name).write_text(layout.format(encoded))
            findings = scanner.scan(ScanOptions(root=root, jobs=1)).findings
            if not findings:
                missed.append(f"{secret_id}/{layout_id}")
            assert_no_leak(" ".join(f.message + f.preview for f in findings), [GH, URI_PASSWORD, encoded])
    assert missed == []


# -- 5. FIFOs and file names that are not valid UTF-8 -----------------------------------------------------


def test_an_explicitly_named_fifo_is_skipped_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.fifo")
    (tmp_path / "app.py").write_text(f"TOKEN = '{GH}'\n")
    code = (
        "import sys; from pathlib import Path;"
        "from autoaudit_secrets.scan import Scanner, ScanConfig, ScanOptions;"
        "r = Scanner(ScanConfig()).scan(ScanOptions(root=Path(sys.argv[1]),"
        " paths=(Path('pipe.fifo'), Path('app.py')), jobs=1));"
        "print(r.stats.files_skipped, r.stats.files_scanned, sorted({f.path for f in r.findings}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-400:]
    assert proc.stdout.split(None, 2) == ["1", "1", "['app.py']\n"]


def _bad_name_tree(root: Path) -> bytes:
    name = b"bad\xffname.py"
    with open(os.path.join(os.fsencode(root), name), "w") as handle:
        handle.write(f"TOKEN = '{GH}'\n")
    (root / "ok.py").write_text(f"TOKEN = '{GH}'\n")
    return name


def test_names_that_are_not_utf8_match_globs_and_are_reported(tmp_path: Path) -> None:
    name = _bad_name_tree(tmp_path)
    decoded = os.fsdecode(name)
    assert _paths(_scan(tmp_path)) == sorted([decoded, "ok.py"])
    assert _paths(_scan(tmp_path, exclude=("bad*",))) == ["ok.py"]
    assert _paths(_scan(tmp_path, exclude=("*.py",))) == []
    assert _paths(_scan(tmp_path, allow_paths=("bad?name.py",))) == ["ok.py"]
    (tmp_path / ".gitignore").write_text("bad*\n")
    assert _paths(_scan(tmp_path)) == ["ok.py"]
    assert _paths(_scan(tmp_path, paths=(decoded,))) == [decoded]  # named explicitly: scanned


def test_cli_reports_a_non_utf8_name_with_escapes_and_no_internal_error(tmp_path: Path) -> None:
    name = _bad_name_tree(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.check-secrets]\nexclude = ["*.log"]\n')
    as_json = run_cli("check-secrets", "scan", "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 1, as_json.stderr
    paths = sorted(f["path"] for f in json.loads(as_json.stdout)["findings"])
    assert [os.fsencode(p) for p in paths] == sorted([name, b"ok.py"])
    as_text = run_cli("check-secrets", "scan", cwd=tmp_path)
    assert as_text.returncode == 1 and "internal error" not in as_text.output, as_text.stderr
    assert "bad\\udcffname.py" in as_text.stdout or "bad\\xffname.py" in as_text.stdout
    assert_no_leak(as_json.output + as_text.output, [GH])


# -- 6. start-up: analyzer modules are imported only when a file name could concern them --------------------

_HINT_NAMES = [
    "Dockerfile",
    "dockerfile",
    "DOCKERFILE",
    "Dockerfile.prod",
    "prod.Dockerfile",
    "api.dockerfile",
    "Containerfile",
    "Containerfile.dev",
    "Dockerfile.dockerignore",
    "docker-compose.yml",
    "docker-compose.override.YAML",
    "compose.yaml",
    "Compose.yml",
    "compose.prod.yml",
    "docker-compose-dev.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/Release.YAML",
    "action.yml",
    ".github/actions/x/action.yaml",
    ".gitlab-ci.yml",
    "x.gitlab-ci.yml",
    ".gitlab/ci/build.yml",
    ".env",
    ".envrc",
    ".env.local",
    ".env.example",
    "prod.env",
    "deploy/.env.production",
    "a/b/Dockerfile",
    "a\\b\\Dockerfile",
    "m0.py",
    "README.md",
    "values.yaml",
    "id_rsa",
    "credentials.json",
    "x.pem",
    "settings.ini",
    ".npmrc",
    "env",
    "environment.ts",
    ".env.py",
    ".msmtprc",
    "config/database.yml",
    "db/seed.sql",
    "etc/ppp/chap-secrets",
    "openvpn/auth.txt",
]


# Sensitive files in every folder-dependent variant (besides the classifier's own cases).
_SENSITIVE_NAMES = [
    ".bash_history",
    "home/.zsh_history",
    "gcloud/legacy_credentials/me@example.org/adc.json",
    "x/gcloud/Legacy_Credentials/me/.boto",
    ".azure/accessTokens.json",
    ".azure/msal_token_cache.bin",
    ".idea/dataSources.local.xml",
    ".idea/dataSources.xml",
    "infra/prod.tfstate",
    "infra/prod.tfstate.backup",
    "vpn/client.ovpn",
    "my-project-0123456789ab.json",
    "firebase-adminsdk.json",
    "sftp-config.json",
    ".vscode/sftp.json",
    "deployment.json",
    ".aws/credentials",
    ".aws/config",
    "home/.config/gcloud/credentials.db",
    "home/.config/gcloud/access_tokens.db",
    "gcloud/legacy_credentials",
    "home/.ssh/id_custom",
    "config/credentials/staging.key",
    "FileZilla/sitemanager.xml",
    ".docker/config.json",
    ".dockercfg",
    "a\\b\\.netrc",
    "identity",
    "etc/gshadow",
    "db.kdb",
    "trust.bks",
]


def _hint_cases() -> list[str]:
    from tests.scan.test_sensitive_files import CASES

    return [*_HINT_NAMES, *_SENSITIVE_NAMES, *(c[1] for c in CASES)]


def test_name_hints_are_supersets_of_applies_to() -> None:
    from autoaudit_secrets.scan.analyzers._registry import NAME_HINTS, PATH_HINTS, FileAnalyzerSet

    loaded = FileAnalyzerSet()
    cases = _hint_cases()
    for spec, hint in NAME_HINTS.items():
        analyzer = loaded._get(spec)
        assert analyzer is not None, spec
        path_hint = PATH_HINTS.get(spec, lambda rel: False)
        wrong = [
            rel
            for rel in cases
            if analyzer.applies_to(rel)
            and not hint(rel.replace("\\", "/").rsplit("/", 1)[-1].lower())
            and not path_hint(rel)
        ]
        assert wrong == [], (spec, wrong)
        assert any(analyzer.applies_to(rel) for rel in cases), spec  # the names do exercise it
    scanner = Scanner(ScanConfig())
    for rel in cases:
        every = [a.id for a in scanner.file_analyzers() if a.applies_to(rel)]
        assert [a.id for a in scanner.analyzers_for(rel)] == every, rel
        assert [a.id for a in scanner.analyzers_for(rel)] == every, rel  # (again: from the per-name memo)


def test_the_sensitive_file_hint_skips_ordinary_names() -> None:
    from autoaudit_secrets.scan.analyzers._registry import NAME_HINTS

    hint = NAME_HINTS["._sensitive_files:SensitiveFileAnalyzer"]
    assert not any(hint(n) for n in ("__init__.py", "readme.md", "app.js", "makefile", "setup.cfg", "x.pyc"))


def _modules_after_scan(root: Path, names: list[str]) -> tuple[int, str]:
    code = (
        "import sys; from pathlib import Path;"
        "from autoaudit_secrets.scan import Scanner, ScanConfig, ScanOptions;"
        "r = Scanner(ScanConfig()).scan(ScanOptions(root=Path(sys.argv[1]),"
        " paths=tuple(Path(n) for n in sys.argv[2:]), jobs=1));"
        "print(r.stats.files_scanned, len(r.findings),"
        " sorted(m for m in sys.modules if m.startswith('autoaudit_secrets.scan')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root), *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-400:]
    scanned, _, modules = proc.stdout.partition(" ")
    return int(scanned), modules


_DOCKER_AND_FORMAT_MODULES = (
    "docker._compose",
    "docker._context",
    "docker._dockerfile_checks",
    "docker._dockerignore",
    "_ci_workflows",
    "_dotenv_files",
    "_sensitive_files",
)


def test_a_scan_of_python_files_imports_no_analyzer_it_cannot_need(tmp_path: Path) -> None:
    """The pre-commit case: three source files need no Docker, compose, CI, .env or sensitive-file code —
    and no walk of the tree for Dockerfiles (the build-context check runs only when one is in scope)."""
    (tmp_path / "src").mkdir()
    for i in range(3):
        (tmp_path / "src" / f"m{i}.py").write_text(f"import os\npassword = os.environ['P{i}']\n")
    (tmp_path / "image").mkdir()  # a build context elsewhere: not the named files' folder nor one above it
    (tmp_path / "image" / "Dockerfile").write_text("FROM python:3.12\nCOPY . /app\n")
    (tmp_path / "image" / ".env").write_text("API_TOKEN=" + "Zq8Vw2Lm5Rt9Xc3B" + "\n")
    scanned, modules = _modules_after_scan(tmp_path, [f"src/m{i}.py" for i in range(3)])
    assert scanned == 3
    for module in _DOCKER_AND_FORMAT_MODULES:
        assert f"'autoaudit_secrets.scan.analyzers.{module}'" not in modules, module
    # naming the Dockerfile brings the build-context check (and so its finding about the .env it copies)
    _, with_dockerfile = _modules_after_scan(tmp_path, ["image/Dockerfile"])
    assert "'autoaudit_secrets.scan.analyzers.docker._context'" in with_dockerfile
    assert with_dockerfile.split()[0] != "0"  # a finding: the .env goes into the image


def test_a_scan_of_a_web_projects_files_does_not_load_the_credential_files(tmp_path: Path) -> None:
    """package.json, a .txt and a .xml: no credential-file kind names them, so that analyzer (its data file,
    parsed with tomllib, and the assignment checks it shares) is not loaded."""
    names = ["package.json", "notes.txt", "pom.xml"]
    for name in names:
        (tmp_path / name).write_text("{}\n" if name.endswith("json") else "hello\n", encoding="utf-8")
    (tmp_path / ".my.cnf").write_text("[client]\npassword=" + "Zq8Vw2Lm5Rt9" + "\n", encoding="utf-8")
    scanned, modules = _modules_after_scan(tmp_path, names)
    assert scanned == 3
    assert "'autoaudit_secrets.scan.analyzers._credential_files'" not in modules
    assert "'autoaudit_secrets.scan.analyzers._config_values'" not in modules
    # a credential file's name brings it, and its finding
    _, with_cnf = _modules_after_scan(tmp_path, [".my.cnf"])
    assert "'autoaudit_secrets.scan.analyzers._credential_files'" in with_cnf
    assert with_cnf.split()[0] != "0"


def test_a_text_report_of_a_few_files_does_not_import_the_git_history_reader(tmp_path: Path) -> None:
    # The text reporter names truncated git messages by the history reader's size limit: that import (with
    # subprocess, threading and datetime, ~6 ms) waited for it on every pre-commit run.
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(f"x{i} = {i}\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from autoaudit_secrets._cli.scan_main import main\n"
        "try:\n"
        "    main(['scan', 'm0.py', 'm1.py', 'm2.py'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('autoaudit_secrets.scan.sources')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-400:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("0 ") and "sources._tree" in last, last
    assert "sources._messages" not in last and "sources._git" not in last, last
