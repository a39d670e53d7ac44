"""The analyzers' YAML loader (``scan/analyzers/_yaml_lines.py``): merge keys, scalars as written, tags kept
only when written, places in the source."""

from __future__ import annotations

import pytest

from autoaudit_secrets.scan.analyzers._yaml_lines import YamlDocument, YMap, YScalar, YSeq, load_yaml


def _doc(text: str) -> YamlDocument:
    doc = load_yaml(text)
    assert doc is not None
    return doc


def _root(text: str) -> YMap:
    [root] = _doc(text).roots
    assert isinstance(root, YMap)
    return root


def _pairs(node: YMap | None) -> list[tuple[str, str]]:
    assert node is not None
    return [(k.value, v.value if isinstance(v, YScalar) else type(v).__name__) for k, v in node.items]


def test_a_plain_merge_key_merges_and_the_own_keys_win() -> None:
    root = _root("base: &b {a: 1, b: 2}\nchild:\n  <<: *b\n  b: 3\n")
    assert _pairs(root.get_map("child")) == [("b", "3"), ("a", "1")]


def test_a_list_of_merged_maps_and_an_explicit_merge_tag() -> None:
    root = _root("x: &x {a: 1}\ny: &y {a: 2, c: 3}\nz:\n  <<: [*x, *y]\nw:\n  !!merge <<: *y\n")
    assert _pairs(root.get_map("z")) == [("a", "1"), ("c", "3")]
    assert _pairs(root.get_map("w")) == [("a", "2"), ("c", "3")]


@pytest.mark.parametrize("key", ["'<<'", '"<<"', "!!str <<"])
def test_a_quoted_or_tagged_merge_sign_is_an_ordinary_key(key: str) -> None:
    assert _pairs(_root(f"{key}: {{a: 1}}\nb: 2\n")) == [("<<", "YMap"), ("b", "2")]


def test_scalars_are_text_as_written_and_keep_only_written_tags() -> None:
    root = _root("a: 3\nb: true\nc: !!str 4\nd: !reference [.setup, script]\ne: ~\n")
    values = {k.value: v for k, v in root.items}
    assert [(values[k].value, values[k].tag) for k in "abc"] == [  # type: ignore[union-attr]
        ("3", ""),
        ("true", ""),
        ("4", "tag:yaml.org,2002:str"),
    ]
    assert isinstance(values["d"], YSeq) and [i.value for i in values["d"].items] == [  # type: ignore[union-attr]
        ".setup",
        "script",
    ]
    assert values["e"].value == "~"  # type: ignore[union-attr]


def test_an_alias_shares_the_converted_node() -> None:
    root = _root("a: &s [1, 2]\nb: *s\n")
    assert root.get("a") is root.get("b")


def test_places_in_the_source() -> None:
    text = "jobs:\n  build:\n    steps:\n      - run: |\n          echo one\n          echo two\n"
    doc = _doc(text)
    [root] = doc.roots
    assert isinstance(root, YMap)
    steps = root.get_map("jobs").get_map("build").get("steps")  # type: ignore[union-attr]
    assert isinstance(steps, YSeq) and isinstance(steps.items[0], YMap)
    script = steps.items[0].get_scalar("run")
    assert script is not None and script.value == "echo one\necho two\n"
    span = doc.locate(script, script.value.index("two"), "two")
    assert (span.line, span.column, span.end_line, span.end_column) == (6, 16, 6, 19)
    assert doc.position(len(text)) == (7, 1)


def test_not_yaml_is_none() -> None:
    assert load_yaml("a: [1\n") is None
    assert load_yaml("a: b\n c: d\n") is None


def test_scalars_are_whole_yscalars() -> None:
    """The loader sets a scalar's slots itself (not through __init__): every field, equal to the same YScalar
    made the ordinary way, immutable, hashable."""
    import dataclasses

    from autoaudit_secrets.scan.analyzers import _yaml_lines

    setters = {name[len("_set_") :] for name in vars(_yaml_lines) if name.startswith("_set_")}
    assert setters == {f.name for f in dataclasses.fields(YScalar)}
    [root] = _doc("key: 'a value'\n").roots
    assert isinstance(root, YMap)
    [(key, value)] = root.items
    assert value == YScalar("a value", "'", 5, 14, 1, 6, "")
    assert key == YScalar("key", key.style, 0, 3, 1, 1, "")  # (plain: "" from libyaml, None from PyYAML)
    assert hash(value) == hash(YScalar("a value", "'", 5, 14, 1, 6, ""))
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.value = "x"  # type: ignore[misc]
