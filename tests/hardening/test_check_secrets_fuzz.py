"""Property tests: whatever bytes a configuration, a baseline or a scanned file holds, check-secrets answers
with a result or a one-line error (exit 0, 1 or 2), never a traceback.

The parsers are driven in-process (hundreds of cases); a handful of cases go through the real CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autoaudit_secrets._errors import AutoauditSecretsError
from autoaudit_secrets.scan._baseline import load_baseline
from autoaudit_secrets.scan._config import CONFIG_KEYS, ConfigSource, parse_config_table, read_config_file
from tests.conftest import run_cli

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.one_of(st.sampled_from(sorted(CONFIG_KEYS)), st.text(max_size=12))
_rule_keys = st.sampled_from(
    ["id", "name", "description", "remediation", "pattern", "keywords", "examples", "severity", "x"]
)
_rule_tables = st.dictionaries(_rule_keys, _values, max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_keys, _values, max_size=6),
    st.one_of(st.none(), st.lists(_rule_tables, max_size=3)),
)
def test_any_config_table_is_accepted_or_one_config_error(table: dict[str, Any], rules: Any) -> None:
    if rules is not None:
        table = {**table, "rules": rules}
    try:
        parse_config_table(table, ConfigSource(Path("cfg.toml"), ""))
    except AutoauditSecretsError as exc:
        message = str(exc)
        assert message.startswith("cfg.toml"), message
        assert "\n" not in message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_any_bytes_as_config_file_is_read_or_one_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / ".check-secrets.toml"
    path.write_bytes(data)
    try:
        table, source = read_config_file(path)
        parse_config_table(table, source)
    except AutoauditSecretsError as exc:
        assert "\n" not in str(exc)


_baseline_like = st.fixed_dictionaries(
    {},
    optional={
        "format": st.one_of(st.just("check-secrets-baseline"), _scalars),
        "version": st.one_of(st.just(1), _scalars),
        "hash": st.one_of(st.just("hmac-sha256(key, fingerprint)"), _scalars),
        "key": st.one_of(st.just("ab" * 32), _scalars),
        "findings": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "hash": st.one_of(st.just("cd" * 32), _scalars),
                        "rule": _values,
                        "path": _values,
                        "line": _values,
                    },
                ),
                max_size=3,
            ),
            _values,
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(_baseline_like.map(json.dumps), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_any_document_as_baseline_loads_or_is_one_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text, encoding="utf-8")
    try:
        load_baseline(path)
    except AutoauditSecretsError as exc:
        assert "\n" not in str(exc)


def _cs(cwd: Path, *args: str) -> Any:
    try:
        return run_cli("check-secrets", *args, cwd=cwd, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("check-secrets hung", pytrace=False)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=st.binary(max_size=200), baseline=st.binary(max_size=200), content=st.binary(max_size=400))
def test_cli_on_arbitrary_bytes_exits_0_1_or_2_without_traceback(
    tmp_path: Path, config: bytes, baseline: bytes, content: bytes
) -> None:
    case = tmp_path / f"case{os.urandom(4).hex()}"
    case.mkdir()
    (case / "cfg.toml").write_bytes(config)
    (case / "base.json").write_bytes(baseline)
    (case / "file.bin").write_bytes(content)
    for args in (
        ("scan", "file.bin"),
        ("scan", "file.bin", "--config", "cfg.toml"),
        ("scan", "file.bin", "--baseline", "base.json", "--format", "sarif"),
    ):
        result = _cs(case, *args)
        assert result.returncode in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        if result.returncode == 2:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
