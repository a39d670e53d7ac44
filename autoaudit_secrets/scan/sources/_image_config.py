"""An image configuration as Dockerfile text, so that it gets the same token rules and Docker checks as a
Dockerfile, and instructions as reports may show them (secrets masked).

* every ``history[].created_by`` becomes one small Dockerfile: its instruction (``/bin/sh -c #(nop) ENV …``
  -> ``ENV …``; a shell command -> ``RUN …``; BuildKit's ``… # buildkit`` suffix dropped), preceded by one
  ``ARG NAME="value"`` line per build argument recorded with it (``|2 A=1 B=2 /bin/sh -c …``: a build
  argument's value is in the history for anyone who pulls the image). A ``RUN`` that reads
  ``/run/secrets/ID`` without a recorded ``--mount`` (BuildKit leaves the flags out of the history) gets the
  secret mount back, so writing the mounted secret into the layer is recognised;
* ``Env`` -> ``ENV``, ``Labels`` -> ``LABEL``, ``Entrypoint``/``Cmd``/``Healthcheck`` -> exec-form ``RUN``
  (the command checks of ``RUN``), ``User`` and ``OnBuild`` as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..._redact import MASK

__all__ = ["ConfigDocument", "config_documents", "history_steps", "shown_instruction"]

_NOP = re.compile(r"^(?:/bin/sh -c\s+)?#\(nop\)\s*")
_BUILDKIT_SUFFIX = re.compile(r"\s*#\s*buildkit\s*$")
_KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip
_SHELL_C = re.compile(r"^(?:/bin/|/usr/bin/)?(?:sh|bash|ash|dash|zsh)\s+(?:-[a-z]*\s+)*-c\s+")
_BUILD_ARGS = re.compile(r"^\|(?P<n>\d{1,4})\s+")
_ARG_NAME = re.compile(r"(?:^|\s)(?P<k>[A-Za-z_][A-Za-z0-9_.-]*)=")
_RUN_SECRET_PATH = re.compile(r"/run/secrets/(?P<id>[A-Za-z0-9_.-]+)")
_MAX_SHOWN = 240


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One history entry, understood: its build arguments and its instruction as Dockerfile text."""

    index: int  # 1-based position in ``history``
    created_by: str
    empty_layer: bool
    build_args: tuple[tuple[str, str], ...]
    instruction: str  # e.g. ``RUN echo hi`` (build arguments not included), as checked
    shown: str  # the instruction without the secret mounts added for checking


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """A piece of the image configuration as a small Dockerfile. ``field`` is ``history``, ``Env``, ...;
    ``index`` the 1-based history step (history) or position in the field; ``arg_lines`` the 1-based lines of
    the document that are build arguments of the step."""

    field: str
    index: int
    text: str
    arg_lines: frozenset[int] = frozenset()
    keyword: str = ""  # the instruction a RUN stands for (CMD, ENTRYPOINT, HEALTHCHECK), "" otherwise


