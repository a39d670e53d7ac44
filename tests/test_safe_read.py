"""head_and_tail and read_stream: the two parts of a stream too large to scan whole, with the line numbers
they start at."""

from __future__ import annotations

import io
import random

import pytest

from autoaudit_secrets._safe_read import head_and_tail, read_stream


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


@pytest.mark.parametrize("seed", range(200))
def test_a_stream_of_unknown_length_gives_the_parts_a_file_of_its_size_gives(seed: int) -> None:
    """read_stream (standard input: no size known) agrees with head_and_tail given the size, whatever
    short reads the stream makes; a stream within the limit is read whole."""
    rng = random.Random(seed)
    lines = [f"{i}:" + "y" * rng.randrange(0, 300) for i in range(rng.randrange(0, 400))]
    data = ("\n".join(lines) + ("\n" if rng.random() < 0.5 else "")).encode()
    limit = max(rng.choice([1, 2, 3, rng.randrange(4, 9000), len(data), len(data) - 1, len(data) + 1]), 1)
    stream = io.BytesIO(data)

    def short_reads(n: int) -> bytes:
        return stream.read(min(n, rng.randrange(1, 5000)))

    half = max(limit // 2, 1)  # as files are read (scan.engine._scanner._read_regular)
    expected = [(data, 0)] if len(data) <= limit else head_and_tail(io.BytesIO(data).read, len(data), half)
    assert read_stream(short_reads, limit) == expected
    assert read_stream(io.BytesIO(data).read, None) == [(data, 0)]
