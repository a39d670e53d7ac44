"""A scanned repository is hostile input (issue 12): its configuration runs no code, its regular expressions
cannot hang the scanner, and what cannot be read is never reported as clean.

Every test drives the real ``check-secrets`` console script in a subprocess (with a timeout, so a hang is a
failure, not a stuck suite)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CliResult, git, run_cli

_EVIL_MODULE = (
    "import pathlib\n"
    "pathlib.Path(__file__).with_name('IMPORTED').write_text('the scanned tree ran code')\n"
    "from pydantic import SecretStr\n"
    "from autoaudit_secrets.settings import SecretSettings\n\n\n"
    "class Settings(SecretSettings):\n    billing_handle: SecretStr\n"
)


def _cs(cwd: Path, *args: str, timeout: float = 60) -> CliResult:
    return run_cli("check-secrets", *args, cwd=cwd, env={"HOME": str(cwd)}, timeout=timeout)


# -- 1. configuration from the scanned tree never imports code -----------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["scan"],
        ["scan", "--format", "sarif"],
        ["baseline", "create", "-o", "base.json"],
        ["git", "--staged"],
        ["git", "--all"],
    ],
)
def test_schema_in_the_scanned_pyproject_is_not_imported(git_repo: Path, command: list[str]) -> None:
    (git_repo / "evil.py").write_text(_EVIL_MODULE)
    (git_repo / "pyproject.toml").write_text('[tool.check-secrets]\nschema = "evil:Settings"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "pull request")
    (git_repo / "new.txt").write_text("hello\n")
    git(git_repo, "add", "new.txt")
    result = _cs(git_repo, *command)
    assert result.returncode == 0, result.output
    assert not (git_repo / "IMPORTED").exists()
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "schema" in warnings[0] and "--trust-config" in warnings[0]


def test_trust_config_imports_the_configured_schema(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(_EVIL_MODULE)
    (tmp_path / ".check-secrets.toml").write_text('schema = "evil:Settings"\n')
    (tmp_path / ".env").write_text("BILLING_HANDLE=Xk29q7Lw0pZr3m8T\n")
    result = _cs(tmp_path, "scan", "--trust-config")
    assert (tmp_path / "IMPORTED").exists()
    assert result.returncode == 1 and ".env:1" in result.stdout
    assert "warning" not in result.stderr


def test_schema_on_the_command_line_is_imported_without_a_warning(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_text(_EVIL_MODULE)
    (tmp_path / ".env").write_text("BILLING_HANDLE=Xk29q7Lw0pZr3m8T\n")
    result = _cs(tmp_path, "scan", "--schema", "evil:Settings")
    assert (tmp_path / "IMPORTED").exists()
    assert result.returncode == 1 and result.stderr == ""


# -- 5. previews show nothing of a password or a generic secret ----------------------------------------------


def _rand(n: int) -> str:
    import secrets
    import string

    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def _password_tree(root: Path) -> list[str]:
    """Human-style passwords (no token format) in every place an analyzer reports, and a token without a
    provider prefix (aws-secret-access-key: medium confidence). None may show a character."""
    pw = {k: "Pw" + _rand(14) for k in ("env", "url", "compose", "compose_url", "dotenv", "yaml", "arg")}
    aws_secret = _rand(40)
    (root / "Dockerfile").write_text(
        "FROM python:3.12\n"
        f"ENV DB_PASSWORD={pw['env']}\n"
        f"ENV DATABASE_URL=postgres://app:{pw['url']}@db.internal/app\n"
        f"ARG ADMIN_PASSWORD={pw['arg']}\n"
        "COPY . /app\n"
    )
    (root / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres\n    environment:\n"
        f"      POSTGRES_PASSWORD: {pw['compose']}\n"
        f"      DATABASE_URL: postgres://app:{pw['compose_url']}@db/app\n"
    )
    (root / ".env").write_text(f"DB_PASSWORD={pw['dotenv']}\n")
    (root / "conf").mkdir()
    (root / "conf" / "app.yaml").write_text(f"db:\n  password: {pw['yaml']}\n")
    (root / "conf" / "creds.ini").write_text(f'aws_secret_access_key = "{aws_secret}"\n')
    return [*pw.values(), aws_secret]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "csv", "junit"])
def test_no_character_of_a_password_or_generic_secret_in_any_preview(tmp_path: Path, fmt: str) -> None:
    from tests.conftest import assert_no_leak

    values = _password_tree(tmp_path)
    result = _cs(tmp_path, "scan", "--format", fmt)
    assert result.returncode == 1, result.stderr
    if fmt == "text":
        for place in ("Dockerfile:2", "Dockerfile:3", "compose.yml:5", "conf/app.yaml:2", "creds.ini:1"):
            assert place in result.stdout
    assert_no_leak(result.output, values, where=f"{fmt} report", prefixes=True)


def test_high_confidence_tokens_keep_their_documented_preview(tmp_path: Path) -> None:
    import json

    token = "ghp_" + _rand(36)
    (tmp_path / "app.py").write_text(f'GITHUB = "{token}"\n')
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nENV GITHUB_TOKEN={token}\n")
    result = _cs(tmp_path, "scan", "--format", "json")
    previews = {(f["path"], f["preview"]) for f in json.loads(result.stdout)["findings"]}
    assert previews == {("app.py", "ghp_…****"), ("Dockerfile", "ghp_…****")}


# -- 3. fail closed: nothing unread is reported as clean ---------------------------------------------------


def _token() -> str:
    return "ghp_" + _rand(36)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc (a file whose read fails)")
def test_a_named_file_whose_read_fails_is_exit_2_naming_it() -> None:
    # /proc/PID/mem opens but its first read fails (EIO), even for root: a file nobody could read.
    proc_dir = Path(f"/proc/{os.getpid()}")
    result = run_cli("check-secrets", "scan", "mem", cwd=proc_dir, timeout=60)
    assert result.returncode == 2, result.output
    assert result.stderr.startswith("check-secrets: error: mem: cannot read")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a mode-000 file")
def test_a_named_file_without_read_permission_is_exit_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "locked.py").write_text(f'TOKEN = "{_token()}"\n')
    (tmp_path / "locked.py").chmod(0)
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = _cs(tmp_path, "scan", "ok.py", "locked.py")
    assert result.returncode == 2 and "locked.py" in result.stderr


def test_files_skipped_inside_a_tree_are_on_the_text_summary_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" * 100)
    (tmp_path / "app.py").write_text("x = 1\n")
    result = _cs(tmp_path, "scan")
    assert result.returncode == 0
    summary = result.stdout.strip().splitlines()[-1]
    assert "2 skipped" in summary, summary


def test_secrets_at_the_top_and_bottom_of_an_oversized_file_are_found(tmp_path: Path) -> None:
    import json

    top, bottom = _token(), _token()
    filler = "INSERT INTO t VALUES (1, 'some row of a dump');\n" * 60_000  # ~2.8 MB
    (tmp_path / "dump.sql").write_text(f"-- {top}\n{filler}-- {bottom}\n")
    result = _cs(tmp_path, "scan", "--max-file-size", "1M", "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("dump.sql", 1), ("dump.sql", 60_002)]
    assert report["stats"]["files_truncated"] == 1
    text = _cs(tmp_path, "scan", "--max-file-size", "1M")
    assert "1 over --max-file-size scanned partly" in text.stdout.splitlines()[-1]


# -- 2. a repository's regular expressions run in linear time ---------------------------------------------

_RULE = """
[[rules]]
id = "acme-key"
name = "ACME key"
description = "An ACME key."
remediation = "Revoke it."
keywords = ["acme_"]
"""


def _lower(n: int) -> str:
    import secrets
    import string

    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def _run_hostile(root: Path, config: str, text: str) -> CliResult:
    (root / ".check-secrets.toml").write_text(config)
    (root / "app.txt").write_text(text)
    try:
        return _cs(root, "scan", timeout=90)
    except Exception as exc:  # subprocess.TimeoutExpired: the scanner hung
        pytest.fail(f"check-secrets did not finish: {type(exc).__name__}", pytrace=False)


def test_catastrophic_allow_values_regex_does_not_hang(tmp_path: Path) -> None:
    secret = _lower(34) + "-"  # ^([a-z0-9]+)+$ backtracks 2^34 ways on it under Python's re
    config = (
        'allow-values = ["^([a-z0-9]+)+$"]\n'
        + _RULE
        + f"pattern = 'acme_(?P<secret>[a-z0-9]{{34}}-)'\nexamples = [\"acme_{_lower(34)}-\"]\n"
    )
    result = _run_hostile(tmp_path, config, f"key = acme_{secret}\n")
    assert result.returncode == 1, result.output  # the value does not match the allowlist: still reported
    assert "app.txt:1" in result.stdout


def test_rule_pattern_without_a_maximum_width_is_refused_naming_the_rule(tmp_path: Path) -> None:
    config = _RULE + "pattern = 'acme_(?P<secret>(?:[a-z]+)+!)'\nexamples = [\"acme_abcdef!\"]\n"
    # under Python's re over the whole file: exponential at the long run without "!"
    result = _run_hostile(tmp_path, config, f"acme_{'a' * 40}\nacme_abcdef!\n")
    assert result.returncode == 2, result.output
    assert result.stderr.startswith("check-secrets: error: ") and len(result.stderr.splitlines()) == 1
    assert "acme-key" in result.stderr and "maximum match width" in result.stderr


def test_bounded_catastrophic_rule_pattern_runs_in_linear_time(tmp_path: Path) -> None:
    config = _RULE + "pattern = 'acme_(?P<secret>(?:[a-z]{1,30}){1,30}!)'\nexamples = [\"acme_abcdef!\"]\n"
    result = _run_hostile(tmp_path, config, f"acme_{'a' * 40}\nacme_qwertyuiop!\n")
    assert result.returncode == 1, result.output
    assert "app.txt:2" in result.stdout and "app.txt:1:" not in result.stdout


def test_catastrophic_negative_example_does_not_hang_the_config_check(tmp_path: Path) -> None:
    config = (
        _RULE
        + "pattern = 'acme_(?P<secret>(?:[a-z]{1,30}){1,30}!)'\n"
        + f'examples = ["acme_abcdef!"]\nnegative_examples = ["acme_{"a" * 45}"]\n'
    )
    result = _run_hostile(tmp_path, config, "nothing here\n")
    assert result.returncode == 1, result.output  # the config's own example is found: the rule loaded and ran
    assert "app.txt" not in result.stdout and ".check-secrets.toml:9" in result.stdout


@pytest.mark.parametrize(
    ("construct", "pattern"),
    [
        ("back-reference", "acme_(?P<secret>([a-z]{8})\\\\2)"),
        ("look-ahead", "acme_(?=x)(?P<secret>[a-z]{8})"),
    ],
)
def test_constructs_without_a_linear_engine_are_one_line_errors(
    tmp_path: Path, construct: str, pattern: str
) -> None:
    config = _RULE + f"pattern = '{pattern}'\nexamples = [\"acme_abcdefgh\"]\n"
    result = _run_hostile(tmp_path, config, "x\n")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, (construct, result.output)
    assert "acme-key" in result.stderr


def test_a_rule_pattern_nested_too_deep_is_a_one_line_error(tmp_path: Path) -> None:
    # 990 groups inside one another made Python's regex compiler exceed its recursion limit: an internal
    # error, not a message about the configuration
    pattern = "acme_(?P<secret>" + "(" * 990 + "[a-z]{8}" + ")" * 990 + ")"
    config = _RULE + f"pattern = '{pattern}'\nexamples = [\"acme_abcdefgh\"]\n"
    result = _run_hostile(tmp_path, config, "x\n")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert "acme-key" in result.stderr and "nests groups more than 64 deep" in result.stderr


def test_without_a_linear_engine_configured_regexes_are_refused(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("re2", "hyperscan"):
        (blocked / f"{name}.py").write_text(f"raise ModuleNotFoundError('no {name} (test)', name={name!r})\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".check-secrets.toml").write_text('allow-values = ["^test"]\n')
    (root / "app.txt").write_text("x\n")
    env = {"HOME": str(root), "PYTHONPATH": str(blocked)}
    result = run_cli("check-secrets", "scan", cwd=root, env=env, timeout=90)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.output
    assert "allow-values" in result.stderr and "linear-time" in result.stderr
    (root / ".check-secrets.toml").write_text('exclude = ["vendor/**"]\n')
    assert run_cli("check-secrets", "scan", cwd=root, env=env, timeout=90).returncode == 0


def test_every_built_in_rule_has_a_bounded_match_width() -> None:
    import re

    from autoaudit_secrets.scan.engine._matcher import max_width
    from autoaudit_secrets.scan.rules._registry import load_rules

    unbounded = [
        r.id for r in load_rules() if max_width(r.pattern, re.IGNORECASE if r.case_insensitive else 0) > 4096
    ]
    assert unbounded == []


# -- 7. fingerprints: cost follows risk; old baselines keep working ----------------------------------------

_V1 = Path(__file__).resolve().parents[1] / "data" / "baseline_v1"


def test_a_baseline_written_by_the_previous_release_still_accepts_its_findings(tmp_path: Path) -> None:
    import json
    import shutil

    # tests/data/baseline_v1: a tree and the version-1 baseline `baseline create` wrote for it before
    # fingerprints depended on the value's entropy (tokens then had scrypt fingerprints too).
    shutil.copytree(_V1 / "tree", tmp_path / "tree")
    shutil.copy(_V1 / "baseline-v1.json", tmp_path / "baseline-v1.json")
    result = _cs(
        tmp_path / "tree", "scan", "--no-ignore", "--baseline", "../baseline-v1.json", "--format", "json"
    )
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout)["stats"]["findings_baselined"] == 4


def test_fingerprints_of_low_entropy_values_are_unchanged_and_tokens_get_the_fast_hash(
    tmp_path: Path,
) -> None:
    import hashlib
    import hmac
    import json
    import shutil

    shutil.copytree(_V1 / "tree", tmp_path / "tree")
    result = _cs(tmp_path / "tree", "scan", "--no-ignore", "--format", "json")
    found = {(f["rule"], f["path"]): f["fingerprint"] for f in json.loads(result.stdout)["findings"]}
    # Published by the previous release for the same tree (scrypt): a password's fingerprint must not move.
    assert found[("dotenv-plaintext-secret", ".env")] == "56c999990aa17419c39d55769286fc40"
    assert found[("generic-password-config", "config/db.yaml")] == "3cb73cf711a7e7fe66505aeecf64456c"
    token = (tmp_path / "tree" / "app.py").read_text().split('"')[1]
    key = b"check-secrets/fp2\x00github-pat-classic\x00app.py"
    assert (
        found[("github-pat-classic", "app.py")]
        == hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]
    )


def test_a_new_baseline_is_version_2_and_accepts_the_same_findings(tmp_path: Path) -> None:
    import json
    import shutil

    shutil.copytree(_V1 / "tree", tmp_path / "tree")
    tree = tmp_path / "tree"
    assert _cs(tree, "baseline", "create", "--no-ignore", "-o", "../b.json").returncode == 0
    assert json.loads((tmp_path / "b.json").read_text())["version"] == 2
    result = _cs(tree, "scan", "--no-ignore", "--baseline", "../b.json", "--format", "sarif")
    assert result.returncode == 0, result.output


# -- 8. the built-in rules never come from a user cache ---------------------------------------------------


@pytest.mark.parametrize("tamper", ["drop-a-row", "neuter-a-pattern"])
def test_a_planted_rule_cache_cannot_weaken_a_rule(tmp_path: Path, tamper: str) -> None:
    # Versions before the packaged rule index read validated rules from ~/.cache/autoaudit-secrets, a folder
    # CI restores with actions/cache. A cache planted there by someone who read our source (its name and
    # digest recomputed) could keep every rule id and weaken a pattern. The rules now ship indexed beside
    # their data files; nothing of them is read from the cache folder.
    import hashlib
    import json

    from autoaudit_secrets.scan.rules import _registry

    token = _token()
    repo = tmp_path / "repo"  # HOME is tmp_path: the cache is outside the scanned tree
    repo.mkdir()
    (repo / "app.py").write_text(f'GITHUB = "{token}"\n')
    loaded = _registry.index_rows()
    assert loaded is not None
    rows = [list(row) for row in loaded[1]]
    if tamper == "drop-a-row":
        rows = [row for row in rows if row[0] != "github-pat-classic"]
    else:
        at = _registry._FIELDS.index("pattern")
        for row in rows:
            if row[0] == "github-pat-classic":
                row[at] = "never-matches-[0-9]{400}"
    digest = hashlib.sha256(b"rules-3")  # the name and digests older versions computed
    for path in sorted(_registry.DATA_DIR.glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    source = digest.hexdigest()
    body = json.dumps(rows)
    header = {"source": source, "digest": hashlib.sha256(f"{source}\0{body}".encode()).hexdigest()}
    cache = tmp_path / ".cache" / "autoaudit-secrets"
    cache.mkdir(parents=True)
    (cache / f"rules-{source[:32]}.json").write_text(f"{json.dumps(header)}\n{body}\n")
    result = run_cli("check-secrets", "scan", cwd=repo, env={"HOME": str(tmp_path)}, timeout=60)
    assert result.returncode == 1 and "github-pat-classic" in result.stdout, result.output


def test_caches_inside_the_scanned_tree_are_never_read(tmp_path: Path) -> None:
    # A CI workspace can be $HOME: a repository could ship .cache/autoaudit-secrets/ with a crafted compiled
    # Hyperscan database (deserialised, not validated). The run caches elsewhere and skips that folder.
    planted = tmp_path / ".cache" / "autoaudit-secrets"
    planted.mkdir(parents=True)
    for name in ("hs-0.db", "hs-0.json", "rules-0.json"):
        (planted / name).write_text(f"planted {_token()}\n")
    (tmp_path / "app.py").write_text(f'GITHUB = "{_token()}"\n')
    result = _cs(tmp_path, "scan")
    assert result.returncode == 1 and "app.py:1" in result.stdout and ".cache" not in result.stdout
    assert sorted(p.name for p in planted.iterdir()) == ["hs-0.db", "hs-0.json", "rules-0.json"]


def test_a_document_with_very_many_candidates_is_not_rescanned_whole_by_re() -> None:
    # Past 20,000 candidates the matcher used to run every present pattern with Python's re over the whole
    # document (~55 KB/s). Now only a block that is itself that dense is, and sparse patterns stay windowed.
    from autoaudit_secrets.scan.engine._matcher import Matcher, MatcherBackend, PatternSpec

    spans: dict[int, list[int]] = {0: [], 1: []}

    class Spy(Matcher):
        def regex(self, index: int):  # type: ignore[no-untyped-def]
            real = super().regex(index)

            class Recorder:
                groupindex = real.groupindex  # (no "secret" group: all_matches uses finditer)

                def finditer(self, text: str, pos: int = 0, endpos: int | None = None):  # type: ignore[no-untyped-def]
                    spans[index].append((len(text) if endpos is None else endpos) - pos)
                    return real.finditer(text, pos, len(text) if endpos is None else endpos)

            return Recorder()  # type: ignore[return-value]

    pytest.importorskip("hyperscan")
    token = "AKIA" + "Q7ZX3KLM2PWR9TNB"  # check-secrets: allow
    dense = "".join(f"secret_{i}\n" for i in range(120_000))
    text = dense + "x = 1\n" * 100_000 + f"key = {token}\n" + "y = 2\n" * 100_000
    matcher = Spy(
        [PatternSpec(r"secret_[0-9]{1,6}"), PatternSpec(r"AKIA[A-Z0-9]{16}")], MatcherBackend.HYPERSCAN
    )
    found = matcher.find(text)
    assert sum(1 for index, _ in found if index == 0) == 120_000
    assert [m.group() for index, m in found if index == 1] == [token]
    assert max(spans[1]) < 10_000  # the sparse pattern: a window around its one candidate
    assert max(spans[0]) < len(text) // 3  # the dense one: block by block, never the whole document
