"""Finding a schema class by ``module:Class`` and describing its variables."""

from __future__ import annotations

import enum
import importlib
import json
import os
import sys
import traceback
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_jsonable_python

from .._dotenv import format_value
from .._errors import AutoauditSecretsError, SettingsError, UsageError
from ._base import SecretSettings
from ._fields import env_fields
from ._plain import mask_strings, mask_url_password, plain_kind

__all__ = ["example_dotenv", "import_schema", "secret_env_names"]


def import_schema(spec: str) -> type[SecretSettings]:
    """Import the settings class named by ``"package.module:Class"`` (``Class`` may be dotted).

    The current directory is put on ``sys.path`` first, as uvicorn does. Raises :class:`UsageError` with a
    one-line message when the spec is malformed, the module cannot be imported, or the object is not a
    :class:`SecretSettings` subclass; with :class:`SettingsError` (the full problem list) when the module
    loads its settings at import time and they are invalid.
    """
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise UsageError(f"schema {spec!r} must look like 'package.module:ClassName'")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    failure: str | None = None
    settings_problem: str | None = None
    module: Any = None
    try:
        module = importlib.import_module(module_name)
    except SettingsError as exc:  # the module loads its settings at import time (`settings = X.load()`)
        settings_problem = str(exc)
    except ModuleNotFoundError as exc:
        failure = f"cannot import schema module {module_name!r}: module {exc.name!r} not found"
    except SyntaxError as exc:
        failure = f"cannot import schema module {module_name!r}: syntax error at {exc.filename}:{exc.lineno}"
    except AutoauditSecretsError as exc:  # our messages never hold a value
        first_line = (str(exc).strip().splitlines() or [""])[0]
        failure = f"cannot import schema module {module_name!r}: {first_line}"
    except Exception as exc:  # the module failed while importing
        # Only the exception type and where it was raised: its text could quote anything, secrets included.
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        failure = f"cannot import schema module {module_name!r}: {type(exc).__name__} raised{where}"
    if settings_problem is not None:
        # The whole (value-free) problem list: it is what `check` is asked for.
        raise SettingsError(f"{settings_problem}\n(raised while importing {module_name!r})")
    if failure is not None:
        raise UsageError(failure)
    obj: Any = module
    for part in attr_path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise UsageError(f"schema module {module_name!r} has no {attr_path!r}")
    if not (isinstance(obj, type) and issubclass(obj, SecretSettings)):
        raise UsageError(f"schema {spec!r} is not a SecretSettings subclass")
    return obj


def secret_env_names(cls: type[BaseModel]) -> frozenset[str]:
    """Environment-variable names of every secret field of ``cls`` (nested included, prefix applied)."""
    prefix = str(getattr(cls, "model_config", {}).get("env_prefix") or "")
    return frozenset(field.env_name for field in env_fields(cls, prefix=prefix) if field.secret)


def _example_value(default: Any) -> str:
    if default is None or default is PydanticUndefined:
        return ""
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, enum.Enum):
        default = default.value
    if isinstance(default, BaseModel):
        return default.model_dump_json()
    if isinstance(default, (list, tuple, set, frozenset, dict)):
        # as pydantic writes JSON: models as objects, SecretStr as its mask (not str() of each object)
        return json.dumps(to_jsonable_python(default, fallback=str))
    return str(default)


def _masked_default(value: str) -> str:
    """A default's text with the password of each URL in it masked: the text itself, or each string of it
    when it is JSON (``UPSTREAMS='["postgres://app:<password>@db/app"]'``)."""
    if value[:1] in ("[", "{"):
        try:
            data = json.loads(value)
        except ValueError:
            return mask_url_password(value)
        masked = mask_strings(data, mask_url_password)
        return value if masked is data else json.dumps(masked)
    return mask_url_password(value)


def example_dotenv(cls: type[BaseModel]) -> str:
    """A ``.env.example`` for ``cls``: every leaf variable, secrets blank, defaults for the rest, field
    descriptions as comments. A field holding strings named like a secret (``str``, ``list[str]``,
    ``dict[str, str]``, a list of models with such a field) counts as a secret, and a default holding a URL
    with a password is left blank (the comment shows it with the password masked); ``NotSecret`` fields
    are written as any other."""
    prefix = str(getattr(cls, "model_config", {}).get("env_prefix") or "")
    lines = [f"# Settings for {cls.__name__}. Secret values are left blank: never commit them.", ""]
    for field in env_fields(cls, prefix=prefix):
        if field.nested:
            continue
        info = field.field
        if info.description:
            lines.extend(f"# {line}".rstrip() for line in info.description.splitlines())
        kind = plain_kind(cls, field.env_name)
        if field.secret or kind == "name":
            lines.append("# secret")
            value = ""
        else:
            required = info.is_required()
            if required:
                lines.append("# required")
            default = PydanticUndefined if required else info.get_default(call_default_factory=True)
            value = _example_value(default)
            masked = _masked_default(value) if kind == "url" else value
            if masked != value:  # a default URL with a password: blank (the default applies), shown masked
                shown = f" ({masked})" if masked.isprintable() else ""
                lines.append(f"# secret: the default holds a password{shown}")
                value = ""
        lines.append(f"{field.env_name}={format_value(value) if value else ''}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
