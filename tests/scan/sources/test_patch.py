"""The patch parser's pieces on their own (the parser itself is tested on real git output in
``tests/scan/test_git_reader.py``)."""

from __future__ import annotations

import random

from autoaudit_secrets.scan.sources._patch import LineRanges


def test_line_ranges_behave_as_the_set_of_their_numbers() -> None:
    rnd = random.Random(3)
    for _ in range(500):
        runs: list[tuple[int, int]] = []
        line = rnd.randint(1, 5)
        for _ in range(rnd.randint(0, 6)):
            count = rnd.randint(1, 4)
            runs.append((line, count))
            line += count + rnd.randint(0, 3)
        expected = {n for first, count in runs for n in range(first, first + count)}
        rnd.shuffle(runs)  # in whatever order the runs come
        ranges = LineRanges(runs)
        assert ranges == expected and expected == ranges
        assert list(ranges) == sorted(expected) and len(ranges) == len(expected)
        assert bool(ranges) == bool(expected)
        for number in range(0, line + 3):
            assert (number in ranges) == (number in expected), (runs, number)
        assert "3" not in ranges and None not in ranges
