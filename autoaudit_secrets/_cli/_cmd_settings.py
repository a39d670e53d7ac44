"""``check`` and ``example``: validate the environment against a settings schema, or describe the schema.

``check`` exits 0 when the settings load, 1 with the list of problems on stderr (variable names and what is
wrong, never a value), 2 on usage errors (bad ``--schema``, unreadable files named on the command line). It
warns (stderr, one line each) about secrets declared with a plain type; ``--strict`` makes a warning exit 1.
Either way it lists the sources the load read and skipped: the environment, ``.env`` files, each file read
through ``NAME_FILE`` and each file of the secrets directory with the variable it gave (paths and names only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ._common import EXIT_FINDINGS, EXIT_OK, ExitCode

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``check`` and ``example``."""
    check = subparsers.add_parser(
        "check",
        help="check that the environment (and .env per the local/CI rules) satisfies a settings schema",
        description="Load the settings class named by --schema the way the application would and report "
        "every missing or invalid variable, and warn about secrets declared with a plain type (a str field "
        "named like a secret, a URL with a password). Exit 0: ok (warnings or not, unless --strict); "
        "1: problems (listed on stderr); 2: usage error.",
    )
    check.add_argument("--schema", required=True, metavar="module:Class", help="the settings class")
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when there is a warning (a secret declared as plain str or URL instead of SecretStr)",
    )
    check.add_argument(
        "--env-file",
        action="append",
        type=Path,
        metavar="F",
        help="read this .env file (repeatable, later files win); default: .env and .env.$APP_ENV "
        "outside CI, none inside CI",
    )
    check.add_argument(
        "--secrets-dir",
        type=Path,
        metavar="DIR",
        help="Docker secrets directory (default: /run/secrets when it exists)",
    )
    check.set_defaults(func=_check)

    example = subparsers.add_parser(
        "example",
        help="write a .env.example for a settings schema",
        description="Write every variable of the schema: secrets blank (str fields named like a secret "
        "too, and a default URL with a password), defaults for the others, field descriptions as comments.",
    )
    example.add_argument("--schema", required=True, metavar="module:Class", help="the settings class")
    example.add_argument(
        "--output",
        "-o",
        default=".env.example",
        metavar="FILE",
        help="where to write (default: .env.example; '-' for stdout)",
    )
    example.set_defaults(func=_example)


def _check(args: argparse.Namespace) -> ExitCode:
    from .._errors import DotenvError, SettingsError, UsageError
    from .._safe_read import is_null_device
    from ..settings import AUTO, InvalidSettingsError, SourceNote, import_schema, plain_secret_fields

    problem: str | None = None
    try:
        schema = import_schema(args.schema)
    except SettingsError as exc:  # the module itself loads its settings at import, and they are invalid
        problem = str(exc)
    if problem is not None:
        print(f"autoaudit-secrets check: {problem}", file=sys.stderr)
        return EXIT_FINDINGS
    for path in args.env_file or ():
        if not os.access(path, os.R_OK) or not (path.is_file() or is_null_device(path.stat())):
            raise UsageError(f"--env-file {path}: not a readable file")
    if args.secrets_dir is not None and not args.secrets_dir.is_dir():
        raise UsageError(f"--secrets-dir {args.secrets_dir}: not a directory")
    env_file: Any = list(args.env_file) if args.env_file else AUTO
    secrets_dir: Any = args.secrets_dir if args.secrets_dir is not None else AUTO
    loaded: Any = None
    sources: tuple[SourceNote, ...] = ()
    try:
        loaded, sources = schema.load_with_sources(env_file=env_file, secrets_dir=secrets_dir)
    except (SettingsError, DotenvError) as exc:
        problem = str(exc)
        if isinstance(exc, InvalidSettingsError) and exc.sources and not exc.sources_shown:
            problem += "\nsources:" + "".join(f"\n  {note}" for note in exc.sources)
    # Loaded settings also tell which fields hold a URL with a password; without them, the names alone.
    warnings = plain_secret_fields(loaded if loaded is not None else schema)
    del loaded  # the values are not needed any further
    if problem is not None:
        print(f"autoaudit-secrets check: {problem}", file=sys.stderr)
    else:
        print(f"ok: the settings satisfy {args.schema}")
        # Which sources gave them (names and paths only): "ok" in CI with a skipped .env is worth knowing, and
        # in a container which file (NAME_FILE, the secrets directory) fed which variable. The notes of the
        # load itself, as an error lists them.
        print("sources:")
        for note in sources:
            print(f"  {note}")
    for warning in warnings:
        print(f"autoaudit-secrets check: warning: {warning}", file=sys.stderr)
    if problem is not None:
        return EXIT_FINDINGS
    if warnings and args.strict:
        count = len(warnings)
        print(
            f"autoaudit-secrets check: --strict: {count} warning{'s' if count != 1 else ''}", file=sys.stderr
        )
        return EXIT_FINDINGS
    return EXIT_OK


def _example(args: argparse.Namespace) -> ExitCode:
    from .._atomic import atomic_write_text
    from .._dotenv import write_target
    from ..settings import example_dotenv, import_schema

    text = example_dotenv(import_schema(args.schema))
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    atomic_write_text(write_target(args.output), text, default_mode=0o644)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK
