"""A Dockerfile parser that keeps physical line numbers.

No Docker engine is involved: this reads the text the way BuildKit's front end does, as far as secret checks
need
it — parser directives (``# escape=``), comments (also between continuation lines), line continuations, JSON
(exec)
and shell forms, heredocs (``RUN <<EOF``, ``<<-EOF``, quoted delimiters, several per line, ``COPY <<EOF
/file``),
multi-stage ``FROM … AS name``, ``ARG``/``ENV``/``LABEL`` with several ``k=v`` pairs and the legacy ``ENV k
v``
form, and ``--flag=value`` options (``--mount``, ``--from``, ``--chown``, ...).

Every :class:`Instruction` maps offsets of its joined (logical) argument text back to physical lines, so a
check
can point at the line that holds a secret inside a long continued ``RUN``.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

__all__ = [
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "KeyValue",
    "Mount",
    "is_dockerfile_path",
    "parse_dockerfile",
]

_DOCKERFILE_GLOBS = (
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "Containerfile",
    "Containerfile.*",
)


def is_dockerfile_path(relpath: str) -> bool:
    """True for ``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``*.dockerfile`` and ``Containerfile``
    names.

    ``*.dockerignore`` files (``Dockerfile.dockerignore``) are not Dockerfiles."""
    name = PurePosixPath(relpath.replace("\\", "/")).name
    if name.endswith(".dockerignore"):
        return False
    return any(fnmatch.fnmatchcase(name, glob) for glob in _DOCKERFILE_GLOBS)


@dataclass(frozen=True, slots=True)
class Flag:
    """One ``--name=value`` option of an instruction (``value`` is "" for a bare ``--link``)."""

    name: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Mount:
    """A parsed ``RUN --mount=...`` option."""

    type: str
    options: dict[str, str]
    line: int

    @property
    def target(self) -> str:
        """Where the mount appears in the build container (``/run/secrets/<id>`` by default for secrets)."""
        for key in ("target", "dst", "destination"):
            if self.options.get(key):
                return self.options[key]
        if self.type == "secret":
            return f"/run/secrets/{self.id}" if self.id else ""
        return ""

    @property
    def id(self) -> str:
        """The secret/cache id; for a secret without ``id=`` the basename of its target."""
        if self.options.get("id"):
            return self.options["id"]
        if self.type != "secret":
            return ""
        for key in ("target", "dst", "destination"):
            if self.options.get(key):
                return PurePosixPath(self.options[key]).name
        return ""

    @property
    def env(self) -> str:
        """The environment variable a ``type=secret,env=NAME`` mount sets, or ""."""
        return self.options.get("env", "")


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document attached to ``RUN``/``COPY``/``ADD``; ``body_line`` is the physical line of its first
    body
    line (the body may be empty)."""

    delimiter: str
    body: str
    body_line: int
    strip_tabs: bool
    quoted: bool

    def line_of(self, offset: int) -> int:
        """Physical line of a character offset inside ``body``."""
        return self.body_line + self.body.count("\n", 0, offset)


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One ``key=value`` of ``ENV``/``ARG``/``LABEL``. ``value`` is None for ``ARG NAME`` (no default);
    ``value_raw`` keeps the quotes as written; ``line``/``value_line`` are physical lines."""

    key: str
    value: str | None
    value_raw: str
    line: int
    value_line: int
    column: int  # 1-based column of the value (or of the key when there is no value) on value_line


@dataclass(slots=True)
class Instruction:
    """One logical instruction.

    ``args`` is the text after the keyword and the leading flags, continuation lines joined (escape character
    and
    newline removed, comment lines dropped), exactly as Docker sees it. ``json_args`` holds the exec-form list
    when
    the arguments are a JSON array. ``heredocs`` are in order of appearance.
    """

    keyword: str
    line: int
    end_line: int
    args: str
    flags: tuple[Flag, ...] = ()
    json_args: tuple[str, ...] | None = None
    heredocs: tuple[Heredoc, ...] = ()
    stage: int = -1  # index of the FROM stage it belongs to (-1 before the first FROM)
    escape: str = "\\"
    # (offset in args, physical line, column of that offset) for the start of each physical piece
    _pieces: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)

    def line_at(self, offset: int) -> int:
        """Physical line holding character ``offset`` of ``args``."""
        return self.position_at(offset)[0]

    def position_at(self, offset: int) -> tuple[int, int]:
        """(physical line, 1-based column) of character ``offset`` of ``args``."""
        if not self._pieces:
            return self.line, 1
        starts = [p[0] for p in self._pieces]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        start, line, column = self._pieces[index]
        return line, column + (offset - start)

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name`` flag, or None."""
        found: str | None = None
        for flag in self.flags:
            if flag.name == name:
                found = flag.value
        return found

    def mounts(self) -> list[Mount]:
        """The ``--mount`` options, parsed."""
        result: list[Mount] = []
        for flag in self.flags:
            if flag.name != "mount":
                continue
            options: dict[str, str] = {}
            for part in flag.value.split(","):
                key, sep, value = part.partition("=")
                options[key.strip().lower()] = value.strip() if sep else "true"
            result.append(Mount(type=options.pop("type", "bind"), options=options, line=flag.line))
        return result

    def words(self) -> list[tuple[str, int]]:
        """Shell-like words of ``args`` (quotes removed) with their start offsets; the exec form's items when
        ``json_args`` is set (offsets then point at the opening quote of each item)."""
        if self.json_args is not None:
            out: list[tuple[str, int]] = []
            cursor = 0
            for item in self.json_args:
                encoded = json.dumps(item)
                found = self.args.find(encoded, cursor)
                if found < 0:
                    found = self.args.find('"', cursor)
                out.append((item, max(found, 0)))
                cursor = max(found, 0) + 1
            return out
        return [(w.value, w.start) for w in _split_words(self.args, self.escape)]

    def key_values(self) -> list[KeyValue]:
        """``ENV``/``ARG``/``LABEL`` pairs; the legacy ``ENV key value`` form gives one pair with the rest of
        the
        line as value; ``ARG NAME`` gives ``value=None``."""
        words = _split_words(self.args, self.escape)
        if not words:
            return []
        pairs: list[KeyValue] = []
        legacy = self.keyword in {"ENV", "LABEL"} and "=" not in words[0].raw
        if legacy:
            key = words[0].value
            rest_start = words[1].start if len(words) > 1 else len(self.args)
            raw = self.args[rest_start:].strip()
            value = " ".join(w.value for w in words[1:])
            line, column = self.position_at(rest_start)
            pairs.append(KeyValue(key, value, raw, self.line_at(words[0].start), line, column))
            return pairs
        for word in words:
            eq = word.raw.find("=")
            key_line = self.line_at(word.start)
            if eq < 0:
                line, column = self.position_at(word.start)
                pairs.append(KeyValue(_unquote(word.raw, self.escape), None, "", key_line, line, column))
                continue
            key = _unquote(word.raw[:eq], self.escape)
            raw_value = word.raw[eq + 1 :]
            value_offset = word.start + eq + 1
            line, column = self.position_at(value_offset)
            pairs.append(KeyValue(key, _unquote(raw_value, self.escape), raw_value, key_line, line, column))
        return pairs


