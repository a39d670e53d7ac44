"""Committed password hashes are reported by the password-hash rules as warnings, once per hash, wherever
they sit (a seed, a fixture, a cloud-init file, a constant): the generic rules still never take a hash for a
password (no error), and format stand-ins of documentation are not reported. Hash values are drawn at random
per run in each format's alphabet; the only ones written in this file are the public demo hashes frameworks
ship, which are not reported."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, Severity
from tests.conftest import assert_no_leak, run_cli

CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _chars(n: int, alphabet: str = CRYPT_ALPHABET) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _b64(n: int) -> str:
    """``n`` random bytes in base64 (with its padding)."""
    return base64.b64encode(secrets.token_bytes(n)).decode()


def _phc(n: int) -> str:
    """``n`` random bytes in the PHC format's base64 (no padding)."""
    return _b64(n).rstrip("=")


def _hashes() -> dict[str, str]:
    """rule id -> a fresh random hash in that rule's format."""
    return {
        "password-hash-bcrypt": f"$2b$12${_chars(53)}",
        "password-hash-md5crypt": f"$apr1${_chars(8)}${_chars(22)}",
        "password-hash-sha256crypt": f"$5$rounds=80000${_chars(16)}${_chars(43)}",
        "password-hash-sha512crypt": f"$6${_chars(16)}${_chars(86)}",
        "password-hash-yescrypt": f"$y$j9T${_chars(22)}${_chars(43)}",
        "password-hash-cisco-type8-type9": f"$9${_chars(14)}${_chars(43)}",
        "kerberos-asrep-hash": (
            f"$krb5asrep$23$svc_sql@CORP.ACME.NET:{secrets.token_hex(16)}${secrets.token_hex(120)}"
        ),
        "password-hash-argon2": f"$argon2id$v=19$m=65536,t=3,p=4${_phc(16)}${_phc(32)}",
        "password-hash-django-pbkdf2": (
            f"pbkdf2_sha256$870000${_chars(22, string.ascii_letters + string.digits)}${_b64(32)}"
        ),
        "password-hash-django-legacy": (
            f"md5${_chars(12, string.ascii_letters + string.digits)}${secrets.token_hex(16)}"
        ),
        "kerberos-tgs-hash": (
            f"$krb5tgs$23$*svc_sql$CORP.ACME.NET$MSSQLSvc/sql01.corp.acme.net:1433*${secrets.token_hex(16)}"
            f"${secrets.token_hex(600)}"
        ),
        "password-hash-werkzeug": (
            f"scrypt:32768:8:1${_chars(16, string.ascii_letters + string.digits)}${secrets.token_hex(64)}"
        ),
        "netntlmv2-response": (
            f"svc_web::ACME:{secrets.token_hex(8)}:{secrets.token_hex(16)}:0101000000000000{secrets.token_hex(140)}"
        ),
        "netntlmv1-response": (  # NTLMv1-SSP: the LM field is the client challenge and 16 zero bytes
            f"svc_print::ACME:{secrets.token_hex(8)}{'0' * 32}:{secrets.token_hex(24)}:{secrets.token_hex(8)}"
        ),
        "password-hash-ldap": "{SSHA}" + _b64(28),
    }


# (file name, text around the hash): the places hashes get committed
PLACES = [
    ("db/seed.sql", "INSERT INTO users (login, password_hash) VALUES ('admin', '{h}');\n"),
    ("config/users.yml", 'users:\n  admin:\n    password: "{h}"\n'),
    ("deploy/user-data.yaml", "#cloud-config\nusers:\n  - name: ops\n    passwd: {h}\n"),
    ("app/seed.py", "ADMIN_PASSWORD = '{h}'\n"),
    ("tests/fixtures/users.json", '[{{"user": "ops", "password": "{h}"}}]\n'),
    ("network/core01.cfg", "hostname core01\nusername netops privilege 15 secret 9 {h}\n"),
]


def _scan(root: Path) -> list[tuple[str, str, Severity]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.rule_id, f.severity) for f in result.findings)


