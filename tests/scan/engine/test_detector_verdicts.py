"""A detector remembers what a value alone decides (:meth:`Detector._judge`): a value met many times (a
connection string repeated down a file, the same password in every config) is judged once. What it remembers
must never change a verdict: the same value is accepted in one place and refused in another for reasons of
where it stands (a quote of the other kind after it, single quotes around a ``$name``, a documentation file),
and a detector shared by every document answers each as a new detector does, in any order."""

from __future__ import annotations

import random
from typing import Any

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner
from autoaudit_secrets.scan._model import Rule
from autoaudit_secrets.scan.engine import _detector as detector_module
from autoaudit_secrets.scan.engine._detector import Detector, interpolates_dollar

# (text, path) pairs: the made-up values below are the same in each group, and each group holds an accepted
# and a refused place (checked below, so that the test can fail when the memory is keyed too coarsely)
# (each line holds a made-up value the repository's own scan would report: allowed there)
DOCUMENTS = [
    # cut at a quote of the other kind: not the whole value
    ('password = "Tr0ub4dor&3x"\n', "app.py"),  # check-secrets: allow
    ("password = \"Tr0ub4dor&3x'\n", "app.py"),  # check-secrets: allow
    # in single quotes, $HOME is literal; in double quotes, the shell fills it in
    ("db_password = 'Xq7-$HOME9vZ'\n", "deploy.sh"),  # check-secrets: allow
    ('db_password = "Xq7-$HOME9vZ"\n', "deploy.sh"),  # check-secrets: allow
    # a run of sequences in documentation is an example (both files fill in $name: only that differs)
    ('db_password = "abc123def456!Q"\n', "deploy.sh"),  # check-secrets: allow
    ('db_password = "abc123def456!Q"\n', "docs/index.md"),  # check-secrets: allow
]


def _rules() -> tuple[Rule, ...]:
    return tuple(Scanner(ScanConfig()).detector.rules)


def _places(detector: Detector, text: str, path: str) -> list[tuple[str, int]]:
    return [(m.rule.id, m.secret_start) for m in detector.detect(text, path)]


def test_a_shared_detector_answers_each_document_as_a_new_one_in_any_order() -> None:
    rules = _rules()
    alone = [_places(Detector(rules), text, path) for text, path in DOCUMENTS]
    for first, second in zip(alone[::2], alone[1::2], strict=True):
        assert first and not second  # each group: accepted, then refused
    assert interpolates_dollar("deploy.sh") and interpolates_dollar("docs/index.md")
    rng = random.Random(0)
    for _ in range(20):
        shared = Detector(rules)
        order = list(range(len(DOCUMENTS)))
        rng.shuffle(order)
        for index in order + order[::-1]:  # each document judged twice, after different ones
            text, path = DOCUMENTS[index]
            assert _places(shared, text, path) == alone[index], (path, order)


def test_a_value_repeated_down_a_file_is_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = Detector(_rules())
    judged: list[str] = []
    original = Detector._value_passes

    def counting(*args: Any) -> bool:
        judged.append("")
        return original(*args)

    monkeypatch.setattr(Detector, "_value_passes", staticmethod(counting))
    text = "Server=db;Password=Tr0ub4dor&3x;\n" * 500  # check-secrets: allow
    found = detector.detect(text, "conn.txt")
    assert len(found) == 500 and len(judged) == 1


def test_what_it_remembers_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detector_module, "_VERDICTS", 16)
    detector = Detector(_rules())
    text = "".join(f'password = "Tr0ub4dor&3x{n:04d}q"\n' for n in range(100))
    assert len(detector.detect(text, "app.py")) == 100
    assert 0 < len(detector._verdicts) <= 16
