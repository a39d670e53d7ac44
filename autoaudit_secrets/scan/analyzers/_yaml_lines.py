"""A YAML loader that keeps where every scalar came from, for analyzers that must point at a physical line.

PyYAML's *compose* stage yields nodes with start/end marks and never constructs Python objects, so unknown
tags (GitLab's ``!reference``, CloudFormation's ``!Ref``) do not stop it. This module turns those nodes into
three small immutable types — :class:`YScalar`, :class:`YMap`, :class:`YSeq` — resolving ``<<`` merge
keys, and maps a substring of a scalar's value back to its line and column in the source (block scalars
included).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Span", "YMap", "YNode", "YScalar", "YSeq", "YamlDocument", "load_yaml"]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class Span:
    """A place in the source: 1-based lines and columns; the end column is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar as written: its text (always a string, even for ``true`` or ``3``), style and source
    offsets."""

    value: str
    style: str | None  # None (plain), "'", '"', "|" or ">"
    start: int  # character offset of the node in the source
    end: int
    line: int  # 1-based
    column: int  # 1-based
    tag: str = ""  # a tag written in the source (`!reference`, `!!str`), else ""

    @property
    def is_null(self) -> bool:
        """True for an empty plain scalar or ``~``/``null`` (``KEY:`` with nothing after it)."""
        return self.style is None and self.value in {"", "~", "null", "Null", "NULL"}


@dataclass(frozen=True, slots=True)
class YSeq:
    """A sequence; ``line`` is where it starts."""

    items: tuple[YNode, ...]
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping with scalar keys, in source order, merge keys (``<<``) resolved. Non-scalar keys are
    dropped."""

    items: tuple[tuple[YScalar, YNode], ...]
    line: int
    column: int

    def get(self, key: str) -> YNode | None:
        """The value under ``key``, or None."""
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def get_map(self, key: str) -> YMap | None:
        value = self.get(key)
        return value if isinstance(value, YMap) else None

    def get_scalar(self, key: str) -> YScalar | None:
        value = self.get(key)
        return value if isinstance(value, YScalar) else None

    def entries(self) -> Iterator[tuple[str, YNode]]:
        for k, v in self.items:
            yield k.value, v


YNode = YScalar | YSeq | YMap


class YamlDocument:
    """Every document of one YAML stream, plus the source for turning offsets into lines and columns."""

    def __init__(self, text: str, roots: list[YNode]) -> None:
        self.text = text
        self.roots = roots
        self._starts: list[int] | None = None  # of the lines, worked out when a finding is placed

    @property
    def _line_starts(self) -> list[int]:
        starts = self._starts
        if starts is None:
            text = self.text
            starts = [0]
            index = text.find("\n")
            while index >= 0:
                starts.append(index + 1)
                index = text.find("\n", index + 1)
            self._starts = starts
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self._line_starts
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(starts, offset) - 1
        return line_index + 1, offset - starts[line_index] + 1

    def _line_text(self, line: int) -> tuple[int, str]:
        starts = self._line_starts
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return start, self.text[start:end]

    def locate(self, scalar: YScalar, value_offset: int, needle: str) -> Span:
        """Where ``needle``, found at ``value_offset`` in ``scalar.value``, is written in the source.

        Literal block scalars (``|``) keep their lines, so the physical line is computed exactly; other styles
        are searched in the node's raw text. When the needle cannot be found as written (escapes in a
        double-quoted string, folding), the scalar's own start is returned.
        """
        if scalar.style == "|":
            line_in_value = scalar.value.count("\n", 0, value_offset)
            header_line, _ = self.position(scalar.start)
            line = header_line + 1 + line_in_value
            if line <= len(self._line_starts):
                line_start, line_text = self._line_text(line)
                col = line_text.find(needle)
                if col >= 0:
                    return self._span_at(line_start + col, needle)
        raw = self.text[scalar.start : scalar.end]
        found = raw.find(needle, max(0, min(value_offset, len(raw))))
        if found < 0:
            found = raw.find(needle)
        if found >= 0:
            return self._span_at(scalar.start + found, needle)
        return Span(scalar.line, scalar.column, scalar.line, scalar.column + 1)

    def _span_at(self, offset: int, needle: str) -> Span:
        line, column = self.position(offset)
        end_line, end_column = self.position(offset + len(needle))
        return Span(line, column, end_line, end_column)

    def span_of(self, node: YNode) -> Span:
        """The start of a node (its first character), as a one-character span."""
        return Span(node.line, node.column, node.line, node.column + 1)


