"""`make demo`: the whole loop on the bundled example, readable in under a minute.

1. check-secrets on a leaky copy of autoaudit-api: a hardcoded key, a secret ENV, and a gitignored
   .env that the Docker build context would copy into the image.
2. check-secrets on the fixed example: clean.
3. The example's settings loaded from an encrypted .env with only the private key in the environment, printed
   redacted.
4. Where buildah is installed (and we are root): the leaky copy built into an image, saved, and scanned
   with check-secrets image — the .env swept in by the copy and the secret ENV, each with its instruction.

Every secret used here is generated on the spot and fake.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(title: str) -> None:
    print(f"\n{BOLD}== {title}{RESET}", flush=True)


def run(
    *argv: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    show: bool = True,
    expect: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    shown = " ".join(argv)
    print(f"{DIM}$ {shown}{RESET}", flush=True)
    proc = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if show:
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
    print(f"{DIM}(exit {proc.returncode}){RESET}", flush=True)
    if proc.returncode not in expect:
        sys.stdout.write(proc.stdout + proc.stderr)
        raise SystemExit(f"demo: `{shown}` exited {proc.returncode}, expected {expect}")
    return proc


def build_leaky_image(leaky: Path, work: Path) -> Path | None:
    """The leaky copy as an image (FROM scratch, the project copied in, a secret ENV), saved as a
    docker-archive; None when buildah (or root) is missing."""
    if shutil.which("buildah") is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    storage = work / "buildah"
    base = [
        "buildah",
        "--root",
        str(storage / "root"),
        "--runroot",
        str(storage / "run"),
        "--storage-driver",
        "vfs",
    ]
    archive = work / "leaky-image.tar"

    def buildah(*args: str) -> str:
        return subprocess.run([*base, *args], capture_output=True, text=True, check=True).stdout.strip()

    container = buildah("from", "scratch")
    buildah("copy", container, str(leaky), "/app")
    buildah("config", "--add-history", "--env", f"JWT_SECRET={fake(40)}", container)
    buildah("config", "--created-by", "COPY . /app", container)  # the history entry of the committed layer
    buildah("commit", "-q", container, "leaky-autoaudit-api")
    buildah("push", "-q", "leaky-autoaudit-api", f"docker-archive:{archive}")
    return archive


def fake(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="autoaudit-demo-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOAUDIT_")}
    env.pop("CI", None)
    os.environ.clear()
    os.environ.update(env)
    try:
        step("1. check-secrets on a leaky copy of autoaudit-api")
        leaky = work / "leaky-autoaudit-api"
        shutil.copytree(HERE / "leaky-autoaudit-api", leaky)
        (leaky / ".env").write_text(
            "# a developer's local .env: gitignored, but .dockerignore forgot it\n"
            f"DATABASE_URL=postgresql://autoaudit:{fake(20)}@autoaudit-db:5432/autoaudit\n"
            f"JWT_SECRET={fake(40)}\n"
        )
        print("(a gitignored .env with plaintext values was added to the copy)")
        run("check-secrets", "scan", ".", cwd=leaky, expect=(1,))

        step("2. check-secrets on the fixed example")
        run("check-secrets", "scan", str(HERE / "autoaudit-api"), cwd=HERE.parent)

        step("3. Start-up configuration from an encrypted .env")
        app = work / "app"
        app.mkdir()
        shutil.copy(HERE / "autoaudit-api" / ".env.example", app / ".env")
        keygen = run(
            "autoaudit-secrets", "keygen", "--env-file", ".env", "--store", "stdout", cwd=app, show=False
        )
        private_key = keygen.stdout.strip()
        print(
            f"(private key printed by keygen, kept out of this transcript: {len(private_key)} characters;"
            " a developer keeps it in the OS keychain, CI in a secret, a container in /run/secrets)"
        )
        values = {
            "DATABASE_URL": f"postgresql://autoaudit:{fake(24)}@autoaudit-db:5432/autoaudit",
            "REDIS_URL": f"redis://:{fake(24)}@autoaudit-redis:6379/0",
            "JWT_SECRET": fake(48),
            "SESSION_SECRET": fake(48),
            "STRIPE_API_KEY": "sk_test_" + fake(32),
        }
        for name, value in values.items():
            run(
                "autoaudit-secrets",
                "set",
                name,
                "--env-file",
                ".env",
                cwd=app,
                stdin=value + "\n",
                show=False,
            )
        print(f"{DIM}$ grep -E '^(AUTOAUDIT_PUBLIC_KEY|JWT_SECRET)=' .env{RESET}")
        for line in (app / ".env").read_text().splitlines():
            if line.startswith(("AUTOAUDIT_PUBLIC_KEY=", "JWT_SECRET=")):
                print(line if len(line) < 100 else line[:96] + "…")
        key_env = {"AUTOAUDIT_PRIVATE_KEY": private_key}
        run(
            "autoaudit-secrets",
            "check",
            "--schema",
            "autoaudit_api.settings:ApiSettings",
            "--env-file",
            ".env",
            cwd=app,
            env=key_env,
        )

        print(
            f"{DIM}>>> ApiSettings.load(env_file='.env')"
            f"  # with AUTOAUDIT_PRIVATE_KEY in the environment{RESET}"
        )
        from autoaudit_api.app import public_config
        from autoaudit_api.settings import ApiSettings

        settings = ApiSettings.load(env_file=str(app / ".env"), environ=key_env)
        for name, value in public_config(settings).items():
            print(f"  {name:18} {value}")
        leaked = [
            name for name, value in values.items() if value in repr(settings) + str(public_config(settings))
        ]
        if leaked:
            raise SystemExit(f"demo: secret values of {leaked} were shown")
        step("4. check-secrets image on the leaky copy, built into an image")
        archive = build_leaky_image(leaky, work)
        if archive is None:
            print("(skipped: building the image needs buildah and root — apt-get install buildah)")
        else:
            print(
                f"{DIM}$ buildah from scratch; buildah copy … /app; buildah config --env JWT_SECRET=…;"
                f" buildah push … docker-archive:leaky-image.tar{RESET}"
            )
            run("check-secrets", "image", archive.name, cwd=work, expect=(1,))

        print(
            f"\n{BOLD}Done.{RESET} The guard caught the leaks, the fixed service is clean,"
            " and its secrets were loaded from an encrypted .env without ever being shown."
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
