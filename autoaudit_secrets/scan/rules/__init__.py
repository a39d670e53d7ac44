"""The built-in detection rules (TOML records under ``data/``) and their loader."""

from __future__ import annotations

from ._registry import DATA_DIR, load_rules, parse_rule_table

__all__ = ["DATA_DIR", "load_rules", "parse_rule_table"]
