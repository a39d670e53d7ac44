"""An image configuration read as Dockerfile text: the history forms of the classic builder, BuildKit and
buildah, build arguments, and what reports show of an instruction (never a secret)."""

from __future__ import annotations

import pytest

from autoaudit_secrets.scan import ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._image_config import config_documents, history_steps, shown_instruction
from tests.scan.sources.conftest import LEAKS

TOKEN = LEAKS.run_token


def _steps(*created_by: str) -> list[tuple[tuple[tuple[str, str], ...], str]]:
    config = {"history": [{"created_by": c} for c in created_by]}
    return [(s.build_args, s.instruction) for s in history_steps(config)]


@pytest.mark.parametrize(
    ("created_by", "args", "instruction"),
    [
        ("/bin/sh -c #(nop)  ENV PORT=8000", (), "ENV PORT=8000"),  # classic builder
        ("/bin/sh -c #(nop) COPY file:abc in /app ", (), "COPY file:abc in /app"),  # buildah
        ("ENV PORT=8000", (), "ENV PORT=8000"),  # BuildKit
        ("COPY app/ /app/ # buildkit", (), "COPY app/ /app/"),
        ("RUN /bin/sh -c make build # buildkit", (), "RUN make build"),
        ("/bin/sh -c apt-get update", (), "RUN apt-get update"),
        ("|1 VERSION=1.2 /bin/sh -c echo $VERSION", (("VERSION", "1.2"),), "RUN echo $VERSION"),
        (
            "RUN |2 A=one B=two /bin/sh -c make # buildkit",
            (("A", "one"), ("B", "two")),
            "RUN make",
        ),
        ('/bin/sh -c ["/bin/busybox", "--install"]', (), 'RUN ["/bin/busybox", "--install"]'),
        # BuildKit drops --mount flags from the history: a read of /run/secrets/ID gets its mount back.
        (
            "RUN /bin/sh -c cat /run/secrets/npmrc > /root/.npmrc # buildkit",
            (),
            "RUN --mount=type=secret,id=npmrc cat /run/secrets/npmrc > /root/.npmrc",
        ),
    ],
)
def test_history_forms(created_by: str, args: tuple[tuple[str, str], ...], instruction: str) -> None:
    assert _steps(created_by) == [(args, instruction)]


def test_config_fields_become_instructions() -> None:
    config = {
        "config": {
            "Env": ["PATH=/usr/bin", 'WEIRD=a "quoted" $value'],
            "Labels": {"b": "2", "a": "1"},
            "Entrypoint": ["python", "-m", "app"],
            "Cmd": None,
            "User": "10001:10001",
            "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/"]},
        }
    }
    texts = [(d.field, d.text) for d in config_documents(config)]
    assert texts == [
        ("Env", 'ENV PATH="/usr/bin"\n'),
        ("Env", 'ENV WEIRD="a \\"quoted\\" \\$value"\n'),
        ("Labels", 'LABEL a="1"\n'),
        ("Labels", 'LABEL b="2"\n'),
        ("Entrypoint", 'RUN ["python", "-m", "app"]\n'),
        ("Healthcheck", 'RUN ["curl -f http://localhost/"]\n'),
        ("User", "USER 10001:10001\n"),
    ]


def test_hostile_config_shapes_are_ignored_not_fatal() -> None:
    for config in ({"history": "x"}, {"history": [1, None, {"created_by": 5}]}, {"config": [1]}, {}):
        assert config_documents(config) == []


def test_shown_instruction_masks_build_arguments_and_secrets() -> None:
    step = history_steps(
        {"history": [{"created_by": f"|1 TOKEN={TOKEN} /bin/sh -c curl -u me:{TOKEN[:12]}x"}]}
    )[0]
    shown = shown_instruction(step, [TOKEN[:12] + "x"])
    assert TOKEN not in shown and TOKEN[:12] not in shown
    assert shown == "RUN curl -u me:********** (build args: TOKEN)"
    assert shown_instruction(None, []) == ""


def test_a_buildkit_env_secret_is_found_once() -> None:
    scanner = Scanner(ScanConfig())
    docs = config_documents({"history": [{"created_by": f"ENV GITHUB_TOKEN={TOKEN}", "empty_layer": True}]})
    findings = [f for d in docs for f in scanner.scan_document("Dockerfile", d.text)]
    assert {f.rule_id for f in findings} >= {"docker-env-secret"}
