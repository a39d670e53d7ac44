"""Secrets declared with a plain type: a field named like a secret but typed ``str``, a URL with a password.

Only ``SecretStr``, ``SecretBytes`` and ``Secret[...]`` hide a value from ``model_dump()``. Two more kinds of
field are kept out of what the package *shows* (``repr()``/``str()`` of the settings, the log redaction of
:func:`~autoaudit_secrets.settings.install_redaction`, ``.env.example``) and are reported by
``autoaudit-secrets check``:

* **named like a secret**: a field typed ``str`` or ``str | None`` whose variable the name rule of
  check-secrets calls a secret (``PASSWORD``, ``STRIPE_API_KEY``, ``DB__PASSWORD``; not ``TOKEN_URL`` or
  ``PASSWORD_MIN_LENGTH``): its whole value;
* **a URL with a password**: the password of a URL held by any other ``str`` or URL-typed field
  (``DATABASE_URL=postgres://app:<password>@db/app``, a ``PostgresDsn``), known once the settings are loaded.

``Annotated[str, NotSecret]`` says a field holds no secret: none of this applies to it.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, final
from urllib.parse import unquote

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .._redact import MASK
from ._fields import EnvField, env_fields

__all__ = [
    "GUESSED_MIN_LOG_LENGTH",
    "NotSecret",
    "PlainSecret",
    "mask_url_password",
    "masked_repr_args",
    "plain_kind",
    "plain_secret_fields",
    "plain_secret_values",
]

# A value of a field that is secret only by its name is masked in logs from this length on: a short value
# (AUTH_MODE=oidc, a "true") would be masked in every log line that happens to contain it.
GUESSED_MIN_LOG_LENGTH = 8


@final
class NotSecret:
    """Marks a field that holds no secret although its name or value suggests one:
    ``token_audience: Annotated[str, NotSecret] = "api"``. The field is then shown, logged and written to
    ``.env.example`` as is, and ``autoaudit-secrets check`` does not warn about it. The class or an instance
    may be given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NotSecret"


@dataclass(frozen=True)
class PlainSecret:
    """A field holding a secret with a plain type: what :func:`plain_secret_fields` returns (no value)."""

    env_name: str
    attrs: tuple[str, ...]  # the attribute path from the settings class (``("db", "password")``)
    kind: Literal["name", "url"]  # named like a secret / holds a URL with a password
    declared: str  # the declared type, as written in the fix (``str | None``, ``PostgresDsn``)
    fix: str  # the type to declare instead (``SecretStr | None``, ``Secret[PostgresDsn]``)

    def __str__(self) -> str:
        # The URL itself is never shown: only that the field holds one with a password.
        why = "named like a secret" if self.kind == "name" else "holds a URL with a password"
        # The attribute path, where the variable's name does not say it (a nested model, an alias).
        field = "" if self.attrs[-1].upper() == self.env_name else f" (field {'.'.join(self.attrs)})"
        return (
            f"{self.env_name}{field}: {why} but typed {self.declared}, so "
            f"model_dump() shows it; declare it {self.fix} (or Annotated[{self.declared}, NotSecret] if it "
            "holds no secret)"
        )


@dataclass(frozen=True)
class _Leaf:
    """A field that may hold a plain secret: typed ``str``-like or as a URL, neither secret nor marked."""

    field: EnvField
    guessed: bool  # named like a secret (and str-typed): the whole value is a secret
    declared: str
    fix: str


# ---------------------------------------------------------------------------------------------- URLs


def _url_span(text: str) -> tuple[int, int] | None:
    """Where the password of the URL ``text`` is (``scheme://user:<password>@host...``), else ``None``.

    The authority runs to the first ``/``, ``?`` or ``#``; its user information to its *last* ``@`` (a
    password written with a raw ``@`` is covered whole; with several hosts each with a user, the span runs
    over the first hosts too: more is hidden, never less)."""
    scheme_end = text.find("://")
    if scheme_end <= 0 or not text[0].isascii() or not text[0].isalpha():
        return None
    if any(not (ch.isascii() and (ch.isalnum() or ch in "+.-")) for ch in text[:scheme_end]):
        return None
    start = scheme_end + 3
    end = len(text)
    for delimiter in "/?#":
        found = text.find(delimiter, start)
        if found != -1:
            end = min(end, found)
    at = text.rfind("@", start, end)
    if at == -1:
        return None
    colon = text.find(":", start, at)
    if colon == -1 or colon + 1 == at or any(ch.isspace() for ch in text[start:colon]):
        return None  # a blank in the password does not stop it: more is hidden, never less
    return colon + 1, at


