"""A Stripe publishable key (``pk_live_``/``pk_test_``) is public by design: Stripe's documentation puts it in
client code (Stripe.js, the mobile SDKs), where it can create tokens of payment details and nothing else. It
is not reported under any name or in any kind of file (it was an error under ``stripeKey``, ``STRIPE_API_KEY``
or in a ``.env``, and quiet only as ``publishableKey``). The same files with a secret (``sk_live_``) or
restricted (``rk_live_``) key are reported at every place, test-mode ones as warnings, and a Courier token
(``pk_test_`` then upper-case letters and digits, a secret) under a secret name stays reported. Keys are
random, made at run time; results name rules and lines only."""

from __future__ import annotations

import base64
import secrets
import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, Severity
from tests.conftest import assert_no_leak, run_cli

_ALNUM = string.ascii_letters + string.digits


def _key(prefix: str, n: int = 99) -> str:
    """A key in Stripe's shape: ``prefix`` then ``n`` random letters and digits (some of each case)."""
    while True:
        body = "".join(secrets.choice(_ALNUM) for _ in range(n))
        if any(c.islower() for c in body) and any(c.isupper() for c in body):
            return prefix + body


# (file name, template): the places a Stripe key is written, each place under a name saying key or secret
PLACES = [
    ("web/checkout.js", "const stripeKey = '{k}';\nconst stripe = Stripe(stripeKey);\n"),
    ("app/settings.py", 'STRIPE_API_KEY = "{k}"\n'),
    (".env", "STRIPE_KEY={k}\nSTRIPE_SECRET_KEY={k}\n"),
    ("config/stripe.yaml", 'stripe:\n  api_key: {k}\n  secret: "{k}"\n'),
    ("src/main/resources/application.properties", "stripe.api.key={k}\n"),
    ("appsettings.json", '{{"Stripe": {{"ApiKey": "{k}"}}}}\n'),
    ("Dockerfile", "FROM node:22\nENV STRIPE_API_KEY={k}\nARG STRIPE_TOKEN={k}\n"),
    (
        "docker-compose.yml",
        "services:\n  web:\n    image: web\n    environment:\n      STRIPE_API_KEY: {k}\n",
    ),
    (
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n    env:\n      STRIPE_API_KEY: {k}\n"
        "    steps:\n      - run: STRIPE_SECRET={k} npm test\n",
    ),
    ("deploy.sh", "export STRIPE_API_KEY={k}\n"),
    ("web.config", '<add key="StripeSecret" value="{k}"/>\n'),
    (
        "k8s/stripe.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stripe\ndata:\n  STRIPE_KEY: {b}\n",
    ),
]


def _write(root: Path, key: str) -> None:
    b64 = base64.b64encode(key.encode()).decode()
    for name, template in PLACES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(k=key, b=b64), encoding="utf-8")


def _scan(root: Path) -> list[tuple[str, int, str, Severity]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id, f.severity) for f in result.findings)


@pytest.mark.parametrize("prefix", ["pk_live_", "pk_test_"])
@pytest.mark.parametrize("length", [24, 99], ids=["legacy", "account"])
def test_publishable_keys_are_quiet_under_any_name(tmp_path: Path, prefix: str, length: int) -> None:
    _write(tmp_path, _key(prefix, length))
    assert _scan(tmp_path) == []


@pytest.mark.parametrize(
    ("prefix", "rule", "severity"),
    [
        ("sk_live_", "stripe-secret-key", Severity.ERROR),
        ("rk_live_", "stripe-restricted-key", Severity.ERROR),
        ("sk_test_", "stripe-test-secret-key", Severity.WARNING),
    ],
)
def test_secret_and_restricted_keys_in_the_same_places_are_reported(
    tmp_path: Path, prefix: str, rule: str, severity: Severity
) -> None:
    key = _key(prefix)
    _write(tmp_path, key)
    found = _scan(tmp_path)
    # one finding on each line holding the key (the Stripe rule's, or a file analyzer's by the name)
    lines = [
        (name, n)
        for name, template in PLACES
        for n, line in enumerate(template.splitlines(), 1)
        if "{k}" in line or "{b}" in line
    ]
    assert [(path, line) for path, line, _, _ in found] == sorted(lines)
    # the rule's severity on every line, whatever found the key there (a test-mode key is a warning under
    # STRIPE_KEY in a .env or a Dockerfile too)
    assert all(sev is severity for _, _, _, sev in found)
    assert sum(1 for _, _, r, _ in found if r == rule) >= 9
    result = run_cli("check-secrets", "scan", "--no-ignore", ".", cwd=tmp_path)
    assert result.returncode == (1 if severity is Severity.ERROR else 0)
    assert_no_leak(result.output, [key, base64.b64encode(key.encode()).decode()])


def test_a_courier_token_under_a_secret_name_stays_reported(tmp_path: Path) -> None:
    token = "pk_test_" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(28))
    (tmp_path / "notify.py").write_text(f'courier_secret = "{token}"\n', encoding="utf-8")
    (tmp_path / ".env").write_text(f"COURIER_AUTH_TOKEN={token}\n", encoding="utf-8")
    assert [(path, line) for path, line, _, _ in _scan(tmp_path)] == [(".env", 1), ("notify.py", 1)]
