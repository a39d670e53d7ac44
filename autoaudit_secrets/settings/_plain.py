"""Secrets declared with a plain type: a field named like a secret but typed ``str``, a URL with a password.

Only ``SecretStr``, ``SecretBytes`` and ``Secret[...]`` hide a value from ``model_dump()``. Two more kinds of
field are kept out of what the package *shows* (``repr()``/``str()`` of the settings, the log redaction of
:func:`~autoaudit_secrets.settings.install_redaction`, ``.env.example``) and are reported by
``autoaudit-secrets check``:

* **named like a secret**: a field holding strings (``str``, ``str | None``, ``bytes``, a URL type, ``Any``,
  and containers of them at any depth: ``list[str]``, ``tuple[str, ...]``, ``set[str]``, ``dict[str, str]``,
  ``dict[str, list[str]]``, ``dict[str, Any]``, a bare ``list``) whose variable the name rule of
  check-secrets calls a secret (``PASSWORD``, ``STRIPE_API_KEY``, ``DB__PASSWORD``; not ``TOKEN_URL`` or
  ``PASSWORD_MIN_LENGTH``; a container's name is also judged with a plural word in the singular:
  ``API_KEYS`` as ``API_KEY``, ``API_KEYS_PROD`` as ``API_KEY_PROD``): every string of its value (the values
  of a dict; its keys are names and stay);
* **a URL with a password**: the password of a URL held by any other such field (``DATABASE_URL=postgres://
  app:<password>@db/app``, a ``PostgresDsn``, an item of ``list[str]``), known once the settings are loaded.

Both apply to the fields of nested models, also of models inside containers (``replicas: list[Replica]``:
``REPLICAS__PASSWORD`` is judged, the variable ``REPLICAS`` feeds it). ``Annotated[..., NotSecret]`` says a
field holds no secret, also on its items (``list[Annotated[str, NotSecret]]``, a dict's values): none of this
applies to it.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, final
from urllib.parse import unquote

from pydantic import BaseModel, Secret, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

from .._redact import MASK
from ._fields import field_env_name, is_secret_annotation, nested_model, reachable_models
from ._masking import LOG_MIN_LENGTH, LOG_WHOLE_TOKEN_BELOW, Masker, url_password_span, url_passwords

__all__ = [
    "GUESSED_MIN_LOG_LENGTH",
    "NotSecret",
    "PlainSecret",
    "computed_secrets",
    "mask_strings",
    "mask_url_password",
    "masked_repr_args",
    "plain_kind",
    "plain_secret_fields",
    "plain_secret_values",
    "plain_urls",
    "shown_member",
]

# A value of a field that is secret only by its name is masked in logs from this length on: a short value
# (AUTH_MODE=oidc, a "true") would be masked in every log line that happens to contain it. The length from
# which a declared secret is masked wherever it appears, not only as a whole token.
GUESSED_MIN_LOG_LENGTH = LOG_WHOLE_TOKEN_BELOW


@final
class NotSecret:
    """Marks a field that holds no secret although its name or value suggests one:
    ``token_audience: Annotated[str, NotSecret] = "api"``. The field is then shown, logged and written to
    ``.env.example`` as is, and ``autoaudit-secrets check`` does not warn about it. The class or an instance
    may be given, on the field's type or on its items (``list[Annotated[str, NotSecret]]``, the values of a
    ``dict``)."""

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


# A step of a path from the settings to a value: an attribute name, or ``None`` for every item of the
# container there (list/tuple/set items, dict values) that is a model.
_Path = tuple[str | None, ...]


def _accepts(annotation: Any, value: Any) -> bool:
    """Whether ``value`` is of the kind ``annotation`` (a member of a union) describes: a mapping, a
    container, ``None``, an instance of the class; ``Any`` accepts anything."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _accepts(typing.get_args(annotation)[0], value)
    if annotation is typing.Any or annotation is object:
        return True
    if annotation is type(None):
        return value is None
    bare = origin if origin is not None else annotation
    if bare in _MAPPINGS:
        return isinstance(value, Mapping)
    if bare in _SEQUENCES or bare is tuple:
        return isinstance(value, _CONTAINERS)
    return isinstance(bare, type) and isinstance(value, bare)