def load_yaml(text: str) -> YamlDocument | None:
    """Compose every document of ``text``; None when it is not valid YAML (the caller then reports
    nothing)."""
    import yaml  # lazy: only analyzers of YAML files need it

    try:
        nodes = list(yaml.compose_all(text, Loader=_loader()))
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    builder = _Builder(yaml)
    roots = [builder.convert(node, 0) for node in nodes if node is not None]
    return YamlDocument(text, roots)


@functools.cache
def _loader() -> type:
    """PyYAML's (C) safe loader without implicit tag resolution: a node keeps only a tag written in the
    source, and a plain ``<<`` its merge tag. Nothing reads the other implicit ones (``3`` is an int, ``true``
    a bool: a :class:`YScalar` is text as written), and resolving them — a Python call and a few regular
    expressions per node — cost a quarter of composing a workflow."""
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalar_node = yaml.ScalarNode

    class _Loader(base):  # type: ignore[misc]
        def resolve(self, kind: object, value: object, implicit: tuple[bool, bool]) -> str:
            # (a plain "<<" is the one implicit tag that matters: PyYAML's own resolver's merge key)
            return _MERGE_TAG if value == "<<" and implicit[0] and kind is scalar_node else ""

        def descend_resolver(self, current_node: object, current_index: object) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    return _Loader


# A composed scalar's YScalar is made with its slots set directly: the frozen dataclass's __init__ (an
# object.__setattr__ call per field) was a fifth of converting a workflow. (A test checks that these are all
# of YScalar's fields.)
_new_object = object.__new__
_set_value = YScalar.__dict__["value"].__set__
_set_style = YScalar.__dict__["style"].__set__
_set_start = YScalar.__dict__["start"].__set__
_set_end = YScalar.__dict__["end"].__set__
_set_line = YScalar.__dict__["line"].__set__
_set_column = YScalar.__dict__["column"].__set__
_set_tag = YScalar.__dict__["tag"].__set__


def _scalar(node: Any, mark: Any) -> YScalar:
    """``YScalar(value, style, start, end, line, column, tag)`` of a composed scalar node (``mark``: where it
    starts)."""
    scalar: YScalar = _new_object(YScalar)
    _set_value(scalar, str(node.value))
    _set_style(scalar, node.style)
    _set_start(scalar, mark.index)
    _set_end(scalar, node.end_mark.index)
    _set_line(scalar, mark.line + 1)
    _set_column(scalar, mark.column + 1)
    _set_tag(scalar, str(node.tag or ""))
    return scalar


class _Builder:
    """Converts composed nodes; aliases share the converted value; recursion is cut at a fixed depth."""

    def __init__(self, yaml: Any) -> None:
        self._memo: dict[int, YNode] = {}
        self._scalar_node: Any = yaml.ScalarNode
        self._sequence_node: Any = yaml.SequenceNode
        self._mapping_node: Any = yaml.MappingNode

    def convert(self, node: Any, depth: int) -> YNode:
        memo = self._memo.get(id(node))
        if memo is not None:
            return memo
        if depth > _MAX_DEPTH:
            return YSeq((), 1, 1)
        result: YNode
        mark = node.start_mark
        if isinstance(node, self._scalar_node):
            result = _scalar(node, mark)
        elif isinstance(node, self._mapping_node):
            result = self._mapping(node, depth)
        elif isinstance(node, self._sequence_node):
            convert = self.convert
            result = YSeq(
                tuple([convert(item, depth + 1) for item in node.value]), mark.line + 1, mark.column + 1
            )
        else:  # pragma: no cover - compose yields only the three node kinds
            result = YSeq((), 1, 1)
        self._memo[id(node)] = result
        return result

    def _mapping(self, node: Any, depth: int) -> YMap:
        convert = self.convert
        scalar_node = self._scalar_node
        own: list[tuple[YScalar, YNode]] = []
        merged: list[tuple[YScalar, YNode]] | None = None
        inner = depth + 1
        for key_node, value_node in node.value:
            if not isinstance(key_node, scalar_node):
                continue
            if key_node.tag == _MERGE_TAG or (key_node.value == "<<" and key_node.style is None):
                value = convert(value_node, inner)
                sources = value.items if isinstance(value, YSeq) else (value,)
                if merged is None:
                    merged = []
                for source in sources:
                    if isinstance(source, YMap):
                        merged.extend(source.items)
                continue
            key = convert(key_node, inner)
            assert isinstance(key, YScalar)
            own.append((key, convert(value_node, inner)))
        if merged:
            names = {k.value for k, _ in own}
            for k, v in merged:
                if k.value not in names:
                    own.append((k, v))
                    names.add(k.value)
        mark = node.start_mark
        return YMap(tuple(own), mark.line + 1, mark.column + 1)
