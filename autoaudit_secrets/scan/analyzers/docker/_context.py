"""What a ``docker build`` would send into the image: the build-context check.

For every Dockerfile under the scanned root — with its own directory as context, plus every context a compose
file
names for it (``build.context`` / ``build.dockerfile``) — the analyzer applies the build's ignore file with
Docker's semantics (:mod:`._dockerignore`), resolves the sources of each ``COPY``/``ADD`` against the context
(``COPY --from`` copies nothing from it), and reports each copied file that is sensitive by name and shape, or
that holds a secret. Files that git ignores are included on purpose: a gitignored ``.env`` is exactly the file
that
leaks this way. Findings sit on the leaking file; ``related`` names the Dockerfile line that copies it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ...._redact import MASK, redact_preview
from ...._safe_read import read_bytes, read_text
from ..._model import AnalysisContext, Finding, Severity
from ...sources._tree import walk_topdown
from .._sensitive_files import classify_sensitive_file
from ._dockerfile import Dockerfile, Instruction, is_dockerfile_path, parse_dockerfile
from ._dockerfile_checks import (
    CONTEXT_FILE_WITH_SECRET,
    CONTEXT_SECRET_FILE,
    allowed_instruction_lines,
    copy_source_secret_reason,
    detect_in,
    is_inside,
    is_secret_variable,
)
from ._dockerignore import DockerIgnore, load_dockerignore

__all__ = ["Build", "BuildContextAnalyzer", "discover_builds", "files_sent"]

# Folders never searched for Dockerfiles/compose files (vendored code, tool caches).
_SKIP_DISCOVERY = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".hg",
        ".svn",
    }
)
_COMPOSE_NAME = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$")
_MAX_TEXT = 1024 * 1024  # content of larger files is not scanned (their names still are)
_MAX_FILES = 200_000


@dataclass(frozen=True, slots=True)
class Build:
    """One build: a Dockerfile (file on disk, or inline text from compose) and its context folder."""

    dockerfile: Path
    context: Path
    origin: str  # "dockerfile" or the compose file that names this build
    inline: str | None = None


def _walk_discovery(root: Path) -> Iterator[Path]:
    """Candidate Dockerfiles and compose files (a cheap name test first: this walks the whole tree)."""
    for dirpath, dirnames, filenames in walk_topdown(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DISCOVERY)
        for name in sorted(filenames):
            lower = name.lower()
            if "dockerfile" in lower or "containerfile" in lower or "compose" in lower:
                yield Path(dirpath) / name


def discover_builds(root: Path) -> list[Build]:
    """Every Dockerfile under ``root`` with its folder as context, plus the builds that compose files and
    GitHub Actions workflows (``docker/build-push-action``, ``docker build`` in ``run``) declare."""
    builds: list[Build] = []
    compose_files: list[Path] = []
    for path in _walk_discovery(root):
        if path.is_symlink():
            continue
        rel = path.relative_to(root).as_posix()
        if is_dockerfile_path(rel):
            builds.append(Build(path, path.parent, "dockerfile"))
        elif _COMPOSE_NAME.match(path.name):
            compose_files.append(path)
    for compose in compose_files:
        builds.extend(_compose_builds(root, compose))
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        for workflow in sorted(workflows.iterdir()):
            if workflow.suffix in (".yml", ".yaml") and workflow.is_file() and not workflow.is_symlink():
                builds.extend(_workflow_builds(root, workflow))
    seen: set[tuple[Path, Path, str | None]] = set()
    unique: list[Build] = []
    for build in builds:
        key = (build.dockerfile.resolve(), build.context.resolve(), build.inline)
        if key not in seen:
            seen.add(key)
            unique.append(build)
    return unique


def _load_yaml(path: Path) -> object:
    """The YAML document in ``path``, or ``None`` when it cannot be read or parsed (no findings then)."""
    import yaml  # lazy: only when a compose file or workflow exists

    text = read_text(path)
    if text is None:
        return None
    try:  # libyaml's safe loader where PyYAML has it (its wheels do): several times faster
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return None


def _compose_builds(root: Path, compose: Path) -> list[Build]:
    """The ``build:`` sections of one compose file (context, dockerfile, dockerfile_inline)."""
    data = _load_yaml(compose)
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return []
    out: list[Build] = []
    base = compose.parent
    rel_compose = compose.relative_to(root).as_posix()
    for service in services.values():
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            context_s, dockerfile_s, inline = build, "Dockerfile", None
        elif isinstance(build, dict):
            context_s = str(build.get("context", "."))
            dockerfile_s = str(build.get("dockerfile", "Dockerfile"))
            inline_v = build.get("dockerfile_inline")
            inline = inline_v if isinstance(inline_v, str) else None
        else:
            continue
        if "://" in context_s or context_s.startswith("git@") or "$" in context_s:
            continue
        context = (base / context_s).resolve()
        if not context.is_dir() or not is_inside(context, root):
            continue
        dockerfile = (context / dockerfile_s).resolve()
        if inline is None and (not dockerfile.is_file() or not is_inside(dockerfile, root)):
            continue
        out.append(Build(dockerfile, context, rel_compose, inline))
    return out


_DOCKER_BUILD = re.compile(r"\b(?:docker|podman)\s+(?:buildx\s+)?build\b(?P<args>[^\n;&|]*)")
# Options of `docker build` that take a value (the context is the one positional argument).
_VALUE_OPTIONS = frozenset(
    {
        "-f",
        "--file",
        "-t",
        "--tag",
        "--build-arg",
        "--target",
        "--platform",
        "--secret",
        "--ssh",
        "--label",
        "--cache-from",
        "--cache-to",
        "--network",
        "--progress",
        "-o",
        "--output",
        "--iidfile",
        "--build-context",
        "--add-host",
        "--shm-size",
        "--ulimit",
        "--metadata-file",
        "--builder",
        "--attest",
        "--annotation",
        "--allow",
        "--cgroup-parent",
        "--secret-file",
        "-m",
        "--memory",
        "--isolation",
    }
)


def _workflow_builds(root: Path, workflow: Path) -> list[Build]:
    """Builds a GitHub Actions workflow runs from the checked-out tree: ``docker/build-push-action`` with a
    path ``context`` (its default Git context holds committed files only), and ``docker build`` commands in
    ``run``."""
    data = _load_yaml(workflow)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return []
    origin = workflow.relative_to(root).as_posix()
    out: list[Build] = []
    for job in jobs.values():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            uses, with_ = step.get("uses"), step.get("with")
            if (
                isinstance(uses, str)
                and uses.startswith("docker/build-push-action")
                and isinstance(with_, dict)
            ):
                context = with_.get("context")
                if isinstance(context, str) and "${{" not in context and "://" not in context:
                    file = with_.get("file")
                    dockerfile = (
                        str(file) if isinstance(file, str) and "${{" not in file else f"{context}/Dockerfile"
                    )
                    out.extend(_path_build(root, context, dockerfile, origin))
            run = step.get("run")
            if isinstance(run, str):
                for m in _DOCKER_BUILD.finditer(run.replace("\\\n", " ")):
                    out.extend(_cli_build(root, m.group("args"), origin))
    return out


def _cli_build(root: Path, args: str, origin: str) -> list[Build]:
    import shlex

    try:
        words = shlex.split(args)
    except ValueError:
        return []
    dockerfile: str | None = None
    positional: list[str] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word in ("-f", "--file") and index + 1 < len(words):
            dockerfile = words[index + 1]
            skip = True
        elif word.startswith("--file="):
            dockerfile = word.split("=", 1)[1]
        elif word in _VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            positional.append(word)
    if len(positional) != 1 or "$" in positional[0] or "://" in positional[0] or positional[0] == "-":
        return []
    context = positional[0]
    if dockerfile is None:
        dockerfile = f"{context}/Dockerfile"
    elif "$" in dockerfile:
        return []
    return _path_build(root, context, dockerfile, origin)


def _path_build(root: Path, context: str, dockerfile: str, origin: str) -> list[Build]:
    """Paths relative to the repository root (the workflow's working directory)."""
    context_dir = (root / context).resolve()
    dockerfile_path = (root / dockerfile).resolve()
    if not context_dir.is_dir() or not is_inside(context_dir, root):
        return []
    if not dockerfile_path.is_file() or not is_inside(dockerfile_path, root):
        return []
    return [Build(dockerfile_path, context_dir, origin)]


def files_sent(context: Path, ignore: DockerIgnore) -> list[str]:
    """Files of ``context`` (``/``-separated, relative to it) that the builder receives: the ignore
    file applied, symlinks left out (Docker sends the link, not its target), ``.git`` reduced to
    ``.git/config``."""
    sent: list[str] = []
    prune_ok = not ignore.has_reincludes
    for dirpath, dirnames, filenames in walk_topdown(context):
        base = Path(dirpath)
        rel_dir = base.relative_to(context).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        kept_dirs: list[str] = []
        for d in sorted(dirnames):
            rel = prefix + d
            if (base / d).is_symlink():
                continue
            if d == ".git":
                if (base / d / "config").is_file() and not ignore.excludes(rel + "/config"):
                    sent.append(rel + "/config")
                continue
            if prune_ok and ignore.excludes(rel):
                continue
            kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            rel = prefix + name
            if (base / name).is_symlink() or ignore.excludes(rel):
                continue
            sent.append(rel)
            if len(sent) >= _MAX_FILES:
                return sent
    return sent


def _normalise_source(source: str) -> str:
    rel = source.replace("\\", "/").lstrip("/")
    while rel.startswith("./"):
        rel = rel[2:]
    rel = rel.rstrip("/")
    return "" if rel in ("", ".") else rel


def _has_glob(path: str) -> bool:
    return any(ch in path for ch in "*?[")


def _selects(source: str, rel: str) -> bool:
    """Does a COPY source (glob per segment, Go ``filepath.Match``) select context file ``rel`` — the file
    itself
    or a folder holding it?"""
    if not source:
        return True
    src_parts = source.split("/")
    parts = rel.split("/")
    if len(parts) < len(src_parts):
        return False
    return all(fnmatch.fnmatchcase(p, s) for p, s in zip(parts, src_parts, strict=False))


def _copies(dockerfile: Dockerfile) -> Iterator[tuple[Instruction, list[str], DockerIgnore | None]]:
    """Context COPY/ADD instructions with their normalised sources (and a ``--exclude`` matcher)."""
    for ins in dockerfile.instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        words = ins.words()
        if len(words) < 2:
            continue
        sources: list[str] = []
        for word, _ in words[:-1]:
            if word.startswith("<<") or "$" in word:
                continue
            if ins.keyword == "ADD" and (
                re.match(r"^[a-z][a-z0-9+.-]*://", word, re.I) or word.startswith("git@")
            ):
                continue
            sources.append(_normalise_source(word))
        excludes = [f.value for f in ins.flags if f.name == "exclude"]
        if sources:
            yield ins, sources, DockerIgnore(excludes) if excludes else None


def _read(path: Path) -> str | None:
    data = read_bytes(path, _MAX_TEXT)  # None for a FIFO or device: never blocks
    if data is None:
        return None
    if b"\0" in data[:8192]:
        return None
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<k>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<v>.*?)\s*$")


