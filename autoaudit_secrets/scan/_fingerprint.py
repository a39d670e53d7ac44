"""Stable, non-reversible finding fingerprints.

A fingerprint identifies *this secret of this rule in this file*, whatever line it sits on, so it survives
code moving around. It is published (JSON ``fingerprint``, SARIF ``partialFingerprints``) and is the input
of baseline entries, so it must not let anyone holding a report test password guesses cheaply. A plain (or
fixed-key) SHA-256 of the secret would: a low-entropy human password is found from its hash by trying a
dictionary at billions of guesses per second on a GPU.

The trade-off chosen: a *memory-hard, salted* hash, ``scrypt(secret, salt="check-secrets/fp1" + rule + path,
N=2**13, r=8, p=1)``, truncated to 128 bits.

* The salt binds the fingerprint to rule id and path, so one guess tests one finding only: no precomputed
  table and no testing a guess against every finding of every report at once.
* Each guess costs an attacker 8 MiB of memory and ~20 ms of one CPU core (GPU-hostile), instead of
  nanoseconds. A 10^6-word dictionary against one finding costs hours of CPU time, not milliseconds. It does
  not make a weak password safe: a leaked password must be rotated whatever the report says.
* It costs us the same ~20 ms per distinct finding. Fingerprints are only computed when a report or baseline
  needs them (JSON, SARIF, ``--baseline``, ``baseline create``), once per distinct (rule, path, secret), on
  a thread pool (``hashlib.scrypt`` releases the GIL).
* No project key is needed, so fingerprints are the same on every machine and in every CI run, which GitHub
  code scanning needs to track an alert across runs.

Findings without a secret value (a sensitive file as a whole) are fingerprinted from rule and path alone.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

from ._model import Finding

__all__ = ["FINGERPRINT_SCHEME", "FingerprintCache", "fingerprint", "keyed_hash"]

#: Name and version of the scheme; part of the SARIF ``partialFingerprints`` key. Changing any parameter below
#: changes every fingerprint: bump the scheme.
FINGERPRINT_SCHEME = "checkSecretsFingerprint/v1"

_SALT_PREFIX = b"check-secrets/fp1\x00"
_SCRYPT_N = 2**13
_SCRYPT_R = 8
_SCRYPT_P = 1
_DIGEST_BYTES = 16


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def fingerprint(rule_id: str, path: str, secret: str) -> str:
    """A finding's fingerprint: 32 hex digits, independent of line and column (see the module docstring)."""
    salt = _SALT_PREFIX + _encode(rule_id) + b"\x00" + _encode(path)
    digest = hashlib.scrypt(
        _encode(secret),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        maxmem=64 * 1024 * 1024,
        dklen=_DIGEST_BYTES,
    )
    return digest.hex()


def keyed_hash(key: bytes, fingerprint_hex: str) -> str:
    """HMAC-SHA256 of a fingerprint under a baseline's own key (64 hex digits)."""
    return hmac.new(key, fingerprint_hex.encode("ascii"), hashlib.sha256).hexdigest()


def _key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule_id, finding.path, finding.secret)


class FingerprintCache:
    """Computes fingerprints once per distinct (rule, path, secret), in parallel, and remembers them.

    One cache belongs to one command run; it is passed explicitly to whoever needs fingerprints."""

    def __init__(self, *, jobs: int = 0) -> None:
        self._jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self._known: dict[tuple[str, str, str], str] = {}

    def prepare(self, findings: Iterable[Finding]) -> None:
        """Compute the fingerprints of ``findings`` not seen yet (in parallel)."""
        missing = list(dict.fromkeys(k for k in map(_key, findings) if k not in self._known))
        if not missing:
            return
        if len(missing) == 1 or self._jobs == 1:
            for key in missing:
                self._known[key] = fingerprint(*key)
            return
        from concurrent.futures import ThreadPoolExecutor  # lazy: costs start-up time of every scan

        with ThreadPoolExecutor(max_workers=min(self._jobs, len(missing))) as pool:
            for key, value in zip(missing, pool.map(lambda k: fingerprint(*k), missing), strict=True):
                self._known[key] = value

    def get(self, finding: Finding) -> str:
        """The fingerprint of one finding (computed now if :meth:`prepare` did not see it)."""
        key = _key(finding)
        value = self._known.get(key)
        if value is None:
            value = self._known[key] = fingerprint(*key)
        return value
