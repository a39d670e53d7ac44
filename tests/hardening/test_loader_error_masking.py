"""Loader errors hold no value: nested JSON values and escaped forms are masked in validator messages, any
exception from a validator becomes a value-free SettingsError, the frames of a raised error keep no value
in their locals (error trackers record them), and ``NAME_FILE`` errors do not echo a secret put there."""

from __future__ import annotations

import gc
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretBytes, SecretStr, field_validator

from autoaudit_secrets.settings import InvalidSettingsError, SecretSettings, SettingsError
from tests.conftest import assert_no_leak, assert_same_secret

PEM = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPz9\n-----END PRIVATE KEY-----"  # check-secrets: allow
)
# a quote, a backslash and a double quote: repr and JSON escape them
WEIRD = "Zq8v'pa" + 'ss\\w"rd-7713'  # check-secrets: allow
NESTED = "nested-" + "Vq93kLp0xZ"
TOKEN = "tok-" + "Kp3QvXr8Lm2Nw"


class _Db(BaseModel):
    host: str = "localhost"
    password: SecretStr

    @field_validator("password")
    @classmethod
    def _strong(cls, value: SecretStr) -> SecretStr:
        raise ValueError(f"too weak: {value.get_secret_value()!r}")


class _Conf(SecretSettings):
    signing_key: SecretStr
    label: str = "x"
    db: _Db | None = None
    lookup: str = "a"

    @field_validator("signing_key")
    @classmethod
    def _pem(cls, value: SecretStr) -> SecretStr:
        raise ValueError(f"not a key: {value.get_secret_value()!r} / {value.get_secret_value().encode()!r}")

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        raise ValueError(f"bad label {value!r}")

    @field_validator("lookup")
    @classmethod
    def _lookup(cls, value: str) -> str:
        return {"a": "A"}[value]  # KeyError(value) for anything else


def _load(environ: dict[str, str]) -> _Conf:
    return _Conf.load(environ=environ, env_file=None, secrets_dir=None)


def test_nested_json_and_escaped_values_are_masked_in_validator_messages() -> None:
    environ = {"SIGNING_KEY": PEM, "LABEL": WEIRD, "DB": '{"host": "db", "password": "' + NESTED + '"}'}
    with pytest.raises(InvalidSettingsError) as info:
        _load(environ)
    problems = dict(info.value.problems)
    assert problems["SIGNING_KEY"].startswith("not a key: '**********'")
    assert problems["LABEL"] == "bad label '**********'"
    assert problems["DB__PASSWORD"] == "too weak: '**********'"  # check-secrets: allow
    assert_no_leak(str(info.value) + repr(info.value.errors()), [PEM, WEIRD, NESTED], where="SettingsError")


def test_any_exception_from_a_validator_becomes_a_value_free_settings_error() -> None:
    with pytest.raises(SettingsError) as info:
        _load({"SIGNING_KEY": "x" * 40, "LOOKUP": TOKEN, "LABEL": TOKEN})
    err = info.value
    assert isinstance(err, InvalidSettingsError)
    problems = dict(err.problems)
    assert problems["LOOKUP"].startswith("validation raised KeyError at ")
    assert "test_loader_error_masking.py" in problems["LOOKUP"]
    assert err.__cause__ is None and err.__context__ is None
    assert_no_leak(str(err) + repr(err.args), [TOKEN], where="SettingsError")


class _Secretive(SecretSettings):
    api_token: SecretStr
    raw: SecretBytes | None = None
    port: int