def _at_any(annotation: Any, value: Any) -> Iterator[Any]:
    """The parts of ``value`` that stand where ``annotation`` says ``Any`` (``dict[str, Any]``: the dict's
    values; a bare ``list``: its items; ``Any``: the value)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _at_any(args[0], value)
    elif origin is typing.Union or origin is types.UnionType:
        # The member the value is of; Any last, as it accepts anything.
        for member in sorted(args, key=lambda arg: arg is typing.Any or arg is object):
            if _accepts(member, value):
                yield from _at_any(member, value)
                return
    elif annotation is typing.Any or annotation is object:
        yield value
    else:
        bare = origin if origin is not None else annotation
        if bare in _MAPPINGS and isinstance(value, Mapping):
            item = args[1] if len(args) == 2 else typing.Any
            for held in value.values():
                yield from _at_any(item, held)
        elif (bare in _SEQUENCES or bare is tuple) and isinstance(value, _CONTAINERS):
            items = [arg for arg in args if arg is not Ellipsis] or [typing.Any]
            fixed = bare is tuple and args and args[-1] is not Ellipsis
            for index, held in enumerate(value):
                yield from _at_any(items[min(index, len(items) - 1)] if fixed else items[0], held)


def _kinds(values: Iterable[Any]) -> list[str] | None:
    """The types of ``values`` as a schema writes them (:func:`_plain_type`), each once, in order of first
    appearance, ``None`` last; ``None`` when one is not JSON-like."""
    kinds: dict[str, None] = {}
    for value in values:
        kind = _plain_type(value)
        if kind is None:
            return None
        kinds[kind] = None
    return sorted(kinds, key=lambda kind: kind == "None")


def _union(values: Iterable[Any]) -> str | None:
    kinds = _kinds(values)
    if kinds is None:
        return None
    return " | ".join(kinds) if kinds else "str"  # an empty container: strings, as a variable gives


def _plain_type(value: Any) -> str | None:
    """The type of a JSON-like value as a schema writes it (``str``, ``int``, ``list[str]``,
    ``dict[str, str | int]``), ``None`` for another object."""
    if value is None:
        return "None"
    if isinstance(value, (str, bytes, bool, int, float)):
        return type(value).__name__
    if isinstance(value, bytearray):
        return "bytes"
    inner: str | None = None
    if isinstance(value, Mapping):
        inner = _union(value.values())
        return None if inner is None else f"dict[str, {inner}]"
    if isinstance(value, _CONTAINERS):
        inner = _union(value)
        return None if inner is None else f"list[{inner}]"
    return None


def _secret_type(kind: str) -> str:
    return {"str": "SecretStr", "bytes": "SecretBytes", "None": "None"}.get(kind, f"Secret[{kind}]")


def _any_fix(values: Iterable[Any]) -> str:
    """The secret type for the values found where a field says ``Any``: each kind of value hidden whole
    (``SecretStr | Secret[int]``, ``Secret[list[str]]``, ``| None`` when one is ``None``); ``SecretStr``
    when there are none, or one is no JSON-like value."""
    kinds = _kinds(values)
    if kinds is None or kinds in ([], ["None"]):
        return _ANY_DEFAULT
    return " | ".join(_secret_type(kind) for kind in kinds)


@dataclass(frozen=True)
class _Leaf:
    """A field that may hold a plain secret: strings in some shape, neither declared secret nor marked."""

    env_name: str  # the variable that feeds it (for a field of a model inside a container: the container's)
    path: _Path
    guessed: bool  # named like a secret: every string of the value is a secret
    declared: str
    fix: str  # where the field says Any, _ANY_FIX: see _fix
    annotation: Any  # the field's

    @property
    def attrs(self) -> tuple[str, ...]:
        return tuple(step for step in self.path if step is not None)


# ---------------------------------------------------------------------------------------------- URLs


def mask_url_password(text: str) -> str:
    """``text`` with the password of the URL it is replaced by the mask (unchanged when it has none)."""
    span = url_password_span(text)
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


def _is_marker(item: Any) -> bool:
    return item is NotSecret or isinstance(item, NotSecret)


def _marked_type(annotation: Any) -> bool:
    """Whether ``annotation`` says its strings hold no secret: ``Annotated[..., NotSecret]``, in a union
    member (``Annotated[str, NotSecret] | None``), or on the items of a container (``list[Annotated[str,
    NotSecret]]``, the values of a dict, every item of a fixed tuple: an unmarked one keeps the field)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return any(_is_marker(item) for item in args[1:]) or _marked_type(args[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_marked_type(arg) for arg in args)
    if origin is tuple:
        items = [arg for arg in args if arg is not Ellipsis]
        return bool(items) and all(_marked_type(item) for item in items)
    if origin in _SEQUENCES and len(args) == 1:
        return _marked_type(args[0])
    if origin in _MAPPINGS and len(args) == 2:
        return _marked_type(args[1])  # the keys are names: a marker there says nothing of the values
    return False


def _marked(info: FieldInfo) -> bool:
    return any(_is_marker(item) for item in info.metadata) or _marked_type(info.annotation)


@dataclass(frozen=True)
class _Shape:
    """How a field holding strings is declared, the type to declare instead, and whether it is a container."""

    declared: str
    fix: str
    container: bool


# Containers whose items are the strings (pydantic validates the abstract ones into a list, tuple or set).
_SEQUENCES: frozenset[Any] = frozenset(
    {
        list,
        set,
        frozenset,
        collections.deque,
        collections.abc.Sequence,  # typing.Sequence[str] too: typing's aliases have these as their origin
        collections.abc.MutableSequence,
        collections.abc.Set,
        collections.abc.MutableSet,
        collections.abc.Collection,
    }
)
_MAPPINGS: frozenset[Any] = frozenset({dict, collections.abc.Mapping, collections.abc.MutableMapping})
# Where a value of any type may be (``Any``, the items of a bare ``list``/``dict``), the fix names the secret
# type of the values found there (:func:`_any_fix`): ``dict[str, Any]`` holding strings and numbers ->
# ``dict[str, SecretStr | Secret[int]]``. Not ``Secret[Any]``: it accepts anything, so the schema checks
# nothing, and its ``get_secret_value()`` is ``Any`` (a type checker checks nothing either). This marks the
# place in the fix until then.
_ANY_FIX = "\x00any\x00"
# Without values to look at (the class alone, or the field empty): a string, what a variable gives
# (``TOKENS__billing=...``; the items of JSON are strings most of the time too).
_ANY_DEFAULT = "SecretStr"


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp).replace("typing.", "")


