"""The floor of the other way to scan a history: each blob once, instead of each commit's patch.

Run with the Python of the check-secrets being measured, in the repository. It lists every blob reachable
from the refs (``git rev-list --all --objects``, then ``git cat-file --batch-check`` for the types), splits
them in two halves and has two processes (this script with ``--part``) each read its half with ``git cat-file
--batch`` and run check-secrets' own Hyperscan database over every text blob (the prescan of a scan: no
confirmation, no judgement, no attribution of a finding to the commit that added it). A scanner that reads
every version of every file once cannot finish before this. bench_git.py reports it beside "git alone" (the
floor of reading ``git log -p``, ``_git_floor.py``), so the two models can be compared on the same history.
"""

from __future__ import annotations

import subprocess
import sys
import threading

_SNIFF = 8192  # as the scanner: a NUL byte in the first 8 KiB means binary


def _blob_ids() -> list[bytes]:
    objects = subprocess.run(
        ["git", "rev-list", "--all", "--objects", "--no-object-names"], capture_output=True, check=True
    ).stdout
    kinds = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objecttype) %(objectname)"],
        input=objects,
        capture_output=True,
        check=True,
    ).stdout
    return [line.split()[1] for line in kinds.splitlines() if line.startswith(b"blob ")]


def part() -> int:
    """Read the blob ids on stdin, prescan each text blob; print how many may hold a finding."""
    from autoaudit_secrets.scan import ScanConfig, Scanner

    detector = Scanner(ScanConfig()).detector
    ids = sys.stdin.buffer.read()
    count = ids.count(b"\n")
    git = subprocess.Popen(["git", "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert git.stdin is not None and git.stdout is not None

    # (the ids go to git from a thread: git's answers fill its output pipe before it has read them all)
    def feed() -> None:
        assert git.stdin is not None
        git.stdin.write(ids)
        git.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    candidates = 0
    for _ in range(count):
        header = git.stdout.readline().split()
        if len(header) != 3:
            continue  # missing
        data = git.stdout.read(int(header[2]))
        git.stdout.read(1)
        if b"\x00" in data[:_SNIFF]:
            continue
        prescan = detector.prescan(data)
        candidates += prescan is None or not prescan.empty
    git.wait()
    print(candidates)
    return 0


def main() -> int:
    from _git_floor import run_halves  # (this script's folder is first on sys.path)

    return run_halves(_blob_ids(), [sys.executable, __file__, "--part"])


if __name__ == "__main__":
    raise SystemExit(part() if sys.argv[1:] == ["--part"] else main())
