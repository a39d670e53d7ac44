"""CI pipelines: literal secrets where CI secrets belong.

Files: GitHub Actions workflows (``.github/workflows/*.y(a)ml``), composite/Docker actions
(``.github/actions/<name>/action.y(a)ml``, a root ``action.y(a)ml``), GitLab CI (``.gitlab-ci.yml``,
``*.gitlab-ci.yml``, ``.gitlab/ci/*.yml``).

Checks (stable ids, all errors):

* ``ci-env-secret``: a literal secret in ``env`` (workflow, job, step, container or service level) or GitLab
  ``variables`` (plain or ``value:`` form) — a token-rule match, or a non-placeholder literal under a
  secret-ish/schema name.
* ``ci-with-secret``: the same in an action's ``with`` inputs.
* ``ci-credentials-secret``: a literal ``password`` in ``container``/``services`` ``credentials``.
* ``ci-secrets-literal``: a literal passed in a reusable-workflow call's ``secrets:``.
* ``ci-run-secret``: a literal secret in a ``run`` script or GitLab
  ``script``/``before_script``/``after_script``: token formats, credentials in URLs
  (``git clone https://user:token@…``), ``-p``/``--password`` literals, ``Authorization:`` headers,
  tokens written to ``.npmrc``/``.netrc``, ``export TOKEN=literal``.
* ``ci-input-default-secret``: an action input with a secret-ish name and a literal ``default``.

Safe: ``${{ secrets.X }}``, ``${{ vars.X }}``, ``${{ env.X }}`` (any ``${{ … }}`` expression),
``$CI_VARIABLE``, ``${CI_VAR}``, ``$(command)``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from .._model import AnalysisContext, Finding, Severity
from ._config_values import (
    AnalyzerCheck,
    LiteralSecret,
    has_reference,
    is_literal,
    judge_assignment,
    make_finding,
    shell_secrets,
)
from ._yaml_lines import YamlDocument, YMap, YNode, YScalar, YSeq, load_yaml

__all__ = [
    "CI_CHECKS",
    "CI_CREDENTIALS_SECRET",
    "CI_ENV_SECRET",
    "CI_INPUT_DEFAULT_SECRET",
    "CI_RUN_SECRET",
    "CI_SECRETS_LITERAL",
    "CI_WITH_SECRET",
    "CiKind",
    "WorkflowAnalyzer",
    "ci_kind",
]

CI_ENV_SECRET = "ci-env-secret"
CI_WITH_SECRET = "ci-with-secret"
CI_RUN_SECRET = "ci-run-secret"
CI_CREDENTIALS_SECRET = "ci-credentials-secret"
CI_SECRETS_LITERAL = "ci-secrets-literal"
CI_INPUT_DEFAULT_SECRET = "ci-input-default-secret"

_USE_CI_SECRETS = (
    "Store the value as a CI secret (GitHub: ${{ secrets.NAME }}; GitLab: a masked, protected CI/CD variable "
    "used as $NAME) and rotate the exposed value."
)
CI_CHECKS: tuple[AnalyzerCheck, ...] = (
    AnalyzerCheck(CI_ENV_SECRET, Severity.ERROR, "Literal secret in CI env/variables", _USE_CI_SECRETS),
    AnalyzerCheck(
        CI_WITH_SECRET, Severity.ERROR, "Literal secret in an action's with: input", _USE_CI_SECRETS
    ),
    AnalyzerCheck(
        CI_RUN_SECRET,
        Severity.ERROR,
        "Literal secret in a CI run/script command",
        'Pass the secret to the script through env from a CI secret and reference it as "$NAME" '
        "(use --password-stdin for logins); rotate the exposed value.",
    ),
    AnalyzerCheck(
        CI_CREDENTIALS_SECRET,
        Severity.ERROR,
        "Literal registry password in container credentials",
        _USE_CI_SECRETS,
    ),
    AnalyzerCheck(
        CI_SECRETS_LITERAL,
        Severity.ERROR,
        "Literal passed as a secret to a reusable workflow",
        _USE_CI_SECRETS,
    ),
    AnalyzerCheck(
        CI_INPUT_DEFAULT_SECRET,
        Severity.ERROR,
        "Literal secret as an action input's default",
        "Make the input required without a default and pass ${{ secrets.NAME }}; rotate the value.",
    ),
)


class CiKind(enum.Enum):
    """Which CI system a file belongs to."""

    GITHUB_WORKFLOW = "github-workflow"
    GITHUB_ACTION = "github-action"
    GITLAB = "gitlab"


_YAML = re.compile(r".*\.ya?ml", re.IGNORECASE)
_MAX_SCRIPT_LINES = 10_000
# `with:` inputs whose value is NAME=value lines (docker/build-push-action and similar).
_KEY_VALUE_INPUTS = frozenset({"build-args", "secrets", "build-secrets", "env", "env-vars", "envs", "args"})
_GITLAB_SCRIPT_KEYS = frozenset({"script", "before_script", "after_script"})
# `key: value` lines with a plain value (no spaces, "=", "$", "://", …) and the keys the checks read.
_PLAIN_KEY_LINE = re.compile(r"\s*(?:-\s+)?([\w.-]+):\s+(?!.*://)([\"']?)[\w./@+:-]+\2\s*")
_KEY_ONLY = re.compile(r"\s*(?:-\s+)?([\w.-]+):\s*")
_PLAIN_TEXT = re.compile(r"\s*(?:-\s+)?#?[\w .,()/+*!?&;|<>{}\[\]]*")
_NAME_LINE = re.compile(r"\s*(?:-\s+)?(name):\s+[\w .,()/+]+")  # step names: words and spaces
# The keys walk() checks the values of (GitHub's and GitLab's).
_WALK_KEYS = frozenset({"env", "with", "credentials", "run", "secrets", "variables", *_GITLAB_SCRIPT_KEYS})
_READ_KEYS = frozenset(
    {"env", "with", "credentials", "run", "secrets", "inputs", "default", "variables", "value", "services",
     "container", "jobs", *_GITLAB_SCRIPT_KEYS}
)  # fmt: skip


def ci_kind(relpath: str) -> CiKind | None:
    """The CI system ``relpath`` configures, or None."""
    path = PurePosixPath(relpath)
    parts = path.parts
    name = path.name
    if not _YAML.fullmatch(name):
        return None
    for index in range(len(parts) - 2):
        if parts[index] == ".github" and parts[index + 1] == "workflows":
            return CiKind.GITHUB_WORKFLOW
    if name.lower() in {"action.yml", "action.yaml"} and (
        len(parts) == 1 or (len(parts) >= 3 and parts[-3] == "actions" and ".github" in parts[:-3])
    ):
        return CiKind.GITHUB_ACTION
    if name == ".gitlab-ci.yml" or name.endswith(".gitlab-ci.yml"):
        return CiKind.GITLAB
    if len(parts) >= 3 and parts[-3] == ".gitlab" and parts[-2] == "ci":
        return CiKind.GITLAB
    return None


# An added line's context (see WorkflowAnalyzer.may_change): a line that is a comment or a sequence item; a
# line's leading "- " item markers; a mapping key and what follows it on the line; the header of a block
# scalar ("|", ">-", "|2+" with a tag or anchor before it); an anchor.
_ITEM_OR_COMMENT = re.compile(r"\s*(?:#|-(?:\s|$))")
_ITEMS = re.compile(r"(?:-(?:\s+|$))*")
_MAP_KEY = re.compile(r"([^\s#'\"{\[][^:#]*?|\"[^\"]*\"|'[^']*')\s*:(?:\s+(.*)|$)")
_BLOCK_HEADER = re.compile(r"(?:(?:[!&]\S*|\*\S+)\s+)*[|>][1-9+-]{0,2}(?:\s+#.*)?\s*")
_ANCHOR = re.compile(r"(?:^|\s)&\S")
# A `key: value` line with any value on one line (see _value_is_inert); the column where its key starts.
_KEY_VALUE_LINE = re.compile(r"(\s*(?:-\s+)*)([\w.-]+):\s+(\S.*?)\s*")
_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")
_WHOLE_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")
# keys whose value a check reads, beside _READ_KEYS: a with: input of NAME=value lines
_VALUE_KEYS = _READ_KEYS | _KEY_VALUE_INPUTS


def _value_is_inert(key: str, value: str, ctx: AnalysisContext) -> bool:
    """Whether the one-line ``value`` of ``key`` (a line outside any block scalar, ``secrets:`` or anchor:
    see :func:`_in_context`) cannot make a check report a literal secret the token rules do not find on the
    line anyway. The checks judge a value by its key: ``judge_assignment`` reports a token match (found on
    the added line by the token rules) or a literal under a secret-ish name; only the keys of _VALUE_KEYS
    are read otherwise. So: any value of a key that is neither read nor secret-ish; a value with a run-time
    reference (``${{ secrets.X }}``, ``$VAR``: never a literal) under a secret-ish one; a one-line ``run:``
    command in which the script check finds nothing. Not inert: a value that opens a node of its own (a
    flow mapping, a flow sequence with a mapping in it, a block scalar, an anchor, alias or tag), an
    unclosed quote, a comment (the value is shorter than the line)."""
    if value[0] in "|>&*!{%@`" or " #" in value:
        return False
    if value[0] in "\"'" and not _WHOLE_QUOTED.fullmatch(value):
        return False  # an unclosed quote, or text after the closing one: a scalar that may go on
    bare = _EXPRESSION.sub("", value)
    if "{" in bare or ("[" in bare and ":" in bare):
        return False
    if key == "run":
        return value[0] not in "\"'[" and not shell_secrets(value, ctx)
    if key in _VALUE_KEYS:
        return False
    return not ctx.is_secret_name(key) or has_reference(value)


def _continued(source: list[str], index: int, column: int) -> bool:
    """Whether a line below line ``index`` of ``source`` is indented deeper than ``column`` before a line that
    is not: a plain scalar on line ``index`` may go on there (conservative: any such line)."""
    for line in source[index + 1 :]:
        stripped = line.lstrip(" ")
        if not stripped.strip():
            continue
        return len(line) - len(stripped) > column
    return False


def _in_context(source: list[str], index: int, clean: set[int]) -> bool:
    """Whether line ``index`` of ``source`` may mean more than its text says, found by walking up to its
    ancestors (the lines above it with less indentation): it is inside a block scalar or a multi-line scalar
    (an ancestor opens one, or has a value the line continues), under ``secrets:``, or under an anchor.
    Over-approximates: a line of a script (all of whose lines are inside the block scalar) may be taken for
    an ancestor, which can only answer True. ``clean`` holds the ancestors found to have none of these above
    them (by earlier calls on the same ``source``): a walk that reaches one stops there."""
    line = source[index]
    level = len(line) - len(line.lstrip(" "))
    pad = " " * level
    walked: list[int] = []
    while index > 0 and level > 0:
        index -= 1
        above = source[index]
        if above.startswith(pad):
            continue  # as indented as the line (a sibling's, a descendant's), or blank
        stripped = above.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(above) - len(stripped)
        if _ANCHOR.search(stripped):
            return True
        items = _ITEMS.match(stripped)
        column = indent + (items.end() if items else 0)  # where the ancestor's node starts
        node = stripped[column - indent :]
        key = _MAP_KEY.fullmatch(node)
        value = (key.group(2) or "") if key else node
        if key and key.group(1).strip("'\"") == "secrets":
            return True
        if value and not value.startswith("#"):
            if _BLOCK_HEADER.fullmatch(value):
                return True
            if level > column or not key:
                return True  # the line continues the ancestor's scalar (or flow collection)
        if index in clean:
            break
        walked.append(index)
        level = indent
        pad = " " * level
    clean.update(walked)
    return False


class WorkflowAnalyzer:
    """Literal secrets in GitHub Actions and GitLab CI files (see the module docstring)."""

    id = "ci-workflows"

    def applies_to(self, relpath: str) -> bool:
        return ci_kind(relpath) is not None

    def may_change(self, added: str, ctx: AnalysisContext, text: str, lines: Sequence[int]) -> bool:
        """Whether adding these lines (git modes: what a commit added to a CI file) could give the file a
        finding it did not have. ``text`` is the file as of the commit and ``lines`` the numbers (1-based) of
        the added lines, one per line of ``added``.

        False only when every line is blank, a comment or ``- item`` line, a ``key: plain-value`` or
        ``key:`` line under a key that is neither secret-ish nor read by a check (``uses:
        actions/checkout@v4``, ``java-version: "21"``, ``steps:``, ``- master``) or a ``key: value`` line
        whose one-line value is inert (see :func:`_value_is_inert`: ``cron: "0 0 * * *"``, ``token: ${{
        secrets.X }}``, ``run: make test``) and that no deeper line may continue, and no such line takes a
        meaning from the lines around it (see :func:`_in_context`): inside a block scalar (a ``run: |``
        script, a key under ``env:``), continuing a multi-line scalar, under ``secrets:`` (every entry there
        is passed as a secret) or under an anchor (its node may be used anywhere). A line of plain words is a
        scalar's continuation wherever it stands. Token matches on the added lines are looked for
        separately."""
        source: list[str] | None = None
        clean: set[int] = set()
        numbers = iter(lines)
        for line in added.split("\n"):
            number = next(numbers, None)
            if not line.strip():
                continue
            plain = _PLAIN_TEXT.fullmatch(line)
            column = -1  # where the key of a `key: value` line with any value starts
            if plain is None and line.lstrip(" ").startswith("#"):
                pass  # a comment, whatever its text (unless in a block scalar: see below)
            elif plain is None:
                m = _PLAIN_KEY_LINE.fullmatch(line) or _NAME_LINE.fullmatch(line) or _KEY_ONLY.fullmatch(line)
                if m is None or m.group(1) in _READ_KEYS or ctx.is_secret_name(m.group(1)):
                    kv = _KEY_VALUE_LINE.fullmatch(line)
                    if kv is None or not _value_is_inert(kv.group(2), kv.group(3), ctx):
                        return True
                    column = len(kv.group(1))
            elif not _ITEM_OR_COMMENT.match(line):
                return True  # plain words: a scalar's continuation (a script line, a wrapped value)
            if source is None:
                source = text.split("\n")
            if number is None or not 0 < number <= len(source):
                return True  # where the line stands is unknown
            if column >= 0 and _continued(source, number - 1, column):
                return True
            if _in_context(source, number - 1, clean):
                return True
        return False

    def analyze(self, relpath: str, text: str, ctx: AnalysisContext) -> Iterable[Finding]:
        kind = ci_kind(relpath)
        if kind is None or not text:
            return []
        doc = load_yaml(text)
        if doc is None:
            return []
        run = _WorkflowRun(relpath, doc, ctx, kind)
        for root in doc.roots:
            run.walk(root, ())
            if kind is CiKind.GITHUB_ACTION and isinstance(root, YMap):
                run.check_action_inputs(root)
        return run.findings


def _service_values(doc: YamlDocument, job: str) -> frozenset[str]:
    """The literal values of the env of job ``job``'s service containers (GitHub Actions)."""
    values: set[str] = set()
    for root in doc.roots:
        jobs = root.get("jobs") if isinstance(root, YMap) else None
        spec = jobs.get(job) if isinstance(jobs, YMap) else None
        services = spec.get("services") if isinstance(spec, YMap) else None
        if not isinstance(services, YMap):
            continue
        for _, service in services.entries():
            env = service.get("env") if isinstance(service, YMap) else None
            if isinstance(env, YMap):
                values.update(
                    v.value.strip() for _, v in env.entries() if isinstance(v, YScalar) and not v.is_null
                )
    return frozenset(values)


