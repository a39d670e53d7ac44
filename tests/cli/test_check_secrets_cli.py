"""``check-secrets scan``, ``baseline create`` and ``rules`` as real subprocesses on real temp trees.

The trees use an extra rule from the configuration (``acme-api-key``, and ``acme-test-key`` of severity
warning) so the expectations do not depend on the built-in rule set; a few tests use built-in rules.
Secret values are made at run time and never printed: every output and file goes through ``assert_no_leak``.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autoaudit_secrets.scan.report import SCHEMA_PATH
from tests.conftest import DATA_DIR, CliResult, assert_no_leak, run_cli

CONFIG = """\
exclude = [".check-secrets.toml"]

[[rules]]
id = "acme-api-key"
name = "ACME API key"
description = "An API key of the ACME service."
remediation = "Revoke it in the ACME console and issue a new one."
pattern = 'acme_(?P<secret>[0-9a-f]{32})'
keywords = ["acme_"]
references = ["https://docs.acme.example/api-keys"]
examples = ["acme_0123456789abcdef0123456789abcdef"]

[[rules]]
id = "acme-test-key"
name = "ACME test-mode key"
description = "A test-mode key of the ACME service; harmless but should not be committed."
remediation = "Move it to the test environment's configuration."
severity = "warning"
pattern = 'acmetest_(?P<secret>[0-9a-f]{24})'
keywords = ["acmetest_"]
examples = ["acmetest_0123456789abcdef01234567"]
"""

LEAKS: list[str] = []


def acme_key() -> str:
    value = "acme_" + secrets.token_hex(16)
    LEAKS.append(value)
    return value


def acme_test_key() -> str:
    value = "acmetest_" + secrets.token_hex(12)
    LEAKS.append(value)
    return value


# A developer may pick the matcher (CHECK_SECRETS_MATCHER=re|re2|hyperscan); CI runs the default.
PASS_ENV = {k: os.environ[k] for k in ("CHECK_SECRETS_MATCHER", "XDG_CACHE_HOME") if k in os.environ}


def cli(*args: str, cwd: Path) -> CliResult:
    return run_cli("check-secrets", *args, cwd=cwd, env=PASS_ENV)


def scan(tree: Path, *args: str, cwd: Path | None = None) -> CliResult:
    result = cli("scan", *args, cwd=cwd or tree)
    check_clean_output(result)
    return result


def check_clean_output(result: CliResult) -> None:
    assert_no_leak(result.output, LEAKS, where="check-secrets output")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]


def one_line_error(result: CliResult) -> str:
    check_clean_output(result)
    assert result.returncode == 2, (result.returncode, result.stdout[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("check-secrets: error: ")
    return lines[0]


def report(result: CliResult) -> dict[str, Any]:
    assert result.stdout.startswith("{"), result.stderr[-1000:]  # stderr was checked for leaks already
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def ours(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings of the configuration's acme rules (built-in rules may add others)."""
    return [f for f in data["findings"] if f["rule"].startswith("acme-")]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / ".check-secrets.toml").write_text(CONFIG)
    (root / "README.md").write_text("# demo\n\nNothing to see.\n")
    (root / "src" / "pkg" / "__init__.py").write_text("VERSION = '1.0'\n")
    return root


def plant(root: Path, rel: str, value: str, *, line: int = 3) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"# filler line {i}\n" for i in range(1, line)) + f"client = Client(key='{value}')\n"
    path.write_text(body)


def test_clean_tree_exits_zero(tree: Path) -> None:
    result = scan(tree)
    assert result.returncode == 0, result.output
    assert "no findings" in result.stdout


