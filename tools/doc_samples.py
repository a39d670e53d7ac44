"""The command outputs shown in README.md and docs/: produced by running the commands, never typed by hand.

A sample in a Markdown file is a ``console`` block right after a marker line::

    <!-- sample: readme-scan -->
    ```console
    $ check-secrets scan examples/leaky-autoaudit-api
    ...what the command printed...
    ```

Each sample name is a scenario below: it lays out files in a fresh temporary folder (copies of the bundled
examples, or small files with values generated on the spot), runs the real console scripts of this
interpreter's environment there, and records ``$ command`` lines with what they printed (stdout and stderr,
as a terminal shows them).

    python tools/doc_samples.py            # rewrite the blocks in place (``make doc-samples``)
    python tools/doc_samples.py --check    # exit 1 and name the blocks that differ from a fresh run

``--check`` compares after masking what changes from run to run (durations, hex ids and digests, generated
values' previews); tests/test_doc_samples.py runs it, so a sample cannot drift from the tool.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOCUMENTS = ("README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md")))
MARKER = re.compile(r"^<!-- sample: ([a-z0-9-]+) -->\n```console\n(.*?)^```\n", re.M | re.S)
SHOWN_HOME = "/home/dev"


class Session:
    """One scenario's folder and the transcript of the commands run in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / ".home"
        self.home.mkdir()
        self.lines: list[str] = []
        self.env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
            "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
        }

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def copy(self, rel: str) -> None:
        shutil.copytree(REPO / rel, self.root / rel)

    def run(
        self, command: str, *, comment: str = "", stdin: str | None = None, show_exit: bool = False
    ) -> int:
        argv = [str(self.home) + a[1:] if a.startswith("~/") else a for a in shlex.split(command)]
        proc = subprocess.run(
            argv,
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        self.lines.append(f"$ {command}" + (f"  # {comment}" if comment else ""))
        output = (proc.stdout + proc.stderr).replace(str(self.home), SHOWN_HOME).replace(f"{self.root}/", "")
        self.lines += output.rstrip("\n").split("\n") if output.strip() else []
        if show_exit:
            self.lines += ["$ echo $?", str(proc.returncode)]
        return proc.returncode

    def transcript(self) -> str:
        return "\n".join(self.lines) + "\n"


def _token(alphabet: str, length: int) -> str:
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


_ALNUM = string.ascii_letters + string.digits


def _service_tree(s: Session, *, findings: int) -> None:
    """A small Python service: a settings module with a live-looking Stripe key at line 12, and more files."""
    s.write(
        "src/settings.py",
        "\n".join(
            [
                '"""Settings of the service."""',
                "",
                "import os",
                "",
                'DATABASE_URL = os.environ["DATABASE_URL"]',
                'REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")',
                "",
                "# Billing",
                'STRIPE_API_VERSION = "2024-06-20"',
                'STRIPE_PUBLISHABLE_KEY = "pk_live_' + _token(_ALNUM, 24) + '"',
                "",
                'STRIPE_KEY = "sk_live_' + _token(_ALNUM, 24) + '"',
                "",
            ]
        ),
    )
    for index in range(1, findings):
        s.write(f"src/legacy/module_{index}.py", f'AUTH_TOKEN = "{_token(_ALNUM, 28)}"\n')
    for index in range(12):
        s.write(f"src/app/part_{index}.py", f"def handler_{index}(request):\n    return {index}\n")
    s.write("README.md", "# service\n")


SCENARIOS: dict[str, Callable[[Session], None]] = {}


def scenario(name: str) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    def register(func: Callable[[Session], None]) -> Callable[[Session], None]:
        SCENARIOS[name] = func
        return func

    return register


@scenario("readme-scan")
def _readme_scan(s: Session) -> None:
    s.copy("examples/leaky-autoaudit-api")
    s.run("check-secrets scan examples/leaky-autoaudit-api")


@scenario("check-secrets-intro")
def _intro(s: Session) -> None:
    _service_tree(s, findings=1)
    s.run("check-secrets scan", show_exit=True)


@scenario("check-secrets-baseline")
def _baseline(s: Session) -> None:
    _service_tree(s, findings=7)
    s.run("check-secrets baseline create --output .check-secrets-baseline.json")
    s.run("check-secrets scan --baseline .check-secrets-baseline.json")


@scenario("check-secrets-baseline-update")
def _baseline_update(s: Session) -> None:
    _service_tree(s, findings=7)
    s.run("check-secrets baseline create --output .check-secrets-baseline.json")
    s.lines.clear()  # (shown in the sample before this one)
    (s.root / "src" / "legacy" / "module_6.py").unlink()  # a secret moved to the secret store
    s.write("tests/fixtures/sample.py", f'"""A fixture."""\n\nSAMPLE_TOKEN = "{_token(_ALNUM, 28)}"\n')
    update = "check-secrets baseline update --baseline .check-secrets-baseline.json"
    s.run(update)
    s.run(f"{update} --accept tests/fixtures/sample.py:3")


@scenario("migrate-detect-secrets")
def _migrate_detect_secrets(s: Session) -> None:
    accepted = [_token(_ALNUM, 24) for _ in range(3)]
    for index, value in enumerate(accepted):
        s.write(f"app/config_{index}.py", f'API_SECRET = "{value}"\n')
    s.write("app/new.py", f'AUTH_TOKEN = "{_token(_ALNUM, 24)}"\n')
    results = {
        f"app/config_{index}.py": [
            {
                "type": "Secret Keyword",
                "filename": f"app/config_{index}.py",
                "hashed_secret": hashlib.sha1(value.encode()).hexdigest(),
                "is_verified": False,
                "line_number": 1,
            }
        ]
        for index, value in enumerate(accepted)
    }
    results["app/removed.py"] = [
        {
            "type": "Base64 High Entropy String",
            "filename": "app/removed.py",
            "hashed_secret": hashlib.sha1(_token(_ALNUM, 30).encode()).hexdigest(),
            "is_verified": False,
            "line_number": 4,
        }
    ]
    baseline = {
        "version": "1.5.0",
        "plugins_used": [{"name": "KeywordDetector"}, {"name": "Base64HighEntropyString", "limit": 4.5}],
        "filters_used": [
            {"path": "detect_secrets.filters.regex.should_exclude_file", "pattern": ["^tests/.*"]},
        ],
        "results": results,
        "generated_at": "2025-01-01T00:00:00Z",
    }
    s.write(".secrets.baseline", json.dumps(baseline, indent=2) + "\n")
    s.run("check-secrets migrate detect-secrets", comment="reads .secrets.baseline")
    s.run("check-secrets scan --baseline .check-secrets-baseline.json", show_exit=True)


@scenario("keys-key-file")
def _key_file(s: Session) -> None:
    s.write(".env", "# settings of the service\nAPP_ENV=development\n")
    s.run("mkdir -p ~/.config/autoaudit")
    s.run("autoaudit-secrets keygen --store file ~/.config/autoaudit/team.key")
    s.env["AUTOAUDIT_PRIVATE_KEY_FILE"] = str(s.home / ".config/autoaudit/team.key")
    s.lines.append("$ export AUTOAUDIT_PRIVATE_KEY_FILE=~/.config/autoaudit/team.key")
    s.run(
        "autoaudit-secrets set DB_PASSWORD",
        comment="needs only the public key, in .env",
        stdin="not-a-real-pw\n",
    )
    s.run("autoaudit-secrets get DB_PASSWORD", comment="opened with the key file")


@scenario("settings-check-sources")
def _settings_check_sources(s: Session) -> None:
    s.write(
        "app_config.py",
        "from pydantic import Field, SecretStr\n"
        "from autoaudit_secrets import SecretSettings\n\n\n"
        "class Settings(SecretSettings):\n"
        "    database_url: SecretStr\n"
        "    jwt_secret: SecretStr = Field(min_length=32)\n"
        "    port: int = 8000\n",
    )
    s.write(
        ".env",
        f"DATABASE_URL=postgresql://app:{_token(_ALNUM, 20)}@db/app\nJWT_SECRET={_token(_ALNUM, 40)}\n",
    )
    s.run("autoaudit-secrets check --schema app_config:Settings")
    s.env["GITHUB_ACTIONS"] = "true"
    s.lines.append("$ export GITHUB_ACTIONS=true")
    s.run("autoaudit-secrets check --schema app_config:Settings", show_exit=True)


@scenario("settings-check-files")
def _settings_check_files(s: Session) -> None:
    s.write(
        "app_config.py",
        "from pydantic import SecretStr\n"
        "from autoaudit_secrets import SecretSettings\n\n\n"
        "class Settings(SecretSettings):\n"
        "    database_password: SecretStr\n"
        "    api_token: SecretStr\n"
        "    jwt_secret: SecretStr\n",
    )
    s.write("run/secrets/api_token", _token(_ALNUM, 32) + "\n")
    s.write("run/secrets/jwt_secret", _token(_ALNUM, 40) + "\n")
    s.write("run/db_password", _token(_ALNUM, 20) + "\n")
    s.write(".env", "DATABASE_PASSWORD_FILE=run/db_password\n")
    s.env["JWT_SECRET"] = _token(_ALNUM, 40)
    s.lines.append("$ export JWT_SECRET=...")
    s.run("cat .env")
    s.run("autoaudit-secrets check --schema app_config:Settings --secrets-dir run/secrets")


@scenario("settings-check-plain")
def _settings_check_plain(s: Session) -> None:
    s.write(
        "app_config.py",
        "from typing import Annotated\n\n"
        "from pydantic import SecretStr\n"
        "from autoaudit_secrets.settings import NotSecret, SecretSettings\n\n\n"
        "class Settings(SecretSettings):\n"
        "    database_url: str\n"
        "    stripe_api_key: str\n"
        "    jwt_secret: SecretStr\n"
        '    demo_password: Annotated[str, NotSecret] = "demo"\n',
    )
    s.write(
        ".env",
        f"DATABASE_URL=postgresql://app:{_token(_ALNUM, 20)}@db/app\nSTRIPE_API_KEY={_token(_ALNUM, 32)}\n"
        f"JWT_SECRET={_token(_ALNUM, 40)}\n",
    )
    s.run("autoaudit-secrets check --schema app_config:Settings")
    s.run("autoaudit-secrets check --strict --schema app_config:Settings", show_exit=True)


def _busybox() -> Path | None:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        path = Path(candidate)
        if path.is_file() and b"ld-linux" not in path.read_bytes()[:4096]:  # static: no program interpreter
            return path
    return None


def can_build_images() -> str | None:
    """Why the image sample cannot be produced here (``None``: it can): it builds an image with buildah."""
    if shutil.which("buildah") is None:
        return "buildah is not installed (apt-get install buildah)"
    if _busybox() is None:
        return "no static busybox (apt-get install busybox-static)"
    if os.geteuid() != 0:
        return "buildah with chroot isolation and vfs storage needs root"
    return None


@scenario("docker-image-scan")
def _image_scan(s: Session) -> None:
    """A service image built offline (FROM scratch plus a static busybox), saved as a docker-archive: a deploy
    token passed as a build argument, and an SSH key copied in and deleted by a later layer."""
    busybox = _busybox()
    if busybox is None or shutil.which("buildah") is None:
        raise SystemExit(f"doc_samples: docker-image-scan: {can_build_images()}")
    ctx = s.root / ".build"
    ctx.mkdir()
    shutil.copy2(busybox, ctx / "busybox")
    body = _token(_ALNUM + "+/", 400)
    (ctx / "id_ed25519").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + "\n".join(body[i : i + 70] for i in range(0, len(body), 70))
        + "\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (ctx / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        "ARG DEPLOY_TOKEN\n"
        "RUN mkdir -p /app /root/.ssh && echo built > /app/VERSION\n"
        "COPY id_ed25519 /root/.ssh/\n"
        "RUN rm /root/.ssh/id_ed25519\n"
        "ENV PORT=8000 JWT_SECRET_FILE=/run/secrets/jwt\n"
        'CMD ["/bin/sh"]\n'
    )
    store = s.root / ".buildah"
    base = [
        "buildah",
        "--root",
        str(store / "storage"),
        "--runroot",
        str(store / "run"),
        "--storage-driver",
        "vfs",
    ]
    env = {**os.environ, "BUILDAH_ISOLATION": "chroot", "TMPDIR": str(ctx)}
    token = "ghp_" + _token(_ALNUM, 36)
    for args in (
        [
            "bud",
            "--layers",
            "--isolation",
            "chroot",
            "-q",
            "--build-arg",
            f"DEPLOY_TOKEN={token}",
            "-t",
            "api",
            ".",
        ],
        ["push", "-q", "api", f"docker-archive:{s.root / 'image.tar'}:autoaudit-api:ci"],
    ):
        subprocess.run([*base, *args], cwd=ctx, env=env, check=True, capture_output=True, timeout=600)
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(ctx, ignore_errors=True)
    s.run("check-secrets image image.tar")


