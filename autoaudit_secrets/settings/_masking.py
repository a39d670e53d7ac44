"""One masker for loaded values: the loader's error messages and the log redaction filter use it alike.

A value is masked as written and in the escaped spellings it takes when code quotes it: ``repr`` (``%r``,
``{v!r}``, also of the UTF-8 bytes), ``ascii()``, JSON (with and without ``ensure_ascii``), a PEM with its
newlines written as ``\\n``, backslashes doubled, each of those escaped once more (a ``repr`` of a dict
holding a ``repr``), and the value percent-encoded as in a URL query string (access logs). A value that is
a URL with a password also masks that password on its own (as written in the URL and decoded) and in the
user information of any URL in the text, however that URL spells it (another scheme, another encoding); a
password too short to mask on its own only there. A value long enough to be masked wherever it appears is
also masked inside base64 text, standard or URL-safe, percent-encoded or not, whatever comes before it there
(an HTTP Basic ``Authorization`` header encodes ``user:<it>``): the whole base64 word holding it is masked.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from .._redact import MASK

__all__ = [
    "ENCODED_MIN_LENGTH",
    "LOG_MIN_LENGTH",
    "LOG_WHOLE_TOKEN_BELOW",
    "Masker",
    "base64_cores",
    "data_strings",
    "escaped_forms",
    "json_leaves",
    "token_pattern",
    "url_password_span",
    "url_passwords",
]

# The log redaction's rule for a declared secret value: fewer than LOG_MIN_LENGTH characters, not masked
# (it would be masked in every line holding it, and is guessed anyway); below LOG_WHOLE_TOKEN_BELOW, masked
# where it stands as a whole token; from there on, wherever it appears. A value secret only by its field's
# name is masked in logs from LOG_WHOLE_TOKEN_BELOW characters on.
LOG_MIN_LENGTH = 3
LOG_WHOLE_TOKEN_BELOW = 8

# A value is looked for inside base64 text from this many characters on (those masked wherever they appear, by
# the log redaction's rule): the base64 of a shorter one is a few characters that any base64 text may hold.
ENCODED_MIN_LENGTH = LOG_WHOLE_TOKEN_BELOW

# Letters, digits and -._~: every escaped or URL-encoded spelling of such a value is the value itself.
_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")


def _escapes(value: str) -> Iterator[str]:
    yield repr(value)[1:-1]
    yield repr(value.encode("utf-8", "surrogatepass"))[2:-1]  # %r of value.encode()
    yield ascii(value)[1:-1]
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield value.replace("\r\n", "\\r\\n").replace("\n", "\\n")
    yield value.replace("\\", "\\\\")
    # repr picks double quotes for a value holding ' but not ": the other style escapes the quote
    yield value.replace("\\", "\\\\").replace("'", "\\'")


def _url_encodings(value: str) -> Iterator[str]:
    # A secret in a query string reaches access logs percent-encoded, as clients encode it.
    yield quote(value, safe="", errors="surrogatepass")
    yield quote(value, safe="/", errors="surrogatepass")
    yield quote_plus(value, safe="", errors="surrogatepass")


def escaped_forms(value: str) -> frozenset[str]:
    """``value``, its escaped spellings (escaped up to twice) and its URL encodings."""
    if _PLAIN.fullmatch(value):
        return frozenset((value,))
    forms = {value, *_url_encodings(value)}
    frontier = {value}
    for _depth in range(2):
        new = {form for item in frontier for form in _escapes(item)} - forms
        forms |= new
        frontier = new
    return frozenset(forms)


def _std_cores(value: str) -> list[str]:
    """The standard base64 of ``value`` (as UTF-8) where it starts after 0, 1 or 2 other bytes of a 3-byte
    group: each time the characters that only its own bits make up (those shared with the bytes around it
    are left out)."""
    data = value.encode("utf-8", "surrogatepass")
    cores = []
    for before in range(3):
        encoded = base64.b64encode(bytes(before) + data).decode("ascii")
        # a character stands for 6 bits: from the first after the `before` bytes to the last one whole
        cores.append(encoded[-(-8 * before // 6) : 8 * (before + len(data)) // 6])
    return cores


def _variants(core: str) -> set[str]:
    """A standard base64 text, URL-safe, percent-encoded as a URL query writes it (``+``, ``/`` as ``%2B``,
    ``%2F``; their lower-case spellings, which RFC 3986 allows too, in any mix, are matched by
    :func:`_core_pattern`), and with its slashes escaped as JSON encoders that escape ``/`` write them
    (``\\/``: PHP's ``json_encode``, some Java ones)."""
    return {core, core.translate(_URLSAFE), quote(core, safe=""), core.replace("/", "\\/")}


def _core_pattern(form: str) -> str:
    """The regex of a :func:`_variants` form: its percent escapes in either case, each on its own (a client
    may write ``%2B`` and ``%2f`` in one value)."""
    return re.escape(form).replace("%2B", "%2[Bb]").replace("%2F", "%2[Ff]")


def _percent_cases(form: str) -> set[str]:
    """``form`` with each of its percent escapes in upper and lower case, every mix (for a short form)."""
    spellings = {""}
    for piece in re.split(r"(%2[BF])", form):
        options = (piece, piece.lower()) if piece in ("%2B", "%2F") else (piece,)
        spellings = {done + option for done in spellings for option in options}
    return spellings


def base64_cores(value: str) -> frozenset[str]:
    """The texts that base64 text holds wherever it encodes ``value`` (as UTF-8), whatever comes before and
    after it: for each of the 3 places the value can start at in a 3-byte group (after 0, 1 or 2 other
    bytes), the characters of its encoding that only its own bits make up. Each in standard and URL-safe
    base64, percent-encoded and JSON-escaped (see :func:`_variants`). Those shorter than
    :data:`ENCODED_MIN_LENGTH` are left out."""
    return frozenset(
        form for core in _std_cores(value) for form in _variants(core) if len(form) >= ENCODED_MIN_LENGTH
    )


def _needles(value: str) -> set[str]:
    """Texts of :data:`_NEEDLE` characters one of which every :func:`base64_cores` form of ``value`` holds:
    of each core, a part without ``+`` or ``/`` (it reads the same in every variant), else its beginning in
    each variant. A text without any of them holds no core (one fast substring test each, where the regex
    of the cores, many literals tried one by one at each place, would cost several times more)."""
    needles: set[str] = set()
    for core in _std_cores(value):
        if len(core) < ENCODED_MIN_LENGTH:
            continue
        windows = (core[i : i + _NEEDLE] for i in range(len(core) - _NEEDLE + 1))
        plain = next((window for window in windows if "+" not in window and "/" not in window), None)
        if plain is not None:
            needles.add(plain)
        else:
            needles |= {case for form in _variants(core[:_NEEDLE]) for case in _percent_cases(form)}
    return needles


_NEEDLE = 8  # (at most ENCODED_MIN_LENGTH: the shortest core)
_URLSAFE = str.maketrans("+/", "-_")


# The characters of a base64 word around a value's core (both alphabets; "+", "/" and "=" percent-encoded
# too): what is masked with the core, up to the padding. Its other bytes (a user before a password) come
# from the same text: more is hidden, never less.
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_BASE64_ESCAPES = ("%2B", "%2F", "%2b", "%2f")
_PADDING = re.compile(r"(?:=|%3[dD])*")


def _base64_word(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the base64 word of ``text`` that holds ``text[start:end]``, its padding included."""
    while start > 0:
        if text[start - 3 : start] in _BASE64_ESCAPES:  # (first: its last two characters are base64 ones)
            start -= 3
        elif text[start - 2 : start] == "\\/":  # a slash escaped by JSON
            start -= 2
        elif text[start - 1] in _BASE64_CHARS:
            start -= 1
        else:
            break
    size = len(text)
    while end < size:
        if text[end] in _BASE64_CHARS:
            end += 1
        elif text[end : end + 3] in _BASE64_ESCAPES:
            end += 3
        elif text[end : end + 2] == "\\/":
            end += 2
        else:
            break
    padding = _PADDING.match(text, end)
    return start, padding.end() if padding is not None else end


def _mask_encoded(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with each base64 word holding a match of ``pattern`` (a value's core) replaced by the mask."""
    pieces: list[str] = []
    done = 0
    for match in pattern.finditer(text):
        if match.start() < done:
            continue  # inside a word masked already
        start, end = _base64_word(text, match.start(), match.end())
        pieces += [text[done : max(start, done)], MASK]
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def json_leaves(value: str, *, keys_except: AbstractSet[str] | None = None) -> list[str]:
    """The strings and numbers inside ``value`` when it is a JSON object or array (a nested model given as
    ``DB='{"password": "..."}'``), else nothing. Keys are not included (the keys of a nested model are
    field names), unless ``keys_except`` is given: then every key whose lower-case form is not in it (the
    keys of a ``dict`` field are data: ``API_KEYS='{"<key>": "service"}'``)."""
    stripped = value.lstrip()
    if not stripped.startswith(("{", "[")):
        return []
    try:
        data = json.loads(stripped)
    except ValueError:
        return []
    leaves: list[str] = []
    todo: list[Any] = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.values())
            if keys_except is not None:
                leaves.extend(key for key in item if key.lower() not in keys_except)
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, str):
            leaves.append(item)
            leaves.extend(json_leaves(item, keys_except=keys_except))  # JSON inside a JSON string
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            leaves.append(json.dumps(item))
    return leaves


