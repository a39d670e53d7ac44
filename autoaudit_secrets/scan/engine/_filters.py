"""Judgements on names and values shared by the rules, the engine and the analyzers.

* :func:`is_secret_name` — does a variable/key name say it holds a secret (``DB_PASSWORD``, ``apiKey``,
  ``client-secret``, ``auth.token``) as opposed to naming something about a secret (``password_field``,
  ``token_url``, ``PASSWORD_MIN_LENGTH``, ``secret_name``, ``*_FILE``, ``*_PATH``)?
* :func:`is_placeholder` — is a value empty, a placeholder (``changeme``, ``<your-key>``, ``xxxx``) or a
reference
  to a secret kept elsewhere (``${VAR}``, ``$VAR``, ``{{ x }}``, ``${{ secrets.X }}``, ``os.environ[...]``,
  ``enc:`` envelopes)?
* :func:`names_secret_field` — is a value given to a secret name the *name* of such a field
  (``password: "confirmPassword"``, ``"tokenKey": "nextToken"``) rather than a secret?
* :func:`is_dotted_name` — is a dotted value a name (``settings.SECRET_KEY``, ``com.example.Auth``) rather
  than a random value holding a dot (``h8Tz.Kq3Wm9x``)?
* :func:`is_code_identifier`, :func:`is_namespaced_name`, :func:`is_name_path` — is a value an identifier
  with digits inside its words (``Ec2KeyName``), a namespaced identifier (``lambda:createdBy``) or a path of
  names (``S3Key/path/to/object``) rather than a random value (``Xk9pQ2vL7mN4``)?
* :func:`is_natural_language`, :func:`is_secret_label` — is a value text for people (a UI string in a
  script other than Latin, ``用户名或密码错误``; a label naming the secret, ``Show password``)?
* :func:`is_public_key` — is a value a key its vendor publishes in client code (a Stripe publishable key)?
* :func:`is_encoded_pem` — is a value a PEM block in base64, which the PEM rules judge by what it decodes to?
* :func:`is_keyboard_mash` — is a value letters typed on a keyboard's home row, as tests write a token?
* :func:`is_doc_example`, :func:`is_hash`, :func:`is_uuid`, :func:`is_basic_credentials`,
  :func:`is_doc_host`, :func:`is_format_field` — the optional per-rule filters.

All functions are pure and cheap; none of them ever logs or echoes the value.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import json
import operator
import re
import time
import unicodedata
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from ._lazyre import LazyRegex

__all__ = [
    "FILTER_NAMES",
    "decoded_base64_text",
    "is_basic_credentials",
    "is_code_identifier",
    "is_doc_example",
    "is_doc_host",
    "is_dotted_name",
    "is_encoded_pem",
    "is_expired_jwt",
    "is_file_path",
    "is_format_field",
    "is_hash",
    "is_keyboard_mash",
    "is_loopback_host",
    "is_name_path",
    "is_namespaced_name",
    "is_natural_language",
    "is_placeholder",
    "is_public_key",
    "is_reference",
    "is_secret_label",
    "is_secret_name",
    "is_sequential",
    "is_uuid",
    "local_user_as_password",
    "may_mix_cases_and_digits",
    "name_words",
    "names_password",
    "names_secret_field",
    "names_standin",
    "reads_as_words",
    "says_placeholder",
    "secret_name_and_words",
    "writes_without_spaces",
]

# The fixed set of filter names a rule record may list (see the rule format in ``rules/_registry.py``).
FILTER_NAMES = frozenset(
    {
        "placeholder",
        "reference",
        "doc-example",
        "hash",
        "uuid",
        "low-entropy",
        "userpass-base64",
        "doc-host",
        "format-field",
        "prose",
        "password-name",
        "identifier",
        "doc-expired",
        "standin-name",
        "associate-link",
        "local-throwaway",
        "page-url",
        "userinfo",
    }
)

# ---------------------------------------------------------------------------------------------- names

_CAMEL_1 = LazyRegex(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = LazyRegex(r"([a-z0-9])([A-Z])")
_SPLIT = LazyRegex(r"[^a-z0-9]+")

# A last word that alone says "this holds a secret".
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passwort",
        "passphrase",
        "pwd",
        "pw",
        "pass",
        "secret",
        "secrets",
        "token",
        "apikey",
        "credential",
        "credentials",
        "creds",
        "auth",
        "bearer",
        "privatekey",
        "secretkey",
        "accesskey",
        "authtoken",
        "accesstoken",
        "refreshtoken",
        "clientsecret",
        "apitoken",
        "apisecret",
        "masterkey",
        "signingkey",
        "encryptionkey",
        "sessionkey",
        "authkey",
        "appkey",
        "appsecret",
        "dbpass",
        "dbpassword",
        "pat",
        "psk",
    }
)
# Suffixes of concatenated lower-case names (``mysqlpassword``, ``githubtoken``).
_SECRET_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "secretkey",
    "privatekey",
    "accesskey",
)
# A name ending in a bare "key" holds a secret (``APP_KEY``, ``GITLAB_KEY``, ``appKey``, ``hmac_key``) unless
# the word before it says what kind of non-secret key it is: a database or data-structure key, a cache,
# message or lookup key, a public or identifying key, a UI key.
_NOT_SECRET_KEY_QUALIFIERS = frozenset(
    {
        # databases, tables, data structures
        "primary",
        "foreign",
        "sort",
        "partition",
        "clustering",
        "shard",
        "hash",
        "range",
        "row",
        "unique",
        "composite",
        "natural",
        "surrogate",
        "candidate",
        "join",
        "group",
        "index",
        "order",
        "lookup",
        "dict",
        "map",
        "object",
        "bucket",
        "metadata",  # a metadata entry's name (an AWS resource's MetadataKey)
        "file",
        "column",
        "field",
        "property",
        "attribute",
        "attr",
        "json",
        "yaml",
        "item",
        "list",
        "node",
        "entity",
        "model",
        "resource",
        "record",
        "result",
        "results",
        "mapping",
        "table",
        "schema",
        # caches, queues, messages, translations, configuration names
        "cache",
        "redis",
        "memcache",
        "lock",
        "queue",
        "stream",
        "topic",
        "routing",
        "message",
        "event",
        "metric",
        "i18n",
        "translation",
        "locale",
        "label",
        "tag",
        "config",
        "setting",
        "settings",
        "env",
        "state",
        "feature",
        "flag",
        "experiment",
        "variant",
        "dedup",
        "dedupe",
        "deduplication",
        "rule",  # a rule's key in a code analyser's report (SonarQube's ruleKey: "Web:9876")
        "template",  # a template's name (template_key: "SERVICE:completion")
        "relation",  # a relation's name in a data model (relationKey: "testset->revision")
        "annotation",  # a Kubernetes annotation's name (annotationKey: external-dns.alpha.kubernetes.io/)
        # a relation's column in an ORM's description of a model (Tortoise's forward_key, backward_key)
        "forward",
        "backward",
        # a WebSocket handshake's nonce (Sec-WebSocket-Key, RFC 6455): random per connection, sent in clear
        "websocket",
        "socket",
        "icon",  # an icon's name (iconKey: "Anthropic")
        "accessor",  # a table column's field (TanStack Table's accessorKey: "deployments")
        "protobuf",  # a Go struct tag of generated protobuf code (protobuf_key:"bytes,1,opt,name=key,proto3")
        "prefix",  # a prefix of keys (CACHE_REDIS_PREFIX_KEY, rust-cache's prefix-key: "v2025.09-rust")
        "task",  # a task's cache or run key (Prefect's task_key: "say_hello-8dfe6dff", dynamic_key: "0")
        "dynamic",
        "output",  # a stack output's name (CloudFormation's OutputKey: "GraphQLApiArn")
        "parameter",  # a stack parameter's name (CloudFormation's ParameterKey)
        # a configuration's list of parameter names (cloudnative-pg's ignoreStartupParametersKey:
        # "extra_float_digits,options")
        "parameters",
        "catalog",  # a catalog entry's key (cloudnative-pg's image catalog: catalogKey = "pgbouncer")
        "merge",  # a finding's or record's merge key (Coverity's mergeKey: a digest that tells duplicates)
        "aggregation",  # an alert's or event's grouping key (Datadog, PagerDuty)
        "aggregate",
        "grouping",
        "debounce",
        "render",  # a UI list item's key (React's key, an editor's renderKey)
        "throttle",
        "idempotency",
        "context",
        "correlation",
        "request",
        # a browser's localStorage/sessionStorage entry's name (SIDEBAR_STORAGE_KEY = "sidebar:state"); an
        # Azure storage account key under such a name has its own rule, which judges the value's format
        "storage",
        "activity",  # an activity's or a run's key in a UI's state (activityKey: "run-1:AWAITING_APPROVAL")
        # where a secret lives in a remote store (External Secrets' PushSecret remoteKey: "folderId:73/db-pw",
        # "my/path/($1)", "1pw-item-name")
        "remote",
        "cursor",
        "page",
        "next",
        "prev",
        "previous",
        "last",
        "first",
        "continuation",
        "pagination",
        "marker",
        "route",
        "url",
        "query",
        "param",
        "header",
        "registry",
        # keys that identify or are public by design (a project key of SonarQube, Jira, PostHog: a project)
        "project",
        "site",
        "search",
        "host",
        "gpg",
        "pgp",
        "kms",
        "cmk",
        "vapid",
        "instrumentation",
        "verify",
        "verification",
        "encrypted",
        "wrapped",
        # keyboards
        "hot",
        "shortcut",
        "keyboard",
        "press",
        "pressed",
        "ctrl",
        "shift",
        "alt",
        "meta",
        "esc",
        "enter",
        "tab",
        "arrow",
        "react",
        "music",
    }
)
# Words that may follow the secret word without changing what the name holds (``password_value``).
_NEUTRAL_TAIL = frozenset(
    {
        "value",
        "val",
        "str",
        "string",
        "plain",
        "plaintext",
        "raw",
        "literal",
        "b64",
        "base64",
        "hex",
        "encoded",
        "text",
        "txt",
        "base",
        # the environment or generation a secret is for: DOTENV_PRIVATE_KEY_PRODUCTION, API_KEY_STAGING
        "prod",
        "production",
        "dev",
        "development",
        "staging",
        "stage",
        "qa",
        "uat",
        "ci",
        "local",
        "live",
        "sandbox",
        "preview",
        "test",
        "testing",
        "primary",
        "secondary",
        "backup",
        "old",
        "new",
        "current",
        "next",
    }
)
# Words that, when they follow the secret word, say the name is *about* the secret, not the secret itself.
_NOT_SECRET_WORDS = frozenset(
    {
        "public",
        "pub",
        "publishable",
        "min",
        "max",
        "length",
        "len",
        "policy",
        "hint",
        # anti-forgery tokens, written into every page a server sends (a saved web page holds one), not
        # credentials: authenticity_token, csrf_token, csrfmiddlewaretoken, X-XSRF-TOKEN, Antiforgery cookies
        "csrf",
        "xsrf",
        "csrftoken",  # Django's cookie and JSON field, written as one word
        "xsrftoken",
        "csrfmiddlewaretoken",
        "authenticity",
        "antiforgery",
        # a database's error code about the secret: pgx's ERRCODE_INVALID_PASSWORD = "28P01" (SQLSTATE)
        "errcode",
        "synchronizer",  # the synchronizer token pattern (OWASP's name for a per-session anti-CSRF token)
    }
)
# Words that make a name a switch or a question about a secret, not the secret: USE_ID_TOKEN, ENABLE_API_KEY,
# HAS_PASSWORD, REQUIRE_PASSWORD (a build argument of a frontend: VITE_AUTH_USE_ID_TOKEN=true)
_FLAG_WORDS = frozenset(
    {"use", "enable", "enabled", "disable", "disabled", "require", "allow", "has", "is", "should"}
)  # (and adduser's --disabled-password, which takes no value: the word after it is the user's name)
# Words that, right before the secret word, say the value goes without one: sqlc's uriNoPassword =
# "root@tcp(localhost:3306)/mysql?…" (not further away: SMTP_NO_REPLY_PASSWORD is a no-reply box's password)
_WITHOUT_WORDS = frozenset({"no", "without"})
# Words that say the value is a stand-in, made up to take a secret's place: DUMMY_SECRET, fake_api_key,
# mockToken, BOGUS_PASSWORD (netbox's event rule tests: DUMMY_SECRET = 'LOOKATMEIMASECRETSTRING')
_STANDIN_NAME_WORDS = frozenset({"dummy", "fake", "mock", "bogus", "placeholder"})
# Names (their words joined; a name ending so counts too) that hold no secret whatever their last word:
# ASP.NET's __RequestVerificationToken (an anti-forgery token), etcd's initial cluster token (a bootstrap
# label that keeps clusters apart: ETCD_INITIAL_CLUSTER_TOKEN, --initial-cluster-token; no access)
_NOT_SECRET_NAMES = ("requestverificationtoken", "initialclustertoken")
# Names (their words joined; a name beginning so counts too) that refer to a secret kept elsewhere by its
# name: Helm charts' existingSecret (the name of a Kubernetes Secret the release reads, and
# existingSecretPasswordKey, the key in it: n8n's existingSecret: "n8n-core-secrets")
_REFERENCE_NAMES = ("existingsecret",)
# Words that, anywhere before the secret word, say the value is not the secret itself but a transformed copy
# (``encrypted_password``, ``hashed_password``, ``wrapped_key``): ciphertexts and digests grant nothing alone.
_TRANSFORMED_WORDS = frozenset(
    {"encrypted", "hashed", "wrapped", "sealed", "ciphered", "masked", "obfuscated"}
)


def name_words(name: str) -> list[str]:
    """Split an identifier in any case style (snake, kebab, camel, UPPER, dotted) into lower-case words."""
    lowered = name.lower()
    if lowered != name:  # the camel-case splits need an upper-case letter
        name = _CAMEL_1.sub(r"\1_\2", name)
        name = _CAMEL_2.sub(r"\1_\2", name)
        lowered = name.lower()
    return [w for w in _SPLIT.split(lowered) if w]


# "<qualifier>_token" names that are not credentials: pagination/sequence tokens, LLM vocabulary tokens.
_NOT_SECRET_TOKEN_QUALIFIERS = frozenset(
    {
        "next",
        "prev",
        "previous",
        "page",
        "pagination",
        "continuation",
        "sequence",
        "sync",
        "cancellation",
        "cancel",
        "purchase",
        "idempotency",
        "request",  # an idempotency token (AWS's ClientRequestToken)
        # the names of the template slots Alembic fills with a migration's steps (upgrade_token="upgrades")
        "upgrade",
        "downgrade",
        "resume",
        "start",
        "end",
        "input",
        "output",
        "prompt",
        "completion",
        "eos",
        "bos",
        "pad",
        "unk",
        "mask",
        "sep",
        "cls",
        "special",
        "stop",
        "split",
        "delta",
        "marker",
        "sort",
        # optimistic-concurrency and idempotency tokens (WAF's ChangeToken, WAFv2's LockToken, EFS's
        # CreationToken, WebDAV lock tokens): they name a version of a resource or a request, not a caller
        "change",
        "lock",
        "creation",
        # a token made to be put on a website (Chatwoot's websiteToken, in its widget's script)
        "website",
    }
)


# "<qualifier>_pass" names that are not passwords, as _NOT_SECRET_TOKEN_QUALIFIERS for tokens
_NOT_PASSWORD_PASS_QUALIFIERS = frozenset(
    {
        # nginx's <module>_pass directives name the upstream a request is passed to, and the settings and
        # environment variables that feed them keep the names (DD_UWSGI_PASS=uwsgi_server, PROXY_PASS)
        "proxy",
        "fastcgi",
        "uwsgi",
        "scgi",
        "grpc",
        "memcached",
        # whether every or any check passes (Ramda's and lodash/fp's allPass, anyPass)
        "all",
        "any",
        # password managers' names (a passkey provider's AAGUID under LastPass, NordPass, ProtonPass, KeePass)
        "last",
        "nord",
        "proton",
        "kee",
    }
)


def _word_is_secret(word: str, previous: str | None) -> bool:
    if word in {"token", "tokens"} and previous in _NOT_SECRET_TOKEN_QUALIFIERS:
        return False
    if word == "pass" and previous in _NOT_PASSWORD_PASS_QUALIFIERS:
        return False
    if word == "password" and previous == "one":
        return False  # OnePassword: 1Password, a password manager's name
    if word in _SECRET_WORDS:
        return not (
            word in {"pass", "pw", "pat", "psk", "auth"} and previous in {"by", "no", "skip", "bypass"}
        )
    if word == "key":
        return previous is not None and not previous.isdigit() and previous not in _NOT_SECRET_KEY_QUALIFIERS
    # (tiktoken is OpenAI's tokenizer library: tox factors like langchain-notiktoken name it)
    return len(word) > 6 and word.endswith(_SECRET_SUFFIXES) and not word.endswith("tiktoken")


def names_standin(name: str) -> bool:
    """True when ``name`` has a word saying its value is a stand-in (``DUMMY_HASH``, ``fake_token``)."""
    return not _STANDIN_NAME_WORDS.isdisjoint(name_words(name))


def is_secret_name(name: str, extra: AbstractSet[str] = frozenset()) -> bool:
    """True when ``name`` (an identifier, env var, YAML/JSON key, XML tag…) says that it holds a secret.

    The judgement is on the *last* word, so ``db_password`` and ``GITHUB_TOKEN`` hold secrets while
    ``password_field``, ``token_url``, ``PASSWORD_MIN_LENGTH``, ``secret_name``, ``API_KEY_FILE`` and
    ``SSH_KEY_PATH`` do not. A bare ``key`` after another word is a secret (``APP_KEY``, ``GITLAB_KEY``,
    ``appKey``) unless that word names a non-secret kind of key (``PRIMARY_KEY``, ``CACHE_KEY``, ``SORT_KEY``,
    ``SITE_KEY``); ``KEY_ID``, ``*_KEY_PATH`` end in another word. Trailing digits and neutral words
    (``_value``, ``_b64``, ``_base``) are ignored; a transformed copy (``encrypted_password``,
    ``hashed_password``) is not the secret, nor is a switch or a question (``USE_ID_TOKEN``,
    ``HAS_PASSWORD``). ``extra`` holds names that hold secrets whatever they look like
    (compared case-insensitively).
    """
    return secret_name_and_words(name, extra)[0]


def secret_name_and_words(name: str, extra: AbstractSet[str] = frozenset()) -> tuple[bool, tuple[str, ...]]:
    """:func:`is_secret_name` and :func:`name_words` of ``name`` at once (an assignment rule needs both)."""
    verdict, words = _name_analysis(name)
    if not verdict and extra and (name in extra or name.upper() in _upper_names(extra)):
        return True, words
    return verdict, words


def _upper_names(extra: AbstractSet[str]) -> AbstractSet[str]:
    """The extra names upper-cased (once per set: a scan judges many names against one set)."""
    if isinstance(extra, frozenset):
        return _upper_frozen(extra)
    return {e.upper() for e in extra}


@functools.lru_cache(maxsize=64)
def _upper_frozen(extra: frozenset[str]) -> frozenset[str]:
    return frozenset(e.upper() for e in extra)


_VERSION_WORD = LazyRegex(r"^v\d{1,3}$")  # API_SECRET_KEY_V2


# Prefixes that build tools inline into the JavaScript they ship to every browser: Vite's VITE_, Create React
# App's REACT_APP_, Gatsby's GATSBY_ (Next.js' NEXT_PUBLIC_ and Nuxt's NUXT_PUBLIC_ hold "public", already a
# word of a name that holds no secret). A key or token under one is a browser key by design
# (VITE_AMPLITUDE_API_KEY, REACT_APP_MAPBOX_TOKEN); a name that says secret, private or password is a secret
# sent to every visitor, and is reported.
_BROWSER_PREFIXES = (("vite",), ("react", "app"), ("gatsby",))
# Product analytics whose browser SDK sends the project's key from every page, public by design:
# Amplitude's API key, Mixpanel's project token, Segment's write key. Their other keys are secrets
# (Amplitude's secret key, Mixpanel's API secret, a Segment Public API token; FullStory's and Plausible's API
# keys are server keys).
_BROWSER_KEY_PROVIDERS = frozenset({"amplitude", "mixpanel"})
_PRIVATE_WORDS = frozenset(
    {"secret", "secrets", "private", "credential", "credentials", "creds", "personal", "admin", "management"}
)


def _exposed_to_browsers(words: Sequence[str]) -> bool:
    if not _BROWSER_KEY_PROVIDERS.isdisjoint(words) or ("segment" in words and "write" in words):
        return True
    return len(words) > 1 and any(
        tuple(words[: len(p)]) == p and len(words) > len(p) for p in _BROWSER_PREFIXES
    )


@functools.lru_cache(maxsize=32768)
def _name_analysis(name: str) -> tuple[bool, tuple[str, ...]]:
    """:func:`is_secret_name` without the extra names, and the name's words (cached: a file repeats its names
    many times, an assignment rule needs both, and in a .env file the dotenv analyzer asks again about every
    name the rules judged -- a cache smaller than the file's names would have evicted each before that)."""
    words = name_words(name)
    return _name_verdict(name, list(words)), tuple(words)


