"""Fixtures for the hardening tests: a project folder with a key pair, and CLI runners that accept bytes."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIN_DIR, CliResult, run_cli

PROG = "autoaudit-secrets"


@dataclass
class Project:
    """A temp folder whose ``.env`` has a public key; ``key`` is the private key text (given via env)."""

    path: Path
    key: str

    @property
    def env_file(self) -> Path:
        return self.path / ".env"

    def env(self, **extra: str) -> dict[str, str]:
        # HOME in the temp dir and no D-Bus: the keyring is never a key source here.
        return {"HOME": str(self.path), "AUTOAUDIT_PRIVATE_KEY": self.key, **extra}

    def cli(self, *args: str, input: str | None = None, timeout: float = 60, **extra: str) -> CliResult:
        return run_cli(PROG, *args, cwd=self.path, env=self.env(**extra), input=input, timeout=timeout)

    def cli_bytes(
        self, args: Sequence[str | bytes], *, stdin: bytes | None = None, timeout: float = 60
    ) -> CliResult:
        """Like :meth:`cli`, but arguments and stdin may be raw bytes (not valid UTF-8)."""
        return run_bytes(args, cwd=self.path, env=self.env(), stdin=stdin, timeout=timeout)


def run_bytes(
    args: Sequence[str | bytes],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    timeout: float = 60,
) -> CliResult:
    """Run ``autoaudit-secrets`` with raw-byte arguments/stdin; output decoded leniently for assertions."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH"}}
    base["PATH"] = f"{BIN_DIR}{os.pathsep}{base.get('PATH', '')}"
    base.update(env)
    proc = subprocess.run(
        [os.fsencode(BIN_DIR / PROG), *[a if isinstance(a, bytes) else a.encode() for a in args]],
        cwd=cwd,
        env=base,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(
        proc.returncode,
        proc.stdout.decode("utf-8", "backslashreplace"),
        proc.stderr.decode("utf-8", "backslashreplace"),
    )


def assert_one_line_error(result: CliResult, *, code: int = 2) -> None:
    """Exit ``code``, one ``autoaudit-secrets: error:`` line on stderr, no traceback."""
    assert "Traceback" not in result.output
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autoaudit-secrets: error: "), result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Project:
    keygen = run_cli(PROG, "keygen", "--store", "stdout", cwd=tmp_path, env={"HOME": str(tmp_path)})
    assert keygen.returncode == 0, keygen.stderr
    return Project(tmp_path, keygen.stdout.strip())
