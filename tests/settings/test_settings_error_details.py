"""pydantic describes some invalid values by quoting a part of them: a UUID's wrong character and its place,
a base64 value's length, a byte of the decoded value. None of it reaches a problem of a secret field, and a
byte of a decoded value reaches none (settings loaded from an environment, ``check`` as a subprocess)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from detail_schemas import BAD_BASE64_KEY, BAD_UUID_KEY, NOT_UTF8, SHORT_NOT_UTF8, DetailSettings

from autoaudit_secrets.settings import InvalidSettingsError
from tests.conftest import DATA_DIR, run_cli


def _problems(environ: dict[str, str]) -> dict[str, str]:
    with pytest.raises(InvalidSettingsError) as info:
        DetailSettings.load(environ=environ, env_file=None, secrets_dir=None)
    return dict(info.value.problems)


def test_a_secret_fields_parsing_error_keeps_only_its_kind() -> None:
    problems = _problems({"API_KEY": BAD_UUID_KEY, "SIGNING_KEY": BAD_BASE64_KEY})
    assert problems == {
        "API_KEY": "input should be a valid UUID (details not shown for a secret)",
        "SIGNING_KEY": "base64 decoding error (details not shown for a secret)",
    }


def test_a_byte_of_a_decoded_value_is_never_shown() -> None:
    for value in (NOT_UTF8, SHORT_NOT_UTF8):
        problems = _problems({"MESSAGE_TEXT": value})
        assert problems == {
            "MESSAGE_TEXT": "cannot be decoded as utf-8 (the byte and its place are not shown)"
        }


def test_model_validate_gives_the_same_problems() -> None:
    with pytest.raises(InvalidSettingsError) as info:
        DetailSettings.model_validate({"api_key": BAD_UUID_KEY, "message_text": NOT_UTF8})
    assert dict(info.value.problems) == {
        "API_KEY": "input should be a valid UUID (details not shown for a secret)",
        "MESSAGE_TEXT": "cannot be decoded as utf-8 (the byte and its place are not shown)",
    }


def test_a_plain_fields_detail_stays() -> None:
    problems = _problems({"REQUEST_ID": BAD_UUID_KEY})
    assert problems == {"REQUEST_ID": "input should be a valid UUID, invalid character: found `q` at 35"}


def test_cli_check_shows_no_detail_of_a_secret(tmp_path: Path) -> None:
    shutil.copy(DATA_DIR / "settings" / "detail_schemas.py", tmp_path / "detail_schemas.py")
    env = {"API_KEY": BAD_UUID_KEY, "MESSAGE_TEXT": SHORT_NOT_UTF8}
    result = run_cli(
        "autoaudit-secrets", "check", "--schema", "detail_schemas:DetailSettings", cwd=tmp_path, env=env
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "  API_KEY: input should be a valid UUID (details not shown for a secret)" in lines
    assert "  MESSAGE_TEXT: cannot be decoded as utf-8 (the byte and its place are not shown)" in lines
    assert "found `" not in result.output and "0xff" not in result.output
