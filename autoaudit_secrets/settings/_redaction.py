"""Log redaction: every loaded secret value is masked in every log record, however logging is configured.

Two layers. (1) :func:`install_redaction` wraps the process's log record factory, so a record of the
logger's subtree is masked when it is created: before any filter, handler or formatter sees it, whichever
handlers exist (added later by ``logging.basicConfig()`` or ``dictConfig``) and whether or not the logger
propagates (uvicorn's do not). ``extra`` fields, which ``Logger.makeRecord`` writes after the factory, are
masked as they are written. (2) A :class:`RedactionFilter` on the logger and its handlers, for records made
some other way (``logging.makeLogRecord``) and for ``dictConfig`` files that name it.
"""

from __future__ import annotations

import logging
import threading
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, Secret, SecretBytes, SecretStr

from ._fields import field_env_name, is_secret_annotation
from ._masking import LOG_MIN_LENGTH, LOG_WHOLE_TOKEN_BELOW, Masker, url_passwords
from ._plain import shown_member

__all__ = [
    "RedactionFilter",
    "RedactionHandle",
    "ShortSecretWarning",
    "install_redaction",
    "secret_values",
]

# Attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class ShortSecretWarning(UserWarning):
    """:func:`install_redaction` was given declared secrets it cannot mask in logs: values of fewer than
    :data:`LOG_MIN_LENGTH` characters, or bools. The message names their variables, never a value."""


def secret_values(settings: BaseModel) -> set[str]:
    """The values :func:`install_redaction` masks for ``settings``: those of ``SecretStr``/``SecretBytes``/
    ``Secret`` fields (nested and inside containers too) from :data:`LOG_MIN_LENGTH` characters on (a number
    as ``str()`` writes it; the strings and numbers inside a ``Secret[Any]`` container; never a bool; the
    password of such a value that is a URL, as written in it and decoded), and the plain secrets (each
    string of a field named like a secret: a ``str``, the items of a ``list[str]``, the values of a
    ``dict[str, str]``; the password of a URL; see
    :func:`~autoaudit_secrets.settings.plain_secret_fields`), and the secret values of computed fields
    (``@computed_field``) as repr masks them: the strings of one named like a secret (``signing_key``), the
    value of one returning a secret type, the password of a URL one holds (see ``computed_secrets``; only
    those computed fields are called, once each)."""
    return secret_values_and_urls(settings)[0]


def secret_values_and_urls(settings: BaseModel) -> tuple[set[str], set[str]]:
    """:func:`secret_values`, and the URLs with a password among the strings of the plain fields and of the
    computed fields (their passwords are masked in any spelling of a URL); each computed field read once."""
    from ._plain import computed_secrets, plain_secret_values, plain_urls

    found: set[str] = set()
    for _name, text in _declared_values(settings):
        if text and len(text) >= LOG_MIN_LENGTH:
            found.add(text)
            for written in url_passwords(text):
                if len(unquote(written)) >= LOG_MIN_LENGTH:
                    found |= {written, unquote(written)}
    found |= plain_secret_values(settings)
    computed, computed_urls = computed_secrets(settings)
    return found | computed, plain_urls(settings) | computed_urls


def declared_texts(value: Any, name: str) -> list[str]:
    """The texts a value of a declared secret type holds (a ``SecretStr``'s real value, the strings and
    numbers inside a ``Secret[...]``, those of a container of them), as :func:`secret_values` takes them."""
    found: list[tuple[str, str | None]] = []
    _collect(value, name, False, found, True)
    return [text for _name, text in found if text]


def _declared_values(settings: BaseModel) -> list[tuple[str, str | None]]:
    """(variable, text) for each value of a declared secret of ``settings`` (``SecretStr``, ``SecretBytes``,
    ``Secret[...]``, in nested models and containers too): the variable that sets it (``DB__PASSWORD``; a
    model inside a container: the container's), the text to mask (``None`` for a bool, which has none)."""
    found: list[tuple[str, str | None]] = []
    prefix = str(getattr(type(settings), "model_config", {}).get("env_prefix") or "")
    for field, info in type(settings).model_fields.items():
        env_name, _loc = field_env_name(field, info, prefix, top=True)
        value = getattr(settings, field, None)
        if not shown_member(info.annotation, value):
            _collect(value, env_name, False, found, is_secret_annotation(info.annotation))
    return found


