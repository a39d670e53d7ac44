"""Every rule record of every data file: valid, unique, compiles under every backend, and its own examples and
negative examples behave through ``Scanner.scan_document``. Parametrize ids are rule ids + indices, never
values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autoaudit_secrets._errors import RuleError
from autoaudit_secrets.scan import Rule, ScanConfig, Scanner, load_rules, parse_rule_table
from autoaudit_secrets.scan.engine._detector import is_config_path
from autoaudit_secrets.scan.engine._matcher import Matcher, MatcherBackend, PatternSpec
from autoaudit_secrets.scan.rules._registry import RULE_ID_RE

RULES = load_rules()
_SCANNERS: dict[str, Scanner] = {}


def scanner(backend: str = "hyperscan") -> Scanner:
    if backend not in _SCANNERS:
        _SCANNERS[backend] = Scanner(ScanConfig(), rules=RULES, matcher=backend)
    return _SCANNERS[backend]


def _relpath(rule: Rule) -> str:
    # A configuration file the dotenv analyzer does not claim (its finding would replace the rule's, one per
    # place).
    return "settings.ini" if "config-only" in rule.tags else "example.txt"


POSITIVES = [(r, i, ex) for r in RULES for i, ex in enumerate(r.examples)]
NEGATIVES = [(r, i, ex) for r in RULES for i, ex in enumerate(r.negative_examples)]


def test_rule_set_is_large_and_ids_are_unique_and_stable_format() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(RULE_ID_RE.match(i) for i in ids)
    assert len(RULES) >= 17  # the engine's own generic + key rules at least


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_record_is_complete(rule: Rule) -> None:
    assert rule.name.strip() and rule.description.strip() and rule.remediation.strip()
    assert rule.keywords and all(k == k.lower() for k in rule.keywords)
    assert rule.examples
    for example in rule.examples:
        assert any(k in example.lower() for k in rule.keywords), "a positive example lacks every keyword"


@pytest.mark.parametrize("backend", [b.value for b in MatcherBackend])
def test_every_pattern_compiles_under_backend(backend: str) -> None:
    matcher = Matcher([PatternSpec(r.pattern, r.case_insensitive, r.keywords) for r in RULES], backend)
    matcher.prepare()
    # a document touching every rule's first example exercises every compiled pattern
    text = "\n".join(r.examples[0] for r in RULES)
    found = {index for index, _ in matcher.find(text)}
    assert len(found) >= 0.95 * len(RULES)


def test_every_pattern_compiles_exactly_under_re2() -> None:
    """RE2 is the linear engine where Hyperscan has no wheel: a pattern it refuses (nested counted repeats
    over its limit of 1000) would fall back to ``re`` there, so every built-in pattern must compile."""
    re2 = pytest.importorskip("re2")  # the test extra installs google-re2
    refused = []
    for rule in RULES:
        try:
            re2.compile(("(?i)" if rule.case_insensitive else "") + rule.pattern)
        except Exception:
            refused.append(rule.id)
    assert refused == []


@pytest.mark.parametrize(
    ("rule", "index", "example"), POSITIVES, ids=[f"{r.id}-{i}" for r, i, _ in POSITIVES]
)
def test_positive_example_is_found(rule: Rule, index: int, example: str) -> None:
    ids = {f.rule_id for f in scanner().scan_document(_relpath(rule), example)}
    if rule.id not in ids:
        pytest.fail(f"rule {rule.id}: positive example #{index} not detected", pytrace=False)


@pytest.mark.parametrize(
    ("rule", "index", "example"), NEGATIVES, ids=[f"{r.id}-{i}" for r, i, _ in NEGATIVES]
)
def test_negative_example_is_not_found(rule: Rule, index: int, example: str) -> None:
    ids = {f.rule_id for f in scanner().scan_document(_relpath(rule), example)}
    if rule.id in ids:
        pytest.fail(f"rule {rule.id}: negative example #{index} wrongly detected", pytrace=False)


@pytest.mark.parametrize("backend", ["re", "re2"])
def test_fallback_backends_agree_on_all_examples(backend: str) -> None:
    fast, other = scanner("hyperscan"), scanner(backend)
    disagreements = []
    for rule, index, example in POSITIVES + NEGATIVES:
        rel = _relpath(rule)
        a = {(f.rule_id, f.line, f.column) for f in fast.scan_document(rel, example)}
        b = {(f.rule_id, f.line, f.column) for f in other.scan_document(rel, example)}
        if a != b:
            disagreements.append(f"{rule.id}-{index}")
    assert disagreements == []


def test_config_only_rules_need_a_config_file() -> None:
    rule = next(r for r in RULES if r.id == "generic-password-config")
    assert is_config_path("deploy/.env.production") and is_config_path("conf/app.yaml")
    assert not is_config_path("src/app.py")
    # a patch's or an editor's leftover copy is judged as the file it copies (pgbouncer's src/loader.c.orig)
    assert not is_config_path("src/loader.c.orig") and not is_config_path("app.py~")
    assert is_config_path("conf/app.yaml.bak") and is_config_path("notes.orig")
    assert rule.id not in {
        f.rule_id for f in scanner().scan_document("src/loader.c.orig", "password = val;\n")
    }
    assert rule.id not in {f.rule_id for f in scanner().scan_document("src/app.py", rule.examples[0])}


@pytest.mark.parametrize(
    "relpath",
    ["docs/api-ref/s3.mdx", "README.markdown", "guide.adoc", "notes.asciidoc", "paper.tex", "report.qmd"],
)
def test_documentation_is_no_configuration_and_its_code_blocks_assign_variables(relpath: str) -> None:
    """Prefect's .mdx API reference: ``minio_creds = MinIOCredentials(`` in a Python block was judged a
    configuration's ``NAME=value`` line (a secret). A literal there is still reported, by the code rules."""
    assert not is_config_path(relpath)
    blocks = (
        "```python\nminio_creds = MinIOCredentials(\n    endpoint=url,\n)\n"
        "job = Job(credentials=k8s_creds)\n```\n"
        # polarsource/polar's astro.mdx: an env var's name passed on in a JavaScript object
        "```ts\nconst GET = Checkout({\n  accessToken: POLAR_ACCESS_TOKEN,\n});\n```\n"
    )
    assert scanner().scan_document(relpath, blocks) == []
    literal = 'client_secret = "' + "Zp8Tn4Ws1Yc6" + 'Jd0Hf5Ug2Ea9"\n'
    assert [f.rule_id for f in scanner().scan_document(relpath, literal)] == ["generic-secret"]


