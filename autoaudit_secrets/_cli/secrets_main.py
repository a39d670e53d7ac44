"""``autoaudit-secrets``: keys, encrypted ``.env`` values, and schema checks."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import NoReturn

from ._common import new_parser, run_program

# Each module adds its subcommands with register(subparsers). Order is the order shown in --help.
_COMMAND_MODULES = ("_cmd_keys", "_cmd_values", "_cmd_settings")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = new_parser(
        "autoaudit-secrets",
        "Encrypted .env values, key management, and settings checks.",
        hide_unrecognized=True,
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        module.register(subparsers)
    run_program("autoaudit-secrets", parser, argv, debug_var="AUTOAUDIT_SECRETS_DEBUG")


if __name__ == "__main__":
    main()
