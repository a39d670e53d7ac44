"""The CI integrations of ``check-secrets git``: the pre-commit hook, the composite GitHub Action and the
copy-paste set-ups of docs/ci.md: they parse, use only existing options, and the action's scan step works."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_check_secrets_git import CONFIG, Repo
from tests.conftest import BIN_DIR, REPO_ROOT, assert_no_leak, git, run_cli

HOOKS = REPO_ROOT / ".pre-commit-hooks.yaml"
ACTION = REPO_ROOT / "action.yml"
DOC = REPO_ROOT / "docs" / "ci.md"


def help_flags(*command: str) -> set[str]:
    result = run_cli("check-secrets", *command, "--help")
    assert result.returncode == 0, result.output
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.stdout))


def command_flags(command_line: str) -> tuple[list[str], list[str]]:
    """(subcommand words, --flags) of one ``check-secrets ...`` command line."""
    words = shlex.split(command_line.split("#", 1)[0])
    assert words[0] == "check-secrets"
    sub = [
        w for w in words[1:3] if not w.startswith("-") and w in {"git", "scan", "baseline", "create", "rules"}
    ]
    flags = [w.split("=", 1)[0] for w in words if w.startswith("--")]
    return sub, flags


def check_command(command_line: str) -> None:
    sub, flags = command_flags(command_line)
    known = help_flags(*sub)
    missing = [f for f in flags if f not in known]
    assert not missing, f"{command_line!r} uses options that `check-secrets {' '.join(sub)}` lacks: {missing}"


# ----------------------------------------------------------------------------------------------- pre-commit


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [hook] = [h for h in hooks if h["id"] == "check-secrets"]
    assert hook["entry"] == "check-secrets git --staged"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    check_command(hook["entry"])


def test_pre_commit_hook_entry_blocks_a_staged_secret(git_repo: Path) -> None:
    repo = Repo(git_repo)
    entry = shlex.split(yaml.safe_load(HOOKS.read_text(encoding="utf-8"))[0]["entry"])
    repo.write("ok.txt", "fine\n")
    git(git_repo, "add", "ok.txt")
    assert run_cli(*entry, cwd=git_repo).returncode == 0
    repo.write("app.py", f'key = "{repo.token()}"\n')
    git(git_repo, "add", "app.py")
    blocked = run_cli(*entry, cwd=git_repo)
    assert blocked.returncode == 1
    assert "app.py" in blocked.stdout
    assert_no_leak(blocked.output, repo.tokens)


# ------------------------------------------------------------------------------------------- GitHub Action


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_is_a_composite_with_the_documented_inputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert {"args", "format", "fail-on", "upload-sarif"} <= set(data["inputs"])
    uses = [s.get("uses", "") for s in data["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in data["runs"]["steps"])
    assert "pip install" in runs
    for step in data["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"
            # inputs reach scripts through env, never pasted into the script (no script injection)
            assert "${{" not in step["run"]


def test_action_keeps_the_pattern_database_between_runs(tmp_path: Path) -> None:
    """The step that locates the cache prints the folder the matcher really uses; actions/cache keeps it."""
    steps = action()["runs"]["steps"]
    [locate] = [s for s in steps if s.get("id") == "patterns"]
    [cache] = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    assert cache["with"]["path"] == "${{ steps.patterns.outputs.dir }}"
    assert "runner.arch" in cache["with"]["key"] and cache["with"]["restore-keys"]
    outputs = tmp_path / "github_output"
    outputs.write_text("")
    env = {
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "GITHUB_OUTPUT": str(outputs),
    }
    subprocess.run(["bash", "-c", locate["run"]], env=env, check=True, cwd=tmp_path)
    # (the folder the matcher's own cache_dir() names: the compiled databases and the rule cache go there)
    assert outputs.read_text().strip() == f"dir={tmp_path / 'xdg' / 'autoaudit-secrets'}"


def scan_step() -> str:
    [step] = [s for s in action()["runs"]["steps"] if s.get("id") == "scan"]
    script = step["run"]
    assert isinstance(script, str)
    return script


def test_action_uses_only_existing_options() -> None:
    script = scan_step()
    assert 'ARGS="git --since origin/$BASE_REF"' in script
    check_command("check-secrets git --since origin/main --format sarif --output x.sarif --fail-on error")
    check_command("check-secrets git --all --format sarif --output x.sarif --fail-on error")
    flags = set(
        re.findall(r"(?<![\w-])--[a-z][a-z-]*", script.split("check-secrets $ARGS", 1)[1].split("\n")[0])
    )
    assert flags <= help_flags("git")


def run_scan_step(
    cwd: Path, tmp: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    outputs = tmp / "github_output"
    outputs.write_text("")
    full_env = {
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp)),
        "GITHUB_OUTPUT": str(outputs),
        "FORMAT": "sarif",
        "OUTPUT": str(tmp / "report.sarif"),
        "FAIL_ON": "error",
        "BASE_REF": "",
        "ARGS": "",
        **{k: os.environ[k] for k in ("CHECK_SECRETS_MATCHER",) if k in os.environ},
        **env,
    }
    proc = subprocess.run(
        ["bash", "-c", scan_step()], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return proc, values


def test_action_scan_step_reports_and_annotates(git_repo: Path, tmp_path: Path) -> None:
    repo = Repo(git_repo)
    repo.write("README.md", "hi\n")
    repo.commit("base")
    repo.write("src/app.py", f'key = "{repo.token()}"\n')
    repo.commit("leak")
    proc, outputs = run_scan_step(git_repo, tmp_path, ARGS="git --all")
    assert_no_leak(proc.stdout + proc.stderr, repo.tokens)
    assert proc.returncode == 0, proc.stderr  # the job fails in the last step, after the upload
    assert outputs["exit-code"] == "1"
    assert "::error file=src/app.py,line=1" in proc.stdout
    report = json.loads((tmp_path / "report.sarif").read_text())
    assert len(report["runs"][0]["results"]) == 1


def test_action_scan_step_defaults_to_the_pull_request_range(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    upstream = Repo(origin)
    upstream.commit_config()  # the pull request's scan reads the base's configuration
    upstream.write("README.md", "hi\n")
    upstream.commit("base")
    # an old secret on main, before the pull request: not the pull request's
    upstream.write("old.py", f'k = "{upstream.token()}"\n')
    upstream.commit("old leak")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    work = Repo(clone)
    git(clone, "checkout", "-q", "-b", "feature")
    work.write("feature.py", "x = 1\n")
    work.commit("feature")
    proc, outputs = run_scan_step(clone, tmp_path, BASE_REF="main")
    assert "check-secrets git --since origin/main" in proc.stdout
    assert outputs["exit-code"] == "0", proc.stdout + proc.stderr
    work.write("feature.py", f'x = "{work.token()}"\n')
    work.commit("leak in the pull request")
    proc, outputs = run_scan_step(clone, tmp_path, BASE_REF="main")
    assert_no_leak(proc.stdout + proc.stderr, [*upstream.tokens, *work.tokens])
    assert outputs["exit-code"] == "1"
    assert "file=feature.py" in proc.stdout
    assert "old.py" not in proc.stdout


def test_action_on_a_pull_request_reads_the_base_branch_configuration(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    upstream = Repo(origin)
    upstream.commit_config()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    work = Repo(clone)
    git(clone, "checkout", "-q", "-b", "feature")
    work.write("feature.py", f'x = "{work.token()}"\n')
    # the pull request also allow-lists what it adds, in its own copy of the configuration
    work.write(".check-secrets.toml", 'allow-paths = ["feature.py"]\n' + CONFIG)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "leak, allow-listed")
    for args in ("", "scan ."):
        proc, outputs = run_scan_step(clone, tmp_path, BASE_REF="main", ARGS=args)
        assert_no_leak(proc.stdout + proc.stderr, work.tokens)
        assert outputs["exit-code"] == "1", proc.stdout + proc.stderr
        assert "file=feature.py" in proc.stdout
        assert "allow-paths: 1 glob more" in proc.stderr
    assert "check-secrets scan . --config-ref origin/main" in proc.stdout
    # an explicit choice in args is kept
    proc, outputs = run_scan_step(
        clone, tmp_path, BASE_REF="main", ARGS="git --range origin/main..HEAD --worktree-config"
    )
    assert "--config-ref" not in proc.stdout
    assert outputs["exit-code"] == "0", proc.stdout + proc.stderr


def test_action_scan_step_stops_on_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc, outputs = run_scan_step(plain, tmp_path, ARGS="git --all")
    assert proc.returncode == 2
    assert outputs["exit-code"] == "2"


# ------------------------------------------------------------------------------------------------ docs/ci.md


def doc_blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_doc_yaml_blocks_parse() -> None:
    blocks = doc_blocks("yaml")
    assert len(blocks) >= 5
    for block in blocks:
        assert yaml.safe_load(block) is not None


def test_doc_commands_use_existing_options() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = re.findall(r"check-secrets (?:git|scan|baseline create)[^`\n|]*", text)
    commands = [c.replace("${{ github.base_ref }}", "main").replace('"', "") for c in commands]
    assert len(commands) >= 8
    for command in commands:
        check_command(re.sub(r"\$\S+", "X", command).strip())


@pytest.mark.parametrize("mode", ["--staged", "--since", "--range", "--all"], ids=lambda m: m.strip("-"))
def test_every_mode_is_documented_and_exists(mode: str) -> None:
    assert mode in help_flags("git")
    assert f"check-secrets git {mode}" in DOC.read_text(encoding="utf-8")
