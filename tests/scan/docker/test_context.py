"""The build-context check on real trees (and real git repositories): what COPY/ADD would put in an image."""

from __future__ import annotations

import base64
import os
import secrets
import string
from collections.abc import Callable
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from autoaudit_secrets.scan._model import AnalysisContext, Finding, Severity
from autoaudit_secrets.scan.analyzers.docker._context import BuildContextAnalyzer, discover_builds, files_sent
from autoaudit_secrets.scan.analyzers.docker._dockerignore import DockerIgnore
from tests.conftest import assert_no_leak, git, random_chars

HUMAN_PW = "Tr0ub4dor-Horse-91"


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def _run(root: Path, make_ctx: Callable[[Path], AnalysisContext]) -> list[Finding]:
    return list(BuildContextAnalyzer().analyze_tree(root, make_ctx(root)))


def _got(findings: list[Finding]) -> set[tuple[str, str, str | None]]:
    return {(f.rule_id, f.path, f.related) for f in findings}


def test_gitignored_env_copied_because_dockerignore_forgot_it(
    git_repo: Path, make_ctx: Callable[[Path], AnalysisContext], tokens: object
) -> None:
    stripe = tokens.stripe  # type: ignore[attr-defined]
    _write(
        git_repo,
        {
            ".gitignore": ".env\n",
            ".dockerignore": ".git\n**/__pycache__\n",
            "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nUSER 10001\n",
            ".env": f"APP_ENV=production\nJWT_SECRET={HUMAN_PW}\nSTRIPE_API_KEY={stripe}\n",
            "app.py": "print('hi')\n",
        },
    )
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-q", "-m", "init")
    # git really ignores it: a plain scan of committed files never sees it.
    assert git(git_repo, "check-ignore", ".env").strip() == ".env"
    assert ".env" not in git(git_repo, "ls-files").split()

    findings = _run(git_repo, make_ctx)
    assert _got(findings) == {("docker-context-secret-file", ".env", "Dockerfile:3")}
    (finding,) = findings
    assert finding.severity is Severity.ERROR
    assert finding.line == 2  # the first secret-named assignment
    assert "Dockerfile:3" in finding.message and "COPY" in finding.message
    assert_no_leak(f"{finding.message} {finding.preview} {finding!r}", [HUMAN_PW, stripe])

    # The fix: .dockerignore names it → nothing is reported.
    (git_repo / ".dockerignore").write_text(".git\n**/__pycache__\n.env\n")
    assert _run(git_repo, make_ctx) == []


def test_env_without_secret_values_is_not_reported(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(tmp_path, {"Dockerfile": "FROM a\nCOPY . .\n", ".env": "APP_ENV=dev\nDEBUG=1\nDB_PASSWORD=\n"})
    assert _run(tmp_path, make_ctx) == []


def test_copy_subfolder_resolves_against_context(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": "FROM a\nCOPY src/ ./src/\nCOPY pyproject.toml ./\n",
            "src/app/.env": f"SECRET_KEY={HUMAN_PW}\n",
            ".env": f"SECRET_KEY={HUMAN_PW}\n",  # not under src/: not copied
            "src/app/main.py": "x = 1\n",
            "pyproject.toml": "[project]\nname='x'\n",
        },
    )
    assert _got(_run(tmp_path, make_ctx)) == {("docker-context-secret-file", "src/app/.env", "Dockerfile:2")}


def test_sensitive_files_and_secret_content(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext], tokens: object
) -> None:
    aws_id, aws_secret = tokens.aws_key_id, tokens.aws_secret  # type: ignore[attr-defined]
    github = tokens.github  # type: ignore[attr-defined]
    _write(
        tmp_path,
        {
            "Dockerfile": "FROM a\nCOPY . /srv\n",
            "deploy/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
            "deploy/id_ed25519.pub": "ssh-ed25519 AAAAC3Nza deploy@ci\n",
            "home/.aws/credentials": f"[default]\naws_access_key_id = {aws_id}\n"
            f"aws_secret_access_key = {aws_secret}\n",
            "config/settings.json": f'{{"integrations": {{"gh": "{github}"}}}}\n',
            "docs/readme.md": "nothing here\n",
            ".git/config": f'[remote "origin"]\n\turl = https://ci:{HUMAN_PW}@git.corp.internal/x.git\n',
            ".git/objects/ab/cdef": "binary-ish object data\n",
        },
    )
    got = _got(_run(tmp_path, make_ctx))
    assert got == {
        ("docker-context-secret-file", "deploy/id_ed25519", "Dockerfile:2"),
        ("docker-context-secret-file", "home/.aws/credentials", "Dockerfile:2"),
        ("docker-context-file-with-secret", "config/settings.json", "Dockerfile:2"),
        ("docker-context-file-with-secret", ".git/config", "Dockerfile:2"),
    }


