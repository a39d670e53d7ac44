"""The one masker of the loader: values and their escaped forms, JSON leaves, nothing shown by repr."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, SecretBytes, SecretStr

from autoaudit_secrets._redact import MASK
from autoaudit_secrets.settings._masking import Masker, data_strings, escaped_forms, json_leaves

PEM = "-----BEGIN KEY-----\nAAAA\n-----END KEY-----"


def test_plain_values_have_one_form() -> None:
    assert escaped_forms("abc-123_XYZ") == frozenset({"abc-123_XYZ"})


def test_escaped_forms_of_a_pem_and_quotes() -> None:
    forms = escaped_forms(PEM)
    assert repr(PEM)[1:-1] in forms and json.dumps(PEM)[1:-1] in forms
    assert repr(repr(PEM)[1:-1])[1:-1] in forms  # a repr of a repr (a dict holding a repr)
    quoted = 'it\'s "x" \\ é'
    for form in (repr(quoted), ascii(quoted), json.dumps(quoted), json.dumps(quoted, ensure_ascii=False)):
        assert form[1:-1] in escaped_forms(quoted), form


def test_masks_every_form_longest_first() -> None:
    masker = Masker([PEM, "abcd", "abcdefgh"])
    assert masker.mask(f"x{PEM!r}y") == f"x'{MASK}'y"
    assert masker.mask(json.dumps({"k": PEM})) == '{"k": "' + MASK + '"}'
    assert masker.mask("xabcdefghx abcd") == f"x{MASK}x {MASK}"
    assert repr(masker) == "<Masker of 3 values>"


def test_min_length_and_objects() -> None:
    masker = Masker(["1", "on", "secret-value"], min_length=3)
    assert masker.mask("port 1 on secret-value") == f"port 1 on {MASK}"
    nested = {"a": ["secret-value", 5], "b": ("x",)}
    assert masker.mask_object(nested) == {"a": [MASK, 5], "b": ("x",)}
    untouched = {"a": ["plain"]}
    assert masker.mask_object(untouched) is untouched


def test_values_below_token_below_are_masked_only_as_whole_tokens() -> None:
    masker = Masker(["4821", "#a1", ":pw@", "abcdefgh"], min_length=3, token_below=8)
    for text, masked in [
        ("pin=4821 (4821) '4821' 4821.", f"pin={MASK} ({MASK}) '{MASK}' {MASK}."),
        ("14821 48210 v4821 _4821 4821_", "14821 48210 v4821 _4821 4821_"),
        ("first\\n4821\\t", f"first\\n{MASK}\\t"),  # after an escaped newline, as repr writes it
        ("x#a1 #a1x", f"x{MASK} #a1x"),  # a side that is punctuation needs no boundary
        ("postgres://app:pw@db", f"postgres://app{MASK}db"),
        ("xabcdefghx", f"x{MASK}x"),  # a longer value anywhere
    ]:
        assert masker.mask(text) == masked, text
    assert Masker(["4821"]).mask("14821") == f"1{MASK}"  # without token_below: anywhere


def test_numbers_in_objects_only_when_asked() -> None:
    masker = Masker(["4821", "12.5"], min_length=3, token_below=8)
    args = (4821, 12.5, 3)
    assert masker.mask_object(args) is args  # %d arguments stay numbers
    assert masker.mask_object({"pin": 4821, "n": [12.5, 3]}, numbers=True) == {"pin": MASK, "n": [MASK, 3]}
    assert masker.mask_object(True, numbers=True) is True


def test_json_leaves() -> None:
    assert sorted(json_leaves('{"pw": "p4ss", "port": 5432, "inner": ["a", {"b": "c"}], "on": true}')) == [
        "5432",
        "a",
        "c",
        "p4ss",
    ]
    assert json_leaves("not json") == [] and json_leaves("{broken") == []


def test_json_leaves_with_the_keys_that_are_not_field_names() -> None:
    text = '{"host": "db", "tokens": {"k-1234": "svc", "HOST": "x"}}'
    assert sorted(json_leaves(text, keys_except=frozenset({"host", "tokens"}))) == [
        "db",
        "k-1234",
        "svc",
        "x",
    ]


class _Inner(BaseModel):
    password: SecretStr


def test_data_strings_of_python_input() -> None:
    cyclic: list[object] = ["loop-value"]
    cyclic.append(cyclic)
    data = {
        "plain": "v-plain",
        "secret": SecretStr("v-secret"),
        "raw": SecretBytes(b"v-bytes"),
        "json": '{"pw": "v-json", "k-json": 1}',
        "nested": {"k-nested": ("v-tuple", {"v-set"})},
        "model": _Inner.model_construct(password=SecretStr("v-model")),
        "cyclic": cyclic,
        "number": 12345,
    }
    found = set(data_strings(data, keys_except=frozenset({"plain", "secret", "raw", "json", "nested", "pw"})))
    assert found >= {"v-plain", "v-secret", "v-bytes", "v-json", "k-json", "k-nested", "v-tuple", "v-set"}
    assert found >= {"v-model", "loop-value", "model", "cyclic", "number"}
    assert not found & {"plain", "secret", "pw", "12345"}


def test_bytes_repr_and_url_encodings() -> None:
    value = "s3cr+t/é=="
    masker = Masker([value])
    assert masker.mask(repr(value.encode())) == f"b'{MASK}'"
    for encoded in (quote(value, safe=""), quote(value), quote_plus(value)):
        assert masker.mask(f"GET /cb?token={encoded} HTTP/1.1") == f"GET /cb?token={MASK} HTTP/1.1", encoded


def test_values_with_lone_surrogates_do_not_break_the_masker() -> None:
    value = "abc\udcff\ud800xyz"  # a .env file name or value read with surrogateescape
    assert Masker([value]).mask(f"x{value!r}y") == f"x'{MASK}'y"