# Images that read another image's variables: PostgreSQL's extensions and forks read POSTGRES_*, MariaDB
# also MYSQL_*, Percona MYSQL_*, SQL Server (mcr.microsoft.com/mssql/server) MSSQL_* and SA_PASSWORD
_IMAGE_PREFIXES = {
    "postgis": ("POSTGRES_",),
    "pgvector": ("POSTGRES_",),
    "timescaledb": ("POSTGRES_",),
    "timescaledb-ha": ("POSTGRES_",),
    "mariadb": ("MARIADB_", "MYSQL_"),
    "percona": ("MYSQL_",),
    "percona-server": ("MYSQL_",),
    "server": ("MSSQL_", "SA_"),
}


def _service_prefixes(services: YNode | None) -> tuple[str, ...]:
    """The env prefixes of a GitLab job's service images (``postgres:13`` -> ``POSTGRES_``,
    ``bitnami/postgresql:15`` -> ``POSTGRESQL_``, ``postgis/postgis:16`` -> ``POSTGRES_`` (see
    :data:`_IMAGE_PREFIXES`); an image named by a variable tells nothing)."""
    if not isinstance(services, YSeq):
        return ()
    prefixes: list[str] = []
    for item in services.items:
        image = item.get("name") if isinstance(item, YMap) else item
        if not isinstance(image, YScalar) or image.is_null:
            continue
        name = image.value.strip().rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
        if name and "$" not in name and len(name) >= 4:
            prefixes.extend(_IMAGE_PREFIXES.get(name.lower(), (name.upper().replace("-", "_") + "_",)))
    return tuple(prefixes)


