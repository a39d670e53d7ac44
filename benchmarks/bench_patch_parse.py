"""CPU time of the git patch parser behind ``check-secrets git`` on a repository's whole history.

    .venv/bin/python benchmarks/bench_patch_parse.py REPO [--repeat 5] [--profile]

The patches are read once from git with the command line a history scan uses (the commits of
``plan_commits(--all)``, oldest first, through ``git log ... --no-walk=unsorted --stdin``), kept in memory in
chunks of the size the reader thread reads, and then parsed into ``CommitChanges`` ``--repeat`` times
(``sources/_patch.py``: ``parse_chunks``). Printed: the size of the patches, what the parse found, and the
best CPU time (``time.process_time``: other work on a shared machine does not count). ``--profile`` adds the
top of a cProfile of one parse.

A measurement, not a test: nothing is asserted (tests/scan/test_git_reader.py holds the behaviour).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from autoaudit_secrets.scan.sources._git import _CHUNK, _LOG, _GitPipe, plan_commits
from autoaudit_secrets.scan.sources._patch import parse_chunks


def read_patches(repo: Path) -> list[bytes]:
    """The output of git as a history scan reads it, in the chunks the reader thread hands over."""
    commits = plan_commits(repo, ["--all"]).commits
    pipe = _GitPipe(
        repo, [*_LOG, "--no-walk=unsorted", "--stdin"], stdin="".join(f"{c}\n" for c in commits).encode()
    )
    data = b"".join(pipe.chunks())
    pipe.finish()
    return [data[start : start + _CHUNK] for start in range(0, len(data), _CHUNK)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    chunks = read_patches(args.repo)
    size = sum(len(c) for c in chunks)
    items = list(parse_chunks(chunks))
    files = [f for item in items for f in item.files]
    commits = len({i.commit.sha for i in items if i.commit})
    text = sum(len(f.added_text) for f in files)
    print(
        f"{args.repo}: {size / 1e6:.1f} MB of patches in {len(chunks)} chunks; {commits} commits, "
        f"{len(files)} changed files, {sum(len(f.added) for f in files)} added lines ({text / 1e6:.1f} MB)"
    )
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        for _item in parse_chunks(chunks):
            pass
        times.append(time.process_time() - start)
    median = sorted(times)[len(times) // 2]
    print(f"parse: best {min(times):.3f} s CPU of {args.repeat} (median {median:.3f} s)")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: list(parse_chunks(chunks)))
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