def _bare_shape(container: Any) -> _Shape:
    """A container declared without item types (``list``, ``dict``): it may hold anything."""
    name = _type_name(container)
    if container in _MAPPINGS:
        return _Shape(name, f"{name}[str, {_ANY_FIX}]", True)
    if container is tuple:
        return _Shape(name, f"tuple[{_ANY_FIX}, ...]", True)
    return _Shape(name, f"{name}[{_ANY_FIX}]", True)


def _shape(annotation: Any) -> _Shape | None:
    """The shape of an annotation that holds strings: ``str``, ``bytes``, a URL type, ``None``, ``Any``, and
    unions, ``Annotated`` forms and containers of them (a bare ``list``/``dict`` too); ``None`` for anything
    else (numbers, models, secrets)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _shape(args[0])
    if origin is typing.Union or origin is types.UnionType:
        members = [_shape(arg) for arg in args]
        known = [member for member in members if member is not None]
        if len(known) != len(members) or all(arg is type(None) for arg in args):
            return None
        return _Shape(
            " | ".join(member.declared for member in known),
            " | ".join(member.fix for member in known),
            any(member.container for member in known),
        )
    if annotation is type(None):
        return _Shape("None", "None", False)
    if annotation is str:
        return _Shape("str", "SecretStr", False)
    if annotation is bytes:
        return _Shape("bytes", "SecretBytes", False)
    if annotation is typing.Any or annotation is object:
        return _Shape("Any", _ANY_FIX, False)
    if isinstance(annotation, type) and issubclass(annotation, _URL_TYPES):
        return _Shape(annotation.__name__, f"Secret[{annotation.__name__}]", False)
    bare = origin if origin is not None else annotation
    if not args and (bare in _SEQUENCES or bare in _MAPPINGS or bare is tuple):
        return _bare_shape(bare)
    if origin is tuple:
        items = [_shape(arg) for arg in args if arg is not Ellipsis]
        known = [item for item in items if item is not None]
        if not known or len(known) != len(items):
            return None
        tail = ", ..." if args[-1] is Ellipsis else ""
        declared = ", ".join(item.declared for item in known)
        fix = ", ".join(item.fix for item in known)
        return _Shape(f"tuple[{declared}{tail}]", f"tuple[{fix}{tail}]", True)
    if origin in _SEQUENCES and len(args) == 1:
        item = _shape(args[0])
        if item is None:
            return None
        name = _type_name(origin)
        return _Shape(f"{name}[{item.declared}]", f"{name}[{item.fix}]", True)
    if origin in _MAPPINGS and len(args) == 2:
        item = _shape(args[1])
        if item is None:
            return None
        key_type = args[0]
        while typing.get_origin(key_type) is typing.Annotated:  # a marker or constraint on the keys
            key_type = typing.get_args(key_type)[0]
        name, key = _type_name(origin), _type_name(key_type)
        return _Shape(f"{name}[{key}, {item.declared}]", f"{name}[{key}, {item.fix}]", True)
    return None


def _contained_models(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation holds inside containers (``list[Replica]``, ``dict[str, Replica]``);
    a model held directly is a nested model, expanded into variables of its own."""
    found: list[type[BaseModel]] = []

    def visit(tp: Any, inside: bool) -> None:
        origin = typing.get_origin(tp)
        if origin is typing.Literal:
            return
        if origin is typing.Annotated:
            visit(typing.get_args(tp)[0], inside)
        elif origin is typing.Union or origin is types.UnionType:
            for arg in typing.get_args(tp):
                visit(arg, inside)
        elif origin is not None:
            for arg in typing.get_args(tp):
                visit(arg, True)
        elif inside and isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in found:
            found.append(tp)

    visit(annotation, False)
    return found


