"""Local or CI? One function decides, so the loader, the CLI and the docs agree."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CI_MARKERS", "ci_marker", "is_ci"]

# Variables whose presence (with any value other than an explicit "off") marks a CI run. `CI` itself is set
# by almost every service (GitHub Actions, GitLab, CircleCI, Travis, Buildkite, Woodpecker, ...); the others
# catch services or self-hosted runners that do not set it.
CI_MARKERS: tuple[str, ...] = (
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "JENKINS_URL",
    "TF_BUILD",  # Azure Pipelines
    "CIRCLECI",
    "TRAVIS",
    "BITBUCKET_BUILD_NUMBER",
    "TEAMCITY_VERSION",
    "CODEBUILD_BUILD_ID",  # AWS CodeBuild
    "DRONE",
    "APPVEYOR",
    "SEMAPHORE",
    "CIRRUS_CI",
    "BUDDY",
    "CF_BUILD_ID",  # Codefresh
    "HEROKU_TEST_RUN_ID",
    "WOODPECKER_CI",
    "BITRISE_IO",
)

_OFF = frozenset({"", "0", "false", "no", "off"})


def is_ci(environ: Mapping[str, str]) -> bool:
    """Whether ``environ`` describes a continuous-integration run.

    True when any of :data:`CI_MARKERS` is set to a value other than an explicit "off" (empty, ``0``,
    ``false``, ``no``, ``off``; case-insensitive). So ``CI=true``, ``CI=1`` and ``GITHUB_ACTIONS=true`` are
    CI, ``CI=false`` is not. Inside CI the settings loader reads no ``.env`` file unless one is passed
    explicitly.
    """
    return ci_marker(environ) is not None


def ci_marker(environ: Mapping[str, str]) -> str | None:
    """The first of :data:`CI_MARKERS` that makes ``environ`` a CI run (see :func:`is_ci`), else ``None``."""
    return next((name for name in CI_MARKERS if environ.get(name, "").strip().lower() not in _OFF), None)
