"""``weakenings``: how one configuration scans less than another, named by key and rule id, never quoting a
glob or regex. (Reading a configuration as of a git revision is tested end to end, with real repositories,
in tests/cli/test_check_secrets_config_ref.py.)"""

from __future__ import annotations

from dataclasses import replace

import pytest

from autoaudit_secrets.scan._config_ref import weakenings
from autoaudit_secrets.scan._model import Rule, ScanConfig, Severity

RULE = Rule(id="acme-key", name="Acme key", description="d", remediation="r", pattern="acme_[a-z]{8}")
BASE = ScanConfig(
    exclude=("vendor/**",),
    allow_paths=("tests/fixtures/**",),
    allow_values=("^EXAMPLE",),
    disabled_rules=frozenset({"generic-password"}),
    extra_rules=(RULE,),
    fail_on=Severity.WARNING,
)


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"exclude": ("vendor/**", "src/**")}, "exclude: 1 glob more"),
        ({"allow_paths": ("tests/fixtures/**", "**", "*.py")}, "allow-paths: 2 globs more"),
        ({"allow_values": ("^EXAMPLE", "sk_live_secretvalue")}, "allow-values: 1 regex more"),
        (
            {"disabled_rules": frozenset({"generic-password", "aws-access-key-id"})},
            "disables aws-access-key-id",
        ),
        ({"enabled_rules": frozenset({"aws-access-key-id", "acme-key"})}, "enable: only 2 rules run"),
        ({"extra_rules": ()}, "removes rule acme-key"),
        ({"extra_rules": (replace(RULE, severity=Severity.WARNING),)}, "lowers the severity of acme-key"),
        ({"extra_rules": (replace(RULE, pattern="acme_[a-z]{9}"),)}, "changes rule acme-key"),
        ({"fail_on": Severity.ERROR}, "fail-on: error instead of warning"),
        ({"disabled_rules": frozenset({"generic-password", "acme-key"})}, "disables acme-key"),
    ],
)
def test_each_weakening_is_named(changes: dict[str, object], phrase: str) -> None:
    weaker = weakenings(replace(BASE, **changes), BASE)  # type: ignore[arg-type]
    assert weaker == [phrase]


def test_a_regex_or_glob_is_never_quoted() -> None:
    weaker = weakenings(
        replace(BASE, allow_values=("sk_live_secretvalue",), allow_paths=("secret-dir/**",)), BASE
    )
    assert not any("secretvalue" in w or "secret-dir" in w for w in weaker)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"exclude": ()},
        {"allow_paths": (), "allow_values": ()},
        {"disabled_rules": frozenset()},
        {"extra_rules": (RULE, replace(RULE, id="acme-other"))},
        {"exclude": ("vendor/**",) * 2},
    ],
    ids=["same", "less-excluded", "no-allowlists", "nothing-disabled", "more-rules", "repeated-glob"],
)
def test_a_stricter_or_equal_configuration_is_not_weaker(changes: dict[str, object]) -> None:
    assert weakenings(replace(BASE, **changes), BASE) == []  # type: ignore[arg-type]


def test_re_enabling_a_rule_is_not_weaker_and_an_enable_list_dropping_one_is() -> None:
    base = ScanConfig(enabled_rules=frozenset({"a-rule", "b-rule"}))
    assert weakenings(ScanConfig(), base) == []
    assert weakenings(ScanConfig(enabled_rules=frozenset({"a-rule"})), base) == ["disables b-rule"]


def test_many_rule_ids_are_cut() -> None:
    ids = frozenset(f"rule-{i:02d}" for i in range(9))
    [phrase] = weakenings(ScanConfig(disabled_rules=ids), ScanConfig())
    assert phrase == "disables rule-00, rule-01, rule-02, rule-03, rule-04 and 4 more"
