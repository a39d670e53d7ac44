"""No secret value in an error message, repr/str, exception chain, traceback, warning or CLI output."""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr, field_validator

from autoaudit_secrets._dotenv import DotenvDocument, read_dotenv
from autoaudit_secrets._errors import AutoauditSecretsError, DotenvError, KeyStoreError, SettingsError
from autoaudit_secrets.crypto import (
    PRIVATE_KEY_FILE_VAR,
    PRIVATE_KEY_VAR,
    EnvKeyStore,
    FileKeyStore,
    decrypt_value,
    default_key_stores,
    encrypt_value,
    generate_private_key,
    resolve_keys,
)
from autoaudit_secrets.crypto._envelope import ENVELOPE_PREFIX, _info, _pad, _suite
from autoaudit_secrets.crypto._keys import b64url_decode, b64url_encode
from autoaudit_secrets.settings import SecretSettings
from tests.conftest import assert_no_leak

from .conftest import Project, assert_one_line_error

SECRET = "Qx7-leak-probe-" + "s3cr3t"  # built so the repository's self-scan sees no literal


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything reachable through ``__cause__`` / ``__context__``."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo.extend([item.__cause__, item.__context__])


def _everything_about(exc: BaseException) -> str:
    """All the text a logger, error tracker or debugger could get from ``exc``: str, repr and args of every
    exception of the chain (context included even when suppressed), and the formatted traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    for item in _chain(exc):
        parts += [str(item), repr(item), repr(item.args), repr(getattr(item, "object", ""))]
    return "\n".join(parts)


def _assert_clean_error(exc: BaseException, secrets: list[str]) -> None:
    assert_no_leak(_everything_about(exc), secrets, where=f"{type(exc).__name__} and its chain")


# -------------------------------------------------------------------------------------- objects and errors


def test_key_store_reprs_do_not_show_the_environment() -> None:
    key = generate_private_key()
    environ = {PRIVATE_KEY_VAR: key.to_text(), "DB_PASSWORD": SECRET}
    stores = default_key_stores(environ, allow_insecure_keyring=False)
    text = repr(stores) + str(stores) + repr(EnvKeyStore(environ)) + repr(FileKeyStore(environ))
    assert_no_leak(text, [key.to_text(), SECRET], where="key store repr")
    resolution = resolve_keys([key.key_id], stores[:1])
    assert resolution.keys
    assert_no_leak(repr(resolution) + repr(key), [key.to_text()], where="key repr")


def test_unreadable_env_file_error_does_not_carry_the_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(f"DB_PASSWORD={SECRET}\nBAD=\xff\n".encode("latin-1"))
    for load in (lambda: read_dotenv(path), lambda: DotenvDocument.load(path)):
        with pytest.raises(DotenvError) as info:
            load()
        assert "line 2: not valid UTF-8" in str(info.value)
        _assert_clean_error(info.value, [SECRET])


def test_key_file_that_is_not_utf8_error_does_not_carry_the_key(tmp_path: Path) -> None:
    key = generate_private_key()
    key_file = tmp_path / "key"
    key_file.write_bytes(key.to_text().encode() + b"\n\xff\n")
    key_file.chmod(0o600)
    with pytest.raises(KeyStoreError) as info:
        FileKeyStore({PRIVATE_KEY_FILE_VAR: str(key_file)}).find([key.key_id])
    _assert_clean_error(info.value, [key.to_text()])


def test_envelope_with_invalid_utf8_plaintext_does_not_carry_it() -> None:
    key = generate_private_key()
    raw_kid = key.public_key.raw_key_id
    plain = SECRET.encode() + b"\xff"
    sealed = _suite().encrypt(_pad(plain), key.public_key.x25519(), info=_info("A", raw_kid))
    envelope = ENVELOPE_PREFIX + b64url_encode(raw_kid + sealed)
    with pytest.raises(AutoauditSecretsError) as info:
        decrypt_value("A", envelope, {key.key_id: key})
    _assert_clean_error(info.value, [SECRET])


@pytest.mark.parametrize("damage", ["tamper", "truncate", "other-name", "other-key"])
def test_decryption_failures_show_no_value(damage: str) -> None:
    key, other = generate_private_key(), generate_private_key()
    envelope = encrypt_value("A", SECRET, key.public_key)
    keys = {key.key_id: key}
    name = "A"
    if damage == "tamper":
        data = bytearray(b64url_decode(envelope[len(ENVELOPE_PREFIX) :]) or b"")
        data[-1] ^= 1
        envelope = ENVELOPE_PREFIX + b64url_encode(bytes(data))
    elif damage == "truncate":
        envelope = envelope[:40]
    elif damage == "other-name":
        name = "B"
    else:
        keys = {key.key_id: other}
    with pytest.raises(AutoauditSecretsError) as info:
        decrypt_value(name, envelope, keys)
    _assert_clean_error(info.value, [SECRET, key.to_text(), other.to_text()])


class _Conf(SecretSettings):
    db_password: SecretStr
    port: int

    @field_validator("db_password")
    @classmethod
    def _strong(cls, value: SecretStr) -> SecretStr:
        raise ValueError(f"too weak: {value.get_secret_value()}")


@pytest.mark.parametrize("source", ["environ", "dotenv", "dotenv-crlf", "bad-utf8"])
def test_settings_errors_and_warnings_show_no_value(tmp_path: Path, source: str) -> None:
    env_file = tmp_path / ".env"
    content = f"DB_PASSWORD={SECRET}\nPORT={SECRET}\n"
    environ: dict[str, str] = {}
    if source == "environ":
        environ = {"DB_PASSWORD": SECRET, "PORT": SECRET}
        content = ""
    env_file.write_bytes(
        content.replace("\n", "\r\n").encode()
        if source == "dotenv-crlf"
        else content.encode() + b"\xff" * (source == "bad-utf8")
    )
    with warnings.catch_warnings(record=True) as caught, pytest.raises(SettingsError) as info:
        warnings.simplefilter("always")
        _Conf.load(env_file=env_file, environ=environ, secrets_dir=None)
    _assert_clean_error(info.value, [SECRET])
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert_no_leak("\n".join(str(w.message) for w in caught), [SECRET], where="warnings")
    if source != "bad-utf8":
        assert "DB_PASSWORD" in str(info.value) and "PORT" in str(info.value)


def test_acronyms_in_settings_messages_keep_their_case() -> None:
    class Conf(SecretSettings):
        port: int

    with pytest.raises(SettingsError) as info:
        Conf.load(env_file=None, environ={"PORT": "x"}, secrets_dir=None)
    assert "PORT: input should be" in str(info.value)

    from pydantic import PostgresDsn

    class Dsn(SecretSettings):
        dsn: PostgresDsn

    with pytest.raises(SettingsError) as info:
        Dsn.load(env_file=None, environ={"DSN": "mysql://u:p@h/db"}, secrets_dir=None)
    assert "DSN: URL scheme should be" in str(info.value)


# --------------------------------------------------------------------------------------------- the CLI


def test_unquoted_value_with_spaces_is_not_echoed(project: Project) -> None:
    words = SECRET.split("-")
    result = project.cli("set", "DB_PASSWORD", *words)
    assert_no_leak(result.output, words[1:], where="CLI output")
    assert_one_line_error(result)
    assert "unrecognized argument" in result.stderr


def test_value_given_in_place_of_the_name_is_not_echoed(project: Project) -> None:
    weird = SECRET + " !"
    for args in (["set", weird, "DB_PASSWORD"], ["get", weird], ["encrypt", weird]):
        result = project.cli(*args)
        assert_no_leak(result.output, [weird, SECRET], where=f"{args[0]} output")
        assert_one_line_error(result)


def test_every_failure_path_of_the_cli_shows_no_value(project: Project) -> None:
    assert project.cli("set", "DB_PASSWORD", SECRET).returncode == 0
    assert project.cli("set", "API_TOKEN", input=SECRET + "-2\n").returncode == 0
    secrets = [SECRET, SECRET + "-2", project.key]
    wrong = generate_private_key().to_text()
    text = project.env_file.read_text()
    (project.path / "tampered.env").write_text(text.replace("DB_PASSWORD=enc:v1:", "DB_PASSWORD=enc:v1:A"))
    (project.path / "moved.env").write_text(text.replace("DB_PASSWORD=", "OTHER=", 1))
    (project.path / "plain.env").write_text(text + f"PLAIN_SECRET={SECRET}\nBAD LINE\n")
    runs = [
        project.cli("get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY=wrong),
        project.cli("get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY=project.key[:-3] + "xyz"),
        project.cli("get", "DB_PASSWORD", AUTOAUDIT_PRIVATE_KEY=""),
        project.cli("decrypt", AUTOAUDIT_PRIVATE_KEY=wrong),
        project.cli("decrypt", "--in-place", "--env-file", "tampered.env"),
        project.cli("decrypt", "--env-file", "moved.env"),
        project.cli("rotate", "--store", "stdout", AUTOAUDIT_PRIVATE_KEY=wrong),
        project.cli("run", "--", "sh", "-c", "exit 3", AUTOAUDIT_PRIVATE_KEY=wrong),
        project.cli("encrypt", "--env-file", "plain.env"),
        project.cli("set", "X", "--env-file", "plain.env", input=SECRET),
        project.cli("get", "NOPE"),
        project.cli("keygen", "--store", "stdout"),
    ]
    for index, result in enumerate(runs):
        assert_no_leak(result.output, [*secrets, wrong], where=f"run #{index}")
        assert result.returncode != 0, f"run #{index} should fail"
        assert "Traceback" not in result.output
    assert project.cli("get", "DB_PASSWORD").stdout == SECRET + "\n"


def test_internal_errors_are_one_line_and_name_only_the_exception_type(project: Project) -> None:
    # A decode failure inside the CLI's output layer: stdout that cannot encode the value.
    assert project.cli("set", "DB_PASSWORD", SECRET + "é").returncode == 0
    result = project.cli("get", "DB_PASSWORD", PYTHONIOENCODING="ascii:strict")
    assert_no_leak(result.output, [SECRET], where="CLI output")
    assert_one_line_error(result)
    assert "internal error (UnicodeEncodeError)" in result.stderr
    debug = project.cli("get", "DB_PASSWORD", PYTHONIOENCODING="ascii:strict", AUTOAUDIT_SECRETS_DEBUG="1")
    assert "Traceback" in debug.stderr  # the opt-in keeps the traceback for a developer


def test_check_on_a_module_that_loads_its_settings_at_import(project: Project) -> None:
    (project.path / "eager_config.py").write_text(
        "from pydantic import SecretStr\n"
        "from autoaudit_secrets.settings import SecretSettings\n"
        "class Conf(SecretSettings):\n    db_password: SecretStr\n    port: int\n"
        "settings = Conf.load()\n",
        encoding="utf-8",
    )
    result = project.cli("check", "--schema", "eager_config:Conf", PORT=SECRET)
    assert_no_leak(result.output, [SECRET], where="check output")
    assert result.returncode == 1, result.stderr
    assert "DB_PASSWORD: required but not set" in result.stderr
    assert "PORT: input should be a valid integer" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["encrypt", "set"])
def test_encrypting_a_duplicated_name_leaves_no_plaintext_copy(project: Project, command: str) -> None:
    old, new = SECRET + "-old", SECRET + "-new"
    text = project.env_file.read_text()
    project.env_file.write_text(f"DB_PASSWORD={old}\n{text}# keep me\nexport DB_PASSWORD={new}  # note\n")
    args = ["encrypt", "DB_PASSWORD"] if command == "encrypt" else ["set", "DB_PASSWORD", new]
    result = project.cli(*args)
    assert result.returncode == 0, result.stderr
    written = project.env_file.read_text()
    assert_no_leak(written, [old, new, SECRET], where=f".env after {command}")
    assert written.count("DB_PASSWORD=") == 1 and "# keep me\nexport DB_PASSWORD=enc:v1:" in written
    assert written.rstrip("\n").endswith("# note")
    assert project.cli("get", "DB_PASSWORD").stdout == new + "\n"


def test_a_private_key_pasted_under_another_name_is_warned_about(project: Project) -> None:
    text = project.env_file.read_text()
    project.env_file.write_text(text + f"BACKUP_NOTE={project.key}\n")
    result = project.cli("set", "DB_PASSWORD", SECRET)
    assert_no_leak(result.output, [project.key, SECRET], where="set output")
    assert result.returncode == 0, result.stderr
    assert "holds a private key in BACKUP_NOTE" in result.stderr
    project.env_file.write_text(f"AUTOAUDIT_PUBLIC_KEY={project.key}\n")
    swapped = project.cli("set", "DB_PASSWORD", SECRET)
    assert_no_leak(swapped.output, [project.key, SECRET], where="set output")
    assert swapped.returncode == 2
    assert "holds a private key in AUTOAUDIT_PUBLIC_KEY" in swapped.stderr


def test_the_loaders_internal_layers_keep_values_out_of_repr() -> None:
    # Error trackers (Sentry and the like) record local variables of failing frames by their repr.
    from autoaudit_secrets.settings._base import _Layers

    value = "layer-secret-" + "q7Zp2Lw9"
    layers = _Layers({"JWT_SECRET": value}, {"DB_PASSWORD": value}, {"API_KEY": value})
    assert_no_leak(repr(layers), [value], where="repr of the load layers")
