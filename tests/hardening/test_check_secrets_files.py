"""check-secrets on special files it is given: FIFOs as --config/--baseline, symlinks as --output targets.

Every case is a real subprocess with a timeout: a FIFO read blocks forever, so a regression shows as a
timeout, not a hang of the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from autoaudit_secrets._atomic import atomic_write_text, write_target
from tests.conftest import CliResult, assert_no_leak, run_cli

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


def _cs(tmp: Path, *args: str, timeout: float = 30) -> CliResult:
    try:
        return run_cli("check-secrets", *args, cwd=tmp, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"check-secrets {args[0]} hung (no answer in {timeout}s)", pytrace=False)


def _github_token() -> str:
    return "ghp_" + secrets.token_hex(18)


def _one_line_error(result: CliResult) -> None:
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_fifo_given_as_config_or_baseline_is_refused_not_waited_on(tmp_path: Path, option: str) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    os.mkfifo(tmp_path / "pipe")
    result = _cs(tmp_path, "scan", option, "pipe", ".")
    _one_line_error(result)
    assert "pipe" in result.stderr and "not a regular file" in result.stderr


def test_fifo_given_as_rules_config_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    _one_line_error(_cs(tmp_path, "rules", "--config", "pipe"))


def test_fifo_named_pyproject_at_the_root_does_not_hang_the_scan(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pyproject.toml")
    (tmp_path / "a.txt").write_text("hello\n")
    result = _cs(tmp_path, "scan", "a.txt")
    assert result.returncode in (0, 2), result.output
    assert "Traceback" not in result.output


def test_directory_given_as_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = _cs(tmp_path, "scan", "--config", "d", ".")
    _one_line_error(result)
    assert "directory" in result.stderr


def test_report_output_symlink_is_written_through(tmp_path: Path) -> None:
    token = _github_token()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(f'TOKEN = "{token}"\n')
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "report.json").write_text("old\n")
    (tmp_path / "src" / "out.json").symlink_to(artifacts / "report.json")
    result = _cs(tmp_path, "scan", "src", "--format", "json", "--output", "src/out.json")
    assert result.returncode == 1, result.output
    assert (tmp_path / "src" / "out.json").is_symlink(), "the link was replaced by a regular file"
    report = json.loads((artifacts / "report.json").read_text())
    assert [f["rule"] for f in report["findings"]] == ["github-pat-classic"]
    assert_no_leak((artifacts / "report.json").read_text() + result.output, [token])


def test_baseline_output_symlink_is_written_through_and_reads_back(tmp_path: Path) -> None:
    token = _github_token()
    (tmp_path / "app.py").write_text(f'TOKEN = "{token}"\n')
    store = tmp_path / "store"
    store.mkdir()
    (tmp_path / "baseline.json").symlink_to(store / "real-baseline.json")  # dangling until written
    created = _cs(tmp_path, "baseline", "create", "app.py", "-o", "baseline.json")
    assert created.returncode == 0, created.output
    assert (tmp_path / "baseline.json").is_symlink()
    assert json.loads((store / "real-baseline.json").read_text())["format"] == "check-secrets-baseline"
    rescan = _cs(tmp_path, "scan", "app.py", "--baseline", "baseline.json")
    assert rescan.returncode == 0, rescan.output
    assert_no_leak((store / "real-baseline.json").read_text() + created.output + rescan.output, [token])


def test_atomic_write_through_a_chain_of_links_keeps_the_target_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    real.chmod(0o640)
    (tmp_path / "l1").symlink_to("real.txt")
    (tmp_path / "l2").symlink_to("l1")
    atomic_write_text(tmp_path / "l2", "new")
    assert (tmp_path / "l2").is_symlink() and (tmp_path / "l1").is_symlink()
    assert real.read_text() == "new"
    assert real.stat().st_mode & 0o777 == 0o640
    assert write_target(tmp_path / "l2") == real.resolve()


def test_atomic_write_on_a_symlink_loop_is_a_one_line_error(tmp_path: Path) -> None:
    from autoaudit_secrets._errors import AutoauditSecretsError

    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(AutoauditSecretsError) as info:
        atomic_write_text(tmp_path / "a", "x")
    assert "\n" not in str(info.value)
    assert (tmp_path / "a").is_symlink()


def test_report_output_into_a_symlink_loop_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "out").symlink_to("out2")
    (tmp_path / "out2").symlink_to("out")
    result = _cs(tmp_path, "scan", "a.txt", "--output", "out")
    _one_line_error(result)


_DETECT_SECRETS_BASELINE = {
    "version": "1.5.0",
    "plugins_used": [{"name": "AWSKeyDetector"}],
    "filters_used": [],
    "results": {},
    "generated_at": "2026-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (json.dumps(_DETECT_SECRETS_BASELINE), "detect-secrets"),
        (json.dumps([{"RuleID": "generic-api-key", "File": "a"}]), "gitleaks"),
        (json.dumps({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}), "SARIF"),
        (json.dumps({"version": 1, "tool": {"name": "check-secrets"}, "findings": []}), "JSON report"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "check-secrets-baseline", "version": 1, "findings": [', "invalid JSON"),
        ("\ufeff" + json.dumps({"format": "check-secrets-baseline", "version": 99}), "version 99"),
        ('"just a string"', "not an object"),
    ],
    ids=["detect-secrets", "gitleaks", "sarif", "json-report", "deep", "truncated", "bom-version", "string"],
)
def test_wrong_baseline_is_named_in_one_line(tmp_path: Path, document: str, expected: str) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / ".secrets.baseline").write_text(document, encoding="utf-8")
    result = _cs(tmp_path, "scan", "a.txt", "--baseline", ".secrets.baseline")
    _one_line_error(result)
    assert expected in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xef\xbb\xbfexclude = ['x']\n", None),
        (b"a = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "invalid TOML"),
        (b"exclude = \n", "invalid TOML"),
        (b"\xff\xfee\x00x\x00", "not UTF-8"),
        (b"exclude = 3\n", "exclude"),
        (b"[[rules]]\nid = 3\n", "rules"),
        (b"fail-on = 'fatal'\n", "fail-on"),
    ],
    ids=["bom", "deep", "truncated", "utf16", "wrong-type", "rule-id-type", "bad-severity"],
)
def test_malformed_config_is_one_line_or_accepted(
    tmp_path: Path, content: bytes, expected: str | None
) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / ".check-secrets.toml").write_bytes(content)
    result = _cs(tmp_path, "scan", ".")
    if expected is None:
        assert result.returncode == 0, result.output
        return
    _one_line_error(result)
    assert expected in result.stderr


def test_fifo_named_on_the_command_line_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.fifo")
    (tmp_path / "a.txt").write_text("hello\n")
    result = _cs(tmp_path, "scan", "a.txt", "p.fifo")
    _one_line_error(result)
    assert "p.fifo: not a regular file" in result.stderr


def test_fifo_dangling_link_and_link_loop_inside_the_tree_are_skipped(tmp_path: Path) -> None:
    token = _github_token()
    os.mkfifo(tmp_path / "p.fifo")
    (tmp_path / "dangling").symlink_to("nowhere")
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "dirloop").mkdir()
    (tmp_path / "dirloop" / "up").symlink_to("..")
    (tmp_path / "app.py").write_text(f'TOKEN = "{token}"\n')
    result = _cs(tmp_path, "scan", ".", "--format", "json")
    assert result.returncode == 1, result.output
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app.py"]
    assert_no_leak(result.output, [token])


def test_control_characters_in_config_keys_and_file_names_are_escaped_in_errors(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / ".check-secrets.toml").write_text('"\\n\\u001b[2Jboom" = 1\n')
    result = _cs(tmp_path, "scan", ".")
    _one_line_error(result)
    assert "\x1b" not in result.stderr and "boom" in result.stderr
    for option in ("--config", "--baseline"):
        result = _cs(tmp_path, "scan", "a.txt", option, "x\x1b]0;t\x07\ny")
        _one_line_error(result)
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_fifos_in_a_docker_build_context_do_not_hang_the_analyzers(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nCOPY . /app\nCOPY id_rsa /root/.ssh/id_rsa\n")
    for name in ("id_rsa", "notes.txt", "Dockerfile.dev", "docker-compose.yml", ".dockerignore"):
        os.mkfifo(tmp_path / name)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    os.mkfifo(tmp_path / ".github" / "workflows" / "ci.yml")
    for target in (".", "Dockerfile"):
        result = _cs(tmp_path, "scan", target, "--format", "json")
        assert result.returncode == 1, result.output
        rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
        assert "docker-copy-secret-file" in rules  # judged by its name, never read


def test_report_output_to_dev_stdout_goes_to_stdout(tmp_path: Path) -> None:
    # A regression here used to mean replacing the target with a file; /dev/stdout resolves into /proc,
    # where that fails harmlessly (the /dev/null case is covered with a FIFO below, never with the real one).
    (tmp_path / "a.txt").write_text("hello\n")
    result = _cs(tmp_path, "scan", "a.txt", "--format", "json", "--output", "/dev/stdout")
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout)["findings"] == []


def test_report_output_to_a_fifo_is_streamed_not_replaced(tmp_path: Path) -> None:
    import threading

    (tmp_path / "a.txt").write_text("hello\n")
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)  # like /dev/null -> a device: the link is followed, then streamed
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = _cs(tmp_path, "scan", "a.txt", "--format", "json", "--output", "link")
    reader.join(10)
    assert result.returncode == 0, result.output
    assert json.loads(received[0])["findings"] == []
    assert fifo.exists() and not fifo.is_file(), "the FIFO was replaced by a regular file"


def test_atomic_write_refuses_a_non_regular_target(tmp_path: Path) -> None:
    from autoaudit_secrets._errors import AutoauditSecretsError

    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "via-link").symlink_to("pipe")
    for name in ("pipe", "via-link"):
        with pytest.raises(AutoauditSecretsError, match="not a regular file"):
            atomic_write_text(tmp_path / name, "x")
    assert not (tmp_path / "pipe").is_file()
    result = _cs(tmp_path, "baseline", "create", "-o", "pipe")
    _one_line_error(result)


def test_schema_module_that_loads_its_settings_at_import_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "appsettings.py").write_text(
        "from autoaudit_secrets.settings import SecretSettings\n\n\n"
        "class AppSettings(SecretSettings):\n    api_token: str\n    db_password: str\n\n\n"
        "settings = AppSettings.load()\n"
    )
    result = _cs(tmp_path, "scan", "a.txt", "--schema", "appsettings:AppSettings")
    _one_line_error(result)
    assert "API_TOKEN" in result.stderr and "DB_PASSWORD" in result.stderr


def test_schema_from_the_config_file_failing_at_import_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / "appsettings.py").write_text(
        "from autoaudit_secrets.settings import SecretSettings\n\n\n"
        "class AppSettings(SecretSettings):\n    api_token: str\n    db_password: str\n\n\n"
        "settings = AppSettings.load()\n"
    )
    (tmp_path / ".check-secrets.toml").write_text('schema = ["appsettings:AppSettings"]\n')
    result = _cs(tmp_path, "scan", "a.txt", "--trust-config")
    _one_line_error(result)
    assert "DB_PASSWORD" in result.stderr


def test_rules_listing_escapes_a_configured_rules_name(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text(
        '[[rules]]\nid = "acme-key"\nname = "ACME \\u001b]0;pwn\\u0007\\u001b[2J"\ndescription = "d"\n'
        'remediation = "r"\npattern = \'acme_(?P<secret>[0-9a-f]{32})\'\nkeywords = ["acme_"]\n'
        'examples = ["acme_0123456789abcdef0123456789abcdef"]\n'
    )
    result = _cs(tmp_path, "rules", "--config", "cfg.toml")
    assert result.returncode == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("acme-key")]
    assert "ACME" in line and "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_baseline_create_never_overwrites_a_file_that_is_not_a_baseline(tmp_path: Path) -> None:
    token = _github_token()
    source = f'TOKEN = "{token}"\n'
    (tmp_path / "app.py").write_text(source)
    result = _cs(tmp_path, "baseline", "create", "app.py", "-o", "app.py")
    _one_line_error(result)
    assert "not a check-secrets baseline" in result.stderr
    assert (tmp_path / "app.py").read_text() == source
    assert_no_leak(result.output, [token])
    # An existing baseline, and an empty file, are replaced.
    assert _cs(tmp_path, "baseline", "create", "app.py", "-o", "base.json").returncode == 0
    assert _cs(tmp_path, "baseline", "create", "app.py", "-o", "base.json").returncode == 0
    (tmp_path / "empty.json").write_text("")
    assert _cs(tmp_path, "baseline", "create", "app.py", "-o", "empty.json").returncode == 0


def test_ten_thousand_tiny_files(tmp_path: Path) -> None:
    for index in range(10_000):
        folder = tmp_path / f"d{index // 500}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{index}.txt").write_text(f"x = {index}\n")
    result = _cs(tmp_path, "scan", ".", "--format", "json", timeout=120)
    assert result.returncode == 0, result.output
    assert json.loads(result.stdout)["stats"]["files_scanned"] == 10_000
