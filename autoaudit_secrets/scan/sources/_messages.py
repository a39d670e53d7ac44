"""Commit and annotated tag messages, for ``check-secrets git``: a token pasted into a commit message ("rotate
the key, the old one was ...") or into a tag's message is as public, and as permanent, as one in a file.

One ``git cat-file --batch`` process, running beside the patch stream, is asked for
the raw objects of the scanned commits (every commit of the selection, including those the patch stream
leaves out: merges that change nothing, commits that only delete files or change nothing) and of the
annotated tags, in the history's order; each answer is length-prefixed, so a message can hold anything
(NUL bytes, invalid UTF-8, escape sequences, lines that look like headers) without confusing the reader. The
reader parses the headers it needs (author, tagger, ``encoding``) and hands over each message as text with
its line numbers:

* a message is decoded from its ``encoding`` header (UTF-8 when there is none), odd bytes replaced;
* of a message larger than :data:`MESSAGE_MAX` bytes only the first and the last :data:`MESSAGE_MAX` / 2 bytes
  are kept (the tail from its first whole line), the lines between counted, so line numbers stay right; the
  rest is read past, never held. Such a message is marked ``truncated`` (the scan counts it in
  ``ScanStats.messages_truncated``, and the reports say so), as is one whose headers alone are larger than
  the first half (nothing of its message is read);
* annotated tags: with ``--all`` every annotated tag of any ref; with ``--since``/``--range`` those whose tag
  points at a commit of the selection. A tag's message comes right after the message of the commit it points
  at (a tag of a tag: the commit it comes to in the end); tags of a tree or a blob come last (``--all``
  only).

The scan (``_HistoryScan``) reads a commit's message after the commit's file changes: a secret that a commit
adds to a file and names in its message is reported once, in the file.
"""

from __future__ import annotations

import codecs
import contextlib
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import IO

from ..._errors import ScanError
from .._model import CommitInfo, MessageOrigin

__all__ = [
    "MESSAGE_MAX",
    "GitMessage",
    "MessageReader",
    "TagListing",
    "TagPlan",
    "TagRef",
    "parse_object",
    "plan_tags",
]

#: Bytes of a message scanned, at most: its first and last halves (whole lines) when it is larger.
MESSAGE_MAX = 1024 * 1024
_READ = 1024 * 1024  # bytes read at once when reading past the middle of a huge message


@dataclass(frozen=True, slots=True)
class TagRef:
    """An annotated tag: the tag object's id, its name, and the commit it points at ("" when it points at
    something else)."""

    sha: str
    name: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class TagPlan:
    """The annotated tags whose messages a scan reads: by the commit they point at, and (``--all``) the
    others, read last."""

    by_commit: dict[str, tuple[TagRef, ...]] = field(default_factory=dict)
    loose: tuple[TagRef, ...] = ()

    def part(self, commits: Sequence[str], *, last: bool) -> TagPlan:
        """The tags of some of the commits (a part of a history); the loose ones with the last part."""
        by_commit = self.by_commit
        return TagPlan(
            {sha: by_commit[sha] for sha in commits if sha in by_commit}, self.loose if last else ()
        )


class _Person:
    """A commit's id and its ``author`` header (a tag's: its ``tagger``), parsed when a finding needs it."""

    __slots__ = ("header", "sha")

    def __init__(self, sha: str, header: bytes) -> None:
        self.sha = sha
        self.header = header

    def commit(self) -> CommitInfo:
        email, date = _person(self.header)
        return CommitInfo(self.sha, email, date)