def test_secret_is_reported_in_text_with_exit_one(tree: Path) -> None:
    plant(tree, "src/pkg/client.py", acme_key(), line=4)
    result = scan(tree)
    assert result.returncode == 1, result.output
    lines = result.stdout.splitlines()
    # The rule's secret group starts after "acme_": column 27 of "client = Client(key='acme_...
    assert any(line.startswith("src/pkg/client.py:4:27: error [acme-api-key] ACME API key") for line in lines)
    assert any(line.startswith("    secret: ") and line.endswith("…****") for line in lines)  # redacted
    assert "    fix:    Revoke it in the ACME console and issue a new one." in lines
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    coloured = scan(tree, "--color")
    assert "\x1b[1;31merror\x1b[0m" in coloured.stdout


def test_json_report_matches_the_schema(tree: Path) -> None:
    plant(tree, "src/pkg/client.py", acme_key())
    plant(tree, "deploy/settings.py", acme_test_key(), line=2)
    result = scan(tree, "--format", "json")
    assert result.returncode == 1
    data = report(result)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(data)
    found = {(f["rule"], f["path"], f["line"], f["severity"]) for f in ours(data)}
    assert found == {
        ("acme-api-key", "src/pkg/client.py", 3, "error"),
        ("acme-test-key", "deploy/settings.py", 2, "warning"),
    }
    assert data["stats"]["files_scanned"] >= 4