def data_strings(value: Any, *, keys_except: AbstractSet[str] = frozenset()) -> list[str]:
    """The strings inside Python input data (keyword arguments, the object given to ``model_validate``):
    strings and the leaves of JSON inside them, bytes as text, the values of ``SecretStr``/``SecretBytes``,
    dict keys whose lower-case form is not in ``keys_except`` (field names), the items of lists, tuples
    and sets, and the field values of a model instance. Other objects are not looked into."""
    out: list[str] = []
    todo: list[Any] = [value]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
            out.extend(json_leaves(item, keys_except=keys_except))
        elif isinstance(item, (bytes, bytearray)):
            out.append(bytes(item).decode("utf-8", "replace"))
        elif id(item) in seen:
            continue
        elif callable(getattr(item, "get_secret_value", None)):  # SecretStr, SecretBytes, Secret[...]
            seen.add(id(item))
            try:
                todo.append(item.get_secret_value())
            except Exception:  # a foreign object with a method of that name: nothing to add
                continue
        elif isinstance(item, Mapping):
            seen.add(id(item))
            todo.extend(item.values())
            out.extend(key for key in item if isinstance(key, str) and key.lower() not in keys_except)
        elif isinstance(item, (list, tuple, set, frozenset)):
            seen.add(id(item))
            todo.extend(item)
        elif hasattr(type(item), "__pydantic_fields__") and isinstance(getattr(item, "__dict__", None), dict):
            seen.add(id(item))
            todo.extend(vars(item).values())
    return out


