"""``autoaudit-secrets``: keys, encrypted ``.env`` values, and schema checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from ._common import add_commands, new_parser, run_program

# Each module adds its subcommands with register(subparsers). Order is the order shown in --help.
_COMMAND_MODULES = ("_cmd_keys", "_cmd_values", "_cmd_settings")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = new_parser(
        "autoaudit-secrets",
        "Encrypted .env values, key management, and settings checks.",
        hide_unrecognized=True,
    )
    add_commands(parser, _COMMAND_MODULES)
    run_program(
        "autoaudit-secrets", parser, argv, debug_var="AUTOAUDIT_SECRETS_DEBUG", terminate_cleanly=True
    )


if __name__ == "__main__":
    main()
