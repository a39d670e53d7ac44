"""The on-disk caches (compiled Hyperscan databases) keep only recent entries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autoaudit_secrets.scan.engine import _matcher
from autoaudit_secrets.scan.engine._matcher import prune_cache, touch_cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    directory = _matcher.cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _entry(directory: Path, kind: str, key: str, age: int, suffixes: tuple[str, ...]) -> None:
    for suffix in suffixes:
        path = directory / f"{kind}-{key}{suffix}"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))


def test_prune_keeps_the_most_recently_used_entries_of_one_kind(cache: Path) -> None:
    for age in range(10):
        _entry(cache, "hs", f"k{age}", age, (".db", ".json", ".single"))
    _entry(cache, "rules", "r0", 0, (".json",))
    # The oldest entry was just used: it must survive.
    touch_cache(cache / "hs-k0.db")
    prune_cache("hs", keep=3)
    left = sorted(p.name for p in cache.iterdir())
    assert left == sorted(
        [f"hs-{k}{s}" for k in ("k0", "k9", "k8") for s in (".db", ".json", ".single")] + ["rules-r0.json"]
    )


def test_compiling_a_database_removes_the_rule_caches_of_older_versions(cache: Path) -> None:
    # Versions before the packaged rule index kept validated rules (with every example token) here.
    pytest.importorskip("hyperscan")
    for age in range(3):
        _entry(cache, "rules", f"old{age}", age, (".json",))
    matcher = _matcher.Matcher([_matcher.PatternSpec(r"token_[a-z]{8}")], _matcher.MatcherBackend.HYPERSCAN)
    assert matcher.find("x = token_abcdefgh")
    left = sorted(p.name.split("-", 1)[0] for p in cache.iterdir())
    assert "rules" not in left and "hs" in left