def _name_verdict(name: str, words: list[str]) -> bool:
    while words and (words[-1].isdigit() or words[-1] in _NEUTRAL_TAIL or _VERSION_WORD.match(words[-1])):
        words.pop()
    if not words:
        return False
    joined = "".join(words)
    if (
        any(
            w in _NOT_SECRET_WORDS or w in _TRANSFORMED_WORDS or w in _FLAG_WORDS or w in _STANDIN_NAME_WORDS
            for w in words
        )
        or joined.endswith(_NOT_SECRET_NAMES)
        or joined.startswith(_REFERENCE_NAMES)
    ):
        return False
    if _exposed_to_browsers(words) and _PRIVATE_WORDS.isdisjoint(words) and not names_password(words):
        return False
    last = words[-1].rstrip("0123456789") or words[-1]
    previous = words[-2] if len(words) > 1 else None
    if previous in _WITHOUT_WORDS:
        return False
    if last == "pass" and previous is None and name.islower() and len(name) == 4:
        # a bare ``pass`` is more often a keyword/flag than a password field; still accept PASS=…
        return True
    return _word_is_secret(last, previous)


# What a secret word names, for :func:`names_secret_field`: a name's word (``password``, ``dbpassword``,
# ``accesstoken``, ``apikey``) and a value's word (``Password``, ``Token``, ``Key``) name the same thing when
# they map to the same concept. A value's word counts only whole and spelled out (``pass`` and ``pw`` are
# English words in chosen passwords: ``BoardingPass``); a name's word also by its secret suffix.
_CONCEPT_OF_WORD = {
    **dict.fromkeys(("password", "passwd", "passwort", "passphrase", "pwd"), "password"),
    **dict.fromkeys(("token", "tokens"), "token"),
    **dict.fromkeys(("secret", "secrets"), "secret"),
    **dict.fromkeys(("key", "keys"), "key"),
    **dict.fromkeys(("credential", "credentials", "creds"), "credential"),
    "auth": "auth",
}
# (a word that says "password" is told by _says_password)
_CONCEPT_OF_SUFFIX = (
    ("token", "token"),
    ("secret", "secret"),
    ("key", "key"),
    ("creds", "credential"),
    ("auth", "auth"),
)
_FIELD_NAME_SHAPE = LazyRegex(r"^_{0,2}[A-Za-z]+(?:[-_.][A-Za-z]+)*$|^[a-z]+(?: [a-z]+){1,3}$")


def _name_concepts(words: Sequence[str]) -> set[str]:
    concepts = set()
    for word in words:
        word = word.rstrip("0123456789") or word  # a form's second field: password2, new_password1
        if _says_password(word):
            concepts.add("password")
            continue
        concept = _CONCEPT_OF_WORD.get(word)
        if concept is None and (word in _SECRET_WORDS or (len(word) > 6 and word.endswith(_SECRET_SUFFIXES))):
            concept = next((c for suffix, c in _CONCEPT_OF_SUFFIX if word.endswith(suffix)), None)
        if concept is not None:
            concepts.add(concept)
    return concepts


# A name's word that says "password": the words themselves, written alone or glued to others (``dbpassword``,
# ``PGPASSWORD``, ``rootpw``, ``adminpass``), but not English words that end in "pass" (``COMPASS_INTRO_KEY``)
_PASSWORD_PARTS = ("password", "passwd", "passwort", "passphrase")
_PASSWORD_ENDINGS = ("pass", "pwd", "pw")
_PASS_NOT_PASSWORD = frozenset(
    {
        "compass",
        "encompass",
        "bypass",
        "surpass",
        "trespass",
        "overpass",
        "underpass",
        # password managers
        "lastpass",
        "nordpass",
        "protonpass",
        "keepass",
        "enpass",
        "onepassword",
    }
)


def names_password(words: Sequence[str]) -> bool:
    """One of a name's ``words`` (from :func:`name_words`) says "password" (the filter ``password-name``): a
    pattern that finds ``pass`` or ``pwd`` anywhere in a name also finds it inside other words."""
    return any(_says_password(word.rstrip("0123456789")) for word in words)


def _says_password(word: str) -> bool:
    """A name's word, its trailing number left out (``password2``), says "password": for
    :func:`names_password` and for the concepts of :func:`names_secret_field`."""
    if any(part in word for part in _PASSWORD_PARTS):
        return True
    return word.endswith(_PASSWORD_ENDINGS) and word not in _PASS_NOT_PASSWORD


def names_secret_field(value: str, words: Sequence[str]) -> bool:
    """True when ``value``, given to a name of words ``words`` (:func:`name_words`), is the *name* of a field
    holding the same kind of secret, not a secret: ``"tokenKey": "nextToken"``,
    ``password: "confirmPassword"``, ``DB_PASSWORD=current-password``, ``AUTH_KEY = "X-Auth-Key"`` (a form
    field, a JSON member, a header).

    The exact boundary. ``value`` is letters only, two words or more joined by camel/Pascal case or by single
    ``-``, ``_`` or ``.`` (up to two leading underscores), or two to four lower-case words apart by single
    spaces (a label or an enum's reason: ``"password compromised"``, ``"correct password"``); and one of its
    words is a secret word spelled out
    -- ``password``/``passwd``/``passwort``/``passphrase``/``pwd``, ``token(s)``, ``secret(s)``, ``key(s)``,
    ``credential(s)``/``creds``, ``auth`` -- that names what one of the name's secret words names (any of
    those spellings of password for a password name, also ``pass``/``pw``; ``accessToken``/``githubtoken``
    name a token, ``apiKey`` a key). So any digit or symbol keeps a value (``Tr0ub4dor&3``, ``hunter2``,
    ``NewPassw0rd``), as does one word (``Passepartout``), a value without such a word
    (``CorrectHorseBatteryStaple``) or with only ``pass``/``pw`` in it (``BoardingPass``: English words in
    chosen passwords), or another secret's word (``password: "accessToken"``) -- unless the value also
    repeats a word of the name that is not a secret's, or its start (``sentinel_password:
    'sentinel_specific_pass'``, ``DB_PASSWORD=db_pass``, ``SUBSCRIPTIONS_PASSWORD: subs_pass``: the name said
    again). Dropped knowingly: a chosen password of letter-only words
    one of which is "password" (``SwordfishPassword``) or of a word of its name and ``pass``
    (``RedisSentinelPass`` under ``redis_sentinel_password``); and a random value of letters only, about once
    in 3,000 to 10,000 (a word "Key" between its case changes).

    Written as one lower-case run (``oauth_client_secret_encryption_key = "clientsecretencryptionkey"``),
    the value counts when it is two words or more of the name in a row, run together, one of them a secret
    word: the name said again without its separators.
    """
    if not _FIELD_NAME_SHAPE.match(value):
        return False
    value_words = name_words(value)
    if len(value_words) == 1 and value.islower() and len(words) >= 2:
        return _runs_name_words_together(value, words)
    if len(value_words) < 2:
        return False
    concepts = {_CONCEPT_OF_WORD.get(w) for w in value_words}
    concepts.discard(None)
    name_concepts = _name_concepts(words)
    if concepts:
        return not concepts.isdisjoint(name_concepts)
    return (
        "password" in name_concepts
        and not {"pass", "pw"}.isdisjoint(value_words)
        and any(_says_name_word(w, words) for w in value_words)
    )


def _runs_name_words_together(value: str, words: Sequence[str]) -> bool:
    """``value`` is two or more consecutive words of ``words`` run together, one of them a secret word."""
    for first in range(len(words) - 1):
        if not value.startswith(words[first]):
            continue
        joined = words[first]
        for last in range(first + 1, len(words)):
            joined += words[last]
            if len(joined) > len(value):
                break
            if joined == value:
                return any(_CONCEPT_OF_WORD.get(w) for w in words[first : last + 1])
    return False


def _says_name_word(word: str, words: Sequence[str]) -> bool:
    """``word`` is a word of the name that does not itself say secret, or the start of one (three letters
    or more: ``subs`` of ``subscriptions``, ``mule`` of ``mulesoft``)."""
    if word in _SECRET_WORDS:
        return False
    return any(w == word or (len(word) >= 3 and w.startswith(word)) for w in words if w not in _SECRET_WORDS)


# Words a value built of its own name's words adds to say it is a stand-in (langfuse_ee_test)
_STAND_IN_PARTS = frozenset(
    {"test", "testing", "tests", "dummy", "fake", "mock", "example", "sample", "demo", "placeholder"}
)
_LOWER_PARTS = LazyRegex(r"[-_.]")
_LOWER_RUN = LazyRegex(r"[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+")


def names_itself_as_stand_in(value: str, words: Sequence[str]) -> bool:
    """True when ``value``, under a name of words ``words`` (:func:`name_words`), is that name's words said
    again with a stand-in word: ``LANGFUSE_EE_LICENSE_KEY=langfuse_ee_test``, ``stripe_key: stripe-demo``.

    The exact boundary. ``value`` is a lower-case run of two parts or more joined by ``-``, ``_`` or ``.``;
    every part is either a word of the name that does not itself say secret, or one of
    :data:`_STAND_IN_PARTS`; and there is at least one of each. A generated key or token never spells its own
    name. Not asked for password names: a password made of its name's words and "test" (``postgres_test``)
    is a weak password that works."""
    if not _LOWER_RUN.fullmatch(value):
        return False
    parts = _LOWER_PARTS.split(value)
    own = [p for p in parts if p in words and p not in _SECRET_WORDS]
    stand_in = [p for p in parts if p in _STAND_IN_PARTS]
    return bool(own) and bool(stand_in) and len(own) + len(stand_in) == len(parts)


_DOTTED = LazyRegex(r"^(?:[A-Za-z_]\w*|\d+)(?:\.\w+)+$")
# a regex group's substitution as a segment or a segment's end: Monaco's keyword.$0, keyword.$S2 (a state's
# part), keyword.tag-$1
_GROUP_SEGMENT = LazyRegex(r"(?:\.|-)\$S?\d{1,2}(?=\.|$)")
# a list index closing a segment of a dotted path: clients[].client_id, items[0].key, rules[*].id
_LIST_INDEX = LazyRegex(r"(?<=\w)\[(?:\d{0,6}|\*)\](?=\.|$)")
# A version or width closing a word (TLSv1, Int32, PKCS12_; not the 4 inside Slf4j): set aside before a
# segment's pieces are weighed.
_VERSION_END = LazyRegex(r"[vV]?\d+(?=_|$)")
_LETTER_RUN = LazyRegex(r"[a-z]+")


def is_dotted_name(value: str) -> bool:
    """True when ``value`` is a dotted name -- an attribute path, a module, package or class name, a
    configuration key or a version (``settings.SECRET_KEY``, ``os.environ.get``, ``app.config.api_key``,
    ``com.example.Auth``, ``s3Client.getObject``, ``x509.Certificate``, ``v1.2.3``) -- rather than a random
    value that happens to hold a dot (``h8Tz.Kq3Wm9x``).

    The exact boundary. ``value`` is runs of word characters joined by single dots, the first run an
    identifier or a number; and every run (segment) reads as a name. A segment reads as a name unless it
    mixes lower case, upper case and digits once a version or width closing one of its words is set aside
    (``TLSv1``, ``Int32``, ``_12``): without all three it is words in some case style (``SECRET_KEY``,
    ``getObject``, ``b64decode``, ``AES256``). With all three it is cut into pieces -- its words
    (:func:`name_words`) cut again at digits -- and reads as a name when at least half of its letters stand
    in pieces of three letters or more and, from five pieces on, the pieces average three letters or more.
    An identifier's pieces are words (``s3Client``, ``getS3Object``, ``toUTF8String``, ``Slf4jLogger``,
    ``readUInt32LE``); the case changes and digits of a random run cut it into single letters and pairs
    (``h8Tz``, ``Kq3Wm9x``, ``rl63XykWZeiN``). A value is reported when any one segment looks random.
    Kept knowingly (taken for a name): a random segment whose pieces happen to be long -- of random
    segments holding all three kinds of characters, about a third at 6 to 10 characters, a quarter at 12,
    one in fifteen at 16, fewer beyond -- and a random value none of whose segments holds all three. Lost
    knowingly (taken for random): names built of letter-digit abbreviations (``adB2C``,
    ``readBigUInt64BE``, OpenSSL's ``BN_bn2hex``). A segment that is a regex group's substitution (``$0``,
    ``$1``, ``$S2``, also after a ``-``) counts as a name: Monaco's token types (``keyword.$0``,
    ``string.$1.delim``, ``keyword.$S2``, ``keyword.tag-$1``) are names filled in.
    A segment may end in a list's index, any or every one (``clients[].client_secret``, ``items[0].key``,
    ``rules[*].id``): a configuration key's path.
    """
    if "$" in value:
        value = _GROUP_SEGMENT.sub(lambda m: ".n" if m.group().startswith(".") else "_n", value)
    if "[" in value:
        value = _LIST_INDEX.sub("", value)
    if _DOTTED.match(value) is None:
        return False
    if may_mix_cases_and_digits(value):
        for segment in value.split("."):
            if may_mix_cases_and_digits(segment) and _segment_looks_random(segment):
                return False
    return True


_DIGIT_CHARS = frozenset("0123456789")


def may_mix_cases_and_digits(text: str) -> bool:
    """False when ``text`` surely lacks lower case, upper case or digits (a quick test, by str methods)."""
    return not (text.islower() or text.isupper() or _DIGIT_CHARS.isdisjoint(text))


def _segment_looks_random(segment: str) -> bool:
    rest = _VERSION_END.sub("", segment)
    if not may_mix_cases_and_digits(rest):
        return False
    pieces = [piece for word in name_words(rest) for piece in _LETTER_RUN.findall(word)]
    letters = sum(map(len, pieces))
    in_words = sum(len(piece) for piece in pieces if len(piece) >= 3)
    return 2 * in_words < letters or (len(pieces) >= 5 and letters < 3 * len(pieces))


# A word run: up to two leading underscores, then parts of letters and digits joined by single ``-``, ``_``
# or ``.``, the first starting with a letter. A part is cut into pieces: an acronym (``EC``, ``AWS``), a word
# in any case (``Key``, ``created``), one capital (``S``) or a digit run.
_WORD_RUN = LazyRegex(r"^_{0,2}[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$")
_PART_SPLIT = LazyRegex(r"[-_.]")
_PIECES = LazyRegex(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|[0-9]+")
_DIGIT_THEN_LOWER = LazyRegex(r"[0-9][a-z]")
# Numeronyms identifiers spell as words (k8sEntityLogsExpression, i18nNamespace, a11yLabel, o11yConfig): each
# is read as a word of four letters (a random alphanumeric run holds one about once in 30,000 places)
_NUMERONYM = LazyRegex(r"(?i:k8s|k3s|i18n|l10n|a11y|o11y)(?![0-9])")
_CONSONANT_RUN = LazyRegex(r"[^aeiou]{4}")
# English words of one or two letters common in identifiers (``createdBy``, ``SubnetId``, ``isEnabled``).
_SHORT_WORDS = frozenset(
    [
        "id",
        "ids",
        "by",
        "on",
        "of",
        "to",
        "in",
        "at",
        "is",
        "up",
        "as",
        "or",
        "no",
        "an",
        "do",
        "if",
        "it",
        "be",
        "ip",
        "os",
        "db",
        "ui",
        "io",
        "ok",
        "my",
        "we",
    ]
)
_VOWELS = frozenset("aeiou")
# Abbreviations without a vowel that identifiers spell as words (sendSmsVerifyCode, parseHtml, JwtConfig,
# XmlHttpRequest, DnsRecord, msgCtx): each counts as a word. (Random runs hold these pieces too; measured,
# the share of random values of 16 and 24 characters read as words is unchanged.)
_VOWELLESS_WORDS = frozenset(
    [
        "sms",
        "mms",
        "dns",
        "http",
        "https",
        "html",
        "xml",
        "tcp",
        "udp",
        "jwt",
        "pwd",
        "cfg",
        "msg",
        "src",
        "dst",
        "btn",
        "ctx",
        "cmd",
        "pkg",
        "sql",
        "ssh",
        "ssl",
        "tls",
        "crl",
        "csr",
        "png",
        "jpg",
        "svg",
        "pdf",
        "cdn",
        "crm",
        "cms",
        "vpc",
        "vpn",
        "rpc",
        "grpc",
        "mgr",
        "ctrl",
        "str",
        "fmt",
        "std",
        "lvl",
        "rgb",
        "css",
    ]
)
# a namespace before a colon: ns, ec2, stack-name, pydantic.errors
_LOWER_NAME = LazyRegex(r"^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$")
# three lower-case words or more joined by "-" (a name: two, correct-horse, may be a passphrase)
_LOWER_WORDS_JOINED = LazyRegex(r"^[a-z]{2,}(?:-[a-z]{2,}){2,}$")


def _run_words(run: str, *, y_vowel: bool = False) -> int | None:
    """How many words the word run ``run`` holds (see :func:`is_code_identifier`), or None when it does not
    read as words. ``y_vowel``: a ``y`` after a word's first letter counts as a vowel."""
    if "1" in run or "8" in run or "3" in run:
        run = _NUMERONYM.sub(lambda m: "Word" if m.group()[0].isupper() else "word", run)
    if _DIGIT_THEN_LOWER.search(run) is not None or _WORD_RUN.match(run) is None:
        return None  # (a digit run followed by lower case, no word boundary: the quickest rejection)
    words = word_letters = long_words = long_letters = digit_runs = acronyms = 0
    characters = 0  # letters and digits
    for part in _PART_SPLIT.split(run.lstrip("_")):
        characters += len(part)
        pieces = _PIECES.findall(part)
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            if piece.isdigit():
                digit_runs += 1
                # a year or a count after a word of four letters or more (the piece before is letters)
                if len(piece) >= 3 and i > 0 and len(pieces[i - 1]) >= 4:
                    return None
            elif len(piece) >= 2 and piece.isupper():  # an acronym (EC, AWS, HTTPS)
                acronyms += 1
                if acronyms > 1 or len(piece) > 5:
                    return None
            elif len(piece) >= 3:  # a word: it has a vowel and no four consonants in a row
                low = piece.lower()
                if y_vowel and "y" in low[1:]:  # (Sync, System, Python, Crypto)
                    low = low[0] + low[1:].replace("y", "i")
                if low not in _VOWELLESS_WORDS and (
                    _VOWELS.isdisjoint(low) or _CONSONANT_RUN.search(low) is not None
                ):
                    return None
                words += 1
                word_letters += len(piece)
                long_words += 1
                long_letters += len(piece)
            elif piece.lower() in _SHORT_WORDS:
                words += 1
                word_letters += len(piece)
            elif i == last or not pieces[i + 1].isdigit():  # one or two letters stand only before digits (S3)
                return None
    if digit_runs:
        if digit_runs > 2 or 5 * word_letters < 3 * characters:
            return None
        if long_words >= 2 and 2 * long_letters < 7 * long_words:
            return None
    return words


def is_code_identifier(value: str) -> bool:
    """True when ``value`` is an identifier of code or data holding digits inside its words -- a dictionary
    key, an attribute or an enum value (``Ec2KeyName``, ``Ec2SubnetIds``, ``intermediateS3Path``,
    ``EC2UnexpectedException``, ``UnassignIpv6Addresses``, ``AddressLine1``) -- rather than a random value
    (``Xk9pQ2vL7mN4``). (Identifiers of letters only are judged by the engine's own test.)

    The exact boundary. ``value`` holds a digit and is a word run: up to two leading underscores, then parts
    of letters and digits joined by single ``-``, ``_`` or ``.``, starting with a letter. Each part is cut
    into acronyms (``EC``, ``AWS``), words in any case (``Key``, ``created``), single capitals and digit runs,
    and the run reads as words when: every word of three letters or more has a vowel (``aeiou``; ``y`` does
    not count) and no four other letters in a row; a piece of one or two letters is a common short English
    word (``Id``, ``By``, ``On``, ...) or stands right before digits (``S3``, ``Ec2``, ``V2``); a digit run
    is not followed by lower case (``md5sum``, ``abc9defgh``: no word boundary) nor is it three digits or
    more after a word of four letters or more (``SummerTime2024``, ``Spring2024Garden``: a year or a count
    in a chosen value); there is at most one acronym, of five letters at most, and at most two digit runs;
    the words (short ones included) hold 60% of the letters and digits or more, and the words of three
    letters or more, when two or more, average 3.5 letters or more. And the run holds two words or more.

    Measured over random values (100,000 of each kind): about 1 in 1,100 alphanumeric values of 8 to 16
    characters is taken for an identifier (the same with ``+/`` or ``-_`` too; mostly the shortest, a
    capitalised syllable, a digit and another syllable: ``Qoxa7Ruvek``), 1 in 6,000 with punctuation too,
    fewer than 1 in 15,000 of 17 to 40 characters, none of lower case and digits only -- on top of the
    letters-only values the engine's own identifier test already takes (about 1 in 80 alphanumeric values
    of 8 to 16 characters). Kept knowingly (still reported): identifiers with two acronyms
    (``SHA384WITHRSA``), with a word without a vowel (``AwsEc2VpcEndpoint``, ``Http2Settings``), with more
    than two digit runs (``Scte20Convert608To708``), a lone capital not before digits (``Texture2DArray``),
    a year or a count after a word (``StringLimit1024``) or one word only (``AggregatorV2``). Of the
    identifiers holding digits (letters and digits only, an upper-case letter) among the string literals of
    Python 3.11's standard library and site-packages, botocore's service models included, that a key name
    reported, 2,672 of 4,089 are taken (65%).
    """
    if _DIGIT_CHARS.isdisjoint(value):
        return False
    words = _run_words(value)
    return words is not None and words >= 2


def reads_as_words(value: str) -> bool:
    """True when ``value`` is a word run of two words or more by the test of :func:`is_code_identifier`, with
    or without digits (``JIRAConfigEngagementBase``, ``Ec2KeyName``): every word has a vowel and no four other
    letters in a row, and so on. Stricter than splitting on case changes alone: a random run of letters
    (``DjayBenyJrtpvydFCzAphcqc``) splits into pieces too, but not into words. Unlike there, a ``y`` after a
    word's first letter is a vowel (``AsyncSQLAlchemyInstallationStore``, ``PythonSystemStyle``): the values
    judged so are long (a random run of 24 characters reads as words about twice in 100,000 either way), while
    short random values would read as identifiers a third more often."""
    words = _run_words(value, y_vowel=True)
    return words is not None and words >= 2


# A URN of a standards body's namespace (RFC 8141; IANA's formal namespaces and Microsoft's schemas): a name
# that protocols define, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,
# urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress, urn:ietf:params:oauth:grant-type:jwt-bearer
_STANDARD_URN = LazyRegex(
    r"(?i:urn):(?:ietf|oasis|mace|iso|ieee|3gpp|oma|epc|publicid|xmpp|uuid|oid|schemas-microsoft-com)"
    r":[A-Za-z0-9._:/%+-]+"
)


def is_namespaced_name(value: str) -> bool:
    """True when ``value`` is a namespaced identifier ``prefix:identifier`` (``lambda:createdBy``,
    ``serverlessrepo:applicationId``, ``sts:AssumeRole``, ``ly:context-name``,
    ``aws:cloudformation:stack-name``) or a standards body's URN (``urn:ietf:params:scim:…:2.0:Group``,
    ``urn:oasis:names:tc:SAML:…``) rather than a secret holding a colon.

    The exact boundary. ``value`` is two segments or more joined by single colons; every segment before the
    last is a lower-case name (letters and digits, starting with a letter, in parts joined by ``-``, ``_``,
    ``.``: ``ns``, ``ec2``, ``pydantic.errors``) or a word run that reads as words (see
    :func:`is_code_identifier`: ``stateMachine``); the last is a word run of two words or more that reads as
    words (``camelWordsHere``, ``SendMessage``, ``stack-name``, ``Ec2KeyName``) -- or, with three segments or
    more, a lower-case name too (``app:celery:heartbeat``: a cache key's path; a ``user:password`` pair has
    two). So a random part after the
    colon keeps a value (``admin:Xk9pQ2vL7m``), as does a single word (``cognito:username``,
    ``rds:Cluster``). Lost knowingly: a ``user:password`` pair whose password is two words
    (``admin:SummerTime``) -- which is why the engine does not ask this for names of credentials or auth
    values, nor for password names. Measured: none of 200,000 random values of 8 to 40 letters, digits
    and punctuation (``:`` among them) is taken; of the values holding a colon among Python 3.11's string
    literals (standard library, site-packages, botocore's service models) that a key name reported, 812 of
    2,257 are taken -- the rest are mostly times, addresses, URLs and ``::`` paths, which are not this shape.
    """
    if value[:4].lower() == "urn:" and _STANDARD_URN.fullmatch(value) is not None:
        return True
    segments = value.split(":")
    if len(segments) < 2:
        return False
    if len(segments) >= 3 and segments[-1].isdigit() and len(segments[-1]) <= 4:
        segments = segments[:-1]  # a version at the end: app:agent-type-by-app:1
    if len(segments) >= 3 and all(_LOWER_NAME.match(segment) for segment in segments):
        return True  # a cache key's path of names: onyx:celery:beat:heartbeat, debounce:test:key
    if all(_LOWER_NAME.match(segment) for segment in segments) and _LOWER_WORDS_JOINED.match(segments[-1]):
        return True  # a storage key's name: agenta:subscription-pair-models
    for prefix in segments[:-1]:
        if _LOWER_NAME.match(prefix) is None and _run_words(prefix) is None:
            return False
    words = _run_words(segments[-1])
    return words is not None and words >= 2


def is_name_path(value: str) -> bool:
    """True when ``value`` is a relative path or object key of names in any case (``S3Key/path/to/object``,
    ``caching/unauthorizedCacheControlHeaderStrategy``, ``Megabits/Second``, ``throttling/burstLimit``).
    (The engine takes lower-case paths for paths already.)

    The exact boundary. ``value`` is two segments or more joined by single slashes (one closing slash
    allowed); each segment is a number or a word run that reads as words (see :func:`is_code_identifier`; one
    word is enough: ``S3Key``, ``Second``, ``to``); and the segments hold two words or more. A base64 value's
    slashes cut it into random runs, which seldom read as words: about 1 in 9,000 random base64 values of 8
    to 16 characters is taken, none of 100,000 of 17 to 40. Of the mixed-case values holding a slash among
    Python 3.11's string literals that a key name reported, 54 of 313 are taken (most others hold ``::``, a
    drive or an option: ``Resources/AWS::S3::Bucket``, ``C:/Foo``, ``-I/usr/include``). Lost knowingly: a
    random value whose every segment happens to read as words. Kept knowingly: a path with a random-looking
    segment (``dirB/linkD``, a single letter, ``ami-0abc123``) unless the engine's lower-case path test
    takes it.
    """
    segments = value[:-1].split("/") if value.endswith("/") else value.split("/")
    if len(segments) < 2:
        return False
    words = 0
    for segment in segments:
        if not segment:
            return False
        counted = 0 if segment.isdigit() else _run_words(segment)
        if counted is None:
            return False
        words += counted
    return words >= 2


# A key's, a certificate's or a data file's suffix, as a value's end (archives and data files too: an object
# key, "serverless/app/local/1708076358388-2024-02-16T09:39Z/api.zip"). Base64, hex and random tokens have no
# "." before such a suffix.
FILE_SUFFIX = r"\.(?:pem|key|crt|txt|json|ya?ml|p12|pfx|zip|jar|war|whl|tgz|gz|csv|log)$"
_FILE_PATH = LazyRegex(r"^(?:~|\.{1,2})?/?(?:[\w@+-][\w.@+-]*/)*[\w@+-][\w.@+-]*" + FILE_SUFFIX)


def is_file_path(value: str) -> bool:
    """True when ``value`` is a file's path or name ending in such a suffix (``/certs/key.pem``,
    ``certs/elasticsearch-key.pem``, ``./tls/server.key``, ``server.crt``): where a key or a certificate is
    read from -- an environment variable's usual value under ``SSL_KEY``, ``TLS_KEY`` or Elasticsearch's
    ``xpack.security.http.ssl.key`` -- not the key."""
    return _FILE_PATH.match(value) is not None


# Which letter may follow which in an English word: the letter pairs that make 0.03% or more of the pairs in
# the distinct lower-case words of 8 to 24 letters in Python 3.11's standard library (its docstrings,
# comments and names; 331 of the 676 pairs). Random lower-case letters seldom keep to them.
_WORD_PAIRS = {
    "a": "abcdfgiklmnprstuvwxy",
    "b": "abceijloprsuy",
    "c": "acdehiklmorstuy",
    "d": "abcdefgilmnoprstu",
    "e": "abcdefghilmnopqrstuvwxy",
    "f": "aefgilorstu",
    "g": "aeghilmnorstu",
    "h": "aeimort",
    "i": "abcdefglmnoprstvxz",
    "j": "e",
    "k": "aeilns",
    "l": "acdefilmnopstuy",
    "m": "abeilmnopsuy",
    "n": "acdefgiklmnoprstuv",
    "o": "abcdfgiklmnoprstuvwx",
    "p": "adefhiloprstuy",
    "q": "u",
    "r": "abcdefgiklmnoprstuvwy",
    "s": "acdefhiklmnopstuwy",
    "t": "abcdefhilmnoprstuvwy",
    "u": "abcdefgilmnoprst",
    "v": "aeio",
    "w": "aehinors",
    "x": "aceiptxy",
    "y": "ceilmnpst",
    "z": "aei",
}
_PLAIN_WORD = LazyRegex(r"^[a-z]{8,24}$")
_NO_VOWEL_RUN = LazyRegex(r"[^aeiouy]{4}")


def is_plain_word(value: str) -> bool:
    """True when ``value`` reads as one plain lower-case English word (``relationship``, ``wildcard``,
    ``authentication``): what an enum value, a strategy's or a field's name looks like, not an API key or a
    signing key, which are random. The engine asks it for key, token and secret names only: a one-word
    password is still a leaked password.

    The exact boundary. ``value`` is 8 to 24 ASCII lower-case letters (shorter values of those names are left
    anyway), with no four letters in a row other than ``a e i o u y`` and every pair of neighbouring letters
    one of ``_WORD_PAIRS``. Measured: 78% of the words of 8 letters or more that occur three times or more in
    Python 3.11's standard library are taken (``strategy``, ``keyboard``, ``development`` are not: ``gy``,
    ``yb``, ``pm`` are rarer pairs). Of random values of lower-case letters only (100,000 of each length),
    about 1 in 70 of 8 letters is taken, 1 in 700 of 12 and 1 in 7,000 of 16; none that holds a digit, an
    upper-case letter or punctuation, which random keys almost always do. A capital first letter is taken as
    lower case (``Document``, an enum member's value).
    """
    if value[:1].isupper() and value[1:].islower():
        value = value.lower()
    if _PLAIN_WORD.match(value) is None or _NO_VOWEL_RUN.search(value) is not None:
        return False
    return all(b in _WORD_PAIRS[a] for a, b in itertools.pairwise(value))


# ---------------------------------------------------------------------------------------------- values

_REFERENCE_WHOLE = r"""
    ^\$\{[^}]*\}?$                           # ${VAR} / ${VAR:-default}
    | ^\$\{\{.*\}\}$                         # ${{ secrets.X }}
    | ^\$[A-Za-z_][A-Za-z0-9_]*$             # $VAR
    # \$VAR, \${VAR}: escaped for an outer shell or template
    | ^\\{1,2}\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$
    # $context.identity.apiKey: a Velocity template's variable (API Gateway's mapping templates)
    | ^\$[a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+$
    | ^\$\([^)]*\)?$                         # $(command)
    # a call with one quoted word argument, in a template's attribute: Vue's :placeholder="$t('password')"
    | ^\$?[A-Za-z_][\w.$]{0,30}\(\s?'[A-Za-z][a-z0-9_.:\ -]{0,59}'\s?\)$
    | ^\$\$(?:\([^)]*\)?|\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*)$  # $$(command), $${VAR}, $$VAR: compose's "$"
    | ^\{\{.*\}\}$                           # {{ x }} templates
    | ^\{%.*%\}$ | ^<%=?.*%>$ | ^\#\{.*\}$   # jinja/erb/ruby interpolation
    | ^\#\{[A-Za-z_@$][\w.@$]*(?:[\[(][^}]*)?$  # ruby interpolation cut at a quote: #{opts['db_pass
    | ^%\([A-Za-z_][A-Za-z0-9_]*\)s$         # %(name)s
    | ^%[A-Za-z_][A-Za-z0-9_]*%$             # %VAR% (Windows)
    | ^@[A-Za-z_][\w.-]*@$                   # @db.password@: Maven/Ant/Gradle filter token (build-time)
    | ^\\{0,2}\$[A-Z_][A-Z0-9_]*\\{0,2}\$$     # $VERSION$, \$BUILD_TIME\$ (\\$ in source): replacer markers
    | ^\$[a-z]{4,20}\$$                      # $encrypted$: AWX's stand-in for a stored secret in its API
    | ^\{[A-Za-z_][A-Za-z0-9_.]*\}$          # {name} (format string)
    | ^@Microsoft\.KeyVault\(                # Azure app settings
    | ^(?:enc|vault|secretref|ssm|sm|awssm|op|env|ENC|ENV|sops|age|kms|gcpsm|azkv):
    | ^encrypted:[A-Za-z0-9+/]{16}            # dotenvx ciphertext
    | ^ENC\[[A-Z0-9_]{2,20},                  # sops ciphertext: ENC[AES256_GCM,data:…,type:str]
    | ^ENC\([A-Za-z0-9+/=_-]{8,}\)$          # Jasypt ciphertext
    | ^\$ANSIBLE_VAULT;                       # Ansible Vault
    | ^AQICAH[A-Za-z0-9+/]{60}                # AWS KMS ciphertext blob (version 1, 2, 2, 0, 'x' ...)
    | ^CiQA[A-Za-z0-9+/]{60}                  # Google Cloud KMS ciphertext (protobuf field 1, 36 bytes)
    | ^-----BEGIN\ (?:AGE\ ENCRYPTED\ FILE|PGP\ MESSAGE)-----
    | ^arn:aws:(?:secretsmanager|ssm|kms):
    | ^urn:k8s:secret:[\w.-]+:[\w.-]+$     # Traefik's reference: urn:k8s:secret:[name]:[valueKey]
    | ^!vault | ^!secret
    """
# an f-string/format hole anywhere: {name}, {call(args)}, {cfg["key"]}, {x!r}, {x:>8}
_REFERENCE_ANYWHERE = (
    r"\{[A-Za-z_][\w.]*(?:\([^(){}]{0,40}\))?(?:\[[^\[\]{}]{0,40}\])?(?:![rsa])?(?::[^{}]{0,20})?\}|"
    r"os\.environ|os\.getenv|getenv\(|process\.env\b|System\.getenv|Environment\.GetEnvironmentVariable"
    r"|ENV\[|env\(|\$\{\{|\{\{\s*[\w.]|secrets\.[A-Z_]|vault\(|lookup\("
    # ${name…} closed by a brace, or cut right after the name or its default operator (``${VAR:-``); an
    # unclosed ``${name:^…`` inside a random value (a WordPress salt's alphabet has $, { and :) is no hole
    r"|\$\{[A-Za-z_][^}]{0,200}\}|\$\{[A-Za-z_][\w.]*:?[-=?+]?$"
    # Swift's string interpolation of a name or a call: "password=\\(getEncryptedPass())"
    r"|\\\([A-Za-z_][\w.]*(?:\([^()]{0,40}\))?\)"
)
# both in one search (the whole-value forms are written verbose)
_REFERENCE = LazyRegex(f"(?x:{_REFERENCE_WHOLE})|{_REFERENCE_ANYWHERE}")
_PLACEHOLDER_WORDS = frozenset(
    {
        "",
        "changeme",
        "unused",  # lib/pq's compose file: 'POSTGRES_PASSWORD': 'unused' (the tests connect otherwise)
        "change_me",
        "change-me",
        "changeit",
        "change_it",
        "replaceme",
        "replace_me",
        "replace-me",
        "placeholder",
        "redacted",
        "removed",
        "hidden",
        "masked",
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "key",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "yes",
        "no",
        "todo",
        "tbd",
        "fixme",
        "xxx",
        "foo",
        "bar",
        "baz",
        "foobar",
        "minioadmin",  # MinIO's published default user and password, a local server's in CI and compose
        "123e4567-e89b-12d3-a456-426614174000",  # the UUID of documentation's examples (Wikipedia, OpenAPI)
        "test",
        "testing",
        "dummy",
        "fake",
        "sample",
        "example",
        "default",
        "empty",
        "required",
        "optional",
        "string",
        "str",
        "unset",
        "notset",
        "not_set",
        "not-set",
        "n/a",
        "na",
        "mysecret",
        "mypassword",
        "yourpassword",
        "your_password",
        "yoursecret",
        "secretkey",
        "secret_key",
        "password1",
        "pass",
        "pwd",
        "value",
        "your_token",
        "yourtoken",
        "insert",
        "here",
        "tmp",
        "temp",
        "env",
        "enabled",
        "disabled",
        "enable",
        "disable",
        "basic",
        "bearer",
        "digest",
        "oauth",
        "oauth2",
        "jwt",
        "any",
        "all",
        "auto",
        "auth",
        "ok",
        "off",
        "on",
        # GitHub's fixed words for token authentication over HTTPS (https://<token>:x-oauth-basic@github.com,
        # x-access-token:<token>): in a password's place the token is the user part, judged by its own rule
        "x-oauth-basic",
        "x-access-token",
    }
)
# Placeholder shapes, in two parts: those anchored at the start (one attempt, ``match``) and those found
# anywhere (``search``), which an ASCII value can only hold when it contains one of ``_INSIDE_HINTS``.
_PLACEHOLDER_AT_START = LazyRegex(
    r"""(?ix)
    ^<[^<>]{1,80}>$                          # <your-key>
    | ^<(?:[^<>]|<[^<>]{1,80}>){1,80}>[\w.-]{0,40}$  # a snapshot's stand-ins: <<task_token>:1>, <id:1>Name
    | ^&lt;.{1,80}&gt;$                      # &lt;your-key&gt; (HTML-escaped)
    | ^\[[^\[\]]{1,80}\]$                    # [TOKEN]
    | (?-i:^\{[a-z]{2,}(?:[-\ ][a-z]{2,}){1,8}\}$)  # {long-lived-user-access-token}: words in braces
    | ^\(?(?:your|my|insert|enter|put|paste|add|replace|set|fill)[-_ .]?(?:in[-_ .]?)?
       (?:your|the|a|an|own)?[-_ .]?
       [a-z0-9_ .-]{0,40}(?:key|token|secret|pass|password|pwd|pw|here|value|credentials?)\b
    # SQL Server's container documentation: yourStrong(!)Password, YourStrong@Passw0rd (and their copies)
    | ^your[a-z]{2,12}(?:\(!\)|@|!|_|-)?(?:password|passw0rd|p@ssw0rd|pass)!?$
    | ^(?:x|\*|\.|-|_|\#|0|•|=|\?){3,}$     # xxxx, ****, ....
    | ^x{4,}+[-_a-z0-9]*+$                   # (possessive: linear in the value's length)
    | ^\([a-z][a-z _-]{0,40}\)$               # (hidden), (not set)
    | ^(?:some|any|a|the|sample|example|dummy|fake|test|testing|my|your|default|secret|super|random
       |wrong|invalid|incorrect|bad|expired|revoked|another|other|custom)
       [-_ ]?(?:secret|password|passwd|pass|pwd|pw|token|key|api[-_ ]?key|value|string|credential)s?
       [-_ ]?\d{0,3}$
    # a sentence in camel case about the value: YourPwdShouldBeLongAndSecure!, YourSecretKeyHere
    | (?-i:^Your(?:[A-Z][a-z]+){0,3}(?:Pwd|Password|Passphrase|Pass|Secret|Token|Key)(?:[A-Z][a-z]+){0,6}!?$)
    # a secret store's item and field, as a workflow names one to fetch (grafana's Vault action:
    # GPG_PASSPHRASE=helm-chart-signing-key:passphrase); a user:password pair's second part is no field name
    | (?-i:^[a-z][a-z0-9]*(?:-[a-z0-9]+)+:(?:[a-z]+_)*(?:password|passphrase|token|secret|key|name|id|value
       |username|user|cert|certificate)$)
    | ^(?:secret|password|passwd|token|key|api[-_ ]?key)[-_ ]?
       (?:goes[-_ ]?here|here|value|placeholder|\d{0,3})$
    | ^(?:not|no)[-_ ]?(?:a|the)?[-_ ]?(?:real|valid|actual)?[-_ ]?(?:secret|password|pass|token|key)
    | ^no[nt][-_ ][a-z]{3,20}$               # not sent, not_set, not-used, non-matching: none, or a wrong one
    # pypi-token, gh_b2c_token, octokit's personal-access-token123; and an env var's name where its value
    # goes: Bearer REGISTRATION_ACCESS_TOKEN
    | (?-i:^(?:[a-z][a-z0-9]{1,11}[-_]){1,5}(?:api[-_]?)?
       (?:token|key|apikey|secret|credentials?|password|passwd)\d{0,3}$)
    # the same in camel case: a chart's CI values, password: jiraToken; slackBotToken
    | (?-i:^[a-z][a-z0-9]{1,11}(?:[A-Z][a-z0-9]{1,11}){0,4}(?:Api)?
       (?:Token|Key|ApiKey|Secret|Credentials?|Password|Passwd)\d{0,3}$)
    | (?-i:^(?:[A-Z][A-Z0-9]{1,11}_){1,4}(?:API_?)?(?:TOKEN|KEY|APIKEY|SECRET|PASSWORD|CREDENTIALS?)$)
    | ^(?:dummy|fake|test|mock|sample|example|placeholder|invalid)[-_]
    | (?-i:^[A-Za-z]{2,10}[-_]X{4,}$)                                 # npm_XXXX, ghp_XXXX
    | (?-i:^(?:dummy|fake|mock|bogus)[a-z]{0,30}(?:key|token|secret|credentials?|password|passwd)$)  # fakekey
    | ^(?:wrong|incorrect|bad|expired|revoked)[-_](?:[a-z]+[-_])*      # a test's wrong_refresh_token_cookie
       (?:secret|password|passwd|pwd|token|key|apikey|credentials?|cookie|auth)(?:[-_][a-z]+)*$
    | ^(?:test|testing|demo|dummy|sample|fake|foo|bar|admin|user|guest|pass|passw|passwd|password|secret
       |qwerty|asdf|asdfgh|zxcv|abc|wrong|incorrect|invalid|bogus)[-_.]?\d{0,6}!?$  # FreeRADIUS's testing123
    # a template's names of the parts (twilio://AccountSid:AuthToken@FromPhoneNo)
    | (?-i:^(?:[A-Z][a-z0-9]{1,11}){1,3}(?:Token|Key|Secret|Password|Credentials?)$)
    """
)
_PLACEHOLDER_INSIDE = LazyRegex(
    r"""(?ix)
    (?:_|-|\b)here\)?$                     # ..._here
    | \bx{5,}\b                             # (a value ending in xxxxxx: see _placeholder_shape)
    | (?:^|[^a-z])change[-_ ]?(?:me|it|this)(?:[^a-z]|$)
    | (?:^|[^a-z])replace[-_ ]?(?:me|this|with)(?:[^a-z]|$)
    | example | sample | dummy | placeholder | redacted | not[-_ ]?(?:a[-_ ]?)?(?:real|valid)
    # a stand-in word before the credential's kind inside a format's shape: ya29.a0ARW5m7hQ_some_oauth_token
    | [-_.](?:some|fake|test|my|your)[-_](?:[a-z]+[-_])?(?:token|key|secret|password)s?(?:[-_]|$)
    | not[-_ ]?(?:a|the)[-_ ]?(?:secret|password|passwd|token|key)  # thisisnotapassword, is_not_a_secret
    | removed[-_ ]?(?:my|the|a|our)?[-_ ]?(?:secret|password|passwd|token|key)  # ihaveremovedmypassword
    | (?:^|[-_ ])(?:provided|supplied|injected|filled|given)[-_ ](?:in[-_ ])?by[-_ ]  # provided-by-admin
    | (?:^|[-_ ])(?:provided|supplied|given|asked|prompted)[-_ ](?:at|on)[-_ ]  # provided-at-launch (AWX)
      (?:launch|runtime|run[-_ ]?time|start)
    | do[-_ ]?not[-_ ]?(?:use|leak|commit|share|expose|log|print|reveal)  # a canary, never to be logged
    | [*\#•]{3}                              # masked inside a token: sk_live_****1234, ghp_####
    | [^.](?:\.{3}|…)[a-z0-9]{0,8}$          # elided for display: sk-lf-...7890, ghp_…
    | \bto[-_]?be[-_]?(?:set|replaced|filled)\b
    | (?:should|must|needs?[-_ ]?to)[-_ ]?be[-_ ]?changed  # ThisShouldBeChangedInProduction
    # this_is_a_secret_abc123 (a password so written, thisismypassword, is a chosen one: reported)
    | ^this[-_ ]?is[-_ ]?(?:a|an|the|our)[-_ ]?(?:very[-_ ]?|super[-_ ]?)?(?:secret|key|token)
    # a_not_so_secure_encryption_key (not "insecure": Django's generated keys begin "django-insecure-")
    | not[-_ ]?(?:so[-_ ]?|very[-_ ]?)?secure
    | [-_](?:dummy|fake|placeholder|redacted|invalid|wrong|expired|revoked)$  # a test's ak2_invalid
    # a slot to fill in between separators: SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>
    # (not markup: a tag stands after ">", a space or a line break, <head><title>)
    | (?:^|[$:=@/_-])<[a-z][a-z_ -]{2,30}>(?:$|[$:=@/_.-])
    """
)
# Each alternative of _PLACEHOLDER_INSIDE needs one of these in a lower-cased ASCII value.
_INSIDE_HINTS = LazyRegex(
    r"here|xxxxx|change|replace|example|sample|dummy|placeholder|redacted|use|real|\*|\#|be|fake|leak|commit|share"
    r"|not|removed|by[-_ ]|this|invalid|wrong|expired|revoked|\.\.\.|…|at[-_ ]|on[-_ ]"
    r"|[-_.](?:some|test|my|your)[-_]|<"
)


def says_placeholder(value: str) -> bool:
    """``value`` has a placeholder's shape (``example-password``, ``<your-token>``, ``xxxxxx``,
    ``changeme``): narrower than :func:`is_placeholder`, whose stand-in words (``root``, ``admin``) are real,
    weak passwords in a credentials file (``.pgpass``, ``.netrc``)."""
    v = value.strip()
    return _placeholder_shape(v, v.lower())


def _placeholder_shape(value: str, low: str) -> bool:
    """``value`` (``low`` lower-cased) has one of the placeholder shapes. Linear in the value's length: a
    candidate can be kilobytes long (a key body, a base64 run), and a pattern such as ``[a-z0-9]*x{6,}$``
    tried at every position of a 10 kB alphanumeric value took 1.5 s."""
    if _PLACEHOLDER_AT_START.match(value) or low.endswith("xxxxxx"):  # …_xxxxxx, sk_live_XXXXXXXX
        return True
    if value.isascii() and _INSIDE_HINTS.search(low) is None:
        return False  # (case-insensitive matching of an ASCII value is matching its lower-cased form)
    return _PLACEHOLDER_INSIDE.search(value) is not None


# Words meaning "secret"/"password" (several languages) and fillers: a value made only of these is a stand-in
# (``geheim$parole``, ``my-secret-password``, ``top_secret``), not a credential -- written together too
# (``MySecretPassword``, ``OldPassword``, ``tokenstring``).
_STANDIN_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "password",
        "passwort",
        "passwd",
        "pass",
        "pwd",
        "token",
        "key",
        "apikey",
        "api",
        "geheim",
        "parole",
        "kennwort",
        "motdepasse",
        "mot",
        "de",
        "passe",
        "contrasena",
        "senha",
        "segreto",
        "hemlig",
        "salasana",
        "sekrit",
        "sekret",
        "wachtwoord",
        "haslo",
        # (the translations of "password" are compared folded: without diacritics, see _fold)
        "sifre",
        "parola",
        "losenord",
        "passord",
        "adgangskode",
        "kodeord",
        "heslo",
        "jelszo",
        "lozinka",
        "geslo",
        "parool",
        "contrasenya",
        "slaptazodis",
        "пароль",
        "my",
        "your",
        "the",
        "a",
        "super",
        "ultra",  # searxng's settings: secret_key: "ultrasecretkey"  # change this!
        "top",
        "very",
        "really",
        "some",
        "default",
        "dummy",
        "fake",
        "test",
        "sample",
        "example",
        "value",
        "here",
        "new",
        "old",
        # what a test calls the secret it changes: "original-pass", "existing-pass", "updated_secret"
        "original",
        "existing",
        "current",
        "updated",
        "initial",
        "other",
        "another",
        "private",
        "access",
        "client",
        "user",
        "admin",
        "root",
        # a database's replication role (Patroni's sample configuration and tests: "rep-pass")
        "replication",
        "replicator",
        "repl",
        "rep",
        "db",
        "database",
        "app",
        "dev",
        "local",
        "secure",
        "strong",
        "string",
        "str",
        "text",
        "foo",
        "bar",
        "baz",
        "foobar",
        "anonymous",  # anonymous FTP's password: by convention "anonymous" or an address (thingsboard)
        "hello",  # hello world: base64 of it under api_key (Prefect's tests: "aGVsbG8gd29ybGQ=")
        "world",
        "prod",  # an environment's name and the secret's kind: "pass": "prod_pass"
        "production",
        "staging",
    }
)
_WORD_SPLIT = LazyRegex(r"[^a-z]+")
_ANY_WORD_SPLIT = LazyRegex(r"[\W\d_]+")  # (any script's letters make words)
_LONGEST_STANDIN = max(map(len, _STANDIN_WORDS))
_FOLD_LETTERS = str.maketrans({"ł": "l", "ı": "i", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def _fold(low: str) -> str:
    """``low`` (lower case) without its diacritics: ``contraseña`` -> ``contrasena``, ``hasło`` ->
    ``haslo``, ``şifre`` -> ``sifre`` (letters of other scripts are kept)."""
    if low.isascii():
        return low
    decomposed = unicodedata.normalize("NFKD", low.translate(_FOLD_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _only_standin_words(low: str) -> bool:
    """``low`` (a lower-cased value without digits) is stand-in words only, separated or run together; in
    any language the list knows (``Contraseña``, ``Hasło``, ``Пароль``: "password" as a locale writes it)."""
    if any(c.isdigit() for c in low):
        return False
    if low.isascii():
        words = [w for w in _WORD_SPLIT.split(low) if w]
    else:
        words = [w for w in _ANY_WORD_SPLIT.split(_fold(low)) if w]
    return bool(words) and all(w in _STANDIN_WORDS or _standin_run(w) for w in words)


# A value that says what it is for, in words: "just-for-generating-client", "only-for-testing",
# "insecure-key-for-tests", "used-only-in-ci". Its words include one that says for whom or how far (for,
# only, just, not, in) and one that names a use no secret is made for (tests, CI, a local or development
# setup, generating or building something, an example).
_PURPOSE_LINKS = frozenset({"for", "only", "just", "not", "in"})
_PURPOSE_USES = frozenset(
    {
        "test",
        "tests",
        "testing",
        "ci",
        "e2e",
        "local",
        "dev",
        "development",
        "generating",
        "generation",
        "generate",
        "build",
        "building",
        "demo",
        "example",
        "examples",
        "docs",
        "insecure",
        "dummy",
        "fake",
    }
)
_PHRASE_WORDS = LazyRegex(r"^[a-z]+(?:[-_ ][a-z]+){2,7}$")


def _says_what_it_is_for(low: str) -> bool:
    """``low`` (lower case) is three to eight words of letters joined by ``-``, ``_`` or spaces that say
    what the value is for (see :data:`_PURPOSE_LINKS`, :data:`_PURPOSE_USES`): a value written to be
    replaced, not a secret. A passphrase of chosen words (``correct-horse-battery-staple``) has neither."""
    if _PHRASE_WORDS.match(low) is None:
        return False
    words = set(low.replace("_", "-").replace(" ", "-").split("-"))
    return not words.isdisjoint(_PURPOSE_LINKS) and not words.isdisjoint(_PURPOSE_USES)


def _standin_split(low: str) -> bool:
    """Stand-in words split by one or two characters that are no letters (``pass[word``, ``pass word``,
    ``pass%5Bword`` once decoded: a documentation example of a password with a character to escape). No digit:
    ``Secret!2024`` is a chosen value."""
    letters = "".join(c for c in low if c.isalpha())
    if letters == low or len(low) - len(letters) > 2 or any(c.isdigit() for c in low):
        return False
    return letters in _STANDIN_WORDS or _standin_run(letters)


def _standin_run(word: str) -> bool:
    """``word`` is stand-in words of two letters or more written together (``mysecretpassword``, a camel-case
    value lower-cased): a split into such words exists. (Not the one-letter ``a``: too much would split.)"""
    n = len(word)
    if n < 4 or n > 64:
        return False
    starts = [0]  # offsets up to which the word splits into stand-in words, still to extend
    reached = {0}
    while starts:
        i = starts.pop()
        for j in range(i + 2, min(n, i + _LONGEST_STANDIN) + 1):
            if j not in reached and word[i:j] in _STANDIN_WORDS:
                if j == n:
                    return True
                reached.add(j)
                starts.append(j)
    return False


_HOME_ROW = frozenset("asdfghjkl")
_HOME_ROW_NOT_HEX = frozenset("ghjkls")
_LOWER_ALNUM = LazyRegex(r"[a-z0-9]{8,64}")


def is_keyboard_mash(value: str) -> bool:
    """True when ``value`` is what a person types for a made-up token: lower-case letters and digits whose
    letters come mostly from a keyboard's home row (``sdf0o9823sjdfsdf``, ``lsdkfhj230``,
    ``2kjshdfp92i34asdasd``, as OAuth libraries' docs and tests write access tokens).

    The exact boundary: 8 to 64 lower-case letters and digits, six letters or more, at least three quarters
    of them of ``asdfghjkl``, among them two or more of ``ghjkls`` (so that no hex digest, whose letters
    are a-f, counts). Of random values of lower-case letters and digits, this takes about 1 in 100 of 8 to
    12 characters, 1 in 250 of 16, 1 in 650 of 20, 1 in 2,000 of 24 and 1 in 20,000 of 32; values of
    other alphabets never. Not asked for passwords: a keyboard pattern is a weak password people use."""
    if _LOWER_ALNUM.fullmatch(value) is None:
        return False
    letters = [c for c in value if c.isalpha()]
    if len(letters) < 6:
        return False
    home = sum(c in _HOME_ROW for c in letters)
    return 4 * home >= 3 * len(letters) and len(_HOME_ROW_NOT_HEX.intersection(letters)) >= 2


def is_sequential(value: str) -> bool:
    """Mostly runs of consecutive characters (``1234567890``, ``abcd1234efgh``): a made-up value. Used for
    values of generic assignments only (provider-format examples are often written this way on purpose).
    Digits counting up past 9 count as a run too (``789101112hijk``: 7, 8, … 12, then h, i, j, k)."""
    low = value.lower()
    if len(low) < 8:
        return False
    if any(c.isdigit() for c in low):
        low = _DIGIT_RUN.sub(_as_run, low)
    steps = sum(1 for a, b in itertools.pairwise(low) if ord(b) - ord(a) == 1 or (a, b) == ("9", "0"))
    return steps >= 0.6 * (len(low) - 1)


_DIGIT_RUN = LazyRegex(r"[0-9]{4,}")


def _as_run(match: re.Match[str]) -> str:
    """A run of digits that counts up by one through three numbers or more (``8910111213``: 8, 9, 10, …;
    ``418419420``) written as consecutive digits of its length, so that each of its characters counts as a
    step; any other run as it is."""
    digits = match.group()
    for width in (1, 2, 3):
        number, at, count = int(digits[:width]), width, 1
        while at < len(digits) and digits.startswith(str(number + 1), at):
            number += 1
            at += len(str(number))
            count += 1
        if at == len(digits) and count >= 3:
            start = int(digits[0])
            return "".join(str((start + i) % 10) for i in range(len(digits)))
    return digits


_COUNTER_WORDS = LazyRegex(r"(?:[a-z]{1,12}[-_: ]){1,4}([a-z0-9]{1,12})(?:[-_: ][a-z]{1,12}){0,3}")
_RUNS = LazyRegex(r"[a-z]+|[0-9]+")
_FILLER_PUNCTUATION = frozenset("-_.!:")  # (":": a user and a password, admin:password123)
_BASE64_TEXT = LazyRegex(r"[A-Za-z0-9+/]+={0,2}")


def _counted(run: str) -> bool:
    """Characters in a row (``123``, ``xyz``, the digits' row ``1234567890``) or one character repeated
    (``99999``)."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(run)}
    return steps in ({1}, {0}) or (steps == {1, -9} and run.endswith("890") and "09" not in run)


def _standin_and_filler(low: str) -> bool:
    """Stand-in words and filler, as a test writes a password that a password rule must accept:
    ``TestPassword123!``, ``FooBarFooBar2``, ``pass1xxx``, ``foobar123abc``. ``low`` is runs of letters or
    of digits, apart from ``-_.!``; each run is stand-in words (``test``, ``foobar``), three or more
    characters in a row or repeated (``123``, ``abc``, ``xxx``), or a count of one or two digits; two runs or
    more, a stand-in word among them. (Fillers alone, ``abc123def456``, are a format's example, still
    reported.)"""
    if len(low) < 6 or len(low) > 64 or not _FILLER_PUNCTUATION.issuperset(_RUNS.sub("", low)):
        return False
    runs = _RUNS.findall(low)
    if len(runs) < 2:
        return False
    words = 0
    for run in runs:
        if run[0].isalpha() and len(run) >= 3 and (run in _STANDIN_WORDS or _standin_run(run)):
            words += 1
        elif not ((len(run) >= 3 and _counted(run)) or (run.isdigit() and len(run) <= 2)):
            return False
    return words >= 1


def _words_and_counter(value: str) -> bool:
    """Lower-case words, then a counter made up by hand, then possibly more words: ``rk_test_123``,
    ``refresh_456``, ``token_xyz789``, ``org_cst_abc123xyz``, ``key-1234567890-file-config``. The counter is
    one to three runs of letters or digits, each one character or three to ten in a row or repeated (``123``,
    ``xyz``, ``999``, ``1234567890``), one run of three at least (``sso1`` is no counter; nor is a year,
    ``2024``). An issued token is random and longer; one in lower-case words is a name."""
    match = _COUNTER_WORDS.fullmatch(value)
    if match is None:
        return False
    runs = _RUNS.findall(match.group(1))
    return (
        len(runs) <= 3
        and any(c.isdigit() for c in match.group(1))
        and all(len(run) == 1 or (len(run) <= 10 and _counted(run)) for run in runs)
        and any(len(run) >= 3 for run in runs)
    )


def is_reference(value: str) -> bool:
    """True for a value that points at a secret kept elsewhere (variable, template, secret store,
    envelope)."""
    v = value.strip().strip("\"'`")
    if not v:
        return False
    return _REFERENCE.search(v) is not None


def is_placeholder(value: str) -> bool:
    """True for empty values, placeholders (``changeme``, ``<your-key>``, ``xxxx``, ``REPLACE_ME``, one
    repeated character) and references (``${VAR}``, ``$VAR``, ``{{ x }}``, ``${{ secrets.X }}``,
    ``os.environ[...]``,
    ``enc:`` envelopes)."""
    v = value.strip().strip("\"'`").strip()
    if v.endswith("\\n"):
        v = v[:-2]  # an escaped newline that `echo` left in JSON (Docker's auth: {"password":"password\n"})
    if not v:
        return True
    low = v.lower()
    if "%" in low:  # URL-encoded userinfo ("a%20secret")
        from urllib.parse import unquote

        low = unquote(low)
    if (
        low in _PLACEHOLDER_WORDS
        or len(set(low)) == 1
        or _only_standin_words(low)
        or _says_what_it_is_for(low)
        or _words_and_counter(v)
        or _standin_and_filler(low)
    ):
        return True
    if low.endswith(("...", "…")):  # truncated in documentation
        return True
    if len(low) >= 16 and ("..." in low[2:-2] or "…" in low[2:-2]):
        return True  # elided in documentation: "eyJhbGciOiJSUzUxMiIs…J9.ey...xaHKYr3Kk6MvkUjcC4"
    if _standin_split(low):
        return True
    if _placeholder_shape(v, v.lower()):
        return True
    if len(v) >= 8 and (_filler_inside(low) or _hex_words_inside(low)):
        return True
    v = v.strip("\"'`")  # what is_reference would look at
    if bool(v) and _REFERENCE.search(v) is not None:
        return True
    return _placeholder_pair(v) or _encoded_placeholder(v)


# The user's part of a user:password pair
_USER_PART = LazyRegex(r"[A-Za-z0-9._@-]{1,64}")


def _placeholder_pair(text: str) -> bool:
    """``text`` is a ``user:password`` pair whose password is a placeholder (``username:password``,
    ``user1:pass1``: a Docker registry's ``auth`` in a document, decoded); a real password beside a
    made-up user (``deploy:SummerTime``) is not."""
    user, colon, password = text.partition(":")
    return (
        bool(colon)
        and bool(password)
        and ":" not in password
        and _USER_PART.fullmatch(user) is not None
        and is_placeholder(password)
    )


_SHORT_PREFIX = LazyRegex(r"[A-Za-z]{2,8}[_-]")


def decoded_base64_text(value: str) -> str | None:
    """The text ``value`` is base64 of, as a Kubernetes Secret's ``data`` holds one: padded base64 of 8 to 176
    characters that decodes to printable ASCII, 64 characters at most -- or up to 132 of a phrase, letters,
    digits, spaces and ``-_.`` only (JHipster's generated JWT secret,
    "my-secret-key-which-should-be-changed-in-production-and-be-base64-encoded", is 74; a longer JSON or URL
    text is data, whose words say nothing of the value); else None."""
    if not 8 <= len(value) <= 176 or len(value) % 4 or _BASE64_TEXT.fullmatch(value) is None:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    text = text.removesuffix("\n")  # (echo without -n: "test-api-key\n" | base64)
    if len(text) > 64 and _PHRASE_TEXT.fullmatch(text) is None:
        return None
    return text if text.isprintable() else None


_PHRASE_TEXT = LazyRegex(r"[A-Za-z0-9 _.-]+")


def _encoded_placeholder(value: str) -> bool:
    """``value`` is base64 of a placeholder's words (``ZmFrZWtleWZha2V…``, "fakekeyfake…"; a Kubernetes
    Secret's ``changeme``), after a short prefix too (``DMS_YWNjZXNzX3Rva2Vu``, "access_token": a made-up
    token in a format's shape): see :func:`decoded_base64_text`."""
    text = decoded_base64_text(value)
    if text is None and (prefixed := _SHORT_PREFIX.match(value)) is not None:
        text = decoded_base64_text(value[prefixed.end() :])
    if text is None:
        return False
    low = text.lower()  # the word checks only: a long made-up alphabet inside data is not this
    return (
        low in _PLACEHOLDER_WORDS
        or _only_standin_words(low)
        or _standin_and_filler(low)
        or _placeholder_shape(text, low)
        or _placeholder_pair(text)
    )


def _filler_inside(low: str) -> bool:
    """A right-format value filled in by hand: mostly runs of one character or of consecutive characters
    (``ghp_0000…``, ``xoxb-…-XXXX…``, the nil UUID, ``1234567890abcdef…``, ``aBcDeF…``), or one alphabet or
    digit sequence of ten or more (``…-ABCDEFGHIJKL-…``). Random tokens hold neither: a run of four ascending
    hex digits has odds of about 1 in 4000 per position, and such runs cover a few percent of a token at most.
    (Short runs inside an otherwise random value, ``…h_12345678``, are left alone; so is a single run making
    up just half of the value, a word with a counted suffix as people choose for a password: ``Mrkt2345``.)"""
    codes = [ord(c) for c in low if c.isalnum()]
    n = len(codes)
    if n < 8:
        return False
    covered = runs = 0
    longest_same = longest_seq = 0  # in steps (characters - 1)
    for step, group in itertools.groupby(map(operator.sub, codes[1:], codes)):
        if -1 <= step <= 1:
            steps = sum(1 for _ in group)
            if step:
                longest_seq = max(longest_seq, steps)
            else:
                longest_same = max(longest_same, steps)
            if steps >= 3:  # a run of four characters or more
                covered += steps + 1
                runs += 1
    if longest_seq >= 9 or longest_same + 1 >= max(6, 0.3 * n):
        return True
    return 2 * covered > n or (2 * covered == n and runs > 1) or _interleaved_rows(codes)


# Steps of a row that starts again: "9" to "0", "f" to "a" (hex digits), "z" to "a"
_ROW_STEPS = frozenset({1, ord("0") - ord("9"), ord("a") - ord("f"), ord("a") - ord("z")})


def _interleaved_rows(codes: list[int]) -> bool:
    """Two rows typed in turn, every other character (``1a2b3c4d-5e6f-7a8b-9c0d-…``): 16 characters or more,
    each half stepping along its row (four in five steps at least). A random value's halves step so about once
    in 16 times per step."""
    if len(codes) < 16:
        return False
    for half in (codes[0::2], codes[1::2]):
        misses_left = (len(half) - 1) // 5  # (a random value fails within its first few steps)
        for a, b in itertools.pairwise(half):
            if b - a not in _ROW_STEPS:
                if not misses_left:
                    return False
                misses_left -= 1
    return True


# Hex words programmers write for a made-up value (0xDEADBEEF, CAFEBABE, FEEDFACE, 0xC0FFEE)
_HEX_WORDS = LazyRegex(r"deadbeef|cafebabe|feedface|baadf00d|8badf00d|deadc0de|decafbad|defec8ed|c0ffee")


def _hex_words_inside(low: str) -> bool:
    """A value made of programmers' hex words (``deadbeef``, ``cafebabe``) for the most part, the rest a
    quarter of it at most or itself filler (:func:`_filler_inside`): ``DEADBEEF01234567DEADBEEF01234567…``."""
    rest = _HEX_WORDS.sub("", low)
    if len(rest) == len(low):
        return False
    return 4 * len(rest) <= len(low) or (len(rest) >= 8 and _filler_inside(rest))


# Values published as examples, exactly as published (compared lower-cased).
_AWS_EXAMPLE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_TOTP_EXAMPLE_SECRET = "JBSWY3DPEHPK3PXP"
_DOC_EXAMPLE_VALUES = frozenset(
    value.lower()
    for value in (
        # AWS documentation's example access key id and secret key (the "EXAMPLE" suffix marks them).
        "AKIAIOSFODNN7EXAMPLE",
        _AWS_EXAMPLE_SECRET_KEY,
        # Password hashes frameworks publish with a demo password (each checked to verify it): copied into
        # countless seeds and fixtures, they protect a password everybody knows, so reporting them is noise.
        # The published value first, then under the other bcrypt prefixes, which verify alike ($2a$, $2b$,
        # $2y$; copies change the prefix to their library's).
        # Laravel's UserFactory (5.8 and later): the bcrypt hash of "password".
        "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
        "$2a$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
        "$2b$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi",  # check-secrets: allow
        # Laravel's UserFactory (5.5 to 5.7): the bcrypt hash of "secret".
        "$2y$10$TKh8H1.PfQx37YgCzwiKb.KjNyWgaHb9cbcoQgdIVFlYg7B77UdFm",  # check-secrets: allow
        "$2a$10$TKh8H1.PfQx37YgCzwiKb.KjNyWgaHb9cbcoQgdIVFlYg7B77UdFm",  # check-secrets: allow
        "$2b$10$TKh8H1.PfQx37YgCzwiKb.KjNyWgaHb9cbcoQgdIVFlYg7B77UdFm",  # check-secrets: allow
        # Spring Security's reference (password storage, {bcrypt} users): the bcrypt hash of "password".
        "$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG",  # check-secrets: allow
        "$2b$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG",  # check-secrets: allow
        "$2y$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG",  # check-secrets: allow
        # Cisco's "Cisco IOS Password Encryption Facts" (document 107614): its type 7 example (username jdoe,
        # decoding to a sentence, not a password anyone uses) and its type 5 example beside it, copied into
        # training notes, cheat sheets and decoder tests. Other type 7 values stay reported.
        "07362E590E1B1C041B1E124C0A2F2E206832752E1A01134D",  # check-secrets: allow
        "$1$iUjJ$cDZ03KKGh7mHfX2RSbDqP.",  # check-secrets: allow
        # The account key of Azure's storage emulator (Azurite; account devstoreaccount1), which Microsoft
        # publishes for local development and CI (learn.microsoft.com: "Use the Azurite emulator").
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        # The TOTP secret of Google Authenticator's documentation (base32), in most TOTP libraries' examples
        # (repeated too, for a longer secret: see is_doc_example).
        _TOTP_EXAMPLE_SECRET,
        # GitHub's documentation of GitHub Apps: the installation token of the REST API's example response
        # (expiring 2016-07-11T22:14:10Z), and the user access and refresh tokens of "Generating a user access
        # token", copied into API mocks and token-kind tests.
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
        # Slack's "Verifying requests from Slack": the example signing secret its walk-through signs with,
        # in Slack's SDKs' tests and their copies.
        "8f742231b10e8888abcd99yyyzzz85a5",
        # reCAPTCHA's test keys (v2), which Google's FAQ gives for automated tests: every verification
        # passes. Development settings and CI copy them.
        "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
        "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
        # Google's OAuth 2.0 documentation (installed and web server applications): the example access and
        # refresh tokens of its token response, copied into OAuth clients' tests and mocks.
        "1/fFAGRNJru1FTz70BzhT3Zg",
        "1/xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI",
        # RFC 7617's (and RFC 2617's) example of Basic authentication, Aladdin:open sesame, as the header's
        # credentials, in HTTP libraries' tests and docs. ("open sesame" alone is a cliché password, like
        # hunter2, and stays reported.)
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        # RFC 2617's example credentials for Digest authentication (user Mufasa), in HTTP libraries' tests.
        "Circle Of Life",
        "CircleOfLife",
        # The example credentials and tokens of the OAuth RFCs, which OAuth libraries quote in docstrings,
        # documentation and tests (authlib, django-oauth-toolkit, OpenIddict, HTTP clients' signing tests).
        # RFC 6749 (OAuth 2.0): client s6BhdRkqt3's secrets and their Basic credentials, the code, access
        # and refresh tokens, the MAC token id, johndoe's password; RFC 6750 (bearer tokens): its token.
        "7Fjfp0ZBr1KtDRbnfVdmIw",
        "czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3",
        "gX1fBat3bV",
        "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
        "SplxlOBeZQQYbYS6WxSbIA",
        "2YotnFZFEjr1zCsicMWpAA",
        "tGzv3JOkF0XG5Qx2TlKWIA",
        "h480djs93hd8",
        "A3ddj3w",
        "mF_9.B5f-4.1JqM",
        # RFC 5849 (OAuth 1.0): the printer example's client, temporary and token credentials and verifier
        # (photos.example.net), and the signature example's client key and token (section 3.4.1).
        "dpf43f3p2l4k3l03",
        "kd94hf93k423kf44",
        "hh5s93j4hdidpola",
        "hdhd0244k9j7ao03",
        "hfdp7dh39dks9884",
        "nnch734d00sl2jdk",
        "pfkkdhi9sl3r4s00",
        "9djdj82h48djs9d2",
        "kkk9d7dh3k39sjv7",
        # RFC 5849's Authorization header example (section 3.5.1, from OAuth Core 1.0)
        "0685bd9184jfhq22",
        "ad180jjd733klru7",
        # RFC 7591/7592 (dynamic client registration): the client secret and registration access tokens of
        # their examples; RFC 7662 (token introspection): its protected resource's bearer token.
        "cf136dc3c1fc93f31185e5885805d",
        "reg-23410913-abewfq.123483",
        "this.is.an.access.token.value.ffx83",
        "23410913-abewfq.123483",
        # The GUID of RFC 6455 (WebSocket) that every server appends to a client's key: a constant of the
        # protocol, under names like WS_KEY.
        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
        # hashcat's example hash of NetNTLMv1 (mode 5500, user u4-netntlm): its NT response, the part
        # reported.
        "9526fb8c23a90751cdd619b6cea564742e1e4bf33006ba41",  # check-secrets: allow
    )
)


def _jwt_claims(value: str) -> dict[str, object] | None:
    """The claims (the decoded second part) of a JWT ``header.claims.signature``; None when they do not
    decode to a JSON object."""
    parts = value.split(".")
    if len(parts) < 3:
        return None
    return _json_object_part(parts[1])


def _json_object_part(part: str) -> dict[str, object] | None:
    """A JWT's part (base64url, unpadded) decoded to a JSON object; None when it is not one."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def is_expired_jwt(value: str, now: float | None = None) -> bool:
    """True for a JWT whose ``exp`` claim (seconds since 1970) is in the past (``now``: this moment)."""
    claims = _jwt_claims(value) if value.startswith("eyJ") else None
    expiry = claims.get("exp") if claims is not None else None
    if isinstance(expiry, bool) or not isinstance(expiry, int | float):
        return False
    return expiry < (time.time() if now is None else now)


# MD5, SHA-1 and SHA-256 of the empty string: constants every hashing library documents and tests
_EMPTY_DIGESTS = (
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
)


def is_doc_example(value: str) -> bool:
    """True for values vendors publish in their documentation as examples (AWS's ``…EXAMPLE`` keys and the
    like, the bcrypt hashes of demo passwords Laravel and Spring Security ship), for the digests of the empty
    string (or their first 16 characters or more), for textbook JWTs (see :func:`_is_textbook_jwt`) and for
    a JWT cut short after its header (its header, a stub of claims of 15 characters at most and no
    signature: nothing accepts it; longer claims may be a token wrapped over lines, and stay judged)."""
    low = value.lower()
    if low in _DOC_EXAMPLE_VALUES or "example" in low:
        return True
    if len(value) >= 12 and _AWS_EXAMPLE_SECRET_KEY.startswith(value):
        return True  # AWS's example secret key cut short (AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI in a guide)
    if value.startswith(_TOTP_EXAMPLE_SECRET) and value == _TOTP_EXAMPLE_SECRET * (len(value) // 16):
        return True  # a longer TOTP secret made of the example (authelia's test suites)
    if len(value) >= 16 and any(digest.startswith(low) for digest in _EMPTY_DIGESTS):
        return True  # the digest of nothing, or its start: a test's stand-in token (e3b0c44298fc1c149afb…)
    if value.startswith("eyJ") and value.count(".") == 1 and len(value) - value.index(".") <= 16:
        return True  # a JWT's header and a stub of claims, no signature (an OpenAPI example: "eyJ0eX….eyJ1")
    # a JWT's header alone: dex's tests give "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9" as a token
    if value.startswith("eyJ") and "." not in value and _jose_header(value):
        return True
    return value.startswith("eyJ") and _is_textbook_jwt(value)


# The parameters of a JOSE header (RFC 7515, 7516): what a JWT's first part says of the token
_JOSE_PARAMETERS = frozenset(
    {"alg", "typ", "kid", "cty", "enc", "zip", "jku", "x5u", "x5t", "x5t#S256", "crit"}
)


def _jose_header(value: str) -> bool:
    """``value`` is base64url of a JWT's header alone (``{"alg":"RS256","typ":"JWT"}``): it names an
    algorithm and holds nothing but header parameters -- no claims, no signature."""
    if len(value) > 400:
        return False
    header = _json_object_part(value)
    return header is not None and "alg" in header and header.keys() <= _JOSE_PARAMETERS


# A Stripe publishable key: pk_live_ or pk_test_, then letters and digits (24 in the older keys, about 99 in
# the account-bound ones). Stripe's documentation (docs.stripe.com/keys): publishable keys identify the
# account to Stripe.js and the mobile SDKs and are meant for client code, where anyone can read them; they
# can create tokens of payment details and nothing else. Secret (sk_) and restricted (rk_) keys are the
# secrets (their own rules). Some lower-case letter is required: Courier's auth tokens (pk_prod_/pk_test_
# then upper-case letters and digits) are secrets under the same prefix, and a random mixed-case key of 24
# or more characters has one (all but about 2 in a million).
_PUBLISHABLE_KEY = LazyRegex(r"pk_(?:live|test)_(?=[0-9A-Z]*[a-z])[0-9A-Za-z]{24,247}")


_POSTHOG_PROJECT_KEY = LazyRegex(r"phc_[0-9A-Za-z]{32,64}")


def is_public_key(value: str) -> bool:
    """True for a key public by design, that the vendor tells you to put in client code: a Stripe publishable
    key (``pk_live_…``, ``pk_test_…``), also in base64 (``cGtf…``, as a Kubernetes Secret's ``data`` holds
    it), or a PostHog project API key (``phc_…``, which posthog-js sends from every browser; its personal
    API keys, ``phx_…``, are secrets). Never a secret, whatever name it is given (``stripeKey``,
    ``STRIPE_API_KEY``, ``POSTHOG_API_KEY``)."""
    v = value.strip()
    if v.startswith("phc_"):
        return _POSTHOG_PROJECT_KEY.fullmatch(v) is not None
    if v.startswith("cGtf") and 40 <= len(v) <= 340:  # base64 of "pk_"
        try:
            v = base64.b64decode(v, validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            return False
    return v.startswith("pk_") and _PUBLISHABLE_KEY.fullmatch(v) is not None


def is_encoded_pem(value: str) -> bool:
    """True for a PEM block written in base64 (``LS0tLS1CRUdJT…`` is ``-----BEGIN``: a Kubernetes Secret's
    ``tls.key``, a chart's ``values.yaml``, a CI variable). Such a value is judged by what it decodes to,
    never by the name it stands under: the engine's base64 layer decodes it and the PEM rules report a
    private key in it (``private-key-pem``, or ``private-key-pem-base64`` for one cut short); a certificate,
    a public key or an empty block (``-----BEGIN PRIVATE KEY-----`` right before its END line, as fixtures
    write one) is no secret. Name-based rules and analyzers leave it alone, so a key is reported once, by
    its format."""
    return value.lstrip().startswith("LS0tLS1CRUdJT")


_TEXTBOOK_NAMES = frozenset({"john doe", "jane doe", "john smith", "jane smith", "max mustermann"})


# Words a test or a README writes as the whole claims of a JWT ({"some": "payload"}, {"foo": "bar"})
_STAND_IN_CLAIM_WORDS = frozenset(
    {
        "some",
        "payload",
        "pay",
        "load",
        "foo",
        "bar",
        "baz",
        "qux",
        "hello",
        "world",
        "test",
        "key",
        "value",
        "data",
    }
)
# Registered claims of times (RFC 7519): beside stand-in claims they name no one either
_TIME_CLAIMS = frozenset({"iat", "exp", "nbf"})


def _stand_in_claims(claims: dict[str, object]) -> bool:
    """Claims made only of stand-in words (keys and string values) and numbers: PyJWT's README example
    ``{"some": "payload"}``, a test's ``{"foo": "bar"}`` or ``{"test": 1234}``; or of single letters
    (python-jose's tests: ``{"a": "b"}``); the times it was issued, starts or expires may stand beside them
    (node-jsonwebtoken's tests: ``{"foo": "bar", "iat": …, "exp": …}``). Such a token names no one and no
    issuer or audience: nothing accepts it as anyone's credential. (A compact token's one-letter claims hold
    ids and times, not letters: ``{"u": 1042, "e": 1767225600}`` is not this.)"""
    claims = {
        key: value for key, value in claims.items() if key not in _TIME_CLAIMS or not isinstance(value, int)
    }
    return bool(claims) and all(
        (
            (key in _STAND_IN_CLAIM_WORDS or key == "name")  # (pgjwt's tests: {"name": "Foo"})
            and (
                (isinstance(value, str) and value.lower() in _STAND_IN_CLAIM_WORDS)
                or (isinstance(value, int) and not isinstance(value, bool))
            )
        )
        or (len(key) == 1 and isinstance(value, str) and len(value) == 1)
        for key, value in claims.items()
    )


def _is_textbook_jwt(value: str) -> bool:
    """A JWT whose claims are the made-up ones of documentation (jwt.io's sample and its copies): the subject
    is a run of consecutive digits (``1234567890``) or the name is a textbook name (``John Doe``); or whose
    claims are stand-in words only (:func:`_stand_in_claims`: PyJWT's ``{"some": "payload"}``, which its
    README and docs encode and tutorials copy, a test's ``{"foo": "bar"}``)."""
    claims = _jwt_claims(value)
    if claims is None:
        return False
    if _stand_in_claims(claims):
        return True
    name, sub = claims.get("name"), claims.get("sub")
    if isinstance(name, str) and name.strip().lower() in _TEXTBOOK_NAMES:
        return True
    return isinstance(sub, str) and sub.isdigit() and len(sub) >= 6 and is_sequential(sub)


_HEX_DIGEST = (
    r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$"
    r"|^(?:[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}|[0-9A-F]{128})$"
)
_NOT_BARE_HEX = (
    # prefixed, also after a tool's own short prefix (ReversingLabs' reports give a secret they found as
    # rl-sha256: and its digest)
    r"(?i:^(?:sha(?:1|224|256|384|512)|md5|blake2[bs]?|sha3-\d+)[-:=][A-Za-z0-9+/=_-]{20,}$"
    r"|^[a-z][a-z0-9]{0,11}[-_.](?:sha(?:1|224|256|384|512)|md5|blake2[bs]?):[A-Za-z0-9+/=_-]{20,}$)"
    r"|^(?:[0-9A-Fa-f]{4}\s{1,2}){9}[0-9A-Fa-f]{4}$"  # GPG fingerprint
    # password hashes
    r"|^(?:\$(?:2[abxy]?|5|6|argon2(?:id|i|d)|pbkdf2[-\w]*|scrypt|y|sha1|apr1)\$|\{SSHA?\}|"
    r"pbkdf2_sha\d+\$|bcrypt\$|argon2\$"
    # PostgreSQL md5/SCRAM verifiers, MySQL native password hashes
    r"|md5[0-9a-f]{32}$|SCRAM-SHA-256\$\d+:|\*[0-9A-F]{40}$)"
)
# one match each way (bare hex digests counted or not)
_ANY_HASH = LazyRegex(f"{_HEX_DIGEST}|{_NOT_BARE_HEX}")
_HASH_NOT_BARE_HEX = LazyRegex(_NOT_BARE_HEX)


def is_hash(value: str, *, bare_hex: bool = True) -> bool:
    """True for hex digests (MD5…SHA-512), ``sha256:…``/``sha512-…`` integrity strings, GPG fingerprints and
    password hashes (bcrypt, argon2, crypt(3) formats): values that identify or verify, but do not grant.

    ``bare_hex=False`` does not count plain hex strings: under a name that says "secret"/"api key", 32 or 40
    hex digits are far more often the key itself (many services issue hex keys) than a digest."""
    return (_ANY_HASH if bare_hex else _HASH_NOT_BARE_HEX).match(value.strip()) is not None


_UUID = LazyRegex(r"^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$")


def is_uuid(value: str, *, dashless: bool = True) -> bool:
    """True for a UUID/GUID (any version, with or without braces; without dashes only when ``dashless``:
    32 hex digits under a secret name are more often a key than an identifier)."""
    v = value.strip()
    return bool(_UUID.match(v)) and (dashless or "-" in v)


# The inside of a replacement field of Python's str.format and f-strings (the Format String Syntax of the
# string module's documentation): a field name (an identifier or an index, then .attribute or [key] parts, or
# nothing: "{}"/"{!r}"), a conversion !r/!s/!a, then after ":" a format spec in the standard mini-language
# ([[fill]align][sign][z][#][0][width][grouping][.precision][type], width and precision may be nested fields)
# or a date's strftime directives (f"{now:%Y-%m-%d}"). Not taken, as random values end so too: an empty spec
# ("x:") and an f-string's "=" ("pw=", a debugging form; base64 passwords end in "=").
_FIELD_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_FIELD_NESTED = rf"\{{(?:{_FIELD_IDENT}|[0-9]*)\}}"
_FORMAT_FIELD = LazyRegex(
    rf"(?:{_FIELD_IDENT}|[0-9]+)?(?:\.{_FIELD_IDENT}|\[[A-Za-z0-9_]+\])*"  # field name
    r"(?:![rsa])?"  # conversion
    r"(?::(?:"  # format spec
    rf"(?=.)(?:[^{{}}]?[<>=^])?[-+ ]?z?#?0?(?:[0-9]+|{_FIELD_NESTED})?[,_]?(?:\.(?:[0-9]+|{_FIELD_NESTED}))?"
    r"[bcdeEfFgGnosxX%]?"
    r"|[- /:.,T]*%[-_0^#]?[A-Za-z](?:%[-_0^#]?[A-Za-z]|[- /:.,T])*"  # strftime
    r"))?"
)


# The inside of a .NET composite format item (String.Format, Console.WriteLine, StringBuilder.AppendFormat, an
# interpolated $"..." string; "Composite formatting" and "String interpolation" in the .NET documentation):
# {index[,width][:formatString]}. The index is a number (an interpolated string's expression: here a name of
# letters and _ ending in at most two digits, with .member, [index] and () parts: random text seldom has that
# shape), the width a signed number, the format string a standard numeric one (a letter C D E F G N P R X B,
# any case, and a precision of up to 2 digits), a standard date and time one (one letter), a custom numeric
# one (0 # . , % and an exponent) or a custom date and time one (runs of d f F g h H K m M s t y z parted by
# - / : . , T or a blank). Only with a width or a format: a bare index or name is the caller's question (as
# for Python's fields).
_COMPOSITE_IDENT = r"[A-Za-z_]+[0-9]{0,2}"  # words, then a number at most (pw2, not pa2uq)
_COMPOSITE_NAME = rf"(?:[0-9]{{1,3}}|{_COMPOSITE_IDENT}(?:\.{_COMPOSITE_IDENT}|\[[A-Za-z0-9_]+\]|\(\))*)"
_COMPOSITE_WIDTH = r",[ ]?-?[0-9]{1,4}"
_DATE_PART = r"(?:d{1,4}|f{1,7}|F{1,7}|g{1,2}|h{1,2}|H{1,2}|K|m{1,2}|M{1,4}|s{1,2}|t{1,2}|y{1,5}|z{1,3})"
_COMPOSITE_FORMAT = (
    r":(?:[CcDdEeFfGgNnPpRrXxBb][0-9]{0,2}"  # standard numeric
    r"|[dDfFgGMmOoRrstTuUYy]"  # standard date and time
    r"|[-+]?[#0,.]*[#0][#0,.%]*(?:[Ee][-+]?0{1,3})?"  # custom numeric
    rf"|{_DATE_PART}(?:[- /:.,T]{{0,2}}{_DATE_PART})*"  # custom date and time
    r")"
)
_COMPOSITE_ITEM = LazyRegex(
    rf"{_COMPOSITE_NAME}(?:{_COMPOSITE_WIDTH}(?:{_COMPOSITE_FORMAT})?|{_COMPOSITE_FORMAT})"
)


def is_format_field(value: str) -> bool:
    """True for the inside of a Python replacement field that is more than a name: ``args.password!r``,
    ``x:>10``, ``cfg.pw!s:>10``, ``row[0]``, ``now:%Y-%m-%d`` (the braces around it excluded). In
    braces in a string, such a value is the hole a ``str.format`` call or an f-string fills, not a value;
    rules whose secret is the inside of braces (``Pwd={…}``) ask it. A bare name is left to the caller (the
    rules tell names apart already). Some random text has this shape too (``Hunter2!r``, ``Kx8:f``): about 4
    in 10,000 random values of 8 to 16 letters, digits and punctuation. Passwords are put in braces for their
    ``;`` and blanks, which no field holds (but a strftime spec its blanks).

    The inside of a .NET composite format item is one too: ``0,-8``, ``pw,10:N2``, ``2:X8``,
    ``cfg.Password:D``, ``when,-12:yyyy-MM-dd``, ``0:#,##0.00`` (``String.Format``, ``$"..."``): an index or a
    name with a width, a format string, or both."""
    v = value.strip()
    if not v or v.replace("_", "a").replace(".", "a").isalnum():
        return False  # a bare name or word: not this function's question
    return _FORMAT_FIELD.fullmatch(v) is not None or _COMPOSITE_ITEM.fullmatch(v) is not None


def is_basic_credentials(value: str) -> bool:
    """True when ``value`` can be HTTP Basic credentials: base64 (padding optional) of ``user-id ":"
    password`` (RFC 7617), which decodes to printable text (UTF-8, or ISO-8859-1 as older clients send it)
    holding a colon. ``Basic notabase64token``, a word or a random run that is not base64 of such text, is a
    test's stand-in or a fragment, not credentials; so is a pair whose password is a placeholder
    (``dXNlcm5hbWU6cGFzc3dvcmQ=``, "username:password": the examples of HTTP clients' documentation and
    tests). Either part may be empty (an API key sent as the user name, ``key:``)."""
    v = value.strip()
    if len(v) % 4 == 1:
        return False
    try:
        raw = base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    if b":" not in raw:
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if not text.isprintable():
        return False
    password = text.partition(":")[2]
    return not password or not is_placeholder(password)


# Letters of scripts written without spaces between words (Han ideographs and their extensions, kana, Hangul,
# Thai, Lao, Khmer, Myanmar): a run of them is words, not one word.
_UNSPACED_SCRIPTS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
)


def writes_without_spaces(c: str) -> bool:
    """``c`` is a letter of a script written without spaces between words (Han, kana, Hangul, Thai, Lao,
    Khmer, Myanmar)."""
    code = ord(c)
    return any(low <= code <= high for low, high in _UNSPACED_SCRIPTS)


def is_natural_language(value: str) -> bool:
    """True when ``value`` is text written for people in a script other than Latin -- a translated UI
    string (``用户名或密码错误``, ``请输入您的新密码并确认以重置密码。``,
    ``Неверный пароль``) -- rather than a secret.

    The exact boundary. ``value`` holds no ASCII letter or digit and no digit of any script; every character
    is a letter, a combining mark, a space or punctuation, and no ``-`` or ``_`` (any dash or connector)
    joins two letters; and it is words: it holds a letter of a script written without spaces between words
    (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar) or two words or more of another script (Cyrillic, Greek,
    Arabic, Hebrew, Devanagari, ...) parted by spaces or punctuation. So a single word of an alphabet
    (``Пароль``) and words joined as a passphrase joins them (``Медведь-Лиса-Сова``) are judged as before, and
    any digit, ASCII character or symbol keeps a value (``密码2024``, ``пароль!1``).
    Lost knowingly: a password chosen as a phrase in such a script, which in source files is far rarer than
    the UI strings of a locale file."""
    if value.isascii():
        return False
    words = 0
    in_word = unspaced = joined = False
    for c in value:
        category = unicodedata.category(c)
        if c.isalpha() or category.startswith("M"):
            if c.isascii():
                return False
            if joined:
                return False  # words joined by - or _ (Медведь-Лиса-Сова): a passphrase's or a name's style
            unspaced = unspaced or writes_without_spaces(c)
            if not in_word:
                words += 1
                in_word = True
        elif c.isspace() or category.startswith("P"):
            joined = in_word and category in {"Pd", "Pc"}
            in_word = False
        else:
            return False  # a digit, a symbol, a control character
    return unspaced or words >= 2


# What a label names: the secret itself.
_LABEL_SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "passcode",
        "pin",
        "token",
        "key",
        "secret",
        "credentials",
        # "password" in the languages of common locale files (folded: without diacritics, see _fold)
        "passwort",
        "kennwort",
        "wachtwoord",
        "contrasena",
        "senha",
        "haslo",
        "sifre",
        "parola",
        "losenord",
        "passord",
        "salasana",
        "heslo",
        "jelszo",
        "lozinka",
    }
)
# The other word of a two-word label: what a form does with the secret or says about it.
_LABEL_WORDS = frozenset(
    {
        # actions of a form
        "show",
        "hide",
        "reveal",
        "toggle",
        "enter",
        "type",
        "retype",
        "repeat",
        "confirm",
        "verify",
        "reset",
        "change",
        "update",
        "set",
        "choose",
        "create",
        "generate",
        "copy",
        "save",
        "remember",
        "forgot",
        "forgotten",
        "lost",
        "edit",
        "display",
        # what it says about it
        "new",
        "old",
        "current",
        "previous",
        "incorrect",
        "wrong",
        "invalid",
        "bad",
        "weak",
        "strong",
        "missing",
        "empty",
        "required",
        "expired",
        "mismatch",
        "temporary",
        "your",
        "my",
        "the",
        "no",
        "account",
        "user",
        "admin",
        "master",
        # the same in the languages above, folded (German, Dutch, Spanish, Portuguese, Italian, Polish,
        # Turkish, Swedish): forgotten, confirm, repeat, change, show, hide, new, current, old, wrong,
        # invalid, your
        "vergessen",
        "bestatigen",
        "wiederholen",
        "andern",
        "anzeigen",
        "verbergen",
        "neues",
        "aktuelles",
        "altes",
        "falsches",
        "ungultiges",
        "ihr",
        "dein",
        "vergeten",
        "bevestig",
        "herhaal",
        "wijzig",
        "toon",
        "verberg",
        "nieuw",
        "huidig",
        "oud",
        "onjuist",
        "ongeldig",
        "uw",
        "olvidada",
        "olvidaste",
        "confirmar",
        "repetir",
        "cambiar",
        "mostrar",
        "ocultar",
        "nueva",
        "actual",
        "incorrecta",
        "invalida",
        "tu",
        "su",
        "esqueceu",
        "esqueci",
        "alterar",
        "nova",
        "atual",
        "incorreta",
        "sua",
        "dimenticata",
        "conferma",
        "ripeti",
        "cambia",
        "mostra",
        "nascondi",
        "nuova",
        "attuale",
        "errata",
        "tua",
        "nowe",
        "obecne",
        "nieprawidlowe",
        "potwierdz",
        "powtorz",
        "zmien",
        "pokaz",
        "ukryj",
        "yeni",
        "mevcut",
        "yanlis",
        "onayla",
        "degistir",
        "goster",
        "gizle",
        "nytt",
        "nuvarande",
        "glomt",
        "bekrafta",
        "visa",
        "dolj",
        "fel",
    }
)
_LABEL = LazyRegex(r"^([^\W\d_]{2,14}) ([^\W\d_]{2,14})[.!?:…]?$")  # (letters of any script)


def is_secret_label(value: str) -> bool:
    """True when ``value`` is a two-word label or message naming the secret (``Show password``, ``Hide
    password``, ``incorrect password``, ``Password required``, ``New token``): text of a form, a button or a
    test of a wrong password, not a password.

    The exact boundary. ``value`` is two words of letters parted by one space (a closing ``.``, ``!``,
    ``?``, ``:`` or ``…`` allowed); one names the secret (password, passwd, passphrase, passcode, PIN, token,
    key, secret, credentials) and the other is one of a fixed list of what forms do with a secret or say
    about it (show, hide, enter, confirm, reset, forgot, new, current, incorrect, wrong, invalid, missing,
    required, expired, your, ...), in any case and order; also in German, Dutch, Spanish, Portuguese,
    Italian, Polish, Turkish and Swedish, as locale files write them (``Passwort vergessen?``, ``Nueva
    contraseña``), diacritics or not. Any other word (``Tiger password``), a digit or a
    third word keeps a value -- a phrase of chosen words is a passphrase."""
    m = _LABEL.match(value)
    if m is None:
        return False
    first, second = _fold(m.group(1).lower()), _fold(m.group(2).lower())
    return (first in _LABEL_SECRET_WORDS and second in _LABEL_WORDS) or (
        second in _LABEL_SECRET_WORDS and first in _LABEL_WORDS
    )


# Domains reserved for documentation and testing (RFC 2606, RFC 6761): no real service answers there. (Not
# the .example top-level domain: it is what hosts of real files are anonymised to, ``git.acme.example`` in the
# real-world corpus, and documentation seldom uses it.)
_DOC_DOMAINS = ("example.com", "example.net", "example.org")
_DOC_TLDS = frozenset({"test", "invalid"})
# Address blocks reserved for documentation (RFC 5737: TEST-NET-1, -2, -3).
_DOC_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")


def is_loopback_host(host: str) -> bool:
    """True when ``host`` (a port allowed) is this machine: ``localhost`` (and names under it), an address of
    127.0.0.0/8 or ``[::1]``."""
    name = host.strip().lower()
    name = name[1:].split("]", 1)[0] if name.startswith("[") else name.split(":", 1)[0]
    if name in ("localhost", "::1") or name.endswith(".localhost"):
        return True
    return name.startswith("127.") and name.count(".") == 3 and name.replace(".", "").isdigit()


def local_user_as_password(user: str, password: str, host: str) -> bool:
    """A URL's credentials for a database on this machine whose password is its user's name
    (``postgresql://hatchet:hatchet@127.0.0.1:5431/hatchet`` in a CI script or a test): a throwaway local
    server's, not a credential anyone can use elsewhere. Another host, or another password, is reported."""
    return bool(password) and user == password and is_loopback_host(host)


def is_doc_host(host: str) -> bool:
    """True when ``host`` (a name or an IPv4 address, a port allowed) is reserved for documentation:
    ``example.com``, ``example.net``, ``example.org`` and their subdomains, any name under the ``.test`` or
    ``.invalid`` top-level domains (RFC 2606, RFC 6761), or an address of the TEST-NET blocks (RFC 5737:
    192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24). Credentials for such a host are an example: nothing there
    accepts them. ``localhost``, names under ``.example`` (anonymised real hosts) and every other host are
    real."""
    name = host.strip().lower().split(":", 1)[0].rstrip(".")
    if not name:
        return False
    if name.startswith(_DOC_NETS):
        return name.count(".") == 3 and name.replace(".", "").isdigit()
    if name in _DOC_DOMAINS or name.endswith(tuple("." + d for d in _DOC_DOMAINS)):
        return True
    return name.rsplit(".", 1)[-1] in _DOC_TLDS and "." in name
