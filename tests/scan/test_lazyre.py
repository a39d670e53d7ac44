"""LazyRegex: compiled on first use, and a value like any other (copied, pickled for spawn workers)."""

from __future__ import annotations

import copy
import pickle
import re

import pytest

from autoaudit_secrets.scan.engine._lazyre import LazyRegex


@pytest.mark.parametrize("used", [False, True])
def test_pickles_and_copies_as_its_recipe(used: bool) -> None:
    lazy = LazyRegex(r"key-(\d+)", re.IGNORECASE)
    if used:
        assert lazy.search("x KEY-12")
    for twin in (pickle.loads(pickle.dumps(lazy)), copy.copy(lazy), copy.deepcopy(lazy)):
        assert isinstance(twin, LazyRegex)
        m = twin.search("x KEY-12 y")
        assert m is not None and m.group(1) == "12"
        assert twin.pattern == r"key-(\d+)" and twin.flags & re.IGNORECASE


def test_unknown_attributes_are_attribute_errors() -> None:
    lazy = LazyRegex("a")
    with pytest.raises(AttributeError):
        lazy.no_such_thing  # noqa: B018
    assert not hasattr(lazy, "__no_such_dunder__")