_WORD = re.compile(r"[A-Za-z0-9]+")


def _singulars(env_name: str) -> list[str]:
    """``env_name`` with one of its words in the singular, for each word in the plural (``API_KEYS`` ->
    ``API_KEY``; ``API_KEYS_PROD`` -> ``API_KEY_PROD``; ``DB_PASSWORDS_V2`` -> ``DB_PASSWORD_V2``): a
    container's name says what each of its items is. The name rule then judges each form as any name
    (``PASSWORDS_POLICY_URL`` as ``PASSWORD_POLICY_URL``: about passwords, not one)."""
    return [
        f"{env_name[: word.end() - 1]}{env_name[word.end() :]}"
        for word in _WORD.finditer(env_name)
        if len(word.group()) > 1 and word.group()[-1] in "sS" and word.group()[-2] not in "sS"
    ]


def _walk(
    model: type[BaseModel],
    prefix: str,
    variable: str | None,
    path: _Path,
    top: bool,
    seen: frozenset[type[BaseModel]],
    is_secret_name: Callable[[str], bool],
    out: list[_Leaf],
) -> None:
    """The leaves of ``model``, nested models expanded as ``env_fields`` does (``DB__PASSWORD``), models
    inside containers too (``variable``: the container's variable, which feeds them)."""
    for name, info in model.model_fields.items():
        env_name, _loc = field_env_name(name, info, prefix, top=top)
        here = (*path, name)
        if is_secret_annotation(info.annotation) or _marked(info):
            continue
        shape = _shape(info.annotation)
        if shape is not None:
            singulars = _singulars(env_name) if shape.container else []
            guessed = is_secret_name(env_name) or any(is_secret_name(name) for name in singulars)
            leaf = _Leaf(variable or env_name, here, guessed, shape.declared, shape.fix, info.annotation)
            out.append(leaf)
            continue
        sub = nested_model(info.annotation)
        if sub is not None:
            if sub not in seen:
                _walk(sub, env_name + "__", variable, here, False, seen | {sub}, is_secret_name, out)
            continue
        for sub in _contained_models(info.annotation):
            if sub not in seen:
                feeds = variable or env_name
                _walk(sub, env_name + "__", feeds, (*here, None), False, seen | {sub}, is_secret_name, out)


@functools.lru_cache(maxsize=256)
def _leaves(cls: type[BaseModel]) -> tuple[_Leaf, ...]:
    from ..scan import is_secret_name  # the scanner's name rule: one rule for "this name holds a secret"

    prefix = str(getattr(cls, "model_config", {}).get("env_prefix") or "")
    found: list[_Leaf] = []
    _walk(cls, prefix, None, (), True, frozenset({cls}), is_secret_name, found)
    return tuple(found)


def plain_kind(cls: type[BaseModel], env_name: str) -> Literal["name", "url"] | None:
    """For the variable ``env_name`` of ``cls``: ``"name"`` when it holds strings named like a secret (a
    ``str``, a URL, a ``list[str]``, a list of models with such a field), ``"url"`` when it holds other
    strings (which may carry a URL password), ``None`` for any other variable and for fields marked
    :class:`NotSecret` or declared secret."""
    kinds = {leaf.guessed for leaf in _leaves(cls) if leaf.env_name == env_name}
    if not kinds:
        return None
    return "name" if True in kinds else "url"


_CONTAINERS = (list, tuple, set, frozenset, collections.deque)