def _sets_up_a_service(hit: LiteralSecret, throwaway: frozenset[str] | None) -> bool:
    """``hit`` is a service container's own value (``throwaway`` as :meth:`_WorkflowRun._throwaway` gives
    it: the empty set inside a service container, where any value is its own), not one a token rule
    identifies."""
    return throwaway is not None and not hit.from_rule and (not throwaway or hit.secret in throwaway)


def _crumb(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "top level"


class _WorkflowRun:
    def __init__(self, relpath: str, doc: YamlDocument, ctx: AnalysisContext, kind: CiKind) -> None:
        self.relpath = relpath
        self.doc = doc
        self.ctx = ctx
        self.kind = kind
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int]] = set()
        self._visited: set[int] = set()
        # per GitHub Actions job: the literals its service containers' env sets (see _service_values)
        self._services: dict[str, frozenset[str]] = {}
        gitlab = kind is CiKind.GITLAB
        self.env_fix = "define it as a masked CI/CD variable" if gitlab else "use ${{ secrets.NAME }}"

    def add(self, rule: str, scalar: YScalar, hit: LiteralSecret, offset: int, message: str) -> None:
        span = self.doc.locate(scalar, offset + hit.offset, hit.secret)
        key = (rule, span.line, span.column)
        if key in self._seen:
            return
        self._seen.add(key)
        self.findings.append(
            make_finding(
                rule,
                hit.severity_or(Severity.ERROR),
                self.relpath,
                (span.line, span.column, span.end_line, span.end_column),
                message,
                hit.secret,
                keep=hit.preview_keep,
            )
        )

    def walk(self, node: YNode, path: tuple[str | int, ...], depth: int = 0) -> None:
        if depth > 64 or isinstance(node, YScalar):
            return
        # Aliases share nodes: visit each once (an alias bomb must not expand exponentially).
        if id(node) in self._visited:
            return
        self._visited.add(id(node))
        # (a scalar is not walked into: nothing below it)
        if isinstance(node, YSeq):
            for index, item in enumerate(node.items):
                if not isinstance(item, YScalar):
                    self.walk(item, (*path, index), depth + 1)
            return
        if not isinstance(node, YMap):
            return
        gitlab = self.kind is CiKind.GITLAB
        # the keys of a GitHub workflow's `jobs` are job ids, whatever they spell: a job named `secrets` or
        # `env` is no secrets or env mapping
        job_ids = not gitlab and path == ("jobs",)
        for k, value in node.items:
            key = k.value
            if key in _WALK_KEYS and not job_ids:
                here = (*path, key)
                if gitlab:
                    if key == "variables":
                        self.check_variables(value, here)
                    elif key in _GITLAB_SCRIPT_KEYS:
                        self.check_scripts(value, here)
                else:
                    if key == "env":
                        self.check_named(value, here, CI_ENV_SECRET, "env", self._throwaway(path))
                    elif key == "with":
                        self.check_named(value, here, CI_WITH_SECRET, "with")
                    elif key == "credentials":
                        self.check_named(value, here, CI_CREDENTIALS_SECRET, "credentials")
                    elif key == "run" and isinstance(value, YScalar):
                        self.check_scripts(value, here)
                    elif (
                        key == "secrets" and isinstance(value, YMap) and len(path) == 2 and path[0] == "jobs"
                    ):
                        self.check_passed_secrets(value, here)
            if not isinstance(value, YScalar):
                self.walk(value, (*path, key), depth + 1)

    def _throwaway(self, path: tuple[str | int, ...]) -> frozenset[str] | None:
        """For an ``env`` at ``path`` in a GitHub Actions job: the values that set up the job's service
        containers (an empty set inside a service container: any value of its own), which are not reported
        by name alone; None elsewhere.

        A service container (``jobs.<id>.services.<name>``) lives as long as the job, in the job's network:
        the password its env gives it (``POSTGRES_PASSWORD: postgres``, as GitHub's own guide writes it)
        guards a database that exists for one run, and the job's or a step's env hands the same value to
        the tests. A value that a token rule identifies (a cloud key passed to a service) is still
        reported, and so is one the generic rules take for a password on their own."""
        if len(path) < 2 or path[0] != "jobs" or not isinstance(path[1], str):
            return None
        if len(path) >= 4 and path[2] == "services":
            return frozenset()
        job = path[1]
        known = self._services.get(job)
        if known is None:
            known = self._services[job] = _service_values(self.doc, job)
        return known or None

    def _gitlab_throwaway(self, variables: YMap, path: tuple[str | int, ...]) -> frozenset[str] | None:
        """For GitLab ``variables`` at ``path``: the values that set up the job's service containers, as
        :meth:`_throwaway` gives them for GitHub Actions (an empty set inside a service's own ``variables``);
        None elsewhere. GitLab hands a job's variables to its services too, so a job variable is a service's
        own when its name starts with a service image's name (``POSTGRES_PASSWORD`` beside ``postgres:13``,
        ``MARIADB_ROOT_PASSWORD`` beside ``mariadb``), as the images read them."""
        if "services" in path:
            return frozenset()
        root = self.doc.roots[0] if self.doc.roots else None
        if not isinstance(root, YMap) or len(path) > 2:
            return None
        job = root.get(path[0]) if len(path) == 2 and isinstance(path[0], str) else None
        services = job.get("services") if isinstance(job, YMap) else None
        if services is None:  # the pipeline's own: default.services, or services at the top level
            default = root.get_map("default")
            services = (default.get("services") if default is not None else None) or root.get("services")
        prefixes = _service_prefixes(services)
        if not prefixes:
            return None
        values = frozenset(
            v.value.strip()
            for k, v in variables.entries()
            if isinstance(v, YScalar) and not v.is_null and k.upper().startswith(prefixes)
        )
        return values or None

    def check_named(
        self,
        node: YNode,
        path: tuple[str | int, ...],
        rule: str,
        block: str,
        throwaway: frozenset[str] | None = None,
    ) -> None:
        if not isinstance(node, YMap):
            return
        for key, value in node.entries():
            if not isinstance(value, YScalar) or value.is_null:
                continue
            if block == "with" and key.lower() in _KEY_VALUE_INPUTS:
                self.check_key_value_lines(value, path, key)
                continue
            hit = judge_assignment(key, value.value, self.ctx)
            if hit is not None and _sets_up_a_service(hit, throwaway):
                continue  # a throwaway service container's password (see _throwaway)
            if hit is not None:
                self.add(
                    rule,
                    value,
                    hit,
                    0,
                    f"{_crumb(path)} sets {key} to a literal secret ({hit.reason}) in {block}; "
                    f"{self.env_fix}",
                )

    def check_key_value_lines(self, scalar: YScalar, path: tuple[str | int, ...], key: str) -> None:
        """``NAME=value`` lines of inputs such as ``build-args:`` and ``secrets:`` (build-push-action)."""
        offset = 0
        for line in scalar.value.split("\n"):
            name, sep, literal = line.partition("=")
            if sep and name.strip():
                hit = judge_assignment(name.strip(), literal, self.ctx)
                if hit is not None:
                    self.add(
                        CI_WITH_SECRET,
                        scalar,
                        hit,
                        offset + len(name) + 1,
                        f"{_crumb(path)} sets {name.strip()} to a literal secret ({hit.reason}) in the {key} "
                        f"input; {self.env_fix}",
                    )
            offset += len(line) + 1

    def check_variables(self, node: YNode, path: tuple[str | int, ...]) -> None:
        if not isinstance(node, YMap):
            return
        throwaway = self._gitlab_throwaway(node, path)
        for key, value in node.entries():
            scalar = value.get_scalar("value") if isinstance(value, YMap) else value
            if not isinstance(scalar, YScalar) or scalar.is_null:
                continue
            hit = judge_assignment(key, scalar.value, self.ctx)
            if hit is not None and _sets_up_a_service(hit, throwaway):
                continue  # a throwaway service container's password (see _gitlab_throwaway)
            if hit is not None:
                self.add(
                    CI_ENV_SECRET,
                    scalar,
                    hit,
                    0,
                    f"{_crumb(path)} sets {key} to a literal secret ({hit.reason}); {self.env_fix}",
                )

    def check_scripts(self, node: YNode, path: tuple[str | int, ...]) -> None:
        scalars: list[YScalar] = []
        _collect_scalars(node, scalars)
        where = "script" if self.kind is CiKind.GITLAB else "run script"
        fix = (
            "use a masked CI/CD variable ($NAME)"
            if self.kind is CiKind.GITLAB
            else "pass it through env from ${{ secrets.NAME }}"
        )
        # a step's script connecting to the job's service container with its password (Prefect's tests:
        # echo "DATABASE_URL=postgresql+asyncpg://prefect:prefect@localhost/prefect" >> $GITHUB_ENV)
        throwaway = None if self.kind is CiKind.GITLAB else self._throwaway(path[:-1])
        for scalar in scalars:
            for hit in shell_secrets(scalar.value, self.ctx):
                if _sets_up_a_service(hit, throwaway):
                    continue
                self.add(
                    CI_RUN_SECRET,
                    scalar,
                    hit,
                    0,
                    f"{_crumb(path)}: a literal secret in a {where} ({hit.reason}); {fix}",
                )

    def check_passed_secrets(self, node: YMap, path: tuple[str | int, ...]) -> None:
        for key, value in node.entries():
            if isinstance(value, YScalar) and not value.is_null and is_literal(value.value, self.ctx):
                secret = value.value.strip()
                hit = LiteralSecret(secret, value.value.find(secret), "a literal passed as a secret")
                self.add(
                    CI_SECRETS_LITERAL,
                    value,
                    hit,
                    0,
                    f"{_crumb(path)} passes a literal as secret {key} to a reusable workflow; "
                    "use ${{ secrets.NAME }}",
                )

    def check_action_inputs(self, root: YMap) -> None:
        inputs = root.get_map("inputs")
        if inputs is None:
            return
        for name, spec in inputs.entries():
            default = spec.get_scalar("default") if isinstance(spec, YMap) else None
            if default is None or default.is_null:
                continue
            hit = judge_assignment(name, default.value, self.ctx)
            if hit is not None:
                self.add(
                    CI_INPUT_DEFAULT_SECRET,
                    default,
                    hit,
                    0,
                    f"input {name} has a literal secret as its default ({hit.reason}); make it required "
                    "and pass ${{ secrets.NAME }}",
                )


def _collect_scalars(node: YNode, out: list[YScalar], depth: int = 0, seen: set[int] | None = None) -> None:
    """The scalars of a (nested) script list, each node once, depth-limited."""
    seen = set() if seen is None else seen
    if id(node) in seen or len(out) >= _MAX_SCRIPT_LINES:
        return
    seen.add(id(node))
    if isinstance(node, YScalar):
        out.append(node)
    elif isinstance(node, YSeq) and depth < 16:
        for item in node.items:
            _collect_scalars(item, out, depth + 1, seen)