def _env_secret_line(text: str, ctx: AnalysisContext) -> int | None:
    """First line of a .env text that assigns a non-placeholder value to a secret-named key."""
    for number, line in enumerate(text.splitlines(), start=1):
        m = _ENV_LINE.match(line)
        if not m:
            continue
        value = m.group("v")
        if value[:1] in ("'", '"'):
            value = value[1:].split(value[0], 1)[0]
        else:
            value = value.split(" #", 1)[0].strip()
        if value and is_secret_variable(m.group("k"), ctx) and not ctx.is_placeholder(value):
            return number
    return None


@dataclass(frozen=True, slots=True)
class _Verdict:
    check_id: str
    line: int
    what: str
    secret: str = ""
    keep: int = 0  # characters its preview may show (the token rule's choice; none for a password)
    severity: Severity | None = None  # None: the check's own


def _judge(rel: str, path: Path, ctx: AnalysisContext) -> _Verdict | None:
    """Is this context file a leak when copied? Sensitive by name/shape first, then its content."""
    text = _read(path)
    name = PurePosixPath(rel).name
    if name == "config" and rel.endswith(".git/config"):
        matches = detect_in(ctx, text or "")
        if matches:
            m = matches[0]
            return _Verdict(
                CONTEXT_FILE_WITH_SECRET.id,
                (text or "").count("\n", 0, m.secret_start) + 1,
                "git config holding a credential",
                m.secret(text or ""),
                m.rule.preview_keep,
            )
        return None
    verdict = classify_sensitive_file(rel, text)
    if verdict is not None:
        return _Verdict(CONTEXT_SECRET_FILE.id, verdict.line, verdict.check.title)
    reason = copy_source_secret_reason(rel, text)
    if reason == "a .env file":
        line = _env_secret_line(text or "", ctx) if text is not None else 1
        matches = detect_in(ctx, text) if text else []
        if line is None and matches:
            line = text.count("\n", 0, matches[0].secret_start) + 1 if text else 1
        if line is not None:
            return _Verdict(CONTEXT_SECRET_FILE.id, line, "a .env file with secret values")
        return None
    if reason is not None:
        return _Verdict(CONTEXT_SECRET_FILE.id, 1, reason)
    if text:
        matches = detect_in(ctx, text, rel)  # (judged as the file scan judges it: source code is no config)
        if matches:
            m = matches[0]
            rules = ", ".join(sorted({x.rule.id for x in matches}))
            # as bad as the worst of what it holds: a password hash alone (a warning where it is) stays one
            worst = max((x.rule.severity for x in matches), key=lambda severity: severity.rank)
            return _Verdict(
                CONTEXT_FILE_WITH_SECRET.id,
                text.count("\n", 0, m.secret_start) + 1,
                f"a file holding a secret ({rules})",
                m.secret(text),
                m.rule.preview_keep,
                worst,
            )
    return None


