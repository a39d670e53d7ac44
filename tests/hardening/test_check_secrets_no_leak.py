"""No secret value -- nor its tail -- in any output of check-secrets, in every mode and format.

One tree puts freshly made secrets in every place an analyzer looks (source code, .env, Dockerfile,
compose file, GitHub workflow, YAML and JSON configuration, a URL with a password, a private key), commits
them and stages more. Then every command runs: ``scan`` and ``git --all/--since/--range/--staged`` in
text/json/sarif (stdout and ``--output``), ``baseline create`` and a re-scan with the baseline, progress
output, ``rules``, and failure paths. Every byte of stdout, stderr and written file is checked for each
secret and for the last 12 characters of each (a preview must never show the random part).
"""

from __future__ import annotations

import base64
import os
import secrets
import string
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_no_leak, git, run_cli

_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _make_secrets() -> dict[str, str]:
    return {
        "gh": "ghp_" + _rand(36),
        "gh2": "ghp_" + _rand(36),
        "aws_id": "AKIA" + _rand(16, string.ascii_uppercase + "234567"),
        "aws_secret": _rand(40, _ALNUM + "/+"),
        "stripe": "sk_live_" + _rand(32),
        "slack": "xoxb-" + _rand(11, string.digits) + "-" + _rand(12, string.digits) + "-" + _rand(24),
        "db_password": _rand(20),
        "env_password": _rand(22),
        "compose_password": _rand(24),
        "workflow_token": "ghp_" + _rand(36),
        "yaml_secret": _rand(28),
        "json_secret": "sk_live_" + _rand(32),
        "docker_env": "ghp_" + _rand(36),
        "staged": "ghp_" + _rand(36),
        "pem_body": base64.b64encode(os.urandom(96)).decode(),
    }


def _tree(root: Path, s: dict[str, str]) -> None:
    files = {
        "app/settings.py": (
            f'GITHUB_TOKEN = "{s["gh"]}"\n'
            f'AWS_ACCESS_KEY_ID = "{s["aws_id"]}"\n'
            f'AWS_SECRET_ACCESS_KEY = "{s["aws_secret"]}"\n'
            f'STRIPE_KEY = "{s["stripe"]}"\n'
            f'SLACK = "{s["slack"]}"\n'
            f'DATABASE_URL = "postgres://app:{s["db_password"]}@db.internal:5432/app"\n'
        ),
        ".env": f"DB_PASSWORD={s['env_password']}\nAPI_TOKEN={s['gh2']}\n",
        "Dockerfile": f"FROM python:3.12\nENV GITHUB_TOKEN={s['docker_env']}\nCOPY . /app\n",
        "docker-compose.yml": (
            "services:\n  db:\n    image: postgres\n    environment:\n"
            f"      POSTGRES_PASSWORD: {s['compose_password']}\n"
        ),
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n"
            f"      GH_TOKEN: {s['workflow_token']}\n    steps:\n      - run: echo hi\n"
        ),
        "config/app.yaml": f"database:\n  password: {s['yaml_secret']}\n",
        "config/app.json": f'{{"stripe": {{"secret_key": "{s["json_secret"]}"}}}}\n',
        "deploy/key.pem": (
            "-----BEGIN RSA PRIVATE KEY-----\n" + s["pem_body"] + "\n-----END RSA PRIVATE KEY-----\n"
        ),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _leak_check(text: str, values: dict[str, str], where: str) -> None:
    tails = [v[-12:] for v in values.values()]
    assert_no_leak(text, list(values.values()), where=where)
    assert_no_leak(text, tails, where=f"{where} (a secret's last 12 characters)")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("leaky") / "repo"
    root.mkdir()
    values = _make_secrets()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("demo\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    _tree(root, values)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "add configuration")
    (root / "staged.py").write_text(f'TOKEN = "{values["staged"]}"\n')  # check-secrets: allow
    git(root, "add", "staged.py")
    return root, values


def _run(root: Path, *args: str) -> CliResult:
    return run_cli("check-secrets", *args, cwd=root, timeout=180)


_MODES = [
    ["scan", "."],
    ["git", "--all", "--progress"],
    ["git", "--since", "HEAD~1", "--progress"],
    ["git", "--range", "HEAD~1..HEAD"],
    ["git", "--staged"],
]


@pytest.mark.parametrize("mode", _MODES, ids=["scan", "git-all", "git-since", "git-range", "git-staged"])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "csv", "junit"])
def test_no_value_in_any_report(repo: tuple[Path, str], mode: list[str], fmt: str) -> None:
    root, values = repo
    result = _run(root, *mode, "--format", fmt, "--color")
    assert result.returncode == 1, result.stderr
    _leak_check(result.stdout + result.stderr, values, f"{mode[0]} {fmt} output")
    out = root.parent / f"out-{mode[0]}-{len(mode)}.{fmt}"
    written = _run(root, *mode, "--format", fmt, "--output", str(out))
    assert written.returncode == 1, written.stderr
    _leak_check(out.read_text() + written.stderr, values, f"{mode[0]} {fmt} --output file")


def test_the_tree_is_really_found(repo: tuple[Path, str]) -> None:
    # Guards the leak checks against a tree in which nothing is detected (then nothing could leak).
    import json

    root, _ = repo
    result = _run(root, "scan", ".", "--format", "json")
    paths = {f["path"] for f in json.loads(result.stdout)["findings"]}
    assert {"app/settings.py", ".env", "Dockerfile", "deploy/key.pem", "staged.py"} <= paths, paths


def test_no_value_in_baselines_rules_and_failure_paths(repo: tuple[Path, str]) -> None:
    root, values = repo
    base = root.parent / "base.json"
    outputs = []
    created = _run(root, "baseline", "create", ".", "-o", str(base))
    assert created.returncode == 0, created.stderr
    outputs += [created.stdout, created.stderr, base.read_text()]
    rescan = _run(root, "scan", ".", "--baseline", str(base))
    assert rescan.returncode == 0, rescan.stdout + rescan.stderr
    git_rescan = _run(root, "git", "--all", "--baseline", str(base), "--format", "json")
    outputs += [rescan.stdout, rescan.stderr, git_rescan.stdout, git_rescan.stderr]
    for args in (
        ["rules"],
        ["rules", "--format", "json"],
        ["scan", ".", "--baseline", "app/settings.py"],  # not a baseline: a file full of secrets
        ["scan", ".", "--config", ".env"],  # not TOML
        ["scan", ".", "--config", "app/settings.py"],
        ["scan", ".", "--exclude", values["gh"]],
        ["git", "--since", values["gh"]],
        ["scan", ".", "--output", str(root / "missing-dir" / "r.txt")],
    ):
        result = _run(root, *args)
        assert "Traceback" not in result.stderr
        outputs += [result.stdout, result.stderr]
    # The --exclude/--since values above are arguments the user typed; echoing an unknown revision is
    # expected, so those two tokens are only checked in the outputs of the other commands.
    typed = {k: v for k, v in values.items() if k != "gh"}
    _leak_check("\n".join(outputs), typed, "baseline, rules and failure outputs")