def _collect(
    value: Any, name: str, contained: bool, found: list[tuple[str, str | None]], declared: bool = False
) -> None:
    """The secret texts of ``value`` (see :func:`_declared_values`); ``declared``: ``value`` stands where a
    secret type is declared, so a raw value there (assigned without validation, ``model_construct``) is a
    secret too."""
    if isinstance(value, SecretStr):
        found.append((name, value.get_secret_value()))
    elif isinstance(value, SecretBytes):
        found.append((name, value.get_secret_value().decode("utf-8", errors="replace")))
    elif isinstance(value, Secret):
        inner = value.get_secret_value()
        if isinstance(inner, bool):
            found.append((name, None))
        else:
            _secret_texts(inner, name, found)
    elif isinstance(value, BaseModel):
        for field, info in type(value).model_fields.items():
            env_name, _loc = field_env_name(field, info, name + "__", top=False)
            secret = is_secret_annotation(info.annotation)
            held = getattr(value, field, None)
            if not shown_member(info.annotation, held):
                _collect(held, name if contained else env_name, contained, found, secret)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, name, True, found, declared)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _collect(item, name, True, found, declared)
    elif declared:
        _given(value, name, found)


def _secret_texts(value: Any, name: str, found: list[tuple[str, str | None]]) -> None:
    """The texts of a ``Secret[...]``'s value: a string as is, bytes decoded, a number or another object
    (a URL, a date) as ``str()`` writes it; inside a container its values (dict keys are names), bools and
    ``None`` left out."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (SecretStr, SecretBytes, Secret)):  # Secret[dict[str, SecretStr]]: the real text
        _collect(value, name, True, found)
    elif isinstance(value, str):
        found.append((name, value))
    elif isinstance(value, (bytes, bytearray)):
        found.append((name, bytes(value).decode("utf-8", errors="replace")))
    elif isinstance(value, Mapping):
        for item in value.values():
            _secret_texts(item, name, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _secret_texts(item, name, found)
    else:
        try:
            found.append((name, str(value)))
        except Exception:  # an object whose __str__ fails: no text of it can reach a log line either
            return


def _given(value: Any, name: str, found: list[tuple[str, str | None]]) -> None:
    """The text of a value given to :func:`install_redaction` directly: a ``SecretStr``, ``SecretBytes`` or
    ``Secret[...]``'s real value (``str()`` would give the mask), a bool as no text, any other object as
    ``str()`` writes it; ``None`` and ``""`` are no value (not the text ``None``)."""
    if isinstance(value, (SecretStr, SecretBytes, Secret)):
        _collect(value, name, False, found)
    elif isinstance(value, bool):
        found.append((name, None))
    elif value is not None and str(value) != "":
        found.append((name, str(value)))


def _log_masker(values: Iterable[str] = ()) -> Masker:
    return Masker(values, min_length=LOG_MIN_LENGTH, token_below=LOG_WHOLE_TOKEN_BELOW)


def _unmaskable(named: Iterable[tuple[str, str | None]]) -> list[str]:
    """The names of the values too short to mask in logs, each once, in order, with why (never the value):
    also a URL whose password is (the URL itself is masked as a whole, and that password in the user
    information of any URL of a line, not on its own)."""
    notes: dict[str, None] = {}
    for name, text in named:
        if text is None:
            notes[f"{name} (a bool)"] = None
        elif 0 < len(text) < LOG_MIN_LENGTH:
            notes[f"{name} (fewer than {LOG_MIN_LENGTH} characters)"] = None
        elif any(0 < len(unquote(written)) < LOG_MIN_LENGTH for written in url_passwords(text)):
            notes[
                f"{name} (a URL password of fewer than {LOG_MIN_LENGTH} characters: masked only in URLs)"
            ] = None
    return list(notes)


class _MaskedRecordDict(dict[str, Any]):
    """A masked record's ``__dict__``: ``extra=`` fields, written by ``Logger.makeRecord`` after the record
    factory returns, are masked as they are stored. ``done`` lists the filters already applied."""

    __slots__ = ("done", "masker")

    def __init__(self, data: dict[str, Any], masker: Masker, done: frozenset[int]) -> None:
        super().__init__(data)
        self.masker = masker
        self.done = done

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, self.masker.mask_object(value, numbers=True))

    def __reduce__(self) -> Any:  # pickled (QueueHandler to another process) as the plain dict it is
        return (dict, (dict(self),))


def _mask_record(record: logging.LogRecord, masker: Masker) -> None:
    """Mask ``record`` in place: message and args, ``extra`` fields, exception text, stack info.

    The args stay a tuple (masked one by one) when the formatted message then holds no value: formatters
    such as uvicorn's ``AccessFormatter`` read them, and error trackers group records by the template. A
    value that only appears once formatted (split across args) collapses the record to its masked text.
    """
    msg = record.msg
    if not isinstance(msg, str):  # an object logged as the message: kept unless its text holds a value
        try:
            text = str(msg)
        except Exception:
            text = ""
        if masker.mask(text) != text:
            msg = text
    record.msg = masker.mask(msg) if isinstance(msg, str) else msg
    if record.args:
        record.args = masker.mask_object(record.args)
    collapse = False
    try:
        message = record.getMessage()
    except Exception:  # a broken %-format: mask the pieces instead of failing the log call
        message, collapse = f"{record.msg} {record.args!r}", True
    masked = masker.mask(message)
    if collapse or masked != message:
        record.msg, record.args = masked, None
    attributes = record.__dict__
    for key, value in list(attributes.items()):
        if key not in _STANDARD_ATTRIBUTES:
            masked = masker.mask_object(value, numbers=True)
            if masked is not value:
                dict.__setitem__(attributes, key, masked)
    if attributes.get("message"):
        record.message = masker.mask(record.message)
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = masker.mask(text)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = masker.mask(record.exc_text)
    if record.stack_info:
        record.stack_info = masker.mask(record.stack_info)


class RedactionFilter(logging.Filter):
    """Masks secret values in log records: the message with its ``%``-args, ``extra`` fields, exception text
    and stack info, each value also in its escaped forms (``repr``, JSON, ``\\n``-escaped).

    ``RedactionFilter(values)`` masks those values; ``RedactionFilter()`` masks every value currently given
    to :func:`install_redaction` (the form to name in a ``logging.config.dictConfig`` ``filters`` entry).
    Values follow :func:`install_redaction`'s length rule (whole tokens only below
    :data:`LOG_WHOLE_TOKEN_BELOW` characters, none below :data:`LOG_MIN_LENGTH`).
    The record is rewritten in place (template and args masked; the exception becomes its masked text), so
    every handler and formatter downstream sees only masked text. Records are never dropped.
    """

    def __init__(self, values: Iterable[str] | None = None) -> None:
        super().__init__()
        self._masker: Masker | None = None if values is None else _log_masker(values)

    def add(self, values: Iterable[str], *, password_urls: Iterable[str] = ()) -> None:
        """Mask these values too, and the password of each of ``password_urls`` (not the rest of the URL)
        as that of a URL secret."""
        if self._masker is None:
            self._masker = _log_masker()
        if self._masker.add(values, password_urls=password_urls):
            _HOOK.invalidate()

    @property
    def masker(self) -> Masker:
        """The values this filter masks (for ``RedactionFilter()``: all installed ones)."""
        return self._masker if self._masker is not None else _HOOK.all_values()

    def mask(self, text: str) -> str:
        """``text`` with every secret value (and its escaped forms) replaced by a fixed mask."""
        return self.masker.mask(text)

    def filter(self, record: logging.LogRecord) -> bool:
        attributes = record.__dict__
        if isinstance(attributes, _MaskedRecordDict) and id(self) in attributes.done:
            return True  # masked by the record factory with this filter's values already
        masker = self.masker
        if masker:
            _mask_record(record, masker)
        return True


class RedactionHandle:
    """What :func:`install_redaction` returns: the installed filter and how to remove it."""

    def __init__(self, logger: logging.Logger, redaction_filter: RedactionFilter) -> None:
        self.logger = logger
        self.filter = redaction_filter
        self._handlers: list[logging.Handler] = []
        name = logger.name
        self._prefix = "" if logger is logging.getLogger() else name + "."
        self._name = name

    def covers(self, logger_name: str) -> bool:
        """Whether records of ``logger_name`` are in this handle's subtree."""
        return not self._prefix or logger_name == self._name or logger_name.startswith(self._prefix)

    def _attach(self) -> None:
        if self.filter not in self.logger.filters:
            self.logger.addFilter(self.filter)
        for handler in self.logger.handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)
                self._handlers.append(handler)

    def uninstall(self) -> None:
        """Remove the filter from the logger and the handlers it was added to, and stop masking records of
        the logger's subtree at creation (safe to call twice)."""
        self.logger.removeFilter(self.filter)
        for handler in self._handlers:
            handler.removeFilter(self.filter)
        self._handlers.clear()
        _HOOK.remove(self)


