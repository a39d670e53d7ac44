"""Generic assignments across file formats: what a reviewer would call a hard-coded secret is found, what is
code, a reference, a placeholder, documentation or a non-secret value is not. Ids are indices, never
values."""

from __future__ import annotations

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner

# (relpath, text) that must give a generic finding.
FOUND = [
    ("app/settings.py", 'DATABASE_PASSWORD = "Kx8!pLm2qZ"\n'),
    ("app/settings.py", "SECRET_KEY = 'n8Dq-L2vX9mR4sT7wY1zB5cF'\n"),
    ("src/client.js", 'const apiKey = "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q";\n'),
    ("src/Client.java", 'private static final String PASSWORD = "Blue7Heron!";\n'),
    ("src/client.go", 'cfg := Config{Password: "Gr33n-Falcon", Host: "db"}\n'),
    ("src/Db.cs", 'var conn = new Conn { Password = "Wint3r-Kettle" };\n'),
    ("lib/app.rb", 'client = Api.new(api_token: "Zp8Tn4Ws1Yc6Jd0Hf5Ug2Ea9")\n'),
    ("web/config.php", "$db_password = 'm4ngo-Lassi';\n"),
    ("deploy/.env", "STRIPE_SECRET=Xk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2\n"),
    ("deploy/.env.production", "export DB_PASS=Tr0ub4dor3x\n"),
    ("k8s/values.yaml", "db:\n  user: app\n  password: summer2024!\n"),
    ("conf/app.ini", "[smtp]\nhost = mail\npassword = Lq2Wm9Xk#\n"),
    ("conf/app.properties", "spring.datasource.password=Np4Vq8Ks2T\n"),
    ("pyproject.toml", '[tool.app]\nauth_token = "b1Nc6Qs0Jd5Hf7Tg2Ue9Ia3Ko"\n'),
    ("config.json", '{"db": {"user": "app", "password": "Hm4Nx9Qc2V!"}}\n'),
    ("settings.xml", "<settings><password>Rz7Lq2Wm9Xk</password></settings>\n"),
    ("web.config", '<appSettings><add key="MailPassword" value="Wq8Lz3Rk7Tp" /></appSettings>\n'),
    ("app/settings.py", 'WEATHER_API_KEY = "951bc382db9abad29c68634761dd6e19"\n'),  # hex keys are keys
    ("app/settings.py", 'password = "super$ecret"\n'),  # "$" inside a literal is not a reference
    ("notes.txt", "REACT_APP_AUTH_PASSWORD=wh1teduke\n"),  # unquoted in a file of no known language
    (
        "app/settings.py",
        'CLIENT_SECRET = "abcd1234efgh5678ijkl9012"\n',
    ),  # code: made-up-looking is still flagged
]
# (relpath, text) that must give no generic finding.
QUIET = [
    ("app/settings.py", 'PASSWORD = os.environ["PASSWORD"]\n'),
    ("app/settings.py", "password = get_password(user)\n"),
    ("app/settings.py", 'SECRET_KEY = env("SECRET_KEY")\n'),
    ("app/forms.py", 'password_field = forms.CharField(label="Password")\n'),
    ("app/forms.py", 'PASSWORD_RESET_TIMEOUT = "3600"\n'),
    ("app/oauth.py", 'TOKEN_URL = "https://login.example.com/oauth2/token"\n'),
    ("app/oauth.py", 'token_type = "Bearer"\n'),
    ("app/aws.py", 'secret_name = "prod/db/credentials"\n'),
    ("app/aws.py", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'),
    ("deploy/.env", "DB_PASSWORD=\n"),
    ("deploy/.env", "DB_PASSWORD=${DB_PASSWORD}\n"),
    ("deploy/.env", "API_KEY=<your-api-key>\n"),
    ("deploy/.env", "DB_PASSWORD_FILE=/run/secrets/db_password\n"),
    ("ci.yml", "env:\n  TOKEN: ${{ secrets.TOKEN }}\n"),
    ("k8s/values.yaml", "password: '{{ .Values.db.password }}'\n"),
    (
        "package-lock.json",
        '"integrity": "sha512-q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2Ue9Ia3Ko6Mz1Px4Vw8Ey5Bn0Cr2Dl7==",\n',
    ),
    ("keys.txt", 'signing_key_fingerprint = "ABCD 1234 EF56 7890 ABCD  1234 EF56 7890 ABCD 1234"\n'),
    ("app/models.py", 'token = "3f2a9c1b-7d4e-4f80-91a2-b3c4d5e6f708"\n'),
    ("app/models.py", 'secret_digest = "5f2c9a1b7d4e6f8091a2b3c4d5e6f7081a2b3c4d5e6f708192a3b4c5d6e7f809"\n'),
    ("app/keys.py", 'public_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3Tz2mr7SZiAMfQ"\n'),
    ("README.md", "Set `password: <your password>` in the config.\n"),
    ("app/views.py", 'msg = "Your password is incorrect"\n'),
    ("app/views.py", 'log.info("token=%s", token)\n'),
    ("app/views.py", 'password = "{password}"\n'),
    ("app/settings.py", 'PASSWORD_HASHERS = "django.contrib.auth.hashers.PBKDF2PasswordHasher"\n'),
    ("app/settings.py", 'AUTH_USER_MODEL = "accounts.User"\n'),
    ("app/py.py", "password = password.strip()\n"),
    ("src/app.py", "DB_PASSWORD=Tr0ub4dor3x\n"),  # unquoted in code: a variable, not a literal
    ("app/tests.py", 'self.client.login(username="bob", password="python")\n'),
    ("botocore/paginators.json", '"output_token": "NextToken",\n'),
    ("api/models.py", 'next_page_token = "CgsI8fXq9wUQmKL4QhIM"\n'),
    ("cfn/schema.py", '"AWS::ApiGateway::ApiKey": "48205d4ffd7feba3",\n'),
    ("docs/iam.rst", '"ClientSecret": "123456789012345678901234567890",\n'),  # documentation example
    ("docs/chat.md", '"token": "abcd1234efgh5678ijkl",\n'),
    ("llm/config.py", 'eos_token = "endoftext_marker"\n'),
    ("settings.py", 'SESSION_AUTH = "Disabled"\n'),
    ("urls.py", 'update_password = "cms/sites/passwords#update"\n'),
    ("iam.py", 'IAMUserChangePassword = "arn:aws:iam::aws:policy/IAMUserChangePassword"\n'),
    ("ui.js", "this.addPassword = '#add-password';\n"),
    ("docs/urllib.py", "passwd='geheim$parole')\n"),
    ("requests.py", 'proxy = "http://user:a%20secret@proxy.example.net:3128"\n'),
]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(ScanConfig())


def _generic(scanner: Scanner, rel: str, text: str) -> list[str]:
    return [f.rule_id for f in scanner.scan_document(rel, text) if f.rule_id.startswith("generic")]


@pytest.mark.parametrize("index", range(len(FOUND)))
def test_generic_secret_found(scanner: Scanner, index: int) -> None:
    rel, text = FOUND[index]
    assert len(_generic(scanner, rel, text)) == 1, f"case {index} ({rel}) not found exactly once"


@pytest.mark.parametrize("index", range(len(QUIET)))
def test_generic_secret_quiet(scanner: Scanner, index: int) -> None:
    rel, text = QUIET[index]
    assert _generic(scanner, rel, text) == [], f"case {index} ({rel}) wrongly flagged"


def test_schema_secret_names_extend_the_name_check() -> None:
    text = 'ACME_DSN = "Xk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2"\n'
    assert _generic(Scanner(ScanConfig()), "a.py", text) == []
    # the name has no secret word, so the pattern itself cannot fire: schema names serve analyzers'
    # is_secret_name
    scanner = Scanner(ScanConfig(secret_names=frozenset({"ACME_DSN"})))
    assert scanner.context().is_secret_name("ACME_DSN")
