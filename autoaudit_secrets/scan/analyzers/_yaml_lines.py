"""A YAML loader that keeps where every scalar came from, for analyzers that must point at a physical line.

PyYAML's *compose* stage yields nodes with start/end marks and never constructs Python objects, so unknown
tags (GitLab's ``!reference``, CloudFormation's ``!Ref``) do not stop it. This module turns those nodes into
three small immutable types — :class:`YScalar`, :class:`YMap`, :class:`YSeq` — resolving ``<<`` merge
keys, and maps a substring of a scalar's value back to its line and column in the source (block scalars
included).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

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
    tag: str = ""

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
        self._line_starts = [0]
        index = text.find("\n")
        while index >= 0:
            self._line_starts.append(index + 1)
            index = text.find("\n", index + 1)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return line_index + 1, offset - self._line_starts[line_index] + 1

    def _line_text(self, line: int) -> tuple[int, str]:
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
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

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        nodes = list(yaml.compose_all(text, Loader=loader_cls))
    except (yaml.YAMLError, ValueError, RecursionError):
        return None
    builder = _Builder()
    roots = [builder.convert(node, 0) for node in nodes if node is not None]
    return YamlDocument(text, roots)


class _Builder:
    """Converts composed nodes; aliases share the converted value; recursion is cut at a fixed depth."""

    def __init__(self) -> None:
        self._memo: dict[int, YNode] = {}

    def convert(self, node: object, depth: int) -> YNode:
        import yaml

        memo = self._memo.get(id(node))
        if memo is not None:
            return memo
        if depth > _MAX_DEPTH:
            return YSeq((), 1, 1)
        result: YNode
        if isinstance(node, yaml.ScalarNode):
            result = YScalar(
                value=str(node.value),
                style=node.style,
                start=node.start_mark.index,
                end=node.end_mark.index,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                tag=str(node.tag or ""),
            )
        elif isinstance(node, yaml.SequenceNode):
            result = YSeq(
                tuple(self.convert(item, depth + 1) for item in node.value),
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        elif isinstance(node, yaml.MappingNode):
            result = self._mapping(node, depth)
        else:  # pragma: no cover - compose yields only the three node kinds
            result = YSeq((), 1, 1)
        self._memo[id(node)] = result
        return result

    def _mapping(self, node: object, depth: int) -> YMap:
        import yaml

        assert isinstance(node, yaml.MappingNode)
        own: list[tuple[YScalar, YNode]] = []
        merged: list[tuple[YScalar, YNode]] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            if key_node.tag == _MERGE_TAG or (key_node.value == "<<" and key_node.style is None):
                value = self.convert(value_node, depth + 1)
                sources = value.items if isinstance(value, YSeq) else (value,)
                for source in sources:
                    if isinstance(source, YMap):
                        merged.extend(source.items)
                continue
            key = self.convert(key_node, depth + 1)
            assert isinstance(key, YScalar)
            own.append((key, self.convert(value_node, depth + 1)))
        names = {k.value for k, _ in own}
        for k, v in merged:
            if k.value not in names:
                own.append((k, v))
                names.add(k.value)
        return YMap(tuple(own), node.start_mark.line + 1, node.start_mark.column + 1)