@pytest.mark.parametrize(("name", "template"), PLACES, ids=[p[0] for p in PLACES])
def test_each_hash_format_is_one_warning_in_each_place(tmp_path: Path, name: str, template: str) -> None:
    for rule_id, value in _hashes().items():
        root = tmp_path / rule_id
        path = root / name
        path.parent.mkdir(parents=True)
        path.write_text(template.format(h=value), encoding="utf-8")
        assert _scan(root) == [(name, rule_id, Severity.WARNING)], rule_id


def test_documentation_stand_ins_and_longer_runs_are_not_hashes(tmp_path: Path) -> None:
    lines = [
        "root:$6$salt$hash:19750:0:99999:7:::",
        f"admin:$2y$10${'x' * 53}",
        "# bcrypt: $2b$<cost>$<22 characters of salt><31 characters of checksum>",
        f"password_hash = '$2b$12${_chars(60)}'",  # runs on past the 53 characters: not bcrypt
        f"password_hash = '$2b$77${_chars(53)}'",  # no such cost
        "html = html.replace(/(a)(b)/g, '$1$2')",
        "hashcat -m 18200 '$krb5asrep$23$<user>@<realm>:<checksum>$<edata2>' words.txt",
        "hashcat -m 13100 '$krb5tgs$23$*<user>$<realm>$<spn>*$<checksum>$<edata2>' words.txt",
        "# $argon2id$v=19$m=<memory>,t=<iterations>,p=<parallelism>$<salt>$<hash>",
        f"password = '$argon2id$v=19$m=65536,t=3,p=4${_phc(16)}${_phc(200)}'",  # runs on
        "# Django stores pbkdf2_sha256$<iterations>$<salt>$<hash>",
        f"password = 'pbkdf2_sha256$870000$abc${_b64(32)[:-2]}'",  # a key of the wrong length
        "generate_password_hash(password, method='pbkdf2:sha256:600000', salt_length=16)",
        f"stored = 'pbkdf2:sha256:600000$abc${secrets.token_hex(31)}'",  # a digest of the wrong length
        "# <user>::<domain>:<challenge>:<NTProofStr>:<blob>",
        "addr = fe80::1:0101:0000:0000:0000",
        "# <user>::<domain>:<LM response>:<NT response>:<server challenge>",
        # an NT response of 50 hex digits: no NTLMv1 response
        f"jdoe::CORP:{secrets.token_hex(24)}:{secrets.token_hex(25)}:{secrets.token_hex(8)}",
        "userPassword: {SSHA}",
        "# userPassword: {SSHA}<base64 of the digest and the salt>",
        f"userPassword: {{SHA}}{_b64(20)[:-1]}",  # a SHA-1 digest is 27 characters and =
        f"userPassword: {{SSHA}}{_b64(18)}",  # shorter than a SHA-1 digest and a salt
        "userPassword: {CRYPT}$6$salt$hash",
    ]
    (tmp_path / "notes.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []


def test_hashes_alone_do_not_fail_the_default_scan_and_are_never_printed(tmp_path: Path) -> None:
    values = _hashes()
    (tmp_path / "seed.sql").write_text(
        "".join(f"INSERT INTO users VALUES ('u{i}', '{v}');\n" for i, v in enumerate(values.values())),
        encoding="utf-8",
    )
    quiet = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.count('"severity": "warning"') == len(values)
    strict = run_cli("check-secrets", "scan", "--fail-on", "warning", ".", cwd=tmp_path)
    assert strict.returncode == 1
    for result in (quiet, strict):
        # the checksum: the last field of each format ($-separated, NetNTLM's :-separated, LDAP's after its
        # scheme), and NetNTLMv1's NT response
        checksums = [v.replace(":", "$").replace("}", "$").rsplit("$", 1)[1] for v in values.values()]
        assert_no_leak(result.output, [*checksums, values["netntlmv1-response"].split(":")[-2]])


# Published with a demo password (Laravel's UserFactory: "password", "secret" before 5.8; Spring Security's
# reference: "password"), under the bcrypt prefixes copies use.
PUBLIC_DEMO_HASHES = [
    "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
    "$2a$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
    "$2b$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
    "$2y$10$TKh8H1.PfQx37YgCzwiKb.KjNyWgaHb9cbcoQgdIVFlYg7B77UdFm",  # check-secrets: allow
    "{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG",  # check-secrets: allow
]


def _one_changed(value: str) -> str:
    """``value`` with one character of its checksum changed: the same shape, no longer the public hash."""
    last = value[-2]
    return value[:-2] + ("A" if last != "A" else "B") + value[-1]


def test_public_demo_hashes_are_quiet_and_a_changed_one_is_reported(tmp_path: Path) -> None:
    seed = "".join(f"INSERT INTO users VALUES ('u{i}', '{h}');\n" for i, h in enumerate(PUBLIC_DEMO_HASHES))
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "seed.sql").write_text(seed, encoding="utf-8")
    assert _scan(tmp_path / "quiet") == []
    (tmp_path / "changed").mkdir()
    changed = "".join(
        f"INSERT INTO users VALUES ('u{i}', '{_one_changed(h)}');\n" for i, h in enumerate(PUBLIC_DEMO_HASHES)
    )
    (tmp_path / "changed" / "seed.sql").write_text(changed, encoding="utf-8")
    expected = [("seed.sql", "password-hash-bcrypt", Severity.WARNING)] * len(PUBLIC_DEMO_HASHES)
    assert _scan(tmp_path / "changed") == expected


