"""The environment every ``git`` command of check-secrets runs in (history modes, ``--config-ref``, the tree
scan's questions about tracked and ignored files)."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["UNTRUSTED_REPO_CONFIG", "git_env", "harden"]

# Settings given to every git command, over the scanned repository's own ``.git/config`` (a scanned repository
# is hostile input, and its configuration is read by git itself):
# - core.fsmonitor names a command that git runs when it reads the index (``ls-files``, ``diff --cached``,
#   ``check-ignore``): a repository could run code in whoever scans it;
# - protocol.allow=never: in a partial clone, a missing object is fetched from the "promisor" remote, with
#   whatever transport, ssh command, upload-pack program or credential helper that configuration names. A
#   scan never fetches: a missing object is an error (GIT_NO_LAZY_FETCH says the same to git 2.45 and later).
UNTRUSTED_REPO_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("protocol.allow", "never"),
)


def harden(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with :data:`UNTRUSTED_REPO_CONFIG` added as ``GIT_CONFIG_COUNT`` settings (after any the
    caller's environment already has), which take precedence over every configuration file, and
    ``GIT_NO_LAZY_FETCH=1``."""
    out = dict(env)
    try:
        count = max(int(out.get("GIT_CONFIG_COUNT", "0") or "0"), 0)
    except ValueError:
        count = 0  # (git itself refuses a malformed count: the caller's settings are dropped, ours kept)
    for index, (key, value) in enumerate(UNTRUSTED_REPO_CONFIG, count):
        out[f"GIT_CONFIG_KEY_{index}"] = key
        out[f"GIT_CONFIG_VALUE_{index}"] = value
    out["GIT_CONFIG_COUNT"] = str(count + len(UNTRUSTED_REPO_CONFIG))
    out["GIT_NO_LAZY_FETCH"] = "1"
    return out


# glibc gives each large buffer git allocates (an inflated blob, for a patch or `cat-file --batch`) its own
# mapping, unmapped again when it is freed: every blob then costs fresh page faults. Up to these sizes the
# buffers come from the heap and freed memory is kept for the next blob. On WrongSecrets' 8,082 commits, the
# patches' git faults 36,000 -> 27,500 times, the git processes of `check-secrets git --all` take 0.07-0.12 s
# less CPU, and git's peak memory stays the same. Only glibc reads this (musl, macOS, Windows ignore it); the
# user's own GLIBC_TUNABLES come after these, so theirs win.
_GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864"


def git_env(**extra: str) -> dict[str, str]:
    """This process's environment for a ``git`` child: never a terminal pager, an editor or a credential
    prompt, messages in English, no external diff driver, the settings of :data:`UNTRUSTED_REPO_CONFIG`,
    glibc's allocator tuned for git's blob buffers; ``extra`` variables on top."""
    env = dict(os.environ)
    env.update({"GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    own = env.get("GLIBC_TUNABLES")
    env["GLIBC_TUNABLES"] = f"{_GLIBC_TUNABLES}:{own}" if own else _GLIBC_TUNABLES
    env.pop("GIT_EXTERNAL_DIFF", None)
    env.update(extra)
    return harden(env)
