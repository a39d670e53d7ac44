"""The command outputs in README.md and docs/ are what the commands print (tools/doc_samples.py).

Every ``console`` block that shows output (a ``$ command`` line followed by lines that are not commands) must
be a generated sample, and every sample must match a fresh run of its scenario. Regenerate with
``make doc-samples``."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tools" / "doc_samples.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("doc_samples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["doc_samples"] = module
    spec.loader.exec_module(module)
    return module


samples = _module()


def _documents() -> list[Path]:
    return [REPO / d for d in samples.DOCUMENTS]


def test_every_block_showing_output_is_a_generated_sample() -> None:
    unmarked = []
    for path in _documents():
        text = path.read_text()
        for m in re.finditer(
            r"(?:^<!-- sample: [a-z0-9-]+ -->\n)?^```console\n(.*?)^```\n", text, re.M | re.S
        ):
            lines = [line for line in m.group(1).splitlines() if line.strip()]
            shows_output = any(line.startswith("$ ") for line in lines) and any(
                not line.startswith(("$ ", "#")) for line in lines
            )
            if shows_output and not m.group(0).startswith("<!-- sample:"):
                unmarked.append(f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert not unmarked, f"console blocks with output that no script produces: {unmarked}"


def test_the_check_notices_a_sample_that_drifted() -> None:
    readme = (REPO / "README.md").read_text()
    m = next(m for m in samples.samples_in(readme) if m.group(1) == "readme-scan")
    drifted = m.group(2).replace("Stripe live secret key found", "Stripe secret key")
    fresh = samples.produce("readme-scan")
    assert samples.normalise(fresh) == samples.normalise(m.group(2))
    assert samples.normalise(fresh) != samples.normalise(drifted)


def test_masks_only_what_changes_between_runs() -> None:
    line = "check-secrets: 1 finding (1 error, 0 warnings); 14 files scanned in 0.13 s"
    assert samples.normalise(line) == samples.normalise(line.replace("0.13 s", "2.5 s"))
    assert samples.normalise(line) != samples.normalise(line.replace("14 files", "15 files"))


def test_documents_match_what_the_commands_print() -> None:
    reason = samples.can_build_images()
    if reason is not None and not os.environ.get("CI"):
        pytest.skip(f"the image sample builds an image: {reason} (CI installs what it needs)")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, proc.stderr