def _rel_to_root(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


class BuildContextAnalyzer:
    """TreeAnalyzer: sensitive files and files holding secrets that ``COPY``/``ADD`` would put in an image."""

    id = "docker-build-context"

    def analyze_tree(self, root: Path, ctx: AnalysisContext) -> Iterator[Finding]:
        reported: set[tuple[str, str]] = set()
        verdicts: dict[Path, _Verdict | None] = {}
        for build in discover_builds(root):
            yield from self._analyze_build(root, build, ctx, reported, verdicts)

    def _analyze_build(
        self,
        root: Path,
        build: Build,
        ctx: AnalysisContext,
        reported: set[tuple[str, str]],
        verdicts: dict[Path, _Verdict | None],
    ) -> Iterator[Finding]:
        if build.inline is not None:
            text = build.inline
            where = build.origin
        else:
            read = read_text(build.dockerfile)
            if read is None:
                return
            text = read
            where = _rel_to_root(build.dockerfile, root) or build.dockerfile.name
        dockerfile = parse_dockerfile(text)
        allowed = allowed_instruction_lines(text)
        copies = [c for c in _copies(dockerfile) if c[0].line not in allowed]
        if not copies:
            return
        ignore = load_dockerignore(build.context, None if build.inline is not None else build.dockerfile)
        sent = files_sent(build.context, ignore)
        # Per leaking file, the instruction that matters most: the one in the latest stage (the final image).
        chosen: dict[tuple[str, str], tuple[Instruction, _Verdict]] = {}
        for ins, sources, excludes in copies:
            # Sources the Dockerfile check already reports by name (COPY .env, COPY .ssh): not again per file.
            named = [
                src for src in sources if src and not _has_glob(src) and copy_source_secret_reason(src, None)
            ]
            for rel in sent:
                if not any(_selects(src, rel) for src in sources):
                    continue
                if excludes is not None and excludes.excludes(rel):
                    continue
                if rel.endswith(".dockerignore"):
                    continue
                path = build.context / rel
                if path not in verdicts:
                    verdicts[path] = _judge(rel, path, ctx)
                verdict = verdicts[path]
                if verdict is None:
                    continue
                if verdict.check_id == CONTEXT_SECRET_FILE.id and any(_selects(src, rel) for src in named):
                    continue  # docker-copy-secret-file reports it on the COPY line
                relpath = _rel_to_root(path, root)
                if relpath is None or (relpath, verdict.check_id) in reported:
                    continue
                key = (relpath, verdict.check_id)
                if key not in chosen or ins.stage > chosen[key][0].stage:
                    chosen[key] = (ins, verdict)
        for (relpath, check_id), (ins, verdict) in chosen.items():
            reported.add((relpath, check_id))
            check = CONTEXT_SECRET_FILE if check_id == CONTEXT_SECRET_FILE.id else CONTEXT_FILE_WITH_SECRET
            related = f"{where}:{ins.line}"
            stage = ""
            if 0 <= ins.stage < len(dockerfile.stages) - 1:
                name = dockerfile.stages[ins.stage] or str(ins.stage)
                stage = f" in build stage {name} (kept in the build cache; COPY --from can carry it on)"
            yield Finding(
                rule_id=check.id,
                severity=verdict.severity or check.severity,
                path=relpath,
                line=verdict.line,
                column=1,
                end_line=verdict.line,
                end_column=1,
                message=(
                    f"{verdict.what} would be copied into the image by {ins.keyword} at {related}"
                    f"{stage}; .dockerignore does not exclude it"
                ),
                preview=redact_preview(verdict.secret, keep=verdict.keep) if verdict.secret else MASK,
                secret=verdict.secret,
                related=related,
            )
