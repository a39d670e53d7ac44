"""The ``url-query-secret`` rule: a token, API key or secret in a URL's query string (``?access_token=…``),
which the assignment rules do not see (no quotes around the value, ``=`` inside a string). Real temp trees
scanned by the real scanner; values built at run time (this file is scanned too)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import random_chars

_ALNUM = string.ascii_letters + string.digits


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "vk.go",
            'req, _ := http.NewRequest("GET", "https://api.vk.com/method/users.get?v=5&access_token={v}")\n',
        ),
        ("client.py", 'URL = "https://api.acme.io/v1/items?limit=10&api_key={v}&page=2"\n'),
        ("deploy.sh", "curl -s 'https://auth.acme.io/token?client_id=app&client_secret={v}'\n"),
        ("notify.ts", "await fetch(`https://hooks.acme.io/notify?token={v}`);\n"),
        ("README.md", "Call `GET https://api.acme.io/v1/me?access_token={v}` to check.\n"),
    ],
)
def test_a_random_token_in_a_url_query_is_reported(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text.format(v=random_chars(_ALNUM, 32)), encoding="utf-8")
    assert _scan(tmp_path) == [(name, 1, "url-query-secret")]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        # public by design or sent to every visitor: a page's URLs, a documentation host's
        ("page.html", '<script src="https://cdn.acme.io/js/widget.js?apikey={v}"></script>\n'),
        ("saved.html", "<html><script>fetch('https://o1.ingest.acme.io/api/6/store/?sentry_key={v}')\n"),
        (
            "base.html",
            '<!DOCTYPE html>\n<script>fetch("https:\\u002F\\u002Fo1.acme.io\\u002Fstore?sentry_key={v}")\n',
        ),
        ("guide.md", "![setup](https://storage.acme.io/o/setup.png?alt=media&token={v})\n"),
        ("client.py", 'URL = "https://api.example.com/v1/items?api_key={v}"\n'),
        # not the secret kinds: a page's, a forgery guard's
        ("client.py", 'URL = "https://api.acme.io/v1/items?next_token={v}"\n'),
        ("client.py", 'URL = "https://acme.io/reset?csrf_token={v}"\n'),
    ],
)
def test_a_url_a_browser_loads_or_a_documentation_host_s_or_a_page_token_is_quiet(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text.format(v=random_chars(_ALNUM, 32)), encoding="utf-8")
    assert _scan(tmp_path) == []


@pytest.mark.parametrize(
    "value",
    ["{api_key}", "${API_KEY}", '" + api_key + "', "YOUR_API_KEY", "%s", "<your-api-key>"],
)
def test_a_reference_or_a_placeholder_in_the_query_is_quiet(tmp_path: Path, value: str) -> None:
    (tmp_path / "client.py").write_text(f'URL = "https://api.acme.io/v1/items?api_key={value}"\n')
    assert _scan(tmp_path) == []


def test_a_file_that_only_mentions_a_page_s_markup_is_still_judged(tmp_path: Path) -> None:
    """Only an HTML document (from its first line) is a saved web page: a module whose docstring shows a
    ``<script>`` tag keeps its hard-coded URL's token reported."""
    token = random_chars(_ALNUM, 32)
    (tmp_path / "embed.py").write_text(
        f'"""Renders <script src="/widget.js"></script> into the page."""\n'
        f'API = "https://api.acme.io/v1/render?access_token={token}"\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("embed.py", 2, "url-query-secret")]
