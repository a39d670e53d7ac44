"""The indented JSON writer gives exactly ``json.dumps(indent=2, ensure_ascii=False)``'s text."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoaudit_secrets.scan.report import dump_json
from autoaudit_secrets.scan.report._jsonwrite import indented_json

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # (lone surrogates, control characters, quotes and non-ASCII included)
)
_keys = st.text() | st.integers() | st.floats() | st.booleans() | st.none()
_documents = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=5) | st.tuples(inner, inner) | st.dictionaries(_keys, inner, max_size=5)
    ),
    max_leaves=40,
)


def _stdlib(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


@settings(max_examples=600, deadline=None)
@given(_documents)
def test_same_text_as_the_standard_library(document: Any) -> None:
    assert indented_json(document) == _stdlib(document)


class _Colour(enum.StrEnum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_str_and_int_are_written_by_value_as_the_standard_library_writes_them() -> None:
    document = {"colour": _Colour.RED, "level": _Level.HIGH, _Level.HIGH: [_Colour.RED]}
    assert indented_json(document) == _stdlib(document)
    assert '"colour": "red"' in indented_json(document)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0, 1e300, 0.1])
def test_special_floats(value: float) -> None:
    assert indented_json({"x": [value]}) == _stdlib({"x": [value]})


def test_unknown_types_are_left_to_the_standard_library_and_its_error() -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        indented_json({"a": [1, {2}]})
    with pytest.raises(TypeError, match="keys must be"):
        indented_json({(1, 2): 1})


def test_a_cycle_is_the_standard_library_error_not_a_crash() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        indented_json(loop)


def test_nesting_deeper_than_the_cached_indents() -> None:
    deep: Any = "leaf"
    for _ in range(60):
        deep = {"k": [deep]}
    assert indented_json(deep) == _stdlib(deep)


def test_dump_json_still_escapes_lone_surrogates_so_reports_stay_utf8() -> None:
    name = b"bad\xffname".decode("utf-8", "surrogateescape")
    text = dump_json({"path": name})
    text.encode("utf-8")  # valid UTF-8
    assert json.loads(text)["path"] == name
