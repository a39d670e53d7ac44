"""Generate a synthetic git repository with a long history, for ``bench_git.py``.

The history is 10,000 commits (by default) of small, realistic changes — a few lines replaced, inserted or
deleted in one to three of a few hundred source, config and docs files, a file added or removed now and then,
a few merges of short-lived branches — plus a handful of planted secrets: some still in the tree, some deleted
again a few commits later (history only), one only on an unmerged branch. Everything is written through one
``git fast-import`` stream and repacked like a fresh clone, so generation takes seconds. The same seed
gives the same repository.

The planted tokens are random strings in public token *formats* (prefix, length, alphabet), assembled at run
time so this file holds no secret-shaped literal.

Usage: ``python benchmarks/gen_git_history.py [DEST] [--commits N] [--seed S]``
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DEST = Path(__file__).resolve().parent / ".work" / "history-10k"

_WORDS = [
    "account",
    "alpha",
    "amount",
    "audit",
    "batch",
    "bucket",
    "cache",
    "client",
    "config",
    "context",
    "cursor",
    "delta",
    "digest",
    "engine",
    "event",
    "filter",
    "handler",
    "index",
    "item",
    "job",
    "ledger",
    "limit",
    "loader",
    "mapping",
    "metric",
    "node",
    "offset",
    "order",
    "owner",
    "page",
    "payload",
    "policy",
    "queue",
    "record",
    "region",
    "report",
    "request",
    "result",
    "retry",
    "route",
    "schema",
    "session",
    "shard",
    "signal",
    "source",
    "state",
    "status",
    "stream",
    "target",
    "task",
    "tenant",
    "token_count",
    "total",
    "trace",
    "user",
    "value",
    "window",
    "worker",
]
_DIRS = ("src/core", "src/api", "src/jobs", "src/util", "tests", "docs", "config", "deploy", "scripts")
_EXT_BY_DIR = {
    "src/core": ".py",
    "src/api": ".py",
    "src/jobs": ".py",
    "src/util": ".py",
    "tests": ".py",
    "docs": ".md",
    "config": ".yaml",
    "deploy": ".yaml",
    "scripts": ".sh",
}


def _line(rng: random.Random, ext: str) -> str:
    a, b, c = rng.choice(_WORDS), rng.choice(_WORDS), rng.choice(_WORDS)
    n = rng.randrange(1000)
    if ext == ".py":
        return rng.choice(
            (
                f"    {a}_{b} = {c}.get({a!r}, {n})",
                f"    if {a} is not None and {b} > {n}:",
                f"        return {c}_{a}({b}, limit={n})",
                f"    # {a} {b}: keep the {c} in sync",
                f"def {a}_{b}({c}: int = {n}) -> int:",
                f"    log.debug('{a} %s {b}', {c})",
                f"    {a}.{b}.append({c}[{n % 10}])",
            )
        )
    if ext == ".yaml":
        return rng.choice(
            (f"{a}_{b}: {n}", f"  {a}: {c}-{n}", f"  - name: {a}-{b}", f"    {c}: true", f"# {a} {b} {c}")
        )
    if ext == ".sh":
        return rng.choice((f'echo "{a} {b}"', f"{a.upper()}_{n}={c}", f"run_{a} --{b}={n}", f"# {a} {c}"))
    return rng.choice(
        (f"The {a} {b} keeps {n} {c} entries.", f"- `{a}_{b}`: the {c}.", f"## {a.title()} {b}", "")
    )


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def planted_secret_lines(rng: random.Random) -> list[tuple[str, str]]:
    """(path, line) pairs holding secrets in well-known public formats, random each time."""
    upper_b32 = string.ascii_uppercase + "234567"
    alnum = string.ascii_letters + string.digits
    aws_id = "AK" + "IA" + _token(rng, upper_b32, 16)
    aws_secret = _token(rng, alnum + "/+", 40)
    github = "gh" + "p_" + _token(rng, alnum, 36)
    gitlab = "gl" + "pat-" + _token(rng, alnum, 20)
    slack = "xo" + "xb-" + _token(rng, string.digits, 12) + "-" + _token(rng, string.digits, 12) + "-"
    slack += _token(rng, alnum, 24)
    stripe = "sk" + "_live_" + _token(rng, alnum, 24)
    return [
        ("config/aws.yaml", f"aws_access_key_id: {aws_id}"),
        ("config/aws.yaml", f"aws_secret_access_key: {aws_secret}"),
        ("scripts/release.sh", f"GITHUB_TOKEN={github}"),
        ("src/api/gitlab_client.py", f'    token = "{gitlab}"'),
        ("deploy/notify.yaml", f"  slack_bot_token: {slack}"),
        ("src/core/billing.py", f'    stripe_key = "{stripe}"'),
    ]


@dataclass
class _State:
    files: dict[str, list[str]] = field(default_factory=dict)


def _new_file(rng: random.Random, state: _State) -> str:
    while True:
        directory = rng.choice(_DIRS)
        path = f"{directory}/{rng.choice(_WORDS)}_{rng.choice(_WORDS)}{_EXT_BY_DIR[directory]}"
        if path not in state.files:
            ext = _EXT_BY_DIR[directory]
            state.files[path] = [_line(rng, ext) for _ in range(rng.randrange(30, 150))]
            return path


def _edit(rng: random.Random, lines: list[str], ext: str) -> None:
    for _ in range(rng.randrange(1, 4)):
        kind = rng.random()
        pos = rng.randrange(len(lines) + 1)
        if kind < 0.45 and lines:
            lines[min(pos, len(lines) - 1)] = _line(rng, ext)
        elif kind < 0.85:
            for _ in range(rng.randrange(1, 6)):
                lines.insert(pos, _line(rng, ext))
        elif len(lines) > 10:
            del lines[min(pos, len(lines) - 1)]


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def generate(dest: Path, *, commits: int = 10_000, initial_files: int = 250, seed: int = 6) -> dict[str, int]:
    """Create the repository at ``dest`` (replacing it) and return a few counts about it."""
    rng = random.Random(seed)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=dest,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    out = proc.stdin
    state = _State()
    secrets = planted_secret_lines(rng)
    # (from commit index, plant or remove, secret number): odd-numbered secrets are removed 3 commits later
    events = [(int(commits * f), "plant", i) for i, f in enumerate((0.05, 0.2, 0.35, 0.5, 0.7, 0.9))]
    events += [(at + 3, "remove", i) for at, _, i in events if i % 2 == 1]
    events.sort()
    branch_every = max(commits // 8, 50)
    mark = 0
    clock = 1_600_000_000
    main_mark = 0
    changed_files = 0
    authors = [f"dev{i}@example.test" for i in range(12)]

    def emit_commit(ref: str, parents: list[int], changes: dict[str, list[str] | None], message: str) -> int:
        nonlocal mark, clock, changed_files
        mark += 1
        clock += rng.randrange(60, 7200)
        author = rng.choice(authors)
        out.write(f"commit {ref}\nmark :{mark}\n".encode())
        out.write(f"author Dev <{author}> {clock} +0000\ncommitter Dev <{author}> {clock} +0000\n".encode())
        out.write(_data(message))
        if parents:
            out.write(f"from :{parents[0]}\n".encode())
            for extra in parents[1:]:
                out.write(f"merge :{extra}\n".encode())
        for path, lines in changes.items():
            changed_files += 1
            if lines is None:
                out.write(f"D {path}\n".encode())
            else:
                out.write(f"M 100644 inline {path}\n".encode())
                out.write(_data("\n".join(lines) + "\n"))
        out.write(b"\n")
        return mark

    for _ in range(initial_files):
        _new_file(rng, state)
    main_mark = emit_commit(
        "refs/heads/main", [], {p: list(ls) for p, ls in state.files.items()}, "initial import"
    )
    written = 1
    while written < commits:
        index = written
        changes: dict[str, list[str] | None] = {}
        if index % branch_every == 0 and written + 3 < commits:
            # a short-lived branch touching its own file, merged back with --no-ff
            path = _new_file(rng, state)
            side = emit_commit("refs/heads/topic", [main_mark], {path: list(state.files[path])}, "topic work")
            _edit(rng, state.files[path], Path(path).suffix)
            side = emit_commit("refs/heads/topic", [side], {path: list(state.files[path])}, "topic fix")
            main_mark = emit_commit(
                "refs/heads/main", [main_mark, side], {path: list(state.files[path])}, "merge"
            )
            written += 3
            continue
        if events and index >= events[0][0]:
            _, kind, number = events.pop(0)
            path, line = secrets[number]
            lines = state.files.setdefault(path, [_line(rng, Path(path).suffix) for _ in range(40)])
            if kind == "plant":
                lines.insert(rng.randrange(len(lines) + 1), line)
            else:
                lines[:] = [x for x in lines if x != line]
            changes[path] = list(lines)
        elif rng.random() < 0.02:
            path = _new_file(rng, state)
            changes[path] = list(state.files[path])
        elif rng.random() < 0.005 and len(state.files) > 100:
            path = rng.choice(sorted(state.files))
            if not any(path == p for p, _ in secrets):
                del state.files[path]
                changes[path] = None
        if not changes:
            for path in rng.sample(sorted(state.files), rng.randrange(1, 4)):
                _edit(rng, state.files[path], Path(path).suffix)
                changes[path] = list(state.files[path])
        main_mark = emit_commit("refs/heads/main", [main_mark], changes, f"change {index}")
        written += 1
    # one secret only on an unmerged branch
    branch_line = "    backup_token = " + repr(
        "gh" + "p_" + _token(rng, string.ascii_letters + string.digits, 36)
    )
    path = "src/jobs/backup.py"
    lines = [_line(rng, ".py") for _ in range(20)] + [branch_line]
    emit_commit("refs/heads/feature/backup", [main_mark], {path: lines}, "wip backup")
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    # pack it the way a clone receives it (fast-import's own pack has long, poor delta chains)
    subprocess.run(["git", "-C", str(dest), "repack", "-a", "-d", "-f", "-q"], check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "-f", "main"], check=True)
    return {"commits": written + 1, "file_changes": changed_files, "files_at_head": len(state.files)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    counts = generate(args.dest, commits=args.commits, seed=args.seed)
    print(f"generated {args.dest}: " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