# A token masked "as a whole" must not continue a run of letters, digits or "_" on a side where it begins or
# ends with one (or begins with a sign before one: ``-42`` is not masked in ``10-42``); after an escaped
# newline or tab (``\\n`` in a repr or JSON text) it stands alone too. The condition on what comes before is
# checked behind the matched text, so that every alternative of the pattern still begins with its literal
# (the regex engine then skips quickly to where one may start).
_WORD = re.compile(r"\w")

# A colour or style escape code (CSI: ESC "[", parameters, a final character) as written to a terminal, or
# spelled out as text: by repr() (``\x1b``), JSON (``\u001b``), as shells and configuration files write
# ESC before printf/echo -e turn it into the byte (``\033``, ``\0033``, ``\e``, ``\E``, ``\x1B``), which
# reaches logs as is where it is never interpreted (a prompt or PS1 string, a log format read from YAML, a
# Python string with the escape doubled), and in caret notation (``^[``), as ``cat -v``, ``less`` and
# terminals show the byte, and so as terminal output pasted into a log or a ticket holds it
# (``^[[1m4821^[[0m``). It separates tokens: ``ESC[1m4821ESC[0m`` holds the token ``4821`` although a
# letter ends the code before it. Such tokens are masked by a second pattern, run only on text holding a
# code (the code is kept, the token masked): one for ESC itself, one for its spellings (each then begins
# with a literal, which the regex engine finds quickly). A spelling is a backslash and a name of ESC, or
# "^[", right before "[" and a complete code, so only a value that stands as a token after such a code is
# masked: what follows without a separator (``\e[1m48210``) is still another word.
_CODE_TAIL = r"\[[0-?]*[ -/]*[@-~]"
_ESCAPE_CODE = r"\x1b" + _CODE_TAIL
_ESCAPED_CODE = r"(?:\\(?:x1[bB]|u001[bB]|0?033|[eE])|\^\[)" + _CODE_TAIL


