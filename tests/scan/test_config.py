"""check-secrets configuration files: lookup, every key, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoaudit_secrets._errors import ConfigError
from autoaudit_secrets.scan._config import (
    CONFIG_KEYS,
    find_config_file,
    load_config,
    override_config,
    parse_config_table,
    read_config_file,
)
from autoaudit_secrets.scan._model import ScanConfig, Severity

KNOWN = frozenset({"aws-access-key-id", "generic-password", "github-pat-classic"})

EXTRA_RULE = """
[[tool.check-secrets.rules]]
id = "acme-api-key"
name = "ACME API key"
description = "An API key of the ACME service."
remediation = "Revoke it in the ACME console and issue a new one."
pattern = 'acme_[0-9a-f]{32}'
keywords = ["acme_"]
examples = ["acme_0123456789abcdef0123456789abcdef"]
"""


def _known() -> frozenset[str]:
    return KNOWN


def _load(path: Path) -> ScanConfig:
    table, source = read_config_file(path)
    return parse_config_table(table, source, known_ids=_known)


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        _load(path)
    message = str(info.value)
    assert "\n" not in message, "config errors are one line"
    assert str(path) in message, "config errors name the file"
    return message


def test_no_configuration_gives_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config_file(tmp_path) is None
    assert load_config(tmp_path) == ScanConfig()


def test_pyproject_table_with_every_key(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        """
[project]
name = "x"

