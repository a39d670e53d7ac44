"""A scan of this Python's standard library finds no error-level secret except the private keys of its own
test certificate data (``test/certdata/*.pem``: 14 findings on CPython 3.11). ``site-packages`` is not part of
the standard library and is excluded. False positives are fixed in the rules and filters, never by
allowlisting files."""

from __future__ import annotations

import sysconfig
from collections import Counter
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, Severity


def test_stdlib_has_no_error_findings_except_test_certificate_keys() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    result = Scanner(ScanConfig(exclude=("site-packages/",))).scan(ScanOptions(root=root, no_ignore=True))
    assert result.stats.files_scanned > 1000
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    unexpected = [
        f"{f.path}:{f.line} {f.rule_id}"
        for f in errors
        if not (f.rule_id.startswith("private-key") and f.path.startswith("test/certdata/"))
    ]
    assert unexpected == []
    # the test certificate keys are real PEM private keys: recall on them is part of the check
    by_rule = Counter(f.rule_id for f in errors)
    assert by_rule["private-key-pem"] >= 10
