"""is_ci: the one function that decides local vs CI."""

from __future__ import annotations

import pytest

from autoaudit_secrets.settings import CI_MARKERS, is_ci

CI_ENVIRONMENTS = [
    {"CI": "true"},
    {"CI": "1"},
    {"CI": "TRUE"},
    {"CI": "woodpecker"},
    {"GITHUB_ACTIONS": "true"},
    {"GITLAB_CI": "true"},
    {"BUILDKITE": "true"},
    {"JENKINS_URL": "https://jenkins.example/"},
    {"TF_BUILD": "True"},
    {"CIRCLECI": "true"},
    {"TRAVIS": "true"},
    {"BITBUCKET_BUILD_NUMBER": "42"},
    {"TEAMCITY_VERSION": "2024.1"},
    {"CODEBUILD_BUILD_ID": "proj:1234"},
    {"DRONE": "true"},
    {"CI": "false", "GITHUB_ACTIONS": "true"},
]

LOCAL_ENVIRONMENTS = [
    {},
    {"CI": "false"},
    {"CI": "False"},
    {"CI": "0"},
    {"CI": ""},
    {"CI": "no"},
    {"GITHUB_ACTIONS": "false"},
    {"HOME": "/home/dev", "PATH": "/usr/bin", "APP_ENV": "ci"},
]


@pytest.mark.parametrize(
    "environ", CI_ENVIRONMENTS, ids=[",".join(e) + f"#{i}" for i, e in enumerate(CI_ENVIRONMENTS)]
)
def test_ci_detected(environ: dict[str, str]) -> None:
    assert is_ci(environ) is True


@pytest.mark.parametrize(
    "environ", LOCAL_ENVIRONMENTS, ids=[",".join(e) + f"#{i}" for i, e in enumerate(LOCAL_ENVIRONMENTS)]
)
def test_local_detected(environ: dict[str, str]) -> None:
    assert is_ci(environ) is False


def test_markers_cover_the_documented_services() -> None:
    documented = {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL", "TF_BUILD", "CIRCLECI"}
    assert documented <= set(CI_MARKERS)
