"""``keygen`` and ``rotate``: create a key pair, or move every encrypted value to a new one.

Status lines go to stderr; stdout carries only what a command exists to print (the private key with
``--store stdout``).
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._dotenv import locked_for_update, write_target
from .._errors import UsageError
from ._common import EXIT_OK, ExitCode

if TYPE_CHECKING:
    from ..crypto import KeyStore

__all__ = [
    "KeyDestination",
    "add_env_file_option",
    "add_keyring_option",
    "add_store_option",
    "add_strict_option",
    "key_stores",
    "register",
    "warn_private_key_in_file",
]


class KeyDestination(enum.Enum):
    """Where a new private key goes."""

    KEYRING = "keyring"
    STDOUT = "stdout"
    FILE = "file"


# What to do where there is no OS keychain (containers, WSL, CI, headless Linux).
_NO_KEYCHAIN_HINT = (
    "instead use --store file PATH (a new 0600 key file; then set AUTOAUDIT_PRIVATE_KEY_FILE=PATH) or "
    "--store stdout (keep the printed key as a CI secret in AUTOAUDIT_PRIVATE_KEY)"
)


def add_env_file_option(parser: argparse.ArgumentParser, *, optional: bool = False) -> None:
    """Add ``--env-file F``; with ``optional`` the default is ``None`` (meaning: ``.env`` if it exists)."""
    if optional:
        parser.add_argument(
            "--env-file",
            type=Path,
            default=None,
            metavar="F",
            help="the .env file (default: .env if present)",
        )
        return
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), metavar="F", help="the .env file (default: .env)"
    )


def add_keyring_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-insecure-keyring",
        action="store_true",
        help="use a keyring backend that keeps keys in plaintext (or a low-priority one); "
        "same as AUTOAUDIT_ALLOW_INSECURE_KEYRING=1",
    )


def add_strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse a private key file (AUTOAUDIT_PRIVATE_KEY_FILE) that its group or others can read "
        "(default: a warning)",
    )


def add_store_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--store",
        nargs="+",
        default=[KeyDestination.KEYRING.value],
        metavar="WHERE",
        help=f"where {what} goes: keyring (default: the OS keychain), stdout (printed once, e.g. for a CI "
        "secret), or file PATH (a new file, mode 0600, never overwritten; use it with "
        "AUTOAUDIT_PRIVATE_KEY_FILE=PATH)",
    )


def _destination(args: argparse.Namespace) -> tuple[KeyDestination, Path | None]:
    """``--store``'s destination and, for ``file``, its path; a wrong shape is a :class:`UsageError`."""
    words: list[str] = list(args.store)
    choices = ", ".join(choice.value for choice in KeyDestination)
    try:
        destination = KeyDestination(words[0])
    except ValueError:
        raise UsageError(f"--store: choose one of {choices} (not {words[0]!r})") from None
    if destination is KeyDestination.FILE:
        if len(words) != 2 or not words[1]:
            raise UsageError("--store file needs one PATH: --store file PATH")
        return destination, Path(words[1])
    if len(words) != 1:
        raise UsageError(f"--store {destination.value} takes no PATH")
    return destination, None


def key_stores(args: argparse.Namespace) -> list[KeyStore]:
    """The standard private-key lookup order, honouring ``--allow-insecure-keyring`` and ``--strict``."""
    from ..crypto import default_key_stores

    allow = True if getattr(args, "allow_insecure_keyring", False) else None
    strict = bool(getattr(args, "strict", False))
    return default_key_stores(os.environ, allow_insecure_keyring=allow, strict=strict)


def warn_private_key_in_file(doc: Any, path: Path) -> None:
    """Warn (stderr, names only) when the .env itself holds a private key, which defeats the encryption."""
    from ..crypto import PRIVATE_KEY_FILE_VAR, PRIVATE_KEY_PREFIX, PRIVATE_KEY_VAR

    for name in doc.names():
        value = doc.get(name) or ""
        # A private key pasted under another name (AUTOAUDIT_PUBLIC_KEY by mistake) defeats it just as well.
        if name in (PRIVATE_KEY_VAR, PRIVATE_KEY_FILE_VAR) or PRIVATE_KEY_PREFIX in value:
            what = "sets" if name in (PRIVATE_KEY_VAR, PRIVATE_KEY_FILE_VAR) else "holds a private key in"
            print(
                f"warning: {path} {what} {name}: whoever has the file can open every value; "
                "keep the private key out of it",
                file=sys.stderr,
            )


def _check_key_file_target(path: Path) -> None:
    """Refuse ``--store file PATH`` before any key is made: PATH must be new, in a writable directory."""
    if os.path.lexists(path):
        raise UsageError(f"--store file {path}: already exists; refusing to overwrite a key file")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"--store file {path}: cannot create it (directory missing or not writable)")


def _check_writable(path: Path) -> None:
    """Refuse before a key is made or stored when the .env could not be rewritten (read-only...)."""
    from .._atomic import write_refusal

    refusal = write_refusal(path)
    if refusal is not None:
        raise UsageError(f"cannot write {path}: {refusal}")