class GitMessage:
    """One message to scan. ``position`` is its commit's index in the order of the history (a tag's: that of
    the commit it points at; a loose tag's: the number of commits); ``data`` is its text as UTF-8 (the raw
    bytes of a UTF-8 message, odd bytes included: what the prefilter looks at). The text and its line
    numbers, the :class:`MessageOrigin` and the commit are worked out when asked for (most messages hold no
    token). ``truncated``: part of the message was not read (larger than the reading cap)."""

    __slots__ = ("_codec", "_parts", "_person", "_pointed", "_tag", "data", "position", "truncated")

    def __init__(
        self,
        position: int,
        parts: list[tuple[bytes, int]],
        codec: str,
        person: _Person,
        tag: TagRef | None = None,
        pointed: _Person | None = None,
        *,
        truncated: bool = False,
    ) -> None:
        self.position = position
        self.truncated = truncated
        self._parts = parts  # (whole lines, the number of the first)
        self._codec = codec
        self._person = person
        self._tag = tag
        self._pointed = pointed
        # (a part ends its last line, as the text does: bytes of two parts never join into one token)
        data = parts[0][0] if len(parts) == 1 else b"\n".join(part.removesuffix(b"\n") for part, _ in parts)
        self.data = data if codec == "utf-8" else _decode(data, codec).encode("utf-8", "surrogatepass")

    def lines(self) -> tuple[str, Sequence[int]]:
        """The text (each line ended by a newline) and the line numbers of its lines (1-based, ascending)."""
        texts: list[str] = []
        numbers: list[int] = []
        for data, first in self._parts:
            text = _decode(data, self._codec)
            if not text.endswith("\n"):
                text += "\n"
            texts.append(text)
            numbers.extend(range(first, first + text.count("\n")))
        return "".join(texts), numbers

    @property
    def origin(self) -> MessageOrigin:
        tag = self._tag
        if tag is None:
            return MessageOrigin("commit", self._person.sha)
        email, date = _person(self._person.header)
        return MessageOrigin("tag", tag.sha, tag.name, email, date)

    @property
    def commit(self) -> CommitInfo | None:
        """The commit (of a tag: the commit it points at; None for a tag of something else)."""
        if self._tag is None:
            return self._person.commit()
        return self._pointed.commit() if self._pointed is not None else None


class TagListing:
    """``git for-each-ref`` of every ref, started at once (it runs while the rules load) and read when needed:
    every annotated tag any ref points at (once each, under its first ref's name)."""

    def __init__(self, root: Path) -> None:
        from ._git import BackgroundGit  # (import here: _git imports this module)

        self._root = root
        self._git = BackgroundGit(root, ["for-each-ref", f"--format={_TAG_FORMAT}"])

    def tags(self) -> list[TagRef]:
        output = self._git.output()
        tags: dict[str, TagRef] = {}
        nested: list[str] = []  # tags of tags (git before 2.45 peels them once only)
        for line in output.decode("utf-8", "replace").splitlines():
            parts = line.split(" ", 4)
            if len(parts) != 5 or parts[0] != "tag" or parts[1] in tags:
                continue
            _, sha, peeled_type, peeled, ref = parts
            tags[sha] = TagRef(sha, ref.removeprefix("refs/tags/"), peeled if peeled_type == "commit" else "")
            if peeled_type == "tag":
                nested.append(sha)
        if nested:
            for sha, commit in zip(nested, _peel_to_commits(self._root, nested), strict=True):
                tags[sha] = TagRef(sha, tags[sha].name, commit)
        return list(tags.values())

    def close(self) -> None:
        self._git.kill()


_TAG_FORMAT = "%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)"


def _peel_to_commits(root: Path, tags: Sequence[str]) -> list[str]:
    """The commit each tag (object id) comes to when peeled to the end, "" for one that comes to something
    else."""
    from ._git import object_kinds

    kinds = object_kinds(root, [f"{sha}^{{commit}}" for sha in tags])
    return [sha if kind == "commit" else "" for sha, kind in kinds]


def plan_tags(root: Path | TagListing, commits: Sequence[str], *, every: bool) -> TagPlan:
    """The tags to read with ``commits`` (a selection's, in order): those pointing at one of them; with
    ``every`` (``--all``) the others as well, last. ``root``: the repository, or its :class:`TagListing`."""
    known = set(commits)
    by_commit: dict[str, list[TagRef]] = {}
    loose: list[TagRef] = []
    listing = root if isinstance(root, TagListing) else TagListing(root)
    for tag in listing.tags():
        if tag.target in known:
            by_commit.setdefault(tag.target, []).append(tag)
        elif every:
            loose.append(tag)
    return TagPlan({sha: tuple(tags) for sha, tags in by_commit.items()}, tuple(loose))


# ------------------------------------------------------------------------------------------- raw objects