def _table(**overrides: object) -> dict[str, object]:
    table: dict[str, object] = {
        "id": "acme-token",
        "name": "Acme token",
        "description": "An Acme API token.",
        "remediation": "Revoke it in the Acme console.",
        "pattern": r"\bacme_(?P<secret>[a-z0-9]{20})\b",
        "keywords": ["acme_"],
        "examples": ["t = acme_q7zt3xm9lp2wk8rv4yb1"],
    }
    table.update(overrides)
    return table


def test_parse_rule_table_accepts_a_user_rule_and_scanner_uses_it() -> None:
    rule = parse_rule_table(_table(), source="pyproject.toml")
    assert rule.secret_group == "secret"
    found = Scanner(ScanConfig(extra_rules=(rule,))).scan_document("a.py", rule.examples[0])
    assert [f.rule_id for f in found] == ["acme-token"]
    assert found[0].column == len("t = acme_") + 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "Bad_Id"}, "'id'"),
        ({"name": ""}, "'name'"),
        ({"remediation": None}, "'remediation'"),
        ({"pattern": "acme_(?=x)"}, "look-around"),
        ({"pattern": r"(a)\1"}, "back-reference"),
        ({"pattern": "a{1,5000}"}, "RE2"),
        ({"pattern": "acme_("}, "does not compile"),
        ({"pattern": "(?P<token>x)"}, "groups"),
        ({"keywords": []}, "keywords"),
        ({"keywords": ["ACME"]}, "keywords"),
        ({"severity": "fatal"}, "severity"),
        ({"filters": ["magic"]}, "unknown filter"),
        ({"examples": []}, "examples"),
        ({"colour": "red"}, "unknown field"),
    ],
    ids=lambda v: str(v)[:30] if isinstance(v, str) else "case",
)
def test_bad_rule_tables_raise_rule_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_rule_table(_table(**overrides), source="extra.toml")


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(RuleError, match="more than once"):
        load_rules([RULES[0]])


