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


def scan_chunk(files: list[tuple[str, str, int]]) -> tuple[list[Finding], ScanStats, int]:
    """Scan a chunk of ``(relpath, abspath, size)``; return its findings, stats and suppressed count."""
    scanner = _state["scanner"]
    before = scanner.suppressed
    stats = ScanStats()
    findings: list[Finding] = []
    for rel, abs_path, _ in files:
        findings.extend(scanner.scan_file(rel, abs_path, stats))
    return findings, stats, scanner.suppressed - before