def _iso_date(seconds: bytes, zone: bytes) -> str:
    """A git timestamp and zone (``1700000000 +0100``) as ``git log --format=%aI`` writes it; "" when it is
    not one."""
    try:
        if len(zone) != 5 or zone[:1] not in (b"+", b"-") or not zone[1:].isdigit():
            return ""
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        tz = timezone(-offset if zone[:1] == b"-" else offset)
        return datetime.fromtimestamp(int(seconds), tz).isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


def _person(value: bytes) -> tuple[str, str]:
    """The e-mail address and ISO date of an ``author``/``tagger`` header (``Name <email> time zone``)."""
    start = value.rfind(b"<")
    end = value.find(b">", start + 1)
    if start < 0 or end < 0:
        return "", ""
    email = value[start + 1 : end].decode("utf-8", "replace")
    rest = value[end + 1 :].split()
    return email, _iso_date(rest[0], rest[1]) if len(rest) >= 2 else ""


def _codec(name: bytes) -> str:
    """The Python codec of an ``encoding`` header: a text encoding Python knows, else UTF-8 (none, an unknown
    one, or one that is no text encoding: ``rot13``, ``base64``, ``unicode_escape`` would transform the text
    instead of decoding it)."""
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name.decode("ascii", "replace").strip())
    except (LookupError, ValueError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_TEXT_CODECS:
        return "utf-8"
    return info.name


# Text codecs that do not decode an encoding: escapes, domain names, or nothing at all.
_NOT_TEXT_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"})


def _decode(data: bytes, codec: str) -> str:
    """``data`` decoded by ``codec``, odd bytes replaced; as UTF-8 when the codec fails anyway."""
    try:
        return data.decode(codec, "replace")
    except (LookupError, UnicodeError, ValueError):
        return data.decode("utf-8", "replace")


def parse_object(
    head: bytes, tail: bytes = b"", skipped: int = 0
) -> tuple[bytes, bytes, list[tuple[bytes, int]]] | None:
    """A raw commit or tag object's ``encoding`` header, ``person`` header (``author`` of a commit, ``tagger``
    of a tag; the first of each, continuation lines left out) and message: its whole lines, in one part, or
    in two with the number of the first line of each. ``head`` is the object (or its first part, when
    ``tail`` is its last part and ``skipped`` the number of newlines between them). None when the headers do
    not end in ``head``."""
    end = head.find(b"\n\n")
    if end < 0:
        if tail or b"\n" not in head:
            return None  # headers larger than what is read of them (or no object at all)
        end = len(head)
    headers = b"\n" + head[:end] + b"\n"
    encoding = _header(headers, b"encoding")
    person = _header(headers, b"author") or _header(headers, b"tagger")
    message = head[end + 2 :]
    if not tail:
        return encoding, person, [(message, 1)] if message else []
    # the head's last line, cut, is kept (a message of one huge line is read in part, not skipped); the
    # tail's first one is left out (the tail starts inside it)
    parts = [(message, 1)] if message else []
    newline = tail.find(b"\n")
    if newline >= 0 and newline + 1 < len(tail):
        # the lines before the tail's first whole one: those of the head, the cut one, the middle's
        parts.append((tail[newline + 1 :], message.count(b"\n") + skipped + 2))
    return encoding, person, parts


def _header(headers: bytes, name: bytes) -> bytes:
    """The value of the first header ``name`` in ``headers`` (each line between two newlines)."""
    start = headers.find(b"\n" + name + b" ")
    if start < 0:
        return b""
    start += len(name) + 2
    return headers[start : headers.find(b"\n", start)]


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ScanError("git cat-file stopped unexpectedly")
    return data


def _read_capped(stream: IO[bytes], size: int, cap: int) -> tuple[bytes, bytes, int]:
    """An object's contents of ``size`` bytes: all of them (``head``) when they fit in ``cap``, else the first
    and last ``cap // 2`` bytes and the number of newlines between them (read past, not held)."""
    if size <= cap:
        return _read_exactly(stream, size), b"", 0
    half = cap // 2
    head = _read_exactly(stream, half)
    left = size - 2 * half
    newlines = 0
    while left > 0:
        piece = _read_exactly(stream, min(left, _READ))
        newlines += piece.count(b"\n")
        left -= len(piece)
    return head, _read_exactly(stream, half), newlines


# ------------------------------------------------------------------------------------------- the reader


class MessageReader:
    """The messages of a history's commits (``order``: their ids, oldest first, or a function that gives them
    once known) and annotated tags (a :class:`TagPlan`, or whether every tag counts: see :func:`plan_tags`),
    in that order, from one ``git cat-file --batch``, started when the first message is asked for. A thread
    writes the requests; the answers are read by whoever iterates, as needed (git answers ahead, up to what
    the pipe holds): a second thread reading them would have to win the GIL back from the scan for every
    message, and the scan would wait for it. Iterate once; :meth:`close` stops git."""

    def __init__(
        self,
        root: Path,
        order: Sequence[str] | Callable[[], Sequence[str]],
        tags: TagPlan | bool,
        *,
        cap: int = MESSAGE_MAX,
    ) -> None:
        self._root = root
        self._order = order
        self._tags = tags
        self._cap = cap
        self._proc: subprocess.Popen[bytes] | None = None
        self._writer: threading.Thread | None = None
        self._closed = False
        # the tags are listed at once, while the rules load
        self._listing = TagListing(root) if not isinstance(tags, TagPlan) else None

    def close(self) -> None:
        self._closed = True
        if self._listing is not None:
            self._listing.close()
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        with contextlib.suppress(OSError):
            proc.kill()
        if self._writer is not None:
            self._writer.join(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def __enter__(self) -> MessageReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[GitMessage]:
        order = list(self._order() if callable(self._order) else self._order)
        tags = self._tags
        if not isinstance(tags, TagPlan):
            listing = self._listing or TagListing(self._root)
            tags = plan_tags(listing, order, every=tags) if order else TagPlan()
        requests: list[tuple[str, int, TagRef | None]] = []
        for position, sha in enumerate(order):
            requests.append((sha, position, None))
            requests.extend((tag.sha, position, tag) for tag in tags.by_commit.get(sha, ()))
        requests.extend((tag.sha, len(order), tag) for tag in tags.loose)
        if requests and not self._closed:
            yield from self._read(requests)

    def _read(self, requests: list[tuple[str, int, TagRef | None]]) -> Iterator[GitMessage]:
        from ._git import _talk_to_git, _widen_pipe

        proc = self._proc = _talk_to_git(self._root, ["cat-file", "--batch"], bufsize=1 << 20)
        assert proc.stdin is not None and proc.stdout is not None
        _widen_pipe(proc.stdout)
        ids = "".join(f"{sha}\n" for sha, _, _ in requests).encode("ascii")
        writer = self._writer = threading.Thread(
            target=_write_all, args=(proc.stdin, ids), name="check-secrets-git-messages", daemon=True
        )
        writer.start()
        out = proc.stdout
        commit: _Person | None = None  # the last commit read (the one the next tags point at)
        for sha, position, tag in requests:
            if self._closed:
                return
            header = out.readline()
            if not header:
                raise ScanError("git cat-file stopped unexpectedly")
            fields = header.split()
            if len(fields) != 3 or not fields[2].isdigit():
                # "<id> missing": git listed the object a moment ago (a ref deleted and pruned meanwhile, a
                # damaged repository); its message is not skipped quietly, the scan fails
                what = "tag" if tag is not None else "commit"
                raise ScanError(f"git cannot read {what} {sha}: its message was not scanned")
            kind = fields[1]
            size = int(fields[2])
            head, tail, skipped = _read_capped(out, size, self._cap)
            out.read(1)  # the newline after the contents
            cut = size > self._cap  # (the middle was read past)
            parsed = parse_object(head, tail, skipped) if kind in (b"commit", b"tag") else None
            if parsed is None and cut:
                # headers larger than the head: nothing of the message is read, which is said, not kept quiet
                parsed = (b"", b"", [])
            if tag is None:
                commit = None
                if kind != b"commit" or parsed is None:
                    continue
                encoding, person, parts = parsed
                commit = _Person(sha, person)
                message = GitMessage(position, parts, _codec(encoding), commit, truncated=cut)
            else:
                if kind != b"tag" or parsed is None:
                    continue
                encoding, person, parts = parsed
                pointed = commit if tag.target and commit is not None and commit.sha == tag.target else None
                message = GitMessage(
                    position, parts, _codec(encoding), _Person(sha, person), tag, pointed, truncated=cut
                )
            if cut or message.data.strip():
                yield message
        self.close()


def _write_all(stream: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError):
        stream.write(data)
        stream.close()
