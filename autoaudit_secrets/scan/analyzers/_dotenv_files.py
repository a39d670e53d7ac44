"""``.env`` files that hold plaintext secrets.

A ``.env``, ``.env.local``, ``.env.production``, ``*.env`` or ``.envrc`` file found by the scan (committed, or
walked with ``--no-ignore``) must not hold a plaintext value under a secret-ish name — or a name the
``--schema`` settings class marks as a ``SecretStr`` — unless it is an ``enc:`` envelope or a placeholder
(``dotenv-plaintext-secret``). Example files (``.env.example``, ``.env.sample``, ``.env.template``,
``.env.dist``) are meant to hold fake values, so only real-looking secrets count there: a token-rule
match, or a high-entropy value under a secret name (``dotenv-example-real-secret``).

The parser here is line-aware (it reports the physical line and column of each value) and follows
python-dotenv's syntax: ``export`` prefixes, single/double quotes (double-quoted values may span lines),
``#`` comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from .._model import AnalysisContext, Finding, Severity
from ._config_values import AnalyzerCheck, judge_assignment, looks_random, make_finding

__all__ = [
    "DOTENV_CHECKS",
    "DOTENV_EXAMPLE_REAL_SECRET",
    "DOTENV_PLAINTEXT_SECRET",
    "DotenvAssignment",
    "DotenvFileAnalyzer",
    "is_dotenv_name",
    "is_example_dotenv_name",
    "iter_assignments",
]

DOTENV_PLAINTEXT_SECRET = "dotenv-plaintext-secret"
DOTENV_EXAMPLE_REAL_SECRET = "dotenv-example-real-secret"

DOTENV_CHECKS: tuple[AnalyzerCheck, ...] = (
    AnalyzerCheck(
        DOTENV_PLAINTEXT_SECRET,
        Severity.ERROR,
        "Plaintext secret in a .env file",
        "Encrypt the value (`autoaudit-secrets encrypt`, an enc: envelope) or keep the file out of the "
        "repository "
        "(.gitignore) and the image (.dockerignore); rotate the exposed value.",
    ),
    AnalyzerCheck(
        DOTENV_EXAMPLE_REAL_SECRET,
        Severity.ERROR,
        "Real-looking secret in an example .env file",
        "Example files are committed: replace the value with an empty value or a placeholder and rotate it.",
    ),
)

_EXAMPLE_PARTS = frozenset({"example", "examples", "sample", "samples", "template", "tmpl", "tpl", "dist"})
# `.env.d.ts` (Vite typings), encrypted bundles and code files are not dotenv files.
_NOT_DOTENV_SUFFIXES = frozenset(
    {
        "ts",
        "tsx",
        "js",
        "jsx",
        "mjs",
        "cjs",
        "py",
        "pyc",
        "rb",
        "go",
        "java",
        "json",
        "yml",
        "yaml",
        "toml",
        "xml",
        "md",
        "rst",
        "html",
        "gpg",
        "asc",
        "age",
        "enc",
        "vault",
        "lock",
        "swp",
        "bak",
    }
)
_LINE = re.compile(r"[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=(?P<space>[ \t]*)")


def is_dotenv_name(relpath: str) -> bool:
    """True for ``.env``, ``.env.<anything>``, ``.envrc`` and ``<name>.env``."""
    name = PurePosixPath(relpath).name
    if name in {".env", ".envrc"}:
        pass
    elif name.startswith(".env."):
        if name.rsplit(".", 1)[-1].lower() in _NOT_DOTENV_SUFFIXES:
            return False
    elif not (name.endswith(".env") and len(name) > len(".env")):
        return False
    return True


def is_example_dotenv_name(relpath: str) -> bool:
    """True for example/template dotenv files (``.env.example``, ``.env.sample``, ``example.env``, ...)."""
    parts = PurePosixPath(relpath).name.lower().split(".")
    return any(part in _EXAMPLE_PARTS for part in parts)


@dataclass(frozen=True, slots=True)
class DotenvAssignment:
    """One ``NAME=value`` of a dotenv file; positions are those of the value (inside its quotes), 1-based."""

    name: str
    value: str
    line: int
    column: int
    end_line: int
    end_column: int
    quote: str  # "", "'" or '"'


# A quoted value may span lines, up to this many characters (a stray quote must not make the scan quadratic).
_MAX_QUOTED = 64 * 1024
_QUOTED = {'"': re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL), "'": re.compile(r"'([^']*)'")}


def iter_assignments(text: str) -> Iterator[DotenvAssignment]:
    """Every assignment of a dotenv text, with the position of its value, following the grammar of
    :mod:`autoaudit_secrets._dotenv` (only ``\\n`` and ``\\r\\n`` end lines; quoted values may span lines).
    Unlike that strict reader, lines that are not assignments (garbage, an unclosed quote) are skipped rather
    than rejected: a broken file is still scanned."""
    raw_lines = text.split("\n")
    lines = [line.removesuffix("\r") for line in raw_lines]
    starts = [0]
    for raw in raw_lines[:-1]:
        starts.append(starts[-1] + len(raw) + 1)
    index = 0
    while index < len(lines):
        line = lines[index]
        m = _LINE.match(line)
        if m is None:
            index += 1
            continue
        name = m.group("name")
        rest = line[m.end() :]
        column = len(line[: m.end()]) + 1
        if rest[:1] in {'"', "'"}:
            quote = rest[0]
            opening = starts[index] + m.end()
            found = _QUOTED[quote].match(text[opening : opening + _MAX_QUOTED])
            if found is None:  # unterminated: the strict reader rejects it; skip the line
                index += 1
                continue
            value = found.group(1).replace("\r\n", "\n")
            last = index + value.count("\n")
            value_lines = value.split("\n")
            end_column = (column + 1 + len(value)) if len(value_lines) == 1 else len(value_lines[-1]) + 1
            yield DotenvAssignment(name, value, index + 1, column + 1, last + 1, end_column, quote)
            index = last + 1
            continue
        comment = re.search(r"(?:^|[ \t])#", rest) if m.group("space") else re.search(r"[ \t]#", rest)
        value = (rest[: comment.start()] if comment else rest).rstrip()
        yield DotenvAssignment(name, value, index + 1, column, index + 1, column + len(value), "")
        index += 1


class DotenvFileAnalyzer:
    """Plaintext secrets in dotenv files (see the module docstring)."""

    id = "dotenv-files"

    def applies_to(self, relpath: str) -> bool:
        return is_dotenv_name(relpath)

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        if not text:
            return []
        example = is_example_dotenv_name(relpath)
        findings: list[Finding] = []
        for item in iter_assignments(text):
            if item.value.startswith("enc:"):
                continue
            hit = judge_assignment(item.name, item.value, ctx)
            if hit is None:
                continue
            if example:
                if hit.by_name and not looks_random(hit.secret):
                    continue
                rule, message = (
                    DOTENV_EXAMPLE_REAL_SECRET,
                    f"{item.name} in an example dotenv file holds a real-looking secret ({hit.reason}); "
                    "replace it with a placeholder and rotate it",
                )
            else:
                if not hit.by_name and not ctx.is_secret_name(item.name):
                    continue  # a token under an ordinary name: the token rules report it
                rule, message = (
                    DOTENV_PLAINTEXT_SECRET,
                    f"{item.name} holds a plaintext secret in a dotenv file; encrypt it (enc:) or "
                    "keep the file out of the repository and the image",
                )
            start_line, start_col = _value_position(item, item.value.find(hit.secret))
            end_line, end_col = _value_position(item, item.value.find(hit.secret) + len(hit.secret))
            findings.append(
                make_finding(
                    rule,
                    Severity.ERROR,
                    relpath,
                    (start_line, start_col, end_line, end_col),
                    message,
                    hit.secret,
                    keep=hit.preview_keep,
                )
            )
        return findings


def _value_position(item: DotenvAssignment, offset: int) -> tuple[int, int]:
    offset = max(0, offset)
    before = item.value[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return item.line, item.column + offset
    return item.line + newlines, offset - before.rfind("\n")
