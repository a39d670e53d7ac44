"""Dogfooding: this repository passes its own guard.

Secret-shaped test data lives under paths the repository's ``[tool.check-secrets]`` excludes, or carries an
inline ``check-secrets: allow`` marker; anything else that looks like a secret fails the build.
"""

from __future__ import annotations

import json

from tests.conftest import REPO_ROOT, run_cli


def test_the_repository_passes_its_own_scan() -> None:
    result = run_cli("check-secrets", "scan", "--format", "json", str(REPO_ROOT), cwd=REPO_ROOT)
    report = json.loads(result.stdout)
    places = [f"{f['path']}:{f['line']} [{f['rule']}]" for f in report["findings"]]
    assert result.returncode == 0, "findings in the repository: " + ", ".join(places)
    assert report["stats"]["files_scanned"] > 100
