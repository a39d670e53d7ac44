"""The Dockerfile parser: every syntax feature, and the physical line of every part."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoaudit_secrets.scan.analyzers.docker._dockerfile import is_dockerfile_path, parse_dockerfile


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Dockerfile", True),
        ("svc/Dockerfile", True),
        ("Dockerfile.prod", True),
        ("api.Dockerfile", True),
        ("build/api.dockerfile", True),
        ("Containerfile", True),
        ("Dockerfile.dockerignore", False),
        ("dockerfile_utils.py", False),
        ("Dockerfiles/README.md", False),
        ("docs/Dockerfile.md.txt", True),  # Dockerfile.* is what Docker tooling and the issue name
    ],
)
def test_dockerfile_names(path: str, expected: bool) -> None:
    assert is_dockerfile_path(path) is expected


def test_continuations_comments_and_physical_lines() -> None:
    text = (
        "FROM alpine:3.20\n"  # 1
        "RUN apk add curl \\\n"  # 2
        "    # a comment between continuation lines\n"  # 3
        "\n"  # 4
        "    && echo one \\\n"  # 5
        "    && echo two\n"  # 6
        "# trailing comment\n"  # 7
        "CMD sh\n"  # 8
    )
    df = parse_dockerfile(text)
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "CMD"]
    run = df.instructions[1]
    assert (run.line, run.end_line) == (2, 6)
    assert "comment" not in run.args
    assert run.line_at(run.args.index("echo one")) == 5
    assert run.line_at(run.args.index("echo two")) == 6
    assert run.line_at(0) == 2
    line, column = run.position_at(run.args.index("echo two"))
    assert (line, column) == (6, 8)
    assert df.instructions[2].line == 8


def test_escape_directive_backtick() -> None:
    text = '# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir C:\\ `\n    && echo done\nENV A="x`"y"\n'
    df = parse_dockerfile(text)
    assert df.escape == "`"
    run = df.instructions[1]
    assert (run.line, run.end_line) == (3, 4)
    assert "C:\\" in run.args  # a backslash is no escape any more
    env = df.instructions[2].key_values()
    assert env[0].value == 'x"y'


def test_bom_before_directive() -> None:
    df = parse_dockerfile("\ufeff# escape=`\nFROM a\n")
    assert df.escape == "`"
    assert df.instructions[0].keyword == "FROM"


def test_directive_only_at_top() -> None:
    df = parse_dockerfile("FROM a\n# escape=`\nRUN echo `\n")
    assert df.escape == "\\"
    assert df.directives == {}


def test_exec_and_shell_form() -> None:
    df = parse_dockerfile(
        'FROM a\nCMD ["python", "-m", "app"]\nENTRYPOINT python -m app\nRUN ["sh", "-c", "x"]\n'
    )
    assert df.instructions[1].json_args == ("python", "-m", "app")
    assert df.instructions[2].json_args is None
    assert df.instructions[3].json_args == ("sh", "-c", "x")
    assert [w for w, _ in df.instructions[3].words()] == ["sh", "-c", "x"]


def test_heredocs_several_on_one_line_dash_and_quoted() -> None:
    text = (
        "FROM a\n"  # 1
        "RUN <<EOF cat > /a && python3 <<-'PY'\n"  # 2
        "echo one\n"  # 3
        "EOF\n"  # 4
        "\tprint(1)\n"  # 5
        "\tPY\n"  # 6
        'COPY <<"CONF" /etc/app.conf\n'  # 7
        "key = value\n"  # 8
        "CONF\n"  # 9
        "RUN echo after\n"  # 10
    )
    df = parse_dockerfile(text)
    kinds = [(i.keyword, i.line, i.end_line) for i in df.instructions]
    assert kinds == [("FROM", 1, 1), ("RUN", 2, 6), ("COPY", 7, 9), ("RUN", 10, 10)]
    first, second = df.instructions[1].heredocs
    assert (first.delimiter, first.body, first.body_line, first.strip_tabs, first.quoted) == (
        "EOF",
        "echo one\n",
        3,
        False,
        False,
    )
    assert (second.delimiter, second.body, second.body_line, second.strip_tabs, second.quoted) == (
        "PY",
        "print(1)\n",
        5,
        True,
        True,
    )
    copy = df.instructions[2]
    assert copy.heredocs[0].body == "key = value\n"
    assert copy.heredocs[0].line_of(0) == 8
    assert [w for w, _ in copy.words()] == ["<<CONF", "/etc/app.conf"]


def test_heredoc_not_in_json_or_other_instructions() -> None:
    df = parse_dockerfile('FROM a\nCMD ["sh", "-c", "cat <<EOF"]\nRUN echo hi\n')
    assert df.instructions[1].heredocs == ()
    assert [i.keyword for i in df.instructions] == ["FROM", "CMD", "RUN"]


def test_multi_stage_names() -> None:
    df = parse_dockerfile(
        "ARG BASE=python:3.12\nFROM --platform=$BUILDPLATFORM $BASE AS build\nRUN x\nFROM build as Test\n"
        "FROM python:3.12-slim\nCOPY --from=build /a /a\n"
    )
    assert df.stages == ["build", "Test", ""]
    assert [i.stage for i in df.instructions] == [-1, 0, 0, 1, 2, 2]
    assert df.stage_index("BUILD") == 0
    assert df.stage_index("test") == 1
    assert df.stage_index("2") == 2
    assert df.instructions[1].flag("platform") == "$BUILDPLATFORM"
    assert df.instructions[5].flag("from") == "build"


def test_env_arg_label_pairs() -> None:
    text = (
        "FROM a\n"  # 1
        'ENV A="x y" B=c \\\n'  # 2
        "    C='q r'\n"  # 3
        "ENV LEGACY some value here\n"  # 4
        'ARG X=1 Y="two words" Z\n'  # 5
        'LABEL org.example.k="v 1" other=v2\n'  # 6
        "LABEL legacy value words\n"  # 7
    )
    df = parse_dockerfile(text)
    env = df.instructions[1].key_values()
    assert [(kv.key, kv.value, kv.value_line) for kv in env] == [
        ("A", "x y", 2),
        ("B", "c", 2),
        ("C", "q r", 3),
    ]
    assert env[2].column == 7
    legacy = df.instructions[2].key_values()
    assert [(kv.key, kv.value, kv.value_line) for kv in legacy] == [("LEGACY", "some value here", 4)]
    args = df.instructions[3].key_values()
    assert [(kv.key, kv.value) for kv in args] == [("X", "1"), ("Y", "two words"), ("Z", None)]
    labels = df.instructions[4].key_values()
    assert [(kv.key, kv.value) for kv in labels] == [("org.example.k", "v 1"), ("other", "v2")]
    assert df.instructions[5].key_values()[0].value == "value words"


def test_flags_and_mounts() -> None:
    text = (
        "FROM a\n"
        "RUN --mount=type=secret,id=npm,target=/root/.npmrc,required \\\n"
        "    --mount=type=cache,target=/root/.cache \\\n"
        "    --mount=type=secret,id=tok \\\n"
        "    --mount=type=secret,id=gh,env=GH_TOKEN \\\n"
        "    --network=none npm ci\n"
        "COPY --chown=app:app --chmod=600 --link src/ /app/\n"
    )
    df = parse_dockerfile(text)
    run = df.instructions[1]
    mounts = run.mounts()
    assert [(m.type, m.id, m.target, m.line) for m in mounts] == [
        ("secret", "npm", "/root/.npmrc", 2),
        ("cache", "", "/root/.cache", 3),
        ("secret", "tok", "/run/secrets/tok", 4),
        ("secret", "gh", "/run/secrets/gh", 5),
    ]
    assert mounts[3].env == "GH_TOKEN"
    assert run.flag("network") == "none"
    assert run.args == "npm ci"
    assert run.line_at(0) == 6
    copy = df.instructions[2]
    assert copy.flag("chown") == "app:app"
    assert copy.flag("link") == ""
    assert [w for w, _ in copy.words()] == ["src/", "/app/"]


def test_garbage_never_raises() -> None:
    df = parse_dockerfile("\\\n\x00\nRUN <<EOF\nno end\n[\nENV\nARG =\n")
    assert [i.keyword for i in df.instructions] == ["\x00", "RUN"]
    # an unterminated heredoc runs to the end of the file
    assert df.instructions[1].heredocs[0].body == "no end\n[\nENV\nARG =\n"
    assert parse_dockerfile("ENV\nARG =\nLABEL\n").instructions[1].key_values()[0].key == ""


def test_crlf_line_endings() -> None:
    text = "FROM a\r\nRUN echo one \\\r\n    && echo two\r\nRUN <<EOF\r\necho three\r\nEOF\r\nENV A=1\r\n"
    df = parse_dockerfile(text)
    assert [(i.keyword, i.line, i.end_line) for i in df.instructions] == [
        ("FROM", 1, 1),
        ("RUN", 2, 3),
        ("RUN", 4, 6),
        ("ENV", 7, 7),
    ]
    assert df.instructions[1].line_at(df.instructions[1].args.index("two")) == 3
    assert df.instructions[2].heredocs[0].body == "echo three\n"
    assert df.instructions[3].key_values()[0].value == "1"


_ALPHABET = "FROMRUNENVARGCOPYLABEL <>-=\\`'\"[]{}$#:/.,\n\t\r EOFabc123"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=400))
def test_parser_never_raises_and_lines_stay_in_range(text: str) -> None:
    df = parse_dockerfile(text)
    total = max(1, len(text.splitlines()))
    for ins in df.instructions:
        assert 1 <= ins.line <= ins.end_line <= total
        for offset in range(0, len(ins.args) + 1, 7):
            line = ins.line_at(offset)
            assert ins.line <= line <= ins.end_line
        ins.key_values()
        ins.words()
        ins.mounts()


def test_quoted_heredoc_markers_and_here_strings_are_not_heredocs() -> None:
    text = 'FROM a\nRUN echo "<<EOF" && echo \'<<X\' && cat <<< "word" && echo $((1<<2))\nRUN echo after\n'
    df = parse_dockerfile(text)
    assert [(i.keyword, i.line, i.heredocs) for i in df.instructions] == [
        ("FROM", 1, ()),
        ("RUN", 2, ()),
        ("RUN", 3, ()),
    ]
