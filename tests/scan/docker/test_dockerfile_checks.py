"""Each Dockerfile check with positive and negative examples; findings must sit on the physical line of the
secret. Secret-shaped values are generated at run time (see conftest) and substituted into the templates."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoaudit_secrets.scan._model import AnalysisContext, Finding, Severity
from autoaudit_secrets.scan.analyzers.docker._dockerfile_checks import DOCKERFILE_CHECKS, DockerfileAnalyzer
from tests.conftest import DATA_DIR, assert_no_leak

HUMAN_PW = "Tr0ub4dor-Horse-91"  # a human password: no token rule knows it, only its name says "secret"


def _values(tokens: object) -> dict[str, str]:
    t = tokens
    return {
        "github": t.github,  # type: ignore[attr-defined]
        "stripe": t.stripe,  # type: ignore[attr-defined]
        "aws_secret": t.aws_secret,  # type: ignore[attr-defined]
        "aws_id": t.aws_key_id,  # type: ignore[attr-defined]
        "pw": HUMAN_PW,
        "b64": base64.b64encode(f"token={t.github}".encode()).decode(),  # type: ignore[attr-defined]
    }


def _analyze(
    root: Path, ctx: AnalysisContext, text: str, files: dict[str, str] | None = None
) -> list[Finding]:
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (root / "Dockerfile").write_text(text)
    analyzer = DockerfileAnalyzer()
    assert analyzer.applies_to("Dockerfile")
    return list(analyzer.analyze("Dockerfile", text, ctx))


def _got(findings: list[Finding]) -> set[tuple[str, int]]:
    return {(f.rule_id, f.line) for f in findings}


# (case id, Dockerfile template, files in the context, expected {(rule id, line)})
POSITIVE: list[tuple[str, str, dict[str, str], set[tuple[str, int]]]] = [
    ("env-by-value", "FROM a\nENV SOME_SETTING={stripe}\n", {}, {("docker-env-secret", 2)}),
    ("env-by-name", "FROM a\nENV DB_PASSWORD={pw}\n", {}, {("docker-env-secret", 2)}),
    ("env-legacy-form", "FROM a\nENV JWT_SECRET {pw}\n", {}, {("docker-env-secret", 2)}),
    (
        "env-continuation-line",
        'FROM a\nENV A=1 \\\n    B=2 \\\n    API_TOKEN="{pw}"\n',
        {},
        {("docker-env-secret", 4)},
    ),
    ("env-base64-value", "FROM a\nENV CONFIG_BLOB={b64}\n", {}, {("docker-env-secret", 2)}),
    (
        "env-default-of-reference",
        "FROM a\nENV SESSION_SECRET=${{SESSION_SECRET:-{pw}}}\n",
        {},
        {("docker-env-secret", 2)},
    ),
    (
        "arg-camelcase-default",
        'FROM a\nARG argBasedPassword="{pw}"\n',
        {},
        {("docker-arg-secret-default", 2)},
    ),
    ("arg-token-default", "ARG NPM_TOKEN={github}\nFROM a\n", {}, {("docker-arg-secret-default", 1)}),
    (
        "label-secret",
        'FROM a\nLABEL org.example.version=1 api.token="{github}"\n',
        {},
        {("docker-label-secret", 2)},
    ),
    ("arg-no-value", "FROM a\nARG NPM_TOKEN\n", {}, {("docker-secret-arg-no-value", 2)}),
    (  # a frontend's browser key, which Vite inlines into the bundle every visitor gets (Prefect's UI)
        "browser-key-arg",
        'FROM node:20 AS ui\nARG VITE_AMPLITUDE_API_KEY=""\n'
        "ENV VITE_AMPLITUDE_API_KEY=$VITE_AMPLITUDE_API_KEY\n",
        {},
        set(),
    ),
    (  # ... but a secret under that prefix would be sent to every visitor too
        "browser-secret-arg",
        "FROM node:20 AS ui\nARG VITE_CLIENT_SECRET\n",
        {},
        {("docker-secret-arg-no-value", 2)},
    ),
    (
        "env-from-arg",
        "FROM a\nARG GITHUB_TOKEN\nENV GITHUB_TOKEN=$GITHUB_TOKEN\n",
        {},
        {("docker-secret-arg-no-value", 2), ("docker-secret-env-from-arg", 3)},
    ),
    (
        "env-from-arg-braces",
        "FROM a\nARG dbPassword\nENV DATABASE_PW=${{dbPassword}}\n",
        {},
        {("docker-secret-arg-no-value", 2), ("docker-secret-env-from-arg", 3)},
    ),
    ("copy-dotenv", "FROM a\nCOPY .env /app/.env\n", {}, {("docker-copy-secret-file", 2)}),
    ("copy-dotenv-production", "FROM a\nCOPY .env.production /app/\n", {}, {("docker-copy-secret-file", 2)}),
    ("copy-ssh-key", "FROM a\nCOPY id_ed25519 /root/.ssh/id_ed25519\n", {}, {("docker-copy-secret-file", 2)}),
    (
        "copy-ssh-folder",
        "FROM a\nCOPY --chown=app .ssh /home/app/.ssh\n",
        {},
        {("docker-copy-secret-file", 2)},
    ),
    (
        "copy-aws-folder-json-form",
        'FROM a\nCOPY [".aws/credentials", "/root/.aws/"]\n',
        {},
        {("docker-copy-secret-file", 2)},
    ),
    (
        "copy-private-key",
        "FROM a\nCOPY tls/server.key /etc/ssl/private/\n",
        {},
        {("docker-copy-secret-file", 2)},
    ),
    (
        "copy-pem-holding-key",
        "FROM a\nCOPY tls/server.pem /etc/ssl/\n",
        {"tls/server.pem": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"},
        {("docker-copy-secret-file", 2)},
    ),
    ("copy-npmrc-absent", "FROM a\nCOPY package.json .npmrc ./\n", {}, {("docker-copy-secret-file", 2)}),
    (
        "copy-npmrc-literal",
        "FROM a\nCOPY package.json .npmrc ./\n",
        {".npmrc": "//registry.npmjs.org/:_authToken={github}\n"},
        {("docker-copy-secret-file", 2)},
    ),
    ("add-netrc", "FROM a\nADD .netrc /root/.netrc\n", {}, {("docker-copy-secret-file", 2)}),
    ("copy-git-credentials", "FROM a\nCOPY .git-credentials /root/\n", {}, {("docker-copy-secret-file", 2)}),
    ("copy-kdbx", "FROM a\nCOPY vault/team.kdbx /data/\n", {}, {("docker-copy-secret-file", 2)}),
    ("copy-bash-history", "FROM a\nCOPY .bash_history /root/\n", {}, {("docker-copy-secret-file", 2)}),
    (
        "copy-credentials-json",
        "FROM a\nCOPY credentials-prod.json /app/\n",
        {},
        {("docker-copy-secret-file", 2)},
    ),
    (
        "copy-glob-hits-key",
        "FROM a\nCOPY keys/* /keys/\n",
        {"keys/deploy.key": "-----BEGIN RSA PRIVATE KEY-----\n"},
        {("docker-copy-secret-file", 2)},
    ),
    (
        "copy-heredoc-npmrc",
        "FROM a\nCOPY <<EOF /root/.npmrc\n//registry.npmjs.org/:_authToken={github}\nEOF\n",
        {},
        {("docker-copy-secret-file", 3)},
    ),
    (
        "run-url-credentials",
        "FROM a\nRUN apk add git \\\n  && git clone https://ci:{pw}@git.example.org/x.git\n",
        {},
        {("docker-run-secret", 3)},
    ),
    (
        "run-auth-header",
        'FROM a\nRUN curl -fsS -H "Authorization: Bearer {pw}" https://api.example.org/x\n',
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-docker-login",
        "FROM a\nRUN docker login -u bot -p {pw} registry.example.org\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-npmrc-token",
        'FROM a\nRUN echo "//registry.npmjs.org/:_authToken={pw}" > /root/.npmrc\n',
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-netrc",
        "FROM a\nRUN printf 'machine git.example.org login bot password {pw}\\n' >> ~/.netrc\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-aws-configure",
        "FROM a\nRUN aws configure set aws_secret_access_key {aws_secret}\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-password-flag",
        "FROM a\nRUN ./install.sh --admin-password={pw} --quiet\n",
        {},
        {("docker-run-secret", 2)},
    ),
    ("run-mysql-p", "FROM a\nRUN mysql -u root -p{pw} -e 'select 1'\n", {}, {("docker-run-secret", 2)}),
    (
        "run-curl-basic-auth",
        "FROM a\nRUN curl -fsS -u deploy:{pw} https://repo.example.org/pkg.tgz -o /tmp/p.tgz\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-openssl-pass",
        "FROM a\nRUN openssl pkcs12 -export -in c.pem -inkey k.pem -out /c.p12 -passout pass:{pw}\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-keytool-storepass",
        "FROM a\nRUN keytool -importcert -file ca.crt -keystore /ks.jks -storepass {pw} -noprompt\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-query-param",
        'FROM a\nRUN curl -fsSL "https://api.example.org/v1/pkg?format=tgz&api_key={pw}" -o /p.tgz\n',
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "add-url-query-token",
        "FROM a\nADD https://dl.example.org/a.tgz?access_token={pw} /a.tgz\n",
        {},
        {("docker-run-secret", 2)},
    ),
    ("run-chpasswd", "FROM a\nRUN echo 'root:{pw}' | chpasswd\n", {}, {("docker-run-secret", 2)}),
    (
        "run-htpasswd-b",
        "FROM nginx\nRUN htpasswd -bc /etc/nginx/.htpasswd admin {pw}\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-token-by-value",
        "FROM a\nRUN curl -d 'key={stripe}' https://api.example.org\n",
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "run-heredoc-line",
        "FROM a\nRUN <<EOF\nset -e\nexport GH_TOKEN={github}\ngh repo list\nEOF\n",
        {},
        {("docker-run-secret", 4)},
    ),
    (
        "run-exec-form",
        'FROM a\nRUN ["sh", "-c", "git clone https://ci:{pw}@git.example.org/x.git"]\n',
        {},
        {("docker-run-secret", 2)},
    ),
    (
        "persist-redirect",
        "FROM a\nRUN --mount=type=secret,id=npmrc \\\n    cat /run/secrets/npmrc > /root/.npmrc && npm ci\n",
        {},
        {("docker-mounted-secret-persisted", 3)},
    ),
    (
        "persist-append",
        "FROM a\nRUN --mount=type=secret,id=tok cat /run/secrets/tok >> /etc/app.conf\n",
        {},
        {("docker-mounted-secret-persisted", 2)},
    ),
    (
        "persist-cp",
        "FROM a\nRUN --mount=type=secret,id=key cp /run/secrets/key /app/key.pem\n",
        {},
        {("docker-mounted-secret-persisted", 2)},
    ),
    (
        "persist-custom-target-tee",
        "FROM a\nRUN --mount=type=secret,id=x,target=/tmp/x cat /tmp/x | tee /app/x\n",
        {},
        {("docker-mounted-secret-persisted", 2)},
    ),
    (
        "persist-via-variable",
        "FROM a\nRUN --mount=type=secret,id=tok \\\n    TOKEN=$(cat /run/secrets/tok) \\\n"
        '    && echo "$TOKEN" > /app/token.txt\n',
        {},
        {("docker-mounted-secret-persisted", 4)},
    ),
    (
        "persist-env-mount",
        'FROM a\nRUN --mount=type=secret,id=gh,env=GH_TOKEN echo "$GH_TOKEN" > /root/.gh\n',
        {},
        {("docker-mounted-secret-persisted", 2)},
    ),
    (
        "persist-git-config",
        "FROM a\nRUN --mount=type=secret,id=gh git config --global "
        'url."https://x:$(cat /run/secrets/gh)@github.com/".insteadOf https://github.com/\n',
        {},
        {("docker-mounted-secret-persisted", 2)},
    ),
]

NEGATIVE: list[tuple[str, str, dict[str, str]]] = [
    (
        "env-file-path-version-public",
        "FROM a\nENV JWT_SECRET_FILE=/run/secrets/jwt SSH_KEY_PATH=/keys/id \\\n"
        "    NODE_VERSION=20.11.1 PUBLIC_KEY=MCowBQYDK2VwAyEA PASSWORD_MIN_LENGTH=12\n",
        {},
    ),
    ("env-url-without-credentials", "FROM a\nENV AUTH_TOKEN_URL=https://auth.example.org/token\n", {}),
    ("env-gpg-fingerprint", "FROM python:3.12\nENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305\n", {}),
    ("env-placeholder", 'FROM a\nENV DB_PASSWORD=changeme API_TOKEN="<your-token>"\n', {}),
    ("env-reference-no-arg", "FROM a\nENV TOKEN=${TOKEN} PATH=/opt/venv/bin:$PATH\n", {}),
    ("env-boolean", "FROM a\nENV SECRET_SCANNING=false\n", {}),
    ("arg-harmless", "ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}\nARG APP_ENV=production\n", {}),
    (
        "label-plain",
        'FROM a\nLABEL maintainer="ops@example.org" org.opencontainers.image.source=https://x.org\n',
        {},
    ),
    ("copy-example-env", "FROM a\nCOPY .env.example /app/.env\n", {}),
    ("copy-public-key", "FROM a\nCOPY id_rsa.pub /root/.ssh/authorized_keys\n", {}),
    (
        "copy-from-stage",
        "FROM a AS build\nRUN x\nFROM b\nCOPY --from=build /root/.ssh /x\nCOPY --from=build .env /x\n",
        {},
    ),
    ("copy-ca-cert", "FROM a\nCOPY certs/ca.pem /etc/ssl/certs/\n", {}),
    (
        "copy-pem-certificate",
        "FROM a\nCOPY tls/server.pem /etc/ssl/\n",
        {"tls/server.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
    ),
    (
        "copy-npmrc-reference",
        "FROM a\nCOPY package.json .npmrc ./\n",
        {".npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"},
    ),
    (
        "copy-id-named-script",
        "FROM a\nCOPY id_generator /usr/local/bin/\n",
        {"id_generator": "#!/bin/sh\necho 1\n"},
    ),
    (
        "copy-sources",
        "FROM a\nCOPY src/ /app/\nCOPY --chown=app:app pyproject.toml ./\nADD https://example.org/x.tgz /\n",
        {},
    ),
    (
        "run-plain",
        "FROM a\nRUN git clone https://github.com/org/repo.git && mkdir -p /app && pip install -r r.txt\n",
        {},
    ),
    (
        "run-references",
        'FROM a\nRUN curl -H "Authorization: Bearer $API_TOKEN" https://x.org \\\n'
        "  && docker login -u bot --password-stdin < /run/secrets/pw \\\n"
        "  && npm config set //registry.npmjs.org/:_authToken ${NPM_TOKEN} \\\n"
        '  && ./tool --password-file /run/secrets/pw --token "$(cat /run/secrets/tok)"\n',
        {},
    ),
    (
        "run-aws-from-secret",
        "FROM a\nRUN --mount=type=secret,id=aws aws configure set aws_secret_access_key "
        '"$(cat /run/secrets/aws)" --profile ci && aws s3 ls && rm -f ~/.aws/credentials\n',
        {},
    ),
    (
        "run-secret-references",
        "FROM docker:27\nRUN docker build --secret id=npm,src=/run/secrets/npm . \\\n"
        '  && openssl enc -d -in a -out b -pass env:ENC_PASS && keytool -list -storepass "$KS_PASS"\n',
        {},
    ),
    (
        "query-params-harmless",
        "FROM a\nADD https://dl.example.org/a.tgz?version=1.2&token=${DL_TOKEN} /a.tgz\n"
        'RUN curl "https://x.org/api?page=2&token_type=bearer&api_key=$API_KEY"\n',
        {},
    ),
    (
        "run-basic-auth-reference",
        'FROM a\nRUN curl -u "$REPO_USER:$REPO_PASSWORD" https://x.org && echo "app:$APP_PW" | chpasswd\n',
        {},
    ),
    ("mount-in-place", "FROM a\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci\n", {}),
    (
        "mount-removed-same-run",
        "FROM a\nRUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc > /root/.npmrc \\\n"
        "    && npm ci && rm -f /root/.npmrc\n",
        {},
    ),
    (
        "mount-read-into-env",
        'FROM a\nRUN --mount=type=secret,id=pip PIP_INDEX_URL="$(cat /run/secrets/pip)" '
        "pip install . > /tmp/pip.log\n",
        {},
    ),
    ("mount-devnull", "FROM a\nRUN --mount=type=secret,id=x cat /run/secrets/x > /dev/null\n", {}),
    (
        "cache-mount-redirect",
        "FROM a\nRUN --mount=type=cache,target=/root/.cache pip install . > /build.log\n",
        {},
    ),
]


@pytest.mark.parametrize(
    ("template", "files", "expected"), [c[1:] for c in POSITIVE], ids=[c[0] for c in POSITIVE]
)
def test_positive(
    tmp_path: Path,
    make_ctx: Callable[[Path], AnalysisContext],
    tokens: object,
    template: str,
    files: dict[str, str],
    expected: set[tuple[str, int]],
) -> None:
    values = _values(tokens)
    text = template.format(**values)
    files = {k: v.format(**values) for k, v in files.items()}
    findings = _analyze(tmp_path, make_ctx(tmp_path), text, files)
    assert _got(findings) == expected
    report = "\n".join(f"{f.rule_id} {f.line} {f.message} {f.preview} {f!r}" for f in findings)
    assert_no_leak(report, [*values.values()], where="finding messages/previews")


@pytest.mark.parametrize(("text", "files"), [c[1:] for c in NEGATIVE], ids=[c[0] for c in NEGATIVE])
def test_negative(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext], text: str, files: dict[str, str]
) -> None:
    findings = _analyze(tmp_path, make_ctx(tmp_path), text, files)
    assert sorted(_got(findings)) == []


def test_severities_and_secret_kept(tmp_path: Path, ctx: AnalysisContext, tokens: object) -> None:
    values = _values(tokens)
    text = "FROM a\nARG NPM_TOKEN\nENV API_KEY={stripe}\n".format(**values)
    findings = {f.rule_id: f for f in _analyze(tmp_path, ctx, text)}
    assert findings["docker-secret-arg-no-value"].severity is Severity.WARNING
    env = findings["docker-env-secret"]
    assert env.severity is Severity.ERROR
    assert env.secret == values["stripe"]  # kept in memory for fingerprints
    assert (env.line, env.column) == (3, 13)
    assert "RUN --mount=type=secret" in findings["docker-secret-arg-no-value"].message


def test_global_arg_redeclared_in_stage_is_one_warning(tmp_path: Path, ctx: AnalysisContext) -> None:
    text = "ARG NPM_TOKEN\nFROM a\nARG NPM_TOKEN\nRUN echo hi\n"
    assert _got(_analyze(tmp_path, ctx, text)) == {("docker-secret-arg-no-value", 1)}


def test_check_ids_are_stable_and_unique() -> None:
    ids = [c.id for c in DOCKERFILE_CHECKS]
    assert len(ids) == len(set(ids))
    assert {
        "docker-env-secret",
        "docker-arg-secret-default",
        "docker-label-secret",
        "docker-secret-arg-no-value",
        "docker-secret-env-from-arg",
        "docker-copy-secret-file",
        "docker-run-secret",
        "docker-mounted-secret-persisted",
        "docker-context-secret-file",
        "docker-context-file-with-secret",
    } == set(ids)


def test_wrongsecrets_style_dockerfile_five_leaks(make_ctx: Callable[[Path], AnalysisContext]) -> None:
    root = DATA_DIR / "docker" / "wrongsecrets"
    text = (root / "Dockerfile").read_text()
    findings = list(DockerfileAnalyzer().analyze("Dockerfile", text, make_ctx(root)))
    got = {(f.rule_id, f.line) for f in findings if f.severity is Severity.ERROR}
    assert got == {
        ("docker-arg-secret-default", 3),  # camelCase argBasedPassword default
        ("docker-env-secret", 6),  # DOCKER_ENV_PASSWORD literal
        ("docker-run-secret", 10),  # git clone with a password in the URL
        ("docker-copy-secret-file", 11),  # KeePass database
        ("docker-copy-secret-file", 12),  # shell history
    }


def test_official_image_style_dockerfile_is_clean(make_ctx: Callable[[Path], AnalysisContext]) -> None:
    """GPG fingerprints, checksums, *_FILE/_DIR names, ${VAR} references, cache/ssh mounts, secrets used in
    place (a command's output redirected is not the secret)."""
    root = DATA_DIR / "docker" / "clean"
    text = (root / "Dockerfile").read_text()
    assert list(DockerfileAnalyzer().analyze("Dockerfile", text, make_ctx(root))) == []


def test_allow_comment_above_an_instruction(tmp_path: Path, ctx: AnalysisContext) -> None:
    text = (
        "FROM a\n"
        "# check-secrets: allow (a throwaway password for the test database image)\n"
        f"ENV DB_PASSWORD={HUMAN_PW}\n"
        "# gitleaks:allow\n"
        "\n"
        "ARG NPM_TOKEN\n"
        "ENV API_TOKEN=$NPM_TOKEN\n"  # not allowed: the marker covers the next instruction only
        "# an ordinary comment\n"
        f"ENV JWT_SECRET={HUMAN_PW}\n"
    )
    assert _got(_analyze(tmp_path, ctx, text)) == {
        ("docker-secret-env-from-arg", 7),
        ("docker-env-secret", 9),
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "FROM a AS b",
                "ARG TOKEN",
                "ARG X=$Y",
                "ENV A=${B:-c}",
                "ENV PASSWORD",
                "LABEL a=b",
                "COPY . .",
                "COPY --from=b / /",
                "ADD https://x/y /",
                "RUN <<EOF",
                "EOF",
                "RUN --mount=type=secret",
                "RUN --mount=type=secret,id=x cat /run/secrets/x > /y",
                "RUN echo \\",
                "  # c",
                "",
                "COPY <<X /f",
                "X",
                "ENV",
                "RUN curl -u a:$B x",
                'RUN ["sh", "-c"',
                "# escape=`",
                "RUN a `",
            ]
        ),
        max_size=25,
    )
)
def test_checks_never_raise(make_ctx: Callable[[Path], AnalysisContext], lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    ctx = make_ctx(Path("/nonexistent-context"))
    for finding in DockerfileAnalyzer().analyze("Dockerfile", text, ctx):
        assert finding.line >= 1 and finding.rule_id.startswith("docker-")


def test_column_points_at_the_secret_inside_a_value(
    tmp_path: Path, ctx: AnalysisContext, tokens: object
) -> None:
    stripe = _values(tokens)["stripe"]
    text = f'FROM a\nENV A=1 \\\n    BILLING="mode=live key={stripe}"\n'
    (finding,) = _analyze(tmp_path, ctx, text)
    assert (finding.rule_id, finding.line, finding.column) == ("docker-env-secret", 3, 28)
    assert finding.end_column - finding.column == len(stripe)


def test_a_copy_source_is_read_where_the_build_context_is_and_never_outside_the_repository(
    tmp_path: Path, make_ctx: Callable[[Path], AnalysisContext]
) -> None:
    # jenkinsci/docker: debian/Dockerfile is built from the repository's root (a bake file says so) and
    # copies the root's PGP public key, whose name ends in .key, to a .pub name
    root = tmp_path / "repo"
    (root / "debian").mkdir(parents=True)
    public = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGlJ\n-----END PGP PUBLIC KEY BLOCK-----\n"
    (root / "jenkins.io-2026.key").write_text(public)
    (root / "deploy.key").write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    (tmp_path / "outside.pem").write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    text = (
        "FROM a\n"
        "COPY jenkins.io-2026.key /war/jenkins-key.pub\n"  # read at the root: a public key
        "COPY deploy.key /etc/keys/\n"  # read at the root: a private key
        "COPY signing.key /etc/keys/signing.pub\n"  # nowhere: by name, but copied to a public key's name
        "COPY release.key /etc/keys/\n"  # nowhere: by name, a private key file
        "COPY ../../outside.pem /x\n"  # outside the repository: never read, judged by name
    )
    (root / "debian" / "Dockerfile").write_text(text)
    findings = list(DockerfileAnalyzer().analyze("debian/Dockerfile", text, make_ctx(root)))
    got = {f.line: f.message for f in findings if f.rule_id == "docker-copy-secret-file"}
    assert sorted(got) == [3, 5, 6], got
    assert "copies a private key into" in got[3]
    assert "copies a private key file into" in got[5]
    assert "copies a private key file into" in got[6]  # (read, it would say "a private key")