def test_sarif_report_to_a_file_is_valid(tree: Path) -> None:
    plant(tree, "src/pkg/client.py", acme_key())
    out = tree.parent / "report.sarif"
    result = scan(tree, "--format", "sarif", "--output", str(out))
    assert result.returncode == 1
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert_no_leak(text, LEAKS, where="SARIF file")
    data = json.loads(text)
    schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(data)
    run = data["runs"][0]
    (result_item,) = [r for r in run["results"] if r["ruleId"] == "acme-api-key"]
    location = result_item["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "src/pkg/client.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 3
    rule = run["tool"]["driver"]["rules"][result_item["ruleIndex"]]
    assert rule["id"] == "acme-api-key" and rule["helpUri"] == "https://docs.acme.example/api-keys"


def test_baseline_survives_a_line_move_and_catches_a_new_secret(tree: Path) -> None:
    old = acme_key()
    plant(tree, "src/pkg/client.py", old, line=3)
    baseline = tree.parent / "baseline.json"
    created = cli("baseline", "create", "-o", str(baseline), cwd=tree)
    check_clean_output(created)
    assert created.returncode == 0, created.output
    content = baseline.read_text(encoding="utf-8")
    assert_no_leak(content, [*LEAKS, old[:9]], where="baseline file")
    entries = json.loads(content)["findings"]
    assert {(e["rule"], e["path"], e["line"]) for e in entries if e["rule"] == "acme-api-key"} == {
        ("acme-api-key", "src/pkg/client.py", 3)
    }

    accepted = scan(tree, "--baseline", str(baseline), "--format", "json")
    assert accepted.returncode == 0, accepted.output
    assert report(accepted)["stats"]["findings_baselined"] >= 1

    plant(tree, "src/pkg/client.py", old, line=30)  # the same secret, moved down 27 lines
    moved = scan(tree, "--baseline", str(baseline), "--format", "json")
    assert moved.returncode == 0, moved.output
    assert ours(report(moved)) == []

    plant(tree, "src/pkg/other.py", acme_key(), line=5)
    new = scan(tree, "--baseline", str(baseline), "--format", "json")
    assert new.returncode == 1
    assert [(f["path"], f["line"]) for f in ours(report(new))] == [("src/pkg/other.py", 5)]

    client = tree / "src" / "pkg" / "client.py"
    client.write_text(client.read_text() + f"backup = Client(key='{acme_key()}')\n")  # beside the old one
    same_file = scan(tree, "--baseline", str(baseline), "--format", "json")
    assert [(f["path"], f["line"]) for f in ours(report(same_file))] == [
        ("src/pkg/client.py", 31),
        ("src/pkg/other.py", 5),
    ]


def test_configuration_turns_rules_off_and_the_command_line_back_on(tree: Path) -> None:
    plant(tree, "src/pkg/client.py", acme_key())
    config = tree / ".check-secrets.toml"
    config.write_text('disable = ["acme-api-key"]\n' + CONFIG)
    off = scan(tree, "--format", "json")
    assert ours(report(off)) == []
    on = scan(tree, "--format", "json", "--enable", "acme-api-key")
    assert [f["rule"] for f in report(on)["findings"]] == ["acme-api-key"]  # --enable: only this rule
    assert on.returncode == 1
    alt = tree.parent / "alt.toml"
    assert scan(tree, "--config", str(alt)).returncode == 2  # the explicit config file does not exist
    alt.write_text(CONFIG)
    explicit = scan(tree, "--format", "json", "--config", str(alt))  # replaces the root's file: rule is on
    assert [f["rule"] for f in ours(report(explicit))] == ["acme-api-key"]
    cli_off = scan(tree, "--format", "json", "--disable", "acme-api-key", "--config", str(alt))
    assert ours(report(cli_off)) == []
    assert cli_off.returncode == 0


def test_pyproject_table_is_read_when_there_is_no_dedicated_file(tree: Path) -> None:
    (tree / ".check-secrets.toml").unlink()
    table = CONFIG.replace("[[rules]]", "[[tool.check-secrets.rules]]").replace(
        'exclude = [".check-secrets.toml"]', '[tool.check-secrets]\nexclude = ["pyproject.toml"]'
    )
    (tree / "pyproject.toml").write_text('[project]\nname = "demo"\n\n' + table)
    plant(tree, "src/pkg/client.py", acme_key())
    result = scan(tree, "--format", "json")
    assert [f["path"] for f in ours(report(result))] == ["src/pkg/client.py"]


def test_path_and_value_allowlists(tree: Path) -> None:
    kept, allowed_value = acme_key(), "acme_" + "0" * 24 + secrets.token_hex(4)
    LEAKS.append(allowed_value)
    plant(tree, "src/pkg/client.py", kept)
    plant(tree, "tests/fixtures/sample.py", acme_key())
    plant(tree, "src/pkg/sandbox.py", allowed_value)
    (tree / ".check-secrets.toml").write_text(
        'allow-paths = ["tests/fixtures/**"]\nallow-values = ["^0{24}"]\n' + CONFIG
    )
    data = report(scan(tree, "--format", "json"))
    assert [f["path"] for f in ours(data)] == ["src/pkg/client.py"]


def test_inline_allow_comment_is_counted_as_suppressed(tree: Path) -> None:
    (tree / "src" / "pkg" / "demo.py").write_text(f"KEY = '{acme_key()}'  # check-secrets: allow\n")
    result = scan(tree, "--format", "json")
    assert result.returncode == 0
    assert report(result)["stats"]["findings_suppressed"] == 1


def test_fail_on_warning(tree: Path) -> None:
    plant(tree, "deploy/settings.py", acme_test_key())
    default = scan(tree, "--format", "json", "--enable", "acme-test-key")
    assert default.returncode == 0
    assert [f["severity"] for f in report(default)["findings"]] == ["warning"]
    strict = scan(tree, "--enable", "acme-test-key", "--fail-on", "warning")
    assert strict.returncode == 1
    (tree / ".check-secrets.toml").write_text('fail-on = "warning"\n' + CONFIG)
    assert scan(tree, "--enable", "acme-test-key").returncode == 1
    assert scan(tree, "--enable", "acme-test-key", "--fail-on", "error").returncode == 0


def test_shards_partition_the_tree(tree: Path) -> None:
    for index in range(24):
        plant(tree, f"src/mod{index:02d}/file{index}.py", acme_key(), line=1 + index % 5)

    def paths(*args: str) -> list[str]:
        result = scan(tree, "--format", "json", "--enable", "acme-api-key", *args)
        assert result.returncode in (0, 1), result.output
        return [f["path"] for f in report(result)["findings"]]

    whole = paths()
    assert len(whole) == 24
    parts = [paths("--shard", f"{k}/3") for k in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == sorted(whole)  # union = whole, no duplicates
    assert all(parts), "each shard got some files"
    assert paths("--shard", "2/3") == parts[1]  # deterministic


@pytest.mark.parametrize(
    "args",
    [
        ["--shard", "0/3"],
        ["--shard", "4/3"],
        ["--shard", "x"],
        ["--shard", "1/0"],
        ["--jobs", "-1"],
        ["--max-file-size", "big"],
        ["--format", "xml"],
        ["--fail-on", "fatal"],
        ["--disable", "no-such-rule"],
        ["--baseline", "missing-baseline.json"],
        ["does-not-exist/"],
        ["--config", "nope.toml"],
        ["--exclude", "!"],
        ["--schema", "not_a_spec"],
        ["--schema", "no_such_module_xyz:Settings"],
    ],
    ids=lambda a: "_".join(a).replace("/", "-"),
)
def test_bad_input_is_a_one_line_usage_error(tree: Path, args: list[str]) -> None:
    one_line_error(scan(tree, *args))


def test_baseline_without_a_command_is_a_usage_error(tree: Path) -> None:
    assert "baseline needs a command" in one_line_error(cli("baseline", cwd=tree))
    assert "--output" in one_line_error(cli("baseline", "create", cwd=tree))  # the baseline file is required


def test_bad_configuration_and_baseline_files_name_the_file(tree: Path) -> None:
    (tree / ".check-secrets.toml").write_text("allow-values = ['(']\n" + CONFIG)
    message = one_line_error(scan(tree))
    assert ".check-secrets.toml" in message and "allow-values[0]" in message
    (tree / ".check-secrets.toml").write_text(CONFIG)
    bad = tree.parent / "bad-baseline.json"
    bad.write_text('{"format": "something-else"}')
    message = one_line_error(scan(tree, "--baseline", str(bad)))
    assert "bad-baseline.json" in message


def test_exclude_gitignore_and_max_file_size(tree: Path) -> None:
    plant(tree, "vendor/lib.py", acme_key())
    plant(tree, "build/out.py", acme_key())
    plant(tree, "data/big.txt", acme_key())
    filler = "filler line\n" * 10_000
    (tree / "data" / "huge.txt").write_text(filler + acme_key() + "\n" + filler)
    with (tree / "data" / "big.txt").open("a") as handle:
        handle.write("x" * 200_000 + "\n")
    (tree / ".gitignore").write_text("build/\n")

    def found(*args: str) -> set[str]:
        return {f["path"] for f in ours(report(scan(tree, "--format", "json", *args)))}

    assert found() == {"vendor/lib.py", "data/big.txt", "data/huge.txt"}
    assert found("--exclude", "vendor/**") == {"data/big.txt", "data/huge.txt"}
    assert found("--no-ignore") == {"vendor/lib.py", "build/out.py", "data/big.txt", "data/huge.txt"}
    # Over the limit only the first and last 50k are read: the key on big.txt's first line is found, the one
    # in the middle of huge.txt is not.
    assert found("--max-file-size", "100k") == {"vendor/lib.py", "data/big.txt"}


def test_what_exclude_leaves_out_is_counted_never_a_bare_no_findings(tree: Path) -> None:
    plant(tree, "vendor/lib.py", acme_key())
    plant(tree, "vendor/deep/more.py", acme_key())
    plant(tree, "src/pkg/app.min.js", acme_key())

    def stats(*args: str) -> dict[str, Any]:
        data = report(scan(tree, "--format", "json", *args))["stats"]
        assert isinstance(data, dict)
        return data

    # the configuration's own exclude: .check-secrets.toml, one path
    assert stats()["paths_excluded"] == 1
    # a folder counts once (what it holds is never listed); a glob matching files counts each
    assert stats("--exclude", "vendor/", "--exclude", "*.min.js")["paths_excluded"] == 3
    # a named file left out by exclude (the pre-commit hook names the staged files) is counted too
    named = scan(tree, "--exclude", "*.min.js", "src/pkg/app.min.js")
    assert named.returncode == 0
    summary = named.stdout.strip().splitlines()[-1]
    assert summary.startswith("check-secrets: no findings (0 files scanned in ")
    assert summary.endswith(" s, 1 excluded by exclude globs)")
    # a repository's configuration that leaves everything out: the summary says what was not read
    (tree / ".check-secrets.toml").write_text(CONFIG.replace('[".check-secrets.toml"]', '["*"]'))
    everything = scan(tree)
    assert everything.returncode == 0
    summary = everything.stdout.strip().splitlines()[-1]
    assert summary.startswith("check-secrets: no findings (0 files scanned in ")
    assert summary.endswith(", 4 excluded by exclude globs)")  # .check-secrets.toml, README.md, src/, vendor/
    # check-secrets' own baseline inside the tree is left out without being counted
    (tree / ".check-secrets.toml").write_text(CONFIG)
    baseline = tree / "secrets.baseline.json"
    created = cli("baseline", "create", "-o", str(baseline), cwd=tree)
    assert created.returncode == 0, created.stderr
    assert baseline.is_file()
    assert stats("--baseline", str(baseline))["paths_excluded"] == 1


def test_root_is_the_single_directory_or_the_current_directory(tree: Path) -> None:
    plant(tree, "src/pkg/client.py", acme_key())
    from_parent = cli(
        "scan",
        "--format",
        "json",
        "--config",
        str(tree / ".check-secrets.toml"),
        "project",
        cwd=tree.parent,
    )
    check_clean_output(from_parent)
    assert [f["path"] for f in ours(report(from_parent))] == ["src/pkg/client.py"]
    two_paths = scan(tree, "--format", "json", "src/pkg/client.py", "README.md")
    assert [f["path"] for f in ours(report(two_paths))] == ["src/pkg/client.py"]
    normalised = scan(tree, "--format", "json", "src/../src/pkg/client.py", "README.md")
    assert [f["path"] for f in ours(report(normalised))] == ["src/pkg/client.py"]
    (tree.parent / "outside.py").write_text("x = 1\n")
    assert "outside the current directory" in one_line_error(scan(tree, "../outside.py"))
    inside = scan(tree, "--format", "json", "src")
    assert [f["path"] for f in ours(report(inside))] == []  # root = src, where no config defines acme rules


def test_rules_command_lists_builtin_and_extra_rules(tree: Path) -> None:
    table = cli("rules", cwd=tree)
    assert table.returncode == 0, table.output
    assert table.stdout.splitlines()[0].split() == ["ID", "SEVERITY", "CONFIDENCE", "NAME"]
    assert any(line.split()[:2] == ["acme-test-key", "warning"] for line in table.stdout.splitlines())
    listing = cli("rules", "--format", "json", cwd=tree)
    rules = {r["id"]: r for r in json.loads(listing.stdout)["rules"]}
    assert rules["acme-api-key"]["remediation"].startswith("Revoke it")
    assert len(rules) > 2, "built-in rules are listed too"


def test_builtin_rule_end_to_end(tmp_path: Path) -> None:
    token = "ghp" + "_" + secrets.token_hex(18)[:36]
    LEAKS.append(token)
    (tmp_path / "deploy.sh").write_text(f"export GITHUB_TOKEN={token}\n")
    result = scan(tmp_path, "--format", "json")
    assert result.returncode == 1, result.output
    assert any(f["path"] == "deploy.sh" and f["line"] == 1 for f in report(result)["findings"])


def test_unexpected_exceptions_become_one_line_errors_without_their_message() -> None:
    import argparse

    from autoaudit_secrets._cli._scan_output import guarded
    from autoaudit_secrets._errors import ScanError

    value = acme_key()

    def broken(args: argparse.Namespace) -> int:
        raise ValueError(f"could not parse {value}")

    def unreadable(args: argparse.Namespace) -> int:
        raise PermissionError(13, "Permission denied", "src/app.py")

    with pytest.raises(ScanError) as info:
        guarded(broken)(argparse.Namespace())
    assert str(info.value) == "internal error (ValueError); set CHECK_SECRETS_DEBUG=1 for a traceback"
    with pytest.raises(ScanError, match=r"^src/app\.py: Permission denied$"):
        guarded(unreadable)(argparse.Namespace())


SCHEMA_MODULE = """\
from pydantic import SecretStr

from autoaudit_secrets.settings import SecretSettings


class Settings(SecretSettings):
    billing_handle: SecretStr
    log_level: str = "info"
"""


def test_schema_makes_its_secret_fields_secret_names(tmp_path: Path) -> None:
    (tmp_path / "appsettings.py").write_text(SCHEMA_MODULE)
    value = "Xk29" + secrets.token_hex(8)  # no token rule knows it; no heuristic calls the name secret
    LEAKS.append(value)
    (tmp_path / ".env").write_text(f"BILLING_HANDLE={value}\nLOG_LEVEL=debug\n")
    plain = scan(tmp_path, "--format", "json")
    assert plain.returncode == 0 and report(plain)["findings"] == []
    schema = scan(tmp_path, "--format", "json", "--schema", "appsettings:Settings")
    assert schema.returncode == 1
    assert [(f["path"], f["line"]) for f in report(schema)["findings"]] == [(".env", 1)]
    (tmp_path / ".check-secrets.toml").write_text('schema = "appsettings:Settings"\n')
    from_config = scan(tmp_path, "--format", "json", "--trust-config")
    assert [(f["path"], f["line"]) for f in report(from_config)["findings"]] == [(".env", 1)]
    rule = report(from_config)["findings"][0]["rule"]
    # An analyzer's check id is a valid rule id for the configuration and the command line.
    (tmp_path / ".check-secrets.toml").write_text(f'schema = "appsettings:Settings"\ndisable = ["{rule}"]\n')
    assert scan(tmp_path, "--trust-config").returncode == 0
    assert scan(tmp_path, "--trust-config", "--enable", rule).returncode == 1


def test_colour_by_default_only_on_a_terminal(tree: Path) -> None:
    import pty
    import subprocess

    plant(tree, "src/pkg/client.py", acme_key())

    def on_terminal(*args: str, extra_env: dict[str, str] | None = None) -> str:
        leader, follower = pty.openpty()
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.environ.get("HOME", "/"),
            **PASS_ENV,
            **(extra_env or {}),
        }
        try:
            proc = subprocess.run(
                [str(Path(sys.executable).parent / "check-secrets"), "scan", *args],
                cwd=tree,
                stdout=follower,
                stderr=subprocess.PIPE,
                env=env,
                timeout=120,
                check=False,
            )
            os.close(follower)
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            os.close(leader)
        assert proc.returncode == 1, proc.stderr
        text = b"".join(chunks).decode("utf-8", "replace")
        assert_no_leak(text, LEAKS, where="terminal output")
        return text

    assert "\x1b[1;31merror\x1b[0m" in on_terminal()
    assert "\x1b[" not in on_terminal("--no-color")
    assert "\x1b[" not in on_terminal(extra_env={"NO_COLOR": "1"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1048576", 1048576),
        ("512k", 512 * 1024),
        ("10M", 10 * 1024**2),
        ("1GiB", 1024**3),
        ("2 mb", 2 * 1024**2),
    ],
)
def test_size_argument(text: str, expected: int) -> None:
    from autoaudit_secrets._cli._scan_output import parse_size

    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "0", "-5", "10X", "k", "1.5M"])
def test_bad_size_argument(text: str) -> None:
    import argparse

    from autoaudit_secrets._cli._scan_output import parse_size

    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


@pytest.mark.parametrize(("text", "expected"), [("1/1", (1, 1)), ("2/3", (2, 3)), (" 3/3 ", (3, 3))])
def test_shard_argument(text: str, expected: tuple[int, int]) -> None:
    from autoaudit_secrets._cli._scan_output import parse_shard

    assert parse_shard(text) == expected
