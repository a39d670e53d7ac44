"""Recall and false positives of the built-in rules over the shared token-example corpus.

Every example and negative example of ``../shared/corpora/token-examples.jsonl`` (the rule examples of Nosey
Parker and Kingfisher) goes through the real engine via ``benchmarks/corpus_report.py``. The floors below are
what the rules reached when they were set (that script prints the figures and the missed corpus rules); a drop
under a floor is a regression. Nothing here prints an example value: failures name counts and corpus rules.

Without the corpus the test is skipped locally and fails when ``CI`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import corpus_report_module

pytestmark = pytest.mark.slow


REPORT: Any = corpus_report_module()
Records = list[dict[str, Any]]

# (mode, source) -> (minimum share of positives flagged, maximum share of counted negatives flagged). The
# share of positives leaves out hand-filled placeholders (``1234567890abcdef…``, ``XXXXXX``; see
# ``is_placeholder_example``), which check-secrets deliberately does not report (issue 11, item 8): about 40%
# of the kingfisher examples are such fills, so the raw share says more about placeholders than about recall.
FLOORS: dict[tuple[str, str], tuple[float, float]] = {
    # reached when set (issue 11): code 72.0% / 9.0% (noseyparker), 58.1% / 4.5% (kingfisher), 62.6% / 8.3%
    # (all); config 73.0% / 13.9%, 60.7% / 9.1%, 64.7% / 13.2%. (Before issue 11 on the same yardstick: code
    # 72.0% / 10.7%, 55.9% / 4.5%, 61.2% / 9.7%; config 73.3% / 15.6%, 58.7% / 9.1%, 63.4% / 14.6%.)
    # Code/noseyparker 72.0% -> 71.8% when values naming their field were set aside (names_secret_field): the
    # one example lost (in both sources) gives a password name its own field's name, under a comment asking
    # for the password -- a stand-in, not a credential. Config/noseyparker 73.0% -> 72.8% (negatives 13.9% ->
    # 13.1%) when the .env check took the same judgement: the same example, and a negative's
    # ``password = env.X_PASSWORD`` no longer flagged.
    # Connection strings and credential blocks (DirectoryEntry on several lines, ODBC after Provider/User
    # ID, a half-run password no longer taken for a fill; a cut ``#{...}`` interpolation, which the corpus
    # counts as an ODBC credential, now quiet): code 71.8% -> 72.0% (noseyparker), 58.3% either way
    # (kingfisher), 62.7% -> 62.8% (all); config 72.8% -> 73.0%, 60.6%, 64.5% -> 64.6%; negatives unchanged.
    # The other misses of those corpus rules are stand-ins (``secret``, ``password``, ``SOME_PASSWORD``).
    # Password-hash rules (bcrypt, md5crypt, SHA-crypt, Cisco type 8/9, Kerberos AS-REP; 19 examples in each
    # source), Connect-VIServer -Password (2) and the Jenkins setup message (1): code 72.0% -> 77.5%
    # (noseyparker), 58.3% -> 60.6% (kingfisher), 62.8% -> 66.1% (all); config 73.0% -> 78.5%, 60.6% -> 62.8%,
    # 64.6% -> 67.9%; negatives unchanged (12 and 18 of 144).
    # Base64-encoded PEM private keys, Aiven tokens, Azure AI Search keys, Terraform variable defaults and
    # Android buildConfigField strings (820 -> 828 and 843 -> 848 of 1241): code 77.5% -> 78.2% (noseyparker),
    # 60.6% -> 61.2% (kingfisher), 66.1% -> 66.7% (all); config 78.5% -> 79.0%, 62.8% -> 63.2%,
    # 67.9% -> 68.3%; negatives unchanged (12 and 18 of 144).
    # Programmers' hex words as filler (DEADBEEF..., a placeholder now): the one example lost in noseyparker
    # is AKIADEADBEEFDEADBEEF, an access key id filled in by hand: code 78.2% -> 78.0% (noseyparker), 66.7%
    # -> 66.6% (all); config 79.0% -> 78.7%, 68.3%; negatives unchanged (12 and 18 of 144).
    # A key's or token's value typed in a row (ABC123DEF456, 123xyz456abc_789qrs012tuv345: runs of three in
    # a row, which the yardstick's runs of six do not set aside) is made up in any file now, not only in
    # documentation: the 8 examples lost are all such fills (Uclassify, Userflow, Cloverly, ...): code 61.2%
    # -> 60.2% (kingfisher), 66.6% -> 66.0% (all), noseyparker unchanged; config 63.2% -> 63.1%, 68.3% ->
    # 68.2%; negatives unchanged (12 and 18 of 144).
    # The UUID documentation writes for any UUID (123e4567-e89b-12d3-a456-426614174000) is a placeholder now,
    # in the engine and in the yardstick (the 29 kingfisher examples hand-filled with it, Moosend, Postmark,
    # Snyk, ..., are set aside as the other fills, 27 of them newly; kingfisher's placeholders 41.2% ->
    # 43.1%): the 17 examples lost are all of them, so the shares hardly move: code 60.2% -> 60.1%
    # (kingfisher), 66.0% -> 66.1% (all); config 63.1% -> 63.1%, 68.2% -> 68.3%; negatives unchanged (12 and
    # 18 of 144).
    # Two rows typed in turn are filler (1a2b3c4d-5e6f-7a8b-9c0d-…; in the engine: each half stepping
    # along its row in four steps of five; the yardstick: seven characters of each row): 49 more kingfisher
    # examples set aside (Ubidots' BBFF-1A2B3C4D5E6F7G8H9I0J…, ...), 33 of them flagged before: code 60.1%
    # -> 59.7% (kingfisher), 66.1% -> 66.0% (all); config 63.1% -> 62.8%, 68.3% -> 68.3%; negatives
    # unchanged.
    # A token typed on the home row is made up (kingfisher's Bitbucket example repeats one such run three
    # times) and RFC 7617's Basic header (Aladdin:open sesame, noseyparker's HTTP Basic example) is a
    # published example: code 455 -> 454 (kingfisher, 59.8% -> 59.7%), 316 -> 315 (noseyparker, 78.2% ->
    # 78.0%), 771 -> 769 (all); config 319 -> 318 (noseyparker, 79.0% -> 78.7%), 798 -> 797 (all);
    # negatives unchanged.
    ("code", "noseyparker"): (0.775, 0.095),
    ("code", "kingfisher"): (0.595, 0.05),
    ("code", "all"): (0.655, 0.09),
    ("config", "noseyparker"): (0.785, 0.14),
    ("config", "kingfisher"): (0.625, 0.10),
    ("config", "all"): (0.68, 0.14),
}
# At most this share of a source's positives may be set aside as placeholders (the yardstick must not swallow
# the corpus). 0.45 until two rows typed in turn (1A2B3C4D5E6F7G8H9I0J…: 49 kingfisher examples) were set
# aside: kingfisher's examples are 46.5% hand fills by the yardstick now (noseyparker's 6.0%).
MAX_PLACEHOLDER_SHARE = 0.48


@pytest.fixture(scope="module")
def records() -> Records:
    path: Path = REPORT.default_corpus_path()
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"token-example corpus missing at {path} (required in CI)", pytrace=False)
        pytest.skip(f"token-example corpus not present at {path}")
    loaded: Records = REPORT.load_corpus(path)
    return loaded


@pytest.fixture(scope="module")
def figures(records: Records) -> dict[str, Any]:
    return {mode: REPORT.evaluate(records, mode=mode) for mode in ("code", "config")}


def test_corpus_has_both_sources_and_negatives(records: Records) -> None:
    assert {"noseyparker", "kingfisher"} <= {r.get("source") for r in records}
    assert sum(len(r.get("negative_examples") or []) for r in records) > 100


@pytest.mark.parametrize(("mode", "source"), sorted(FLOORS), ids=[f"{m}-{s}" for m, s in sorted(FLOORS)])
def test_recall_and_false_positive_floors(figures: dict[str, Any], mode: str, source: str) -> None:
    f = figures[mode][source]
    min_recall, max_fp = FLOORS[(mode, source)]
    assert f.positives > 0 and f.negatives > 0
    worst = ", ".join(f"{name} ({n})" for name, n in f.missed_by_rule.most_common(10))
    assert f.positives_excluded <= MAX_PLACEHOLDER_SHARE * (f.positives + f.positives_excluded)
    assert f.recall >= min_recall, (
        f"{mode}/{source}: {f.flagged}/{f.positives} positives flagged ({f.recall:.3f} < {min_recall});"
        f" most missed corpus rules: {worst}"
    )
    by = ", ".join(f"{r} ({n})" for r, n in f.our_rules_on_negatives.most_common(10))
    assert f.false_positive_rate <= max_fp, (
        f"{mode}/{source}: {f.wrongly_flagged}/{f.negatives} negatives flagged"
        f" ({f.false_positive_rate:.3f} > {max_fp}); by our rules: {by}"
    )


SELF_IDENTIFYING = [
    "GitHub Personal Access Token",
    "GitHub OAuth Access Token",
    "GitLab Personal Access Token",
    "Slack Webhook",
    "Stripe API Key",
    "SendGrid API Key",
    "Anthropic API Key",
    "HuggingFace User Access Token",
    "Docker Hub Personal Access Token",
    "DigitalOcean Personal Access Token",
    "NuGet API Key",
    "Shopify Access Token (Public App)",
    "Hashicorp Vault Service Token (>= v1.10)",
    "Doppler Service Token",
    "Postman API Key",
    "Ubidots Token",
]


@pytest.mark.parametrize("corpus_rule", SELF_IDENTIFYING)
def test_self_identifying_formats_are_fully_recalled(records: Records, corpus_rule: str) -> None:
    """Prefix-identified tokens need no context: every real-looking corpus example of these formats must be
    found (hand-filled placeholders such as ``NF-abcdef1234567890…`` are deliberately not reported)."""
    from autoaudit_secrets.scan._model import ScanConfig
    from autoaudit_secrets.scan.engine._scanner import Scanner

    scanner = Scanner(ScanConfig())
    matching = [r for r in records if r.get("rule_name") == corpus_rule]
    assert matching, f"corpus has no record named {corpus_rule!r}"
    real = [
        (f"{r.get('source')}#{i}", str(text))
        for r in matching
        for i, text in enumerate(r.get("examples") or [])
        if not REPORT.is_placeholder_example(str(text))
    ]
    assert real, f"{corpus_rule}: no real-looking example in the corpus"
    missed = [where for where, text in real if not scanner.scan_document("corpus/snippet.txt", text)]
    assert not missed, f"{corpus_rule}: examples not found: {', '.join(missed)}"


def test_placeholder_yardstick() -> None:
    """Hand-filled runs are set aside; random tokens and short runs are not."""
    assert REPORT.is_placeholder_example("api_key = 1234567890abcdef1234567890abcdef")
    assert REPORT.is_placeholder_example("ghp_000000000000000000000000000000000000")
    assert REPORT.is_placeholder_example("token: aBcDeFgHiJkLmNoP")
    assert REPORT.is_placeholder_example("token: zyxwvu98")
    assert not REPORT.is_placeholder_example("token = 'q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q'")  # check-secrets: allow
    assert not REPORT.is_placeholder_example("id 12345 and abcde-fghij")


def test_report_renders_counts_without_example_values(records: Records, figures: dict[str, Any]) -> None:
    text = REPORT.render(figures["code"], mode="code", misses=1000)
    assert "noseyparker" in text and "kingfisher" in text
    values = [str(e) for r in records for e in (r.get("examples") or []) if len(str(e)) >= 12]
    leaked = sum(1 for v in values if v in text)
    assert leaked == 0, f"{leaked} corpus example value(s) appear in the report"
