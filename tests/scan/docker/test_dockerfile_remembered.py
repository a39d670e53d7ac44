"""The Dockerfile checks through a context that remembers answers (a history scan's): an instruction seen
quiet before is not checked again, and the findings are those of a plain context whatever came before — the
same instruction text under other build arguments, flags or build context is asked about anew."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets.scan._model import AnalysisContext, Finding
from autoaudit_secrets.scan.analyzers.docker._dockerfile_checks import DockerfileAnalyzer
from autoaudit_secrets.scan.sources._git import _RememberingContext

HUMAN_PW = "Tr0ub4dor-Horse-91"  # a human password: only its name says "secret"


class _Counting(_RememberingContext):
    """Counts the answers computed (not remembered)."""

    __slots__ = ("computed",)

    def __init__(self, ctx: AnalysisContext) -> None:
        super().__init__(ctx)
        self.computed: list[Hashable] = []

    def remember(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        def counted() -> Any:
            self.computed.append(key)
            return compute()

        return super().remember(key, counted)


def _places(findings: list[Finding]) -> list[tuple[str, int, int, str, str]]:
    return sorted((f.rule_id, f.line, f.column, f.message, f.secret) for f in findings)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)


# (path, Dockerfile) in the order a history would show them: pairs share an instruction's text
VERSIONS = [
    ("Dockerfile", "ARG NPM_TOKEN\nFROM a\nARG NPM_TOKEN\n"),  # a redeclared global: one warning
    ("Dockerfile", "FROM a\nARG NPM_TOKEN\n"),  # the same ARG line, nothing global: its own warning
    ("Dockerfile", "FROM a\nENV LINK=$NPM_TOKEN\nRUN npm ci\n"),
    ("Dockerfile", "FROM a\nARG NPM_TOKEN\nENV LINK=$NPM_TOKEN\nRUN npm ci\n"),  # now from a secret ARG
    ("Dockerfile", "FROM a\nRUN cat /run/secrets/npm > /root/.npmrc\n"),
    ("Dockerfile", "FROM a\nRUN --mount=type=secret,id=npm cat /run/secrets/npm > /root/.npmrc\n"),
    ("Dockerfile", "FROM a\nCOPY tls.pem /etc/app/\n"),  # a certificate in the context
    ("sub/Dockerfile", "FROM a\nCOPY tls.pem /etc/app/\n"),  # nothing beside it: judged by name
    ("Dockerfile", "FROM a\nARG DB_CONN\nENV DB_PASSWORD=$DB_CONN\n"),  # a quiet ARG still enters the scope
    ("Dockerfile", f"FROM a\nWORKDIR /app\nENV DB_PASSWORD={HUMAN_PW}\nRUN npm ci\n"),
    ("Dockerfile", f"FROM b\n# moved down\nWORKDIR /app\nENV DB_PASSWORD={HUMAN_PW}\nRUN npm ci\n"),
]


def test_a_remembering_context_gives_the_findings_of_a_plain_one(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(tmp_path, {"tls.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"})
    plain = make_ctx(tmp_path)
    remembering = _Counting(make_ctx(tmp_path))
    analyzer = DockerfileAnalyzer()
    expected = [_places(list(analyzer.analyze(path, text, plain))) for path, text in VERSIONS]
    # the cases above differ where they must
    assert [[(f[0], f[1]) for f in e] for e in expected[:2]] == [
        [("docker-secret-arg-no-value", 1)],
        [("docker-secret-arg-no-value", 2)],
    ]
    assert [len(e) for e in expected[2:4]] == [0, 2]
    assert ("docker-secret-env-from-arg", 3) in [(f[0], f[1]) for f in expected[3]]
    assert [[f[0] for f in e] for e in expected[4:6]] == [[], ["docker-mounted-secret-persisted"]]
    assert [[f[0] for f in e] for e in expected[6:9]] == [
        [],
        ["docker-copy-secret-file"],
        ["docker-secret-env-from-arg"],
    ]
    for _ in range(2):
        got = [_places(list(analyzer.analyze(path, text, remembering))) for path, text in VERSIONS]
        assert got == expected
    # each instruction was asked about once (the second round, and the repeated "RUN npm ci" of
    # the same version, remembered)
    assert len(remembering.computed) == len(set(remembering.computed))
    assert sum(1 for key in remembering.computed if "RUN" in key and "npm ci" in key) == 1


@pytest.mark.parametrize("keyword", ["RUN", "COPY"])
def test_an_instruction_with_findings_is_checked_again_each_time(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext], keyword: str
) -> None:
    line = (
        "RUN curl -u deploy:Qx7pLm2vNw8rTz https://example.test/x"  # check-secrets: allow
        if keyword == "RUN"
        else "COPY id_rsa /root/.ssh/id_rsa"
    )
    remembering = _RememberingContext(make_ctx(tmp_path))
    analyzer = DockerfileAnalyzer()
    first = list(analyzer.analyze("Dockerfile", f"FROM a\n{line}\n", remembering))
    moved = list(analyzer.analyze("Dockerfile", f"FROM a\n\n\n{line}\n", remembering))
    assert [f.line for f in first] == [2] and [f.line for f in moved] == [4]
    assert first[0].rule_id == moved[0].rule_id