# LDAP userPassword schemes: (scheme, bytes of the digest, bytes of salt)
LDAP_SCHEMES = [
    ("SHA", 20, 0),
    ("SSHA", 20, 8),
    ("ssha", 20, 4),
    ("MD5", 16, 0),
    ("SMD5", 16, 4),
    ("SHA256", 32, 0),
    ("SSHA256", 32, 8),
    ("SHA384", 48, 0),
    ("SSHA384", 48, 8),
    ("SHA512", 64, 0),
    ("SSHA512", 64, 16),
]


def test_ldap_userpassword_hashes_are_one_warning_each_in_ldif_and_slapd_files(tmp_path: Path) -> None:
    values = [f"{{{scheme}}}{_b64(digest + salt)}" for scheme, digest, salt in LDAP_SCHEMES]
    values.append("{CRYPT}" + _chars(13))  # a traditional DES crypt
    ldif = []
    for i, value in enumerate(values):
        ldif += [f"dn: uid=u{i},ou=people,dc=acme,dc=test", "objectClass: inetOrgPerson", f"uid: u{i}"]
        ldif += [f"userPassword: {value}", ""]
    # LDIF's base64 form of a value (userPassword:: …), as ldapsearch and slapcat write it
    encoded = "{SSHA}" + _b64(28)
    ldif += [
        "dn: uid=svc,ou=people,dc=acme,dc=test",
        f"userPassword:: {base64.b64encode(encoded.encode()).decode()}",
    ]
    (tmp_path / "people.ldif").write_text("\n".join(ldif) + "\n", encoding="utf-8")
    rootpw = "{SSHA512}" + _b64(72)
    (tmp_path / "slapd.conf").write_text(
        f"database mdb\nsuffix dc=acme,dc=test\nrootpw {rootpw}\n", encoding="utf-8"
    )
    # a {CRYPT} value in the modular crypt format is the crypt rules' (one finding, not two)
    sha512 = f"{{CRYPT}}$6${_chars(16)}${_chars(86)}"
    (tmp_path / "admin.ldif").write_text(
        f"dn: cn=admin,dc=acme,dc=test\nuserPassword: {sha512}\n", encoding="utf-8"
    )
    expected = [("admin.ldif", "password-hash-sha512crypt", Severity.WARNING)]
    expected += [("people.ldif", "password-hash-ldap", Severity.WARNING)] * (len(values) + 1)
    expected += [("slapd.conf", "password-hash-ldap", Severity.WARNING)]
    assert _scan(tmp_path) == expected
    result = run_cli("check-secrets", "scan", "--fail-on", "warning", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, [v.split("}", 1)[1] for v in [*values, encoded, rootpw]])


