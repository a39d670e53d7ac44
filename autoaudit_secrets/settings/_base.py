"""``SecretSettings``: pydantic-settings with our dotenv parser, Docker secrets, CI rules, safe errors."""

from __future__ import annotations

import enum
import os
import re
import traceback
import warnings as pywarnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self, TypeAlias, TypeVar

from pydantic import BaseModel, ModelWrapValidatorHandler, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticSerializationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from .._dotenv import encoding_problem, parse_dotenv
from .._errors import AutoauditSecretsError, DotenvError, SettingsError
from .._redact import MASK
from .._safe_read import read_regular_file
from ._ci import ci_marker
from ._fields import (
    EnvField,
    env_fields,
    field_names,
    item_file_reference,
    nested_model,
    secret_holds_json,
    without_secret,
)
from ._masking import Masker, data_strings, json_leaves

__all__ = [
    "AUTO",
    "DEFAULT_SECRETS_DIR",
    "Auto",
    "EnvFileArg",
    "InvalidSettingsError",
    "SecretSettings",
    "SecretsDirArg",
    "SourceNote",
    "describe_sources",
    "dotenv_files",
]

DEFAULT_SECRETS_DIR = Path("/run/secrets")
_T = TypeVar("_T")
WarningsArg: TypeAlias = bool | Literal["none", "warn", "error"]
# One of pydantic's serializer warnings: "...(Expected `int` - serialized value may not be as expected
# [field_name='port', input_value=<the value's repr>, input_type=str])", one per line.
_SERIALIZER_WARNING_RE = re.compile(
    r"Expected `([^`\n]*)`[^\n]*?\[field_name='([^'\n]*)'[^\n]*input_type=([\w.]+)\]", re.MULTILINE
)
_APP_ENV_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_FIELD_IN_MESSAGE_RE = re.compile(r'field "([^"]+)"')


class Auto(enum.Enum):
    """Marker for "decide by the documented rules" (``AUTO``) in :meth:`SecretSettings.load`."""

    AUTO = "auto"


AUTO = Auto.AUTO
PathArg: TypeAlias = str | os.PathLike[str]
EnvFileArg: TypeAlias = PathArg | Sequence[PathArg] | Literal[Auto.AUTO] | None
SecretsDirArg: TypeAlias = PathArg | Literal[Auto.AUTO] | None


@dataclass(frozen=True)
class SourceNote:
    """One source of a load, read or skipped, and why: names and paths only, never a value."""

    source: str
    read: bool
    why: str = ""

    def __str__(self) -> str:
        return f"{'read' if self.read else 'skipped'}: {self.source}" + (f" ({self.why})" if self.why else "")


_MISSING = "required but not set"