def _git(s: Session, *args: str) -> None:
    """Run git in the session folder, out of the transcript, with a fixed identity and date."""
    who = {"GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev"}
    when = "2025-03-14T09:26:53+00:00"
    env = {
        **s.env,
        **who,
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_SYSTEM": os.devnull,
    }
    subprocess.run(["git", *args], cwd=s.root, env=env, check=True, capture_output=True, timeout=60)


@scenario("ci-config-ref")
def _ci_config_ref(s: Session) -> None:
    """A pull request that adds a token and, in the same commit, an allow-path that would hide it."""
    _git(s, "init", "-q", "-b", "main")
    s.write("src/app.py", "def main():\n    return 0\n")
    s.write(".check-secrets.toml", 'allow-paths = ["tests/fixtures/**"]\n')
    _git(s, "add", "-A")
    _git(s, "commit", "-q", "-m", "base")
    _git(s, "checkout", "-q", "-b", "feature")
    s.write("deploy/release.sh", f"export GITHUB_TOKEN=ghp_{_token(_ALNUM, 36)}\n")
    s.write(".check-secrets.toml", 'allow-paths = ["tests/fixtures/**", "deploy/**"]\n')
    _git(s, "add", "-A")
    _git(s, "commit", "-q", "-m", "release script")
    s.run("git diff --stat main")
    s.run("check-secrets git --since main", show_exit=True)


