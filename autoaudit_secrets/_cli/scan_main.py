"""``check-secrets``: find secrets in files, Docker build contexts, and git history."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import NoReturn

from ._common import new_parser, run_program

# Each module adds its subcommands with register(subparsers).
_COMMAND_MODULES = ("_scan_cmds", "_scan_git")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = new_parser("check-secrets", "Find secrets in source, Docker build contexts and git history.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.register(subparsers)
    run_program("check-secrets", parser, argv)


if __name__ == "__main__":
    main()
