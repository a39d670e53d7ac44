"""Translating gitleaks configurations and reading detect-secrets baselines (scan/_migrate.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pathspec
import pytest

from autoaudit_secrets.scan._config import ConfigSource, known_rule_ids, load_config, parse_config_table
from autoaudit_secrets.scan._migrate import (
    GITLEAKS_RULE_IDS,
    MigrationError,
    _name_group,
    migrate_gitleaks,
    read_detect_secrets_baseline,
    regex_to_globs,
)
from autoaudit_secrets.scan.rules._registry import parse_rule_table

# (gitleaks path regex, paths it matches, paths it does not match): the globs must agree with the regex
PATH_CASES = [
    (r"(^|/)vendor/", ["vendor/a.go", "x/vendor/b.go"], ["vendors/a.go", "avendor/b.go"]),
    (r"\.md$", ["README.md", "docs/a.md"], ["a.mdx", "md/a.txt"]),
    (r"^docs/", ["docs/a.txt", "docs/x/y"], ["x/docs/a.txt", "doc/a"]),
    # (a folder named like the ending also matches: gitignore globs cannot say "files only")
    (r"(.*?)(jpg|gif|pdf)$", ["a.jpg", "x/y.gif", "b.pdf"], ["a.png", "a.jpg.txt"]),
    (r"node_modules", ["node_modules/a.js", "a/node_modules/b.js"], ["src/a.js"]),
    (r"^tests/fixtures/.*", ["tests/fixtures/a.json"], ["src/tests/fixtures/a.json", "tests/a.py"]),
    (r"(go\.mod|go\.sum)$", ["go.mod", "x/go.sum"], ["go.modx", "gomod"]),
]


@pytest.mark.parametrize(("regex", "hits", "misses"), PATH_CASES)
def test_path_regexes_become_globs_that_match_the_same_paths(
    regex: str, hits: list[str], misses: list[str]
) -> None:
    import re

    globs = regex_to_globs(regex)
    assert globs, regex
    spec = pathspec.GitIgnoreSpec.from_lines(globs)
    for path in hits:
        assert re.search(regex, path), (regex, path)  # the case itself is right
        assert spec.match_file(path), (regex, globs, path)
    for path in misses:
        assert not re.search(regex, path), (regex, path)
        assert not spec.match_file(path), (regex, globs, path)


@pytest.mark.parametrize(
    "regex", [r"[a-z]+\.log$", r"^(?i)secret", r"foo|bar", r"a{3}", r"^.*$", r"(^|/)\.git"]
)
def test_path_regexes_beyond_the_simple_shapes_are_not_guessed(regex: str) -> None:
    globs = regex_to_globs(regex)
    # (^|/)\.git is simple; everything else must be refused rather than translated into something wider
    if regex == r"(^|/)\.git":
        assert globs == [".git*"]
    else:
        assert globs == []


def test_secret_group_is_named() -> None:
    assert _name_group(r"key=([a-z]+)-(\d{4})", 2) == r"key=([a-z]+)-(?P<secret>\d{4})"
    assert _name_group(r"(?:x|y)\(([a-f0-9]{8})\)", 1) == r"(?:x|y)\((?P<secret>[a-f0-9]{8})\)"
    assert _name_group(r"[(]tok([0-9]+)", 1) == r"[(]tok(?P<secret>[0-9]+)"
    assert _name_group(r"no groups", 1) is None
    assert _name_group(r"[^](]x(y)", 1) == r"[^](]x(?P<secret>y)"  # "]" right after "[^" is in the class


def _migrate(path: Path) -> Any:
    where = ConfigSource(path.parent / ".check-secrets.toml", "[tool.check-secrets]")
    return migrate_gitleaks(
        path,
        known_rule_ids=known_rule_ids(),
        check_table=lambda table: parse_config_table(table, where),
        check_rule=lambda record: parse_rule_table(record, source=str(path)),
    )


def test_migrated_table_loads_and_keeps_what_gitleaks_allowed(tmp_path: Path) -> None:
    src = tmp_path / ".gitleaks.toml"
    src.write_text(
        """
[extend]
useDefault = true
disabledRules = ["generic-api-key", "no-such-gitleaks-rule"]

[[rules]]
id = "Acme_Token"
description = "ACME token"
regex = '''acme_([a-f0-9]{32})'''
secretGroup = 1
entropy = 3.0
keywords = ["ACME_"]

[[rules]]
id = "path-only"
path = '''\\.pem$'''

[[rules]]
id = "look-around"
regex = '''(?<=key=)[a-z]{20}'''
keywords = ["key"]

[[allowlists]]
paths = ['''(^|/)vendor/''', '''[0-9]+\\.snap$''']
regexes = ['''^EXAMPLE''']
stopwords = ["dummy.value"]
commits = ["0123abcd"]
regexTarget = "line"
"""
    )
    result = _migrate(src)
    out = tmp_path / ".check-secrets.toml"
    out.write_text(result.toml)
    config = load_config(tmp_path)
    assert set(config.disabled_rules) >= {"generic-secret"}
    assert config.allow_paths == ("vendor/",)
    assert "^EXAMPLE" in config.allow_values
    assert r"(?i)dummy\.value" in config.allow_values
    assert "acme-token" in result.toml and "(?P<secret>[a-f0-9]{32})" in result.toml
    assert "# [[tool.check-secrets.rules]]" in result.toml  # commented: it has no examples yet
    text = "\n".join(result.not_carried)
    for expected in ("no-such-gitleaks-rule", "path-only", "look-around", "commits", "path regex #2"):
        assert expected in text, expected
    assert "matched against the line" in "\n".join(result.carried)


def test_uncommenting_a_migrated_rule_with_an_example_gives_a_working_rule(tmp_path: Path) -> None:
    src = tmp_path / "gitleaks.toml"
    src.write_text(
        "[[rules]]\nid = \"acme\"\ndescription = \"ACME\"\nregex = '''acme_([a-f0-9]{32})'''\n"
        'secretGroup = 1\nkeywords = ["acme_"]\n'
    )
    toml = _migrate(src).toml
    sample = "acme_" + "0123456789abcdef" * 2
    body = [line.removeprefix("# ") for line in toml.splitlines() if line.startswith("# ") and " = " in line]
    body = [line for line in body if not line.startswith("examples")] + [f'examples = ["{sample}"]']
    (tmp_path / ".check-secrets.toml").write_text(
        "[tool.check-secrets]\n[[tool.check-secrets.rules]]\n" + "\n".join(body) + "\n"
    )
    config = load_config(tmp_path)
    assert [r.id for r in config.extra_rules] == ["acme"]


def test_gitleaks_ids_we_map_to_are_all_real_rules() -> None:
    known = known_rule_ids()
    missing = {ours for mapped in GITLEAKS_RULE_IDS.values() for ours in mapped if ours not in known}
    assert not missing


@pytest.mark.parametrize(
    "content",
    ["[[rules]\nid = 1", "\ufffe", "[extend]\nuseDefault = true\n" + "[" * 5000],
    ids=["bad-toml", "odd-bytes", "deep"],
)
def test_a_broken_gitleaks_file_is_one_line_error(tmp_path: Path, content: str) -> None:
    src = tmp_path / ".gitleaks.toml"
    src.write_text(content)
    with pytest.raises(MigrationError) as info:
        _migrate(src)
    assert "\n" not in str(info.value) and ".gitleaks.toml" in str(info.value)


def test_detect_secrets_baseline_is_read_with_audit_decisions(tmp_path: Path) -> None:
    import json

    sha = "a" * 40
    real = "b" * 40
    (tmp_path / ".secrets.baseline").write_text(
        json.dumps(
            {
                "version": "1.5.0",
                "plugins_used": [],
                "filters_used": [
                    {"path": "detect_secrets.filters.regex.should_exclude_file", "pattern": ["^tests/.*"]}
                ],
                "results": {
                    "./app/x.py": [{"type": "Secret Keyword", "hashed_secret": sha, "line_number": 2}],
                    "app/y.py": [{"hashed_secret": real, "is_secret": True, "line_number": 1}],
                },
            }
        )
    )
    peer = read_detect_secrets_baseline(tmp_path / ".secrets.baseline")
    assert peer.accepted == {"app/x.py": frozenset({sha})}
    assert peer.confirmed == {"app/y.py": frozenset({real})}
    assert peer.entries == 2
    assert peer.filters == (("should_exclude_file", ("^tests/.*",)),)


@pytest.mark.parametrize(
    "content",
    ['{"results": {"a": [{"hashed_secret": "nothex"}]}, "version": "1"}', "[]", "not json", '{"x": 1}'],
)
def test_not_a_detect_secrets_baseline_is_one_line_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "b").write_text(content)
    with pytest.raises(MigrationError) as info:
        read_detect_secrets_baseline(tmp_path / "b")
    assert "\n" not in str(info.value)