# ---------------------------------------------------------------------------------------------- machinery


@contextmanager
def _session() -> Iterator[Session]:
    with tempfile.TemporaryDirectory(prefix="doc-sample-") as tmp:
        yield Session(Path(tmp))


def produce(name: str) -> str:
    """The transcript of scenario ``name``, run now."""
    with _session() as s:
        SCENARIOS[name](s)
        return s.transcript()


_MASKS = [
    (re.compile(r"\b\d+(?:\.\d+)? s\b"), "<seconds> s"),
    (re.compile(r"\b[0-9a-f]{8,}\b"), "<hex>"),
    (re.compile(r"(?<=sha256:)[0-9a-f]+"), "<digest>"),
    (re.compile(r"\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{4}"), r"\1_\2_<preview>"),
]


def normalise(text: str) -> str:
    """``text`` with what differs between two runs of the same scenario masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def samples_in(text: str) -> Iterator[re.Match[str]]:
    return MARKER.finditer(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="compare instead of rewriting; exit 1 on a difference"
    )
    parser.add_argument("names", nargs="*", help="only these samples (default: all)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    used: set[str] = set()
    for document in DOCUMENTS:
        path = REPO / document
        text = path.read_text()
        pieces: list[str] = []
        last = 0
        for m in samples_in(text):
            name = m.group(1)
            used.add(name)
            if name not in SCENARIOS:
                problems.append(f"{document}: unknown sample {name!r}")
                continue
            if args.names and name not in args.names:
                continue
            fresh = produce(name)
            if args.check:
                if normalise(fresh) != normalise(m.group(2)):
                    problems.append(f"{document}: sample {name!r} differs from what the commands print now")
                continue
            pieces.append(text[last : m.start(2)] + fresh)
            last = m.end(2)
        if not args.check and pieces:
            path.write_text("".join(pieces) + text[last:])
    unused = sorted(set(SCENARIOS) - used)
    problems += [f"sample {name!r} is shown in no document" for name in unused]
    for problem in problems:
        print(f"doc_samples: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
