"""``check-secrets``: find secrets in files, Docker build contexts, and git history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from ._common import add_commands, new_parser, run_program

# Each module adds its subcommands with register(subparsers).
_COMMAND_MODULES = ("_scan_cmds", "_scan_git", "_scan_image", "_scan_migrate")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = new_parser("check-secrets", "Find secrets in source, Docker build contexts and git history.")
    add_commands(parser, _COMMAND_MODULES)
    run_program("check-secrets", parser, argv)


if __name__ == "__main__":
    main()
