"""Benchmark: import time of ``autoaudit_secrets``; ``load()`` of a 20-field schema from a 200-line ``.env``.

Run: ``.venv/bin/python benchmarks/bench_settings.py [--runs N] [--json]``. Targets: import <= 150 ms,
load <= 5 ms (medians). Exit status 1 when a target is missed, so CI can run it as a check if it wants to.

Import time is measured in fresh interpreters, timed inside the child around the import statement (so
interpreter start-up is excluded), as wall-clock and CPU medians. ``-X importtime`` gives the breakdown
with ``--importtime``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORT_TARGET_MS = 150.0
LOAD_TARGET_MS = 5.0


_PROBE = (
    "import time\n"
    "w, c = time.perf_counter(), time.process_time()\n"
    "import {module}\n"
    "print(time.perf_counter() - w, time.process_time() - c)\n"
)


def bench_import(runs: int, module: str) -> dict[str, float]:
    """Median time of ``import module`` in fresh interpreters, timed inside the child (interpreter start-up
    excluded): wall clock and CPU time (CPU time is steadier on a busy machine)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = _PROBE.format(module=module)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)  # warm .pyc files
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
        )
        w, c = (float(x) * 1000 for x in out.stdout.split())
        wall.append(w)
        cpu.append(c)
    return {"import_ms": statistics.median(wall), "import_cpu_ms": statistics.median(cpu)}


def importtime_top(module: str, top: int = 8) -> list[tuple[int, str]]:
    """The slowest imports (cumulative microseconds) from ``-X importtime``."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def _schema() -> type:
    from pydantic import BaseModel, Field, SecretStr

    from autoaudit_secrets.settings import SecretSettings

    class Database(BaseModel):
        host: str = "localhost"
        port: int = 5432
        user: str = "app"
        password: SecretStr

    class BenchSettings(SecretSettings):
        jwt_secret: SecretStr = Field(min_length=12)
        api_token: SecretStr
        webhook_secret: SecretStr
        smtp_password: SecretStr
        port: int = 8000
        workers: int = 4
        debug: bool = False
        log_level: str = "info"
        base_url: str = "http://localhost"
        allowed_hosts: list[str] = Field(default_factory=list)
        timeout_s: float = 30.0
        region: str = "eu-west-1"
        bucket: str = "uploads"
        cache_ttl: int = 300
        feature_x: bool = False
        feature_y: bool = True
        max_upload_mb: int = 10
        sentry_dsn: str = ""
        tz: str = "UTC"
        db: Database

    return BenchSettings


def _dotenv_text() -> str:
    lines = [
        "# benchmark .env: 200 lines, 20 of them for the schema, the rest unrelated or comments",
        "export JWT_SECRET='bench-jwt-secret-value-000'",  # check-secrets: allow (benchmark data)
        'API_TOKEN="tok_${REGION}_0123456789"',
        "WEBHOOK_SECRET=whsec_0123456789abcdef # inline comment",
        "SMTP_PASSWORD='p@ss${HOME}w#rd-$1'",
        "PORT=8080",
        "WORKERS=8",
        "DEBUG=false",
        "LOG_LEVEL=debug",
        "BASE_URL=https://api.example.test",
        'ALLOWED_HOSTS=["a.example.test","b.example.test"]',
        "TIMEOUT_S=12.5",
        "REGION=eu-central-1",
        "BUCKET=bench-bucket",
        "CACHE_TTL=60",
        "FEATURE_X=true",
        "FEATURE_Y=false",
        "MAX_UPLOAD_MB=50",
        'SENTRY_DSN="https://key@sentry.example.test/1"',
        "DB__HOST=db.internal",
        "DB__PASSWORD='bench-db-password'",  # check-secrets: allow (benchmark data)
    ]
    index = 0
    while len(lines) < 200:
        if index % 5 == 0:
            lines.append(f"# section {index}")
        elif index % 7 == 0:
            lines.append(f'OTHER_MULTI_{index}="line one\nline two"')
        elif index % 10 == 1:
            lines.append(f"OTHER_VAR_{index}=value-{index}-${{REGION}}")
        elif index % 3 == 0:
            lines.append(f"export OTHER_QUOTED_{index}='single {index}' # note")
        else:
            lines.append(f"OTHER_VAR_{index}=value-{index}")
        index += 1
    return "\n".join(lines[:200]) + "\n"


def bench_load(runs: int) -> dict[str, float]:
    schema = _schema()
    with tempfile.TemporaryDirectory() as tmp:
        env_file = Path(tmp) / ".env"
        env_file.write_text(_dotenv_text(), encoding="utf-8")
        assert env_file.read_text(encoding="utf-8").count("\n") >= 200
        environ = dict(os.environ)
        for name in ("CI", "GITHUB_ACTIONS"):
            environ.pop(name, None)
        settings = schema.load(env_file=env_file, environ=environ, secrets_dir=None)  # type: ignore[attr-defined]
        assert settings.port == 8080 and settings.db.host == "db.internal"
        for _ in range(20):  # warm-up
            schema.load(env_file=env_file, environ=environ, secrets_dir=None)  # type: ignore[attr-defined]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            schema.load(env_file=env_file, environ=environ, secrets_dir=None)  # type: ignore[attr-defined]
            times.append((time.perf_counter() - start) * 1000)
    return {"load_median_ms": statistics.median(times), "load_p90_ms": sorted(times)[int(len(times) * 0.9)]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import measurement")
    parser.add_argument("--load-runs", type=int, default=300, help="load() calls timed")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--importtime", action="store_true", help="also show the slowest imports")
    args = parser.parse_args()

    figures: dict[str, float] = {}
    for module in ("autoaudit_secrets", "autoaudit_secrets.settings"):
        result = bench_import(args.runs, module)
        figures[f"import {module} (ms)"] = round(result["import_ms"], 1)
        figures[f"import {module} (CPU ms)"] = round(result["import_cpu_ms"], 1)
    load = bench_load(args.load_runs)
    figures["load() median (ms)"] = round(load["load_median_ms"], 3)
    figures["load() p90 (ms)"] = round(load["load_p90_ms"], 3)

    ok = (
        figures["import autoaudit_secrets (ms)"] <= IMPORT_TARGET_MS
        and load["load_median_ms"] <= LOAD_TARGET_MS
    )
    if args.json:
        print(json.dumps({**figures, "ok": ok}, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:42} {value:>9}")
        verdict = "OK" if ok else "MISSED"
        print(f"targets: import <= {IMPORT_TARGET_MS} ms, load <= {LOAD_TARGET_MS} ms -> {verdict}")
    if args.importtime:
        for cumulative, name in importtime_top("autoaudit_secrets.settings"):
            print(f"  {cumulative / 1000:8.1f} ms  {name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
