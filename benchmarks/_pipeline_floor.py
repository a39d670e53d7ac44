"""check-secrets' own history pipeline with no scanning in it: the floor of its design.

Run with the Python of the check-secrets being measured, in the repository. It runs ``check-secrets git --all
--format text`` in this process exactly as a user gets it — the same start-up, the same git processes (the
commit listing, the merge listing, the tag listing, the patches of two parts, the blob readers), the same
reading, parsing and windowing of the patches and the same work on merges — except that nothing is scanned:
the per-file step (token rules, analyzers, the blobs they read) and the commit messages are replaced by
nothing, so the report is empty. What remains is what the way check-secrets reads a history costs before any
rule runs. bench_git.py reports it beside "git alone" (``_git_floor.py``: git writing the same patches, nobody
reading them) and "blob floor" (``_blob_floor.py``): the gap between this floor and check-secrets is the
scanning, the gap between this floor and "git alone" is the pipeline's start-up and reading.
"""

from __future__ import annotations

import sys


def main() -> int:
    from autoaudit_secrets._cli.scan_main import main as check_secrets
    from autoaudit_secrets.scan.sources import _git

    scan = _git._HistoryScan
    # (private names of this checkout: the benchmark measures this checkout, and fails loudly if they move)
    for name in ("_file", "_prefetch", "_read_messages", "_scan_messages"):
        if not callable(getattr(scan, name, None)):
            raise SystemExit(f"_pipeline_floor: _HistoryScan.{name} is gone; update this script")
    scan._file = lambda self, *args: None  # type: ignore[method-assign]
    scan._prefetch = lambda self, window: []  # type: ignore[method-assign]
    scan._read_messages = lambda self, window: None  # type: ignore[method-assign]
    scan._scan_messages = lambda self, position: None  # type: ignore[method-assign]
    sys.argv = ["check-secrets", "git", "--all", "--no-progress", "--format", "text", "--output", "/dev/null"]
    status = check_secrets()
    return 0 if status in (0, 1, None) else int(status)


if __name__ == "__main__":
    raise SystemExit(main())