def test_copy_from_stage_and_heredoc_copy_nothing_from_context(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": "FROM a AS build\nRUN make\nFROM b\nCOPY --from=build . /app\n"
            "COPY <<EOF /x\nhi\nEOF\n",
            ".env": f"SECRET_KEY={HUMAN_PW}\n",
        },
    )
    assert _run(tmp_path, make_ctx) == []


def test_per_dockerfile_ignore_and_explicit_copy_left_to_dockerfile_check(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "app.Dockerfile": "FROM a\nCOPY . .\n",
            "app.Dockerfile.dockerignore": ".env\n",
            ".dockerignore": "*.md\n",  # overridden by the Dockerfile's own ignore file for app.Dockerfile
            "worker.Dockerfile": "FROM a\nCOPY .env ./\n",  # named explicitly: docker-copy-secret-file's job
            ".env": f"SECRET_KEY={HUMAN_PW}\n",
        },
    )
    assert _run(tmp_path, make_ctx) == []
    (tmp_path / "app.Dockerfile.dockerignore").write_text("*.md\n")
    assert _got(_run(tmp_path, make_ctx)) == {("docker-context-secret-file", ".env", "app.Dockerfile:2")}


def test_compose_names_a_context_beyond_the_dockerfile_folder(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  api:\n    build:\n      context: .\n      dockerfile: docker/api.Dockerfile\n"
                "  web:\n    build: ./web\n  remote:\n    build: https://github.com/org/repo.git\n"
            ),
            "docker/api.Dockerfile": "FROM a\nCOPY . /app\n",
            ".env": f"JWT_SECRET={HUMAN_PW}\n",
            "web/Dockerfile": "FROM nginx\nCOPY . /usr/share/nginx/html\n",
            "web/.htpasswd": "admin:$apr1$abc$defghijklmnop\n",
        },
    )
    builds = discover_builds(tmp_path)
    pairs = {
        (b.dockerfile.relative_to(tmp_path).as_posix(), b.context.relative_to(tmp_path).as_posix(), b.origin)
        for b in builds
    }
    assert pairs == {
        ("docker/api.Dockerfile", "docker", "dockerfile"),
        ("web/Dockerfile", "web", "dockerfile"),
        ("docker/api.Dockerfile", ".", "compose.yaml"),
    }
    assert _got(_run(tmp_path, make_ctx)) == {
        ("docker-context-secret-file", ".env", "docker/api.Dockerfile:2"),
        ("docker-context-secret-file", "web/.htpasswd", "web/Dockerfile:2"),
    }


def test_compose_inline_dockerfile(tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]) -> None:
    _write(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  job:\n    build:\n      context: .\n"
            "      dockerfile_inline: |\n        FROM alpine\n        COPY . /job\n",
            ".pgpass": "db:5432:app:app:" + HUMAN_PW + "\n",
        },
    )
    assert _got(_run(tmp_path, make_ctx)) == {
        ("docker-context-secret-file", ".pgpass", "docker-compose.yml:2")
    }


def test_symlinks_are_not_followed(tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]) -> None:
    outside = tmp_path / "outside"
    _write(outside, {".env": f"SECRET_KEY={HUMAN_PW}\n", "id_rsa": "-----BEGIN RSA PRIVATE KEY-----\n"})
    root = tmp_path / "root"
    _write(root, {"Dockerfile": "FROM a\nCOPY . .\n"})
    os.symlink(outside / ".env", root / ".env")
    os.symlink(outside, root / "linked")
    assert _run(root, make_ctx) == []


def test_files_sent_prunes_and_reincludes(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "node_modules/a/index.js": "",
            "src/main.py": "",
            "src/.env": "",
            ".env": "",
            "config/app.yaml": "",
            "config/db.yaml": "",
        },
    )
    sent = files_sent(tmp_path, DockerIgnore.from_text("node_modules\n.env\nconfig\n!config/app.yaml\n"))
    assert sent == ["config/app.yaml", "src/.env", "src/main.py"]


def test_allow_comment_above_copy(tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": "FROM a\n# check-secrets: allow — test image, fake credentials only\nCOPY . .\n",
            ".env": f"SECRET_KEY={HUMAN_PW}\n",
        },
    )
    assert _run(tmp_path, make_ctx) == []
    (tmp_path / "Dockerfile").write_text("FROM a\n# copies everything\nCOPY . .\n")
    assert _got(_run(tmp_path, make_ctx)) == {("docker-context-secret-file", ".env", "Dockerfile:3")}


def test_copy_exclude_flag_and_builder_stage_message(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": (
                "# syntax=docker/dockerfile:1.7-labs\nFROM a AS build\n"
                "COPY --exclude=**/.env --exclude=*.pem . /src\n"
                "COPY . /all\nFROM b\nCOPY --from=build /src /app\n"
            ),
            "conf/.env": f"SECRET_KEY={HUMAN_PW}\n",
            "tls.pem": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        },
    )
    findings = _run(tmp_path, make_ctx)
    # Line 3 excludes both; line 4 copies both — in a builder stage, which the message says.
    assert _got(findings) == {
        ("docker-context-secret-file", "conf/.env", "Dockerfile:4"),
        ("docker-context-secret-file", "tls.pem", "Dockerfile:4"),
    }
    assert all("build stage build" in f.message for f in findings)


