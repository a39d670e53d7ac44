"""Credentials in a URL whose host is reserved for documentation (RFC 2606 and 6761: example.com, example.net,
example.org and their subdomains, any name under .test or .invalid; RFC 5737's TEST-NET addresses) are an
example: nothing there accepts them (FastAPI's README showed a Sentry DSN on sentry.example.com). The
same credentials for localhost, a private address or any other host stay reported, near-miss names
included. Credentials are random, made at run time; results name rules and lines only."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from tests.conftest import assert_no_leak, run_cli

DOC_HOSTS = [
    "sentry.example.com",
    "example.org:8443",
    "proxy.example.net",
    "db.internal.test",
    "host.invalid",
    "192.0.2.15",
    "203.0.113.7:9000",
]
REAL_HOSTS = [
    "localhost:9000",
    "127.0.0.1",
    "sentry.acme.io",
    "notexample.com",
    "git.acme.example",  # .example: where real hosts are anonymised to
    "example.com.acme.io",
    "example",
    "192.0.2.15.nip.io",
    "10.0.0.4",
]


def _findings(root: Path) -> tuple[int, list[tuple[str, int, str]], str]:
    result = run_cli("check-secrets", "scan", ".", "--format", "json", "--jobs", "1", cwd=root)
    report = json.loads(result.stdout)["findings"]
    return result.returncode, sorted((f["path"], f["line"], f["rule"]) for f in report), result.output


def _dsn(host: str) -> tuple[str, str]:
    """A Sentry-style URL (hex public key and secret key) and its password part."""
    password = secrets.token_hex(16)
    return f"https://{secrets.token_hex(16)}:{password}@{host}/30", password


def test_documentation_hosts_are_quiet_and_real_hosts_reported(tmp_path: Path) -> None:
    doc = [_dsn(host) for host in DOC_HOSTS]
    real = [_dsn(host) for host in REAL_HOSTS]
    readme = [f"* `sentry_dsn`: Key URL (DSN) of Sentry. E.g.: `{url}`." for url, _ in doc]
    (tmp_path / "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("".join(f"upstream {url}\n" for url, _ in doc), encoding="utf-8")
    (tmp_path / "deploy.txt").write_text("".join(f"upstream {url}\n" for url, _ in real), encoding="utf-8")
    code, found, output = _findings(tmp_path)
    assert code == 1
    assert found == [("deploy.txt", n, "url-credentials") for n in range(1, len(REAL_HOSTS) + 1)]
    assert_no_leak(output, [p for _, p in doc + real])