def _held(value: Any) -> Iterator[Any]:
    """``value`` itself, or what a container holds: list/tuple/set items and dict values (its keys are
    names), nested containers too."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _held(item)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            yield from _held(item)
    else:
        yield value


def _items(value: Any) -> Iterator[Any]:
    """The models inside a container value (list/tuple/set items and dict values, nested containers too)."""
    return (leaf for leaf in _held(value) if isinstance(leaf, BaseModel))


def _values_at(value: Any, path: _Path) -> Iterator[Any]:
    """Every value at ``path`` from ``value`` (several when the path passes through a container)."""
    if not path:
        yield value
        return
    step, rest = path[0], path[1:]
    if step is None:
        for item in _items(value):
            yield from _values_at(item, rest)
        return
    inner = getattr(value, step, None)
    if inner is not None:
        yield from _values_at(inner, rest)


def _strings(value: Any) -> Iterator[str]:
    """The strings of a plain value: itself, a URL's text, bytes as text, the items of a list/tuple/set and
    the values of a dict (its keys are names), at any depth."""
    for leaf in _held(value):
        text = _url_text(leaf)
        if text is not None:
            yield text
        elif isinstance(leaf, (bytes, bytearray)):
            yield bytes(leaf).decode("utf-8", "replace")


def _leaf_strings(settings: BaseModel, leaf: _Leaf) -> Iterator[str]:
    for value in _values_at(settings, leaf.path):
        yield from _strings(value)


def plain_secret_fields(schema: type[BaseModel] | BaseModel) -> list[PlainSecret]:
    """The fields of a settings class that hold a secret with a plain type, in field order (no value).

    Given the class: the fields holding strings that are named like a secret (``password: str``,
    ``api_keys: list[str]``, ``tokens: dict[str, str]``). Given loaded settings: those, and the fields with a
    URL with a password among their strings (``DATABASE_URL: str``, ``PostgresDsn``). Fields marked
    ``Annotated[..., NotSecret]`` are never listed."""
    instance: BaseModel | None = None
    if isinstance(schema, BaseModel):
        instance, cls = schema, type(schema)
    else:
        cls = schema
    found: list[PlainSecret] = []
    for leaf in _leaves(cls):
        if leaf.guessed:
            found.append(PlainSecret(leaf.env_name, leaf.attrs, "name", leaf.declared, _fix(leaf, instance)))
        elif instance is not None and any(url_password_span(text) for text in _leaf_strings(instance, leaf)):
            found.append(PlainSecret(leaf.env_name, leaf.attrs, "url", leaf.declared, _fix(leaf, instance)))
    return found


def _fix(leaf: _Leaf, settings: BaseModel | None) -> str:
    """The type to declare for ``leaf``; where it says ``Any``, the secret type of the values loaded there
    (``settings``), else ``SecretStr``."""
    if _ANY_FIX not in leaf.fix:
        return leaf.fix
    values: list[Any] = []
    if settings is not None:
        for value in _values_at(settings, leaf.path):
            values.extend(_at_any(leaf.annotation, value))
    return leaf.fix.replace(_ANY_FIX, _any_fix(values))


def plain_secret_values(settings: BaseModel) -> set[str]:
    """The values :func:`install_redaction` masks besides the ``SecretStr`` ones: each string of a field
    named like a secret (from :data:`GUESSED_MIN_LOG_LENGTH` characters on: an item of a ``list[str]``, a
    value of a ``dict[str, str]``) and the password of each URL with one (each host's) of
    :data:`LOG_MIN_LENGTH` characters or more, as written in the URL and decoded. :func:`plain_urls` gives
    the URLs, so that the password is masked in any spelling of a URL too (SQLAlchemy's), a shorter one
    only there (``postgres://app:**********@db``, as a longer one)."""
    found: set[str] = set()
    for leaf in _leaves(type(settings)):
        for text in _leaf_strings(settings, leaf):
            if leaf.guessed and len(text) >= GUESSED_MIN_LOG_LENGTH:
                found.add(text)
            for written in url_passwords(text):
                if len(unquote(written)) >= LOG_MIN_LENGTH:
                    found |= {written, unquote(written)}
    return found


def plain_urls(settings: BaseModel) -> set[str]:
    """The URLs with a password among the strings of the plain fields of ``settings`` (a ``PostgresDsn``,
    a ``str`` holding a DSN, an item of a ``list[str]``), as their text: the log redaction masks their
    password as it does a URL secret's (alone, decoded, in any URL of a line however it is spelled), but not
    the rest of the URL."""
    return {
        text
        for leaf in _leaves(type(settings))
        for text in _leaf_strings(settings, leaf)
        if url_password_span(text) is not None
    }


def mask_strings(value: Any, mask: Callable[[str], str]) -> Any:
    """``value`` (JSON-like data: strings, lists, dicts) with ``mask`` applied to every string that is not
    a dict key; the same object when nothing changed."""
    if isinstance(value, str):
        masked = mask(value)
        return value if masked == value else masked
    if isinstance(value, dict):
        items = {key: mask_strings(item, mask) for key, item in value.items()}
        return value if all(items[key] is item for key, item in value.items()) else items
    if isinstance(value, list):
        new = [mask_strings(item, mask) for item in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    return value


# ---------------------------------------------------------------------------------------------- repr


class _Shown:
    """A repr argument shown as the given text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_REBUILT = (list, tuple, set, frozenset, collections.deque)


def _shown(value: Any, guessed: bool) -> Any:
    """``value`` as repr shows it: every string masked when the field is named like a secret, else the
    password of each URL; containers rebuilt around the masked items (dict keys kept). The same object when
    nothing is masked."""
    text = _url_text(value)
    if text is not None:
        if guessed:
            return _Shown(repr(MASK) if isinstance(value, str) else f"{type(value).__name__}({MASK!r})")
        masked = mask_url_password(text)
        if masked == text:
            return value
        return _Shown(repr(masked) if isinstance(value, str) else f"{type(value).__name__}({masked!r})")
    if isinstance(value, Mapping):
        shown = {key: _shown(item, guessed) for key, item in value.items()}
        if all(shown[key] is item for key, item in value.items()):
            return value
        return _Shown(repr(shown) if type(value) is dict else f"{type(value).__name__}({shown!r})")
    if type(value) in _REBUILT:
        items = [_shown(item, guessed) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return _Shown(repr(type(value)(items)))
    if isinstance(value, (bytes, bytearray)):
        if guessed:
            return _Shown(repr(MASK.encode()))
        text = bytes(value).decode("utf-8", "replace")
        masked = mask_url_password(text)
        return value if masked == text else _Shown(repr(masked.encode()))
    if guessed and value is not None and not isinstance(value, (bool, int, float)):
        return _Shown(repr(MASK))  # an object of another kind whose repr may hold the strings
    return value


@dataclass(frozen=True)
class _ReprPlan:
    """The leaves of a settings class by path, its declared secret fields, and every path that leads to one
    of them (computed once per class)."""

    leaves: dict[_Path, _Leaf]
    above: frozenset[_Path]  # the proper prefixes of the leaves' and declared fields' paths
    # fields declared SecretStr, SecretBytes, Secret[...] (or a union admitting one), with their annotation
    declared: Mapping[_Path, Any] = dataclasses.field(default_factory=dict)


def _declared_walk(
    model: type[BaseModel], path: _Path, seen: frozenset[type[BaseModel]], out: list[tuple[_Path, Any]]
) -> None:
    """The paths of the fields of ``model`` declared secret, with their annotations, nested models and models
    in containers too."""
    for name, info in model.model_fields.items():
        here = (*path, name)
        if is_secret_annotation(info.annotation):
            out.append((here, info.annotation))
            continue
        sub = nested_model(info.annotation)
        if sub is not None:
            if sub not in seen:
                _declared_walk(sub, here, seen | {sub}, out)
            continue
        for sub in _contained_models(info.annotation):
            if sub not in seen:
                _declared_walk(sub, (*here, None), seen | {sub}, out)


@functools.lru_cache(maxsize=256)
def _repr_plan(cls: type[BaseModel]) -> _ReprPlan:
    leaves = {leaf.path: leaf for leaf in _leaves(cls)}
    found: list[tuple[_Path, Any]] = []
    _declared_walk(cls, (), frozenset({cls}), found)
    declared = dict(found)
    above = frozenset(path[:end] for path in (*leaves, *declared) for end in range(1, len(path)))
    return _ReprPlan(leaves, above, declared)


def shown_member(annotation: Any, value: Any) -> bool:
    """Whether ``value``, held by a field of type ``annotation`` that admits a secret, is of a member of the
    field's union marked :class:`NotSecret` (``SecretStr | Annotated[int, NotSecret]`` holding an ``int``):
    repr shows it and the log redaction leaves it alone. Any other value of such a field that is not itself
    a secret type (an ``int`` in ``SecretStr | int``: a numeric PIN or password, as JSON or YAML give one) is
    masked (see ``docs/settings.md``). A secret type is never shown, even on a member marked so."""
    if isinstance(value, (SecretStr, SecretBytes, Secret)):
        return False
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        if any(_is_marker(item) for item in args[1:]):
            return value is not None and _accepts(args[0], value)
        return shown_member(args[0], value)
    if origin is typing.Union or origin is types.UnionType:
        return any(shown_member(arg, value) for arg in args)
    return False


def _declared_shown(value: Any, annotation: Any = None) -> Any:
    """The value of a field declared secret (of type ``annotation``) as repr shows it: a ``SecretStr``,
    ``SecretBytes`` or ``Secret[...]`` shows itself (``SecretStr('**********')``), ``None`` too (not set);
    a value of a union member marked :class:`NotSecret` is shown (:func:`shown_member`); anything else is
    masked, inside containers too: a raw value put in without validation (``settings.api_key = "..."``,
    ``model_construct(api_key="...")``), or a value of a member that is no secret type in a union that
    admits one (``SecretStr | int`` holding a number: it may be a PIN)."""
    if value is None or isinstance(value, (SecretStr, SecretBytes, Secret)):
        return value
    if annotation is not None and shown_member(annotation, value):
        return value
    if isinstance(value, Mapping):
        shown = {key: _declared_shown(item) for key, item in value.items()}
        if all(shown[key] is item for key, item in value.items()):
            return value
        return _Shown(repr(shown) if type(value) is dict else f"{type(value).__name__}({shown!r})")
    if type(value) in _REBUILT:
        items = [_declared_shown(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return _Shown(repr(type(value)(items)))
    return _Shown(repr(MASK))


def _masked_model(model: BaseModel, plan: _ReprPlan, path: _Path, masker: Masker | None = None) -> Any:
    original = list(model.__repr_args__())
    args = list(_masked_args(original, plan, path, type(model), masker))
    if all(new is old for (_, new), (_, old) in zip(args, original, strict=True)):
        return model
    inner = ", ".join(repr(value) if name is None else f"{name}={value!r}" for name, value in args)
    return _Shown(f"{type(model).__name__}({inner})")


def _masked_items(value: Any, plan: _ReprPlan, path: _Path, masker: Masker | None = None) -> Any:
    """A container of models (``path`` ends with the ``None`` step) with each model masked."""
    if isinstance(value, BaseModel):
        return _masked_model(value, plan, path, masker)
    if isinstance(value, Mapping):
        shown = {key: _masked_items(item, plan, path, masker) for key, item in value.items()}
        if all(shown[key] is item for key, item in value.items()):
            return value
        return _Shown(repr(shown) if type(value) is dict else f"{type(value).__name__}({shown!r})")
    if type(value) in _REBUILT:
        items = [_masked_items(item, plan, path, masker) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return _Shown(repr(type(value)(items)))
    return value


def _masked_args(
    args: Iterable[tuple[str | None, Any]],
    plan: _ReprPlan,
    path: _Path,
    model: type[BaseModel],
    masker: Masker | None,
) -> Iterator[tuple[str | None, Any]]:
    """The repr arguments of an instance of ``model`` at ``path``, masked; ``masker`` (the settings' secret
    values) is given when a model reachable from the settings has computed fields."""
    computed = _computed_names(model) if masker is not None else frozenset()
    for name, value in args:
        if name is None:
            yield name, value
            continue
        here = (*path, name)
        leaf = plan.leaves.get(here)
        if name in computed and masker is not None:
            yield name, _computed_shown(name, value, masker)
        elif here in plan.declared:
            yield name, _declared_shown(value, plan.declared[here])
        elif leaf is not None:
            yield name, _shown(value, leaf.guessed)
        elif masker is not None and isinstance(value, BaseModel):  # it may have computed fields
            yield name, _masked_model(value, plan, here, masker)
        elif masker is not None and (isinstance(value, Mapping) or type(value) in _REBUILT):
            yield name, _masked_items(value, plan, (*here, None), masker)
        elif here not in plan.above:
            yield name, value
        elif isinstance(value, BaseModel):
            yield name, _masked_model(value, plan, here)
        elif (*here, None) in plan.above:
            yield name, _masked_items(value, plan, (*here, None))
        else:
            yield name, value


# ------------------------------------------------------------------------------------------ computed fields


def _computed_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(getattr(model, "__pydantic_computed_fields__", None) or ())


@functools.lru_cache(maxsize=256)
def _has_computed_fields(cls: type[BaseModel]) -> bool:
    """Whether ``cls`` or a model reachable from it (nested, inside containers) has computed fields."""
    return any(_computed_names(model) for model in reachable_models(cls))


def _computed_masker(settings: BaseModel) -> Masker:
    """The values a computed field's repr must not show: those :func:`install_redaction` masks (declared
    secrets, plain secrets, secret computed fields), by the same length rule, and the passwords of the plain
    fields' URLs and of the computed fields' URLs."""
    from ._redaction import secret_values_and_urls

    values, urls = secret_values_and_urls(settings)
    masker = Masker(values, min_length=LOG_MIN_LENGTH, token_below=LOG_WHOLE_TOKEN_BELOW)
    masker.add((), password_urls=urls)
    return masker


_ComputedKind = Literal["declared", "name", "url"]


@functools.lru_cache(maxsize=256)
def _computed_to_read(model: type[BaseModel]) -> tuple[tuple[str, _ComputedKind], ...]:
    """The computed fields of ``model`` whose value the log redaction must know, decided from the name and
    the declared return type alone, so that no other computed field is ever called: ``"declared"`` for a
    secret type (``SecretStr``, ``Secret[...]``, containers of them), ``"name"`` for strings (``str``, a URL,
    containers of them, ``Any``) named like a secret (repr masks them whole), ``"url"`` for other strings
    (repr masks the password of a URL in them). Numbers, bools, dates, models are left out: repr masks only
    the settings' secret values in them, which the redaction already knows."""
    from ..scan import is_secret_name

    found: list[tuple[str, _ComputedKind]] = []
    for name, info in (getattr(model, "__pydantic_computed_fields__", None) or {}).items():
        returns = getattr(info, "return_type", typing.Any)
        if is_secret_annotation(returns):
            found.append((name, "declared"))
        elif _shape(returns) is not None:
            found.append((name, "name" if is_secret_name(name.upper()) else "url"))
    return tuple(found)


def _model_instances(settings: BaseModel) -> Iterator[BaseModel]:
    """``settings`` and every model instance its fields hold (nested, inside containers), each once."""
    todo: list[Any] = [settings]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if isinstance(item, BaseModel):
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield item
            todo.extend(getattr(item, name, None) for name in type(item).model_fields)
        elif isinstance(item, (Mapping, _CONTAINERS)):
            todo.extend(_held(item))


def computed_secrets(settings: BaseModel) -> tuple[set[str], set[str]]:
    """The secret values of the computed fields (``@computed_field``) of ``settings`` and of the models it
    holds, by the rule repr masks them with (:func:`_computed_shown`), and the URLs with a password among
    them: ``(values, urls)``.

    A computed field named like a secret (``signing_key``, ``bearer_token``) holding strings gives each of
    them from :data:`GUESSED_MIN_LOG_LENGTH` characters on, as a plain field named so; one declared a secret
    type (``-> SecretStr``) its value from :data:`LOG_MIN_LENGTH` characters on; any computed field holding
    strings the password of each URL in them (``database_url``). Only those fields are read (once, here);
    one whose return type cannot hold a string or a secret is never called, and one that raises is
    skipped (it cannot put a value in a log line either)."""
    from ._redaction import declared_texts

    values: set[str] = set()
    urls: set[str] = set()
    for model in _model_instances(settings):
        for name, kind in _computed_to_read(type(model)):
            try:
                value = getattr(model, name)
            except Exception:
                continue
            texts: list[str] = []
            if kind == "declared":
                texts = [text for text in declared_texts(value, name) if len(text) >= LOG_MIN_LENGTH]
                values.update(texts)
            else:
                texts = list(_strings(value))
                if kind == "name":
                    values.update(text for text in texts if len(text) >= GUESSED_MIN_LOG_LENGTH)
            for text in texts:
                for written in url_passwords(text):
                    urls.add(text)
                    if len(unquote(written)) >= LOG_MIN_LENGTH:
                        values |= {written, unquote(written)}
    return values, urls


def _computed_shown(name: str, value: Any, masker: Masker) -> Any:
    """A computed field's value as repr shows it: masked whole when its name is a secret's (as a plain
    field's); else the password of a URL in it, and every secret value of the settings it holds (a
    ``database_url`` built from ``db_password``, a ``Bearer <token>`` header)."""
    from ..scan import is_secret_name

    if is_secret_name(name.upper()) and (_shape(type(value)) is not None or _url_text(value) is not None):
        return _shown(value, True)
    shown = _shown(value, False)
    text = repr(shown)
    masked = masker.mask(text)
    return shown if masked == text else _Shown(masked)


def masked_repr_args(
    settings: BaseModel, args: Iterable[tuple[str | None, Any]]
) -> Iterator[tuple[str | None, Any]]:
    """``settings``' repr arguments with plain secrets masked: every string of a field named like a secret
    (the items of a list, the values of a dict), the password of a URL elsewhere (nested models and models
    inside containers included); and computed fields (``@computed_field``, which repr shows too) that are
    named like a secret, hold a URL with a password or hold a secret value of the settings."""
    cls = type(settings)
    plan = _repr_plan(cls)
    masker = _computed_masker(settings) if _has_computed_fields(cls) else None
    if not plan.leaves and not plan.declared and masker is None:
        yield from args
        return
    yield from _masked_args(args, plan, (), cls, masker)
