"""Fixtures for the Docker checks: an AnalysisContext (the real engine's when it is importable, else a small
stand-in with a handful of token formats) and secret-shaped values generated at run time (never literals in
the test source, so our own scan of the repository stays clean)."""

from __future__ import annotations

import base64
import random
import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import AnalysisContext, Confidence, Match, Rule, ScanConfig


def _random(seed: int, alphabet: str, length: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Tokens:
    """Secret-shaped values in formats every token-rule set knows."""

    aws_key_id: str
    aws_secret: str
    stripe: str
    github: str
    slack_webhook: str

    def all(self) -> list[str]:
        return [self.aws_key_id, self.aws_secret, self.stripe, self.github, self.slack_webhook]


@pytest.fixture(scope="session")
def tokens() -> Tokens:
    return Tokens(
        aws_key_id="AKIA" + _random(1, string.ascii_uppercase + "234567", 16),
        aws_secret=_random(2, _ALNUM + "/+", 40),
        stripe="sk_live_" + _random(3, _ALNUM, 24),
        github="ghp_" + _random(4, _ALNUM, 36),
        slack_webhook="https://hooks.slack.com/services/T"
        + _random(5, string.ascii_uppercase + string.digits, 8)
        + "/B"
        + _random(6, string.ascii_uppercase + string.digits, 8)
        + "/"
        + _random(7, _ALNUM, 24),
    )


# ----------------------------------------------------------------------------------------- stand-in context

_FAKE_RULES = [
    ("aws-access-key-id", r"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b"),
    ("stripe-secret-key", r"\bsk_live_[A-Za-z0-9]{24,}\b"),
    ("github-pat", r"\bghp_[A-Za-z0-9]{36}\b"),
    ("slack-webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    ("private-key", r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    ("url-credentials", r"\b[a-z]+://[^\s:/@]+:(?P<s>[^\s@/$]{3,})@"),
]
_SECRET_WORDS = {
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "credentials",
    "credential",
    "pass",
}
_KEY_QUALIFIERS = {"api", "private", "access", "secret", "signing", "encryption", "master", "client"}


class FakeContext:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._rules = [
            (
                Rule(id=rid, name=rid, description="", remediation="", pattern=p, confidence=Confidence.HIGH),
                re.compile(p),
            )
            for rid, p in _FAKE_RULES
        ]

    def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
        found: list[Match] = []
        for rule, rx in self._rules:
            for m in rx.finditer(text):
                group = "s" if "s" in rx.groupindex else 0
                found.append(Match(rule, m.start(), m.end(), m.start(group), m.end(group)))
        for m in re.finditer(r"[A-Za-z0-9+/]{24,}={0,2}", text):
            try:
                decoded = base64.b64decode(m.group(0), validate=True).decode("utf-8")
            except ValueError:
                continue
            for inner in self.detect(decoded):
                found.append(Match(inner.rule, m.start(), m.end(), m.start(), m.end()))
        return found

    def is_secret_name(self, name: str) -> bool:
        words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]
        if not words:
            return False
        last = words[-1]
        if last in _SECRET_WORDS:
            return True
        return last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS

    def is_placeholder(self, value: str) -> bool:
        v = value.strip().strip("\"'")
        return (
            not v
            or v.lower() in {"changeme", "placeholder", "xxx", "xxxx", "none", "null"}
            or bool(re.match(r"^(<.*>|\$\{.*\}|\$[A-Za-z_]\w*|\{\{.*\}\}|x{3,}|enc:.*)$", v))
        )


def _real_context_factory() -> Callable[[Path], AnalysisContext] | None:
    try:
        from autoaudit_secrets.scan.engine import _filters
        from autoaudit_secrets.scan.engine._scanner import Scanner
    except ImportError:
        return None
    scanner = Scanner(ScanConfig())

    class RealContext:
        """The engine's detector and filters, exactly as the engine hands them to analyzers."""

        def __init__(self, root: Path) -> None:
            self.root = root

        def detect(self, text: str, relpath: str | None = None) -> Sequence[Match]:
            return scanner.detect(text, relpath)

        def is_secret_name(self, name: str) -> bool:
            return _filters.is_secret_name(name)

        def is_placeholder(self, value: str) -> bool:
            return _filters.is_placeholder(value)

    return RealContext


@pytest.fixture(scope="session")
def make_ctx() -> Callable[[Path], AnalysisContext]:
    """``make_ctx(root)``: the engine's judgements when the engine is present, else the stand-in."""
    return _real_context_factory() or FakeContext


@pytest.fixture
def ctx(tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]) -> AnalysisContext:
    return make_ctx(tmp_path)
