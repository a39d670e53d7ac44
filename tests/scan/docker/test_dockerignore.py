"""``.dockerignore`` semantics, checked against Docker's documented behaviour (docs.docker.com, "Build
context": .dockerignore files) and its pattern matcher's rules (the path *or a parent* must match; the last
match wins)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoaudit_secrets.scan.analyzers.docker._dockerignore import (
    DockerIgnore,
    clean_pattern,
    find_ignore_file,
    load_dockerignore,
    parse_dockerignore,
)

# (case id, .dockerignore text, path, excluded?)
TABLE: list[tuple[str, str, str, bool]] = [
    # The documentation's example file.
    ("doc-one-level", "*/temp*", "somedir/temporary.txt", True),
    ("doc-one-level-dir", "*/temp*", "somedir/temp/x.txt", True),
    ("doc-one-level-not-root", "*/temp*", "temporary.txt", False),
    ("doc-one-level-not-deeper", "*/temp*", "a/b/temporary.txt", False),
    ("doc-two-levels", "*/*/temp*", "somedir/subdir/temporary.txt", True),
    ("doc-two-levels-not-one", "*/*/temp*", "somedir/temporary.txt", False),
    ("doc-question-mark", "temp?", "tempa", True),
    ("doc-question-mark-one-char", "temp?", "tempab", False),
    ("doc-doublestar-go", "**/*.go", "a/b/c/main.go", True),
    ("doc-doublestar-root", "**/*.go", "main.go", True),
    ("doc-readme-reinclude", "*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
    ("doc-readme-reinclude-other", "*.md\n!README*.md\nREADME-secret.md", "README-public.md", False),
    ("doc-readme-other-md", "*.md\n!README*.md\nREADME-secret.md", "CHANGES.md", True),
    ("doc-last-match-wins", "*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),
    # Not gitignore: a slash-less name is anchored at the context root.
    ("root-only-dotenv", ".env", ".env", True),
    ("root-only-dotenv-nested", ".env", "config/.env", False),
    ("any-depth-dotenv", "**/.env", "config/deep/.env", True),
    ("any-depth-dotenv-root", "**/.env", ".env", True),
    ("star-no-slash-cross", "*.env", "config/prod.env", False),
    # Cleaning: leading slash and ./ stripped, trailing slash dropped, .. resolved.
    ("leading-slash", "/secrets", "secrets/db.txt", True),
    ("dot-slash", "./secrets/", "secrets/db.txt", True),
    ("dotdot", "a/../secrets", "secrets/x", True),
    ("double-slash", "secrets//x", "secrets/x", True),
    # A folder excludes what is under it; a re-include brings one file back.
    ("dir-excludes-content", "node_modules", "node_modules/a/b.js", True),
    ("reinclude-in-excluded-dir", "config\n!config/app.yaml", "config/app.yaml", False),
    ("reinclude-others-stay-out", "config\n!config/app.yaml", "config/.env", True),
    ("exclude-all-then-reinclude", "**\n!src/\n!pyproject.toml", "src/app/main.py", False),
    ("exclude-all-env-stays-out", "**\n!src/\n!pyproject.toml", ".env", True),
    ("exclude-all-gitignored", "**\n!src/\n!pyproject.toml", "src/.env", False),
    ("reinclude-then-exclude", "!keep\nkeep", "keep", True),
    # The allowlist docs/docker.md recommends.
    (
        "our-allowlist-env",
        "**\n!pyproject.toml\n!src/\n**/__pycache__\n**/.env*\n",
        "src/app/.env.local",
        True,
    ),
    ("our-allowlist-src", "**\n!pyproject.toml\n!src/\n**/__pycache__\n**/.env*\n", "src/app/main.py", False),
    (
        "our-allowlist-cache",
        "**\n!pyproject.toml\n!src/\n**/__pycache__\n**/.env*\n",
        "src/__pycache__/a.pyc",
        True,
    ),
    # Comments, blank lines, whitespace, BOM.
    ("comment", "# .env\n", ".env", False),
    ("indented-hash-is-a-pattern", "  #x", "#x", True),
    ("whitespace-trimmed", "   .env   \n", ".env", True),
    ("bom", "\ufeff.env\n", ".env", True),
    # Classes and escapes (Go filepath.Match).
    ("class", "[abc].txt", "b.txt", True),
    ("class-negated", "[^abc].txt", "b.txt", False),
    ("class-range", "id_[a-z]*", "id_rsa", True),
    ("escape", "\\*.txt", "*.txt", True),
    ("escape-literal-only", "\\*.txt", "a.txt", False),
    ("dot-is-literal", "a.b", "axb", False),
    ("doublestar-mid", "a/**/b", "a/b", True),
    ("doublestar-mid-deep", "a/**/b", "a/x/y/b", True),
    ("doublestar-suffix", "secrets/**", "secrets/a/b", True),
    ("empty-file", "", ".env", False),
]


@pytest.mark.parametrize(("ignore", "path", "excluded"), [c[1:] for c in TABLE], ids=[c[0] for c in TABLE])
def test_semantics(ignore: str, path: str, excluded: bool) -> None:
    assert DockerIgnore.from_text(ignore).excludes(path) is excluded


def test_parse_normalises() -> None:
    text = "# comment\n\n /a/b/ \n! ./c\n!/d\n*.pyc\n"
    assert parse_dockerignore(text) == ["a/b", "!c", "!d", "*.pyc"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("", "."), ("./", "."), ("a//b/", "a/b"), ("a/./b/../c", "a/c"), ("/../a", "/a"), ("../a", "../a")],
)
def test_clean_like_go(raw: str, clean: str) -> None:
    assert clean_pattern(raw) == clean


def test_malformed_pattern_is_ignored_not_fatal() -> None:
    ignore = DockerIgnore.from_text("[unclosed\n.env\n")
    assert ignore.excludes(".env")
    assert not ignore.excludes("[unclosed")


def test_per_dockerfile_ignore_file_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    dockerfile = tmp_path / "docker" / "api.Dockerfile"
    dockerfile.write_text("FROM a\n")
    (tmp_path / ".dockerignore").write_text(".env\n")
    assert find_ignore_file(tmp_path, dockerfile) == tmp_path / ".dockerignore"
    assert load_dockerignore(tmp_path, dockerfile).excludes(".env")
    (tmp_path / "docker" / "api.Dockerfile.dockerignore").write_text("*.log\n")
    assert find_ignore_file(tmp_path, dockerfile) == tmp_path / "docker" / "api.Dockerfile.dockerignore"
    specific = load_dockerignore(tmp_path, dockerfile)
    assert specific.excludes("x.log")
    assert not specific.excludes(".env")  # the context's .dockerignore no longer applies


def test_no_ignore_file(tmp_path: Path) -> None:
    assert find_ignore_file(tmp_path, None) is None
    assert not load_dockerignore(tmp_path).excludes(".env")
