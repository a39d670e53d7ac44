"""The dotenv layer: grammar, interpolation rules, errors, round trips, and the lossless editor."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from autoaudit_secrets._dotenv import DotenvDocument, _tokenize, format_value, parse_dotenv, read_dotenv
from autoaudit_secrets._errors import DotenvError
from tests.conftest import assert_no_leak

# ---------------------------------------------------------------------------------------------- grammar


def test_single_quotes_are_literal_even_with_dollar_braces() -> None:
    text = "JWT_SECRET='p@ss${HOME}w#rd-$1'\n"
    values = parse_dotenv(text, environ={"HOME": "/home/someone"})
    assert values == {"JWT_SECRET": "p@ss" + "${HOME}" + "w#rd-$1"}


def test_single_quotes_keep_backslashes() -> None:
    assert parse_dotenv("P='C:\\new\\table\\'\n") == {"P": "C:\\new\\table\\"}


def test_export_prefix_and_spaces_around_equals() -> None:
    values = parse_dotenv("export A=1\n  export   B = two\nexport=3\n", environ={})
    assert values == {"A": "1", "B": "two", "export": "3"}


def test_comments_full_line_and_inline() -> None:
    text = "# top\n   # indented\nA=1 # note\nB=x#not-a-comment\nC= # only a comment\nD='q' # after quote\n"
    assert parse_dotenv(text, environ={}) == {"A": "1", "B": "x#not-a-comment", "C": "", "D": "q"}


def test_double_quotes_escapes() -> None:
    text = 'A="line1\\nline2\\ttab \\"q\\" back\\\\slash \\$HOME \\x"\n'
    assert parse_dotenv(text, environ={}) == {"A": 'line1\nline2\ttab "q" back\\slash $HOME \\x'}


def test_multiline_quoted_values() -> None:
    text = "A=\"first\nsecond\"\nB='one\ntwo'\nC=3\n"
    assert parse_dotenv(text, environ={}) == {"A": "first\nsecond", "B": "one\ntwo", "C": "3"}


def test_crlf_line_endings() -> None:
    text = "A=1\r\nB='two'\r\n# c\r\n\r\nC=\"3\"  # x\r\n"
    assert parse_dotenv(text, environ={}) == {"A": "1", "B": "two", "C": "3"}


def test_unquoted_value_keeps_inner_spaces_and_backslashes() -> None:
    assert parse_dotenv("A=  a b\\c  \n", environ={}) == {"A": "a b\\c"}


def test_later_duplicate_wins() -> None:
    assert parse_dotenv("A=1\nA=2\n", environ={}) == {"A": "2"}


# ---------------------------------------------------------------------------------------------- interpolation


def test_interpolation_from_earlier_lines_in_unquoted_and_double_quoted() -> None:
    text = "HOST=db\nURL=postgres://${HOST}/x\nDQ=\"${HOST}:5432\"\nSQ='${HOST}'\n"
    values = parse_dotenv(text, environ={})
    assert values["URL"] == "postgres://db/x"
    assert values["DQ"] == "db:5432"
    assert values["SQ"] == "${HOST}"


def test_environment_wins_over_earlier_lines() -> None:
    values = parse_dotenv("HOST=db\nURL=${HOST}\n", environ={"HOST": "prod"})
    assert values["URL"] == "prod"


def test_interpolation_defaults_and_unknown_names() -> None:
    text = 'E=\nA=${UNSET:-d1}\nB=${E:-d2}\nC=${E-d3}\nD="${UNSET}"\nF=$E\nG=${LATER}\nLATER=x\n'
    values = parse_dotenv(text, environ={})
    assert values["A"] == "d1"
    assert values["B"] == "d2"
    assert values["C"] == ""
    assert values["D"] == ""
    assert values["F"] == "$E"  # no braces: never expanded
    assert values["G"] == ""  # only earlier lines


def test_escaped_dollar_in_double_quotes_is_literal() -> None:
    assert parse_dotenv('A="\\${HOME}"\n', environ={"HOME": "/h"}) == {"A": "${HOME}"}


def test_interpolate_false_keeps_text() -> None:
    assert parse_dotenv("A=x\nB=${A}\n", interpolate=False) == {"A": "x", "B": "${A}"}


def test_environ_none_means_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOAUDIT_TEST_DOTENV_VAR", "from-process")
    assert parse_dotenv("A=${AUTOAUDIT_TEST_DOTENV_VAR}\n") == {"A": "from-process"}


# ---------------------------------------------------------------------------------------------- errors

SECRET = "hunter2-very-secret-Value"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"A=1\nB='{SECRET}\n", 2),
        (f'A=1\n\nC="{SECRET}\n', 3),
        (f"A=1\nnot an assignment {SECRET}\n", 2),
        (f"A='x'\nB='{SECRET}' trailing\n", 2),
        (f'A="multi\nline"\nB="{SECRET}" junk\n', 3),
        (f"{SECRET}\n", 1),
    ],
    ids=[
        "unclosed-single",
        "unclosed-double",
        "no-equals",
        "junk-after-single",
        "junk-after-multiline",
        "bare",
    ],
)
def test_parse_errors_name_source_and_line_never_value(text: str, line: int) -> None:
    with pytest.raises(DotenvError) as info:
        parse_dotenv(text, source="conf/.env")
    message = str(info.value)
    assert message.startswith(f"conf/.env, line {line}:")
    assert_no_leak(message, [SECRET], where="error message")
    assert info.value.__cause__ is None


def test_read_dotenv_missing_and_bad_utf8(tmp_path: Path) -> None:
    with pytest.raises(DotenvError, match="file not found"):
        read_dotenv(tmp_path / "nope.env")
    bad = tmp_path / "bad.env"
    bad.write_bytes(b"A=1\nB=\xff\xfe\n")
    with pytest.raises(DotenvError, match=r"bad\.env, line 2: not valid UTF-8"):
        read_dotenv(bad)


def test_read_dotenv_names_the_file_in_parse_errors(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A='open\n", encoding="utf-8")
    with pytest.raises(DotenvError, match=r"\.env, line 1: single-quoted value of A is not closed"):
        read_dotenv(path)


def test_read_dotenv_strips_bom_and_keeps_carriage_returns_in_quotes(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes('\ufeffA=1\r\nB="x\\ry"\r\n'.encode())
    assert read_dotenv(path, environ={}) == {"A": "1", "B": "x\ry"}


# ---------------------------------------------------------------------------------------------- python-dotenv

_COMPAT_CORPUS = [
    "A=1\nB=two words\n",
    "# comment\nexport A=1\n\nB = 2\n",
    "A=\"double quoted\"\nB='single quoted'\n",
    'A="with\\nnewline escape"\n',
    'A="multi\nline"\nB=after\n',
    "A=1 # inline comment\nB=url#fragment\n",
    "A=postgres://user@host:5432/db?sslmode=require\n",
    "A=\nB=''\nC=\"\"\n",
    "A=1\r\nB=2\r\n",
]


@pytest.mark.parametrize("text", _COMPAT_CORPUS, ids=[f"corpus{i}" for i in range(len(_COMPAT_CORPUS))])
def test_agrees_with_python_dotenv_on_ordinary_files(text: str) -> None:
    theirs = dotenv_values(stream=io.StringIO(text), interpolate=False)
    assert parse_dotenv(text, interpolate=False) == theirs


def test_differs_from_python_dotenv_where_it_expands_single_quotes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOAUDIT_TEST_DOTENV_VAR", "expanded")
    text = "COPY='${AUTOAUDIT_TEST_DOTENV_VAR}'\n"
    assert dotenv_values(stream=io.StringIO(text), interpolate=True) == {"COPY": "expanded"}
    assert parse_dotenv(text) == {"COPY": "${AUTOAUDIT_TEST_DOTENV_VAR}"}


# ---------------------------------------------------------------------------------------------- round trips

_VALUES = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\n\r\t '\"$#\\{}=:-_ ")),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=40,
)


@given(_VALUES)
@settings(max_examples=400, deadline=None)
def test_format_value_round_trips_any_string(value: str) -> None:
    text = f"BEFORE='x'\nK={format_value(value)}\nAFTER='y'\n"
    assert parse_dotenv(text, environ={}) == {"BEFORE": "x", "K": value, "AFTER": "y"}


@given(_VALUES)
@settings(max_examples=200, deadline=None)
def test_format_value_round_trips_with_interpolation_off(value: str) -> None:
    assert parse_dotenv(f"K={format_value(value)}", interpolate=False) == {"K": value}


_BASE = (
    "# header comment\n"
    "\n"
    "export FIRST=1   # keep me\n"
    "SECOND='two'\n"
    '  INDENTED="three"\n'
    'MULTI="a\nb"\n'
    "LAST=${FIRST}"
)
_NAMES = st.sampled_from(["FIRST", "SECOND", "INDENTED", "MULTI", "LAST", "NEW_ONE", "NEW_TWO"])


@given(st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_document_set_render_parse_round_trip(edits: list[tuple[str, str]]) -> None:
    doc = DotenvDocument.parse(_BASE)
    expected = parse_dotenv(_BASE, interpolate=False)
    for name, value in edits:
        doc.set(name, value)
        expected[name] = value
    rendered = doc.render()
    assert parse_dotenv(rendered, interpolate=False) == expected
    # Untouched lines stay byte-identical, in their order.
    touched = {name for name, _ in edits}
    before = [e.raw for e in DotenvDocument.parse(_BASE)._entries if e.name is None or e.name not in touched]
    after = [e.raw for e in doc._entries if e.name is None or e.name not in touched]
    # Appending to a file without a final newline adds one line break as its own piece.
    assert [raw for raw in after if raw != "\n"][: len(before)] == [raw for raw in before if raw != "\n"]
    assert rendered.startswith(_BASE.split("\n", 1)[0])
    for name, _value in edits:
        assert doc.get(name) == expected[name]


def test_document_is_lossless_when_untouched() -> None:
    text = "\ufeff# c\r\nexport A=1 # x\r\n\r\nB='a\nb'\n  C = \"q\"\nD"[:-1] + "D=end"
    assert DotenvDocument.parse(text).render() == text


def test_document_set_keeps_export_indent_and_comment() -> None:
    doc = DotenvDocument.parse("# c\n  export A=1   # the a\nB=2\n")
    doc.set("A", "new value")
    assert doc.render() == "# c\n  export A='new value'   # the a\nB=2\n"


def test_document_set_after_quoted_comment_keeps_comment_separate() -> None:
    doc = DotenvDocument.parse('A="x"# c\n')
    doc.set("A", "plain")
    assert parse_dotenv(doc.render(), environ={}) == {"A": "plain"}
    assert doc.render() == "A=plain # c\n"


def test_document_append_to_file_without_final_newline() -> None:
    doc = DotenvDocument.parse("A=1")
    doc.set("B", "2")
    doc.set("B", "3")
    assert doc.render() == "A=1\nB=3\n"


def test_document_append_uses_crlf_when_the_file_does() -> None:
    doc = DotenvDocument.parse("A=1\r\n")
    doc.set("B", "2")
    assert doc.render() == "A=1\r\nB=2\r\n"


def test_document_names_get_remove() -> None:
    doc = DotenvDocument.parse('A=1\nB="x\\ny"\nA=3\nC=${A}\n')
    assert doc.names() == ["A", "B", "C"]
    assert doc.get("A") == "3"
    assert doc.get("B") == "x\ny"
    assert doc.get("C") == "${A}"
    assert doc.get("Z") is None
    assert doc.remove("A") is True
    assert doc.remove("A") is False
    assert doc.render() == 'B="x\\ny"\nC=${A}\n'


def test_document_rejects_bad_names() -> None:
    doc = DotenvDocument.parse("")
    with pytest.raises(DotenvError, match="invalid variable name"):
        doc.set("1BAD", "x")
    with pytest.raises(DotenvError):
        doc.set("A\nB", "x")


def test_document_load_save_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# keep\nA=1\n", encoding="utf-8")
    os.chmod(path, 0o640)
    doc = DotenvDocument.load(path)
    doc.set("B", SECRET)
    doc.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert read_dotenv(path, environ={}) == {"A": "1", "B": SECRET}
    assert path.read_text(encoding="utf-8").startswith("# keep\nA=1\n")
    assert [p.name for p in tmp_path.iterdir()] == [".env"]


def test_document_load_missing(tmp_path: Path) -> None:
    assert DotenvDocument.load(tmp_path / "none", missing_ok=True).render() == ""
    with pytest.raises(DotenvError, match="file not found"):
        DotenvDocument.load(tmp_path / "none")


def test_document_new_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new.env"
    doc = DotenvDocument.load(path, missing_ok=True)
    doc.set("A", "1")
    doc.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_document_save_error_is_dotenv_error(tmp_path: Path) -> None:
    doc = DotenvDocument.parse("A=1\n")
    with pytest.raises(DotenvError, match="cannot write"):
        doc.save(tmp_path / "missing-dir" / ".env")


# ---------------------------------------------------------------------------------------------- fast path

_PIECES = st.sampled_from(
    ["A", "b_1", "export ", "=", " ", "\t", "'", '"', "\\", "#", "$", "{", "}", "\n", "\r\n", "\r", "x", "é"]
)
_LINES = st.lists(
    st.tuples(
        st.sampled_from(["A=", "export B = ", "  C=", "D= ", "# c", ""]),
        st.lists(_PIECES, max_size=8).map("".join),
    ).map("".join),
    max_size=6,
).map("\n".join)


@given(st.one_of(st.lists(_PIECES, max_size=30).map("".join), _LINES))
@settings(max_examples=600, deadline=None)
def test_fast_tokenizer_agrees_with_step_by_step_tokenizer(text: str) -> None:
    def run(fast: bool) -> object:
        try:
            return _tokenize(text, "<t>", fast=fast)
        except DotenvError as exc:
            return str(exc)

    fast, slow = run(True), run(False)
    assert fast == slow
    if isinstance(fast, list):
        assert "".join(entry.raw for entry in fast) == text