def test_secret_folder_named_in_copy_is_reported_once_by_the_dockerfile_check(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": "FROM a\nCOPY .ssh /root/.ssh\nCOPY conf /etc/app\n",
            ".ssh/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
            "conf/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH "
            "PRIVATE KEY-----\n",
        },
    )
    assert _got(_run(tmp_path, make_ctx)) == {
        ("docker-context-secret-file", "conf/id_ed25519", "Dockerfile:3")
    }


def test_github_workflow_builds(tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]) -> None:
    _write(
        tmp_path,
        {
            ".github/workflows/image.yml": (
                "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n"
                "      - uses: docker/build-push-action@v6\n"
                "        with:\n          context: .\n          file: docker/api.Dockerfile\n"
                "      - uses: docker/build-push-action@v6\n"  # default Git context: committed files only
                "        with:\n          file: docker/git.Dockerfile\n"
                "      - run: |\n"
                "          docker build --build-arg V=1 -t worker \\\n"
                "            -f docker/worker.Dockerfile .\n"
                "          docker build -t x ${{ github.workspace }}/y\n"
            ),
            "docker/api.Dockerfile": "FROM a\nCOPY . /app\n",
            "docker/git.Dockerfile": "FROM a\nCOPY . /git\n",
            "docker/worker.Dockerfile": "FROM a\nRUN true\nCOPY . /w\n",
            ".env": f"SECRET_KEY={HUMAN_PW}\n",
        },
    )
    builds = {
        (b.dockerfile.relative_to(tmp_path).as_posix(), b.context.relative_to(tmp_path).as_posix(), b.origin)
        for b in discover_builds(tmp_path)
        if b.origin != "dockerfile"
    }
    assert builds == {
        ("docker/api.Dockerfile", ".", ".github/workflows/image.yml"),
        ("docker/worker.Dockerfile", ".", ".github/workflows/image.yml"),
    }
    assert _got(_run(tmp_path, make_ctx)) == {
        ("docker-context-secret-file", ".env", "docker/api.Dockerfile:2")
    }


def test_final_stage_copy_is_the_one_named(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    _write(
        tmp_path,
        {
            "Dockerfile": (
                "FROM a AS build\nCOPY . /src\nRUN make\nFROM b\nCOPY --from=build /out /out\nCOPY . /app\n"
            ),
            ".env": f"SECRET_KEY={HUMAN_PW}\n",
        },
    )
    (finding,) = _run(tmp_path, make_ctx)
    assert (finding.path, finding.related) == (".env", "Dockerfile:6")
    assert "build stage" not in finding.message


def _argon2_hash() -> str:
    """A PHC-format Argon2id hash of a random password (salt and digest drawn here, unpadded base64)."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode().rstrip("=")

    return f"$argon2id$v=19$m=65536,t=3,p=4${b64(secrets.token_bytes(16))}${b64(secrets.token_bytes(32))}"


def test_source_files_sent_are_judged_as_source_code_and_by_what_they_hold(tmp_path: Path) -> None:
    """A FastAPI service's source copied into its image (the shape of the full-stack FastAPI template):

    - ``jwt.decode(token, settings.SECRET_KEY, algorithms=[...])`` is code, not a ``NAME=value`` line of a
      configuration: a whole file of the context is judged as the file scan judges it, by its own path (it
      was judged as a configuration's value, and reported as a secret copied into the image);
    - a file whose only secret is a password hash (a warning where it is) is a warning, not an error; one
      holding a key is an error."""
    hashed = _argon2_hash()
    stripe = "sk_" + "live_" + random_chars(string.ascii_letters + string.digits, 24)
    decode = (
        "    return jwt.decode(\n        token, settings.SECRET_KEY, algorithms=[security.ALGORITHM]\n    )\n"
    )
    _write(
        tmp_path,
        {
            "backend/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY ./app /app/app\nUSER 10001\n",
            "backend/app/utils.py": f"import jwt\n\n\ndef verify(token):\n{decode}",
            "backend/app/crud.py": f'ADMIN_HASH = "{hashed}"\n',
            "backend/app/billing.py": f'STRIPE_KEY = "{stripe}"\n',
        },
    )
    result = Scanner(ScanConfig()).scan(ScanOptions(root=tmp_path))
    context = {
        (f.path, f.severity.value) for f in result.findings if f.rule_id == "docker-context-file-with-secret"
    }
    assert context == {("backend/app/crud.py", "warning"), ("backend/app/billing.py", "error")}
    assert not [f for f in result.findings if f.path == "backend/app/utils.py"]
    assert_no_leak(" ".join(f"{f.message} {f.preview} {f!r}" for f in result.findings), [hashed, stripe])