class _RecordFactoryHook:
    """The process-wide part: wraps the log record factory while any handle is installed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: tuple[RedactionHandle, ...] = ()
        self._previous: Callable[..., logging.LogRecord] | None = None
        self._by_name: dict[str, tuple[Masker, frozenset[int]] | None] = {}
        self._all: Masker | None = None

    def add(self, handle: RedactionHandle) -> None:
        with self._lock:
            if handle not in self._handles:
                self._handles = (*self._handles, handle)
            if logging.getLogRecordFactory() is not self:
                # Also when someone replaced the factory since: wrap theirs (they may have wrapped ours,
                # which then passes records through unchanged for lack of handles to apply).
                self._previous = logging.getLogRecordFactory()
                logging.setLogRecordFactory(self)
            self._invalidate_locked()

    def remove(self, handle: RedactionHandle) -> None:
        with self._lock:
            self._handles = tuple(h for h in self._handles if h is not handle)
            if not self._handles and logging.getLogRecordFactory() is self and self._previous is not None:
                logging.setLogRecordFactory(self._previous)
                self._previous = None
            self._invalidate_locked()

    def invalidate(self) -> None:
        with self._lock:
            self._invalidate_locked()

    def _invalidate_locked(self) -> None:
        self._by_name = {}
        self._all = None

    def all_values(self) -> Masker:
        masker = self._all
        if masker is None:
            masker = _log_masker()
            for handle in self._handles:
                masker.merge(handle.filter.masker)
            self._all = masker
        return masker

    def _for_name(self, name: str) -> tuple[Masker, frozenset[int]] | None:
        try:
            return self._by_name[name]
        except KeyError:
            pass
        handles = [handle for handle in self._handles if handle.covers(name)]
        entry: tuple[Masker, frozenset[int]] | None = None
        if handles:
            if len(handles) == 1:
                masker = handles[0].filter.masker
            else:
                masker = _log_masker()
                for handle in handles:
                    masker.merge(handle.filter.masker)
            entry = (masker, frozenset(id(handle.filter) for handle in handles))
        self._by_name[name] = entry
        return entry

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        previous = self._previous or logging.LogRecord
        record = previous(*args, **kwargs)
        entry = self._for_name(str(record.name)) if self._handles else None
        if entry is not None and entry[0]:
            masker, done = entry
            _mask_record(record, masker)
            record.__dict__ = _MaskedRecordDict(record.__dict__, masker, done)
        return record


_HOOK = _RecordFactoryHook()


def install_redaction(
    settings_or_values: BaseModel | Mapping[str, str] | Iterable[str], logger: logging.Logger | None = None
) -> RedactionHandle:
    """Mask every secret value of ``settings_or_values`` in records of ``logger`` and its child loggers
    (default: the root logger, so every record of the process).

    ``settings_or_values`` is a loaded settings object (the values of :func:`secret_values`: secret fields,
    the strings of fields named like a secret, URL passwords) or the values themselves (a mapping's values,
    or an iterable of strings; a mapping's ``None`` and empty values are no values; a ``SecretStr``,
    ``SecretBytes`` or ``Secret[...]`` given gives its real value). A value of
    :data:`LOG_WHOLE_TOKEN_BELOW` characters or more is masked wherever it appears; a shorter one only where
    it stands as a whole token (``pin=4821``, ``"4821"``, ``ESC[1m4821ESC[0m``, not ``14821``; ``-42`` not
    in ``10-42``); one of fewer than :data:`LOG_MIN_LENGTH` characters, and a bool, not at all: a
    :class:`ShortSecretWarning` names their variables (a mapping's keys, an iterable's positions). The
    password of a value that is a URL follows the same rule by its own length, masked on its own (as written
    and decoded) and in any URL of a log line (``postgresql+psycopg://app:<it>@db``); one of fewer than
    :data:`LOG_MIN_LENGTH` characters only in a URL (and named in the warning).

    Records are masked when they are created (the log record factory is wrapped), so handlers added later
    (``logging.basicConfig()``, ``dictConfig``) and loggers that do not propagate (uvicorn's) are covered; a
    filter also goes on the logger and on each handler it has now. Idempotent: a second call on the same
    logger adds the values to the existing filter and returns the same handle. ``handle.uninstall()``
    removes it.
    """
    target = logger if logger is not None else logging.getLogger()
    named: list[tuple[str, str | None]]
    urls: set[str] = set()  # the URLs of plain fields: their passwords, not the URLs, are masked
    if isinstance(settings_or_values, BaseModel):
        values: Iterable[str]
        values, urls = secret_values_and_urls(settings_or_values)
        named = _declared_values(settings_or_values)
    elif isinstance(settings_or_values, Mapping):
        named = []
        for key, value in settings_or_values.items():
            _given(value, str(key), named)
        values = [text for _key, text in named if text]
    else:
        named = []
        for index, value in enumerate(settings_or_values, 1):
            _given(value, f"value {index}", named)
        values = [text for _key, text in named if text]
    unmaskable = _unmaskable(named)
    if unmaskable:
        warnings.warn(
            f"install_redaction: not masked in logs, too short to redact without garbling every line that "
            f"holds them (and guessed anyway): {', '.join(unmaskable)}",
            ShortSecretWarning,
            stacklevel=2,
        )
    for existing in target.filters:
        handle = getattr(existing, "_autoaudit_handle", None)
        if isinstance(existing, RedactionFilter) and isinstance(handle, RedactionHandle):
            existing.add(values, password_urls=urls)
            handle._attach()
            _HOOK.add(handle)
            return handle
    redaction_filter = RedactionFilter(values)
    redaction_filter.add((), password_urls=urls)
    handle = RedactionHandle(target, redaction_filter)
    redaction_filter._autoaudit_handle = handle  # type: ignore[attr-defined]
    handle._attach()
    _HOOK.add(handle)
    return handle
