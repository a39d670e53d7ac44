"""The matcher backends: forced by option or CHECK_SECRETS_MATCHER, agreeing with each other, the on-disk
Hyperscan cache, and the fallbacks for patterns or documents Hyperscan handles differently."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autoaudit_secrets._errors import ScanError
from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan.engine._matcher import MATCHER_ENV, Matcher, MatcherBackend, PatternSpec
from tests.conftest import git, run_cli

BACKENDS = [b.value for b in MatcherBackend]
SPECS = [
    PatternSpec(r"\bacme_(?P<secret>[a-z0-9]{12})\b", keywords=("acme_",)),
    PatternSpec(
        r"(?:^|[\r\n])pass(?:word)?=(?P<secret>[^\s]{4,40})", case_insensitive=True, keywords=("pass",)
    ),
    PatternSpec(r"-----BEGIN KEY-----(?P<secret>[A-Za-z0-9+/\r\n]{20,900})", keywords=("begin key",)),
]


def _corpus(seed: int) -> str:
    rnd = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 _=\n"
    parts = []
    for _ in range(300):
        parts.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(5, 80))))
        roll = rnd.random()
        if roll < 0.1:
            parts.append("acme_" + "".join(rnd.choice("abcdef0123456789") for _ in range(12)) + " ")
        elif roll < 0.15:
            parts.append("\nPASSWORD=" + "".join(rnd.choice("XYZxyz789!") for _ in range(10)) + "\n")
        elif roll < 0.17:
            parts.append("-----BEGIN KEY-----" + "".join(rnd.choice("ABCabc123+/\n") for _ in range(60)))
    return "".join(parts)


def _spans(backend: str, text: str) -> list[tuple[int, int, int]]:
    return sorted((i, *m.span("secret")) for i, m in Matcher(SPECS, backend).find(text))


@pytest.mark.parametrize("seed", range(5))
def test_backends_agree_on_random_documents(seed: int) -> None:
    text = _corpus(seed)
    expected = _spans("re", text)
    assert expected, "the corpus plants matches"
    assert _spans("re2", text) == expected
    assert _spans("hyperscan", text) == expected


def test_non_ascii_text_keeps_character_offsets() -> None:
    text = "é€💥 acme_0123456789ab ünïcode\nPassword=Xy7!zz9\n"
    for backend in BACKENDS:
        spans = _spans(backend, text)
        assert [text[s:e] for _, s, e in spans] == ["0123456789ab", "Xy7!zz9"], backend


def _non_ascii_corpus(seed: int) -> str:
    rnd = random.Random(seed)
    words = _corpus(seed).split(" ")
    return " ".join(w + rnd.choice(["", "", "é", "€", "💥", "ß\n"]) for w in words)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_prescan_of_the_raw_bytes_is_reused_for_their_text(
    seed: int, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A document is scanned by Hyperscan once, as the bytes read from disk: the candidates' byte offsets are
    # moved to character offsets of the decoded text (UTF-8), not found again by re-encoding the text.
    text = _non_ascii_corpus(seed)
    if encoding == "latin-1":
        text = text.encode("latin-1", "replace").decode("latin-1")
    assert not text.isascii()
    data = text.encode(encoding)
    matcher = Matcher(SPECS, "hyperscan")
    prescan = matcher.prescan(data)
    assert prescan is not None and prescan.ends
    scans: list[int] = []
    real_scan = matcher._hs_scan
    monkeypatch.setattr(matcher, "_hs_scan", lambda chunk: scans.append(len(chunk)) or real_scan(chunk))
    reused = sorted((i, *m.span("secret")) for i, m in matcher.find(text, prescan=prescan))
    assert scans == [], "the text was scanned again"
    assert reused == _spans("re", text)


def test_a_prescan_of_other_bytes_is_not_taken_for_the_text() -> None:
    matcher = Matcher(SPECS, "hyperscan")
    text = "é acme_0123456789ab\n"
    other = matcher.prescan(("x" * 30 + " acme_0123456789ab\n").encode())
    assert other is not None
    spans = [(i, *m.span("secret")) for i, m in matcher.find(text, prescan=other)]
    assert spans == _spans("re", text)


def test_many_candidates_switch_to_single_match_mode() -> None:
    text = " ".join(f"acme_{i:012d}" for i in range(30000))
    assert len(_spans("hyperscan", text)) == 30000 == len(_spans("re", text))


def test_pattern_hyperscan_cannot_compile_is_left_to_re() -> None:
    specs = [*SPECS, PatternSpec(r"zz(?:^|[;,])tail=(?P<secret>[0-9]{4})", keywords=("tail=",))]
    found = [(i, m.group("secret")) for i, m in Matcher(specs, "hyperscan").find("a zz;tail=1234 b")]
    assert found == [(3, "1234")]


def test_pattern_widths_come_from_the_cache_with_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parsing every pattern for its width and line bounds costs more than loading the database: both are
    # stored beside it, so a second process parses nothing.
    from autoaudit_secrets.scan.engine import _matcher

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = Matcher(SPECS, "hyperscan")
    first.prepare()
    expected = _spans("re", _corpus(1))

    def no_parsing(*_: object) -> object:
        raise AssertionError("a pattern was parsed again")

    monkeypatch.setattr(_matcher, "max_width", no_parsing)
    monkeypatch.setattr(_matcher, "_line_bounds", no_parsing)
    second = Matcher(SPECS, "hyperscan")
    assert sorted((i, *m.span("secret")) for i, m in second.find(_corpus(1))) == expected
    assert second._widths == first._widths and second._bounds == first._bounds


def test_hyperscan_database_is_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = Matcher(SPECS, "hyperscan")
    first.prepare()
    cached = list((tmp_path / "autoaudit-secrets").glob("hs-*.db"))
    assert len(cached) == 1

    def no_compile(self: Matcher) -> None:
        raise AssertionError("compiled although a cached database exists")

    monkeypatch.setattr(Matcher, "_compile_hyperscan", no_compile)
    second = Matcher(SPECS, "hyperscan")
    assert [i for i, _ in second.find("x acme_0123456789ab y")] == [0]


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "other meta", "meta of another database"])
def test_a_damaged_cache_entry_is_compiled_again_and_matches_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """Hyperscan refuses a damaged database (its CRC); a meta file that does not name the database beside it
    (a stale pair) is refused here: either way the database is compiled again, never trusted or crashed on."""
    import json

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    Matcher(SPECS, "hyperscan").prepare()
    (db,) = (tmp_path / "autoaudit-secrets").glob("hs-*.db")
    meta = db.with_suffix(".json")
    raw = bytearray(db.read_bytes())
    if damage == "flipped byte":
        raw[len(raw) // 2] ^= 0xFF
        db.write_bytes(bytes(raw))
    elif damage == "truncated":
        db.write_bytes(bytes(raw[: len(raw) // 2]))
    elif damage == "other meta":
        facts = json.loads(meta.read_text())
        facts["missing"] = [len(SPECS) + 5]  # an index of no pattern
        meta.write_text(json.dumps(facts))
    else:
        facts = json.loads(meta.read_text())
        facts["db"] = [facts["db"][0], facts["db"][1] ^ 1]
        meta.write_text(json.dumps(facts))
    compiled: list[bool] = []
    original = Matcher._compile_hyperscan

    def counting(self: Matcher) -> object:
        compiled.append(True)
        return original(self)

    monkeypatch.setattr(Matcher, "_compile_hyperscan", counting)
    text = _corpus(1)
    assert sorted((i, *m.span("secret")) for i, m in Matcher(SPECS, "hyperscan").find(text)) == _spans(
        "re", text
    )
    assert compiled == [True]
    # ... and the entry written again is whole: the next process loads it
    compiled.clear()
    Matcher(SPECS, "hyperscan").prepare()
    assert compiled == []


def test_unknown_backend_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ScanError, match="unknown matcher"):
        Matcher(SPECS, "pcre")
    monkeypatch.setenv(MATCHER_ENV, "nope")
    with pytest.raises(ScanError, match="unknown matcher"):
        Scanner(ScanConfig())


@pytest.mark.parametrize("backend", BACKENDS)
def test_env_var_forces_backend_and_stats_name_it(backend: str, tmp_path: Path) -> None:
    (tmp_path / "a.ini").write_text("DB_PASSWORD=Wint3r-Kettle\n")
    code = (
        "import sys; from pathlib import Path;"
        "from autoaudit_secrets.scan import Scanner, ScanConfig, ScanOptions;"
        "r = Scanner(ScanConfig()).scan(ScanOptions(root=Path(sys.argv[1]), jobs=1));"
        "print(r.stats.matcher, [f.rule_id for f in r.findings])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env={"PATH": "/usr/bin:/bin", MATCHER_ENV: backend, "HOME": str(Path.home())},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stdout.split()[0] == backend
    assert "generic-password-config" in proc.stdout  # (a .ini file: no dotenv-analyzer finding replaces it)
    direct = Scanner(ScanConfig(), matcher=backend).scan(ScanOptions(root=tmp_path, jobs=1))
    assert direct.stats.matcher == backend


def _without(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which importing ``modules`` fails (stub packages first on PYTHONPATH), as on a
    machine where they are not installed."""
    stubs = tmp_path / "stubs"
    for name in modules:
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text(f"raise ImportError('no {name} here')\n")
    return {"PYTHONPATH": str(stubs)}  # (run_cli passes no CHECK_SECRETS_MATCHER)


