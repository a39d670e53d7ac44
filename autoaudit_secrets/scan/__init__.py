"""check-secrets: the scanning engine's public surface.

Importing this package is cheap (the CLI's start-up time counts toward the pre-commit budget); the engine, the
rules and the matcher backends load on first use::

    from autoaudit_secrets.scan import Scanner, ScanConfig, ScanOptions, load_rules
    result = Scanner(ScanConfig()).scan(ScanOptions(root=Path(".")))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._model import (
    AnalysisContext,
    CommitInfo,
    Confidence,
    FileAnalyzer,
    Finding,
    ImageOrigin,
    Match,
    OutputFormat,
    Rule,
    ScanConfig,
    ScanOptions,
    ScanResult,
    ScanStats,
    Severity,
    TreeAnalyzer,
)

if TYPE_CHECKING:
    from .engine._filters import is_placeholder, is_secret_name
    from .engine._matcher import MatcherBackend
    from .engine._scanner import Scanner
    from .rules._registry import load_rules, parse_rule_table
    from .sources._tree import decode_document

__all__ = [
    "AnalysisContext",
    "CommitInfo",
    "Confidence",
    "FileAnalyzer",
    "Finding",
    "ImageOrigin",
    "Match",
    "MatcherBackend",
    "OutputFormat",
    "Rule",
    "ScanConfig",
    "ScanOptions",
    "ScanResult",
    "ScanStats",
    "Scanner",
    "Severity",
    "TreeAnalyzer",
    "decode_document",
    "is_placeholder",
    "is_secret_name",
    "load_rules",
    "parse_rule_table",
]

_LAZY = {
    "Scanner": ".engine._scanner",
    "MatcherBackend": ".engine._matcher",
    "decode_document": ".sources._tree",
    "is_placeholder": ".engine._filters",
    "is_secret_name": ".engine._filters",
    "load_rules": ".rules._registry",
    "parse_rule_table": ".rules._registry",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value