@dataclass(slots=True)
class Dockerfile:
    """A parsed Dockerfile: its directives, instructions, and stage names (index → ``AS`` name or "")."""

    instructions: list[Instruction]
    directives: dict[str, str]
    escape: str
    stages: list[str]

    def stage_index(self, name: str) -> int | None:
        """Index of the stage called ``name`` (case-insensitive) or given as a number, or None."""
        lowered = name.lower()
        for index, stage in enumerate(self.stages):
            if stage and stage.lower() == lowered:
                return index
        if name.isdigit() and int(name) < len(self.stages):
            return int(name)
        return None


@dataclass(frozen=True, slots=True)
class _Word:
    value: str  # quotes removed, escapes processed
    raw: str
    start: int


def _unquote(raw: str, escape: str = "\\") -> str:
    words = _split_words(raw, escape)
    if not words:
        return ""
    return "".join(w.value for w in words) if len(words) == 1 else raw.strip().strip("\"'")


def _split_words(text: str, escape: str) -> list[_Word]:
    """Split like Docker's word splitter: whitespace separates, quotes group, the escape char escapes."""
    return list(_split_words_cached(text, escape))


@functools.lru_cache(maxsize=4096)
def _split_words_cached(text: str, escape: str) -> tuple[_Word, ...]:
    # (memoized: each instruction's words are asked for several times, and a history scan meets the same
    # instructions in every version of a Dockerfile)
    words: list[_Word] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        value: list[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape and quote == '"' and i + 1 < n and text[i + 1] in ('"', escape, "$"):
                    i += 1
                    value.append(text[i])
                else:
                    value.append(ch)
            elif ch in ('"', "'"):
                quote = ch
            elif ch == escape and i + 1 < n:
                i += 1
                value.append(text[i])
            elif ch.isspace():
                break
            else:
                value.append(ch)
            i += 1
        words.append(_Word("".join(value), text[start:i], start))
    return tuple(words)


_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)\s*(?:\"([^\"\s]+)\"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_]*))")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


