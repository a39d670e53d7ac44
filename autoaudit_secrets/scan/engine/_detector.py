"""Token detection: run the rules' patterns through the matcher, then judge each hit.

A hit becomes a :class:`~autoaudit_secrets.scan._model.Match` when its secret survives the filters: always
placeholder/reference/documentation-example; the rule's own ``hash``/``uuid``/``min_entropy``; for assignment
rules (a ``name`` group) the name must say "secret" and the value must look like a literal, not code. Base64
values are decoded (nested, bounded) and scanned again; their matches are placed at the encoded text. Base64
wrapped over lines (MIME, ``base64`` and ``openssl base64`` output, an indented YAML block) is decoded as one
block (in overlapping parts beyond 64 KiB), and a match in it placed at the encoded characters of its secret.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from .._model import Confidence, Match, Rule
from ._entropy import shannon_entropy
from ._filters import (
    FILE_SUFFIX,
    decoded_base64_text,
    is_basic_credentials,
    is_code_identifier,
    is_doc_example,
    is_doc_host,
    is_dotted_name,
    is_encoded_pem,
    is_expired_jwt,
    is_format_field,
    is_hash,
    is_keyboard_mash,
    is_name_path,
    is_namespaced_name,
    is_natural_language,
    is_placeholder,
    is_plain_word,
    is_public_key,
    is_secret_label,
    is_secret_name,
    is_sequential,
    is_uuid,
    local_user_as_password,
    may_mix_cases_and_digits,
    name_words,
    names_password,
    names_secret_field,
    names_standin,
    reads_as_words,
    secret_name_and_words,
    writes_without_spaces,
)
from ._lazyre import LazyRegex
from ._matcher import Matcher, MatcherBackend, PatternSpec, Prescan

__all__ = ["Detector", "is_config_path"]

# Base64 runs worth decoding: standard alphabet, 32..1000 characters, after a delimiter (quote, space, =, :,
# …) and ended by a non-base64 character. (The delimiter keeps Hyperscan from tracking every identifier.)
_B64_PATTERN = r"[\s\"'=:>,(\[`](?P<secret>[A-Za-z0-9+/]{32,1000}={0,2})(?:[^A-Za-z0-9+/=]|$)"
# Longer runs (beyond RE2's repetition limit of 1000) are looked for where they matter most: a base64-encoded
# PEM file ("-----BEGIN" encodes to "LS0tLS1CRUdJT…"); found by their start, extended in Python.
_B64_PEM_PATTERN = r"(?P<secret>LS0tLS1CRUdJT[A-Za-z0-9+/]{20})"
_B64_AT_START = LazyRegex(r"(?P<secret>[A-Za-z0-9+/]{32,1000}={0,2})")
_B64_BODY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_MAX_B64_RUN = 64 * 1024  # base64 characters decoded at once: a run, or a part of a wrapped block
# A wrapped block longer than that is decoded in parts of _MAX_B64_RUN characters, each sharing its last
# _B64_OVERLAP characters (6 KiB decoded: a 4096-bit RSA key in PEM) with the next one, and reporting only
# what starts before them: a secret over the cut between two parts is found whole, once.
_B64_OVERLAP = 8 * 1024
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_B64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_MAX_DEPTH = 2
# Wrapped base64 (MIME and `base64` at 76 columns, `openssl base64` and PEM bodies at 64): lines of one width
# (a multiple of 4, at least this), with one indentation, the last one shorter, padded or as wide.
_MIN_WRAP_WIDTH = 32
_MIN_B64_TEXT = 32  # no base64 pattern matches a shorter text (32 base64 characters at least)
_MAX_DECODED = 1 << 20  # decoded bytes per document
_VERDICTS = 8192  # values whose judgement a detector remembers (see Detector._judge)
_MAX_B64_WALK = _MAX_DECODED // 3 * 4  # characters of a wrapped block walked over: no more could be decoded

_CONFIG_SUFFIXES = (
    ".env",
    ".yml",
    ".yaml",
    ".ini",
    ".cfg",
    ".conf",
    ".cnf",
    ".properties",
    ".toml",
    ".tfvars",
    ".envrc",
    ".config",
    ".settings",
    ".prefs",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".pgpass",
    ".credentials",
    ".secrets",
)
# Code rather than a literal: the whole value is a call (``get_secret()``, ``vault.read("x")``), a type path
# (``AWS::CloudFormation::Module``, ``Foo::Bar``) or an attribute of a well-known object. A "(" inside a
# random value (Django's key alphabet has both parentheses) is not a call. (A dotted name,
# ``settings.API_KEY``, is judged by ``is_dotted_name``: ``h8Tz.Kq3Wm9x`` is a random value holding a dot.)
_CODE_CALL = (
    r"^[A-Za-z_][\w.]*\s*\(.*\)[;,]?$|^[A-Za-z_]\w*(?:::[A-Za-z_]\w*)+$"
    r"|^(?:self|this|cls|config|settings|env|os)[.\[]"
    r"|^[+.]\s*(?:new\s+)?[A-Za-z_$][\w.$]*\s*[(\[]"  # "..." + new Buffer(…) / '.$p['…
    # an object by its import path, as entry points and ASGI servers name one (lower-case modules, as Python's
    # are): "dispatch.plugins.dispatch_core.plugin:BasicAuthProviderPlugin", "app.main:app"
    r"|^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$"
)
# "k=v;k2=v2": a connection string or settings list, not one value (the rules for connection strings judge it)
_KEY_VALUE_LIST = r";\s*[A-Za-z_][\w.]*\s*="
# Format holes filled in at run time: %s / %d standing alone (not "d%s" inside a random run), %(name)s,
# Ruby's %{name} and #{expr}, {}, {0}, {name}, ${...}, {{ ... }}.
_FORMAT_HOLE = (
    r"(?:^|[^A-Za-z0-9%])%[sdr](?![A-Za-z0-9])|%\(\w+\)|%\{\w+\}|\#\{|\{\d*\}|\{[A-Za-z_][\w.]*\}|\$\{|\{\{"
)
# ``$name`` is literal text in the files of these languages and formats (as in Django's key alphabet): they
# interpolate only ``${…}``/``{…}`` or nothing. Elsewhere (shell, dotenv, Dockerfile, Makefile, PHP, Perl,
# Groovy/Kotlin/Scala templates, PowerShell, compose and CI files, unknown types) it may be filled in, except
# inside single quotes.
_DOLLAR_NAME = r"(?:^|[^A-Za-z0-9])\$[A-Za-z_]"
_LITERAL_DOLLAR_SUFFIXES = (
    ".py",
    ".pyi",
    ".java",
    ".go",
    ".rs",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".ino",
    ".cs",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".rb",
    ".swift",
    ".dart",
    ".lua",
    ".ex",
    ".exs",
    ".erl",
    ".hs",
    ".clj",
    ".jl",
    ".r",
    ".vue",
    ".svelte",
    ".sql",
    ".tf",
    ".hcl",
    ".yml",
    ".yaml",
    ".json",
    ".toml",
    ".ini",
    ".cfg",
    ".properties",
    ".xml",
    ".config",
)
_PATHLIKE = (
    # (HKLM:\ and the like: PowerShell's registry drives; HKEY_LOCAL_MACHINE\...: a registry key's full name)
    r"^(?:/|~/|\./|\.\./|[A-Za-z]:\\|(?:HKLM|HKCU|HKCR|HKU|HKCC):\\|HKEY_[A-Z_]+\\|file:|https?://|arn:)"
    # a registry key under a hive, as a C string writes it (pgbouncer: "SYSTEM\\CurrentControlSet\\…")
    r"|^(?i:SYSTEM|SOFTWARE|HARDWARE|SECURITY)\\{1,2}[A-Za-z]"
    # a file to read the value from (PostgREST's PGRST_JWT_SECRET: "@/dev/stdin", curl's -d @./body.json)
    r"|^@(?:/|\./|~/)[\w.-]"
    r"|^[a-z0-9_.-]+(?:/[a-z0-9_.:#-]+)+$"  # a route or relative path
    # a JSON pointer into the same document: an OpenAPI or JSON Schema $ref ("#/components/schemas/Secret")
    r"|^#/[A-Za-z0-9_.~%$-]+(?:/[A-Za-z0-9_.~%$-]+)*$"
    # a route's regular expression (awxkit's _credential = r'credentials/\d+/', r'\w+/\d+/credentials/')
    r"|^(?=[^/]*/)(?=.*\\[dw][+*])(?:[a-z0-9_.-]+|\\[dw][+*])(?:/(?:[a-z0-9_.-]+|\\[dw][+*]))*/?$"
)
# A CSS selector (#login-form, .password-field, #pwInput): not a literal, unless its name mixes lower case,
# upper case and digits, as a random value does and a selector hardly ever (#Joq1lsWm2Bsao is a password).
_CSS_SELECTOR = LazyRegex(r"[#.][A-Za-z][\w-]*$")
_QUOTES = frozenset("\"'")
# after a string literal, another member of a union type: type ProviderKey = "anthropic" | "openai"
_UNION_NEXT = LazyRegex(r"[ \t]{0,2}\|[ \t]{0,2}[\"']")
_CONCATENATED = LazyRegex(r"[ \t]{0,4}\+")
_CONCATENATION_STARTS = frozenset(" \t+")
_DOT_STARTS = frozenset(" \t.")
# PHP's and Perl's concatenation: 'email-change:user:'.Auth::id(), 'server-reachable:'.$this->server->id
# (not a string method that keeps the literal whole: "Xk9…".trim(), b"…".decode())
_DOT_CONCATENATED = LazyRegex(
    r"[ \t]{0,4}\.[ \t]{0,4}(?:\$|(?!(?:trim|strip|lstrip|rstrip|encode|decode|toString|lower|upper"
    r"|toLowerCase|toUpperCase)\b)[A-Za-z_]\w*[ \t]{0,2}(?:\(|::))"
)
# the *name* of an env var holding the secret; with a comma or semicolon after it, code that passes the
# variable on (``accessToken: POLAR_ACCESS_TOKEN,`` in a JavaScript object: YAML would not end a literal so)
_ENV_NAME = r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+[,;]?$"
# Code, a path or an env var's name rather than a literal: shapes anchored at the start (one ``match``), and
# a format hole, a file name, a settings list or ``$name`` anywhere (a ``search``, needed only when the value
# holds one of ``_INSIDE_CHARS``) -- a hot path: a file of thousands of assignments judges every value.
# Three or more lower-case words joined by "_": an identifier (a keyword list of a syntax highlighter in a
# bundle), never a random key, though a key's alphabet may hold "_" ([A-Za-z0-9_]{32}). A passphrase may be
# written so (correct_horse_battery_staple): not for the password rules.
_SNAKE_CASE_WORDS = LazyRegex(r"[a-z]{2,}(?:_[a-z]{2,}){2,}")
# HTML or XML markup: an element's opening tag ("<p class=…", "<b>Wrong password</b>": a message shown for a
# password field)
_MARKUP = r"^<[a-z][a-z0-9]{0,15}(?:-[a-z0-9]+)*(?:[ \t/>]|$)"
# Options of a command or mount written as name=value pairs joined by commas (docker build
# --secret "id=github_token,env=GH_TOKEN", --mount=type=secret,id=npmrc)
_OPTION_PAIRS = r"^[A-Za-z_][\w.-]*=[^,;\s=]*,[A-Za-z_][\w.-]*="
# A type written as a string, a forward reference in a Python annotation (otp_secret: "Optional[str]"):
# a name, then brackets that open on a name
_TYPE_EXPRESSION = r"^[A-Za-z_][\w.]*\[[A-Za-z_][\w., |\[\]]*\]$"
# Laravel's validation rules joined by "|" ('client_secret' => 'required|string|max:255'): what a field may
# hold, not its value
_RULE_WORD = (
    r"(?:required|nullable|sometimes|string|integer|numeric|boolean|bool|email|url|active_url|array|present"
    r"|filled|confirmed|uuid|ulid|json|date|file|image|alpha|alpha_num|alpha_dash|ascii|min|max|size|between"
    r"|in|not_in|exists|unique|regex|digits|digits_between|starts_with|ends_with|prohibited|exclude|bail"
    r"|accepted|current_password|password|different|same|lowercase|uppercase|hex_color|ip|ipv4|ipv6)"
    r"(?::[^|\s]{0,200})?"
)
_VALIDATION_RULES = rf"^{_RULE_WORD}(?:\|{_RULE_WORD})+$"
# An LDAP search filter: (uid=%n), (&(objectClass=mailAccount)(uid=%n))
_LDAP_FILTER = r"^\((?:[&|!]\()?[A-Za-z][\w.-]{0,40}[~<>]?="
# A Redis keyspace or keyevent notification's channel (channel_key = "__keyspace@0__:mykey")
_REDIS_CHANNEL = r"^__key(?:space|event)@\d{1,5}__:"
# A version with its peer dependencies, as pnpm's lockfile writes one: next-auth: 4.22.1(next@13.3.2)(…)
_PNPM_VERSION = r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?\([@\w./-]+@"
# A JSONPath into a document (PostgREST's jwt-role-claim-key = "$$.postgrest.roles[1]",
# '$.user[0].real_role'): where a claim is found, not a key
_JSON_PATH = r"^\$\$?(?:\.[A-Za-z_][\w-]*|\[(?:\d{1,6}|\*)\])+$"
# A string closed and concatenated where the value goes: `{"session_token": "`+sess.Token+`"}`,
# "…&access_token="+exchange.AccessToken+"&v=5.103"
# (or the opening quote taken for the value's: +exchange.AccessToken+, + token +; a dot, a call or spaces
# tell it from base64)
_REOPENED = (
    r"^[\"'`][ \t]{0,2}\+"
    # a string closed, then a call as the next argument: concat('…,password=',listKeys(…)) (an Azure Resource
    # Manager template's expression; the pattern took the closing quote for the value's opening one)
    r"|^[\"'`]?[ \t]{0,2},[ \t]{0,2}[A-Za-z_][\w.]*\("
    r"|^\+(?=[^+]*[.( ])[ \t]{0,2}[A-Za-z_][\w.]*(?:\([^()]{0,40}\))?[ \t]{0,2}\+?$"
)
_NOT_LITERAL_AT_START = LazyRegex(
    "|".join(
        (
            _CODE_CALL,
            _PATHLIKE,
            _ENV_NAME,
            _MARKUP,
            _OPTION_PAIRS,
            _TYPE_EXPRESSION,
            _VALIDATION_RULES,
            _REDIS_CHANNEL,
            _JSON_PATH,
            _PNPM_VERSION,
            _REOPENED,
            _LDAP_FILTER,
        )
    )
)
_NOT_LITERAL_INSIDE = LazyRegex("|".join((_FORMAT_HOLE, FILE_SUFFIX, _KEY_VALUE_LIST)))
_NOT_LITERAL_INSIDE_DOLLAR = LazyRegex("|".join((_FORMAT_HOLE, FILE_SUFFIX, _KEY_VALUE_LIST, _DOLLAR_NAME)))
_INSIDE_CHARS = frozenset("%#{$.;")
# A statement's end after a name: a cast (PostgreSQL's ::int) and a semicolon
_STATEMENT_END = LazyRegex(r"(?:::[A-Za-z_]\w*(?:\[\])?)?;$")
# JavaScript's optional chaining: props?.auth, user?.settings?.apiKey
_OPTIONAL_CHAIN = LazyRegex(
    r"[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*\?\.[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*"
)


def _not_literal(value: str, dollar_refs: bool) -> bool:
    """Code, a dotted name (:func:`is_dotted_name`), a format string, a path, ``$name`` (when
    ``dollar_refs``), "k=v;k2=v2" or "k=v,k2=v2", an env var's name, markup or a type expression."""
    if _NOT_LITERAL_AT_START.match(value):
        return True
    if _CSS_SELECTOR.match(value) and not may_mix_cases_and_digits(value[1:]):
        return True
    if _INSIDE_CHARS.isdisjoint(value):
        return False
    if "." in value and is_dotted_name(_STATEMENT_END.sub("", value)):  # (a dot is one of _INSIDE_CHARS)
        return True  # (ended as a statement: citus's expected output, mv1.key = citus_local.key;)
    if "?." in value and _OPTIONAL_CHAIN.fullmatch(value) is not None:
        return True  # :inherited-auth="inheritedProperties?.auth": a Vue binding's expression
    return (_NOT_LITERAL_INSIDE_DOLLAR if dollar_refs else _NOT_LITERAL_INSIDE).search(value) is not None


