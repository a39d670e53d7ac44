"""Which environment variable feeds which field, and which of them hold secrets."""

from __future__ import annotations

import collections
import dataclasses
import functools
import types
import typing
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel, Secret, SecretBytes, SecretStr
from pydantic.fields import FieldInfo

__all__ = [
    "EnvField",
    "env_fields",
    "field_env_name",
    "field_names",
    "is_secret_annotation",
    "item_file_reference",
    "nested_model",
    "reachable_models",
    "secret_holds_json",
    "takes_keys",
    "without_secret",
]

NESTED_DELIMITER = "__"


@dataclass(frozen=True)
class EnvField:
    """One environment variable of a schema: its upper-case name, the field path, and its traits."""

    env_name: str
    path: tuple[str, ...]  # field names from the top (pydantic's error ``loc``)
    field: FieldInfo
    secret: bool
    nested: bool  # the field is itself a model (its leaves are listed separately, too)
    attrs: tuple[str, ...] = ()  # attribute names from the top (``path`` uses aliases where they are set)
    keyed: bool = False  # a mapping: ``NAME__KEY`` variables give its items (see :func:`takes_keys`)


def _alternatives(annotation: Any) -> Iterator[Any]:
    """Each annotation that ``annotation`` stands for through Optional/Union/Annotated, as written
    (``Annotated[Secret[str] | None, x]`` -> ``Secret[str]``, ``None``)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _alternatives(typing.get_args(annotation)[0])
    elif origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            yield from _alternatives(arg)
    else:
        yield annotation


def _unwrap(annotation: Any) -> Iterator[Any]:
    """Every concrete type mentioned by ``annotation`` through Optional/Union/Annotated."""
    for alternative in _alternatives(annotation):
        origin = typing.get_origin(alternative)
        yield alternative if origin is None else origin


def _types_in(annotation: Any) -> Iterator[Any]:
    """Every type ``annotation`` mentions, inside generics too (``list[SecretStr]`` -> list, SecretStr)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return  # its arguments are values, not types
    if origin is typing.Annotated:
        yield from _types_in(typing.get_args(annotation)[0])
        return
    if origin is None:
        yield annotation
        return
    if origin is not typing.Union and origin is not types.UnionType:
        yield origin
    for arg in typing.get_args(annotation):
        if arg is not Ellipsis:
            yield from _types_in(arg)


def is_secret_annotation(annotation: Any) -> bool:
    """True for ``SecretStr``, ``SecretBytes``, ``Secret[...]``, their Optional/Annotated forms, and the
    containers of them (``list[SecretStr]``, ``dict[str, SecretStr] | None``)."""
    return any(
        isinstance(tp, type) and issubclass(tp, (SecretStr, SecretBytes, Secret))
        for tp in _types_in(annotation)
    )


_JSON_TYPES = (Mapping, Sequence, Set, tuple, collections.deque, BaseModel)


def _decoded_from_json(annotation: Any) -> bool:
    """Whether pydantic-settings reads a variable of this type as JSON: a container (not ``str``/``bytes``),
    a model or a dataclass, also inside Optional/Annotated/unions (``list[str] | None``)."""
    return any(
        isinstance(tp, type)
        and not issubclass(tp, (str, bytes, bytearray))
        and (issubclass(tp, _JSON_TYPES) or dataclasses.is_dataclass(tp))
        for tp in _unwrap(annotation)
    )


def secret_holds_json(annotation: Any) -> bool:
    """True for ``Secret[X]`` where a variable of type ``X`` is JSON (``Secret[list[str]]``,
    ``Secret[dict[str, Any]] | None``, ``Annotated[Secret[Model], ...]``): pydantic-settings decodes JSON
    only where the annotation itself is such a type, and ``Secret[...]`` hides it."""
    return any(_decoded_from_json(tp) for tp in _secret_args(annotation))


def _secret_args(annotation: Any) -> Iterator[Any]:
    """The ``X`` of each ``Secret[X]`` ``annotation`` is, through Optional/Union/Annotated."""
    for alternative in _alternatives(annotation):
        origin = typing.get_origin(alternative)
        if isinstance(origin, type) and issubclass(origin, Secret):
            yield from typing.get_args(alternative)[:1]


