"""Credential-store files (issue 11 item 7): every record of ``credential-files.toml`` runs its own examples
through the real scanner, weak values count, references and masks do not, and no value is ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoaudit_secrets._errors import RuleError
from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan._model import Severity
from autoaudit_secrets.scan.analyzers import _credential_files as cf
from autoaudit_secrets.scan.analyzers import _registry as registry
from autoaudit_secrets.scan.analyzers._registry import NAME_HINTS, PATH_HINTS
from tests.conftest import assert_no_leak, run_cli

KINDS = cf.load_credential_file_kinds()
SCANNER = Scanner(ScanConfig())
POSITIVES = [(k, i, ex) for k in KINDS for i, ex in enumerate(k.examples)]
NEGATIVES = [(k, i, ex) for k in KINDS for i, ex in enumerate(k.negative_examples)]


def _line_of(content: str, secret: str) -> int:
    return content.count("\n", 0, content.index(secret)) + 1


def test_every_record_has_examples_both_ways_and_a_stable_id() -> None:
    assert len(KINDS) >= 15
    for kind in KINDS:
        assert kind.id.startswith("credential-file-") and kind.examples and kind.negative_examples, kind.id
        assert kind.severity is Severity.ERROR


@pytest.mark.parametrize(
    ("kind", "index", "example"), POSITIVES, ids=[f"{k.id}-{i}" for k, i, _ in POSITIVES]
)
def test_positive_example_is_reported_on_its_line(
    kind: cf.CredentialFileKind, index: int, example: dict[str, str]
) -> None:
    findings = [f for f in SCANNER.scan_document(example["file"], example["content"]) if f.rule_id == kind.id]
    line = _line_of(example["content"], example["secret"])
    assert [f.line for f in findings] == [line], f"{kind.id}: example #{index}"
    assert findings[0].secret == example["secret"]
    assert example["secret"] not in findings[0].preview  # no preview characters, however long the value


@pytest.mark.parametrize(
    ("kind", "index", "example"), NEGATIVES, ids=[f"{k.id}-{i}" for k, i, _ in NEGATIVES]
)
def test_negative_example_is_quiet(kind: cf.CredentialFileKind, index: int, example: dict[str, str]) -> None:
    ids = {f.rule_id for f in SCANNER.scan_document(example["file"], example["content"])}
    assert kind.id not in ids, f"{kind.id}: negative example #{index}"


def test_the_hints_admit_every_example_file() -> None:
    hint = NAME_HINTS["._credential_files:CredentialFileAnalyzer"]
    path_hint = PATH_HINTS["._credential_files:CredentialFileAnalyzer"]
    analyzer = cf.CredentialFileAnalyzer()
    for kind, _, example in POSITIVES + NEGATIVES:
        assert analyzer.applies_to(example["file"]), (kind.id, example["file"])
        name = example["file"].rsplit("/", 1)[-1].lower()
        assert hint(name) or path_hint(example["file"]), (kind.id, example["file"])
    # what a pre-commit scan of a web or Python project stages: the module and its data are not loaded
    for name in ("app.py", "main.go", "README.md", "index.ts", "Dockerfile", "package.json", "notes.txt"):
        assert not hint(name.lower()) and not path_hint(f"src/{name}")


def test_the_hints_are_the_records_names_and_folders() -> None:
    # the hints are written out (no TOML parsing at start-up); they must say what the data file says
    names = {glob for kind in KINDS for glob in kind.names}
    assert names == set(registry._CREDENTIAL_FILE_NAMES) | set(registry._CREDENTIAL_FILE_NAME_GLOBS)
    assert all(not any(c in n for c in "*?[") for n in registry._CREDENTIAL_FILE_NAMES)
    for kind in KINDS:
        for glob in kind.paths:
            assert any(folder in glob for folder in registry._CREDENTIAL_FILE_FOLDERS), (kind.id, glob)


@pytest.mark.parametrize("weak", ["admin", "password", "root", "123456"])
def test_weak_values_count_in_credential_files(weak: str) -> None:
    findings = SCANNER.scan_document(".msmtprc", f"account default\nhost smtp\nuser me\npassword {weak}\n")
    assert [(f.rule_id, f.line, f.secret) for f in findings] == [("credential-file-msmtp", 4, weak)]


@pytest.mark.parametrize(
    "value",
    ["$SMTP_PASSWORD", "${SMTP_PASSWORD}", "`pass show smtp`", "<password>", "********", "xxxxxx", ""],
)
def test_references_and_masks_are_not_credentials(value: str) -> None:
    assert SCANNER.scan_document(".msmtprc", f"account default\npassword {value}\n") == []


def test_sql_dumps_map_values_to_password_columns() -> None:
    dump = (
        "CREATE TABLE `users` (\n  `id` int NOT NULL,\n  `login` varchar(64),\n  `passwd` varchar(64),\n"
        "  PRIMARY KEY (`id`)\n);\n"
        "INSERT INTO `users` VALUES (1,'root','It''s-me'),(2,'ops',NULL),\n(3,'guest','guest1');\n"
        "INSERT INTO notes (id, body) VALUES (1, 'password: not a column');\n"
        "INSERT INTO accounts (id, password) VALUES"
        " (7, '$2b$12$abcdefghijklmnopqrstuu8uYc6Jd0Hf5Ug2Ea9Ib3Ko7Mz1Pq4V');\n"
        "COPY public.members (id, pwd) FROM stdin;\n1\tsecret9\n2\t\\N\n\\.\n"
    )
    found = [(f.line, f.secret) for f in SCANNER.scan_document("db/dump.sql", dump)]
    assert found == [(7, "It's-me"), (8, "guest1"), (12, "secret9")]


def test_sql_statements_are_found_in_any_case_and_after_non_ascii_text() -> None:
    """Statements are looked for by their keyword in a lower-cased copy of the dump: lower-casing "İ" gives
    two characters, which must not shift the places found after it."""
    dump = (
        "-- İstanbul şube ödemeleri\n"
        "Create Table staff (id int, pwd text);\n"
        "insert   into staff values (1, 'Zq8wPl2mXv');\n"
        "INSERT INTO staff (id, pwd) VALUES (2, 'Kd7vNb3xRt');\n"
        "copy staff (id, pwd) from stdin;\n3\tMw9cEr4tYu\n\\.\n"
    )
    lines = dump.split("\n")
    expected = [
        (number, lines[number - 1].index(value) + 1, value)
        for number, value in ((3, "Zq8wPl2mXv"), (4, "Kd7vNb3xRt"), (6, "Mw9cEr4tYu"))
    ]
    found = [(f.line, f.column, f.secret) for f in SCANNER.scan_document("db/dump.sql", dump)]
    assert found == expected


def test_the_cli_reports_credential_files_without_showing_values(tmp_path: Path) -> None:
    secret = "qwerty"
    (tmp_path / "rsyncd.secrets").write_text(f"# user:password\nbackup:{secret}\n")
    (tmp_path / "app.py").write_text("print('hello')\n")
    result = SCANNER.scan(ScanOptions(root=tmp_path, jobs=1))
    assert [(f.rule_id, f.path, f.line) for f in result.findings] == [
        ("credential-file-rsync", "rsyncd.secrets", 2)
    ]
    for fmt in ("text", "json", "sarif"):
        proc = run_cli("check-secrets", "scan", "--format", fmt, str(tmp_path), cwd=tmp_path)
        assert proc.returncode == 1 and "credential-file-rsync" in proc.stdout, fmt
        assert_no_leak(proc.stdout + proc.stderr, [secret], prefixes=True)


def test_bad_records_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "credential-files.toml"
    data.write_text(
        "[[files]]\nid = 'credential-file-x'\ntitle = 't'\nremediation = 'r'\nnames = ['x']\npattern = '(x'\n"
    )
    monkeypatch.setattr(cf, "DATA_FILE", data)
    cf.load_credential_file_kinds.cache_clear()
    try:
        with pytest.raises(RuleError, match="does not compile"):
            cf.load_credential_file_kinds()
        data.write_text(
            "[[files]]\nid = 'credential-file-x'\ntitle = 't'\nremediation = 'r'\nnames = ['x']\n"
            "pattern = 'x'\n"
        )
        with pytest.raises(RuleError, match="'secret'"):
            cf.load_credential_file_kinds()
    finally:
        cf.load_credential_file_kinds.cache_clear()


def test_the_combined_file_test_agrees_with_every_kind() -> None:
    """The analyzer asks one name set and two expressions instead of each kind's globs in turn (a tree scan
    asks it for every .txt, .json or .xml file): same answer for every example file, moved and renamed."""
    analyzer = cf.CredentialFileAnalyzer()
    paths = ["README.txt", "setup.cfg", "data/config.json", "a/b/c.xml", "x.yml", "notes.conf"]
    for kind in cf.CREDENTIAL_FILE_KINDS:
        for example in (*kind.examples, *kind.negative_examples):
            name = example["file"]
            paths += [name, f"deep/dir/{name}", name.upper(), f"{name}.bak", f"old-{name}"]
        for glob in (*kind.names, *kind.paths):
            filled = glob.replace("*", "ab").lstrip("/")
            paths += [f"x/{filled}", f"x/{glob.replace('*', '')}".replace("//", "/")]
    expected = [any(kind.applies_to(p) for kind in cf.CREDENTIAL_FILE_KINDS) for p in paths]
    assert any(expected) and not all(expected)
    assert [analyzer.applies_to(p) for p in paths] == expected
