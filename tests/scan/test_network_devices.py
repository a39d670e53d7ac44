"""Cisco type 7 passwords are reported as plaintext passwords (errors), wherever a device configuration holds
them, once each: type 7 is a reversible encoding, not a hash (the type 5/8/9 secrets next to them stay
warnings). The values are encoded at run time from random passwords with type 7's published key stream, so
the test also shows that what is reported decodes to the password; none is written in this file."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, Severity
from tests.conftest import assert_no_leak, run_cli

# The fixed key stream of the type 7 encoding, as Cisco's own tools and every decoder publish it.
_TYPE7_KEYS = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"


def _type7(password: str, offset: int) -> str:
    """``password`` in type 7: the offset (00-15) in decimal, then each character XORed with the keys."""
    keys = _TYPE7_KEYS
    return f"{offset:02d}" + "".join(
        f"{ord(c) ^ ord(keys[(offset + i) % len(keys)]):02X}" for i, c in enumerate(password)
    )


def _decode(value: str) -> str:
    offset, body = int(value[:2]), bytes.fromhex(value[2:])
    keys = _TYPE7_KEYS
    return "".join(chr(b ^ ord(keys[(offset + i) % len(keys)])) for i, b in enumerate(body))


def _password() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits + "!#%") for _ in range(12))


# the places of a running-config that hold type 7 values
LINES = [
    "enable password 7 {v}",
    "username netops privilege 15 password 7 {v}",
    " password 7 {v}",
    " neighbor 192.0.2.1 password 7 {v}",
    "  key-string 7 {v}",
    "tacacs-server host 192.0.2.10 key 7 {v}",
    " ip ospf message-digest-key 1 md5 7 {v}",
    " wpa-psk ascii 7 {v}",
]


def _scan(root: Path) -> list[tuple[int, str, Severity]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.line, f.rule_id, f.severity) for f in result.findings)


def test_encoding_round_trips() -> None:
    password = _password()
    assert _decode(_type7(password, secrets.randbelow(16))) == password


def test_every_type7_value_is_one_error_and_hashes_stay_warnings(tmp_path: Path) -> None:
    passwords = [_password() for _ in LINES]
    values = [_type7(p, secrets.randbelow(16)) for p in passwords]
    crypt = string.ascii_letters + string.digits + "./"
    type9 = "$9$" + "".join(secrets.choice(crypt) for _ in range(14)) + "$"
    type9 += "".join(secrets.choice(crypt) for _ in range(43))
    config = ["hostname core01", "service password-encryption", f"enable secret 9 {type9}"]
    config += [line.format(v=v) for line, v in zip(LINES, values, strict=True)]
    (tmp_path / "core01.cfg").write_text("\n".join(config) + "\n", encoding="utf-8")
    expected = [(3, "password-hash-cisco-type8-type9", Severity.WARNING)]
    expected += [(n, "cisco-type7-password", Severity.ERROR) for n in range(4, 4 + len(LINES))]
    assert _scan(tmp_path) == expected
    result = run_cli("check-secrets", "scan", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, values + passwords)


def test_type0_stand_ins_and_prose_are_not_type7(tmp_path: Path) -> None:
    lines = [
        "username netops password 7 <removed>",
        "enable password 7 0000000000",
        "username netops password 7 ${TYPE7_PASSWORD}",
        "username netops password 0 {{ netops_password }}",
        "The minimum password 7 characters long is not enforced here.",
        f"key 7 {_type7(_password(), 16)}",  # no such offset
        f"enable password 7 {_type7(_password(), 3)}Z",  # not hex: no type 7 value
    ]
    (tmp_path / "notes.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []


# The examples of Cisco's "Cisco IOS Password Encryption Facts" (document 107614), as published: a type 5
# secret and a type 7 password (user jdoe). Public, and copied into notes and decoder tests everywhere.
CISCO_DOC_TYPE5 = "$1$iUjJ$cDZ03KKGh7mHfX2RSbDqP."  # check-secrets: allow
CISCO_DOC_TYPE7 = "07362E590E1B1C041B1E124C0A2F2E206832752E1A01134D"  # check-secrets: allow


def test_ciscos_documentation_example_is_quiet_and_other_type7_values_are_reported(tmp_path: Path) -> None:
    assert _decode(CISCO_DOC_TYPE7) == "You really need a life."  # the documented value, not a made-up one
    doc = [
        "hostname doc-example",
        f"enable secret 5 {CISCO_DOC_TYPE5}",
        f"username jdoe password 7 {CISCO_DOC_TYPE7}",
        f"username jdoe password 7 {CISCO_DOC_TYPE7.lower()}",  # IOS reads the hex in either case
    ]
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "notes.cfg").write_text("\n".join(doc) + "\n", encoding="utf-8")
    assert _scan(tmp_path / "quiet") == []
    # the same sentence under another offset, the documented value with one digit changed, and a random
    # password: each a type 7 value nobody published, each reported
    sentence = _type7(_decode(CISCO_DOC_TYPE7), 3)
    changed = CISCO_DOC_TYPE7[:-1] + ("E" if CISCO_DOC_TYPE7[-1] != "E" else "F")
    fresh = _type7(_password(), secrets.randbelow(16))
    others = [sentence, changed, fresh]
    # a type 5 hash nobody published: the documented one with a character of its checksum changed
    type5 = CISCO_DOC_TYPE5[:-2] + ("A" if CISCO_DOC_TYPE5[-2] != "A" else "B") + "."
    (tmp_path / "reported").mkdir()
    (tmp_path / "reported" / "core01.cfg").write_text(
        f"enable secret 5 {type5}\n"
        + "".join(f"username u{i} password 7 {v}\n" for i, v in enumerate(others)),
        encoding="utf-8",
    )
    expected = [(1, "password-hash-md5crypt", Severity.WARNING)]
    expected += [(n, "cisco-type7-password", Severity.ERROR) for n in (2, 3, 4)]
    assert _scan(tmp_path / "reported") == expected
    result = run_cli("check-secrets", "scan", ".", cwd=tmp_path / "reported")
    assert result.returncode == 1
    assert_no_leak(result.output, [*others, type5.rsplit("$", 1)[1]])


# Junos's $9$ format: a salt character, as many random characters as its family says, then each character of
# the secret as gaps in a fixed alphabet (the families), with these weights in turn. No key: the values are
# encoded here at run time from random secrets, and decode back.
_J9_FAMILIES = ["QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T"]
_J9_ALPHABET = "".join(_J9_FAMILIES)
_J9_EXTRA = {c: 3 - i for i, family in enumerate(_J9_FAMILIES) for c in family}
_J9_WEIGHTS = [[1, 4, 32], [1, 16, 32], [1, 8, 32], [1, 64], [1, 32], [1, 4, 16, 128], [1, 32, 64]]


def _junos9(secret: str) -> str:
    salt = secrets.choice(_J9_ALPHABET)
    value = "$9$" + salt + "".join(secrets.choice(_J9_ALPHABET) for _ in range(_J9_EXTRA[salt]))
    prev = salt
    for i, char in enumerate(secret):
        code, gaps = ord(char), []
        for weight in reversed(_J9_WEIGHTS[i % len(_J9_WEIGHTS)]):
            gaps.insert(0, code // weight)
            code %= weight
        for gap in gaps:
            prev = _J9_ALPHABET[(_J9_ALPHABET.index(prev) + gap + 1) % len(_J9_ALPHABET)]
            value += prev
    return value


def _junos9_decode(value: str) -> str:
    prev, rest, out = value[3], value[4 + _J9_EXTRA[value[3]] :], ""
    while rest:
        weights = _J9_WEIGHTS[len(out) % len(_J9_WEIGHTS)]
        code = 0
        for char, weight in zip(rest[: len(weights)], weights, strict=False):
            code += ((_J9_ALPHABET.index(char) - _J9_ALPHABET.index(prev)) % len(_J9_ALPHABET) - 1) * weight
            prev = char
        rest, out = rest[len(weights) :], out + chr(code)
    return out


# the places of a Junos configuration (hierarchical and set commands) that hold $9$ secrets
JUNOS_LINES = [
    '            secret "{v}"; ## SECRET-DATA',
    'set system tacplus-server 192.0.2.11 secret "{v}"',
    '                authentication-key "{v}"; ## SECRET-DATA',
    '        pre-shared-key ascii-text "{v}"; ## SECRET-DATA',
    '                    "ftp://backup@192.0.2.20" password "{v}"; ## SECRET-DATA',
    "junos_radius_secret: {v}",
]


def test_junos9_encoding_round_trips() -> None:
    secret = _password()
    assert _junos9_decode(_junos9(secret)) == secret


def test_every_junos9_secret_is_one_error_and_other_dollar9_values_are_not(tmp_path: Path) -> None:
    plain = [_password() for _ in JUNOS_LINES]
    values = [_junos9(p) for p in plain]
    crypt = string.ascii_letters + string.digits + "./"
    sha512 = "$6$" + "".join(secrets.choice(crypt) for _ in range(16)) + "$"
    sha512 += "".join(secrets.choice(crypt) for _ in range(86))
    config = [
        "system {",
        "    root-authentication {",
        f'        encrypted-password "{sha512}"; ## SECRET-DATA',
    ]
    config += [line.format(v=v) for line, v in zip(JUNOS_LINES, values, strict=True)]
    (tmp_path / "mx01.conf").write_text("\n".join(config) + "\n", encoding="utf-8")
    expected = [(3, "password-hash-sha512crypt", Severity.WARNING)]
    expected += [(n, "juniper-type9-password", Severity.ERROR) for n in range(4, 4 + len(JUNOS_LINES))]
    assert _scan(tmp_path) == expected
    result = run_cli("check-secrets", "scan", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_leak(result.output, values + plain)


def test_junos_stand_ins_master_password_secrets_and_cisco_type9_are_not_junos9(tmp_path: Path) -> None:
    crypt = string.ascii_letters + string.digits + "./"
    cisco9 = "$9$" + "".join(secrets.choice(crypt) for _ in range(14)) + "$"
    cisco9 += "".join(secrets.choice(crypt) for _ in range(43))
    b64 = string.ascii_letters + string.digits + "+/"
    master = "$8$aes256-gcm$hmac-sha2-256$100$" + "$".join(
        "".join(secrets.choice(b64) for _ in range(n)) for n in (11, 22, 22, 24)
    )
    lines = [
        'secret "$9$"; ## SECRET-DATA',
        'secret "$9$<encrypted>"; ## SECRET-DATA',
        'secret "$9$xxxxxxxxxxxxxxxxxxxx"; ## SECRET-DATA',
        "s/(a)-(b)/$9$10/g",
        f'secret "{master}"; ## SECRET-DATA',  # AES-GCM under a master password kept off the configuration
    ]
    (tmp_path / "notes.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []
    (tmp_path / "notes.conf").write_text(f"enable secret 9 {cisco9}\n", encoding="utf-8")
    assert _scan(tmp_path) == [(1, "password-hash-cisco-type8-type9", Severity.WARNING)]
