"""Fixtures for the image source: real images built offline with buildah (``FROM scratch`` plus a static
busybox), exported as ``docker-archive``, ``oci-archive`` and OCI layout folders.

Builds are session-scoped and share one ``--layers`` cache in a temporary storage root (vfs driver, chroot
isolation: no daemon, no network, root only). Without buildah or busybox-static the tests skip — except when
``CI`` is set, where ``.ci/run`` installs both: then they fail.
"""

from __future__ import annotations

import os
import random
import shutil
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_ALNUM = string.ascii_letters + string.digits


def _random(seed: int, alphabet: str, length: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class Leaks:
    """The secret values planted in the leaky image (generated at run time, never literals in the source)."""

    build_arg: str  # passed with --build-arg DEPLOY_TOKEN=...
    run_token: str  # written by RUN echo ... > /app/credentials
    env_secret: str  # ENV JWT_SECRET=...
    label_webhook: str  # LABEL com.example.alerts=<slack webhook>
    dotenv_stripe: str  # in app/.env, swept in by COPY app/ /app/
    npm_token: str  # the mounted build secret's content, copied into /app/.npmrc
    clean_secret: str  # the clean image's build secret (mounted, never persisted)
    ssh_key: str  # id_ed25519, copied then deleted

    def all(self) -> list[str]:
        return [
            self.build_arg,
            self.run_token,
            self.env_secret,
            self.label_webhook,
            self.dotenv_stripe,
            self.npm_token,
            self.clean_secret,
            self.ssh_key,
        ]


def _ssh_key() -> str:
    body = _random(20, _ALNUM + "+/", 400)
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n"
    )


LEAKS = Leaks(
    build_arg="ghp_" + _random(11, _ALNUM, 36),
    run_token="ghp_" + _random(12, _ALNUM, 36),
    env_secret=_random(13, _ALNUM, 40),
    label_webhook="https://hooks.slack.com/services/T"
    + _random(14, string.ascii_uppercase + string.digits, 8)
    + "/B"
    + _random(15, string.ascii_uppercase + string.digits, 8)
    + "/"
    + _random(16, _ALNUM, 24),
    dotenv_stripe="sk_live_" + _random(17, _ALNUM, 24),
    npm_token="npm_" + _random(18, _ALNUM, 36),
    clean_secret="npm_" + _random(19, _ALNUM, 36),
    ssh_key=_ssh_key(),
)

_BASE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
"""

LEAKY_DOCKERFILE = (
    _BASE
    + f"""\
ARG DEPLOY_TOKEN
RUN mkdir -p /app /root/.ssh
COPY id_ed25519 /root/.ssh/id_ed25519
RUN rm /root/.ssh/id_ed25519
RUN echo "{LEAKS.run_token}" > /app/credentials
RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc > /app/.npmrc
COPY app/ /app/
LABEL com.example.alerts="{LEAKS.label_webhook}"
ENV JWT_SECRET="{LEAKS.env_secret}"
CMD ["/bin/sh"]
"""
)

CLEAN_DOCKERFILE = (
    _BASE
    + """\
