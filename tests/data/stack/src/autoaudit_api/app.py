"""A minimal FastAPI app; its secrets come from *_FILE variables pointing at Docker secrets."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

app = FastAPI(title="autoaudit-api")


def read_secret(name: str) -> str:
    """The secret named by ``<name>_FILE`` (a mounted Docker secret), or ``<name>`` for local runs."""
    path = os.environ.get(f"{name}_FILE")
    return Path(path).read_text().strip() if path else os.environ.get(name, "")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
