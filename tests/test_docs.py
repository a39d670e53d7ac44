"""The user documentation stays true to the repository and to the real command-line tools.

- every relative link (and ``#anchor``) in README.md and docs/**/*.md resolves;
- every ``autoaudit-secrets ...`` / ``check-secrets ...`` command written in a code block or an inline code
  span uses a subcommand and options that exist, judged by the ``--help`` output of the installed console
  scripts (real subprocesses);
- docs/index.md links every page of docs/;
- the README's quick start starts with ``make demo`` and ``make test``, both Makefile targets.

The checker functions are also run on small synthetic documents with a broken link, an unknown subcommand, an
unknown option and a missing anchor, so a checker that silently accepts everything fails here.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli

DOCS_DIR = REPO_ROOT / "docs"
README = REPO_ROOT / "README.md"
INDEX = DOCS_DIR / "index.md"
PROGRAMS = ("autoaudit-secrets", "check-secrets")


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [README, *sorted(DOCS_DIR.rglob("*.md"))]


def _rel(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


# --------------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Markdown:
    """A Markdown file split into fenced code blocks and the prose around them."""

    path: Path
    prose: list[tuple[int, str]]  # (line number, line) outside fenced blocks
    blocks: list[tuple[int, str]]  # (line number of the first content line, block text)


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def parse_markdown(path: Path, text: str | None = None) -> Markdown:
    """Split ``text`` (default: the file's content) into prose lines and fenced code blocks."""
    source = path.read_text(encoding="utf-8") if text is None else text
    prose: list[tuple[int, str]] = []
    blocks: list[tuple[int, str]] = []
    fence: str | None = None
    current: list[str] = []
    start = 0
    for number, line in enumerate(source.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence, current, start = match.group(1), [], number + 1
            else:
                prose.append((number, line))
        elif (
            match
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not line.strip().strip(fence[0])
        ):
            blocks.append((start, "\n".join(current)))
            fence = None
        else:
            current.append(line)
    if fence is not None:  # an unclosed fence runs to the end of the file
        blocks.append((start, "\n".join(current)))
    return Markdown(path, prose, blocks)


# ----------------------------------------------------------------------------------------------------- links

_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"""<a\s+[^>]*(?:id|name)\s*=\s*["']([^"']+)["']""")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link syntax and punctuation dropped, lower case, spaces to ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a Markdown file: heading slugs (with GitHub's ``-1``, ``-2`` for duplicates) and
    explicit ``<a id=...>`` anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in parse_markdown(path).prose:
        heading = _HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(2))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        found.update(_HTML_ANCHOR.findall(line))
    return found


def links(doc: Markdown) -> list[tuple[int, str]]:
    """(line, target) of every link in the prose; inline code spans are not links."""
    result: list[tuple[int, str]] = []
    for number, line in doc.prose:
        text = _INLINE_CODE.sub("", line)
        for pattern in (_INLINE_LINK, _REFERENCE_DEF, _HTML_LINK):
            result.extend((number, target) for target in pattern.findall(text))
    return result


def broken_links(doc: Markdown) -> list[str]:
    """A description of each relative link of ``doc`` whose file (or ``#anchor`` of a Markdown file) is
    missing."""
    problems: list[str] = []
    for number, target in links(doc):
        if _SCHEME.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (doc.path.parent / path_part).resolve() if path_part else doc.path
        where = f"{_rel(doc.path)}:{number}: {target}"
        if not resolved.exists():
            problems.append(f"{where}: no such file or folder")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{where}: no heading with anchor #{anchor} in {_rel(resolved)}")
    return problems


# ------------------------------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class HelpInfo:
    """What ``PROGRAM [SUBCOMMAND...] --help`` says: its subcommands and its options."""

    subcommands: frozenset[str]
    options: frozenset[str]


_SUBCOMMAND_LINE = re.compile(r"^ {4}([a-z][a-z0-9-]*)(?: {2,}|$)")
_OPTION_LINE = re.compile(r"^\s+(-\S.*?)(?:\s{2,}|$)")


def parse_help(text: str) -> HelpInfo:
    """Read argparse help output: subcommands are listed under the ``COMMAND`` metavar line, options are the
    lines of the option sections that start with ``-``."""
    subcommands: set[str] = set()
    options: set[str] = set()
    in_commands = False
    for line in text.splitlines():
        if line.strip() == "COMMAND":
            in_commands = True
            continue
        if in_commands:
            if not line.strip() or not line.startswith("  "):
                in_commands = False
            else:
                match = _SUBCOMMAND_LINE.match(line)
                if match:
                    subcommands.add(match.group(1))
                continue
        option = _OPTION_LINE.match(line)
        if option:
            for item in option.group(1).split(", "):
                name = item.split(" ")[0].split("=")[0]
                if name.startswith("-") and name != "--":
                    options.add(name)
    return HelpInfo(frozenset(subcommands), frozenset(options))


@functools.cache
def cli_help(program: str, path: tuple[str, ...]) -> HelpInfo | None:
    """Help of the real console script; ``None`` when ``program path... --help`` fails (no such command)."""
    result = run_cli(program, *path, "--help", env={"COLUMNS": "120", "NO_COLOR": "1"}, timeout=60)
    if result.returncode != 0:
        return None
    return parse_help(result.stdout)


# Not after a quote (`"autoaudit-secrets key id v1"` is a string naming the program) nor after `=`
# (`SKIP=check-secrets`).
_INVOCATION = re.compile(r"""(?<![\w./@$'"=-])(autoaudit-secrets|check-secrets)(?=[ \t])(.*)$""")
_WORD = re.compile(r"^[a-z][a-z0-9-]*$")
# A shell/YAML/TOML comment in a code block is prose: a program named there is not a command.
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_SHELL_STOP = re.compile(r"\|\||&&|[|;]|\s#|\$\(|`")


def command_lines(doc: Markdown) -> list[tuple[int, str]]:
    """(line, text) of the code in ``doc``: lines of fenced blocks (backslash continuations joined, comments
    dropped) and inline code spans of the prose."""
    result: list[tuple[int, str]] = []
    for start, block in doc.blocks:
        pending = ""
        # In a transcript (``$ command`` lines and what they print) only the ``$`` lines are commands: the
        # output may name a program in prose ("autoaudit-secrets can encrypt .env values").
        transcript = any(line.startswith("$ ") for line in block.splitlines())
        for offset, line in enumerate(block.splitlines()):
            if transcript and not pending and not line.startswith("$ "):
                continue
            if line.rstrip().endswith("\\") and not line.rstrip().endswith("\\\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            result.append((start + offset, _COMMENT.sub("", pending + line)))
            pending = ""
        if pending:
            result.append((start + len(block.splitlines()) - 1, _COMMENT.sub("", pending)))
    for number, line in doc.prose:
        result.extend((number, span) for _, span in _INLINE_CODE.findall(line))
    return result


def invocations(text: str) -> list[tuple[str, list[str]]]:
    """``(program, tokens)`` for each of our programs invoked in ``text``; the tokens end at a shell
    separator, a comment, or a ``--`` (what follows belongs to the child command of ``run``)."""
    found: list[tuple[str, list[str]]] = []
    text = text.replace("\\|", "|")
    for match in _INVOCATION.finditer(text):
        rest = _SHELL_STOP.split(match.group(2), maxsplit=1)[0]
        tokens: list[str] = []
        for token in rest.split():
            if token == "--":
                break
            tokens.append(token)
        found.append((match.group(1), tokens))
    return found


def _clean_option(token: str) -> str:
    token = token.lstrip("[(").rstrip("]),.:;`'\"")
    return token.split("=", 1)[0]


def command_problems(program: str, tokens: list[str]) -> list[str]:
    """What is wrong with ``program tokens...``: an unknown subcommand or an option its subcommand lacks.
    Text that does not look like a subcommand (``(staged``, ``<id>``, ``...``) is not an invocation."""
    path: list[str] = []
    info = cli_help(program, ())
    assert info is not None, f"{program} --help failed"
    rest = list(tokens)
    while info.subcommands and rest:
        word = rest[0]
        if word.startswith("-"):
            break
        if not _WORD.match(word):
            return [] if not path else [f"{program} {' '.join(path)}: {word!r} is not a subcommand"]
        if word not in info.subcommands:
            return [f"{program}: no subcommand {' '.join([*path, word])!r}"]
        path.append(word)
        rest.pop(0)
        sub = cli_help(program, tuple(path))
        if sub is None:
            return [f"{program} {' '.join(path)} --help failed"]
        info = sub
    if not path and info.subcommands:
        rest = [token for token in rest if token.startswith("-")]  # only top-level options like --help
    problems = []
    for token in rest:
        if not token.lstrip("[(").startswith("-"):
            continue
        option = _clean_option(token)
        if option in {"-", "--", "---"} or not re.match(r"^--?[A-Za-z]", option):
            continue
        if option not in info.options:
            problems.append(f"{' '.join([program, *path])}: no option {option}")
    return problems


def doc_command_problems(doc: Markdown) -> list[str]:
    problems: list[str] = []
    for number, line in command_lines(doc):
        for program, tokens in invocations(line):
            problems.extend(f"{_rel(doc.path)}:{number}: {p}" for p in command_problems(program, tokens))
    return problems


# ---------------------------------------------------------------------------------------------------- tests

DOCS = doc_files()
DOC_IDS = [_rel(path) for path in DOCS]


def test_the_documentation_is_there() -> None:
    names = {path.name for path in DOCS}
    for required in ("README.md", "index.md", "getting-started.md", "migrating.md", "settings.md", "keys.md"):
        assert required in names


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_relative_links_resolve(path: Path) -> None:
    problems = broken_links(parse_markdown(path))
    assert not problems, "broken links:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_commands_use_existing_subcommands_and_options(path: Path) -> None:
    problems = doc_command_problems(parse_markdown(path))
    assert not problems, "commands that the CLIs do not accept:\n" + "\n".join(problems)


def test_index_links_every_page() -> None:
    index = parse_markdown(INDEX)
    linked = {
        (INDEX.parent / target.partition("#")[0]).resolve()
        for _, target in links(index)
        if not _SCHEME.match(target) and target.partition("#")[0]
    }
    missing = [
        _rel(page)
        for page in sorted(DOCS_DIR.rglob("*.md"))
        if page != INDEX and page.resolve() not in linked
    ]
    assert not missing, f"docs/index.md does not link: {missing}"


def test_readme_quick_start_is_make_demo_then_make_test() -> None:
    readme = parse_markdown(README)
    first_block = readme.blocks[0][1]
    commands = [
        line.split("#", 1)[0].strip() for line in first_block.splitlines() if line.split("#", 1)[0].strip()
    ]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"Makefile has no target {target!r}"


def test_every_page_mentions_commands_the_check_sees() -> None:
    """The command check is not vacuous: it finds invocations of both programs across the docs, including
    nested ones (``check-secrets baseline create``) and options."""
    seen: set[tuple[str, ...]] = set()
    for path in DOCS:
        for _, line in command_lines(parse_markdown(path)):
            for program, tokens in invocations(line):
                seen.add((program, *tokens[:2]))
    programs = {entry[0] for entry in seen}
    assert programs == set(PROGRAMS)
    assert ("check-secrets", "baseline", "create") in seen
    assert any(entry[:2] == ("autoaudit-secrets", "run") for entry in seen)
    assert any(len(entry) > 2 and entry[2].startswith("--") for entry in seen)


# ------------------------------------------------------------------------- the checkers can fail


def _doc(tmp_path: Path, text: str, name: str = "page.md") -> Markdown:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_markdown(path)


def test_a_missing_file_or_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Real section\n", encoding="utf-8")
    doc = _doc(
        tmp_path,
        "# Page\n\n[ok](other.md) [ok too](other.md#real-section) [self](#page) [web](https://example.org/x)\n"
        "[gone](missing.md) [bad anchor](other.md#no-such-section) [bad self](#nowhere)\n"
        "`[not a link](missing-too.md)`\n\n```\n[in code](missing-three.md)\n```\n",
    )
    problems = broken_links(doc)
    assert len(problems) == 3, problems
    assert any("missing.md: no such file" in p for p in problems)
    assert any("#no-such-section" in p for p in problems)
    assert any("#nowhere" in p for p in problems)


def test_github_slugs() -> None:
    assert github_slug("Rotation: a team's procedure") == "rotation-a-teams-procedure"
    assert github_slug("`.env` quoting rules") == "env-quoting-rules"
    assert (
        github_slug("From pydantic-settings and python-dotenv") == "from-pydantic-settings-and-python-dotenv"
    )
    assert github_slug("A [link](x.md) — here") == "a-link--here"


def test_unknown_subcommands_and_options_are_reported(tmp_path: Path) -> None:
    doc = _doc(
        tmp_path,
        "Run `check-secrets scna .` or `check-secrets scan --formatt json`.\n\n"
        "```console\n"
        "check-secrets scan --format sarif --output r.sarif   # fine\n"
        "check-secrets baseline create -o b.json --colour\n"
        "check-secrets baseline destroy\n"
        "autoaudit-secrets run --env-file .env -- app --not-ours\n"
        "autoaudit-secrets set NAME --in-place\n"
        "autoaudit-secrets decrypt \\\n  --inplace\n"
        "- id: check-secrets\n"
        "name: check-secrets (staged changes)\n"
        "```\n",
    )
    problems = doc_command_problems(doc)
    expected = [
        "no subcommand 'scna'",
        "check-secrets scan: no option --formatt",
        "check-secrets baseline create: no option --colour",
        "no subcommand 'baseline destroy'",
        "autoaudit-secrets set: no option --in-place",
        "autoaudit-secrets decrypt: no option --inplace",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_parse_help_reads_subcommands_and_options() -> None:
    top = cli_help("check-secrets", ())
    assert top is not None
    assert {"scan", "git", "baseline", "rules"} <= top.subcommands
    scan = cli_help("check-secrets", ("scan",))
    assert scan is not None and {"--format", "-o", "--output", "--no-color", "-j"} <= scan.options
    assert not scan.subcommands
    assert cli_help("check-secrets", ("no-such-command",)) is None


_SCRIPT = re.compile(r"(?<![\w/.-])((?:benchmarks|examples)/[\w./-]+\.py)\b")


def test_scripts_shown_in_code_exist_and_answer_help() -> None:
    """``benchmarks/...py`` and ``examples/...py`` commands of the docs name real scripts, and the benchmarks
    answer ``--help`` (the README sends readers there for the options)."""
    scripts: set[str] = set()
    for path in DOCS:
        for _, text in parse_markdown(path).blocks:
            scripts.update(_SCRIPT.findall(text))
    assert "benchmarks/bench_settings.py" in scripts
    for script in sorted(scripts):
        target = REPO_ROOT / script
        assert target.is_file(), f"{script} is shown in the docs but does not exist"
        if script.startswith("benchmarks/"):
            proc = subprocess.run(
                [sys.executable, str(target), "--help"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert proc.returncode == 0, f"{script} --help exited {proc.returncode}"
            assert "usage:" in proc.stdout


_LANG_BLOCK = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def lang_blocks(path: Path, *languages: str) -> list[tuple[int, str, str]]:
    """(line, language, body) of the fenced blocks of ``path`` tagged with one of ``languages``."""
    text = path.read_text(encoding="utf-8")
    return [
        (text[: match.start()].count("\n") + 1, match.group(1), match.group(2))
        for match in _LANG_BLOCK.finditer(text)
        if match.group(1) in languages
    ]


@pytest.mark.parametrize("path", DOCS, ids=DOC_IDS)
def test_toml_yaml_and_json_examples_parse(path: Path) -> None:
    import json
    import tomllib

    import yaml

    problems = []
    for line, language, body in lang_blocks(path, "toml", "yaml", "yml", "json"):
        try:
            if language == "toml":
                tomllib.loads(body)
            elif language == "json":
                json.loads(body)
            else:
                list(yaml.safe_load_all(body))
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(f"{_rel(path)}:{line}: {language} block does not parse ({type(exc).__name__})")
    assert not problems, "\n".join(problems)


# The pages this test file's author maintains; the configuration check below runs their [tool.check-secrets]
# examples through the real loader.
OWN_PAGES = [README, INDEX, DOCS_DIR / "getting-started.md", DOCS_DIR / "migrating.md"]


def test_check_secrets_configuration_examples_are_accepted(tmp_path: Path) -> None:
    """Each ``[tool.check-secrets]`` example, saved as a project's pyproject.toml, is accepted by the real
    ``check-secrets``: its extra rules are listed, and a scan of that project (the file itself) is clean."""
    import tomllib

    examples = [
        (f"{_rel(path)}:{line}", body)
        for path in OWN_PAGES
        for line, _, body in lang_blocks(path, "toml")
        if "[tool.check-secrets]" in body
    ]
    assert examples, "no [tool.check-secrets] example found (the migration notes have one)"
    for number, (where, body) in enumerate(examples):
        project = tmp_path / f"example-{number}"
        project.mkdir()
        (project / "pyproject.toml").write_text(body, encoding="utf-8")
        extra_ids = [rule["id"] for rule in tomllib.loads(body)["tool"]["check-secrets"].get("rules", [])]
        listed = run_cli("check-secrets", "rules", "--config", "pyproject.toml", cwd=project)
        assert listed.returncode == 0, f"{where}: {listed.stderr}"
        for rule_id in extra_ids:
            assert re.search(rf"^{re.escape(rule_id)}\s", listed.stdout, re.MULTILINE), f"{where}: {rule_id}"
        scanned = run_cli("check-secrets", "scan", "--no-color", ".", cwd=project)
        assert scanned.returncode == 0, f"{where}: {scanned.output}"


def test_python_examples_load_and_fail_without_showing_values(tmp_path: Path) -> None:
    """The loader examples of README, getting started and the migration notes run as written: they load from
    the environment, and a too-short JWT_SECRET (where the example asks for a minimum length) stops them with
    an error naming JWT_SECRET and not showing the value."""
    import os
    import secrets

    from tests.conftest import assert_no_leak

    blocks = [
        (f"{_rel(path)}:{line}", body)
        for path in OWN_PAGES
        for line, _, body in lang_blocks(path, "python")
        if "autoaudit_secrets" in body
    ]
    assert len(blocks) >= 3, blocks
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "DATABASE_", "AUTOAUDIT_"))}
    good = {
        "JWT_SECRET": secrets.token_urlsafe(40),
        "DATABASE_URL": f"postgresql://app:{secrets.token_hex(12)}@db/app",
    }
    short = secrets.token_hex(5)
    for number, (where, body) in enumerate(blocks):
        script = tmp_path / f"example_{number}.py"
        script.write_text(body, encoding="utf-8")
        run = functools.partial(
            subprocess.run,
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        ok = run(env={**base, **good, "CI": "true"})
        assert ok.returncode == 0, f"{where}: exit {ok.returncode}: {ok.stderr[-400:]}"
        if "min_length" in body:
            bad = run(env={**base, **good, "JWT_SECRET": short, "CI": "true"})
            assert bad.returncode != 0, where
            assert "JWT_SECRET" in bad.stderr, where
            assert_no_leak(bad.stdout + bad.stderr, [short, good["DATABASE_URL"]], where=where)