def _split_build_args(text: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """``|N K=V … command`` -> (((K, V), ...), command)."""
    match = _BUILD_ARGS.match(text)
    if match is None:
        return (), text
    count = int(match.group("n"))
    rest = text[match.end() :]
    shell = _SHELL_C.search(rest) or re.search(r"\s(?=(?:/bin/|/usr/bin/)?(?:sh|bash)\s+-c\s)", rest)
    names = list(_ARG_NAME.finditer(rest))
    args: list[tuple[str, str]] = []
    end_of_args = 0
    for i, name in enumerate(names[:count]):
        start = name.end()
        if i + 1 < count and i + 1 < len(names):
            stop = names[i + 1].start()
        else:
            # The last value: up to the shell command (or one word when there is none to see).
            shell_at = re.search(r"\s(?:/bin/|/usr/bin/)?(?:sh|bash|ash|dash)\s+-c\s", rest[start:])
            if shell_at is not None:
                stop = start + shell_at.start()
            else:
                space = rest.find(" ", start)
                stop = len(rest) if space < 0 else space
        args.append((name.group("k"), rest[start:stop].strip()))
        end_of_args = stop
    del shell
    return tuple(args), rest[end_of_args:].strip()


def _instruction(created_by: str) -> tuple[tuple[tuple[str, str], ...], str, str]:
    """(build arguments, instruction as checked, instruction as shown) of one ``created_by``."""
    text = _BUILDKIT_SUFFIX.sub("", created_by.strip())
    nop = _NOP.match(text)
    if nop is not None:
        text = text[nop.end() :].strip()
        return (), text, text
    head = text.split(None, 1)
    if head and head[0].upper() == "RUN":
        text = text[len(head[0]) :].strip()
    elif head and head[0].upper() in _KEYWORDS and not text.startswith("/"):
        return (), text, text
    args, command = _split_build_args(text)
    shell = _SHELL_C.match(command)
    if shell is not None:
        command = command[shell.end() :]
    shown = f"RUN {command}"
    if "--mount=type=secret" not in command and "/run/secrets/" in command and not command.startswith("["):
        ids = dict.fromkeys(m.group("id") for m in _RUN_SECRET_PATH.finditer(command))
        mounts = " ".join(f"--mount=type=secret,id={i}" for i in ids)
        command = f"{mounts} {command}"
    return args, f"RUN {command}", shown


def history_steps(config: Mapping[str, Any]) -> list[HistoryStep]:
    """The configuration's ``history``, understood (entries that are not objects are skipped)."""
    history = config.get("history")
    steps: list[HistoryStep] = []
    if not isinstance(history, list):
        return steps
    for position, entry in enumerate(history, start=1):
        if not isinstance(entry, dict):
            continue
        created_by = entry.get("created_by")
        created_by = created_by if isinstance(created_by, str) else ""
        args, instruction, shown = _instruction(created_by) if created_by.strip() else ((), "", "")
        steps.append(
            HistoryStep(
                index=position,
                created_by=created_by,
                empty_layer=entry.get("empty_layer") is True,
                build_args=args,
                instruction=instruction,
                shown=shown,
            )
        )
    return steps


def _quoted(value: str) -> str:
    value = " ".join(value.splitlines())
    return '"' + re.sub(r'(["\\$])', r"\\\1", value) + '"'


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_.\-/]+", name) else _quoted(name)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def config_documents(config: Mapping[str, Any]) -> list[ConfigDocument]:
    """Every part of the configuration worth checking, as small Dockerfiles (history first)."""
    docs: list[ConfigDocument] = []
    for step in history_steps(config):
        if not step.instruction:
            continue
        lines = [f"ARG {_key(name)}={_quoted(value)}" for name, value in step.build_args]
        arg_lines = frozenset(range(1, len(lines) + 1))
        lines.append(step.instruction)
        docs.append(ConfigDocument("history", step.index, "\n".join(lines) + "\n", arg_lines))
    found = config.get("config")
    if not isinstance(found, dict):
        found = config.get("container_config")
    inner: Mapping[str, Any] = found if isinstance(found, dict) else {}
    for i, item in enumerate(_strings(inner.get("Env")), start=1):
        name, sep, value = item.partition("=")
        if sep and name:
            docs.append(ConfigDocument("Env", i, f"ENV {_key(name)}={_quoted(value)}\n"))
    labels = inner.get("Labels")
    if isinstance(labels, dict):
        for i, (name, value) in enumerate(sorted(labels.items()), start=1):
            if isinstance(name, str) and isinstance(value, str):
                docs.append(ConfigDocument("Labels", i, f"LABEL {_key(name)}={_quoted(value)}\n"))
    for field_name, keyword in (("Entrypoint", "ENTRYPOINT"), ("Cmd", "CMD")):
        words = _strings(inner.get(field_name))
        if words:
            docs.append(ConfigDocument(field_name, 1, f"RUN {json.dumps(words)}\n", keyword=keyword))
    health = inner.get("Healthcheck")
    if isinstance(health, dict):
        words = [w for w in _strings(health.get("Test")) if w not in ("CMD", "CMD-SHELL", "NONE")]
        if words:
            docs.append(ConfigDocument("Healthcheck", 1, f"RUN {json.dumps(words)}\n", keyword="HEALTHCHECK"))
    user = inner.get("User")
    if isinstance(user, str) and user.strip():
        docs.append(ConfigDocument("User", 1, f"USER {' '.join(user.split())}\n"))
    for i, item in enumerate(_strings(inner.get("OnBuild")), start=1):
        docs.append(ConfigDocument("OnBuild", i, " ".join(item.splitlines()) + "\n"))
    return docs


def shown_instruction(step: HistoryStep | None, secrets: Iterable[str]) -> str:
    """The instruction of a history step as reports show it: one line, build-argument values and every known
    secret masked, at most a few hundred characters."""
    if step is None or not step.shown:
        return ""
    text = " ".join(step.shown.split())
    masked = {s for s in secrets if len(s) >= 4} | {v for _, v in step.build_args if len(v) >= 4}
    for secret in sorted(masked, key=len, reverse=True):
        text = text.replace(secret, MASK)
        flat = " ".join(secret.split())
        if flat != secret and len(flat) >= 4:
            text = text.replace(flat, MASK)
    if step.build_args:
        text += f" (build args: {', '.join(name for name, _ in step.build_args)})"
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    return text
