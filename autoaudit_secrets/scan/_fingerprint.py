"""Stable, non-reversible finding fingerprints, at a cost proportional to the risk.

A fingerprint identifies *this secret of this rule in this file*, whatever line it sits on, so it survives
code moving around. It is published (JSON ``fingerprint``, SARIF ``partialFingerprints``) and is the input
of baseline entries, so it must not let anyone holding a report test guesses of the secret cheaply.

Scheme ``checkSecretsFingerprint/v2`` decides by the value itself:

* **High-entropy values** (at least 80 bits by the value's own estimate, :func:`estimated_bits`: its length
  times its Shannon entropy per character, and at least two character classes — a random token, not a
  passphrase of one class): a fast keyed hash, ``HMAC-SHA256(key = "check-secrets/fp2" NUL rule-id NUL path,
  message = secret)`` truncated to 128 bits. Guessing 80 bits is out of reach however fast each guess is, so
  the slow hash would buy nothing; the key binds the fingerprint to rule and path as a salt does.
* **Everything else** (passwords, short or human-chosen values, anything under 80 bits): the memory-hard
  ``scrypt(secret, salt="check-secrets/fp1" NUL rule NUL path, N=2**13, r=8, p=1)`` truncated to 128 bits —
  the v1 scheme, unchanged, so such fingerprints are the same as before. Each guess costs an attacker 8 MiB
  and ~20 ms of a core; it slows a dictionary attack down, it does not make a weak password safe.

So a report with thousands of token findings costs milliseconds, and only the few low-entropy findings pay
the slow hash — computed once per distinct (rule, path, secret), in the scan's worker processes when the
scan has them (:func:`fingerprint` is module-level and picklable), else on a thread pool (``hashlib.scrypt``
releases the GIL). No project key is needed, so fingerprints are identical on every machine and CI run.

:func:`legacy_fingerprint` is scheme v1 (scrypt for every value), kept to match version-1 baselines.
Findings without a secret value (a sensitive file as a whole) are fingerprinted from rule and path alone.
A finding in a git commit or tag message has no path: ``NUL commit-message`` or ``NUL tag-message`` stands for
it (no file path holds a NUL), so such a fingerprint never equals a file's and does not change when the
history is rewritten (see :class:`~._model.MessageOrigin`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping

from ._model import Finding

__all__ = [
    "FAST_HASH_MIN_BITS",
    "FINGERPRINT_SCHEME",
    "LEGACY_FINGERPRINT_SCHEME",
    "FingerprintCache",
    "estimated_bits",
    "fingerprint",
    "fingerprint_all",
    "keyed_hash",
    "legacy_fingerprint",
]

#: Name and version of the scheme; the SARIF ``partialFingerprints`` key. Changing anything below changes
#: fingerprints: bump the scheme.
FINGERPRINT_SCHEME = "checkSecretsFingerprint/v2"
#: Scheme v1 (scrypt for every value), still used to match version-1 baselines.
LEGACY_FINGERPRINT_SCHEME = "checkSecretsFingerprint/v1"
#: Values estimated at this many bits or more get the fast keyed hash.
FAST_HASH_MIN_BITS = 80.0

_SALT_PREFIX = b"check-secrets/fp1\x00"
_FAST_KEY_PREFIX = b"check-secrets/fp2\x00"
_SCRYPT_N = 2**13
_SCRYPT_R = 8
_SCRYPT_P = 1
_DIGEST_BYTES = 16


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def estimated_bits(secret: str) -> float:
    """The value's own estimate of its entropy: length x Shannon entropy per character, or 0 for a value of a
    single character class (lower-case words, digits: a passphrase or a PIN is far weaker than its letter
    statistics say)."""
    if not secret:
        return 0.0
    classes = (
        any(c.islower() for c in secret)
        + any(c.isupper() for c in secret)
        + any(c.isdigit() for c in secret)
        + any(not c.isalnum() for c in secret)
    )
    if classes < 2:
        return 0.0
    total = len(secret)
    # sum over characters of -n*log2(n/total) = total*log2(total) - sum n*log2(n)
    return total * math.log2(total) - sum(n * math.log2(n) for n in Counter(secret).values())


def legacy_fingerprint(rule_id: str, path: str, secret: str) -> str:
    """Scheme v1: the salted scrypt of any value (what version-1 baselines hold)."""
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


def _is_fast(secret: str) -> bool:
    return not secret or estimated_bits(secret) >= FAST_HASH_MIN_BITS


def _fast_fingerprint(rule_id: str, path: str, secret: str) -> str:
    key = _FAST_KEY_PREFIX + _encode(rule_id) + b"\x00" + _encode(path)
    return hmac.new(key, _encode(secret), hashlib.sha256).digest()[:_DIGEST_BYTES].hex()


def fingerprint(rule_id: str, path: str, secret: str) -> str:
    """A finding's fingerprint: 32 hex digits, independent of line and column (see the module docstring)."""
    if not _is_fast(secret):
        return legacy_fingerprint(rule_id, path, secret)
    return _fast_fingerprint(rule_id, path, secret)


