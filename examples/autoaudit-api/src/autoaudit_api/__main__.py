"""``python -m autoaudit_api --host H --port P``: validate configuration, then serve.

Configuration is loaded and validated before the port is bound: a missing or invalid variable
stops start-up with the library's error (variables named, no values) and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from autoaudit_secrets import AutoauditSecretsError, install_redaction

from .settings import ApiSettings

log = logging.getLogger("autoaudit_api")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autoaudit-api", description="Serve the AutoAudit API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--env-file", action="append", default=None, help="read this .env file (repeatable)")
    args = parser.parse_args(argv)

    try:
        settings = ApiSettings.load(env_file=args.env_file) if args.env_file else ApiSettings.load()
    except AutoauditSecretsError as exc:
        print(f"autoaudit-api: configuration error: {exc}", file=sys.stderr)
        return 2

    # Every record of the process is masked when it is created, uvicorn's loggers (which do not propagate)
    # and handlers configured later included: one call, before logging is configured, is enough.
    install_redaction(settings)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("configuration loaded for %s (%d settings)", settings.app_env, len(type(settings).model_fields))

    import uvicorn

    from .app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
