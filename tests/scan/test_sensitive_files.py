"""Sensitive files by name and shape (issue 4 item 3): positives and look-alikes that must stay quiet."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from autoaudit_secrets.scan._model import Severity
from autoaudit_secrets.scan.analyzers._sensitive_files import (
    SENSITIVE_FILE_CHECKS,
    SensitiveFileAnalyzer,
    classify_sensitive_file,
    may_be_sensitive,
)
from tests.conftest import assert_no_leak

PW = "Kx9-vault-Pw-2718"  # fake
# Built at run time so our own scan of the repository does not see an inline auth literal.
DOCKER_AUTH_JSON = json.dumps(
    {"auths": {"r.example.org": {"auth": base64.b64encode(f"bot:{PW}".encode()).decode()}}}
)
KEY_BLOCK = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
)

# (case id, path, content — None: judged by name only, expected check id or None)
CASES: list[tuple[str, str, str | None, str | None]] = [
    ("ssh-rsa", "home/.ssh/id_rsa", KEY_BLOCK, "sensitive-file-ssh-private-key"),
    ("ssh-ed25519-by-name", "keys/id_ed25519", None, "sensitive-file-ssh-private-key"),
    ("ssh-custom-name-in-ssh-dir", ".ssh/id_deploy", KEY_BLOCK, "sensitive-file-ssh-private-key"),
    ("ssh-pub-is-fine", "home/.ssh/id_rsa.pub", "ssh-rsa AAAAB3Nza user@host\n", None),
    ("ssh-key-named-but-public", "id_ed25519", "ssh-ed25519 AAAAC3Nza user@host\n", None),
    ("putty", "keys/server.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\n", "sensitive-file-ssh-private-key"),
    ("pgpass", ".pgpass", f"db:5432:app:app:{PW}\n", "sensitive-file-pgpass"),
    ("pgpass-header-only", ".pgpass", "# hostname:port:database:username:password\n", None),
    ("pgpass-windows", "AppData/postgresql/pgpass.conf", f"*:*:*:postgres:{PW}\n", "sensitive-file-pgpass"),
    ("netrc", ".netrc", f"machine api.example.org login bot password {PW}\n", "sensitive-file-netrc"),
    ("netrc-windows", "_netrc", None, "sensitive-file-netrc"),
    ("netrc-no-password", ".netrc", "machine api.example.org login bot\n", None),
    ("netrc-reference", ".netrc", "machine api.example.org login bot password ${NETRC_PASSWORD}\n", None),
    # encode/httpx's test fixture: a placeholder password
    (
        "netrc-placeholder",
        ".netrc",
        "machine netrcexample.org\nlogin example-username\npassword example-password\n",
        None,
    ),
    (
        "git-credentials",
        ".git-credentials",
        f"https://bot:{PW}@git.example.org\n",
        "sensitive-file-git-credentials",
    ),
    ("htpasswd", "web/.htpasswd", "admin:$apr1$Qx$abcdefghijklmnopqrstu/\n", "sensitive-file-htpasswd"),
    ("shadow", "etc/shadow", "root:$6$salt$hashhashhash:19000:0:99999:7:::\n", "sensitive-file-shadow"),
    ("shadow-named-module", "lib/shadow", "def cast(): pass\n", None),
    (
        "rails-master-key",
        "config/master.key",
        "0123456789abcdef0123456789abcdef\n",
        "sensitive-file-rails-master-key",
    ),
    (
        "rails-env-key",
        "config/credentials/production.key",
        "abcdef0123456789\n",
        "sensitive-file-rails-master-key",
    ),
    ("keepass", "vault/team.kdbx", None, "sensitive-file-keepass"),
    ("pkcs12", "certs/client.p12", None, "sensitive-file-pkcs12"),
    ("pfx", "certs/client.pfx", None, "sensitive-file-pkcs12"),
    ("jks", "android/release.jks", None, "sensitive-file-java-keystore"),
    ("keystore", "app/debug.keystore", None, "sensitive-file-java-keystore"),
    ("npmrc-token", ".npmrc", f"//registry.npmjs.org/:_authToken={PW}\n", "sensitive-file-npmrc-credentials"),
    ("npmrc-reference", ".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", None),
    ("npmrc-no-cred", ".npmrc", "save-exact=true\n", None),
    (
        "pypirc-password",
        ".pypirc",
        f"[pypi]\nusername = __token__\npassword = {PW}\n",
        "sensitive-file-pypirc-credentials",
    ),
    ("pypirc-no-password", ".pypirc", "[distutils]\nindex-servers = pypi\n", None),
    (
        "docker-config-auth",
        "home/.docker/config.json",
        DOCKER_AUTH_JSON,
        "sensitive-file-docker-config-auth",
    ),
    (
        "docker-config-helper",
        "home/.docker/config.json",
        '{"credsStore": "desktop", "auths": {"x": {}}}',
        None,
    ),
    (
        "aws-credentials",
        ".aws/credentials",
        f"[default]\naws_access_key_id = AKIA1\naws_secret_access_key = {PW}\n",
        "sensitive-file-aws-credentials",
    ),
    ("aws-credentials-empty-profile", ".aws/credentials", "[default]\nregion = eu-west-1\n", None),
    (
        "gcp-service-account",
        "deploy/sa-key.json",
        '{"type": "service_account", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----\\nMII"}',
        "sensitive-file-gcp-service-account",
    ),
    ("gcp-other-json", "deploy/package.json", '{"name": "service_account-helper"}', None),
    ("gcloud-db", ".config/gcloud/credentials.db", None, "sensitive-file-gcp-credentials"),
    (
        "azure-tokens",
        ".azure/msal_token_cache.json",
        f'{{"RefreshToken": {{"x": {{"secret": "{PW}"}}}}}}',
        "sensitive-file-azure-credentials",
    ),
    (
        "tfstate",
        "infra/terraform.tfstate",
        '{"version": 4, "resources": [1]}',
        "sensitive-file-terraform-state",
    ),
    ("tfstate-backup", "infra/terraform.tfstate.backup", '{"version": 4}', "sensitive-file-terraform-state"),
    (
        "filezilla",
        "FileZilla/sitemanager.xml",
        '<Server><Pass encoding="base64">cHc=</Pass></Server>',
        "sensitive-file-filezilla-passwords",
    ),
    ("filezilla-no-pass", "FileZilla/recentservers.xml", "<Server><Host>h</Host></Server>", None),
    (
        "ide-datasource",
        ".idea/dataSources.local.xml",
        f'<data-source><property name="password" value="{PW}"/></data-source>',
        "sensitive-file-ide-datasource-password",
    ),
    (
        "ide-datasource-no-pass",
        ".idea/dataSources.xml",
        "<data-source><driver-ref>pg</driver-ref></data-source>",
        None,
    ),
    (
        "sublime-sftp",
        "sftp-config.json",
        f'{{"host": "h", "user": "u", "password": "{PW}"}}',
        "sensitive-file-sftp-config-password",
    ),
    ("ftpconfig", ".ftpconfig", f'{{"host": "h", "pass": "{PW}"}}', "sensitive-file-sftp-config-password"),
    ("ftpconfig-key-only", ".ftpconfig", '{"host": "h", "privatekey": "~/.ssh/id"}', None),
    ("bash-history", "root/.bash_history", "ls\n", "sensitive-file-shell-history"),
    ("zsh-history", ".zsh_history", "ls\n", "sensitive-file-shell-history"),
    ("empty-history", ".bash_history", "", None),
    (
        "ovpn-inline-key",
        "vpn/office.ovpn",
        "client\n<key>\n" + KEY_BLOCK + "</key>\n",
        "sensitive-file-ovpn-inline-key",
    ),
    ("ovpn-no-key", "vpn/office.ovpn", "client\nauth-user-pass\n", None),
    ("plain-source", "src/app.py", "print(1)\n", None),
    ("dotenv-not-ours", ".env", f"SECRET={PW}\n", None),  # .env files belong to the dotenv analyzer
]


@pytest.mark.parametrize(("path", "text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classifier(path: str, text: str | None, expected: str | None) -> None:
    verdict = classify_sensitive_file(path, text)
    assert (verdict.id if verdict else None) == expected


def test_ids_are_unique_and_prefixed() -> None:
    ids = [c.id for c in SENSITIVE_FILE_CHECKS]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("sensitive-file-") for i in ids)


@pytest.mark.parametrize(
    ("name", "applies"),
    [
        ("sa-key.json", True),
        ("my-project-1a2b3c4d5e6f.json", True),
        ("firebase-adminsdk-x1.json", True),
        ("credentials.json", True),
        ("package.json", False),
        ("tsconfig.json", False),
    ],
)
def test_analyzer_reads_json_only_with_a_credential_name(name: str, applies: bool) -> None:
    assert SensitiveFileAnalyzer().applies_to(f"deploy/{name}") is applies
    # the classifier itself (used by the build-context check) judges any JSON by content
    assert classify_sensitive_file(f"deploy/{name}", SA_JSON) is not None


SA_JSON = '{"type": "service_account", "project_id": "p", "private_key": "-----BEGIN PRIVATE KEY-----\\nMII"}'


def test_may_be_sensitive_is_a_cheap_name_filter() -> None:
    assert may_be_sensitive("a/.pgpass")
    assert may_be_sensitive("x/.npmrc")
    assert not may_be_sensitive("src/main.py")


def test_analyzer_findings(tmp_path: Path) -> None:
    analyzer = SensitiveFileAnalyzer()
    assert analyzer.applies_to("deploy/.git-credentials")
    assert not analyzer.applies_to("README.md")
    text = f"# comment\n[pypi]\npassword = {PW}\n"
    (finding,) = analyzer.analyze(".pypirc", text, _NullContext(tmp_path))
    assert (finding.rule_id, finding.path, finding.line, finding.severity) == (
        "sensitive-file-pypirc-credentials",
        ".pypirc",
        3,
        Severity.ERROR,
    )
    assert_no_leak(f"{finding.message} {finding.preview} {finding!r}", [PW])
    # Binary files reach analyzers as "": a KeePass database is still reported, by name.
    (binary,) = analyzer.analyze("vault/team.kdbx", "", _NullContext(tmp_path))
    assert binary.rule_id == "sensitive-file-keepass"
    assert list(analyzer.analyze(".npmrc", "save-exact=true\n", _NullContext(tmp_path))) == []


class _NullContext:
    """The sensitive-file analyzer needs no detector; this proves it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def detect(self, text: str, relpath: str | None = None) -> list[object]:
        raise AssertionError("not used")

    def is_secret_name(self, name: str) -> bool:
        raise AssertionError("not used")

    def is_placeholder(self, value: str) -> bool:
        raise AssertionError("not used")