class InvalidSettingsError(SettingsError):
    """Settings do not satisfy their schema. ``problems`` lists ``(ENV_VAR_NAME, message)``; no values.

    ``sources`` says which sources the load read and which it skipped, and why; the message includes them
    when a variable is missing (``sources_shown``)."""

    def __init__(
        self, schema: str, problems: Sequence[tuple[str, str]], sources: Sequence[SourceNote] = ()
    ) -> None:
        self.schema = schema
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        self.sources: tuple[SourceNote, ...] = tuple(sources)
        count = len(self.problems)
        lines = [f"{schema}: {count} setting{'s' if count != 1 else ''} missing or invalid:"]
        lines.extend(f"  {name}: {message}" for name, message in self.problems)
        self.sources_shown = bool(self.sources) and any(m.startswith(_MISSING) for _, m in self.problems)
        if self.sources_shown:
            lines.append("sources:")
            lines.extend(f"  {note}" for note in self.sources)
        super().__init__("\n".join(lines))

    def errors(self) -> list[dict[str, str]]:
        """The problems as ``[{"env": NAME, "msg": message}]`` (never a value)."""
        return [{"env": name, "msg": message} for name, message in self.problems]

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (multiprocessing, pytest-xdist, logging's QueueHandler) as the arguments that rebuild it,
        # all value-free, plus the instance's attributes (__notes__ included); BaseException's default
        # would call __init__ with the message alone and fail.
        return type(self), (self.schema, self.problems, self.sources), self.__dict__


@dataclass(frozen=True)
class _Layers:
    # The values are secrets: keep them out of repr (error trackers record local variables).
    environ: Mapping[str, str] = field(repr=False)
    dotenv: Mapping[str, str] = field(repr=False)
    secrets: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class _Active:
    """The load in progress: its class and layers, and the fields whose JSON a source could not decode."""

    cls: type[BaseSettings]
    layers: _Layers
    undecodable: list[FieldInfo | None] = field(default_factory=list, repr=False)


# The load in progress, read by settings_customise_sources. A context variable (not a class attribute) so
# concurrent loads in threads or tasks never see each other's values.
_ACTIVE_LAYERS: ContextVar[_Active | None] = ContextVar("autoaudit_secrets_settings_layers", default=None)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source fed from a mapping we prepared (one precedence layer)."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, str], label: str) -> None:
        self._values = values
        self._label = label
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        skip_empty = bool(self.env_ignore_empty)
        fold = not self.case_sensitive
        return {
            (key.lower() if fold else key): value
            for key, value in self._values.items()
            if not (skip_empty and value == "")
        }

    def field_is_complex(self, field: FieldInfo) -> bool:
        """pydantic-settings' rule (containers, models and dataclasses are JSON), and ``Secret[X]`` of such an
        ``X`` too (``Secret[list[str]]``: ``KEYS='["a", "b"]'``), which it leaves a string: a variable loads
        the same whether its type is wrapped in ``Secret`` or not. Also asked for a nested model's field
        (``DB__HOSTS``)."""
        return super().field_is_complex(field) or secret_holds_json(field.annotation)

    def next_field(self, field: FieldInfo | Any | None, key: str, case_sensitive: bool | None = None) -> Any:
        """pydantic-settings' step from a field to what ``key`` names in it (``X__a``: the value type of the
        mapping ``X``), with a value type ``Secret[X]`` whose ``X`` is JSON seen as ``X``: pydantic-settings
        decodes an item from JSON by that type, and would hand ``Secret[list[str]]`` the text. An item then
        loads as the same type without ``Secret`` does (``dict[str, list[str]]``)."""
        found = super().next_field(field, key, case_sensitive)
        if found is not None and not isinstance(found, FieldInfo) and secret_holds_json(found):
            return without_secret(found)
        return found

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        """pydantic-settings' JSON decoding, noting the field whose value is not JSON: its error names only
        the top-level field (``db`` for ``DB__HOSTS``), and its cause holds the text."""
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            active = _ACTIVE_LAYERS.get()
            if active is not None:  # None: a dict's value type, not a field
                active.undecodable.append(field if isinstance(field, FieldInfo) else None)
            raise

    def __repr__(self) -> str:
        return f"<{self._label} settings source>"


class SecretSettings(BaseSettings):
    """Base class for typed settings: subclass it, declare fields (``SecretStr`` for secrets), call
    :meth:`load` (or construct it: ``Settings()`` loads the same way).

    Environment names are the upper-cased field names (with ``env_prefix``); nested models use ``__``
    (``DB__PASSWORD``). ``repr``/``str``/``model_dump_json`` never show ``SecretStr`` values; ``repr``/``str``
    also mask the strings of a field named like a secret, whatever its shape (``str``, ``list[str]``,
    ``dict[str, str]`` values), and the password of a URL (``plain_secret_fields``).
    """

    model_config = SettingsConfigDict(
        env_nested_delimiter="__",
        # NAME= counts as not set: blanks left in a .env copied from .env.example, or a CI secret that is not
        # defined (GitHub Actions expands it to ""), fall back to the default or are reported as missing.
        env_ignore_empty=True,
        extra="ignore",
        hide_input_in_errors=True,
        env_file=None,
        secrets_dir=None,
    )

    def __init__(self, /, **values: Any) -> None:
        """``Settings()`` loads exactly as ``Settings.load()`` does: the environment, ``.env`` files by the
        local/CI rule, ``NAME_FILE``, the secrets directory, ``enc:`` values opened, and a value-free
        :class:`SettingsError` naming every problem. Keyword arguments are field values that override every
        source (``Settings(port=1)``); pydantic-settings' ``_env_file=`` and ``_secrets_dir=`` are the
        ``env_file`` and ``secrets_dir`` of :meth:`load`. ``model_validate(data)`` (and its ``_json`` and
        ``_strings`` forms) loads this way too and raises the same error."""
        env_file: EnvFileArg = values.pop("_env_file", AUTO)
        secrets_dir: SecretsDirArg = values.pop("_secrets_dir", None) or AUTO
        error = _guarded_load_into(self, values, env_file, None, secrets_dir)
        if error is not None:
            del self, values  # no frame of the traceback keeps a value (error trackers record locals)
            raise error

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """pydantic's repr arguments (``repr()``, ``str()``, rich) with the plain secrets masked: every string
        of a field named like a secret (``api_keys=['**********']``, ``tokens={'svc': '**********'}``), the
        password of a URL (``postgres://app:**********@db/app``); ``model_dump()`` is data and keeps them
        (see ``docs/settings.md``)."""
        from ._plain import masked_repr_args

        return masked_repr_args(self, super().__repr_args__())

    def model_dump(self, *, warnings: WarningsArg = True, **kwargs: Any) -> dict[str, Any]:
        """pydantic's ``model_dump``, whose serializer warnings (a field holding a value of another type
        than declared: assigned without validation, ``model_construct``) name the field and the types,
        never the value: pydantic's quote the value (``input_value='...'``)."""
        dump = super().model_dump
        return _value_free_dump(lambda mode: dump(warnings=mode, **kwargs), warnings, type(self).__name__)

    def model_dump_json(self, *, warnings: WarningsArg = True, **kwargs: Any) -> str:
        """pydantic's ``model_dump_json``, with value-free serializer warnings (see :meth:`model_dump`)."""
        dump = super().model_dump_json
        return _value_free_dump(lambda mode: dump(warnings=mode, **kwargs), warnings, type(self).__name__)

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """Load as ``Settings(**obj)`` does (``obj`` overrides every source) and raise the same value-free
        :class:`SettingsError`, not pydantic's ``ValidationError`` (whose ``errors()`` hold the input)."""
        failure: SettingsError | None = None
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            failure = _value_free_error(cls, exc, obj)
        del obj, args, kwargs  # no frame of the traceback keeps a value (error trackers record locals)
        raise failure

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:
        """:meth:`model_validate` of a JSON document; invalid JSON is a :class:`SettingsError` too."""
        failure: SettingsError | None = None
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            failure = _value_free_error(cls, exc, json_data)
        del json_data, args, kwargs
        raise failure

    @classmethod
    def model_validate_strings(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:
        """:meth:`model_validate` of string data (as from a form or a CLI)."""
        failure: SettingsError | None = None
        try:
            return super().model_validate_strings(obj, *args, **kwargs)
        except ValidationError as exc:
            failure = _value_free_error(cls, exc, obj)
        del obj, args, kwargs
        raise failure

    @model_validator(mode="wrap")
    @classmethod
    def _value_free_validation_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Where pydantic validates the settings itself (a field of another model, a ``TypeAdapter``), its
        ``ValidationError`` would carry the input (``errors()``, ``json()``, and ``str()`` when the outer
        model does not hide input): it gets one ``value_error`` instead, whose input is the mask and whose
        ``ctx["error"]`` is the value-free :class:`SettingsError`."""
        active = _ACTIVE_LAYERS.get()
        if active is not None and active.cls is cls:
            return handler(data)  # inside load(): _build reads each error's location and masks it itself
        failure: ValidationError | None = None
        try:
            return handler(data)
        except ValidationError as exc:
            error = _value_free_error(cls, exc, data)
            line: InitErrorDetails = {
                "type": "value_error",
                "loc": (),
                "input": MASK,
                "ctx": {"error": error},
            }
            failure = ValidationError.from_exception_data(exc.title, [line], hide_input=True)
        del data
        raise failure

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init kwargs > environment > .env files > Docker secrets (> defaults), as prepared by :meth:`load`
        (which ``Settings()`` runs too). Outside it (only ``BaseSettings.__init__`` called directly) the init
        kwargs alone: pydantic-settings' own sources would hand back ``enc:`` ciphertext, skip our rules."""
        active = _ACTIVE_LAYERS.get()
        if active is None or active.cls is not settings_cls:
            return (init_settings,)
        layers = active.layers
        sources = [
            _MappingSource(settings_cls, values, label)
            for values, label in (
                (layers.environ, "environment"),
                (layers.dotenv, ".env files"),
                (layers.secrets, "Docker secrets"),
            )
            if values  # an empty layer adds nothing: skip its source
        ]
        return (init_settings, *sources)

    @classmethod
    def load(
        cls,
        *,
        env_file: EnvFileArg = AUTO,
        environ: Mapping[str, str] | None = None,
        secrets_dir: SecretsDirArg = AUTO,
    ) -> Self:
        """Load and validate the settings.

        Precedence, highest first: ``environ`` (``None``: ``os.environ``), ``.env`` files, Docker secret
        files, field defaults. ``env_file=AUTO`` reads ``.env`` and then ``.env.<APP_ENV>`` from the working
        directory outside CI and nothing inside CI (see :func:`is_ci`); a path or a list of paths reads
        exactly those (missing files are an error); ``None`` reads none. ``NAME_FILE=/path`` (in the
        environment or a ``.env`` file) supplies ``NAME`` from that file, and ``NAME__KEY_FILE`` the item
        ``NAME__KEY`` of a mapping whose items are secrets. ``secrets_dir=AUTO`` uses
        ``/run/secrets`` when it exists. Values starting with ``enc:`` are decrypted.

        Raises :class:`SettingsError` naming every missing or invalid variable, never a value, with no
        exception chained.
        """
        instance = cls.__new__(cls)
        error = _guarded_load_into(instance, {}, env_file, environ, secrets_dir)
        if error is not None:
            # Error trackers record the local variables of every frame of a traceback: this frame keeps
            # none that holds a value (the helpers that saw the values have returned).
            del instance, environ
            raise error
        return instance

    @classmethod
    def load_with_sources(
        cls,
        *,
        env_file: EnvFileArg = AUTO,
        environ: Mapping[str, str] | None = None,
        secrets_dir: SecretsDirArg = AUTO,
    ) -> tuple[Self, tuple[SourceNote, ...]]:
        """:meth:`load`, and the sources it read and skipped, as :class:`InvalidSettingsError` names them when
        a load fails: the environment, each ``.env`` file, each file read through ``NAME_FILE`` (with that
        variable), the secrets directory and each of its files read (with the variable it gives), a file
        whose variable is also set in a source of higher precedence noted as overridden (paths and names
        only, never a value). ``autoaudit-secrets check`` prints them."""
        instance = cls.__new__(cls)
        notes: list[SourceNote] = []
        error = _guarded_load_into(instance, {}, env_file, environ, secrets_dir, notes)
        if error is not None:
            del instance, environ
            raise error
        return instance, tuple(notes)


def _value_free_dump(dump: Callable[[WarningsArg], _T], warnings: WarningsArg, schema: str) -> _T:
    """``dump(warnings)`` (a pydantic serializer call), with its warnings, or its error for
    ``warnings="error"``, replaced by one naming the fields and types only. The serializer runs once with
    warnings as errors; only when it finds a problem does it run again without them."""
    if warnings is False or warnings == "none":
        return dump(warnings)
    problem: str | None = None
    try:
        return dump("error")
    except PydanticSerializationError as exc:
        text = str(exc)
        if text.startswith("Pydantic serializer warnings"):
            found = [
                f"{field} (expected {expected}, got {got})"
                for expected, field, got in _SERIALIZER_WARNING_RE.findall(text)
            ]
            problem = (
                f"{schema}: serialized value may not be as expected: {'; '.join(found) or 'a field'} "
                "(values not shown)"
            )
    if problem is None:  # another serialization error (a serializer raised): as pydantic raises it
        return dump(warnings)
    if warnings == "error":
        raise PydanticSerializationError(problem)
    result = dump(False)
    pywarnings.warn(problem, UserWarning, stacklevel=3)
    return result


class _LoadError(AutoauditSecretsError):
    """A whole-load problem (bad APP_ENV, missing explicit file); becomes a SettingsError."""


def dotenv_files(env_file: EnvFileArg, environ: Mapping[str, str], *, cwd: Path | None = None) -> list[Path]:
    """The ``.env`` files :meth:`SecretSettings.load` reads for ``env_file``, lowest precedence first.

    ``AUTO``: outside CI ``.env`` and ``.env.<APP_ENV>`` from ``cwd`` (default: the working directory) when
    they exist; inside CI none. Explicit paths are returned as given (they must exist).
    """
    return _dotenv_plan(env_file, environ, cwd)[0]


def _dotenv_plan(
    env_file: EnvFileArg, environ: Mapping[str, str], cwd: Path | None
) -> tuple[list[Path], list[SourceNote]]:
    """The ``.env`` files to read, and a note for each file read or skipped."""
    if env_file is None:
        return [], [SourceNote(".env files", False, "env_file=None")]
    if env_file is AUTO:
        marker = ci_marker(environ)
        if marker is not None:
            why = f"CI detected: {marker} is set; pass env_file= or --env-file to read one"
            return [], [SourceNote(".env files", False, why)]
        base = Path.cwd() if cwd is None else cwd
        candidates = [base / ".env"]
        app_env = environ.get("APP_ENV", "").strip()
        if app_env:
            if not _APP_ENV_RE.fullmatch(app_env):
                raise _LoadError("APP_ENV: must be a plain name (letters, digits, '_', '.', '-')")
            candidates.append(base / f".env.{app_env}")
        paths = [path for path in candidates if path.is_file()]
        notes = [
            SourceNote(str(path), True)
            if path in paths
            else SourceNote(path.name, False, f"no {path.name} in {base}")
            for path in candidates
        ]
        return paths, notes
    paths = (
        [Path(env_file)] if isinstance(env_file, (str, os.PathLike)) else [Path(item) for item in env_file]
    )
    return paths, [SourceNote(str(path), True) for path in paths]


def _secrets_plan(secrets_dir: SecretsDirArg) -> tuple[Path | None, SourceNote]:
    """The secrets directory to read (or ``None``) and its note."""
    if secrets_dir is None:
        return None, SourceNote("secrets directory", False, "secrets_dir=None")
    if secrets_dir is AUTO:
        if not DEFAULT_SECRETS_DIR.is_dir():
            return None, SourceNote(str(DEFAULT_SECRETS_DIR), False, "no such directory")
        return DEFAULT_SECRETS_DIR, SourceNote(str(DEFAULT_SECRETS_DIR), True)
    directory = Path(secrets_dir)
    if not directory.is_dir():
        raise _LoadError(f"secrets directory {directory} does not exist")
    return directory, SourceNote(str(directory), True)


def describe_sources(
    env_file: EnvFileArg = AUTO, environ: Mapping[str, str] | None = None, secrets_dir: SecretsDirArg = AUTO
) -> list[SourceNote]:
    """What :meth:`SecretSettings.load` with these arguments would read and skip, and why (names and paths
    only; nothing is read). Raises :class:`SettingsError` for a bad ``APP_ENV`` or a missing explicit
    secrets directory, as ``load()`` would."""
    env = os.environ if environ is None else environ
    failure: str | None = None
    try:
        notes = [_environment_note(environ)]
        notes += _dotenv_plan(env_file, env, None)[1]
        notes.append(_secrets_plan(secrets_dir)[1])
    except _LoadError as exc:
        failure = str(exc)
    if failure is not None:
        raise SettingsError(failure)
    return notes


def _environment_note(environ: Mapping[str, str] | None) -> SourceNote:
    return SourceNote("the process environment" if environ is None else "the environ= mapping", True)


def _strip_one_newline(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def _collect_layers(
    fields: list[EnvField],
    environ: dict[str, str],
    env_file: EnvFileArg,
    secrets_dir: SecretsDirArg,
    environment_note: SourceNote,
    *,
    ignore_empty: bool = True,
) -> tuple[_Layers, dict[str, str], list[SourceNote]]:
    known = {field.env_name for field in fields}
    # A mapping's items come as NAME__KEY too: variables of the schema as well (read from the secrets
    # directory, decrypted, handed to pydantic-settings).
    keyed = tuple(field.env_name + "__" for field in fields if field.keyed)
    problems: dict[str, str] = {}
    notes = [environment_note]

    dotenv: dict[str, str] = {}
    paths, dotenv_notes = _dotenv_plan(env_file, environ, None)
    for path in paths:
        # ${VAR} in a later file sees earlier files; the process environment wins, as in the precedence.
        dotenv.update(_read_env_file(path, {**dotenv, **environ}))
    notes += dotenv_notes

    env_layer = dict(environ)
    mappings = {field.env_name + "__": field.field.annotation for field in fields if field.keyed}
    labelled = [(env_layer, environment_note.source), (dotenv, "a .env file")]
    notes += _resolve_file_references(labelled, known, mappings, problems, ignore_empty)
    directory, secrets_note = _secrets_plan(secrets_dir)
    files: dict[str, str] = {}
    secrets = _read_secrets_dir(directory, known, keyed, problems, files) if directory is not None else {}
    if directory is not None:
        count = len(secrets)
        secrets_note = SourceNote(
            secrets_note.source, True, f"{count} file{'s' if count != 1 else ''} of this schema"
        )
    notes.append(secrets_note)
    # Each file of the directory read, with the variable it gives: what fed which setting, in a container.
    for name, file in files.items():
        notes.append(SourceNote(file, True, name + _overridden(name, labelled, ignore_empty)))
    _open_encrypted([env_layer, dotenv, secrets], known, keyed, environ, problems)
    # Hand pydantic-settings only the variables of this schema: unrelated ones (most of a large environment
    # or .env) would only slow its per-source scans down.
    nested_prefixes = (*(field.env_name + "__" for field in fields if field.nested), *keyed)

    def relevant(layer: dict[str, str]) -> dict[str, str]:
        return {
            k: v for k, v in layer.items() if (up := k.upper()) in known or up.startswith(nested_prefixes)
        }

    return _Layers(relevant(env_layer), relevant(dotenv), relevant(secrets)), problems, notes


def _read_env_file(path: Path, interpolation_env: Mapping[str, str]) -> dict[str, str]:
    try:
        data = read_regular_file(path)
    except FileNotFoundError:
        raise _LoadError(f"env file {path} not found") from None
    except OSError as exc:
        raise _LoadError(f"cannot read env file {path}: {exc.strerror or type(exc).__name__}") from None
    problem = encoding_problem(data)
    if problem is not None:  # raised outside an except: a decode error would hold the whole file
        raise _LoadError(f"{path}{problem}")
    text = data.decode("utf-8")
    return parse_dotenv(text.removeprefix("\ufeff"), source=str(path), environ=interpolation_env)


def _overridden(name: str, labelled: Sequence[tuple[Mapping[str, str], str]], ignore_empty: bool) -> str:
    """``"; overridden by <source>"`` when the variable ``name`` is set in one of ``labelled`` (layers of
    higher precedence, each with its label) — itself, or for a nested ``PARENT__ITEM``, by a JSON object
    given to a parent (``DB='{"password": ...}'`` wins over a lower layer's ``DB__PASSWORD``); else
    ``""``."""
    for layer, label in labelled:
        for key, value in layer.items():
            if ignore_empty and value == "":
                continue
            up = key.upper()
            if up == name or (name.startswith(up + "__") and _json_sets(value, name[len(up) + 2 :])):
                return f"; overridden by {label}"
    return ""


def _json_sets(value: str, path: str) -> bool:
    """Whether ``value`` is a JSON object that sets the item ``path`` (``KEY`` or ``KEY__SUBKEY``, as a
    nested variable names it: field names in lower case)."""
    if not value.lstrip().startswith("{"):
        return False
    import json

    try:
        item: Any = json.loads(value)
    except ValueError:
        return False
    for part in path.lower().split("__"):
        if not isinstance(item, dict) or part not in item:
            return False
        item = item[part]
    return True


def _resolve_file_references(
    labelled: list[tuple[dict[str, str], str]],
    known: set[str],
    mappings: Mapping[str, Any],
    problems: dict[str, str],
    ignore_empty: bool = True,
) -> list[SourceNote]:
    """Replace ``NAME_FILE=/path`` by ``NAME=<file content>`` in the layer where it appears (and
    ``NAME__KEY_FILE`` by ``NAME__KEY`` where that item is a secret: :func:`_file_reference`); a note for
    each file read (``NAME_FILE``, and whether a layer of higher precedence sets ``NAME`` through its own
    ``NAME_FILE``). ``labelled``: the layers, highest precedence first, each with its label."""
    notes: list[SourceNote] = []
    layers = [layer for layer, _label in labelled]
    present = {key.upper() for layer in layers for key, value in layer.items() if value != ""}
    for index, layer in enumerate(layers):
        for key in [k for k in layer if k[-5:].upper() == "_FILE"]:
            upper = key.upper()
            if not _file_reference(upper, known, mappings):
                continue
            name = upper[:-5]
            path = layer.pop(key)
            if name in present:
                problems[name] = f"both {name} and {upper} are set; set only one"
                continue
            reason: str | None = None
            try:
                content = read_regular_file(path).decode("utf-8")
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
            except UnicodeDecodeError:
                problems[name] = f"{upper} file {path} is not valid UTF-8"
                continue
            except ValueError:  # a NUL byte: open() refuses it (a binary secret pasted in by mistake?)
                reason = "not a valid path"
            if reason is not None:
                if _looks_like_a_path(path):
                    problems[name] = f"cannot read {upper} file {path}: {reason}"
                else:
                    problems[name] = (
                        f"cannot read the file {upper} names ({reason}); its value is not shown because it "
                        f"does not look like a path (is the secret itself in {upper}?)"
                    )
                continue
            for blank in [k for k in layer if k.upper() == name]:  # NAME= (empty: not set) gives way
                del layer[blank]
            layer[key[:-5]] = _strip_one_newline(content)  # as spelled: a mapping's key keeps its case
            notes.append(SourceNote(path, True, upper + _overridden(name, labelled[:index], ignore_empty)))
    return notes


def _file_reference(upper: str, known: set[str], mappings: Mapping[str, Any]) -> bool:
    """Whether the variable ``upper`` (``..._FILE``) names a file holding another variable's value:
    ``NAME_FILE`` where ``NAME`` is a variable of the schema and ``NAME_FILE`` is not; ``NAME__KEY_FILE``
    where ``NAME`` is a mapping field whose item ``NAME__KEY`` would be a secret (``dict[str, SecretStr]``;
    in a ``dict[str, str]`` it is the item ``key_file``: see :func:`item_file_reference`)."""
    if upper in known:
        return False
    name = upper[:-5]
    if name in known:
        return True
    prefix = max((p for p in mappings if name.startswith(p)), key=len, default=None)
    if prefix is None:
        return False
    return item_file_reference(mappings[prefix], name[len(prefix) :].split("__"))


def _looks_like_a_path(value: str) -> bool:
    """Whether a ``NAME_FILE`` value that could not be read may be shown in the error: it names a file in
    an existing directory and has no blanks or control characters. Anything else may be the secret itself,
    put in ``NAME_FILE`` by mistake."""
    if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
        return False
    if os.sep not in value and (os.altsep is None or os.altsep not in value):
        return False
    parent = os.path.dirname(os.path.abspath(os.path.expanduser(value)))
    return parent != os.path.dirname(parent) and os.path.isdir(parent)


def _read_secrets_dir(
    directory: Path,
    known: set[str],
    keyed: tuple[str, ...],
    problems: dict[str, str],
    paths: dict[str, str] | None = None,
) -> dict[str, str]:
    """The values of the files of ``directory`` named like a variable of the schema, by variable; ``paths``
    receives the path of each file read, by variable."""
    values: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise _LoadError(f"cannot list secrets directory {directory}: {exc.strerror}") from None
    for entry in entries:
        name = entry.name.upper()
        if (name not in known and not name.startswith(keyed)) or entry.is_dir():
            continue  # a dangling symlink is not skipped: it is reported as unreadable below
        try:
            values[name] = _strip_one_newline(read_regular_file(entry.path).decode("utf-8"))
            if paths is not None:
                paths[name] = entry.path
        except OSError as exc:
            problems[name] = f"cannot read secret file {entry.path}: {exc.strerror or type(exc).__name__}"
        except UnicodeDecodeError:
            problems[name] = f"secret file {entry.path} is not valid UTF-8"
    return values


def _open_encrypted(
    layers: list[dict[str, str]],
    known: set[str],
    keyed: tuple[str, ...],
    environ: Mapping[str, str],
    problems: dict[str, str],
) -> None:
    """Decrypt ``enc:`` values in place; the crypto module is imported only when there is one."""
    for layer in layers:
        encrypted = {
            k: v
            for k, v in layer.items()
            if v.startswith("enc:") and ((up := k.upper()) in known or up.startswith(keyed))
        }
        if not encrypted:
            continue
        for key in encrypted:
            del layer[key]
        failure: str | None = None
        try:
            from ..crypto import decrypt_values

            opened, failed = decrypt_values(encrypted, environ=environ)
        except ImportError:
            failure = "is encrypted (enc:) but the crypto support is not available"
        except AutoauditSecretsError as exc:
            failure = str(exc)
        if failure is not None:
            for key in encrypted:
                problems[key.upper()] = failure
            continue
        layer.update(opened)
        for key, message in failed.items():
            problems[key.upper()] = message


def _message(error: Mapping[str, Any], *, secret: bool = False) -> str:
    """The message of one of pydantic's errors, for a problem line. pydantic quotes a part of the value in
    some: a ``UnicodeDecodeError`` (``Base64Str``, a validator decoding bytes) names a byte of the decoded
    value and its place, always left out; for a field declared secret (``secret``), the detail of its own
    parsing errors too (``Secret[UUID]``: ``invalid character: found `z` at 35``; ``Base64Bytes``: how
    many characters the value has)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, UnicodeDecodeError):
        return f"cannot be decoded as {cause.encoding} (the byte and its place are not shown)"
    if kind == "missing":
        return "required but not set"
    unit = (
        "items"
        if ctx.get("field_type") in {"List", "Tuple", "Set", "Frozenset", "Dictionary"}
        else "characters"
    )
    if kind in {"too_short", "string_too_short"} and "min_length" in ctx:
        return f"must have at least {ctx['min_length']} {unit}"
    if kind in {"too_long", "string_too_long"} and "max_length" in ctx:
        return f"must have at most {ctx['max_length']} {unit}"
    message = (
        str(error.get("msg", "is invalid")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    )
    if secret and cause is not None and kind not in {"value_error", "assertion_error"}:
        detail = str(cause)  # pydantic's own parsing error; a validator's message is masked instead
        at = message.find(detail) if detail else -1
        if at > 0:
            message = message[:at].rstrip(" ,:;'\"") + " (details not shown for a secret)"
    if message[1:2].isupper():  # an acronym ("URL scheme should be ...") keeps its case
        return message
    return message[:1].lower() + message[1:]


def _masker_for(cls: type[BaseModel], layers: _Layers, init: Mapping[str, Any]) -> Masker:
    """Every value this load handles, for masking validator messages and error locations: each layer's,
    the strings and numbers inside JSON values, the keys of JSON objects that are not field names (the
    keys of a ``dict`` field are data), and the same inside the init arguments (nested dicts and lists,
    ``SecretStr``, model instances). Short values (``1``, ``on``) are left alone."""
    masker = Masker(min_length=3)
    names = field_names(cls)
    values = [v for layer in (layers.environ, layers.dotenv, layers.secrets) for v in layer.values()]
    masker.add(values)
    masker.add(leaf for v in values for leaf in json_leaves(v, keys_except=names))
    masker.add(data_strings(list(init.values()), keys_except=names))
    return masker


def _value_free_error(cls: type[SecretSettings], exc: ValidationError, data: Any) -> SettingsError:
    """The :class:`SettingsError` behind a ``ValidationError`` pydantic raised while validating ``cls`` from
    ``data`` outside :meth:`~SecretSettings.load`: the one ``Settings.__init__`` raised (pydantic wraps it,
    input included), else one made of pydantic's errors (input pydantic rejects before calling
    ``__init__``: not a mapping, invalid JSON, ``from_attributes``), by variable, every input value
    masked."""
    errors = exc.errors(include_url=False, include_context=True)
    for error in errors:
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):
            return cause.with_traceback(None)  # its frames are gone: nothing keeps them alive
    fields = env_fields(cls, prefix=str(cls.model_config.get("env_prefix") or ""))
    by_path = {field.path: field.env_name for field in fields}
    by_lower_path = {tuple(part.lower() for part in field.path): field.env_name for field in fields}
    secret_names = {field.env_name for field in fields if field.secret}
    masker = Masker(min_length=3)
    masker.add(data_strings([data, *(error.get("input") for error in errors)], keys_except=field_names(cls)))
    problems: list[tuple[str, str]] = []
    for error in errors:
        loc = tuple(str(part) for part in error.get("loc", ()))
        if not loc:
            message = _message(error)
            problems.append(("", masker.mask(message)))
            continue
        name, rest = _env_name_for(loc, by_path, by_lower_path)
        message = _message(error, secret=name in secret_names)
        if rest:
            message = f"at {'.'.join(rest)}: {message}"
        problems.append((name, masker.mask(message)))
    if all(not name for name, _ in problems):
        return SettingsError(f"{cls.__name__}: " + "; ".join(message for _, message in problems))
    return InvalidSettingsError(cls.__name__, [(name or cls.__name__, message) for name, message in problems])


def _guarded_load_into(
    instance: SecretSettings,
    init: dict[str, Any],
    env_file: EnvFileArg,
    environ: Mapping[str, str] | None,
    secrets_dir: SecretsDirArg,
    notes_out: list[SourceNote] | None = None,
) -> SettingsError | None:
    """:func:`_load_into`, with any unexpected exception (an OS error nobody foresaw, a bug) turned into a
    SettingsError naming its type and place: its text and its frames' locals could hold values."""
    try:
        return _load_into(instance, init, env_file, environ, secrets_dir, notes_out)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        message = f"{type(instance).__name__}: loading failed: {type(exc).__name__} raised{where}"
    return SettingsError(f"{message} (its message is not shown: it may hold a value)")


def _load_into(
    instance: SecretSettings,
    init: dict[str, Any],
    env_file: EnvFileArg,
    environ: Mapping[str, str] | None,
    secrets_dir: SecretsDirArg,
    notes_out: list[SourceNote] | None = None,
) -> SettingsError | None:
    """Validate ``instance`` in place from its sources; returns the error to raise (never raised here, so
    no frame that saw a value is on its traceback). ``notes_out`` receives the sources read and skipped."""
    cls = type(instance)
    env = dict(os.environ if environ is None else environ)
    prefix = str(cls.model_config.get("env_prefix") or "")
    fields = env_fields(cls, prefix=prefix)
    failure: str | None = None
    try:
        layers, problems, notes = _collect_layers(
            fields,
            env,
            env_file,
            secrets_dir,
            _environment_note(environ),
            ignore_empty=bool(cls.model_config.get("env_ignore_empty")),
        )
    except (DotenvError, _LoadError) as exc:
        failure = str(exc)
    if failure is not None:
        return SettingsError(failure)
    if notes_out is not None:
        notes_out.extend(notes)
    return _validate(instance, init, fields, layers, problems, notes)


def _validate(
    instance: SecretSettings,
    init: dict[str, Any],
    fields: list[EnvField],
    layers: _Layers,
    pre_problems: dict[str, str],
    notes: list[SourceNote],
) -> InvalidSettingsError | None:
    cls = type(instance)
    by_path = {field.path: field.env_name for field in fields}
    by_lower_path = {tuple(part.lower() for part in field.path): field.env_name for field in fields}
    by_name = {field.path[-1]: field.env_name for field in fields if len(field.path) == 1}
    found: list[tuple[str, str]] = []
    problems: dict[str, str] = dict(pre_problems)
    # pydantic-settings stops at the first complex (JSON) value it cannot decode: note it, drop that
    # variable, and try again, so that one error lists every problem.
    for _attempt in range(len(fields) + 1):
        undecodable, crash = _build(instance, init, layers, found, by_path, by_lower_path, fields)
        if crash is not None:
            name, message = crash
            problems[name] = f"{problems[name]}; {message}" if name in problems else message
            break
        if undecodable is None:
            break
        attribute, variable = undecodable
        name = variable or by_name.get(attribute, attribute.upper())
        problems.setdefault(name, "is not valid JSON")
        layers = _without(layers, name)
        found.clear()
    required_leaves = {
        field.env_name: [
            leaf.env_name
            for leaf in fields
            if leaf.path[: len(field.path)] == field.path
            and len(leaf.path) > len(field.path)
            and not leaf.nested
            and leaf.field.is_required()
        ]
        for field in fields
        if field.nested
    }
    for name, message in found:
        if name in problems and name not in pre_problems and problems[name] != "is not valid JSON":
            problems[name] = f"{problems[name]}; {message}"
        elif name in problems:
            continue  # the earlier problem (unreadable file, failed decryption, bad JSON) is the cause
        elif message == "required but not set" and required_leaves.get(name):
            for leaf in required_leaves[name]:
                problems.setdefault(leaf, message)
        else:
            problems[name] = message
    if not problems:
        return None
    order = {field.env_name: index for index, field in enumerate(fields)}
    ordered = sorted(problems.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    return InvalidSettingsError(cls.__name__, ordered, notes)


def _build(
    instance: SecretSettings,
    init: dict[str, Any],
    layers: _Layers,
    found: list[tuple[str, str]],
    by_path: Mapping[tuple[str, ...], str],
    by_lower_path: Mapping[tuple[str, ...], str],
    fields: list[EnvField],
) -> tuple[tuple[str, str | None] | None, tuple[str, str] | None]:
    """Validate ``instance`` from ``init`` and ``layers``; validation problems go to ``found``. Returns the
    top-level field whose complex value pydantic-settings could not decode, with the variable that holds
    it when known (``("db", "DB__HOSTS")``), or ``None``; and the problem made of any other exception a
    validator raised (or ``None``)."""
    active = _Active(type(instance), layers)
    token = _ACTIVE_LAYERS.set(active)
    undecodable: tuple[str, str | None] | None = None
    crash: tuple[str, str] | None = None
    try:
        BaseSettings.__init__(instance, **init)
    except ValidationError as exc:
        masker = _masker_for(type(instance), layers, init)  # only now: a load without problems never pays
        secret_names = {field.env_name for field in fields if field.secret}
        for error in exc.errors(include_url=False, include_input=False, include_context=True):
            loc = tuple(str(part) for part in error.get("loc", ()))
            name, rest = _env_name_for(loc, by_path, by_lower_path)
            message = _message(error, secret=name in secret_names)
            if rest:  # the location inside a value: a dict key there is data
                message = f"at {'.'.join(rest)}: {message}"
            found.append((name, masker.mask(message)))
    except PydanticSettingsError as exc:
        # The exception's cause holds the undecodable text: keep only the field name.
        match = _FIELD_IN_MESSAGE_RE.search(str(exc))
        attribute = match.group(1) if match else "?"
        undecodable = attribute, _undecodable_variable(attribute, active, fields)
    except Exception as exc:  # KeyError(value), TypeError, ... from a validator: its text may hold a value
        crash = _crash_problem(type(instance), fields, exc)
    finally:
        _ACTIVE_LAYERS.reset(token)
    return undecodable, crash


def _undecodable_variable(attribute: str, active: _Active, fields: list[EnvField]) -> str | None:
    """The variable whose JSON a source could not decode, inside the top-level field ``attribute``: the
    field last noted by the source, set in a layer (a model used twice has one ``FieldInfo`` for both)."""
    noted = active.undecodable[-1] if active.undecodable else None
    if noted is None:
        return None
    layers = active.layers
    present = {key.lower() for layer in (layers.environ, layers.dotenv, layers.secrets) for key in layer}
    found = [
        field.env_name
        for field in fields
        if field.field is noted and field.attrs[:1] == (attribute,) and field.env_name.lower() in present
    ]
    return found[0] if len(found) == 1 else None


def _crash_problem(cls: type[SecretSettings], fields: list[EnvField], exc: BaseException) -> tuple[str, str]:
    """``(VARIABLE, message)`` for an exception that is not a validation error: its type and where it was
    raised, never its text; the variable is that of the field validator it came from, when one is found."""
    codes: dict[Any, str] = {}
    models: list[tuple[type[BaseModel], tuple[str, ...]]] = [(cls, ())]
    models += [(sub, field.path) for field in fields if (sub := nested_model(field.field.annotation))]
    for model, path in models:
        decorators = getattr(model, "__pydantic_decorators__", None)
        for decorator in getattr(decorators, "field_validators", {}).values():
            code = getattr(decorator.func, "__code__", None)
            names = [
                field.env_name
                for field in fields
                if field.path[:-1] == path
                and (field.path[-1] in decorator.info.fields or "*" in decorator.info.fields)
            ]
            if code is not None and len(names) == 1:
                codes[code] = names[0]
    name = cls.__name__
    for frame, _lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code in codes:
            name = codes[frame.f_code]
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return (
        name,
        f"validation raised {type(exc).__name__}{where} (its message is not shown: it may hold the value)",
    )


def _without(layers: _Layers, env_name: str) -> _Layers:
    """``layers`` without ``env_name`` and its nested ``env_name__*`` variables (case-insensitive)."""
    lowered = env_name.lower()

    def keep(key: str) -> bool:
        low = key.lower()
        return low != lowered and not low.startswith(lowered + "__")

    return _Layers(
        {k: v for k, v in layers.environ.items() if keep(k)},
        {k: v for k, v in layers.dotenv.items() if keep(k)},
        {k: v for k, v in layers.secrets.items() if keep(k)},
    )


def _env_name_for(
    loc: tuple[str, ...], by_path: Mapping[tuple[str, ...], str], by_lower_path: Mapping[tuple[str, ...], str]
) -> tuple[str, tuple[str, ...]]:
    for end in range(len(loc), 0, -1):
        head = loc[:end]
        name = by_path.get(head) or by_lower_path.get(tuple(part.lower() for part in head))
        if name is not None:
            return name, loc[end:]
    return ("__".join(loc).upper() or "?"), ()
