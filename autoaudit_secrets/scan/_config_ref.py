"""The check-secrets configuration as of a git revision (``--config-ref REF``), and how two configurations
compare.

A pull request is checked out with its own ``.check-secrets.toml`` (or ``pyproject.toml``): read from the
working tree, the configuration is the pull request's, which can allow-list the very secret it adds. Read as
of the base revision (``git cat-file`` of ``REF:path``: never the working tree), it is the one the target
branch agreed on. The lookup is the same as on disk (:func:`._config.find_config_file`): at the scanned
root's place in the repository, ``.check-secrets.toml``, else a ``pyproject.toml`` with a
``[tool.check-secrets]`` table; nothing at REF means the defaults. An explicit ``--config FILE`` inside the
repository is read at REF too; one outside it is not part of the scanned tree and is read from disk.

git runs as in :mod:`.sources._git`: an argument list (no shell), the revision checked for a leading ``-``
and control characters and passed after ``--end-of-options``, no pager, prompt or external helper, messages
in English. Errors are one-line :class:`ConfigError` / :class:`UsageError`.

:func:`weakenings` says how one configuration scans less than another, in words that name keys and rule
ids and count globs and regexes, never quote them (an ``allow-values`` regex can be a secret value itself).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import ConfigError, UsageError
from ._config import (
    CONFIG_FILE_NAME,
    PYPROJECT_FILE_NAME,
    decode_input_text,
    has_config_table,
    parse_config_table,
    parse_config_text,
    printable,
    read_config_file,
)
from ._gitenv import git_env
from ._model import ScanConfig

if TYPE_CHECKING:
    from ._baseline import Baseline

__all__ = ["RevisionConfig", "load_baseline_at", "load_config_at", "weakenings"]

#: A configuration file larger than this at a revision is refused, not read into memory.
MAX_CONFIG_SIZE = 4 * 1024 * 1024

_GIT_CONFIG = ("-c", "core.quotePath=false")


@dataclass(frozen=True, slots=True)
class RevisionConfig:
    """The configuration read as of a revision: ``where`` is ``REF:path`` of the file used, or ``None`` when
    REF has none (the defaults)."""

    config: ScanConfig
    ref: str
    where: str | None


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *_GIT_CONFIG, *args],
            cwd=cwd,
            env=git_env(GIT_LITERAL_PATHSPECS="1"),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=120,
        )
    except FileNotFoundError:
        raise UsageError("--config-ref needs git, which is not installed (no 'git' on PATH)") from None
    except NotADirectoryError:
        raise UsageError(f"--config-ref: not a directory: {printable(str(cwd))}") from None
    except subprocess.TimeoutExpired:
        raise ConfigError("--config-ref: git did not answer within 120 s") from None


def _top_level(root: Path) -> Path:
    folder = root if root.is_dir() else root.parent
    proc = _git(folder, "rev-parse", "--show-toplevel")
    top = proc.stdout.decode("utf-8", "surrogateescape").strip()
    if proc.returncode != 0 or not top:
        raise UsageError(f"--config-ref needs a git repository: {printable(str(root))} is not in one")
    return Path(top)


def _verify(top: Path, ref: str, option: str) -> str:
    """The commit id REF names; a malformed or unknown REF is a one-line error naming ``option``."""
    if not ref or ref.startswith("-") or not ref.isprintable():
        raise UsageError(f"{option}: not a valid git revision: {printable(ref, 200)!r}")
    proc = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if proc.returncode != 0:
        hint = ""
        shallow = _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
        if shallow:
            hint = " (this is a shallow clone: fetch the history, e.g. actions/checkout with fetch-depth: 0)"
        raise ConfigError(f"{option}: unknown git revision: {printable(ref, 200)}{hint}")
    return proc.stdout.decode("ascii", "replace").strip()


def _read_blob(top: Path, commit: str, path: str, shown: str, what: str = "configuration") -> bytes | None:
    """The bytes of the regular file ``path`` (relative to the top folder, "/"-separated) in ``commit``;
    ``None`` when there is nothing at that path. A symbolic link, folder or submodule there is an error (a
    link's target is not read: on disk it would be followed, in a revision there is nothing to follow)."""
    proc = _git(top, "ls-tree", "-z", "-l", "--full-tree", "--end-of-options", commit, "--", path)
    if proc.returncode != 0:
        raise ConfigError(f"{shown}: cannot list it in the revision (git ls-tree failed)")
    for entry in proc.stdout.split(b"\0"):
        meta, tab, name = entry.partition(b"\t")
        if not tab or name.decode("utf-8", "surrogateescape") != path:
            continue
        fields = meta.split()
        if len(fields) != 4:
            raise ConfigError(f"{shown}: unexpected git ls-tree output")
        mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
        if kind == "tree":
            raise ConfigError(f"{shown}: {what} file is a directory")
        if kind != "blob" or mode not in ("100644", "100755"):
            raise ConfigError(f"{shown}: {what} file is not a regular file (a symbolic link or submodule)")
        if not size.isdigit() or int(size) > MAX_CONFIG_SIZE:
            raise ConfigError(f"{shown}: {what} file is larger than {MAX_CONFIG_SIZE // 1024 // 1024} MiB")
        blob = _git(top, "cat-file", "blob", oid)
        if blob.returncode != 0:
            raise ConfigError(f"{shown}: cannot read the file from the revision (git cat-file failed)")
        return blob.stdout
    return None


def _inside(path: Path, top: Path) -> str | None:
    """``path`` relative to ``top``, "/"-separated, or ``None`` when it lies outside."""
    absolute = Path(os.path.abspath(path))
    for base in (top, top.resolve()):
        for candidate in (absolute, absolute.parent.resolve() / absolute.name):
            try:
                rel = candidate.relative_to(base)
            except ValueError:
                continue
            return rel.as_posix() if rel.parts else ""
    return None


def load_config_at(
    root: Path,
    ref: str,
    config_file: Path | None = None,
    *,
    trust_schema: bool = False,
    option: str = "--config-ref",
) -> RevisionConfig:
    """The configuration for a scan of ``root`` as of the git revision ``ref``, never from the working tree.

    ``config_file`` (``--config FILE``) inside the repository is read at ``ref``, and must exist there; one
    outside the repository is read from disk. Otherwise the usual lookup runs at ``root``'s place in the
    repository at ``ref``; nothing there means the defaults. ``option`` names the option that gave ``ref``
    in error messages."""
    top = _top_level(root)
    commit = _verify(top, ref, option)
    shown_ref = printable(ref, 200)
    if config_file is not None:
        rel = _inside(config_file, top)
        if rel is None:
            table, source = read_config_file(config_file)  # not part of the repository
            config = parse_config_table(table, source, trust_schema=trust_schema)
            return RevisionConfig(config, ref, printable(str(config_file)))
        if not rel:
            raise UsageError(f"--config {printable(str(config_file))}: is the repository's top folder")
        where = f"{shown_ref}:{rel}"
        raw = _read_blob(top, commit, rel, printable(where))
        if raw is None:
            raise ConfigError(
                f"{printable(where)}: configuration file not found at {shown_ref} ({option} reads a --config "
                "file of the repository as of that revision)"
            )
        return _parsed(raw, where, ref, pyproject=Path(rel).name == PYPROJECT_FILE_NAME, trust=trust_schema)
    prefix = _inside(root if root.is_dir() else root.parent, top)
    if prefix is None:  # git said root is in this repository: only a path oddity gets here
        raise UsageError(f"--config-ref: cannot place {printable(str(root))} in its repository")
    for name in (CONFIG_FILE_NAME, PYPROJECT_FILE_NAME):
        rel = f"{prefix}/{name}" if prefix else name
        where = f"{shown_ref}:{rel}"
        raw = _read_blob(top, commit, rel, printable(where))
        if raw is None:
            continue
        pyproject = name == PYPROJECT_FILE_NAME
        if pyproject:
            try:
                has_table = has_config_table(raw.decode("utf-8").removeprefix("\ufeff"))
            except UnicodeDecodeError:
                has_table = True  # reported by _parsed
            if not has_table:
                continue
        return _parsed(raw, where, ref, pyproject=pyproject, trust=trust_schema)
    return RevisionConfig(ScanConfig(), ref, None)


def _parsed(raw: bytes, where: str, ref: str, *, pyproject: bool, trust: bool) -> RevisionConfig:
    shown = printable(where)
    text = decode_input_text(raw, shown, "configuration")
    table, source = parse_config_text(text, Path(where), pyproject=pyproject)
    return RevisionConfig(parse_config_table(table, source, trust_schema=trust), ref, shown)


def load_baseline_at(root: Path, ref: str, path: Path) -> tuple[Baseline | None, str]:
    """The baseline file ``path`` (``--baseline FILE``) as of ``ref`` when it lies inside the repository of
    ``root``, and how to name it (``REF:path``). ``(None, where)`` when ``ref`` has no such file: nothing is
    accepted (a pull request cannot add its own secret to the baseline). A file outside the repository is
    read from disk."""
    from ._baseline import load_baseline, parse_baseline

    top = _top_level(root)
    rel = _inside(path, top)
    if rel is None:
        return load_baseline(path), printable(str(path))
    where = printable(f"{ref}:{rel}")
    commit = _verify(top, ref, "--config-ref")
    raw = _read_blob(top, commit, rel, where, "baseline") if rel else None
    if raw is None:
        return None, where
    return parse_baseline(decode_input_text(raw, where, "baseline"), where), where


def weakenings(config: ScanConfig, reference: ScanConfig) -> list[str]:
    """How ``config`` scans less than ``reference``: short phrases ("allow-paths: 1 more glob", "disables
    generic-password") naming keys and rule ids, never a glob, regex or name. Empty when it is not weaker."""
    found: list[str] = []
    for key, mine, theirs, noun in (
        ("exclude", config.exclude, reference.exclude, "glob"),
        ("allow-paths", config.allow_paths, reference.allow_paths, "glob"),
        ("allow-values", config.allow_values, reference.allow_values, "regex"),
    ):
        added = len(set(mine) - set(theirs))
        if added:
            found.append(f"{key}: {_count(added, noun)} more")
    named = (
        set(config.disabled_rules)
        | set(reference.disabled_rules)
        | set(config.enabled_rules or ())
        | set(reference.enabled_rules or ())
        | {rule.id for rule in reference.extra_rules}
    )
    own = {rule.id: rule for rule in config.extra_rules}
    removed = {rule.id for rule in reference.extra_rules if rule.id not in own}
    stopped = sorted(_running(reference, named) - _running(config, named) - removed)
    if stopped:
        found.append("disables " + _ids(stopped))
    if config.enabled_rules is not None and reference.enabled_rules is None:
        found.append(f"enable: only {_count(len(config.enabled_rules), 'rule')} run")
    if removed:
        found.append("removes rule " + _ids(sorted(removed)))
    lowered = sorted(
        rule.id
        for rule in reference.extra_rules
        if rule.id in own and not own[rule.id].severity.at_least(rule.severity)
    )
    changed = sorted(
        rule.id
        for rule in reference.extra_rules
        if rule.id in own and own[rule.id] != rule and rule.id not in lowered
    )
    if lowered:
        found.append("lowers the severity of " + _ids(lowered))
    if changed:
        found.append("changes rule " + _ids(changed))
    if not reference.fail_on.at_least(config.fail_on):
        found.append(f"fail-on: {config.fail_on.value} instead of {reference.fail_on.value}")
    fewer = len(reference.secret_names - config.secret_names)
    if fewer:
        found.append(f"schema: {_count(fewer, 'secret name')} fewer")
    return found


def _running(config: ScanConfig, ids: set[str]) -> set[str]:
    """Which of ``ids`` ``config``'s ``disable`` and ``enable`` lists let run."""
    enabled = config.enabled_rules
    return {i for i in ids if i not in config.disabled_rules and (enabled is None or i in enabled)}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 'es' if noun.endswith('s') else 's'}"


def _ids(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(printable(i, 60) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
