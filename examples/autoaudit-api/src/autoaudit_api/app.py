"""The FastAPI application: /health and /config."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import SecretStr

from . import __version__
from .settings import ApiSettings

MASK = "**********"


def public_config(settings: ApiSettings) -> dict[str, Any]:
    """Every setting, with secret values replaced by a fixed mask (unset optional secrets stay ``None``)."""
    shown: dict[str, Any] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        shown[name] = MASK if isinstance(value, SecretStr) else value
    return shown


def create_app(settings: ApiSettings) -> FastAPI:
    """Build the application around already-validated settings."""
    app = FastAPI(title="autoaudit-api", version=__version__)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/config")
    def config() -> dict[str, Any]:
        return public_config(settings)

    return app
