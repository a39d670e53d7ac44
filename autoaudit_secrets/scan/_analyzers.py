"""The registry of format-aware analyzers the engine runs beside its token rules.

Each entry is ``"module:Class"`` relative to this package; the class is instantiated with no arguments. Adding an
analyzer is adding a line here. A module that is not present (not yet written, or trimmed from a build) is skipped;
any other import error propagates.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence

from ._model import FileAnalyzer, TreeAnalyzer

__all__ = ["FILE_ANALYZERS", "TREE_ANALYZERS", "load_file_analyzers", "load_tree_analyzers"]

FILE_ANALYZERS: tuple[str, ...] = (
    "._sensitive_files:SensitiveFileAnalyzer",
    ".docker._dockerfile_checks:DockerfileAnalyzer",
    ".docker._compose:ComposeAnalyzer",
    "._ci_workflows:WorkflowAnalyzer",
    "._dotenv_files:DotenvFileAnalyzer",
)

TREE_ANALYZERS: tuple[str, ...] = (".docker._context:BuildContextAnalyzer",)


def _load(specs: Sequence[str]) -> list[object]:
    loaded: list[object] = []
    for spec in specs:
        module_name, _, class_name = spec.partition(":")
        absolute = importlib.util.resolve_name(module_name, __package__)
        try:
            module = importlib.import_module(absolute)
        except ModuleNotFoundError as exc:
            if exc.name == absolute:
                continue
            raise
        loaded.append(getattr(module, class_name)())
    return loaded


def load_file_analyzers() -> list[FileAnalyzer]:
    """Instantiate every available file analyzer, in registry order."""
    return [a for a in _load(FILE_ANALYZERS) if isinstance(a, FileAnalyzer)]


def load_tree_analyzers() -> list[TreeAnalyzer]:
    """Instantiate every available tree analyzer, in registry order."""
    return [a for a in _load(TREE_ANALYZERS) if isinstance(a, TreeAnalyzer)]