def test_hashcats_netntlmv1_example_is_quiet_and_a_changed_one_is_reported(tmp_path: Path) -> None:
    # hashcat's example hash of mode 5500, as its wiki publishes it
    example = (
        "u4-netntlm::kNS:338d08f8e26de93300000000000000000000000000000000:"  # check-secrets: allow
        "9526fb8c23a90751cdd619b6cea564742e1e4bf33006ba41:cb8086049ec4736c"  # check-secrets: allow
    )
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "notes.md").write_text(f"hashcat -m 5500:\n\n    {example}\n", encoding="utf-8")
    assert _scan(tmp_path / "quiet") == []
    nt = example.split(":")[-2]
    changed = example.replace(nt, nt[:-1] + ("0" if nt[-1] != "0" else "1"))
    (tmp_path / "reported").mkdir()
    (tmp_path / "reported" / "notes.md").write_text(f"    {changed}\n", encoding="utf-8")
    assert _scan(tmp_path / "reported") == [("notes.md", "netntlmv1-response", Severity.WARNING)]


def _ab64(raw: bytes) -> str:
    """passlib's and OpenLDAP pw-pbkdf2's adapted base64: . for +, no padding."""
    return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")


def test_ldap_pbkdf2_and_argon2_userpassword_hashes_are_one_warning_each(tmp_path: Path) -> None:
    """{PBKDF2}, {PBKDF2-SHA1}, {PBKDF2-SHA256}, {PBKDF2-SHA512} (OpenLDAP pw-pbkdf2, passlib ldap_pbkdf2_*;
    adapted base64, or base64 with padding as Django-compatible modules write them) and {ARGON2}'s PHC string,
    each derived at run time from a random password: one warning per line, none printed."""
    values: list[str] = []
    for scheme, digest in [
        ("PBKDF2", "sha1"),
        ("PBKDF2-SHA1", "sha1"),
        ("PBKDF2-SHA256", "sha256"),
        ("PBKDF2-SHA512", "sha512"),
        ("pbkdf2-sha512", "sha512"),
    ]:
        salt = secrets.token_bytes(16)
        key = hashlib.pbkdf2_hmac(digest, secrets.token_bytes(12), salt, 10_000)
        values.append(f"{{{scheme}}}10000${_ab64(salt)}${_ab64(key)}")
        salt_b64 = base64.b64encode(secrets.token_bytes(12)).decode()
        key = hashlib.pbkdf2_hmac(digest, secrets.token_bytes(12), salt_b64.encode(), 24_000)
        values.append(f"{{{scheme}}}24000${salt_b64}${base64.b64encode(key).decode()}")
    ldif: list[str] = []
    for i, value in enumerate(values):
        ldif += [f"dn: uid=u{i},ou=people,dc=acme,dc=test", f"uid: u{i}", f"userPassword: {value}", ""]
    argon2 = "$argon2id$v=19$m=65536,t=2,p=1$" + _phc(16) + "$" + _phc(32)
    ldif += ["dn: uid=admin,dc=acme,dc=test", f"userPassword: {{ARGON2}}{argon2}", ""]
    (tmp_path / "people.ldif").write_text("\n".join(ldif) + "\n", encoding="utf-8")
    expected = [("people.ldif", "password-hash-argon2", Severity.WARNING)]
    expected += [("people.ldif", "password-hash-ldap", Severity.WARNING)] * len(values)
    assert _scan(tmp_path) == expected
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 0  # warnings only
    assert_no_leak(result.output, [v.split("$", 1)[1] for v in values] + [argon2])
    # a derived key of the wrong length for its digest, and stand-ins, are not hashes
    sha256_key = _ab64(hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 1))
    quiet = [
        f"userPassword: {{PBKDF2-SHA512}}10000${_ab64(secrets.token_bytes(16))}${sha256_key}",
        f"userPassword: {{PBKDF2-SHA256}}10000${_ab64(secrets.token_bytes(16))}${sha256_key[:40]}",
        "userPassword: {PBKDF2-SHA512}10000$<salt>$<derived key>",
        "password-hash {PBKDF2-SHA256}",
    ]
    (tmp_path / "people.ldif").write_text("\n".join(quiet) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []
