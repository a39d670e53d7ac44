"""The environment every ``git`` command of check-secrets runs in (history modes, ``--config-ref``)."""

from __future__ import annotations

import os

__all__ = ["git_env"]


def git_env(**extra: str) -> dict[str, str]:
    """This process's environment for a ``git`` child: never a terminal pager, an editor or a credential
    prompt, messages in English, no external diff driver; ``extra`` variables on top."""
    env = dict(os.environ)
    env.update({"GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    env.pop("GIT_EXTERNAL_DIFF", None)
    env.update(extra)
    return env
