"""A constant whose value is its own name in another case style (FastAPI's ``OAUTH2_CLIENT_CREDENTIALS =
"oAuth2ClientCredentials"``, an OpenAPI flow's identifier) holds a name, not a secret, digits inside words
included. A value that adds anything to the name stays reported. Values are built at run time; results name
lines only."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions

# (name, the same words in the value's case style)
SAME = [
    ("OAUTH2_CLIENT_CREDENTIALS", "oAuth2ClientCredentials"),
    ("OAUTH2_PASSWORD", "oAuth2Password"),
    ("S3_ACCESS_KEY", "s3-access-key"),
    ("smtpPassword", "SMTP_PASSWORD"),
]


def _scan(root: Path) -> list[int]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted({f.line for f in result.findings})


def _random_tail() -> str:
    """Ten random characters that cannot read as more words of the name nor turn it into an env var's name
    (a digit before each lower-case letter, then an upper-case one): with any ten letters and digits, about
    one run in sixty made ``s3-access-keyENSuewMojD9`` (words) or ``SMTP_PASSWORD3EA6EDAEGR9`` (a name)."""
    pairs = "".join(secrets.choice(string.digits) + secrets.choice(string.ascii_lowercase) for _ in range(5))
    return pairs + secrets.choice(string.ascii_uppercase)


def test_a_value_spelling_its_own_name_is_quiet_and_more_is_reported(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text("".join(f'{n} = "{v}"\n' for n, v in SAME), encoding="utf-8")
    assert _scan(tmp_path) == []
    more = [(n, v + _random_tail()) for n, v in SAME]
    (tmp_path / "flows.py").write_text("".join(f'{n} = "{v}"\n' for n, v in more), encoding="utf-8")
    assert _scan(tmp_path) == [1, 2, 3, 4]
