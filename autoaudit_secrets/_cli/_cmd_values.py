"""``set``, ``encrypt``, ``decrypt``, ``get`` and ``run``: encrypted values in a ``.env`` file.

Only ``get`` and ``decrypt`` (without ``--in-place``) print values, because that is what they are for.
Status lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._dotenv import _NAME_RE, _utf8_error_at, locked_for_update, shown_name, value_has_reference
from .._errors import DecryptionError, UsageError
from ._cmd_keys import (
    add_env_file_option,
    add_keyring_option,
    add_strict_option,
    key_stores,
    warn_private_key_in_file,
)
from ._common import EXIT_OK, EXIT_USAGE, ExitCode

__all__ = ["register"]

EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


def _report_problems(problems: Mapping[str, str]) -> ExitCode:
    for name in sorted(problems):
        print(f"autoaudit-secrets: error: {problems[name]}", file=sys.stderr)
    return EXIT_USAGE


def _read_stdin_value() -> str:
    if sys.stdin is None:
        raise UsageError("no VALUE given and there is no stdin to read it from")
    raw = sys.stdin.buffer.read()
    if not raw:
        # Most likely a producer that failed (`vault read ... | autoaudit-secrets set X`): refuse rather
        # than replace a secret by "". An empty value is still possible as an argument or a lone newline.
        raise UsageError("no VALUE given and stdin is empty (pass '' as VALUE to store an empty value)")
    if _utf8_error_at(raw) is not None:  # raised outside an except: the decode error would hold the value
        raise UsageError("the value read from stdin is not valid UTF-8")
    data = raw.decode("utf-8")
    if data.endswith("\r\n"):
        return data[:-2]
    return data.removesuffix("\n")


def _checked_value(value: str) -> str:
    """``value`` if it can be stored; an argument with bytes that are not UTF-8 arrives with surrogates."""
    if not _is_utf8_text(value):
        raise UsageError("VALUE is not valid UTF-8 text")
    return value


def _is_utf8_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _set(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import PUBLIC_KEY_VAR, encrypt_value, public_key_of

    path: Path = args.env_file
    name: str = args.name
    if name == PUBLIC_KEY_VAR:
        raise UsageError(f"{PUBLIC_KEY_VAR} is managed by keygen/rotate, not set")
    if not _NAME_RE.fullmatch(name):
        # Not echoed: a "name" that is not one is most often the value given in the wrong place.
        raise UsageError("invalid variable name (letters, digits, '_', '.', '-'; not a digit first)")
    # Read the value before taking the lock: stdin may take a while to arrive.
    value = _checked_value(_read_stdin_value() if args.value is None else args.value)
    if not args.literal and value_has_reference(value):
        from ..crypto._document import reference_refusal

        # Someone copying `URL=postgres://u:${DB_PASSWORD}@db` into `set` expects the expansion they had.
        raise UsageError(reference_refusal("the value", fix="`set --literal NAME` stores it as written"))
    with locked_for_update(path):
        doc = DotenvDocument.load(path)
        warn_private_key_in_file(doc, path)
        public_key = public_key_of(doc, str(path))
        existed = doc.get(name) is not None
        doc.set(name, encrypt_value(name, value, public_key))
        doc.save(path)
    verb = "replaced" if existed else "added"
    print(f"{name} {verb} in {path}, encrypted for key id {public_key.key_id}", file=sys.stderr)
    return EXIT_OK


def _encrypt(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import encrypt_in_document, public_key_of

    path: Path = args.env_file
    with locked_for_update(path):
        doc = DotenvDocument.load(path)
        warn_private_key_in_file(doc, path)
        public_key = public_key_of(doc, str(path))
        outcome = encrypt_in_document(
            doc, args.names or None, public_key, source=str(path), literal=args.literal
        )
        for name, reason in outcome.skipped.items():
            print(f"{name}: {reason}", file=sys.stderr)
        if not outcome.encrypted:
            print(f"{path}: nothing to encrypt", file=sys.stderr)
            return EXIT_OK
        doc.save(path)
    names = ", ".join(outcome.encrypted)
    print(f"{path}: encrypted {len(outcome.encrypted)} value(s): {names}", file=sys.stderr)
    return EXIT_OK


def _decrypt(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import is_envelope, open_document

    path: Path = args.env_file
    with locked_for_update(path) if args.in_place else contextlib.nullcontext():
        doc = DotenvDocument.load(path)
        opened, problems = open_document(doc, key_stores(args))
        if problems:
            return _report_problems(problems)
        changed = 0
        for name in doc.names():
            value = doc.get(name)
            if value is not None and is_envelope(value):
                doc.set(name, opened[name])
                changed += 1
        if args.in_place:
            if changed:
                doc.save(path)
            print(f"{path}: decrypted {changed} value(s) in place", file=sys.stderr)
        else:
            sys.stdout.write(doc.render())
    return EXIT_OK


def _get(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import open_values

    path: Path = args.env_file
    doc = DotenvDocument.load(path)
    value = doc.get(args.name)
    if value is None:
        raise UsageError(f"{shown_name(args.name)} is not set in {path}")
    opened, problems = open_values({args.name: value}, key_stores(args))
    if problems:
        return _report_problems(problems)
    sys.stdout.write(opened[args.name] + "\n")
    return EXIT_OK


# The variables that carry private keys; `run` keeps them from the child unless asked.
PRIVATE_KEY_VARIABLES = ("AUTOAUDIT_PRIVATE_KEY", "AUTOAUDIT_PRIVATE_KEY_FILE")


def _child_environment(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """The .env values under the process environment (which wins, as in the loader), all ``enc:`` opened."""
    from .._dotenv import read_dotenv
    from ..crypto import open_values
    from ..crypto._envelope import is_versioned_envelope

    env_file: Path | None = args.env_file
    if env_file is None and Path(".env").is_file():
        env_file = Path(".env")
    merged: dict[str, str] = dict(read_dotenv(env_file)) if env_file is not None else {}
    merged.update(os.environ)
    # Only our envelopes (enc:v1:, or a later enc:vN:) are opened; another tool's value that happens to
    # start with "enc:" is passed on unchanged, as it would be without us.
    ours = {name: value for name, value in merged.items() if is_versioned_envelope(value)}
    opened, problems = open_values(ours, key_stores(args))
    opened = {**merged, **opened}
    for name in problems:
        opened.pop(name, None)
    if not args.pass_private_key:
        # Least privilege: the child gets the opened values, so it has no use for the key that opens them.
        for name in PRIVATE_KEY_VARIABLES:
            opened.pop(name, None)
    return opened, problems


def _run(args: argparse.Namespace) -> ExitCode:
    command: list[str] = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("run needs a command: autoaudit-secrets run [--env-file F] -- CMD [ARG...]")
    env, problems = _child_environment(args)
    if problems:
        return _report_problems(problems)
    with_nul = sorted(name for name, value in env.items() if "\x00" in value)
    if with_nul:
        raise UsageError(
            f"cannot run {command[0]}: {', '.join(with_nul)} contain(s) a NUL byte, which an "
            "environment variable cannot hold"
        )
    try:
        if os.name == "posix":
            # Become the command: signals (docker stop, Ctrl-C) reach it directly, its exit code is ours.
            sys.stdout.flush()
            sys.stderr.flush()
            os.execvpe(command[0], command, env)
        proc = subprocess.run(command, env=env, check=False)
    except FileNotFoundError:
        print(f"autoaudit-secrets: error: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PermissionError:
        print(f"autoaudit-secrets: error: cannot execute: {command[0]}", file=sys.stderr)
        return EXIT_NOT_EXECUTABLE
    except OSError as exc:
        raise DecryptionError(f"cannot run {command[0]}: {exc.strerror}") from None
    # A child killed by a signal reports -N; shells report that as 128+N.
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


_LITERAL_HELP = (
    "encrypt a value holding ${VAR} as written (an enc: value is never expanded; without this flag such a "
    "value is refused, unless single-quoted in the .env)"
)


def register(subparsers: Any) -> None:
    """Add ``set``, ``encrypt``, ``decrypt``, ``get`` and ``run``."""
    set_ = subparsers.add_parser(
        "set",
        help="encrypt one value into the .env (needs only the public key)",
        description="Encrypt VALUE (or stdin, one trailing newline stripped) for AUTOAUDIT_PUBLIC_KEY and "
        "write it as NAME=enc:v1:... (an existing line for NAME is replaced in place).",
    )
    set_.add_argument("name", metavar="NAME")
    set_.add_argument("value", metavar="VALUE", nargs="?", help="the value (default: read stdin)")
    set_.add_argument("--literal", action="store_true", help=_LITERAL_HELP)
    add_env_file_option(set_)
    set_.set_defaults(func=_set)

    encrypt = subparsers.add_parser(
        "encrypt",
        help="encrypt plaintext values in place",
        description="Encrypt the named plaintext values in place; without names, every secret-looking "
        "one (names with PASSWORD, SECRET, TOKEN, KEY..., URLs with a password).",
    )
    encrypt.add_argument("names", metavar="NAME", nargs="*")
    encrypt.add_argument("--literal", action="store_true", help=_LITERAL_HELP)
    add_env_file_option(encrypt)
    encrypt.set_defaults(func=_encrypt)

    decrypt = subparsers.add_parser(
        "decrypt",
        help="print the .env with its values decrypted (or rewrite it with --in-place)",
        description="Open every enc: value. Prints the decrypted file to stdout unless --in-place.",
    )
    add_env_file_option(decrypt)
    decrypt.add_argument("--in-place", action="store_true", help="rewrite the file with plaintext values")
    add_keyring_option(decrypt)
    add_strict_option(decrypt)
    decrypt.set_defaults(func=_decrypt)

    get = subparsers.add_parser("get", help="print one decrypted value", description="Print NAME's value.")
    get.add_argument("name", metavar="NAME")
    add_env_file_option(get)
    add_keyring_option(get)
    add_strict_option(get)
    get.set_defaults(func=_get)

    run = subparsers.add_parser(
        "run",
        help="run a command with the decrypted environment",
        description="Run CMD with the .env values (the process environment wins; without --env-file, "
        "a missing .env is fine) and every enc: value opened. On POSIX the command replaces this "
        "process (signals reach it, its exit code is the exit code); elsewhere it runs as a child and "
        "its exit code is passed through.",
    )
    add_env_file_option(run, optional=True)
    add_keyring_option(run)
    add_strict_option(run)
    run.add_argument(
        "--pass-private-key",
        action="store_true",
        help="also give the command AUTOAUDIT_PRIVATE_KEY/AUTOAUDIT_PRIVATE_KEY_FILE (removed by default: "
        "it receives the opened values and does not need the key)",
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD")
    run.set_defaults(func=_run)