def _keep_code(match: re.Match[str]) -> str:
    return match.group(1) + MASK


def _begins_word(form: str) -> bool:
    first = form[:1]
    return bool(_WORD.match(first)) or (first in ("-", "+") and bool(_WORD.match(form[1:2])))


def token_pattern(form: str, *, after_code: bool = False) -> str:
    """The regular expression of ``form`` standing as a whole token: ``4821`` in ``pin=4821``,
    ``"4821"``, ``(4821)`` or ``took 4821 ms``, not in ``14821`` or ``v4821b``; ``-42`` in ``x=-42``, not
    in ``10-42``. A side where ``form`` begins or ends with other punctuation (``:pw@``) has no such
    condition. ``after_code``: the form where it follows an escape code (only what comes after it is
    checked)."""
    literal = re.escape(form)
    start = ""
    if _begins_word(form) and not after_code:
        start = f"(?:(?<!\\w{literal})|(?<=\\\\[nrt]{literal}))"
    end = r"(?!\w)" if _WORD.match(form[-1:]) else ""
    return f"{literal}{start}{end}"


def url_password_span(text: str) -> tuple[int, int] | None:
    """Where the password of the URL ``text`` is (``scheme://user:<password>@host...``), else ``None``.

    The authority runs to the first ``/``, ``?`` or ``#``; its user information to its *last* ``@`` (a
    password written with a raw ``@`` is covered whole; with several hosts each with a user, the span runs
    over the first hosts too: more is hidden, never less)."""
    scheme_end = text.find("://")
    if scheme_end <= 0 or not text[0].isascii() or not text[0].isalpha():
        return None
    if any(not (ch.isascii() and (ch.isalnum() or ch in "+.-")) for ch in text[:scheme_end]):
        return None
    start = scheme_end + 3
    end = len(text)
    for delimiter in "/?#":
        found = text.find(delimiter, start)
        if found != -1:
            end = min(end, found)
    at = text.rfind("@", start, end)
    if at == -1:
        return None
    colon = text.find(":", start, at)
    if colon == -1 or colon + 1 == at or any(ch.isspace() for ch in text[start:colon]):
        return None  # a blank in the password does not stop it: more is hidden, never less
    return colon + 1, at


# The user information of a URL inside a text: "user:<password>@" after "://" or, for the next host of a
# multi-host URL (u1:p1@h1,u2:p2@h2), after ",". The user may be empty (redis://:<password>@cache). The
# password may hold a raw "#" or "?" (SQLAlchemy leaves them so); it is masked only when it is a value's.
# Nothing else matches: a port (http://host:80/, http://host:80) has no "@" after it before the path, and
# "host:80@" is user information by the URL's syntax, 80 its password.
_USERINFO = re.compile(r"(?:://|,)[^\s/?#@:,]*:([^\s/@]*)@")
# Where nothing is masked but the user information of URLs (a URL whose password is too short to mask on
# its own): the main pattern matches nothing.
_NOTHING = re.compile(r"(?!)")


def url_passwords(text: str) -> list[str]:
    """The passwords of the URL ``text`` as written in it (percent-encoded or not): the one of
    ``scheme://user:<password>@host``, or each host's of a multi-host URL; none for other text."""
    span = url_password_span(text)
    if span is None:
        return []
    password = text[span[0] : span[1]]
    if "@" in password and "," in password:  # several hosts, each with a user
        return [match.group(1) for match in _USERINFO.finditer(text, 0, span[1] + 1) if match.group(1)]
    return [password]