def parse_dockerfile(text: str) -> Dockerfile:
    """Parse a Dockerfile. Never raises on odd input: unknown syntax is kept as plain instructions."""
    lines = text.removeprefix("\ufeff").splitlines()
    directives: dict[str, str] = {}
    index = 0
    # Parser directives: only at the very top, before any comment, blank line or instruction.
    while index < len(lines):
        m = _DIRECTIVE.match(lines[index].strip())
        if not m or m.group(1).lower() in directives:
            break
        directives[m.group(1).lower()] = m.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        escape = "\\"

    instructions: list[Instruction] = []
    stages: list[str] = []
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        first_line = index + 1
        pieces: list[tuple[int, int, int]] = []
        joined: list[str] = []
        length = 0
        last_line = first_line
        while index < len(lines):
            raw = lines[index]
            line_no = index + 1
            index += 1
            if joined and (not raw.strip() or raw.lstrip().startswith("#")):
                continue  # comments and empty lines inside a continuation are dropped
            body = raw.rstrip()
            continued = body.endswith(escape)
            if continued:
                body = body[:-1]
            lead = 0 if joined else len(raw) - len(raw.lstrip())
            piece = body[lead:]
            pieces.append((length, line_no, lead + 1))
            joined.append(piece)
            length += len(piece)
            last_line = line_no
            if not continued:
                break
        logical = "".join(joined)
        head = re.match(r"(\S*)\s*", logical)
        kw = head.group(1).upper() if head else ""
        args_offset = head.end() if head else 0
        flags: list[Flag] = []
        cursor = args_offset
        if kw not in {"ENV", "ARG", "LABEL", "CMD", "ENTRYPOINT", "SHELL"}:
            while True:
                m = re.match(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(\s+|$)", logical[cursor:])
                if not m:
                    break
                flags.append(
                    Flag(m.group(1).lower(), _unquote(m.group(2) or "", escape), _line_of(pieces, cursor))
                )
                cursor += m.end()
        args = logical[cursor:].rstrip()
        shifted = _shift_pieces(pieces, cursor)
        json_args: tuple[str, ...] | None = None
        if args.startswith("["):
            try:
                parsed = json.loads(args)
            except ValueError:
                parsed = None
            if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
                json_args = tuple(parsed)
        heredocs: list[Heredoc] = []
        if kw in _HEREDOC_KEYWORDS and json_args is None and "<<" in args:
            for m in _heredoc_markers(args, escape):
                delimiter = m.group(2) or m.group(3) or m.group(4)
                strip_tabs = m.group(1) == "-"
                body_lines: list[str] = []
                body_start = index + 1
                while index < len(lines):
                    candidate = lines[index]
                    index += 1
                    compare = candidate.lstrip("\t") if strip_tabs else candidate
                    if compare.rstrip("\r") == delimiter:
                        break
                    body_lines.append(candidate.lstrip("\t") if strip_tabs else candidate)
                last_line = index
                body = "\n".join(body_lines) + ("\n" if body_lines else "")
                heredocs.append(Heredoc(delimiter, body, body_start, strip_tabs, quoted=m.group(4) is None))
        if kw == "FROM":
            words = _split_words(args, escape)
            name = ""
            if len(words) >= 3 and words[-2].value.lower() == "as":
                name = words[-1].value
            stages.append(name)
        instructions.append(
            Instruction(
                keyword=kw,
                line=first_line,
                end_line=last_line,
                args=args,
                flags=tuple(flags),
                json_args=json_args,
                heredocs=tuple(heredocs),
                stage=len(stages) - 1,
                escape=escape,
                _pieces=shifted,
            )
        )
    return Dockerfile(instructions=instructions, directives=directives, escape=escape, stages=stages)


def _heredoc_markers(args: str, escape: str) -> list[re.Match[str]]:
    """``<<WORD`` markers outside quotes (``echo "<<EOF"`` and ``cat <<< text`` are no heredocs)."""
    found: list[re.Match[str]] = []
    quote = ""
    i = 0
    while i < len(args):
        ch = args[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote == '"':
                i += 1
        elif ch == escape:
            i += 1
        elif ch in ('"', "'"):
            quote = ch
        elif ch == "<":
            m = _HEREDOC.match(args, i)
            if m and (i == 0 or args[i - 1] != "<"):
                found.append(m)
                i = m.end()
                continue
            while i < len(args) and args[i] == "<":
                i += 1
            continue
        i += 1
    return found


def _line_of(pieces: list[tuple[int, int, int]], offset: int) -> int:
    line = pieces[0][1] if pieces else 1
    for start, line_no, _ in pieces:
        if start <= offset:
            line = line_no
    return line


def _shift_pieces(pieces: list[tuple[int, int, int]], shift: int) -> tuple[tuple[int, int, int], ...]:
    """Re-base piece offsets so offset 0 is the start of ``args``."""
    out: list[tuple[int, int, int]] = []
    for start, line_no, column in pieces:
        rel = start - shift
        if rel < 0:
            continue
        out.append((rel, line_no, column))
    # the piece in which args begins
    before = [p for p in pieces if p[0] <= shift]
    if before:
        start, line_no, column = before[-1]
        first = (0, line_no, column + (shift - start))
        if not out or out[0][0] != 0:
            out.insert(0, first)
    return tuple(out)