def keyed_hash(key: bytes, fingerprint_hex: str) -> str:
    """HMAC-SHA256 of a fingerprint under a baseline's own key (64 hex digits)."""
    return hmac.new(key, fingerprint_hex.encode("ascii"), hashlib.sha256).hexdigest()


def _key(finding: Finding) -> tuple[str, str, str]:
    # a finding in a git message has no path: its kind of message stands for it (see MessageOrigin)
    origin = finding.git_message
    return (finding.rule_id, finding.path if origin is None else origin.fingerprint_path, finding.secret)


class FingerprintCache:
    """Computes fingerprints once per distinct (rule, path, secret), the slow ones in parallel, and remembers
    them; :meth:`add` takes the ones a scan's worker processes computed already.

    One cache belongs to one command run; it is passed explicitly to whoever needs fingerprints.
    ``legacy=True`` computes scheme v1 instead (for a version-1 baseline)."""

    def __init__(self, *, jobs: int = 0) -> None:
        self._jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self._known: dict[tuple[str, str, str], str] = {}
        self._legacy: dict[tuple[str, str, str], str] = {}

    def prepare(self, findings: Iterable[Finding], *, legacy: bool = False) -> None:
        """Compute the fingerprints of ``findings`` not seen yet (the slow ones in parallel)."""
        known = self._legacy if legacy else self._known
        function = legacy_fingerprint if legacy else fingerprint
        missing: dict[tuple[str, str, str], None] = {}
        for finding in findings:
            key = _key(finding)
            if key in known:
                continue
            if not legacy and _is_fast(finding.secret):
                known[key] = _fast_fingerprint(*key)
            else:
                missing[key] = None
        if not missing:
            return
        slow = list(missing)
        if len(slow) == 1 or self._jobs == 1:
            for key in slow:
                known[key] = function(*key)
            return
        from concurrent.futures import ThreadPoolExecutor  # lazy: costs start-up time of every scan

        with ThreadPoolExecutor(max_workers=min(self._jobs, len(slow))) as pool:
            for key, value in zip(slow, pool.map(lambda k: function(*k), slow), strict=True):
                known[key] = value

    def get(self, finding: Finding, *, legacy: bool = False) -> str:
        """The fingerprint of one finding (computed now if :meth:`prepare` did not see it)."""
        key = _key(finding)
        known = self._legacy if legacy else self._known
        value = known.get(key)
        if value is None:
            value = known[key] = (legacy_fingerprint if legacy else fingerprint)(*key)
        return value

    def add(self, computed: Mapping[tuple[str, str, str], str]) -> None:
        """Take fingerprints computed elsewhere (a scan's worker processes), keyed by (rule, path, secret)."""
        self._known.update(computed)


def fingerprint_all(findings: Iterable[Finding]) -> dict[tuple[str, str, str], str]:
    """The fingerprints of ``findings`` that need the slow hash, keyed by (rule, path, secret): what a scan
    worker computes for its own findings (the fast ones cost nothing wherever they are computed)."""
    out: dict[tuple[str, str, str], str] = {}
    for finding in findings:
        key = _key(finding)
        if key not in out and not _is_fast(finding.secret):
            out[key] = fingerprint(*key)
    return out