class Masker:
    """Replaces every value it holds, and the escaped forms of each, by :data:`MASK` (longest first).

    ``min_length`` ignores shorter values (masking ``1`` or ``on`` would garble every message). A value
    shorter than ``token_below`` is masked only where it stands as a whole token (see :func:`token_pattern`;
    colour escape codes count as separators); longer ones wherever they appear. A value that is a URL with a
    password brings that password, by the same rule on its decoded length: as written in the URL, decoded
    (and so percent-encoded), and wherever it is the password of a URL in the text (``scheme://user:<it>@``,
    any scheme, user or spelling). A value masked wherever it appears, from :data:`ENCODED_MIN_LENGTH`
    characters on, is also masked inside base64 text: the whole base64 word holding one of its
    :func:`base64_cores` (a ``Basic`` authorization header built from it). The pattern is compiled on the
    first :meth:`mask` after values change, so building a masker costs nothing until a message needs it.
    ``repr()`` shows only how many values it holds.
    """

    __slots__ = (
        "_after_code",
        "_after_escaped_code",
        "_encoded",
        "_min_length",
        "_needles",
        "_password_urls",
        "_pattern",
        "_short_passwords",
        "_token_below",
        "_url_passwords",
        "_values",
    )

    def __init__(self, values: Iterable[str] = (), *, min_length: int = 1, token_below: int = 0) -> None:
        self._min_length = max(1, min_length)
        self._token_below = token_below
        self._values: set[str] = set()
        self._password_urls: set[str] = set()  # URLs whose password alone is a value (add(password_urls=))
        self._pattern: re.Pattern[str] | None = None
        self._after_code: re.Pattern[str] | None = None  # the token forms right after an escape code
        self._after_escaped_code: re.Pattern[str] | None = None  # ... spelled \x1b[, \033[, \e[, ^[[...
        self._encoded: re.Pattern[str] | None = None  # the values' base64 cores (see base64_cores)
        self._needles: tuple[str, ...] = ()  # a text holding none of them holds no core (see _needles)
        self._url_passwords: frozenset[str] = frozenset()  # decoded, to compare with a URL's in the text
        self._short_passwords: frozenset[str] = frozenset()  # those of them masked only in a URL
        self.add(values)

    def add(self, values: Iterable[str], *, password_urls: Iterable[str] = ()) -> bool:
        """Mask these values too, and the password of each of ``password_urls`` as that of a value that is
        a URL (on its own, decoded, in any URL of a line; one shorter than ``min_length`` only in a URL),
        not the URL itself (a plain ``PostgresDsn``: its user and host are no secret); returns whether
        anything new was added."""
        before = len(self._values) + len(self._password_urls)
        self._values.update(
            value for value in values if isinstance(value, str) and len(value) >= self._min_length
        )
        self._password_urls.update(
            url for url in password_urls if isinstance(url, str) and any(url_passwords(url))
        )
        if len(self._values) + len(self._password_urls) == before:
            return False
        self._pattern = None
        return True

    def merge(self, other: Masker) -> None:
        """Mask ``other``'s values too."""
        self.add(other._values, password_urls=other._password_urls)

    def __bool__(self) -> bool:
        return bool(self._values or self._password_urls)

    def __len__(self) -> int:
        return len(self._values) + len(self._password_urls)

    def __repr__(self) -> str:
        return f"<Masker of {len(self)} values>"

    def _texts(self) -> tuple[list[tuple[str, int]], frozenset[str]]:
        """Each text to mask, with the length that decides how (a URL password: its decoded length), and the
        decoded URL passwords (also those shorter than ``min_length``: masked only in a URL's user
        information, see :meth:`_userinfo_mask`)."""
        texts: list[tuple[str, int]] = [(value, len(value)) for value in self._values]
        passwords: set[str] = set()
        for value in (*self._values, *self._password_urls):
            for written in url_passwords(value):
                decoded = unquote(written)
                if not decoded:
                    continue
                passwords.add(decoded)
                if len(decoded) >= self._min_length:
                    texts += [(written, len(decoded)), (decoded, len(decoded))]
        return texts, frozenset(passwords)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self._values or self._password_urls):
            forms: dict[str, bool] = {}  # form -> masked only as a whole token
            cores: set[str] = set()  # the base64 of the values masked wherever they appear
            needles: set[str] = set()
            texts, self._url_passwords = self._texts()
            self._short_passwords = frozenset(p for p in self._url_passwords if len(p) < self._min_length)
            for text, length in texts:
                whole = length < self._token_below
                for form in escaped_forms(text):
                    if len(form) >= self._min_length:
                        forms[form] = forms.get(form, True) and whole
                if not whole and length >= ENCODED_MIN_LENGTH:
                    cores |= base64_cores(text)
                    needles |= _needles(text)
            encoded = sorted(cores, key=len, reverse=True)
            self._encoded = re.compile("|".join(map(_core_pattern, encoded))) if encoded else None
            self._needles = tuple(needles)
            ordered = sorted(forms, key=len, reverse=True)
            parts = [token_pattern(form) if forms[form] else re.escape(form) for form in ordered]
            tokens = "|".join(
                token_pattern(form, after_code=True) for form in ordered if forms[form] and _begins_word(form)
            )
            self._after_code = re.compile(f"({_ESCAPE_CODE})(?:{tokens})") if tokens else None
            self._after_escaped_code = re.compile(f"({_ESCAPED_CODE})(?:{tokens})") if tokens else None
            self._pattern = re.compile("|".join(parts)) if parts else _NOTHING
        return self._pattern

    def mask(self, text: str) -> str:
        """``text`` with every value (and escaped form) replaced by the mask."""
        if not text:
            return text
        pattern = self._pattern or self._compiled()
        if pattern is None:
            return text
        masked = pattern.sub(MASK, text)
        encoded = self._encoded
        if encoded is not None and any(map(masked.__contains__, self._needles)):
            masked = _mask_encoded(encoded, masked)
        after_code = self._after_code
        if after_code is not None:
            # One-character scans first (a longer needle costs several times more; most lines hold neither).
            if "\x1b" in masked and after_code.search(masked):
                masked = after_code.sub(_keep_code, masked)
            escaped = self._after_escaped_code
            if (
                escaped is not None
                and "[" in masked
                and ("\\" in masked or "^[" in masked)
                and escaped.search(masked)
            ):
                masked = escaped.sub(_keep_code, masked)
        if self._url_passwords and "@" in masked and "://" in masked:  # user information needs both
            masked = _USERINFO.sub(self._userinfo_mask, masked)
        return text if masked == text else masked

    def _userinfo_mask(self, match: re.Match[str]) -> str:
        """The user information ``match`` with its password masked when it is a value's, as written or
        percent-encoded (``:`` and ``@`` kept: ``postgres://app:**********@db``). A password too short to
        mask on its own is masked after ``,`` only inside a URL (its next host: ``://u1:p1@h1,u2:<it>@h2``),
        not after any comma of a line."""
        written = match.group(1)
        passwords = self._url_passwords
        if written in passwords:
            password = written
        elif "%" in written and unquote(written) in passwords:
            password = unquote(written)
        elif "+" in written and unquote_plus(written) in passwords:
            password = unquote_plus(written)
        else:
            return match.group()
        if password in self._short_passwords and match.group().startswith(","):
            line, start = match.string, match.start()
            blank = max(line.rfind(ch, 0, start) for ch in " \t\n\r\f\v")
            if "://" not in line[blank + 1 : start]:
                return match.group()
        return match.group()[: match.start(1) - match.start()] + MASK + "@"

    def mask_object(self, value: Any, *, numbers: bool = False) -> Any:
        """A copy of ``value`` with values masked: strings, and dicts/lists/tuples of them; any other object
        whose ``str()`` holds a value becomes its masked ``str()``. An ``int`` or ``float`` is kept (a
        ``%d`` argument must stay a number) unless ``numbers`` is true (an ``extra=`` field, which a
        formatter shows as ``str()``)."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            masked_dict = {key: self.mask_object(item, numbers=numbers) for key, item in value.items()}
            return value if all(masked_dict[k] is v for k, v in value.items()) else masked_dict
        if isinstance(value, list) or type(value) is tuple:
            items = [self.mask_object(item, numbers=numbers) for item in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return items if isinstance(value, list) else tuple(items)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and not numbers:
            return value
        try:
            text = str(value)
        except Exception:  # an object whose __str__ fails carries no text we could show
            return value
        masked = self.mask(text)
        return value if masked == text else masked