def test_the_packaged_index_is_current_and_holds_every_field_of_every_rule() -> None:
    """The rules load from ``data/index.py``; it must be what parsing and validating the data files gives
    (run ``make rules-index`` after editing a rule file), with every field's type."""
    from autoaudit_secrets.scan.rules import _registry

    signature = _registry._signature()
    parsed = _registry.parse_data_files(signature)
    source = _registry._source_digest(_registry._data_blobs(signature))
    assert _registry.INDEX_FILE.read_text(encoding="utf-8") == _registry.render_index(parsed, source), (
        "scan/rules/data/index.py is stale: run `make rules-index`"
    )
    indexed = _registry._read_index(source)
    assert indexed is not None and len(indexed) == len(parsed)
    # (ids only on failure: the examples are secret-shaped)
    assert [
        a.id
        for a, b in zip(indexed, parsed, strict=True)
        if a != b or any(type(getattr(a, f)) is not type(getattr(b, f)) for f in _registry._FIELDS)
    ] == []


def test_an_index_made_from_other_data_files_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autoaudit_secrets.scan.rules import _registry

    signature = _registry._signature()
    loaded = _registry.index_rows()
    assert loaded is not None
    rows = [row for row in loaded[1] if row[0] != "github-pat-classic"]
    stale = tmp_path / "index.py"
    # what an index written before a rule file was edited looks like: another source digest
    stale.write_text(f"FORMAT = 'rules-index-2'\nSOURCE = {'0' * 64!r}\nROWS = {tuple(rows)!r}\n")
    monkeypatch.setattr(_registry, "INDEX_FILE", stale)
    _registry._load_builtin.cache_clear()
    try:
        assert "github-pat-classic" in {r.id for r in _registry._load_builtin(signature)}
        head = f"FORMAT = 'rules-index-2'\nSOURCE = {loaded[0]!r}\n"
        listed = tuple(tuple(list(v) if isinstance(v, tuple) else v for v in row) for row in loaded[1])
        broken = (
            "",  # (no FORMAT)
            "not python(\n",
            "raise RuntimeError('half-written')\n",
            head + "ROWS = ((1, 2),)\n",  # a row of another shape
            head.replace("index-2", "index-1") + f"ROWS = {loaded[1]!r}\n",  # another format
            head + f"ROWS = {listed!r}\n",  # lists where tuples belong
        )
        for text in broken:
            stale.write_text(text)
            _registry._load_builtin.cache_clear()
            assert len(_registry._load_builtin(signature)) == len(RULES)
            assert _registry._read_index(None) is None
    finally:
        _registry._load_builtin.cache_clear()


def test_a_checked_mark_spares_reading_the_data_files_and_only_for_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autoaudit_secrets.scan.rules import _registry

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    signature = _registry._signature()
    reads: list[object] = []
    real = _registry._data_blobs

    def counted(entries: tuple[tuple[str, int, int], ...]) -> list[tuple[str, bytes]]:
        reads.append(entries)
        return real(entries)

    monkeypatch.setattr(_registry, "_data_blobs", counted)
    _registry._load_builtin.cache_clear()
    try:
        first = _registry._load_builtin(signature)  # the data files hashed; the mark written
        assert len(reads) == 1 and len(first) == len(RULES)
        assert len(list((tmp_path / "autoaudit-secrets").glob("index-*.ok"))) == 1
        _registry._load_builtin.cache_clear()
        assert _registry._load_builtin(signature) == first and len(reads) == 1  # not read again
        # an edited data file has another size or time: it is read and hashed again
        edited = tuple((name, mtime + 1, size) for name, mtime, size in signature)
        _registry._load_builtin.cache_clear()
        assert _registry._load_builtin(edited) == first and len(reads) == 2
    finally:
        _registry._load_builtin.cache_clear()
