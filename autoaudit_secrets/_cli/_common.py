"""Shared plumbing of the two command-line programs: the only place that prints errors and calls
``sys.exit``."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from types import FrameType
from typing import NoReturn, TextIO

from .._errors import AutoauditSecretsError, UsageError

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "STARTED", "Command", "ExitCode", "run_program"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # findings, or settings that do not satisfy the schema
EXIT_USAGE = 2  # usage or runtime error, one line on stderr

#: when the command line program started (``time.monotonic()``), as early as this package can tell: what a
#: time limit is counted from (Python's own start-up, some tens of milliseconds, comes before)
STARTED = time.monotonic()

ExitCode = int
# A subcommand module exposes register(subparsers) which adds parsers whose default `func` is a Command.
Command = Callable[[argparse.Namespace], ExitCode]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, like every other error."""

    hide_unrecognized = False  # set on the top-level parser (which reports unrecognized arguments)

    def error(self, message: str) -> NoReturn:
        if self.hide_unrecognized and message.startswith("unrecognized arguments:"):
            # argparse would echo them: `set DB_PASSWORD my pass phrase` (a VALUE with spaces, unquoted)
            # would print most of the secret.
            count = len(message.split(":", 1)[1].split())
            message = (
                f"{count} unrecognized argument(s), not shown as they may be secret values "
                "(quote a VALUE that contains spaces)"
            )
        raise UsageError(message)


def new_parser(prog: str, description: str, *, hide_unrecognized: bool = False) -> argparse.ArgumentParser:
    """The program's top-level parser (with ``--version``). With ``hide_unrecognized``, unrecognized arguments
    are counted, not echoed (for a program that takes secret values as arguments)."""
    from .. import __version__

    parser = _Parser(prog=prog, description=description)
    parser.hide_unrecognized = hide_unrecognized
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    return parser


def add_commands(parser: argparse.ArgumentParser, modules: Sequence[str]) -> None:
    """Add the subcommands of each ``autoaudit_secrets._cli.<module>`` (each exposes
    ``register(subparsers)``), in the order given, which is the order ``--help`` shows."""
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in modules:
        importlib.import_module(f"{__package__}.{name}").register(subparsers)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks and temp-file clean-up run."""


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _one_line_warnings(prog: str) -> None:
    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(f"{prog}: warning: {' '.join(str(message).split())}", file=sys.stderr)

    warnings.showwarning = show


def run_program(
    prog: str,
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    *,
    debug_var: str | None = None,
    terminate_cleanly: bool = False,
) -> NoReturn:
    """Parse ``argv``, run the chosen subcommand, and exit with its code.

    Every :class:`AutoauditSecretsError` becomes ``prog: error: <message>`` on stderr and exit 2 (never a
    traceback); Ctrl-C exits 130; a closed stdout (``| head``) exits quietly. With ``debug_var``, any other
    exception also becomes one line and exit 2 — its type only: exception messages and tracebacks can carry
    the values being handled — unless that environment variable is set, which re-raises it. Warnings are
    printed as one ``prog: warning: <message>`` line. With ``terminate_cleanly``, SIGTERM (``kill``, ``docker
    stop``, a CI timeout) unwinds like Ctrl-C, so a write in progress removes its temp file; exit 143.
    """
    _one_line_warnings(prog)
    if terminate_cleanly:
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        args = parser.parse_args(argv)
        func: Command | None = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            sys.exit(EXIT_USAGE)
        code = func(args)
        if sys.stdout is not None:  # None when started with stdout closed (`>&-`)
            sys.stdout.flush()
    except AutoauditSecretsError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except _Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        sys.exit(143)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)
    except Exception as exc:
        if debug_var is None or os.environ.get(debug_var):
            raise
        print(
            f"{prog}: error: internal error ({type(exc).__name__}); set {debug_var}=1 for a traceback",
            file=sys.stderr,
        )
        sys.exit(EXIT_USAGE)
    sys.exit(code)
