"""``.env`` files that hold plaintext secrets.

A ``.env``, ``.env.local``, ``.env.production``, ``*.env`` or ``.envrc`` file found by the scan (committed, or
walked with ``--no-ignore``) must not hold a plaintext value under a secret-ish name — or a name the
``--schema`` settings class marks as a ``SecretStr`` — unless it is an ``enc:`` envelope, a placeholder or,
as for the generic rules, the name of a field holding the same secret
(``SMTP_PASSWORD=smtp_account_password``) (``dotenv-plaintext-secret``). Example files (``.env.example``,
``.env.sample``, ``.env.template``, ``.env.dist``) are meant to hold fake values, so only real-looking
secrets count there: a token-rule match, or a high-entropy value under a secret name
(``dotenv-example-real-secret``).

Assignments are read with the loader's grammar (:mod:`autoaudit_secrets._dotenv`, one grammar for loading,
editing and scanning), leniently: broken lines are skipped, not fatal; each value comes with its physical
line and column.
"""

from __future__ import annotations

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


def iter_assignments(text: str) -> Iterator[DotenvAssignment]:
    """Every assignment of a dotenv text, with the position of its value, read by the loader's own grammar
    (:mod:`autoaudit_secrets._dotenv`, tokenized leniently): what the scanner reports is exactly what the
    loader would load. Unlike the strict reader, lines that are not assignments (garbage, an unclosed quote)
    are skipped rather than rejected, and a quoted value followed by junk is still read: a broken file is
    still scanned. Values are as written (escapes not decoded, no ``${VAR}`` expansion), so positions are
    exact; a line break inside a quoted value is ``\\n`` whatever the file's line endings."""
    from ..._dotenv import _Quote, _tokenize

    quotes = {_Quote.NONE: "", _Quote.SINGLE: "'", _Quote.DOUBLE: '"'}
    # A UTF-8 BOM (Windows editors) is not part of the first name, as for the loader; columns still count it,
    # as every other position in the text does.
    bom = 1 if text.startswith("\ufeff") else 0
    for entry in _tokenize(text[bom:], "<scan>", lenient=True):
        if entry.name is None:
            continue
        value = entry.content
        if entry.quote is not _Quote.NONE and "\r\n" in value:
            value = value.replace("\r\n", "\n")
        column = entry.value_at + 1 + (bom if entry.line == 1 else 0)
        newlines = value.count("\n")
        end_column = column + len(value) if not newlines else len(value) - value.rfind("\n")
        yield DotenvAssignment(
            entry.name, value, entry.line, column, entry.line + newlines, end_column, quotes[entry.quote]
        )


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
                    hit.severity_or(Severity.ERROR),
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
