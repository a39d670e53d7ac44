"""Rewrite the packaged rule index, ``scan/rules/data/index.py``, from the rule data files:

    python -m autoaudit_secrets.scan.rules._index

Run it after editing a rule file (``make rules-index``; ``make docs`` runs it too). Until then every run
parses and validates the data files instead of loading the index, and ``tests/scan/test_rules_registry.py``
fails.
"""

from __future__ import annotations

import sys

from ..._errors import RuleError
from ._registry import write_index


def main() -> int:
    try:
        path = write_index()
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
