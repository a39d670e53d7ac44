"""Docker awareness for check-secrets: a Dockerfile parser, Dockerfile checks, ``.dockerignore`` semantics and
the build-context check (what ``COPY``/``ADD`` would put in an image). Compose files are in ``_compose``.

The analyzers are registered in :mod:`autoaudit_secrets.scan.analyzers._registry`; the names below are
re-exported lazily so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DOCKERFILE_CHECKS",
    "BuildContextAnalyzer",
    "DockerIgnore",
    "Dockerfile",
    "DockerfileAnalyzer",
    "is_dockerfile_path",
    "parse_dockerfile",
]

_WHERE = {
    "DOCKERFILE_CHECKS": "._dockerfile_checks",
    "DockerfileAnalyzer": "._dockerfile_checks",
    "BuildContextAnalyzer": "._context",
    "DockerIgnore": "._dockerignore",
    "Dockerfile": "._dockerfile",
    "is_dockerfile_path": "._dockerfile",
    "parse_dockerfile": "._dockerfile",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
