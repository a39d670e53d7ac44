"""SettingsError: every problem by env-var name, and no value anywhere in what the error paths produce."""

from __future__ import annotations

import io
import logging
import shutil
import traceback
from pathlib import Path

import pytest
from settings_schemas import (
    API_TOKEN,
    DB_PASSWORD,
    JWT,
    SECRETS,
    SHORT_JWT,
    WEBHOOK,
    AppSettings,
    ValidatedSettings,
)

from autoaudit_secrets._errors import SettingsError
from autoaudit_secrets.settings import InvalidSettingsError, install_redaction
from tests.conftest import DATA_DIR, assert_no_leak, run_cli


def load(environ: dict[str, str], **kw: object) -> AppSettings:
    kw.setdefault("env_file", None)
    kw.setdefault("secrets_dir", None)
    return AppSettings.load(environ=environ, **kw)  # type: ignore[arg-type]


def _chain_text(exc: BaseException) -> str:
    """Everything reachable from an exception: str/repr/args/errors() of it and its cause/context chain."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        errors = getattr(current, "errors", None)
        if callable(errors):
            parts.append(repr(errors()))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def test_lists_every_problem_by_env_var_name() -> None:
    with pytest.raises(InvalidSettingsError) as info:
        load({"JWT_SECRET": SHORT_JWT, "PORT": "eighty", "MODE": "staging", "ALLOWED_HOSTS": "[oops"})
    err = info.value
    assert isinstance(err, SettingsError) and isinstance(err, ValueError)
    problems = dict(err.problems)
    assert problems["JWT_SECRET"] == "must have at least 12 characters"
    assert problems["DB__PASSWORD"] == "required but not set"
    assert problems["PORT"].startswith("input should be a valid integer")
    assert problems["MODE"] == "input should be 'dev' or 'prod'"
    assert problems["ALLOWED_HOSTS"] == "is not valid JSON"
    assert list(problems) == ["JWT_SECRET", "PORT", "MODE", "ALLOWED_HOSTS", "DB__PASSWORD"]
    assert str(err).splitlines()[0] == "AppSettings: 5 settings missing or invalid:"
    assert "  JWT_SECRET: must have at least 12 characters" in str(err).splitlines()
    assert err.errors()[0] == {"env": "JWT_SECRET", "msg": "must have at least 12 characters"}


def test_no_value_in_message_chain_errors_or_traceback() -> None:
    environ = {
        "JWT_SECRET": SHORT_JWT,
        "DB__PASSWORD": DB_PASSWORD,
        "DB__PORT": API_TOKEN,
        "ALLOWED_HOSTS": "[" + JWT,
    }
    with pytest.raises(SettingsError) as info:
        load(environ)
    err = info.value
    assert err.__cause__ is None and err.__context__ is None
    formatted = "".join(traceback.format_exception(err))
    assert_no_leak(_chain_text(err), SECRETS, where="exception chain")
    assert_no_leak(formatted, SECRETS, where="formatted traceback")
    assert "DB__PORT" in str(err) and "ALLOWED_HOSTS" in str(err)


def test_validator_messages_are_scrubbed_of_values() -> None:
    label = "label with " + WEBHOOK
    with pytest.raises(InvalidSettingsError) as info:
        ValidatedSettings.load(environ={"LABEL": label}, env_file=None, secrets_dir=None)
    problems = dict(info.value.problems)
    assert problems["WEBHOOK_SECRET"] == "required but not set"
    assert problems["LABEL"].startswith("no spaces allowed in")
    assert_no_leak(_chain_text(info.value), [label, WEBHOOK], where="validator message")


def test_errors_wrapped_by_the_caller_still_carry_no_value() -> None:
    # An application that catches and re-raises keeps only our (value-free) error in the chain.
    try:
        try:
            load({"JWT_SECRET": SHORT_JWT})
        except SettingsError as exc:
            raise RuntimeError("startup failed") from exc
    except RuntimeError as outer:
        text = "".join(traceback.format_exception(outer))
    assert "JWT_SECRET: must have at least 12 characters" in text
    assert_no_leak(text, SECRETS, where="wrapped traceback")


def test_repr_str_and_json_never_show_secrets() -> None:
    s = load({"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN})
    text = "\n".join([repr(s), str(s), s.model_dump_json(), repr(s.db), str(s.model_dump()), f"{s}"])
    assert_no_leak(text, SECRETS, where="settings rendering")
    assert "**********" in repr(s)


def test_all_error_paths_leak_nothing(tmp_path: Path) -> None:
    """Load failure, logging with redaction, formatted tracebacks, and the CLI check: search all output."""
    captured: list[str] = []

    # 1. load failure, logged with exc_info by an application that installed redaction for its secrets.
    stream = io.StringIO()
    logger = logging.getLogger("autoaudit-test-leaks")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    good = load({"JWT_SECRET": JWT, "DB__PASSWORD": DB_PASSWORD, "API_TOKEN": API_TOKEN})
    handle = install_redaction(good, logger)
    try:
        try:
            load({"JWT_SECRET": SHORT_JWT, "DB__PASSWORD": DB_PASSWORD})
        except SettingsError as exc:
            captured.append("".join(traceback.format_exception(exc)))
            logger.exception("settings failed")
        logger.info("token=%s password=%s", API_TOKEN, DB_PASSWORD)
        try:
            raise ValueError(f"bad jwt {JWT}")
        except ValueError:
            logger.error("wrapped %s", JWT, exc_info=True, stack_info=True)
    finally:
        handle.uninstall()
        logger.removeHandler(handler)
    captured.append(stream.getvalue())
    assert "JWT_SECRET: must have at least 12 characters" in stream.getvalue()
    assert "ValueError: bad jwt" in stream.getvalue()

    # 2. the CLI check, as a subprocess, with secrets in the environment and in a .env file.
    shutil.copy(DATA_DIR / "settings" / "settings_schemas.py", tmp_path / "settings_schemas.py")
    (tmp_path / ".env").write_text(f"API_TOKEN={API_TOKEN}\nDB__PASSWORD='{DB_PASSWORD}'\n", encoding="utf-8")
    result = run_cli(
        "autoaudit-secrets",
        "check",
        "--schema",
        "settings_schemas:AppSettings",
        cwd=tmp_path,
        env={"JWT_SECRET": SHORT_JWT, "DB__PORT": JWT},
    )
    assert result.returncode == 1, result.stderr
    assert "JWT_SECRET: must have at least 12 characters" in result.stderr
    assert "DB__PORT: input should be a valid integer" in result.stderr
    captured.append(result.output)

    # 3. a schema whose module raises at import time: one line, exit 2.
    (tmp_path / "broken_schema.py").write_text(f"raise RuntimeError({JWT!r})\n", encoding="utf-8")
    broken = run_cli("autoaudit-secrets", "check", "--schema", "broken_schema:X", cwd=tmp_path, env={})
    assert broken.returncode == 2
    assert broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert "RuntimeError raised at" in broken.stderr and "broken_schema.py:1" in broken.stderr
    captured.append(broken.output)

    assert_no_leak("\n".join(captured), SECRETS, where="captured output of the error paths")
