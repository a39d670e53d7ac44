"""A small stand-in for the engine's :class:`AnalysisContext`, to test the compose/CI/.env analyzers alone.

Deliberately simple and independent of the real rules: ``detect`` knows two token shapes, ``is_secret_name``
looks at the last word of a name, ``is_placeholder`` knows a handful of placeholders and references. The
integration tests (``test_stack_proof.py``, ``test_schema_aware.py``) use the real engine instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from autoaudit_secrets.scan._model import Match, Rule

_GITHUB_PAT = Rule(
    id="fake-github-pat", name="GitHub token", description="", remediation="", pattern=r"ghp_[A-Za-z0-9]{36}"
)
_AWS_KEY_ID = Rule(
    id="fake-aws-key-id", name="AWS key id", description="", remediation="", pattern=r"AKIA[0-9A-Z]{16}"
)
_RULES = (_GITHUB_PAT, _AWS_KEY_ID)
_SECRET_WORDS = {"password", "passwd", "secret", "token", "pass", "pw"}
_PLACEHOLDERS = {"", "changeme", "xxx", "xxxx", "your-password-here", "placeholder"}


def fake_token(seed: str = "a") -> str:
    """A GitHub-token-shaped value, built at run time so our own scan does not flag the tests."""
    return "ghp" + "_" + (seed + "Bc9Xq2" * 6)[:36]


class FakeContext:
    """Implements the :class:`AnalysisContext` protocol for analyzer unit tests."""

    def __init__(self, root: Path, secret_names: frozenset[str] = frozenset()) -> None:
        self.root = root
        self.secret_names = secret_names

    def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
        out: list[Match] = []
        for rule in _RULES:
            for m in re.finditer(rule.pattern, text):
                out.append(Match(rule, m.start(), m.end(), m.start(), m.end()))
        return out

    def is_secret_name(self, name: str) -> bool:
        if name.upper() in {n.upper() for n in self.secret_names}:
            return True
        words = [w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if w]
        if not words or words[-1] in {"file", "path"}:
            return False
        return words[-1] in _SECRET_WORDS or words[-2:] in (["api", "key"], ["secret", "key"])

    def is_placeholder(self, value: str) -> bool:
        v = value.strip().strip("\"'")
        return (
            v.lower() in _PLACEHOLDERS
            or v.startswith(("${", "enc:", "<"))
            or re.fullmatch(r"\$\w+", v) is not None
        )
