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
    from ._engine import Scanner
    from ._filters import is_placeholder, is_secret_name
    from ._matcher import MatcherBackend
    from ._walker import decode_document
    from .rules._registry import load_rules, parse_rule_table

__all__ = [
    "AnalysisContext",
    "CommitInfo",
    "Confidence",
    "FileAnalyzer",
    "Finding",
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
    "Scanner": "._engine",
    "MatcherBackend": "._matcher",
    "decode_document": "._walker",
    "is_placeholder": "._filters",
    "is_secret_name": "._filters",
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
