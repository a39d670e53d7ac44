"""git's own share of ``check-secrets git --all``: the patches it asks git for, written and thrown away.

Run with the Python of the check-secrets being measured, in the repository: it lists the commits as the scan
does (topological order, merges left out: their changes come from the merge listing), splits them in two
consecutive halves and has two ``git log`` processes write the patches of each half at the same time, with
the exact options of that check-secrets (``_LOG``) and to ``/dev/null`` (nobody reads them). No scanner that
reads ``git log -p`` can finish before this; the benchmark reports it beside the tools (see bench_git.py).
"""

from __future__ import annotations

import subprocess

from autoaudit_secrets.scan.sources._git import _GIT_CONFIG, _LOG


def run_halves(ids: list[bytes], command: list[str]) -> int:
    """Start ``command`` twice at once, the first half of ``ids`` on one's standard input and the second half
    on the other's (one per line), output thrown away; the worse exit status."""
    half = -(-len(ids) // 2)
    procs = []
    for part in (ids[:half], ids[half:]):
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        procs.append((proc, b"".join(line + b"\n" for line in part)))
    for proc, stdin in procs:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    return max(proc.wait() for proc, _ in procs)


def main() -> int:
    ids = subprocess.run(
        ["git", *_GIT_CONFIG, "rev-list", "--topo-order", "--reverse", "--no-merges", "--all"],
        capture_output=True,
        check=True,
    ).stdout.split()
    return run_halves(ids, ["git", *_GIT_CONFIG, *_LOG, "--no-walk=unsorted", "--stdin"])


if __name__ == "__main__":
    raise SystemExit(main())