def _strings(obj: Any, seen: set[int], depth: int = 0) -> Iterator[str]:
    """Every string reachable from ``obj`` the way an error tracker or a debugger could reach it."""
    if depth > 8 or id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType)):
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, bytes):
        yield obj.decode("utf-8", "replace")
    elif isinstance(obj, (SecretStr, SecretBytes)):
        yield from _strings(obj.get_secret_value(), seen, depth + 1)
    elif isinstance(obj, dict) or (hasattr(obj, "items") and callable(obj.items)):
        try:
            items = list(obj.items())
        except Exception:
            items = []
        for key, value in items:
            yield from _strings(key, seen, depth + 1)
            yield from _strings(value, seen, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from _strings(item, seen, depth + 1)
    else:
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            yield from _strings(attributes, seen, depth + 1)
        for slot in getattr(type(obj), "__slots__", ()):
            yield from _strings(getattr(obj, slot, None), seen, depth + 1)
        if isinstance(obj, BaseException):
            yield from _strings(obj.args, seen, depth + 1)


def _frames_of(exc: BaseException) -> Iterator[types.FrameType]:
    """The frames of ``exc``'s traceback (but the test's own, which holds the test data) and of every
    exception chained to it."""
    todo: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        tb = item.__traceback__
        if item is exc and tb is not None:
            tb = tb.tb_next  # the test function's frame
        while tb is not None:
            yield tb.tb_frame
            tb = tb.tb_next
        todo += [item.__cause__, item.__context__]


@pytest.mark.parametrize("case", ["invalid", "validator-crash", "bad-json", "dotenv-syntax", "construct"])
def test_frames_of_a_raised_error_hold_no_value(tmp_path: Path, case: str) -> None:
    environ = {"API_TOKEN": TOKEN, "RAW": TOKEN + "-raw", "PORT": TOKEN + "-port", "UNRELATED": TOKEN + "-x"}
    secrets = [TOKEN]
    env_file: Path | None = None
    schema: type[SecretSettings] = _Secretive
    if case == "validator-crash":
        schema, environ = _Conf, {"SIGNING_KEY": TOKEN, "LOOKUP": TOKEN}
    elif case == "bad-json":
        schema, environ = _Conf, {"SIGNING_KEY": TOKEN, "DB": '{"password": "' + TOKEN}
    elif case == "dotenv-syntax":
        env_file = tmp_path / ".env"
        env_file.write_text(f"PORT=1\nAPI_TOKEN='{TOKEN}\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        if case == "construct":
            schema(api_token=TOKEN + "-init")  # plain construction takes the same path
        else:
            schema.load(environ=dict(environ), env_file=env_file, secrets_dir=None)
    frames = list(_frames_of(info.value))
    assert frames, "the error should have a traceback"
    for frame in frames:
        where = f"locals of {frame.f_code.co_name} ({Path(frame.f_code.co_filename).name})"
        assert_no_leak("\n".join(_strings(frame.f_locals, set())), secrets, where=where)
    # Nothing else of the loader is left alive holding a value (no frame kept by a stored traceback).
    gc.collect()
    live = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, types.FrameType) and "autoaudit_secrets" in obj.f_code.co_filename
    ]
    for frame in live:
        assert_no_leak(
            "\n".join(_strings(frame.f_locals, set())), secrets, where=f"live {frame.f_code.co_name}"
        )


def test_name_file_holding_the_secret_itself_is_not_echoed(tmp_path: Path) -> None:
    for mistaken in (TOKEN, "/" + TOKEN, "abc/" + TOKEN, PEM):
        with pytest.raises(InvalidSettingsError) as info:
            _Secretive.load(
                environ={"API_TOKEN_FILE": mistaken, "PORT": "1"}, env_file=None, secrets_dir=None
            )
        ((name, message),) = info.value.problems
        assert name == "API_TOKEN" and "API_TOKEN_FILE" in message
        assert "does not look like a path" in message
        assert_no_leak(str(info.value), [mistaken, TOKEN], where="NAME_FILE error")
    real = tmp_path / "no-such-file"
    with pytest.raises(InvalidSettingsError) as info:
        _Secretive.load(environ={"API_TOKEN_FILE": str(real), "PORT": "1"}, env_file=None, secrets_dir=None)
    assert str(real) in str(info.value)  # a real path is still shown


def test_an_unforeseen_failure_inside_the_loader_is_a_value_free_settings_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bug or an error nobody foresaw deep in the pipeline (here: the decryption step raising a plain
    # ValueError that quotes what it was given) must not escape with the value in its text or its frames.
    import autoaudit_secrets.crypto as crypto

    def broken(values: dict[str, str], **_: object) -> None:
        raise ValueError(f"cannot handle {values!r}")

    monkeypatch.setattr(crypto, "decrypt_values", broken)
    with pytest.raises(SettingsError) as info:
        _Secretive.load(
            environ={"API_TOKEN": "enc:v1:" + TOKEN, "PORT": TOKEN}, env_file=None, secrets_dir=None
        )
    err = info.value
    assert str(err).startswith("_Secretive: loading failed: ValueError raised at ")
    assert err.__cause__ is None and err.__context__ is None
    assert_no_leak(str(err), [TOKEN], where="SettingsError")
    for frame in _frames_of(err):
        assert_no_leak("\n".join(_strings(frame.f_locals, set())), [TOKEN], where=frame.f_code.co_name)


def test_no_frame_of_a_successful_load_stays_alive() -> None:
    settings = _Secretive.load(environ={"API_TOKEN": TOKEN, "PORT": "1"}, env_file=None, secrets_dir=None)
    assert_same_secret(settings.api_token.get_secret_value(), TOKEN)
    gc.collect()
    live = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, types.FrameType) and "autoaudit_secrets" in obj.f_code.co_filename
    ]
    for frame in live:
        assert_no_leak(
            "\n".join(_strings(frame.f_locals, set())), [TOKEN], where=f"live {frame.f_code.co_name}"
        )