def _tree(tmp_path: Path, files: int = 1) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(files):
        (root / f"m{i}.py").write_text(
            "import os\nVALUE = os.environ['X']\n" * (1 + 80_000 // 34 * (files > 1))
        )
    return root


@pytest.mark.parametrize(
    ("missing", "backend", "fix"),
    [
        (("hyperscan",), "re2", "pip install hyperscan"),
        (("hyperscan", "re2"), "re", "autoaudit-secrets[fast]"),
    ],
)
def test_a_fallback_matcher_is_announced_once(
    missing: tuple[str, ...], backend: str, fix: str, tmp_path: Path
) -> None:
    env = _without(tmp_path, *missing)
    root = _tree(tmp_path, files=70)  # large enough for worker processes: still one line
    result = run_cli("check-secrets", "scan", ".", "--jobs", "2", "--format", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert stats["matcher"] == backend
    assert fix in stats["matcher_fallback"]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("check-secrets: warning: ") and fix in lines[0], lines
    text = run_cli("check-secrets", "scan", ".", "--no-color", cwd=root, env=env)
    assert text.stdout.splitlines()[-1] == f"check-secrets: note: {stats['matcher_fallback']}"
    assert text.stderr.count("warning:") == 1


def test_a_forced_matcher_is_not_a_fallback(tmp_path: Path) -> None:
    env = {MATCHER_ENV: "re"}
    root = _tree(tmp_path)
    result = run_cli("check-secrets", "scan", ".", "--format", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)["stats"]
    assert (stats["matcher"], stats["matcher_fallback"]) == ("re", None)
    assert result.stderr == ""


def test_git_mode_announces_a_fallback_matcher(tmp_path: Path) -> None:
    env = _without(tmp_path, "hyperscan")
    root = _tree(tmp_path)
    git(root, "init", "-q")
    git(root, "add", ".")
    result = run_cli("check-secrets", "git", "--staged", "--format", "json", cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stats"]["matcher"] == "re2"
    assert result.stderr.count("check-secrets: warning: hyperscan is not installed") == 1


@pytest.mark.parametrize(
    ("pattern", "bounds"),
    [
        (r"tok_[A-Za-z0-9]{20,1000}", (0, 0)),  # one line: the window starts at the line
        (r"(?:^|[\r\n])key=(?P<secret>[^\s]{8,900})", (1, 0)),  # a line feed only in front
        (r"\bk\s{0,2}=\s{0,2}(?P<secret>[a-z]{20,1000})(?:[^a-z]|$)", (6, 1)),  # ... and in the delimiter
        (r"(?s)a.{0,500}", (0, 500)),  # only the "a" is sure to lie on one line
    ],
)
def test_confirm_windows_are_bounded_by_the_lines_a_match_can_span(
    pattern: str, bounds: tuple[int, int]
) -> None:
    from autoaudit_secrets.scan.engine._matcher import _line_bounds

    assert _line_bounds(pattern, 0) == bounds


@pytest.mark.parametrize("backend", ["hyperscan", "re2"])
def test_line_bounded_windows_find_what_the_whole_text_holds(backend: str) -> None:
    specs = [
        PatternSpec(r"\btok_(?P<secret>[A-Za-z0-9]{20,1000})\b"),
        PatternSpec(r"(?:^|[\r\n])key=(?P<secret>[^\s]{8,900})"),
        PatternSpec(r"\bk\s{0,2}=\s{0,2}(?P<secret>[a-z]{20,1000})(?:[^a-z]|$)"),
    ]
    rnd = random.Random(7)
    lines = []
    for _ in range(400):
        filler = "".join(rnd.choice("abc xyz=_\t") for _ in range(rnd.randint(0, 1500)))
        roll = rnd.random()
        if roll < 0.2:
            filler += " tok_" + "".join(rnd.choice("Ab9") for _ in range(rnd.randint(15, 60)))
        elif roll < 0.3:
            lines.append("key=" + "".join(rnd.choice("xY7!") for _ in range(rnd.randint(5, 40))))
        elif roll < 0.4:
            filler += "k =\n " + "".join(rnd.choice("qrs") for _ in range(rnd.randint(18, 50))) + ";"
        lines.append(filler)
    text = "\n".join(lines)
    expected = sorted((i, m.span()) for i, spec in enumerate(specs) for m in re.finditer(spec.pattern, text))
    found = sorted((i, m.span()) for i, m in Matcher(specs, backend).find(text))
    assert found == expected and len(expected) > 50


# ---------------------------------------------------------------------------------------- relaxed repeats


def test_relaxed_repeats_only_where_a_bounded_repeat_is_nested_in_a_repeated_group() -> None:
    from autoaudit_secrets.scan.engine._matcher import relax_repeats

    continued = r"\bcurl\b(?:[^\r\n;|]{0,250}\\\r?\n){0,4}[^\r\n;|]{2,400}?[ \t]-u[ \t]?(?P<secret>\S{8,64})"
    assert (
        relax_repeats(continued)
        == r"\bcurl\b(?:[^\r\n;|]*\\\r?\n){0,4}[^\r\n;|]{2,}?[ \t]-u[ \t]?(?P<secret>\S{8,64})"
    )
    # a repeat that ends the pattern keeps its bound (unbounded, it would add a match end per character)
    assert relax_repeats(r"(?:x{0,100}y)+z{0,300}") == r"(?:x*y)+z{0,300}"
    assert relax_repeats(r"(?:x{0,100}y)+z{0,300})$") == r"(?:x*y)+z{0,300})$"
    # no nesting, small bounds, braces in a class or escaped: unchanged
    for pattern in (
        r"a{0,250}b",
        r"(?:a{0,20}b){0,4}",
        r"(?:[{0,99}]b){0,4}",
        r"(?:\{0,99\}b)+",
        r"[]{0,99}]",
    ):
        assert relax_repeats(pattern) == pattern


def test_relaxed_patterns_match_whatever_their_rule_matches() -> None:
    """Hyperscan compiles the relaxed patterns; ``re`` confirms with the exact ones. The relaxed pattern must
    match every match of the exact one, as a whole (so Hyperscan reports its end): checked on every example of
    every rule whose pattern is relaxed."""
    from autoaudit_secrets.scan.engine._matcher import relax_repeats
    from autoaudit_secrets.scan.rules._registry import load_rules

    relaxed = [(rule, relax_repeats(rule.pattern)) for rule in load_rules()]
    relaxed = [(rule, pattern) for rule, pattern in relaxed if pattern != rule.pattern]
    assert len(relaxed) >= 5, "the command-line rules continued over lines are relaxed"
    checked = 0
    for rule, pattern in relaxed:
        flags = re.IGNORECASE if rule.case_insensitive else 0
        exact, loose = re.compile(rule.pattern, flags), re.compile(pattern, flags)
        for example in rule.examples:
            for m in exact.finditer(example):
                assert loose.fullmatch(m.group(0)), rule.id
                checked += 1
    assert checked >= len(relaxed)


def test_secret_prefixes_reads_the_literal_a_secret_group_begins_with() -> None:
    from autoaudit_secrets.scan.engine._matcher import secret_prefixes

    assert secret_prefixes(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b") == (("ghp_",), 40)
    # one choice of single characters is spelled out
    assert secret_prefixes(r"\b(?P<secret>xox[pe]-[0-9]{8,14})\b") == (("xoxp-", "xoxe-"), 13)
    assert secret_prefixes(r"(?P<secret>[sr]k_test_[0-9A-Za-z]{24,247})") == (("sk_test_", "rk_test_"), 32)
    # a group that begins with a class of many characters, or a name before the group
    assert secret_prefixes(r"(?i:alchemy)[ =]{1,3}(?P<secret>[A-Za-z0-9_\-]{32})")[0] == ()
    assert secret_prefixes(r"token=(?P<secret>[a-z0-9]{20})")[0] == ()
    assert secret_prefixes(r"abc(?P<other>d)", "secret") == ((), 0)
    # a pattern no validation bounded (groups 900 deep) gives no prefix rather than an error
    assert secret_prefixes("(?P<secret>" + "(" * 900 + "ab_c" + ")" * 900 + ")") == ((), 0)
