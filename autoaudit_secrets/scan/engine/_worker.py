"""Worker-process side of a parallel scan: one :class:`Scanner` per process, fed chunks of files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._model import Finding, ScanStats

if TYPE_CHECKING:
    from ._scanner import Scanner

__all__ = ["init", "scan_chunk"]

# The scanner of this worker process (set once by the pool initializer; a process-local, not shared, state).
_state: dict[str, Scanner] = {}


def init(scanner: Scanner, method: str) -> None:
    """Pool initializer: keep the scanner (inherited by fork, or rebuilt from its recipe under spawn)."""
    scanner.suppressed = 0
    _state["scanner"] = scanner


def scan_chunk(
    files: list[tuple[str, str, int]],
) -> tuple[list[Finding], ScanStats, int, dict[tuple[str, str, str], str]]:
    """Scan a chunk of ``(relpath, abspath, size)``; return its findings, stats, suppressed count, and the
    slow fingerprints of its findings when the scan asked for them (computed here, in parallel with the other
    workers, rather than after the scan in the main process)."""
    scanner = _state["scanner"]
    before = scanner.suppressed
    stats = ScanStats()
    findings: list[Finding] = []
    for rel, abs_path, _ in files:
        findings.extend(scanner.scan_file(rel, abs_path, stats))
    computed: dict[tuple[str, str, str], str] = {}
    if scanner.fingerprints_in_workers and findings:
        from .._fingerprint import fingerprint_all

        computed = fingerprint_all(findings)
    return findings, stats, scanner.suppressed - before, computed