def _store_private_key(args: argparse.Namespace, key: Any) -> None:
    """Put ``key`` where ``--store`` says; raises before anything is printed when the keyring refuses."""
    from .._atomic import atomic_create_bytes
    from .._errors import KeyStoreError
    from ..crypto import KeyringKeyStore, insecure_keyring_allowed

    destination, key_file = _destination(args)
    if destination is KeyDestination.STDOUT:
        print(key.to_text())
        sys.stdout.flush()
        print(f"private key {key.key_id} printed to stdout; store it now, it is not kept", file=sys.stderr)
        return
    if destination is KeyDestination.FILE:
        assert key_file is not None
        text = f"# autoaudit-secrets private key {key.key_id}\n{key.to_text()}\n"
        atomic_create_bytes(key_file, text.encode("ascii"), mode=0o600)
        print(
            f"private key {key.key_id} written to {key_file} (mode 0600); use it with "
            f"AUTOAUDIT_PRIVATE_KEY_FILE={key_file}, and keep the file out of git and images",
            file=sys.stderr,
        )
        return
    allow = bool(args.allow_insecure_keyring) or insecure_keyring_allowed(os.environ)
    try:
        backend = KeyringKeyStore(allow_insecure=allow).save(key)
    except KeyStoreError as exc:
        raise KeyStoreError(f"{exc}; {_NO_KEYCHAIN_HINT}") from None
    print(f"private key {key.key_id} stored in the keyring ({backend})", file=sys.stderr)


def _keygen(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import PUBLIC_KEY_VAR, generate_private_key

    path: Path = args.env_file
    _, key_file = _destination(args)
    if key_file is not None:
        _check_key_file_target(key_file)
    with locked_for_update(path):
        doc = DotenvDocument.load(path, missing_ok=True)
        warn_private_key_in_file(doc, path)
        existing = doc.get(PUBLIC_KEY_VAR)
        if existing and not args.force:
            raise UsageError(
                f"{path} already has {PUBLIC_KEY_VAR}; use `autoaudit-secrets rotate` to replace it "
                "(or --force to start over: its enc: values would no longer open)"
            )
        _check_writable(path)
        directory = write_target(path).parent
        if not os.access(directory, os.W_OK | os.X_OK):
            # Checked before the key is stored or printed: a key whose public half is written nowhere is
            # only confusing.
            reason = "No such file or directory" if not directory.is_dir() else "Permission denied"
            raise UsageError(f"cannot write {path}: {reason}")
        key = generate_private_key()
        _store_private_key(args, key)
        doc.set(PUBLIC_KEY_VAR, key.public_key.to_text())
        doc.save(path)
    print(f"{PUBLIC_KEY_VAR} (key id {key.key_id}) written to {path}", file=sys.stderr)
    return EXIT_OK


def _rotate(args: argparse.Namespace) -> ExitCode:
    from .._dotenv import DotenvDocument
    from ..crypto import generate_private_key, rotate_document

    path: Path = args.env_file
    _, key_file = _destination(args)
    if key_file is not None:
        _check_key_file_target(key_file)
    with locked_for_update(path):
        doc = DotenvDocument.load(path)
        _check_writable(path)
        new_key = generate_private_key()
        outcome = rotate_document(doc, key_stores(args), new_key, source=str(path))
        # The new key is stored before the file changes: a failure here leaves the old file and keys working.
        _store_private_key(args, new_key)
        doc.save(path)
    old = ", ".join(outcome.old_key_ids)
    print(
        f"{path}: {len(outcome.reencrypted)} value(s) re-encrypted for key id {outcome.new_key_id} "
        f"(was {old})",
        file=sys.stderr,
    )
    for kid in outcome.old_key_ids:
        print(
            f"old key {kid} is still usable; once every copy of {path} is rotated, remove it (keyring: "
            f"`python -m keyring del autoaudit-secrets {kid}`; CI: drop it from AUTOAUDIT_PRIVATE_KEY; key "
            "file: a file may hold both keys, one per line, until then)",
            file=sys.stderr,
        )
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add ``keygen`` and ``rotate``."""
    keygen = subparsers.add_parser(
        "keygen",
        help="create a key pair: public key into the .env, private key into the keyring",
        description="Create an X25519 key pair. The public key is written to the .env as "
        "AUTOAUDIT_PUBLIC_KEY; the private key goes to the OS keychain (default), to stdout, or to a new "
        "0600 file (for machines without a keychain: containers, WSL, CI, headless Linux).",
    )
    add_env_file_option(keygen)
    add_store_option(keygen, "the private key")
    keygen.add_argument("--force", action="store_true", help="replace an existing AUTOAUDIT_PUBLIC_KEY")
    add_keyring_option(keygen)
    keygen.set_defaults(func=_keygen)

    rotate = subparsers.add_parser(
        "rotate",
        help="new key pair; re-encrypt every enc: value for it",
        description="Open every enc: value with the current keys, create a new key pair, re-encrypt every "
        "value for it and replace AUTOAUDIT_PUBLIC_KEY. Old keys are not deleted.",
    )
    add_env_file_option(rotate)
    add_store_option(rotate, "the new private key")
    add_keyring_option(rotate)
    add_strict_option(rotate)
    rotate.set_defaults(func=_rotate)