def without_secret(annotation: Any) -> Any:
    """``annotation`` with each ``Secret[X]`` it stands for replaced by ``X``, through Optional/Union/
    Annotated (``Secret[list[str]] | None`` -> ``list[str] | None``); the same object when it holds none."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = without_secret(args[0])
        return annotation if inner is args[0] else typing.Annotated[(inner, *annotation.__metadata__)]
    if origin is typing.Union or origin is types.UnionType:
        members = tuple(without_secret(arg) for arg in args)
        if all(new is old for new, old in zip(members, args, strict=True)):
            return annotation
        return typing.Union[members]  # noqa: UP007 (built from a tuple)
    if isinstance(origin, type) and issubclass(origin, Secret) and args:
        return args[0]
    return annotation


def takes_keys(annotation: Any) -> bool:
    """Whether ``NAME__KEY`` variables feed a field of this type (pydantic-settings' nested delimiter on a
    mapping): a ``dict``/``Mapping``, also inside Optional/Annotated/unions and ``Secret[...]``."""
    for alternative in _alternatives(without_secret(annotation)):
        tp = typing.get_origin(alternative) or alternative
        if isinstance(tp, type) and issubclass(tp, Mapping):
            return True
    return False


def _model_field(model: type[BaseModel], name: str) -> FieldInfo | None:
    """The field of ``model`` that the variable part ``name`` names (its name or alias, any case)."""
    lowered = name.lower()
    for field_name, info in model.model_fields.items():
        if lowered == field_name.lower():
            return info
        for alias in (info.alias, info.validation_alias):
            choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
            if any(isinstance(choice, str) and choice.lower() == lowered for choice in choices):
                return info
    return None


def _item(annotation: Any, keys: Sequence[str]) -> tuple[Any, bool, bool] | None:
    """What ``NAME__<keys>`` sets inside a field of type ``annotation``, a ``__`` step at a time (a mapping's
    item, a model's field): its annotation, whether a ``Secret[...]`` holds it, and whether the last step
    named a model's field (rather than a mapping's key, which any text is); ``None`` when a step names
    nothing."""
    secret = False
    by_field = False
    for key in keys:
        inner = without_secret(annotation)
        secret = secret or inner is not annotation
        step: Any = None
        for alternative in _alternatives(inner):
            origin = typing.get_origin(alternative) or alternative
            if isinstance(origin, type) and issubclass(origin, Mapping):
                args = typing.get_args(alternative)
                step, by_field = (args[1] if len(args) == 2 else Any), False
                break
            if isinstance(alternative, type) and issubclass(alternative, BaseModel):
                info = _model_field(alternative, key)
                if info is not None:
                    step, by_field = info.annotation, True
                    break
        if step is None:
            return None
        annotation = step
    return annotation, secret, by_field


def item_file_reference(annotation: Any, keys: Sequence[str]) -> bool:
    """Whether ``NAME__<keys>_FILE=/path`` (``keys``: the ``__``-separated parts after ``NAME__``, the last
    without ``_FILE``) is a file reference for a mapping field ``NAME`` of type ``annotation``: the item it
    would set (``NAME__<keys>``) is a secret (``dict[str, SecretStr]``, ``Secret[dict[str, str]]``, a
    ``SecretStr`` field of a model in the mapping), and ``<last>_FILE`` is not itself a field of that model.
    Any other ``NAME__KEY_FILE`` sets the item ``key_file``: a key may end in ``_file``
    (``PATHS__CA_FILE=/etc/ssl/ca.pem`` in a ``dict[str, str]``)."""
    if not keys or not all(keys):
        return False
    target = _item(annotation, keys)
    if target is None:
        return False
    item, secret, _by_field = target
    if not (secret or is_secret_annotation(item)):
        return False
    literal = _item(annotation, (*keys[:-1], keys[-1] + "_FILE"))
    return literal is None or not literal[2]


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds (``Optional[Model]`` included), else ``None``."""
    for tp in _unwrap(annotation):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
    return None


def field_env_name(name: str, info: FieldInfo, prefix: str, *, top: bool) -> tuple[str, str]:
    """(env-var name, loc name) of one field. At the top level an alias replaces the prefixed name, as in
    pydantic-settings; in a nested model it follows the parent's name and ``__``."""
    alias = info.validation_alias if info.validation_alias is not None else info.alias
    if isinstance(alias, AliasChoices):
        alias = next((choice for choice in alias.choices if isinstance(choice, str)), None)
    if isinstance(alias, str):
        return (alias if top else f"{prefix}{alias}").upper(), alias
    return f"{prefix}{name}".upper(), name


def env_fields(model: type[BaseModel], *, prefix: str = "") -> list[EnvField]:
    """Every environment variable of ``model`` in field order, nested models expanded with ``__``.

    ``prefix`` is the settings class's ``env_prefix`` (it applies to top-level fields only).
    """
    return list(_env_fields(model, prefix))


@functools.lru_cache(maxsize=256)
def _env_fields(model: type[BaseModel], prefix: str) -> tuple[EnvField, ...]:
    # Derived from the class alone, so it is computed once per (class, prefix).
    result: list[EnvField] = []
    _walk(model, prefix, (), result, top=True)
    return tuple(result)


def _walk(
    model: type[BaseModel],
    prefix: str,
    path: tuple[str, ...],
    out: list[EnvField],
    *,
    top: bool,
    attrs: tuple[str, ...] = (),
) -> None:
    for name, info in model.model_fields.items():
        env_name, loc_name = field_env_name(name, info, prefix, top=top)
        sub = nested_model(info.annotation)
        field_path = (*path, loc_name)
        field_attrs = (*attrs, name)
        out.append(
            EnvField(
                env_name=env_name,
                path=field_path,
                field=info,
                secret=is_secret_annotation(info.annotation),
                nested=sub is not None,
                attrs=field_attrs,
                keyed=takes_keys(info.annotation),
            )
        )
        if sub is not None:
            _walk(sub, env_name + NESTED_DELIMITER, field_path, out, top=False, attrs=field_attrs)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """Every model class ``annotation`` mentions, inside generics too (``list[Server]``, ``dict[str, X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


@functools.lru_cache(maxsize=256)
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """The lower-case names and aliases of the fields of ``model`` and of every model reachable from it:
    the dict keys of input data that name a field rather than hold a value."""
    names: set[str] = set()
    for current in reachable_models(model):
        for name, info in current.model_fields.items():
            names.add(name.lower())
            for alias in (info.alias, info.validation_alias):
                choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
                names.update(choice.lower() for choice in choices if isinstance(choice, str))
    return frozenset(names)


def reachable_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """``model`` and every model class reachable from its fields (nested, inside containers), each once."""
    todo = [model]
    seen: set[type[BaseModel]] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for info in current.model_fields.values():
            todo.extend(_models_in(info.annotation))