ARG VERSION=1.2.3
ENV PORT=8000 DB_PASSWORD_FILE=/run/secrets/db_password JWT_SECRET_FILE=/run/secrets/jwt
RUN --mount=type=secret,id=npmrc wc -c /run/secrets/npmrc > /dev/null && echo "$VERSION" > /version
LABEL org.opencontainers.image.title="clean"
CMD ["/bin/sh"]
"""
)


@dataclass(frozen=True)
class BuiltImages:
    """Exports of the two test images: ``leaky`` (every leak class) and ``clean`` (secrets used correctly)."""

    leaky_docker: Path  # docker-archive tar
    leaky_oci_archive: Path  # oci-archive tar
    leaky_zstd: Path  # oci-archive tar whose layers are zstd-compressed (BuildKit's compression=zstd)
    leaky_oci_dir: Path  # OCI layout folder
    clean_docker: Path
    multi_platform: Path  # oci-archive of an index with linux/amd64 and linux/arm64
    both_oci_dir: Path  # one OCI layout folder holding leaky and clean (they share the busybox layers)


class Buildah:
    """buildah with a private storage root (vfs, chroot isolation): nothing touches the machine's images."""

    def __init__(self, root: Path) -> None:
        self.base = [
            "buildah",
            "--root",
            str(root / "storage"),
            "--runroot",
            str(root / "run"),
            "--storage-driver",
            "vfs",
        ]
        self.env = {**os.environ, "BUILDAH_ISOLATION": "chroot", "TMPDIR": str(root / "tmp")}
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def __call__(self, *args: str, cwd: Path | None = None) -> str:
        proc = subprocess.run(
            [*self.base, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"buildah {args[0]} failed: {proc.stderr.strip()[-2000:]}")
        return proc.stdout.strip()


def _unavailable(reason: str) -> None:
    # In CI .ci/run installs buildah and busybox-static, so their absence is a failure, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail(f"image tests need buildah and busybox-static in CI: {reason}", pytrace=False)
    pytest.skip(f"cannot build images: {reason}")


def _busybox() -> Path | None:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        path = Path(candidate)
        if path.is_file():
            with path.open("rb") as handle:
                head = handle.read(4096)
            if head.startswith(b"\x7fELF") and b"ld-linux" not in head:  # static: no program interpreter
                return path
    return None


def _context(ctx: Path, busybox: Path) -> None:
    ctx.mkdir(parents=True)
    shutil.copy2(busybox, ctx / "busybox")
    (ctx / "id_ed25519").write_text(LEAKS.ssh_key)
    (ctx / "app").mkdir()
    (ctx / "app" / ".env").write_text(f"STRIPE_SECRET_KEY={LEAKS.dotenv_stripe}\nPORT=8000\n")
    (ctx / "app" / "main.py").write_text("print('hello')\n")
    (ctx / "npmrc").write_text(f"//registry.npmjs.org/:_authToken={LEAKS.npm_token}\n")
    (ctx / "clean-npmrc").write_text(f"//registry.npmjs.org/:_authToken={LEAKS.clean_secret}\n")
    (ctx / "Dockerfile.leaky").write_text(LEAKY_DOCKERFILE)
    (ctx / "Dockerfile.clean").write_text(CLEAN_DOCKERFILE)
    (ctx / ".dockerignore").write_text("Dockerfile.*\nnpmrc\nclean-npmrc\n")


@pytest.fixture(scope="session")
def built_images(tmp_path_factory: pytest.TempPathFactory) -> BuiltImages:
    """Build the leaky and clean images once per session and export them (some seconds)."""
    return build_test_images(tmp_path_factory)


def build_test_images(tmp_path_factory: pytest.TempPathFactory) -> BuiltImages:
    """The test images, built on first use in the session's base temporary folder and reused after (the CLI
    tests share them). Under pytest-xdist the workers of a run share one build: it is made in the folder
    above the workers' own, by whichever worker takes the lock first."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by its workers
    with open(base / "images.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        return _build_test_images(base / "images")


def _build_test_images(work: Path) -> BuiltImages:
    out = work / "out"
    images = BuiltImages(
        leaky_docker=out / "leaky-docker.tar",
        leaky_oci_archive=out / "leaky-oci.tar",
        leaky_zstd=out / "leaky-zstd.tar",
        leaky_oci_dir=out / "leaky-oci",
        clean_docker=out / "clean-docker.tar",
        multi_platform=out / "multi.tar",
        both_oci_dir=out / "both",
    )
    done = work / "done"
    if done.exists():
        return images
    if shutil.which("buildah") is None:
        _unavailable("buildah is not installed (apt-get install buildah)")
    busybox = _busybox()
    if busybox is None:
        _unavailable("no static busybox (apt-get install busybox-static)")
    assert busybox is not None
    if os.geteuid() != 0:
        _unavailable("buildah with chroot isolation and vfs storage needs root here")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    buildah = Buildah(work / "buildah")
    ctx = work / "ctx"
    _context(ctx, busybox)
    common = ["bud", "--layers", "--isolation", "chroot", "--platform", "linux/amd64", "-q"]
    buildah(
        *common,
        "-f",
        "Dockerfile.leaky",
        "--build-arg",
        f"DEPLOY_TOKEN={LEAKS.build_arg}",
        "--secret",
        f"id=npmrc,src={ctx / 'npmrc'}",
        "-t",
        "leaky",
        ".",
        cwd=ctx,
    )
    buildah(
        *common,
        "-f",
        "Dockerfile.clean",
        "--secret",
        f"id=npmrc,src={ctx / 'clean-npmrc'}",
        "-t",
        "clean",
        ".",
        cwd=ctx,
    )
    out.mkdir()
    buildah("push", "-q", "leaky", f"docker-archive:{images.leaky_docker}")
    buildah("push", "-q", "leaky", f"oci-archive:{images.leaky_oci_archive}")
    buildah("push", "-q", "--compression-format", "zstd", "leaky", f"oci-archive:{images.leaky_zstd}")
    buildah("push", "-q", "leaky", f"oci:{images.leaky_oci_dir}")
    buildah("push", "-q", "clean", f"docker-archive:{images.clean_docker}")
    buildah("push", "-q", "leaky", f"oci:{images.both_oci_dir}:leaky")
    buildah("push", "-q", "clean", f"oci:{images.both_oci_dir}:clean")
    # A two-platform index: FROM scratch with one copied file per architecture (nothing runs, so no emulator).
    for arch in ("amd64", "arm64"):
        container = buildah("from", "--arch", arch, "scratch")
        buildah("config", "--arch", arch, "--os", "linux", container)
        (ctx / f"{arch}.env").write_text(f"GITHUB_TOKEN={LEAKS.run_token}\n" if arch == "arm64" else "A=1\n")
        buildah("copy", container, str(ctx / f"{arch}.env"), "/etc/app.env")
        buildah("copy", container, str(ctx / "app" / "main.py"), "/app/main.py")
        buildah("commit", "-q", container, f"multi-{arch}")
        buildah("rm", container)
    buildah("manifest", "create", "multi")
    for arch in ("amd64", "arm64"):
        buildah("manifest", "add", "multi", f"multi-{arch}")
    buildah("manifest", "push", "-q", "--all", "multi", f"oci-archive:{images.multi_platform}")
    done.write_text("built\n")
    return images
