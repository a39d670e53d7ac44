"""head_and_tail: the two parts of a stream too large to scan whole, with the line numbers they start at."""

from __future__ import annotations

import io
import random

import pytest

from autoaudit_secrets._safe_read import head_and_tail


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("already_read", [0, 10, 5000])
def test_parts_are_whole_lines_at_their_real_line_numbers(seed: int, already_read: int) -> None:
    rng = random.Random(seed)
    lines = [f"{i}:" + "x" * rng.randrange(0, 300) for i in range(rng.randrange(1, 400))]
    data = ("\n".join(lines) + ("\n" if rng.random() < 0.5 else "")).encode()
    chunk = rng.randrange(50, 4000)
    stream = io.BytesIO(data)
    first = stream.read(already_read)
    parts = head_and_tail(stream.read, len(data), chunk, first)
    head, before = parts[0]
    assert before == 0 and data.startswith(head) and len(head) <= max(chunk, len(first))
    assert head.endswith(b"\n") or b"\n" not in data[: max(chunk, len(first))] or head == data
    for tail, newlines in parts[1:]:
        assert data.endswith(tail) and len(tail) <= chunk
        start = len(data) - len(tail)
        assert data.count(b"\n", 0, start) == newlines  # the line number the tail starts at
        # from a line start, unless one line is longer than the part (then the part is that line's end)
        assert start == 0 or data[start - 1 : start] == b"\n" or b"\n" not in tail[:-1]