def mask_url_password(text: str) -> str:
    """``text`` with the password of the URL it is replaced by the mask (unchanged when it has none)."""
    span = _url_span(text)
    return text if span is None else text[: span[0]] + MASK + text[span[1] :]


def _url_types() -> tuple[type, ...]:
    import pydantic_core
    from pydantic import networks

    found: list[type] = [pydantic_core.Url, pydantic_core.MultiHostUrl]
    for name in ("_BaseUrl", "_BaseMultiHostUrl"):  # pydantic >= 2.10: the URL types' own bases
        base = getattr(networks, name, None)
        if isinstance(base, type):
            found.append(base)
    return tuple(found)


def _url_text(value: Any) -> str | None:
    """The text of a URL-like value (a string or a pydantic URL object), else ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, _URL_TYPES):
        return str(value)
    return None


_URL_TYPES = _url_types()


# ---------------------------------------------------------------------------------------------- the schema


def _annotated_metadata(annotation: Any) -> Iterator[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        args = typing.get_args(annotation)
        yield from args[1:]
        yield from _annotated_metadata(args[0])
    elif origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            yield from _annotated_metadata(arg)


def _marked(info: FieldInfo) -> bool:
    return any(
        item is NotSecret or isinstance(item, NotSecret)
        for item in (*info.metadata, *_annotated_metadata(info.annotation))
    )


def _concrete(annotation: Any) -> list[Any]:
    """The types ``annotation`` names through Optional/Union/Annotated (``Optional[str]`` -> str, None)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _concrete(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [tp for arg in typing.get_args(annotation) for tp in _concrete(arg)]
    return [annotation]


def _leaf(field: EnvField, is_secret_name: typing.Callable[[str], bool]) -> _Leaf | None:
    if field.nested or field.secret or _marked(field.field):
        return None
    kinds = _concrete(field.field.annotation)
    optional = type(None) in kinds
    rest = [tp for tp in kinds if tp is not type(None)]
    if len(rest) != 1 or not isinstance(rest[0], type):
        return None
    tp = rest[0]
    suffix = " | None" if optional else ""
    if tp is str:
        return _Leaf(field, is_secret_name(field.env_name), f"str{suffix}", f"SecretStr{suffix}")
    if issubclass(tp, _URL_TYPES):
        guessed = is_secret_name(field.env_name)
        return _Leaf(field, guessed, f"{tp.__name__}{suffix}", f"Secret[{tp.__name__}]{suffix}")
    return None


@functools.lru_cache(maxsize=256)
def _leaves(cls: type[BaseModel]) -> tuple[_Leaf, ...]:
    from ..scan import is_secret_name  # the scanner's name rule: one rule for "this name holds a secret"

    prefix = str(getattr(cls, "model_config", {}).get("env_prefix") or "")
    found = (_leaf(field, is_secret_name) for field in env_fields(cls, prefix=prefix))
    return tuple(leaf for leaf in found if leaf is not None)


def plain_kind(cls: type[BaseModel], env_name: str) -> Literal["name", "url"] | None:
    """For the variable ``env_name`` of ``cls``: ``"name"`` when it is a ``str`` (or URL) field named like a
    secret, ``"url"`` when it is another ``str`` or URL field (its value may carry a URL password), ``None``
    for any other field and for fields marked :class:`NotSecret` or declared secret."""
    for leaf in _leaves(cls):
        if leaf.field.env_name == env_name:
            return "name" if leaf.guessed else "url"
    return None


def _value_at(settings: BaseModel, attrs: tuple[str, ...]) -> Any:
    value: Any = settings
    for name in attrs:
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def plain_secret_fields(schema: type[BaseModel] | BaseModel) -> list[PlainSecret]:
    """The fields of a settings class that hold a secret with a plain type, in field order (no value).

    Given the class: the ``str`` fields named like a secret. Given loaded settings: those, and the fields
    whose value is a URL with a password (``DATABASE_URL: str``, ``PostgresDsn``). Fields marked
    ``Annotated[..., NotSecret]`` are never listed."""
    instance: BaseModel | None = None
    if isinstance(schema, BaseModel):
        instance, cls = schema, type(schema)
    else:
        cls = schema
    found: list[PlainSecret] = []
    for leaf in _leaves(cls):
        env_name, attrs = leaf.field.env_name, leaf.field.attrs
        if leaf.guessed:
            found.append(PlainSecret(env_name, attrs, "name", leaf.declared, leaf.fix))
        elif instance is not None:
            text = _url_text(_value_at(instance, attrs))
            if text is not None and _url_span(text) is not None:
                found.append(PlainSecret(env_name, attrs, "url", leaf.declared, leaf.fix))
    return found


def plain_secret_values(settings: BaseModel) -> set[str]:
    """The values :func:`install_redaction` masks besides the ``SecretStr`` ones: the value of each ``str``
    field named like a secret (from :data:`GUESSED_MIN_LOG_LENGTH` characters on) and the password of each
    URL with one (with fewer than that many characters, as it appears in the URL: ``:<password>@``), also
    percent-decoded."""
    found: set[str] = set()
    for leaf in _leaves(type(settings)):
        text = _url_text(_value_at(settings, leaf.field.attrs))
        if not text:
            continue
        if leaf.guessed and len(text) >= GUESSED_MIN_LOG_LENGTH:
            found.add(text)
        span = _url_span(text)
        if span is None:
            continue
        password = text[span[0] : span[1]]
        for form in {password, unquote(password)}:
            found.add(form if len(form) >= GUESSED_MIN_LOG_LENGTH else f":{form}@")
    return found


# ---------------------------------------------------------------------------------------------- repr


class _Shown:
    """A repr argument shown as the given text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _shown(value: Any, leaf: _Leaf) -> Any:
    text = _url_text(value)
    if text is None:
        return value
    if leaf.guessed:
        return _Shown(repr(MASK) if isinstance(value, str) else f"{type(value).__name__}({MASK!r})")
    masked = mask_url_password(text)
    if masked == text:
        return value
    return _Shown(repr(masked) if isinstance(value, str) else f"{type(value).__name__}({masked!r})")


def _masked_model(model: BaseModel, leaves: dict[tuple[str, ...], _Leaf], path: tuple[str, ...]) -> Any:
    original = list(model.__repr_args__())
    args = list(_masked_args(original, leaves, path))
    if all(new is old for (_, new), (_, old) in zip(args, original, strict=True)):
        return model
    inner = ", ".join(repr(value) if name is None else f"{name}={value!r}" for name, value in args)
    return _Shown(f"{type(model).__name__}({inner})")


def _masked_args(
    args: typing.Iterable[tuple[str | None, Any]], leaves: dict[tuple[str, ...], _Leaf], path: tuple[str, ...]
) -> Iterator[tuple[str | None, Any]]:
    for name, value in args:
        if name is None:
            yield name, value
            continue
        here = (*path, name)
        leaf = leaves.get(here)
        if leaf is not None:
            yield name, _shown(value, leaf)
        elif isinstance(value, BaseModel) and any(key[: len(here)] == here for key in leaves):
            yield name, _masked_model(value, leaves, here)
        else:
            yield name, value


def masked_repr_args(
    settings: BaseModel, args: typing.Iterable[tuple[str | None, Any]]
) -> Iterator[tuple[str | None, Any]]:
    """``settings``' repr arguments with plain secrets masked: the whole value of a field named like a
    secret, the password of a URL elsewhere (nested models included)."""
    leaves = {leaf.field.attrs: leaf for leaf in _leaves(type(settings))}
    if not leaves:
        yield from args
        return
    yield from _masked_args(args, leaves, ())
