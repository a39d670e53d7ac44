"""Shared fixtures and helpers. Sub-packages add their own conftest.py for area-specific fixtures."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
BIN_DIR = Path(sys.executable).parent


def leak_forms(secret: str) -> list[str]:
    """``secret`` and the escaped spellings it takes when an error or log message quotes it: ``repr``
    (``%r``, ``{v!r}``, also of its UTF-8 bytes), JSON (``ensure_ascii`` on and off), ``ascii()``, a PEM
    with its newlines written as ``\\n``, and every backslash doubled. Computed here independently of the
    library's masker."""
    forms = [
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
        ascii(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        secret.replace("\r\n", "\\r\\n").replace("\n", "\\n"),
        secret.replace("\\", "\\\\"),
    ]
    return list(dict.fromkeys(form for form in forms if form))


# Words that make a value read as made up, to a person and to the scanner's placeholder filter (a random
# token that happens to spell "dUmmY" inside is rightly not reported: a test must not draw one)
# (a value that starts with four x's reads as masked: "XXxxSG0A…" once made a quiet test fail)
_MADE_UP = re.compile(r"^xxxx|dummy|sample|example|placeholder|redacted|fake|test|xxxxx|change|replace", re.I)


def random_chars(alphabet: str, count: int) -> str:
    """``count`` characters drawn at random from ``alphabet`` (with ``secrets``), drawn again while they
    spell a word that makes a value read as made up (rare: a few draws in 100,000 for 36 alphanumerics).

    Drawn again too, from 8 characters, while the draw, alone or with a digit after it (as most tests add
    one), reads as a code identifier (``gv27MkiMGASWeaTidvZjwern7``): the scanner knowingly takes some random
    values for names and leaves them quiet (see ``is_code_identifier``): of 62 alphanumerics, about 1 draw
    in 2,000 at 16 characters, 1 in 100,000 at 24; a stress run of 800,000 draws of 24 met six. After 50
    such draws the last one is returned: a change that takes every random value for an identifier still
    fails the tests instead of hanging them."""
    from autoaudit_secrets.scan.engine._filters import is_code_identifier

    for _ in range(50):
        text = "".join(secrets.choice(alphabet) for _ in range(count))
        if _MADE_UP.search(text) is not None:
            continue
        if count < 8 or not (is_code_identifier(text) or is_code_identifier(text + "7")):
            return text
    return text


def assert_no_leak(
    text: str, secrets: Iterable[str], *, where: str = "output", prefixes: bool = False
) -> None:
    """Fail when any secret, or an escaped form of it (:func:`leak_forms`), occurs in ``text`` — without
    printing the secret (pytest's assertion rewriting would show both operands of a plain
    ``assert secret not in text``).

    ``prefixes=True`` also fails on the first 4 characters of each secret of 5 or more characters (a
    "preview" of a generic password is a leak too). It is opt-in because 4 characters of an ordinary word
    ("pass", "http", "user") occur in innocent text: use it with distinctive test values."""
    for index, secret in enumerate(secrets):
        if not secret:
            continue
        for form in leak_forms(secret):
            if form in text:
                kind = "" if form == secret else " (escaped form)"
                pytest.fail(
                    f"secret #{index} (length {len(secret)}) leaked into {where}{kind}", pytrace=False
                )
        if prefixes and len(secret) > 4:
            for form in {secret[:4], *(f[:4] for f in leak_forms(secret))}:
                if form in text:
                    message = f"the first 4 characters of secret #{index} (length {len(secret)})"
                    pytest.fail(f"{message} leaked into {where}", pytrace=False)


def assert_same_secret(actual: object, expected: object, *, what: str = "the secret value") -> None:
    """Fail when ``actual`` differs from ``expected`` without printing either (pytest's assertion rewriting
    would show both operands of a plain ``assert secret.get_secret_value() == EXPECTED``): the failure names
    only their types and lengths."""
    if actual != expected:

        def shape(value: object) -> str:
            size = f" of length {len(value)}" if isinstance(value, (str, bytes, list, tuple, dict)) else ""
            return f"{type(value).__name__}{size}"

        pytest.fail(
            f"{what} is not the expected one ({shape(actual)}; expected {shape(expected)})", pytrace=False
        )


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def json_report(result: CliResult) -> dict[str, object]:
    """The JSON report a ``check-secrets ... --format json`` run printed (its exit code must be 0 or 1)."""
    assert result.returncode in (0, 1), result.output
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def report_places(report: dict[str, object]) -> list[tuple[str, str, int]]:
    """A JSON report's findings as sorted ``(rule, path, line)``."""
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["path"], f["line"]) for f in findings)


def run_cli(
    program: str,
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> CliResult:
    """Run one of our console scripts (``autoaudit-secrets``, ``check-secrets``) as a real subprocess.

    ``env`` replaces the environment except PATH/HOME/LANG (CI variables are not inherited unless given)."""
    base = {
        k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    }
    base["PATH"] = f"{BIN_DIR}{os.pathsep}{base.get('PATH', '')}"
    if env:
        base.update(env)
    proc = subprocess.run(
        [str(BIN_DIR / program), *args],
        cwd=cwd,
        env=base,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> type[CliRunnerNS]:
    return CliRunnerNS


class CliRunnerNS:
    """Namespace handed out by the ``cli`` fixture: ``cli.run("check-secrets", "scan", ...)``."""

    run = staticmethod(run_cli)
    no_leak = staticmethod(assert_no_leak)


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``cwd`` with a fixed identity and no user/system config."""
    full_env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.test",
        "GIT_COMMITTER_NAME": "Test Author",
        "GIT_COMMITTER_EMAIL": "author@example.test",
        **(env or {}),
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=True
    ).stdout


def fast_import_history(
    root: Path, commits: int, body: Callable[[int], str], file_of: Callable[[int], str]
) -> None:
    """Write ``commits`` commits on ``main`` in ``root`` with ``git fast-import`` (a thousand in a second):
    commit ``n`` sets file ``file_of(n)`` to ``body(n)``, one second after the commit before; then check
    ``main`` out."""
    stream = []
    for n in range(commits):
        data = body(n).encode()
        parent = "" if n == 0 else f"from :{n}\n"
        stream.append(
            f"commit refs/heads/main\nmark :{n + 1}\ncommitter T <t@example.test> {1700000000 + n} +0000\n"
            f"data 2\nc\n{parent}M 100644 inline {file_of(n)}\ndata {len(data)}\n".encode()
            + data
            + b"\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    git(root, "checkout", "-q", "-f", "main")


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository on branch main in a temp folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def corpus_report_module() -> ModuleType:
    """``benchmarks/corpus_report.py`` as a module: the corpus tests share its loaders and scoring."""
    import importlib.util
    import sys

    path = REPO_ROOT / "benchmarks" / "corpus_report.py"
    spec = importlib.util.spec_from_file_location("corpus_report", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus_report", module)
    spec.loader.exec_module(module)
    return module


def make_zip(members: Mapping[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive holding ``members`` (name -> bytes), made in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def make_tar(members: Mapping[str, bytes], mode: str = "w") -> bytes:
    """A tar archive holding ``members`` (name -> bytes), made in memory (``mode`` ``"w:gz"``: compressed)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()