_DOC_SUFFIXES = (
    ".md",
    ".mdx",  # Markdown with JSX (Docusaurus, Mintlify, Nextra: Prefect's docs)
    ".markdown",
    ".qmd",
    ".rmd",
    ".rst",
    ".adoc",
    ".asciidoc",
    ".html",
    ".htm",
    ".ipynb",
    ".tex",
)
_CODE_SUFFIXES = (
    ".py",
    ".pyi",
    ".pyx",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".ts",
    ".tsx",
    ".java",
    ".kt",
    ".kts",
    ".scala",
    ".go",
    ".rb",
    ".php",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".cxx",
    ".ino",
    ".hpp",
    ".hh",
    ".cs",
    ".fs",
    ".vb",
    ".swift",
    ".m",
    ".mm",
    ".rs",
    ".dart",
    ".lua",
    ".pl",
    ".pm",
    ".r",
    ".jl",
    ".ex",
    ".exs",
    ".erl",
    ".hs",
    ".clj",
    ".groovy",
    ".gradle",
    ".vue",
    ".svelte",
    ".css",
    ".scss",
    ".sql",
    *_DOC_SUFFIXES,  # (documentation is judged as code: an example's code block assigns variables)
    ".mts",
    ".cts",
    ".astro",
    ".tf",
    ".hcl",
    ".nix",
)


# What a patch or an editor leaves beside a file it changed (pgbouncer's history: src/loader.c.orig, C code)
_LEFTOVER_SUFFIXES = (".orig", ".rej", ".bak", ".old", "~")


def is_config_path(relpath: str | None) -> bool:
    """True where unquoted ``NAME=value`` lines are data: configuration files (``.env``, YAML, INI,
    properties, shell-style env files) and files of no known programming language. False for source code and
    documentation, where ``password = secret_from_elsewhere`` assigns a variable."""
    if relpath is None:
        return True
    name = relpath.rsplit("/", 1)[-1].lower()
    if name.endswith(_LEFTOVER_SUFFIXES):  # a patch's or an editor's copy is the kind of file it copies
        name = name[: name.rindex(".")] if name[-1] != "~" else name[:-1]
    if name.startswith(".env") or ".env." in name or name.endswith(_CONFIG_SUFFIXES):
        return True
    return not name.endswith(_CODE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class _Hit:
    match: Match
    secret: str  # the (possibly decoded) secret value


_NOT_NAME_CHARS = LazyRegex(r"[^a-z0-9]+")
_WORD_AND_COUNT = LazyRegex(r"([a-z]{8,})[-_.]?\d{1,3}")
_NAME_WORD_COUNTED = LazyRegex(r"([a-z]{3,20})[-_.]?(\d{1,9})")


def _counted(digits: str) -> bool:
    """A test's count: three digits at most, or digits in a row up or down (12345, 98765); not a year."""
    if len(digits) <= 3:
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(digits)}
    return steps == {1} or steps == {-1}


_LABEL_AND_COUNT = LazyRegex(r"[a-z]{2,12}[-_]\d{1,3}")
_KEY_PATTERN = LazyRegex(r"[a-z][\w.-]*(?::[\w.-]+)*:\*")
# A store's key name in its namespace, lower case: rq:suspended, rq:queue:_pastjobs:default (a Redis key's)
_STORE_KEY_NAME = LazyRegex(r"[a-z][a-z0-9_-]{0,30}(?::[a-z_][a-z0-9_.-]{0,60}){1,6}")
# Words before a name's "key" that make it a secret key, whatever its value's shape
_SECRET_KEY_WORDS = frozenset(
    {"api", "access", "secret", "private", "signing", "sign", "encryption", "encrypt", "auth", "master",
     "license", "client", "app", "service", "account", "admin", "root", "hmac", "jwt", "session", "crypto"}
)  # fmt: skip
# a word of the name and "me" (AWX's tests: vault_password: 'vault-me', authorize_password: authorize-me)
_WORD_ME = LazyRegex(r"([a-z]{2,20})[-_]me")
_ME_ENDINGS = frozenset({"-me", "_me"})
# a keyboard shortcut as editors and Electron write one (CodeMirror's "Mod-Shift-v", "Ctrl+Alt+Delete"), or
# its alternatives (Ace's bindKey "Ctrl-Space|Ctrl-Shift-Space|Alt-Space")
_ONE_COMBO = (
    r"(?i:(?:mod|ctrl|control|shift|alt|option|opt|meta|cmd|command|super|win|cmdorctrl|commandorcontrol)"
    r"[-+])+(?:[A-Za-z0-9]|[Ff]\d{1,2}|[A-Za-z]{3,10}|[^\sA-Za-z0-9])"
)
_KEY_COMBO = LazyRegex(f"{_ONE_COMBO}(?:\\|{_ONE_COMBO}){{0,7}}")
# a configuration key's name and its sign, as a script greps for it (acme.sh's Le_PreHook=, Le_RenewalDays=)
_TITLE_KEY_AND_SIGN = LazyRegex(r"(?:[A-Z][a-z]+)+(?:_(?:[A-Z][a-z]+)+)+[=:]")
# a CSS custom property's or a command-line option's name (a design token's name: token: "--background")
_DASHED_NAME = LazyRegex(r"--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_TITLE_WORD = LazyRegex(r"[A-Z][a-z]+")
# A published port, as docker's and podman's -p take it: 27017:27017, 127.0.0.1:8080:80/tcp
_PORT_MAPPING = LazyRegex(
    r"(?:\d{1,3}(?:\.\d{1,3}){3}:)?\d{1,5}(?:-\d{1,5})?:\d{1,5}(?:-\d{1,5})?(?:/(?:tcp|udp))?"
)
_EMAIL = LazyRegex(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}")
_TITLE_COUNTED = LazyRegex(r"[A-Z][a-z]+[-_.]?\d{1,3}")
# a name after "@": a decorator's, a JSON-LD keyword's, a namespaced attribute's (AG_REFERENCES_KEY =
# "@ag.references")
# (or one word of letters: a Monaco tokenizer's state or action, "@rematch", "@brackets")
_AT_NAME = LazyRegex(r"@(?:[a-z]+|[a-z][a-z0-9]*(?:[._-][a-z][a-z0-9]*)+)")
_VERSION_SUFFIX = LazyRegex(r"[-_.]v?\d{1,3}$")
_LOWER_WORDS = LazyRegex(r"^_{0,2}[a-z]+(?:[-_.][a-z]+){2,}$")
# a lower-case word run's shorthand holding digits: a period ("3mo", "24h"), "e2e", "k8s", "i18n", "sso1"
_SHORTHAND = LazyRegex(r"\d{1,3}[a-z]{1,3}|[a-z]{1,3}\d{1,3}|[a-z]\d{1,2}[a-z]")
_LOWER_PARTS = LazyRegex(r"[-_.]")


def _in_docsearch_config(text: str, at: int) -> bool:
    """Whether offset ``at`` (an ``apiKey``'s value) is in an Algolia DocSearch configuration: an object
    with ``indexName`` beside it (a Docusaurus ``themeConfig.algolia``, a ``docsearch({...})`` call). Its
    key is the search-only key Algolia issues for the browser, public by design."""
    near = text[max(at - _DOCSEARCH_REACH, 0) : at + _DOCSEARCH_REACH]
    return "indexName" in near and "appId" in near


_DOCSEARCH_REACH = 400


def _in_new_relic_browser_config(text: str, at: int) -> bool:
    """Whether offset ``at`` (a ``licenseKey``) is in New Relic's browser agent configuration
    (``NREUM.info={…,licenseKey:"…"}``, ``NREUM.loader_config``), which every page it monitors carries: the
    browser key, public by design (the ingest license key is another, and its own rule's)."""
    return text.rfind("NREUM", max(0, at - _NREUM_REACH), at) >= 0


_NREUM_REACH = 300
_ADMIN_WORDS = frozenset({"admin", "write"})  # Algolia's other keys (ALGOLIA_ADMIN_API_KEY) are secrets


# Amazon's Product Advertising links (the widgets of recipe and review sites) carry the associate's AWS access
# key ID in this parameter, in every page that shows one; the secret key never travels in a link.
_ASSOCIATE_PARAMETER = "SubscriptionId="
# The name a value on the rest of the line is assigned to: NAME = ", "name": ', name: str = ", name => '
_ASSIGNED_NAME = LazyRegex(
    r"""(?P<name>[A-Za-z_$][\w.$-]{0,80})["'\]]?[ \t]{0,8}"""
    r"""(?::[^=\n]{0,40}=|:=|=>|=|:)[ \t]{0,8}[rbuRBU]?["'`]?$"""
)


def _assigned_to_standin(text: str, start: int) -> bool:
    """The value at ``start`` is assigned, on its line, to a name that says it is a stand-in (see
    :func:`names_standin`): the fastapi/full-stack-fastapi-template's ``DUMMY_HASH``, the hash of no one's
    password, verified against when no user matches so that a login takes as long either way."""
    line_start = text.rfind("\n", max(0, start - 200), start) + 1
    m = _ASSIGNED_NAME.search(text, max(line_start, start - 200), start)
    return m is not None and m.end() == start and names_standin(m["name"])


def _shortcut_or_css_name(value: str) -> bool:
    """A CSS custom property's name or a keyboard shortcut (see :data:`_DASHED_NAME`, :data:`_KEY_COMBO`)."""
    if value.startswith("--"):
        return _DASHED_NAME.fullmatch(value) is not None
    return _KEY_COMBO.fullmatch(value) is not None


def _looks_like_identifier(value: str) -> bool:
    """Two or more word-like parts in camel, snake, kebab or dotted case and no digits but a version suffix
    (``NextToken``, ``prod-db-credentials``, ``AWSAccessKeyId``, ``todo-app-state-v3``) or, in lower case, one
    or two shorthand parts (``mrr_interval_count_3mo``): an identifier or enum value, not a random secret."""
    if value.startswith("@"):
        return _AT_NAME.fullmatch(value) is not None
    value = _VERSION_SUFFIX.sub("", value)
    if not all(c.isalpha() or c in "-_." for c in value):
        # mrr_interval_count_3mo, polar_cl_e2e_seed_checkout_link, polar_at_u_sso1
        return value.islower() and _LOWER_WORDS.match(_without_shorthands(value)) is not None
    if _LOWER_WORDS.match(value):  # _auth_user_id, orders.created
        return True
    words = name_words(value)
    return len(words) >= 2 and sum(len(w) for w in words) >= 3.5 * len(words)


def _without_shorthands(value: str) -> str:
    """``value`` without one or two shorthand parts holding digits (see :data:`_SHORTHAND`) when it is a
    lower-case word run of three parts or more besides them; else ``""``. (A generated value is one long
    part, not letters-only words around a short one.)"""
    parts = _LOWER_PARTS.split(value)
    kept = [p for p in parts if _SHORTHAND.fullmatch(p) is None]
    if not 1 <= len(parts) - len(kept) <= 2 or len(kept) < 3 or sum(map(len, kept)) < 8:
        return ""
    return "_".join(kept)


_CREDENTIAL_WORDS = frozenset({"auth", "credential", "credentials", "creds", "login", "basic", "userpass"})
_CODE_NAME_CHARS = frozenset(":/0123456789")


def _names_code(value: str, words: Sequence[str]) -> bool:
    """An identifier of code or data in a key's or token's value: one with digits inside its words
    (``Ec2KeyName``), a namespaced one (``lambda:createdBy``) or a path of names (``S3Key/path/to/object``);
    see :func:`is_code_identifier`, :func:`is_namespaced_name`, :func:`is_name_path`. Not asked for password
    names (chosen passwords are words and digits: ``SummerTime2024``), nor the namespaced shape for names of
    credentials or auth values (``user:password`` is their format)."""
    if _CODE_NAME_CHARS.isdisjoint(value):  # (most values: the letters-only shapes are judged elsewhere)
        return False
    if "/" in value:
        return is_name_path(value)
    if ":" in value:
        return _CREDENTIAL_WORDS.isdisjoint(words) and is_namespaced_name(value)
    return is_code_identifier(value)


_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_ALNUM = _ASCII_LOWER | _ASCII_UPPER | _ASCII_DIGITS


# Words that follow an option's name in a sentence about it, never as its value ("--user and --password")
_PROSE_WORDS = frozenset({"and", "or", "nor", "the", "to", "is", "are", "was", "with", "for", "instead"})
_CLAUSE_END = LazyRegex(r"\(?-?[a-z][a-z-]*\)?[.,:)]")


def _reads_as_prose(text: str, start: int, end: int) -> bool:
    """Whether the value ``text[start:end]`` after an option's name is the next word of a sentence: a
    conjunction or the like, or a lower-case word (or ``(-r)``) that ends a clause, followed by a space, a
    closing quote or the end of the line. A password ending in a full stop and otherwise lower-case letters
    only is given up."""
    value = text[start:end]
    if value in _PROSE_WORDS:
        return True
    return (end == len(text) or text[end] in " \t\r\n\"'`") and _CLAUSE_END.fullmatch(value) is not None


def _is_test_result(text: str, name_start: int, name_end: int) -> bool:
    """Whether ``PASS`` at ``name_start`` begins a test log's result line, ``PASS: name`` at the start of a
    line, as automake's test-suite.log, DejaGnu's .sum files and the TAP harnesses write them."""
    return (name_start == 0 or text[name_start - 1] == "\n") and text.startswith(": ", name_end)


def _char_classes(value: str) -> int:
    """How many of lower-case, upper-case, digits and other characters ``value`` holds."""
    if value.isascii():  # the same judgement by set operations (a hot path)
        chars = set(value)
        return (
            (not chars.isdisjoint(_ASCII_LOWER))
            + (not chars.isdisjoint(_ASCII_UPPER))
            + (not chars.isdisjoint(_ASCII_DIGITS))
            + (not chars <= _ASCII_ALNUM)
        )
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def is_doc_path(relpath: str | None) -> bool:
    """True for documentation files, whose made-up example values (``abcd1234efgh5678``) are not leaks."""
    return relpath is not None and relpath.lower().endswith(_DOC_SUFFIXES)


# Languages of a documentation's code block that is a configuration file's text
_CONFIG_LANGUAGES = frozenset(
    {"env", "dotenv", "ini", "cfg", "conf", "properties", "toml", "yaml", "yml", "sh", "bash", "shell", "zsh"}
)
_FENCE = LazyRegex(r"[ \t]{0,3}(`{3,}|~{3,})[ \t]*\{?\.?([\w+-]*)")
_ASCIIDOC_SOURCE = LazyRegex(r"\[source,[ \t]*([\w+-]+)")
_ENV_LINE = LazyRegex(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][\w.-]*=\S*[ \t]*")
_BLOCK_HINTS = ("```", "~~~", "[source")


def config_blocks(text: str) -> list[tuple[int, int]]:
    """The spans of a documentation's code blocks that hold a configuration file's text: a fenced block
    (Markdown's ```` ``` ```` or ``~~~``, also in AsciiDoc and MDX) or an AsciiDoc ``[source,lang]`` block
    delimited by ``----``, whose language is one of a configuration's or a shell's (``env``, ``yaml``,
    ``ini``, ``bash``, …) -- or, without a language, whose lines are all ``NAME=value`` (two or more; comments
    and blank lines aside): an env file shown in the docs (WrongSecrets' ``DB_PASS=…`` in an ``.adoc``). In
    these the configuration rules read unquoted ``NAME=value`` lines, as in a ``.env`` file. One pass over
    the lines; an unclosed block runs to the end."""
    if not any(hint in text for hint in _BLOCK_HINTS):
        return []
    spans: list[tuple[int, int]] = []
    fence = ""  # the open block's closing line ("" when none is open)
    language = ""
    body = 0
    pos = 0
    pending = ""  # an AsciiDoc [source,lang] line's language, waiting for its "----"
    for line in text.splitlines(keepends=True):
        bare = line.strip()
        if fence:
            if bare == fence or (fence[0] in "`~" and bare.startswith(fence) and not bare.strip(fence[0])):
                _close_block(text, body, pos, language, spans)
                fence = ""
        elif (m := _FENCE.match(line)) is not None:
            fence, language, body = m.group(1), m.group(2).lower(), pos + len(line)
        elif pending and bare.startswith("----") and not bare.strip("-"):
            fence, language, body = bare, pending, pos + len(line)
            pending = ""
        else:
            source = _ASCIIDOC_SOURCE.match(bare)
            pending = source.group(1).lower() if source is not None else ""
        pos += len(line)
    if fence:
        _close_block(text, body, pos, language, spans)
    return spans


def _close_block(text: str, start: int, end: int, language: str, spans: list[tuple[int, int]]) -> None:
    if language in _CONFIG_LANGUAGES:
        spans.append((start, end))
    elif not language:
        lines = [ln for ln in text[start:end].splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if len(lines) >= 2 and all(_ENV_LINE.fullmatch(ln) for ln in lines):
            spans.append((start, end))


def _inside(spans: Sequence[tuple[int, int]], offset: int) -> bool:
    index = bisect.bisect_right(spans, (offset, 1 << 62)) - 1
    return index >= 0 and spans[index][0] <= offset < spans[index][1]


# Locale files: a folder of translations (frontend/lang/messages/de-DE.json, src/locales/fr.ts,
# config/locales/nl.yml), a file named by its language (de.json, pt-BR.yml, zh_Hans.json), a Java resource
# bundle (messages_de.properties) or a translation format (.po, .xliff, .arb, .strings)
_LOCALE_DIRS = frozenset(
    {
        "locale",
        "locales",
        "lang",
        "langs",
        "language",
        "languages",
        "i18n",
        "l10n",
        "translations",
        "translation",
    }
)
_LOCALE_SUFFIXES = (".json", ".yml", ".yaml", ".properties", ".js", ".ts", ".mjs", ".toml", ".ini")
_TRANSLATION_SUFFIXES = (".po", ".pot", ".xlf", ".xliff", ".arb", ".strings")
# ISO 639-1 codes of the languages software is most often translated into
_LANGUAGES = frozenset(
    "af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fil fr ga gl gu he hi hr hu hy "  # noqa: SIM905
    "id is it ja ka kk km kn ko ku ky lo lt lv mk ml mn mr ms my nb ne nl nn no pa pl ps pt ro ru si "
    "sk sl sq sr sv sw ta te th tl tr uk ur uz vi zh "
    # languages fewer UIs are translated into (umami's Faroese: fo-FO.json)
    "am ast br ckb fo fy gd ha ig jv kab lb mi mt oc sd so su tg tk tt ug xh yi yo zu".split()
)
_LOCALE_STEM = LazyRegex(r"(?:[a-z0-9]+_)?([a-z]{2,3})(?:[-_][a-z]{2,4}){0,2}")


def is_locale_path(relpath: str | None) -> bool:
    """True for a locale file (see :data:`_LOCALE_DIRS`): its values under a password name are a UI's text
    (the Afrikaans label of a new-password field, ``Nuwe wagwoord``), in every language it is translated
    into."""
    if relpath is None:
        return False
    parts = relpath.lower().replace("\\", "/").split("/")
    name = parts[-1]
    if name.endswith(_TRANSLATION_SUFFIXES):
        return True
    if not name.endswith(_LOCALE_SUFFIXES):
        return False
    if not _LOCALE_DIRS.isdisjoint(parts[:-1]):
        return True
    if name.endswith((".js", ".ts", ".mjs")):
        return False  # (code named like a language, "ms.ts", only counts inside a locale folder)
    stem = _LOCALE_STEM.fullmatch(name.rsplit(".", 1)[0])
    return stem is not None and stem.group(1) in _LANGUAGES


def interpolates_dollar(relpath: str | None) -> bool:
    """Whether ``$name`` inside a double-quoted or bare value of this file may be filled in by a tool: false
    only for languages and formats where it is literal text (see ``_LITERAL_DOLLAR_SUFFIXES``); compose files
    and CI pipelines interpolate it."""
    if relpath is None:
        return True
    low = relpath.lower()
    name = low.rsplit("/", 1)[-1]
    if not name.endswith(_LITERAL_DOLLAR_SUFFIXES):
        return True
    return (
        "compose" in name
        or ".gitlab-ci" in name
        or "/.github/workflows/" in f"/{low}"
        or name in {"bitbucket-pipelines.yml", "azure-pipelines.yml", ".travis.yml", "cloudbuild.yaml"}
    )


def _value_looks_literal(
    rule: Rule,
    name: str,
    value: str,
    *,
    doc_file: bool = False,
    dollar_refs: bool = True,
    words: Sequence[str] | None = None,
    locale_file: bool = False,
) -> bool:
    """Extra judgement for assignment rules: is ``value`` a literal secret rather than code, a path or
    prose? ``dollar_refs``: ``$name`` in the value is a reference to be filled in (see
    :func:`interpolates_dollar`). ``words``: ``name_words(name)`` when the caller has them."""
    v = value.strip()
    if len(v) < 4 or ("\\" in v and len(_ESCAPE.sub("?", v)) < 4):
        return False  # (escapes count as the characters they write: SASLprep's tests, password="\u2163")
    if "\\r\\n" in v and _RESP_FRAME.fullmatch(v) is not None:
        return False  # message_token = b"$7\r\nmessage\r\n": a Redis protocol frame, lengths and words
    lines = _credentials_lines(v)
    if lines is not None:
        # a credentials file's lines as the value: a literal when one of its lines holds one under that line's
        # own name
        return any(
            line is not None
            and is_secret_name(line.group(1))
            and not is_placeholder(line.group(2))
            and _value_looks_literal(
                rule, line.group(1), line.group(2), doc_file=doc_file, dollar_refs=dollar_refs
            )
            for line in lines
        )
    # code, a format string, a path, ``$name`` (where filled in), "k=v;k2=v2" or an env var's name
    if _not_literal(v, dollar_refs):
        return False
    if words is None:
        words = name_words(name)
    # a rule for any secret's name (an env lookup's default) judges a key's or a token's value as a key's:
    # LDAP_DISPLAY_NAME_KEY's "displayName" is an identifier; a password's may be one (SummerTime)
    password_like = "password" in rule.tags and ("generic" not in rule.tags or names_password(words))
    low = v.lower()
    if low in words or low.replace("-", "_") == "_".join(words):
        return False
    joined = "".join(words)
    if len(low) >= len(joined) and _NOT_NAME_CHARS.sub("", low) == joined:
        return False  # the name in another case style: OAUTH2_CLIENT_CREDENTIALS = "oAuth2ClientCredentials"
    # the value names the key rather than holding a secret:
    # IAMUserChangePassword = "arn:...IAMUserChangePassword",
    # CLIENT_AUTH: "clientAuth", "auth0": "types-auth0-python"
    if len(name) >= (10 if password_like else 4) and name.lower() in low:
        return False
    value_words = name_words(v)
    if value_words and list(words[-len(value_words) :]) == value_words:
        return False
    if names_secret_field(v, words):  # "nextToken", "confirmPassword": a field's name, not its value
        return False
    if (
        not password_like
        and (said := _NAME_WORD_COUNTED.fullmatch(v.lower())) is not None
        and said[1] in words
        and _counted(said[2])
    ):
        # RefreshToken: "refresh12345": a word of the name and a count, a test's stand-in (a token is
        # generated; a password may be typed so, MINIO_ROOT_PASSWORD=minio123, and stays reported)
        return False
    if v[-3:] in _ME_ENDINGS and (said := _WORD_ME.fullmatch(v)) is not None and said[1] in words:
        return False  # vault_password: 'vault-me', ssh_password: 'ssh-me': a test's stand-in
    if (
        v[-1] == "="
        and (decoded := decoded_base64_text(v)) is not None
        and names_secret_field(decoded, words)
    ):
        return False  # the same in a Kubernetes Secret's data: base64 of "postgres-user-password"
    if len(v) < 8 and not any(c.isalpha() for c in v):  # a version or a number ("3.0-", "1234")
        return False
    if not password_like and (_looks_like_identifier(v) or _names_code(v, words)):
        return False
    if not password_like and is_plain_word(v):  # strategy_wildcard_key = "relationship": a word, not a key
        return False
    # (a capitalised word too: SecretString="Something1", Room(token="Orange-2"))
    counted_v = v.lower() if not password_like and _TITLE_COUNTED.fullmatch(v) else v
    if not password_like and (counted := _WORD_AND_COUNT.fullmatch(counted_v)) and is_plain_word(counted[1]):
        return False  # token: "permission-1": a word and a test's count, not a key
    if not password_like and _LABEL_AND_COUNT.fullmatch(counted_v) is not None:
        return False  # signalKey: "signal-1": a short label and a count; a generated key is longer, random
    if not password_like and "@" in v and _EMAIL.fullmatch(v) is not None:
        return False  # "email_creds": "baz@ory.sh": an address, a user's name at most
    if not password_like and _KEY_PATTERN.fullmatch(v) is not None:
        return False  # WILDCARD_KEY = "subscription:*": a pattern of keys to match, not a key
    if (
        not password_like
        and ":" in v
        and len(words) >= 2
        and words[-1] == "key"
        and _SECRET_KEY_WORDS.isdisjoint(words)
        and _STORE_KEY_NAME.fullmatch(v) is not None
    ):
        return False  # SUSPENDED_KEY = 'rq:suspended': a Redis or cache key's name in its namespace
    if not password_like and v[-1] in "=:" and _TITLE_KEY_AND_SIGN.fullmatch(v) is not None:
        return False  # acme_pre_hook_key="Le_PreHook=": the name of a key of a file, with its sign
    if not password_like and v[0] in "-CcSsAaMmOoWw" and _shortcut_or_css_name(v):
        return False  # PASTE_RAW_KEY = "Mod-Shift-v", { token: "--background" }: a shortcut, a CSS variable
    if (doc_file or not password_like) and is_sequential(v):
        # documentation examples ("123456789012", "abcd1234efgh5678"), and a key's or a token's made-up value
        # anywhere ('auth_key': 'abc123def456'): keys are generated, never typed in a row; a password may be
        # (a weak one in use is still a leak: "abc123def456" under a password's name in code is reported)
        return False
    if locale_file and _is_ui_text(v):
        return False
    if _VERSION_STRING.fullmatch(v) is not None:  # "@nuxtjs/auth-next": "5.0.0-1667386184.dfbbb54"
        return False
    if v[:1].isdigit() and _ISO_DATE.fullmatch(v) is not None:
        return False  # a validator's test case, pass: '2011-02-04': a calendar date (and time), not a secret
    if not _COMPARISONS.isdisjoint(v) and _REQUIREMENT.fullmatch(v) is not None:
        # a tox factor's dependency: py3.9-langchain-notiktoken-v0.1.20: aiohttp==3.13.5
        return False
    if v.startswith("npm:") and _NPM_ALIAS.fullmatch(v) is not None:  # yarn.lock: path-key: "npm:^3.1.0"
        return False
    if _TRACEPARENT.fullmatch(v) is not None:  # a W3C trace context's traceparent: ids of a trace and a span
        return False
    if not password_like and v[:2] in ("x-", "X-") and _header_name(v):
        return False  # TRACE_ID_KEY = "x-b3-traceid": the name of an HTTP header, not its value
    if v.count(" ") >= (2 if password_like else 1):
        return False
    if "</" in v and _CLOSING_TAG.search(v) is not None:
        return False  # {'x-api-key': "key<script>alert(1)</script>"}: markup, a test's hostile input
    if " " in v and _KEYWORD_PHRASE.fullmatch(v) is not None:
        return False  # userPassword = "PASSWORD NULL": upper-case keywords, a statement's part (SQL)
    if password_like and " " in v and is_secret_label(v):  # "Show password", "incorrect password"
        return False
    if not v.isascii() and is_natural_language(v):  # UI text of a locale: "用户名或密码错误"
        return False
    if v.isdigit() and len(v) < 6:
        return False
    if password_like and len(v) < 14 and _char_classes(v.lower() if _TITLE_WORD.fullmatch(v) else v) < 2:
        # a lone dictionary word ("python", "wile"; an ASCII one capitalised too: "Done" in 'verdict ===
        # "pass" ? "Pass" : "Done"'): a test fixture or a word of code far more often than a password
        return False
    return not (not password_like and len(v) < 8)


# An escape of one character in a string literal: \u2163, \x41, \U0001F600
_ESCAPE = LazyRegex(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2})")
# A Redis protocol (RESP) frame in a string literal: a type's sign and a length or a word between escaped
# line breaks ("$7\r\nmessage\r\n", "*2\r\n$3\r\nget\r\n")
_RESP_FRAME = LazyRegex(r"(?:[$*:+-]?\d{0,6}[A-Za-z]{0,24}\\r\\n)+[$*:+-]?\d{0,6}[A-Za-z]{0,24}")
# A closing tag of markup inside a value
_CLOSING_TAG = LazyRegex(r"</[A-Za-z][\w-]{0,20}>")
# Upper-case keywords and a space between each: a statement's part, not a value ("PASSWORD NULL")
_KEYWORD_PHRASE = LazyRegex(r"[A-Z]{2,}(?: [A-Z]{2,})+")
# NAME=value with a snake-case name (no "=" after it): a line of a credentials or env file
_CREDENTIALS_LINE = LazyRegex(r"([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=([^=]*)")
_ESCAPED_NEWLINE = LazyRegex(r"(?:\\r)?\\n")


def _credentials_lines(value: str) -> list[re.Match[str] | None] | None:
    """The ``NAME=value`` lines of ``value`` when it is a credentials file's lines, one or more joined by
    escaped newlines (nginx-proxy-manager's certbot DNS plugins: ``"credentials":
    "dns_cdmon_api_key=your-cdmon-api-token\\ndns_cdmon_domain=…"``); None when it is no such thing. (Each
    line's value is judged under that line's own name: a placeholder on one line does not hide a token on
    another.)"""
    if "=" not in value:
        return None
    if "\\n" not in value:
        # one line: only under a name that says secret (a token may hold "=" and "_": live_cpo0…=tga45…)
        line = _CREDENTIALS_LINE.fullmatch(value)
        return [line] if line is not None and is_secret_name(line.group(1)) else None
    lines = [_CREDENTIALS_LINE.fullmatch(part) for part in _ESCAPED_NEWLINE.split(value)]
    return lines if any(lines) else None


# An HTTP extension header's name: x-b3-traceid, x-request-id (short lower-case parts)
_HEADER_PARTS = LazyRegex(r"[xX](?:-[a-z0-9]{1,12}){1,5}")


def _header_name(value: str) -> bool:
    """``value`` is the name of an ``x-`` HTTP header (OpenTelemetry's B3 propagator: ``x-b3-traceid``,
    ``x-b3-flags``): short lower-case parts, one of them a word of four letters or more. A token after
    ``x-`` is one long random part (``x-8f3k2m9x7q4w1e5r6t0y``)."""
    return _HEADER_PARTS.fullmatch(value) is not None and any(
        len(part) >= 4 and part.isalpha() for part in value.split("-")[1:]
    )


# A W3C trace context's traceparent header: version, trace ID, parent span ID, flags
_TRACEPARENT = LazyRegex(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
# A semantic version (a package manifest's dependency, an image tag), a prerelease or build part included
_VERSION_STRING = LazyRegex(r"[v^~=<>]{0,2}\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
# A Python requirement with a version (PEP 508's name, extras; PEP 440 versions): aiohttp==3.13.5,
# httpx[http2]>=0.27,<0.29, django~=4.2.0 (a chosen password such as "I<3C3H8" has no version after "<")
_VERSION_440 = r"\d+(?:\.\d+)*(?:\.\*|(?:a|b|rc)\d+|\.post\d+|\.dev\d+|\+[A-Za-z0-9.]+)*"
_REQUIREMENT = LazyRegex(
    rf"[A-Za-z0-9][\w.-]+(?:\[[\w,.-]+\])?[ \t]*(?:===?|>=|<=|~=|!=|<|>)[ \t]*{_VERSION_440}"
    rf"(?:[ \t]*,[ \t]*(?:===?|>=|<=|~=|!=|<|>)[ \t]*{_VERSION_440})*"
)
_COMPARISONS = frozenset("=<>")
# An ISO 8601 calendar date, with a time and a zone or not: 2011-02-04, 2024-07-08T10:15:30.123Z
_ISO_DATE = LazyRegex(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?"
)
# A dependency's range as Yarn 2+ lockfiles and package aliases write it: npm:^3.1.0, npm:@scope/name@1.2.3
_NPM_ALIAS = LazyRegex(
    r"npm:(?:@?[a-z0-9][\w.-]*(?:/[\w.-]+)?@)?[v^~=<>]{0,2}\d+(?:\.(?:\d+|x|\*)){0,2}(?:-[0-9A-Za-z.-]+)?"
)
# Text for people: words of letters of any script, spaces and punctuation, no digit or symbol
_UI_TEXT = LazyRegex(r"[^\W\d_](?:[^\W\d_]|[ '’.,!?:;…()/\-])*")
_DIGITS = LazyRegex(r"\d")
# A JSON escape of a character (umami's Khmer "ពាក្យសម្ងាត់\u200bថ្មី": a zero-width space between words)
_UNICODE_ESCAPE = LazyRegex(r"\\u([0-9a-fA-F]{4})")
# invisible word breaks and the no-break spaces of typography (French "Oublié\u202f?")
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00a0\u202f\u2009", " "))


def _is_ui_text(value: str) -> bool:
    """A locale file's value that is text for people: words and punctuation (``Nuwe wagwoord``,
    ``Palavra-passe``, ``Zaporka``, ``Nesprávné jméno/heslo.``), or words of a script other than Latin that
    may hold a number (``パスワードは8文字以上にしてください``). JSON escapes of characters are read as the
    characters, and invisible word breaks as spaces; the combining marks of a script (Devanagari's vowel
    signs, Hebrew's points: ``एक-समयको पासवर्ड``) belong to the letter before them."""
    if "\\u" in value:
        value = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    value = value.translate(_INVISIBLE)
    if _UI_TEXT.fullmatch(value) is not None:
        return True
    if not value.isascii():
        unmarked = "".join(c for c in value if not unicodedata.category(c).startswith("M"))
        if unmarked and unmarked[0] == value[0] and _UI_TEXT.fullmatch(unmarked) is not None:
            return True
        if sum(map(writes_without_spaces, value)) >= 2:
            return True  # 密钥Base64编码: words of Chinese or Japanese around a technical term
    return not value.isascii() and is_natural_language(_DIGITS.sub("", value))


# A port, then a fragment's or a query's start: what URL syntax makes of "host:80#@other"
# (or a backslash: http://INTERNAL:8888\@PUBLIC/, a parser-differential SSRF payload in changedetection.io)
_PORT_THEN_DELIMITER = LazyRegex(r"\d{1,5}[#?\\]")
# An image digest after "@" (docker://docker:29.3@sha256:4d90…, an image reference read as a URL's userinfo)
# (hex with a letter: a host named so before a numeric port, sha256:8080, is a host; an elided digest in a
# document, sha256:4d90…, is still a digest)
_DIGEST_AFTER = LazyRegex(r"sha(?:256|384|512):[0-9]*[a-f]")
_HOST_CHARS = LazyRegex(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+")  # (an IPv6 address in brackets too)


# What comes right before a URL that a browser requests: an HTML attribute, a Markdown link or image, CSS
_PAGE_URL_BEFORE = LazyRegex(
    r"(?:\b(?:src|href|action|data|poster)\s{0,2}=\s{0,2}[\"']?|\]\(|\burl\(\s{0,2}[\"']?)$"
)
_PAGE_STARTS = ("<!doctype html", "<html")


def _public_page_url(text: str, query_start: int) -> bool:
    """The URL whose query starts at ``query_start`` is a documentation host's (``https://example.com/?…``)
    or one a web page makes every visitor's browser request -- in an HTML attribute (``<script
    src="…?apikey=…">``), a Markdown link or image, CSS ``url(…)``, or anywhere in a saved web page: what
    its query holds is public by design (Sentry's, Tag Manager's, Gigya's browser keys) or has been sent to
    every visitor already. (Known secret kinds are their own rules' findings there.)"""
    # a saved web page (an HTML document from its first line; not a file that merely mentions <script>),
    # whatever the URL's spelling (https:\u002F\u002F… in its scripts' JSON)
    if text[:256].lstrip("\ufeff \t\r\n").lower().startswith(_PAGE_STARTS):
        return True
    line_start = text.rfind("\n", 0, query_start) + 1
    scheme = text.rfind("://", line_start, query_start)
    if scheme < 0:
        return False
    host = _HOST_CHARS.match(text, scheme + 3, query_start)
    if host is not None and is_doc_host(host.group()):
        return True
    url_start = scheme
    while url_start > line_start and (text[url_start - 1].isalnum() or text[url_start - 1] in "+.-"):
        url_start -= 1  # back over the scheme's name
    return _PAGE_URL_BEFORE.search(text, max(line_start, url_start - 24), url_start) is not None


def _host_after(text: str, secret_end: int, match_end: int) -> str:
    """The host after the ``@`` that ends a URL's user information (``""`` when no ``@`` follows)."""
    if text[secret_end : secret_end + 1] != "@":
        return ""
    host = _HOST_CHARS.match(text, secret_end + 1, match_end)
    return host.group() if host is not None else ""


def _user_before(text: str, secret_start: int) -> str:
    """The user name of a URL's user information ending at ``secret_start`` (``""`` when there is none)."""
    if text[secret_start - 1 : secret_start] != ":":
        return ""
    scheme_end = text.rfind("://", max(0, secret_start - 256), secret_start)
    return "" if scheme_end < 0 else text[scheme_end + 3 : secret_start - 1]


def _whole_field(text: str, start: int, end: int) -> str:
    """The inside of the braces around ``text[start:end]``: that text, or, when it holds nested fields a
    pattern stopped inside (``{x:{w}.{p}f}`` taken to its first ``}``), on to the brace closing the outer
    field (at most 64 characters more, on the same line)."""
    depth = text.count("{", start, end) - text.count("}", start, end)  # nested fields left open
    if depth <= 0:
        return text[start:end]
    depth += 1  # the field's own brace
    limit = min(len(text), end + 64)
    for stop in range(end, limit):
        char = text[stop]
        if char == "\n":
            break
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:stop]
    return text[start:end]


_B64_SIGNS = frozenset("+/")
_BLOB_SIDE = 32  # base64 characters on each side of a match inside a blob, at least


_LEAD_SEPARATORS = LazyRegex(r"[^A-Za-z0-9]+")
_ID_WORDS = frozenset({"id", "ids", "uuid", "guid", "identifier"})


_SPACED_ASSIGNMENT = LazyRegex(r"[ \t]=|=[ \t]")


def _no_shell_word(text: str, match_start: int, start: int, secret: str, config_file: bool) -> bool:
    """Whether an unquoted value a command-line rule found cannot be a word of a shell command line: it holds
    a parenthesis (shell syntax, so a call or a command substitution: ``get_password()``, ``$(cat pw)``), or,
    in source code, it follows ``NAME = `` with blanks around ``=`` (an assignment of an expression: a shell
    assignment has none; ``MYSQL_PWD = cfg.db.password``). In configuration (a Makefile's ``PGPASSWORD =
    value``) the spaced form stays a literal."""
    if "(" in secret or ")" in secret:
        return True
    return not config_file and _SPACED_ASSIGNMENT.search(text, match_start, start) is not None


def _names_an_identifier(lead: str) -> bool:
    """The text a context rule matched before its secret (``HUBSPOT_FORM_ID_SAAS = "``) names an identifier
    (``id``, ``uuid``, ``guid``) and no secret (``key``, ``token``, ``secret``): asked for a UUID-shaped
    secret only, where a provider's form, portal or app id has its key's shape. (Some providers do call a
    secret an id: CodeClimate's CC_TEST_REPORTER_ID, Blynk's oa2-client-id_…, not UUIDs.)"""
    if "id" not in lead.lower():
        return False
    is_secret, words = secret_name_and_words(_LEAD_SEPARATORS.sub("_", lead).strip("_"))
    return not is_secret and not _ID_WORDS.isdisjoint(words)


def _inside_base64_blob(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` lies inside a run of base64 (a ``data:`` URI's image, a HAR file's body, a
    certificate), which the format's ``+`` or ``/`` before it cut: 32 base64 characters or more stand right
    before and right after it -- on its line, or on its line and the one before or after when the base64 is
    wrapped into lines (a PEM body, a plist's ``<data>``: celery's OmniGraffle files). A token is never
    written so: before it stands a quote, a blank, ``=`` or a URL's punctuation, and base64 around a token it
    was pasted next to has no ``+``/``/`` at its edge."""
    return _base64_before(text, start) >= _BLOB_SIDE and _base64_after(text, end) >= _BLOB_SIDE


def _base64_before(text: str, start: int) -> int:
    """How many base64 characters (:data:`_BLOB_SIDE` at most on this line) stand right before ``start``,
    the line before counted too when this line is base64 from its indentation to ``start`` and that line is
    base64 of 40 characters or more (wrapped base64)."""
    line_start = text.rfind("\n", 0, start) + 1
    part = text[max(line_start, start - _BLOB_SIDE) : start]
    run = _b64_run(reversed(part))
    if run >= _BLOB_SIDE or run < len(part.lstrip(" \t")) or line_start == 0:
        return run
    previous = text[text.rfind("\n", 0, line_start - 1) + 1 : line_start - 1].strip()
    return run + (len(previous) if _is_b64_line(previous) else 0)


def _base64_after(text: str, end: int) -> int:
    """The same after ``end``: this line's rest, then the next line when the rest is all base64."""
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    part = text[end : min(line_end, end + _BLOB_SIDE)]
    run = _b64_run(part)
    if run >= _BLOB_SIDE or run < len(part.rstrip(" \t\r")) or line_end >= len(text) - 1:
        return run
    next_end = text.find("\n", line_end + 1)
    following = text[line_end + 1 : next_end if next_end >= 0 else len(text)].strip()
    return run + (len(following) if _is_b64_line(following) else 0)


def _b64_run(chars: Iterable[str]) -> int:
    """How many of ``chars``, from the first, are base64 characters."""
    count = 0
    for c in chars:
        if c not in _B64_BODY_CHARS:
            break
        count += 1
    return count


def _is_b64_line(line: str) -> bool:
    """A line of wrapped base64: 40 characters or more, padding at its end at most."""
    return len(line) >= 40 and _B64_BODY_CHARS.issuperset(line.rstrip("="))


_SENTENCE_START = LazyRegex(r"[A-Z]?[a-z]+(?: [a-z]+){0,5} ")


def _inside_one_string(text: str, name_start: int, name_end: int, opening: int) -> bool:
    """The name and its operator end one string literal (``"Password:"``, ``"client_secret:"``, ``"Unexpected
    token ="``) that the quote at ``opening`` closes: no quote stands between them, and the same quote stands
    right before the name or before a few lower-case words leading to it (a sentence). What the pattern took
    for a value is then code between two strings (minified JavaScript:
    ``createElement("label",null,"Password:"),v?createElement("code",…)``), not a quoted value. An assigned
    value's name has its own quotes or none (``"password":"…"``, ``password="…"``)."""
    quote = text[opening]
    if name_start == 0 or not _QUOTES.isdisjoint(text[name_end:opening]):
        return False
    if text[name_start - 1] == quote:
        return True
    # (Babel's parser messages, minified: DefaultRestParameter:"Unexpected token =",DuplicateBinding:"…")
    before = text.rfind(quote, max(0, name_start - 64), name_start)
    return before >= 0 and _SENTENCE_START.fullmatch(text, before + 1, name_start) is not None


# A value that may begin with a token format's prefix: letters and digits, then "-" or "_"
_PREFIX_SHAPE = LazyRegex(r"[A-Za-z0-9]{2,20}[-_]")
# Prefixes whose stem is a word (mailgun's key-, Twitch's live_, HubSpot's pat-): any value may begin so
_WORD_STEMS = frozenset({"key", "pat", "api", "live", "access"})
# What may be a random part of a token (base64's "+" and "/" included)
_RANDOM_RUN = LazyRegex(r"[A-Za-z0-9+/]{12,}")
# A token's part after its prefix made of words, then digits or nothing
_WORDS_THEN_DIGITS = LazyRegex(r"([A-Za-z]{12,})[0-9]*")


def _token_prefixes(rules: Sequence[Rule]) -> dict[str, tuple[tuple[str, int], ...]]:
    """The prefixes of the token formats among ``rules`` (high confidence, neither generic nor password, case
    sensitive; see :meth:`Detector.is_token_stand_in`), with the width of their shortest token, by the
    prefixes' first two characters."""
    from ._matcher import secret_prefixes

    table: dict[str, list[tuple[str, int]]] = {}
    for rule in rules:
        if (
            rule.confidence is not Confidence.HIGH
            or rule.case_insensitive
            or not _NAME_JUDGED_TAGS.isdisjoint(rule.tags)
        ):
            continue
        prefixes, width = secret_prefixes(rule.pattern, rule.secret_group)
        for prefix in prefixes:
            separator = min((i for i in (prefix.find("-"), prefix.find("_")) if i > 0), default=-1)
            if len(prefix) >= 4 and separator > 0 and prefix[:separator].lower() not in _WORD_STEMS:
                table.setdefault(prefix[:2], []).append((prefix, width))
    return {pair: tuple(entries) for pair, entries in table.items()}


# Rules that judge their values by the names given to them (see _value_looks_literal), not by the words test
_NAME_JUDGED_TAGS = frozenset({"generic", "password"})


class Detector:
    """Rules + matcher + filters. One per scanner (and per worker process)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        secret_names: AbstractSet[str] = frozenset(),
        backend: str | MatcherBackend | None = None,
        untrusted: AbstractSet[str] = frozenset(),
    ) -> None:
        self.rules = tuple(rules)
        self.secret_names = secret_names
        # Rules whose id is in ``untrusted`` come from a configuration file: RE2 runs them, never re.
        specs = [
            PatternSpec(r.pattern, r.case_insensitive, r.keywords, linear=r.id in untrusted)
            for r in self.rules
        ]
        specs.append(PatternSpec(_B64_PATTERN))
        specs.append(PatternSpec(_B64_PEM_PATTERN))
        self._b64_index = len(self.rules)
        self._b64_indices = frozenset({len(self.rules), len(self.rules) + 1})
        self.matcher = Matcher(specs, backend)
        self._config_only = frozenset(i for i, r in enumerate(self.rules) if "config-only" in r.tags)
        # (id(rule), name, value, doc file, $ references, locale file) -> whether the value alone passes (see
        # _judge)
        self._verdicts: dict[tuple[int, str, str, bool, bool, bool], bool] = {}
        # The keywords of every rule, to answer "can any rule match?" for a short text without the matcher
        # (analyzers ask about one value at a time); None when some rule has none (it is always tried).
        keywords = [k for r in self.rules for k in r.keywords]
        self._keyword_chars: frozenset[str] = frozenset(k for k in keywords if len(k) == 1)
        self._keyword_pairs: dict[str, tuple[str, ...]] | None = None
        # the token formats' prefixes by their first two characters, with their widths (see
        # is_token_stand_in; worked out when first asked)
        self._token_prefixes: dict[str, tuple[tuple[str, int], ...]] | None = None
        if all(spec.keywords for spec in specs[: len(self.rules)]):
            pairs: dict[str, set[str]] = {}
            for k in keywords:
                if len(k) > 1:
                    pairs.setdefault(k[:2], set()).add(k)
            self._keyword_pairs = {pair: tuple(sorted(ks)) for pair, ks in pairs.items()}

    def is_token_stand_in(self, value: str) -> bool:
        """Whether ``value`` has a token format's own prefix (``xoxb-``, ``sk-ant-``, ``ghp_``: the literal
        its rule's secret begins with, four characters or more holding a ``-`` or ``_``) and is a test's or a
        document's stand-in rather than a token: shorter than any real token of the kinds that begin so,
        with nothing random after the prefix (no run of 12 letters and digits of two kinds:
        ``xoxb-111-222-xyz``, ``sk-ant-oat01-x``, ``sk-ant-oat01-SECRETMATERIAL``); or, at any length,
        words and then digits after it (octokit's ``ghp_PersonalAccessToken01245678900000000``). A token of
        an older or undocumented shape keeps its random part (``xapp-083452001657-ShAYwge/87H4lC3j7lZ48pAL``
        is still a secret); a prefix whose stem is a word (``key-``, ``live_``) says nothing."""
        if len(value) < 5 or _PREFIX_SHAPE.match(value) is None:
            return False
        prefixes = self._token_prefixes
        if prefixes is None:
            prefixes = self._token_prefixes = _token_prefixes(self.rules)
        matching = [
            (prefix, width) for prefix, width in prefixes.get(value[:2], ()) if value.startswith(prefix)
        ]
        if not matching:
            return False
        body = value[max(len(prefix) for prefix, _ in matching) :]
        if (words := _WORDS_THEN_DIGITS.fullmatch(body)) is not None and reads_as_words(words[1]):
            return True  # words naming the kind, then digits: ghp_PersonalAccessToken01245678900000000
        if len(value) >= min(width for _, width in matching):
            return False
        return not any(_char_classes(run) >= 2 for run in _RANDOM_RUN.findall(body))

    @property
    def backend(self) -> MatcherBackend:
        return self.matcher.backend

    def prescan(self, data: bytes) -> Prescan | None:
        """Hyperscan's candidates for a document's raw bytes (``None`` with other backends); ``.empty`` means
        no rule can match, so the document need not even be decoded."""
        return self.matcher.prescan(data)

    @staticmethod
    def starts_with_base64(data: bytes) -> bool:
        """Whether a document's bytes begin with a base64 run long enough to be decoded: such a document is
        looked at even when the prescan found no delimited candidate (a bare value has nothing in front)."""
        return len(data) >= 32 and _B64_BYTES.issuperset(data[:32])

    def detect(self, text: str, relpath: str | None = None) -> list[Match]:
        """Every accepted token match in ``text`` (base64 layers included, placed at the encoded text)."""
        return [h.match for h in self.detect_hits(text, relpath)]

    def detect_hits(
        self, text: str, relpath: str | None = None, prescan: Prescan | None = None
    ) -> list[_Hit]:
        budget = [_MAX_DECODED]
        hits = self._layer(text, relpath, 0, budget, prescan)
        return _dedupe(hits)

    def _layer(
        self, text: str, relpath: str | None, depth: int, budget: list[int], prescan: Prescan | None = None
    ) -> list[_Hit]:
        hits: list[_Hit] = []
        # A decoded base64 layer is data (an encoded .env, a Kubernetes secret), whatever file carried it.
        config_file = depth > 0 or is_config_path(relpath)
        doc_file = is_doc_path(relpath)
        locale_file = is_locale_path(relpath)
        dollar_refs = interpolates_dollar(relpath)
        # (in documentation, the code blocks that show a configuration file's text are read as one)
        blocks = config_blocks(text) if doc_file and not config_file and depth == 0 else []
        skip = frozenset() if config_file or blocks else self._config_only
        if prescan is None and self._no_rule_applies(text):
            return hits
        found = self.matcher.find(text, skip, prescan)
        if depth < _MAX_DEPTH and len(text) >= 32 and _B64_CHARS.issuperset(text[:32]):
            start_match = _B64_AT_START.match(text)  # a document that *is* base64 (no delimiter in front)
            if start_match is not None:
                found.append((self._b64_index, start_match))
        runs: list[tuple[int, int, bool]] = []  # base64 runs: (start, end, extend)
        for index, m in found:
            if index in self._b64_indices:
                if depth < _MAX_DEPTH:
                    runs.append((*m.span("secret"), index != self._b64_index))
                continue
            rule = self.rules[index]
            if "config-only" in rule.tags and not config_file and not _inside(blocks, m.start()):
                continue
            hit = self._judge(rule, m, doc_file, dollar_refs, locale_file, config_file)
            if hit is not None:
                hits.append(hit)
        if runs:
            hits.extend(self._base64_runs(text, runs, relpath, depth, budget))
        return hits

    def _base64_runs(
        self, text: str, runs: list[tuple[int, int, bool]], relpath: str | None, depth: int, budget: list[int]
    ) -> list[_Hit]:
        """The hits in the base64 runs the patterns found, in text order. A run that is the first line of a
        wrapped block (:func:`_wrapped_block`) is decoded with the block's other lines, which are not decoded
        again one by one (but for a block with no shorter last line, which may as well be a list of values:
        see :meth:`_decode_block`). Lines that make no block (a list of equal padded values) are decoded one
        by one, as single runs are. Each line is walked over once (the end of a walk that found no block is
        remembered), so a file of equal lines costs a linear time."""
        out: list[_Hit] = []
        covered = 0  # runs before this offset belong to a block already decoded
        plain = 0  # runs before this offset were walked over and belong to no block: decoded one by one
        for start, end, extend in sorted(runs):
            if budget[0] <= 0:
                break  # the document's decoded bytes are spent: nothing more is decoded
            if start < covered:
                continue
            if start >= plain:
                # (a run found by its start, a base64-encoded PEM, is looked at to its line's end)
                block = _wrapped_block(text, start, _body_end(text, end) if extend else end)
                if isinstance(block, int):
                    plain = block
                else:
                    covered, lines, exact = block
                    out.extend(self._decode_block(text, lines, relpath, depth, budget, exact=exact))
                    continue
            out.extend(self._base64(text, start, end, relpath, depth, budget, extend=extend))
        return out

    def _decode_block(
        self,
        text: str,
        lines: list[tuple[int, int]],
        relpath: str | None,
        depth: int,
        budget: list[int],
        *,
        exact: bool = False,
    ) -> list[_Hit]:
        """The hits in a wrapped base64 block of ``lines`` ((start, end) of each line's base64), each placed
        at the encoded characters of its secret: the 4-character groups that hold its bytes, on the line (or
        lines) where they are. A block of more than ``_MAX_B64_RUN`` characters is decoded in overlapping
        parts (see ``_B64_OVERLAP``), as long as the document's budget of decoded bytes lasts.

        ``exact``: every line is full (nothing ends the block shorter), so the lines may also be a list of
        values, one a line; each line is then also read alone, as a single run is, and what it holds is
        reported at the line unless the block's decoding found something there already."""
        width = lines[0][1] - lines[0][0]
        size = max(1, _MAX_B64_RUN // width)  # lines decoded at once
        step = max(1, size - _B64_OVERLAP // width)  # lines a part reports on, but for the last one
        out: list[_Hit] = []
        first = 0
        parts = len(lines) > size
        while budget[0] > 0:
            final = first + size >= len(lines)
            part = lines[first : first + size]
            own = None if final else step
            out.extend(self._decode_part(text, part, own, relpath, depth, budget, exact, cut=parts))
            if final:
                break
            first += step
        return out

    def _decode_part(
        self,
        text: str,
        lines: list[tuple[int, int]],
        own: int | None,
        relpath: str | None,
        depth: int,
        budget: list[int],
        exact: bool,
        *,
        cut: bool = False,
    ) -> list[_Hit]:
        """The hits of one part of a wrapped block (see :meth:`_decode_block`): those whose match starts in
        its first ``own`` lines (all when ``None``; the next part, which starts there, reports the rest).
        ``cut``: the block is decoded in parts, so this one may begin and end inside a UTF-8 character; it is
        read from its first whole character to its last."""
        encoded = "".join(text[a:b] for a, b in lines)
        raw = self._decode_bytes(encoded, budget)
        if raw is None:
            return []
        width = lines[0][1] - lines[0][0]
        per_line = width // 4 * 3  # bytes a full line holds
        owned = len(raw) if own is None else own * per_line
        lead, tail = _cut_characters(raw) if cut else (0, 0)
        decoded = _as_text(raw[lead : len(raw) - tail])

        def place(index: int) -> int:  # an offset in ``encoded`` -> one in ``text``
            row = min(index // width, len(lines) - 1)
            return lines[row][0] + index - row * width

        out: list[_Hit] = []
        touched: set[int] = set()  # lines where the block's decoding found something
        inners = self._layer(decoded, relpath, depth + 1, budget) if decoded is not None else []
        for inner in inners:
            a, b, at = inner.match.secret_start, inner.match.secret_end, inner.match.start
            if decoded is None or decoded.isascii():
                byte_a, byte_b, byte_at = lead + a, lead + b, lead + at
            else:
                byte_a, byte_b, byte_at = (lead + len(decoded[:i].encode()) for i in (a, b, at))
            if byte_at >= owned:
                continue
            enc_a = byte_a // 3 * 4
            enc_b = min(len(encoded), -(-byte_b // 3) * 4)
            last = max(enc_b - 1, enc_a)
            start, end = place(enc_a), place(last) + 1
            touched.update(range(enc_a // width, last // width + 1))
            out.append(_Hit(Match(inner.match.rule, start, end, start, end), inner.secret))
        if exact:
            for row in range(len(lines) if own is None else own):
                line = _as_text(raw[row * per_line : (row + 1) * per_line]) if row not in touched else None
                if line is None:
                    continue
                a, b = lines[row]
                for inner in self._layer(line, relpath, depth + 1, budget):
                    out.append(_Hit(Match(inner.match.rule, a, b, a, b), inner.secret))
        return out

    @staticmethod
    def _decode_bytes(encoded: str, budget: list[int]) -> bytes | None:
        """``encoded`` decoded, when it is base64 and the document's budget of decoded bytes is not spent
        (the bytes are taken from it)."""
        if len(encoded) % 4 or budget[0] <= 0:
            return None
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None
        budget[0] -= len(raw)
        return raw

    @classmethod
    def _decode_text(cls, encoded: str, budget: list[int]) -> str | None:
        """``encoded`` decoded, when it is base64 of UTF-8 text (95% printable) and the document's budget of
        decoded bytes is not spent."""
        raw = cls._decode_bytes(encoded, budget)
        return None if raw is None else _as_text(raw)

    def _no_rule_applies(self, text: str) -> bool:
        """True when ``text`` is too short for the base64 patterns (32 characters) and holds none of the
        rules' keywords: the matcher tries a rule only where one of its keywords occurs (in the lowered
        text), so it would find nothing. Answered for short ASCII texts only, without the matcher's
        per-call work (an analyzer asks about thousands of short values, one at a time)."""
        pairs = self._keyword_pairs
        if pairs is None or len(text) >= _MIN_B64_TEXT or not text.isascii():
            return False
        low = text.lower()
        if not self._keyword_chars.isdisjoint(low):
            return False
        for i in range(len(low) - 1):
            candidates = pairs.get(low[i : i + 2])
            if candidates is not None and any(low.startswith(k, i) for k in candidates):
                return False
        return True

    def _judge(
        self,
        rule: Rule,
        m: re.Match[str],
        doc_file: bool = False,
        dollar_refs: bool = True,
        locale_file: bool = False,
        config_file: bool = True,
    ) -> _Hit | None:
        group = rule.secret_group
        start, end = m.span(group)
        if start < 0:
            return None
        secret = m.group(group)
        if not secret:
            return None
        named = "name" in m.re.groupindex
        name = ""
        words: tuple[str, ...] = ()
        # the name first: most candidates of the assignment rules are ordinary names (cacheKey, sort_key)
        if named:
            name = m.group("name") or ""
            is_secret, words = secret_name_and_words(name, self.secret_names)
            if not is_secret:
                return None
            if "password-name" in rule.filters and not names_password(words) and is_secret_name(name):
                # COMPASS_INTRO_KEY: "pass" inside another word, a key's name (unless listed as a secret name)
                return None
            if (
                words[-2:] == ("api", "key")
                and _ADMIN_WORDS.isdisjoint(words)
                and _in_docsearch_config(m.string, start)
            ):
                return None
            if words[-2:] == ("license", "key") and _in_new_relic_browser_config(m.string, m.start()):
                return None
        text = m.string
        opening = text[start - 1] if start > 0 else ""
        if not named and (opening in _B64_SIGNS or opening == "\n") and _inside_base64_blob(text, start, end):
            # …+p4x/YC…+…: a token's shape met inside an image's or a certificate's base64; at a line's start,
            # the line break of base64 wrapped into lines cut it (get-pip.py's embedded zip)
            return None
        if "associate-link" in rule.filters and text.endswith(
            _ASSOCIATE_PARAMETER, max(0, start - 16), start
        ):
            return None  # …/dp/B0061SWV8Y?psc=1&SubscriptionId=AKIA…&tag=…: an Amazon product link
        if "standin-name" in rule.filters and _assigned_to_standin(text, m.start()):
            return None  # DUMMY_HASH = "$argon2id$…": a hash to compare with when no user matches
        if (
            not named
            and start > m.start()
            and is_uuid(secret)
            and _names_an_identifier(text[m.start() : start])
        ):
            return None  # HUBSPOT_FORM_ID = "<uuid>": a provider's name, then an id's, not its (UUID) key's
        literal_dollars = dollar_refs and opening != "'"  # (in single quotes, $name is no reference)
        # What the value alone decides is worked out once per rule, name, value and file kind: a value is
        # often met many times (a connection string repeated down a file, a password in every config)
        key = (id(rule), name, secret, doc_file, literal_dollars, locale_file)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._value_passes(
                rule, named, name, words, secret, doc_file, literal_dollars, locale_file
            ) and not self.is_token_stand_in(secret)
            if len(self._verdicts) >= _VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        if not verdict:
            return None
        filters = rule.filters
        if "doc-host" in filters or "local-throwaway" in filters:
            host = _host_after(text, end, m.end())
            if "doc-host" in filters and is_doc_host(host):
                return None  # https://user:…@sentry.example.com: a documentation example
            if (
                "local-throwaway" in filters
                and host
                and local_user_as_password(_user_before(text, start), text[start:end], host)
            ):
                return None  # postgresql://App1:App1@localhost/app: a throwaway local server's
        if "userinfo" in filters and (
            secret[0] == "@"
            or _PORT_THEN_DELIMITER.match(secret) is not None
            or _DIGEST_AFTER.match(text, end + 1) is not None
        ):
            # http://google.com:80#@evil.tld/, https://:@google.com\@evil.tld: no password; docker://docker:29.3
            # @sha256:4d90…: an image's tag and digest
            return None
        if "page-url" in filters and _public_page_url(text, m.start()):
            return None  # ?apikey=… in <script src="…">, a saved web page's, https://example.com/?token=…
        if "prose" in filters and _reads_as_prose(text, start, end):
            return None  # "the new --password options.": a sentence about the option, no value given
        if (
            "cmdline" in rule.tags
            and opening not in _QUOTES
            and _no_shell_word(text, m.start(), start, secret, config_file)
        ):
            return None  # PGPASSWORD = secret_response.payload.data.decode("UTF-8"): code, not a command line
        if "format-field" in filters and is_format_field(_whole_field(text, start, end)):
            return None  # f"…PWD={args.password!r}": the hole an f-string or str.format fills
        if named:
            after = text[m.end() : m.end() + 1]
            if after in _CONCATENATION_STARTS and _CONCATENATED.match(text, m.end()):
                return None  # "prefix-" + more: not the whole value
            if after in _DOT_STARTS and _DOT_CONCATENATED.match(text, m.end()):
                return None  # 'prefix:'.$id: not the whole value
            name_start = m.start("name")
            if text[max(0, name_start - 2) : name_start] == "::":  # a type path (AWS::ApiGateway::ApiKey)
                return None
            if name == "PASS" and _is_test_result(text, name_start, m.end("name")):
                return None  # "PASS: addr2line": a test log (automake, DejaGnu), not a password
            if opening in _QUOTES and text[end : end + 1] in _QUOTES and text[end] != opening:
                return None  # "…'…": cut at a quote of the other kind, so not the whole value
            if opening in _QUOTES and _UNION_NEXT.match(text, end + 1):
                return None  # type ProviderKey = "anthropic" | "openai": a TypeScript union of literal types
            if opening in _QUOTES and text[start - 3 : start - 1] in (" :", "\t:"):
                return None  # ALTER USER app PASSWORD :'app_pass': psql's variable, filled in at run time
            if opening in _QUOTES and _inside_one_string(text, name_start, m.end("name"), start - 1):
                return None  # "Password:"),v?e.createElement(": code between two strings, not a value
        return _Hit(Match(rule, m.start(), m.end(), start, end), secret)

    @staticmethod
    def _value_passes(
        rule: Rule,
        named: bool,
        name: str,
        words: tuple[str, ...],
        secret: str,
        doc_file: bool,
        dollar_refs: bool,
        locale_file: bool = False,
    ) -> bool:
        """The checks of :meth:`_judge` that the value alone decides (with its rule, its name and the kind of
        file), not where it stands."""
        # (a credentials file's lines are judged one by one: see _value_looks_literal)
        if (is_placeholder(secret) or is_doc_example(secret)) and _credentials_lines(secret) is None:
            return False
        if is_public_key(secret) or (named and is_encoded_pem(secret)):
            return False  # (a PEM block in base64 is judged by its format's rules, not by a name)
        if "cmdline" in rule.tags and _PORT_MAPPING.fullmatch(secret) is not None:
            return False  # "simple-mongo": "docker run -p 27017:27017 mongo": docker's -p publishes a port
        filters = rule.filters
        # Context over shape: under a name that says secret/token/key (checked below), hex strings and UUIDs
        # are credentials (many services issue them so); only where nothing names the value are they
        # taken for digests and identifiers. Prefixed digests and password hashes never grant anything.
        if "hash" in filters and is_hash(secret, bare_hex=not named):
            return False
        if "uuid" in filters and not named and is_uuid(secret):
            return False
        if "userpass-base64" in filters and not is_basic_credentials(secret):
            return False
        if "doc-expired" in filters and doc_file and is_expired_jwt(secret):
            return False  # a documentation's example token, expired (fastapi-users' docs: exp in 2019)
        if ("identifier" in filters or _NAME_JUDGED_TAGS.isdisjoint(rule.tags)) and reads_as_words(secret):
            # a key, token or provider's value that reads as words is code: JIRAConfigEngagementBase after
            # "jira", AsyncSQLAlchemyInstallationStore after "sqlalchemy import" (32 characters after
            # "alchemy")
            return False
        if rule.min_entropy is not None and shannon_entropy(secret) < rule.min_entropy:
            return False
        if "password" not in rule.tags and _SNAKE_CASE_WORDS.fullmatch(secret) is not None:
            return False  # physics_particle_group_add_point: an identifier, where a key's alphabet has "_"
        if named and "password" not in rule.tags and is_keyboard_mash(secret):
            return False  # 'access_token': 'sdf0o9823sjdfsdf': a test's token typed on the home row
        if (
            "password" in rule.tags
            and rule.confidence is not Confidence.HIGH
            and len(secret) < 14
            and (_char_classes(secret) < 2)
        ):
            return False
        if named:
            if not _value_looks_literal(
                rule,
                name,
                secret,
                doc_file=doc_file,
                dollar_refs=dollar_refs,
                words=words,
                locale_file=locale_file,
            ):
                return False
            if "hash" not in filters and is_hash(secret, bare_hex=False):  # (else judged so above)
                return False
        return True

    def _base64(
        self,
        text: str,
        start: int,
        end: int,
        relpath: str | None,
        depth: int,
        budget: list[int],
        *,
        extend: bool = False,
    ) -> list[_Hit]:
        if start > 0 and text[start - 1] in _B64_BODY_CHARS:
            return []
        if extend or end - start >= 1000:  # a long run (a base64-encoded PEM file): all of it, within bounds
            limit = min(len(text), start + _MAX_B64_RUN)
            while end < limit and text[end] in _B64_BODY_CHARS:
                end += 1
            if end == limit and end < len(text) and text[end] in _B64_BODY_CHARS:
                return []  # longer than we decode
            while end < len(text) and end - start < _MAX_B64_RUN and text[end] == "=":
                end += 1
        decoded = self._decode_text(text[start:end], budget)
        if decoded is None:
            return []
        out = []
        for inner in self._layer(decoded, relpath, depth + 1, budget):
            rule = inner.match.rule
            out.append(_Hit(Match(rule, start, end, start, end), inner.secret))
        return out


def _cut_characters(raw: bytes) -> tuple[int, int]:
    """The bytes of a UTF-8 character cut at each end of ``raw`` (a part of a larger decoding): the
    continuation bytes it starts with (at most 3), and the bytes of a character it ends before the end of."""
    lead = 0
    while lead < min(3, len(raw)) and 0x80 <= raw[lead] < 0xC0:
        lead += 1
    for back in range(1, min(4, len(raw) - lead + 1)):
        byte = raw[-back]
        if byte < 0x80:
            return lead, 0  # ASCII: nothing cut
        if byte >= 0xC0:  # the first byte of the last character: how many it needs
            needs = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return lead, back if needs > back else 0
    return lead, 0


def _as_text(raw: bytes) -> str | None:
    """``raw`` as text, when it is UTF-8 and 95% printable."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for c in decoded if c.isprintable() or c in "\r\n\t")
    if printable < 0.95 * len(decoded):
        return None
    return decoded


def _wrapped_block(text: str, start: int, end: int) -> tuple[int, list[tuple[int, int]], bool] | int:
    """Whether the base64 run ``text[start:end]`` is the first line of a wrapped block: it fills its line but
    for an indentation of blanks, its width is a multiple of 4 (at least ``_MIN_WRAP_WIDTH``) without padding,
    and one line after it at least has the same indentation and width, all base64. The block ends with a
    line that is shorter or padded (``=``), or with its last full line (then nothing tells it from a list of
    equal values, one a line: it is *exact*), or after ``_MAX_B64_WALK`` characters (more than a document's
    budget decodes; the rest is walked over as another block).

    ``(block end, [(start, end) of each line's base64], exact)``; else the offset where the walk stopped (no
    run before it starts a block: each line is walked over once, by a regular expression)."""
    width = end - start
    line_start = text.rfind("\n", 0, start) + 1
    indent = text[line_start:start]
    if (
        width % 4
        or width < _MIN_WRAP_WIDTH
        or end >= len(text)
        or text[end - 1] == "="
        or indent.strip(" \t")
        or not _ends_line(text, end)
    ):
        return end
    full, last = _block_lines(indent, width)
    stop = end
    count = 0  # full lines after the first one
    limit = _MAX_B64_WALK // width
    while count < limit:  # (the pattern takes at most _MAX_B64_RUN characters a time: see _block_lines)
        m = full.match(text, stop)
        if m is None:  # (it matches always: none at all is a match)
            break
        found = m.group().count("\n")
        count += found
        stop = m.end()
        if found < _MAX_B64_RUN // width:
            break
    tail = last.match(text, stop) if count < limit else None
    a = c = stop
    if tail is not None:
        a, c = tail.span("b64")
    exact = c == a or c - a > width or bool((c - a) % 4) or (c - a == width and text[c - 1] != "=")
    if exact and count == 0:
        return stop  # one line alone: a run, not a block
    lines = [(start, end)]
    pos = end
    for _ in range(count):
        pos = text.index("\n", pos) + 1 + len(indent)
        lines.append((pos, pos + width))
        pos += width
    if exact:
        return stop, lines, True
    lines.append((a, c))
    return c, lines, False


@functools.lru_cache(maxsize=64)
def _block_lines(indent: str, width: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For a block indented by ``indent`` and ``width`` wide: the full lines after its first one (each line
    break, indentation and ``width`` base64 characters ended by a line break or the end of the text, at most
    as many as ``_MAX_B64_RUN`` characters hold), and its last line (``width`` characters at most, padding
    included)."""
    lead = rf"\r?\n{re.escape(indent)}"
    end = r"(?=\r?\n|\Z)"
    full = re.compile(rf"(?:{lead}[A-Za-z0-9+/]{{{width}}}{end}){{0,{_MAX_B64_RUN // width}}}")
    last = re.compile(rf"{lead}(?P<b64>[A-Za-z0-9+/]{{0,{width}}}={{0,2}}){end}")
    return full, last


def _body_end(text: str, end: int) -> int:
    """Where the base64 characters from ``end`` on stop (at most a wrap's width further)."""
    limit = min(len(text), end + 1000)
    while end < limit and text[end] in _B64_BODY_CHARS:
        end += 1
    return end


def _ends_line(text: str, index: int) -> bool:
    """Whether ``text`` ends, or has a line break (``\n`` or ``\r\n``), at ``index``."""
    return index >= len(text) or text[index] == "\n" or text.startswith("\r\n", index)


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """Drop repeated hits of one rule on one secret span, low-confidence hits covered by a more specific
    one or by another low-confidence hit on the same span (``keypassword = "…"`` is a password's name and a
    key's: the password rule's hit is kept, whose preview shows nothing), and a context rule's hit (medium
    confidence and no provider: ``Authorization: Bearer``, a password flag, a connection string's password;
    or of the same provider: Django's ``SECRET_KEY = "…"`` on a ``django-insecure-`` key) on exactly the
    value and span of a self-identifying format (high confidence): one finding per place, at the severity of
    the rule that knows the value's format. (Two values decoded from one base64 run share its span and are
    both kept.) Linear-logarithmic: a minified file may hold thousands of hits."""
    hits.sort(key=lambda h: (h.match.secret_start, -h.match.secret_end, h.match.rule.id))
    # specific spans sorted by start, with the running maximum of their ends: a span [a, b) overlaps one of
    # them iff, among those starting before b, the largest end exceeds a
    starts: list[int] = []
    max_ends: list[int] = []
    for h in hits:
        if h.match.rule.confidence is not Confidence.LOW:
            starts.append(h.match.secret_start)
            max_ends.append(max(h.match.secret_end, max_ends[-1] if max_ends else -1))
    # per value and span of a self-identifying format: the providers of the rules that found it there
    formats: dict[tuple[int, int, str], set[str]] = {}
    for h in hits:
        if h.match.rule.confidence is Confidence.HIGH:
            place = (h.match.secret_start, h.match.secret_end, h.secret)
            formats.setdefault(place, set()).add(h.match.rule.provider)
    # per span that low-confidence rules share, the one rule kept: a password rule before the others
    low_kept: dict[tuple[int, int], Rule] = {}
    for h in hits:
        m = h.match
        if m.rule.confidence is Confidence.LOW:
            span = (m.secret_start, m.secret_end)
            kept = low_kept.get(span)
            if kept is None or ("password" in m.rule.tags and "password" not in kept.tags):
                low_kept[span] = m.rule
    out: list[_Hit] = []
    seen: set[tuple[str, int, int]] = set()
    for h in hits:
        m = h.match
        key = (m.rule.id, m.secret_start, m.secret_end)
        if key in seen:
            continue
        if m.rule.confidence is Confidence.LOW and low_kept[(m.secret_start, m.secret_end)].id != m.rule.id:
            continue
        if m.rule.confidence is Confidence.MEDIUM and (
            (providers := formats.get((m.secret_start, m.secret_end, h.secret))) is not None
            and (not m.rule.provider or m.rule.provider in providers)
        ):
            continue
        if m.rule.confidence is Confidence.LOW:
            index = bisect.bisect_left(starts, m.secret_end) - 1
            if index >= 0 and max_ends[index] > m.secret_start:
                continue
        seen.add(key)
        out.append(h)
    return out