[tool.check-secrets]
exclude = ["vendor/**"]
disable = ["generic-password"]
enable = ["aws-access-key-id", "acme-api-key"]
allow-paths = ["tests/fixtures/**"]
allow-values = ["^AKIA[0-9A-Z]{12}TEST$"]
fail-on = "warning"
"""
        + EXTRA_RULE
    )
    assert find_config_file(tmp_path) == path
    config = _load(path)
    assert config.exclude == ("vendor/**",)
    assert config.disabled_rules == {"generic-password"}
    assert config.enabled_rules == {"aws-access-key-id", "acme-api-key"}
    assert config.allow_paths == ("tests/fixtures/**",)
    assert config.allow_values == ("^AKIA[0-9A-Z]{12}TEST$",)
    assert config.fail_on is Severity.WARNING
    assert [r.id for r in config.extra_rules] == ["acme-api-key"]
    assert config.extra_rules[0].keywords == ("acme_",)


def test_dedicated_file_wins_and_takes_top_level_keys(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.check-secrets]\nexclude = ["from-pyproject"]\n')
    dedicated = tmp_path / ".check-secrets.toml"
    dedicated.write_text('exclude = ["from-dedicated"]\n[[rules]]\n' + EXTRA_RULE.split("\n", 2)[2])
    assert find_config_file(tmp_path) == dedicated
    config = _load(dedicated)
    assert config.exclude == ("from-dedicated",)
    assert [r.id for r in config.extra_rules] == ["acme-api-key"]


def test_explicit_config_file_is_used_instead_of_the_root_one(tmp_path: Path) -> None:
    (tmp_path / ".check-secrets.toml").write_text('exclude = ["root"]\n')
    other = tmp_path / "ci" / "secrets.toml"
    other.parent.mkdir()
    other.write_text('exclude = ["explicit"]\n')
    assert load_config(tmp_path, other).exclude == ("explicit",)
    assert load_config(tmp_path).exclude == ("root",)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("exclud = ['x']", "exclud: unknown key"),
        ("allow-values = ['(unclosed']", "allow-values[0]: invalid regular expression"),
        ("allow-values = ['ok', 'a{2,1}']", "allow-values[1]: invalid regular expression"),
        ("disable = ['no-such-rule']", "disable: unknown rule id 'no-such-rule'"),
        ("enable = ['nope']", "enable: unknown rule id 'nope'"),
        ("fail-on = 'fatal'", "fail-on: expected one of"),
        ("exclude = 3", "exclude: expected a list of strings"),
        ("allow-paths = [1, 2]", "allow-paths: expected a list of strings"),
        ("rules = 'x'", "rules: expected an array of tables"),
        ("exclude = ['ok/**', '!']", "exclude[1]: invalid gitignore-style pattern"),
        ("allow-paths = ['a\\']", "allow-paths[0]: invalid gitignore-style pattern"),
        ("exclude = [", "invalid TOML"),
    ],
    ids=[
        "unknown-key",
        "regex",
        "regex-index",
        "disable-id",
        "enable-id",
        "fail-on",
        "type",
        "list-type",
        "rules-type",
        "exclude-glob",
        "allow-glob",
        "toml",
    ],
)
def test_bad_configuration_is_a_one_line_error(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text(body + "\n")
    assert expected in _error(path)


def test_errors_in_pyproject_name_the_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.check-secrets]\nfail_on = 'error'\n")
    message = _error(path)
    assert "[tool.check-secrets] fail_on: unknown key" in message
    for key in CONFIG_KEYS:
        assert key in message  # lists the valid keys


def test_bad_extra_rule_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        EXTRA_RULE.replace("acme_[0-9a-f]{32}", "acme_(?=x)[0-9a-f]{32}").replace(
            "[[tool.check-secrets.rules]]", "[tool.check-secrets]\n[[tool.check-secrets.rules]]"
        )
    )
    message = _error(path)
    assert "rules[0]" in message and "look-around" in message


def test_extra_rule_may_not_reuse_a_builtin_id(tmp_path: Path) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text("[[rules]]\n" + EXTRA_RULE.split("\n", 2)[2].replace("acme-api-key", "aws-access-key-id"))
    assert "already a built-in rule" in _error(path)


def test_extra_rule_ids_may_be_enabled(tmp_path: Path) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text('enable = ["acme-api-key"]\n[[rules]]\n' + EXTRA_RULE.split("\n", 2)[2])
    assert _load(path).enabled_rules == {"acme-api-key"}


def test_schema_key_resolves_secret_names(tmp_path: Path) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text('schema = ["app.settings:Settings", "app.worker:WorkerSettings"]\n')
    table, source = read_config_file(path)
    names = {
        "app.settings:Settings": frozenset({"DB_PASSWORD"}),
        "app.worker:WorkerSettings": frozenset({"QKEY"}),
    }
    config = parse_config_table(
        table, source, known_ids=_known, schema_names=names.__getitem__, trust_schema=True
    )
    assert config.secret_names == {"DB_PASSWORD", "QKEY"}
    assert config.ignored_schema == ()


def test_schema_key_of_an_untrusted_file_is_never_resolved(tmp_path: Path) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text('schema = ["app.settings:Settings"]\n')
    table, source = read_config_file(path)

    def importer(spec: str) -> frozenset[str]:
        raise AssertionError(f"imported {spec}")

    config = parse_config_table(table, source, known_ids=_known, schema_names=importer)
    assert config.secret_names == frozenset()
    assert config.ignored_schema == ("app.settings:Settings",)


def test_bad_schema_spec_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text('schema = "no_colon_here"\n')
    assert "schema" in _error(path) and "module:Class" in _error(path)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path, tmp_path / "absent.toml")


def test_command_line_overrides() -> None:
    base = ScanConfig(disabled_rules=frozenset({"a", "b"}), exclude=("x/**",), fail_on=Severity.ERROR)
    merged = override_config(
        base, enable=["a"], disable=["c"], exclude=["y/**", "x/**"], fail_on=Severity.WARNING
    )
    assert merged.enabled_rules == {"a"}
    assert merged.disabled_rules == {"b", "c"}  # enabling "a" re-enables it
    assert merged.exclude == ("x/**", "y/**")
    assert merged.fail_on is Severity.WARNING
    assert override_config(base) == base


def test_real_rule_registry_validates_ids(tmp_path: Path) -> None:
    from autoaudit_secrets.scan._config import known_rule_ids

    ids = known_rule_ids()
    assert len(ids) >= 20  # the built-in token rules and the analyzers' checks
    path = tmp_path / ".check-secrets.toml"
    path.write_text('disable = ["definitely-not-a-rule"]\n')
    with pytest.raises(ConfigError, match="unknown rule id 'definitely-not-a-rule'"):
        load_config(tmp_path)
    some = sorted(ids)[0]
    path.write_text(f'disable = ["{some}"]\n')
    assert load_config(tmp_path).disabled_rules == {some}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("examples = [", 'examples = ["acme_not-hex", '), "example 1 does not match the rule's pattern"),
        (
            (
                'examples = ["acme_0123456789abcdef0123456789abcdef"]',
                (
                    'examples = ["acme_0123456789abcdef0123456789abcdef"]\n'
                    'negative_examples = ["acme_ffffffffffffffffffffffffffffffff"]'
                ),
            ),
            "negative example 1 matches the rule's pattern",
        ),
    ],
    ids=["example-misses", "negative-matches"],
)
def test_extra_rule_is_checked_against_its_own_examples(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_text("[[rules]]\n" + EXTRA_RULE.split("\n", 2)[2].replace(*edit))
    message = _error(path)
    assert "rules[0] (acme-api-key)" in message and expected in message
    assert "acme_not-hex" not in message and "ffffffff" not in message
