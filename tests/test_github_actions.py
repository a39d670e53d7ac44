"""The GitHub Actions files we ship pass zizmor's audits (run offline): the composite action, the example
application's workflow and the complete workflows of the docs, which users copy. What that holds: actions
pinned to a commit, no ``${{ … }}`` expanded inside a script, no job token left in ``.git/config`` by
checkout, no write permission wider than the job that needs it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, REPO_ROOT

_CONFIG = DATA_DIR / "zizmor.yml"
_DOCS = ("README.md", "docs/ci.md", "docs/check-secrets.md", "docs/docker.md", "docs/getting-started.md")


def _zizmor() -> str:
    found = Path(sys.executable).parent / "zizmor"
    path = str(found) if found.exists() else shutil.which("zizmor")
    if path is None:
        pytest.fail("zizmor is not installed: it is a test dependency (pip install -e '.[test]')")
    return path


def _audit(*paths: Path) -> list[str]:
    """zizmor's findings for ``paths``, one line each (audit, file, where), offline with our policy."""
    proc = subprocess.run(
        [
            _zizmor(),
            "--offline",
            "--no-progress",
            "--format",
            "json",
            "--config",
            str(_CONFIG),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode not in (0, 10, 11, 12, 13, 14):  # 1x: findings of that severity; others: it failed
        pytest.fail(f"zizmor failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    out = []
    for finding in json.loads(proc.stdout):
        where = finding["locations"][0]["symbolic"]
        route = ".".join(str(next(iter(step.values()))) for step in where["route"]["route"])
        out.append(
            f"{finding['ident']}: {where['key']['Local']['verbatim_path']} {route} ({where['annotation']})"
        )
    return out


def _doc_workflows() -> list[tuple[str, str]]:
    """The docs' YAML blocks that are whole GitHub workflows (an ``on:`` and a ``jobs:``)."""
    blocks = []
    for name in _DOCS:
        path = REPO_ROOT / name
        if not path.exists():
            continue
        for block in re.findall(r"```ya?ml\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL):
            if re.search(r"^on:", block, re.MULTILINE) and re.search(r"^jobs:", block, re.MULTILINE):
                blocks.append((name, block))
    return blocks


def test_the_action_and_the_example_workflow_pass_zizmor() -> None:
    workflow = REPO_ROOT / "examples/autoaudit-api/.github/workflows/ci.yml"
    assert _audit(REPO_ROOT / "action.yml", workflow) == []


def test_the_workflows_in_the_docs_pass_zizmor(tmp_path: Path) -> None:
    blocks = _doc_workflows()
    assert len(blocks) >= 2  # the action's usage and the plain steps in docs/ci.md
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for index, (name, block) in enumerate(blocks):
        (workflows / f"{Path(name).stem}-{index}.yml").write_text(block, encoding="utf-8")
    assert _audit(workflows) == []


def test_zizmor_sees_what_it_is_asked_to_see(tmp_path: Path) -> None:
    """The audit is not vacuous: a workflow with the faults the others avoid gets a finding for each."""
    workflow = tmp_path / ".github" / "workflows" / "bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: pull_request\n"
        "permissions:\n"
        "  contents: read\n"
        "  security-events: write\n"
        "jobs:\n"
        "  scan:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: check-secrets git --since "origin/${{ github.head_ref }}"\n'
        "  lint:\n"  # a second job: the workflow-wide write permission is wider than it needs
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: make lint\n",
        encoding="utf-8",
    )
    found = {line.split(":", 1)[0] for line in _audit(workflow)}
    assert {"unpinned-uses", "artipacked", "template-injection", "excessive-permissions"} <= found
