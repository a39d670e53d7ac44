"""A logging filter that masks every loaded secret value."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Secret, SecretBytes, SecretStr

from .._redact import MASK

__all__ = ["RedactionFilter", "install_redaction", "secret_values"]


def secret_values(settings: BaseModel) -> set[str]:
    """Every secret value held by ``settings`` (``SecretStr``/``SecretBytes``/``Secret``, nested too)."""
    found: set[str] = set()
    _collect(settings, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, SecretStr):
        found.add(value.get_secret_value())
    elif isinstance(value, SecretBytes):
        found.add(value.get_secret_value().decode("utf-8", errors="replace"))
    elif isinstance(value, Secret):
        found.add(str(value.get_secret_value()))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name, None), found)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _collect(item, found)


class RedactionFilter(logging.Filter):
    """Masks secret values in log records: the message with its ``%``-args, exception text and stack info.

    The record is rewritten in place (``msg`` becomes the formatted, masked message and ``args`` empty), so
    every handler and formatter downstream sees only masked text. Records are never dropped.
    """

    def __init__(self, values: Iterable[str]) -> None:
        super().__init__()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        """Mask these values too."""
        self._values.update(value for value in values if value)
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(value) for value in ordered)) if ordered else None

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by a fixed mask."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format: mask the pieces instead of failing the log call
            message = f"{record.msg} {record.args!r}"
        record.msg = self.mask(message)
        record.args = None
        if getattr(record, "message", None):
            record.message = self.mask(record.message)
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.mask(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class RedactionHandle:
    """What :func:`install_redaction` returns: the installed filter and how to remove it."""

    def __init__(self, logger: logging.Logger, redaction_filter: RedactionFilter) -> None:
        self.logger = logger
        self.filter = redaction_filter
        self._handlers: list[logging.Handler] = []

    def _attach(self) -> None:
        if self.filter not in self.logger.filters:
            self.logger.addFilter(self.filter)
        for handler in self.logger.handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)
                self._handlers.append(handler)

    def uninstall(self) -> None:
        """Remove the filter from the logger and the handlers it was added to (safe to call twice)."""
        self.logger.removeFilter(self.filter)
        for handler in self._handlers:
            handler.removeFilter(self.filter)
        self._handlers.clear()


def install_redaction(
    settings_or_values: BaseModel | Mapping[str, str] | Iterable[str], logger: logging.Logger | None = None
) -> RedactionHandle:
    """Mask every secret value of ``settings_or_values`` in records of ``logger`` (default: root logger).

    ``settings_or_values`` is a loaded settings object (its secret fields are used) or the values themselves
    (a mapping's values, or an iterable of strings). The filter goes on the logger and on each handler it has
    now, so records propagated from child loggers are masked by those handlers too; install it after logging
    is configured. Idempotent: a second call on the same logger adds the values to the existing filter and
    returns the same handle. ``handle.uninstall()`` removes it.
    """
    target = logger if logger is not None else logging.getLogger()
    if isinstance(settings_or_values, BaseModel):
        values: Iterable[str] = secret_values(settings_or_values)
    elif isinstance(settings_or_values, Mapping):
        values = [str(value) for value in settings_or_values.values()]
    else:
        values = list(settings_or_values)
    for existing in target.filters:
        handle = getattr(existing, "_autoaudit_handle", None)
        if isinstance(existing, RedactionFilter) and isinstance(handle, RedactionHandle):
            existing.add(values)
            handle._attach()
            return handle
    redaction_filter = RedactionFilter(values)
    handle = RedactionHandle(target, redaction_filter)
    redaction_filter._autoaudit_handle = handle  # type: ignore[attr-defined]
    handle._attach()
    return handle
