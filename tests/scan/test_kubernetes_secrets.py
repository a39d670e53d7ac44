"""KubernetesSecretAnalyzer: the values of committed Kubernetes Secret manifests. Real scans of temp trees
(and one real ``check-secrets`` process); the secret values are drawn at run time (this file is scanned
too)."""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions
from tests.conftest import assert_no_leak, git, json_report, random_chars, run_cli

_ALNUM = string.ascii_letters + string.digits
RULE = "kubernetes-secret-manifest"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _random() -> str:
    return random_chars(_ALNUM, 24) + "7"


def _scan(root: Path) -> list[tuple[str, int, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.column, f.rule_id) for f in result.findings)


def _write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text, encoding="utf-8")


def test_data_and_string_data_values_are_reported_where_written(tmp_path: Path) -> None:
    password, token = _random(), _random()
    _write(
        tmp_path,
        "k8s/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ntype: Opaque\ndata:\n"
        f"  username: {_b64('api')}\n"
        f"  DB_PASSWORD: {_b64(password)}\n"
        "stringData:\n"
        f"  api-token: {token}\n"
        "  host: db.internal\n",
    )
    assert _scan(tmp_path) == [("k8s/secret.yaml", 8, 16, RULE), ("k8s/secret.yaml", 10, 14, RULE)]


def test_a_generated_value_counts_under_any_name_and_a_plain_one_only_under_a_secret_s(
    tmp_path: Path,
) -> None:
    """WrongSecrets' challenge33: ``answer: <base64 of a generated value>``. A sentence under an ordinary name
    (``funnier: "this is a password"``, base64) is configuration as far as a scanner can tell."""
    _write(
        tmp_path,
        "challenge.yml",
        f"apiVersion: v1\ndata:\n  answer: {_b64(_random() + '/' + _random())}\n"
        f"  funnier: {_b64('this is apassword')}\n  region: {_b64('eu-west-1')}\nkind: Secret\n"
        "metadata:\n  name: challenge33\n",
    )
    assert _scan(tmp_path) == [("challenge.yml", 3, 11, RULE)]


def test_templates_references_placeholders_certificates_and_encrypted_manifests_are_quiet(
    tmp_path: Path,
) -> None:
    certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3Rb\n-----END CERTIFICATE-----\n"
    quiet = {
        "password": '"{{ .Values.db.password | b64enc }}"',
        "api-key": _b64("changeme"),
        "ca.crt": _b64(certificate),
        "DB_PASSWORD": "${DB_PASSWORD}",
        "SECRET_KEY": "<your-secret-key>",
    }

    def manifest(values: dict[str, str], sops: str) -> str:
        return (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: quiet\ndata:\n"
            + "".join(f"  {k}: {values[k]}\n" for k in ("password", "api-key", "ca.crt"))
            + '  token: ""\nstringData:\n'
            + "".join(f"  {k}: {values[k]}\n" for k in ("DB_PASSWORD", "SECRET_KEY"))
            # SOPS: the values are encrypted, and the manifest says so in its sops section
            + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sops\n"
            + f"stringData:\n  password: ENC[AES256_GCM,data:{_random()},type:str]\n"
            + f"  token: {_random()}\n{sops}"
            # Bitnami's SealedSecret: encrypted for the cluster's controller; a ConfigMap is no Secret
            + "---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n"
            + f"    password: {_random()}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  region: eu-west-1\n"
        )

    _write(tmp_path, "k8s/quiet.yaml", manifest(quiet, "sops:\n  version: 3.8.1\n"))
    assert [f for f in _scan(tmp_path) if f[3] == RULE] == []
    # the same places with values of their own, and the SOPS manifest without its sops section
    real = {k: _b64(_random()) if k in ("password", "api-key", "ca.crt") else _random() for k in quiet}
    _write(tmp_path, "k8s/quiet.yaml", manifest(real, ""))
    assert [line for _, line, _, rule in _scan(tmp_path) if rule == RULE] == [6, 7, 8, 11, 12, 20]


def test_a_list_of_secrets_and_kubectl_s_annotation_are_read(tmp_path: Path) -> None:
    """``kubectl get secrets -o yaml`` writes a List; ``kubectl apply`` keeps the applied manifest, values
    included, in an annotation that survives a blanked ``data``."""
    listed, applied = _random(), _random()
    annotation = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db"},
            "stringData": {"password": applied},
        }
    )
    _write(
        tmp_path,
        "dump.yaml",
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: one\n"
        f"  data:\n    client-secret: {_b64(listed)}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  data:\n    password: not-a-secret-here\n",
    )
    _write(
        tmp_path,
        "applied.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n"
        f"    kubectl.kubernetes.io/last-applied-configuration: |\n      {annotation}\n"
        'data:\n  password: ""\n',
    )
    found = [f for f in _scan(tmp_path) if f[3] == RULE]
    column = 7 + annotation.index(applied)
    assert found == [("applied.yaml", 7, column, RULE), ("dump.yaml", 9, 20, RULE)]


def test_a_json_manifest_is_read_as_kubectl_writes_it(tmp_path: Path) -> None:
    """``kubectl get secret db -o json > secret.json``: under a name no rule reads as a secret's."""
    value = _b64(_random())
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "data": {"answer": value, "region": _b64("eu-west-1")},
    }
    _write(tmp_path, "secret.json", json.dumps(manifest, indent=4))
    _write(tmp_path, "package.json", json.dumps({"name": "app", "kind": "Secret", "answer": value}))
    assert _scan(tmp_path) == [("secret.json", 8, 20, RULE)]


def test_a_broken_or_templated_file_is_left_to_the_token_rules(tmp_path: Path) -> None:
    token = _random()
    _write(
        tmp_path,
        "chart/templates/secret.yaml",
        "{{- if .Values.enabled }}\napiVersion: v1\nkind: Secret\nstringData:\n"
        f"  password: {{{{ .Values.password }}}}\n  other: [unclosed\n  api_key: '{token}'\n{{{{- end }}}}\n",
    )
    found = _scan(tmp_path)
    assert RULE not in {rule for *_, rule in found}
    assert ("chart/templates/secret.yaml", 7, 13) in {(p, line, col) for p, line, col, _ in found}, found


def test_the_cli_reports_the_rule_without_the_value(tmp_path: Path) -> None:
    password = _random()
    _write(
        tmp_path,
        "secret.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {_b64(password)}\n",
    )
    result = run_cli("check-secrets", "scan", "--no-ignore", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    findings = json_report(result)["findings"]
    assert isinstance(findings, list) and [(f["rule"], f["line"]) for f in findings] == [(RULE, 6)]
    assert_no_leak(result.output, [password, _b64(password)], prefixes=True)
    text = run_cli("check-secrets", "scan", "--no-ignore", cwd=tmp_path)
    assert "Secret 'db'" in text.stdout
    assert_no_leak(text.output, [password, _b64(password)], prefixes=True)


def test_history_reports_a_value_added_to_a_secret_manifest_at_its_commit(git_repo: Path) -> None:
    """A manifest committed with a placeholder, then given a real value, then blanked: ``git --all`` reports
    the value once, at the commit that added it (the file as of that commit is a Secret manifest, though the
    change adds one line)."""
    password = _random()
    head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
    steps = [
        ("placeholder", f"{head}  password: {_b64('changeme')}\n"),
        ("real value", f"{head}  password: {_b64('changeme')}\n  api-password: {_b64(password)}\n"),
        ("blanked", f"{head}  password: {_b64('changeme')}\n"),
    ]
    commits = []
    for message, text in steps:
        _write(git_repo, "deploy/secret.yaml", text)
        git(git_repo, "add", "-A")
        git(git_repo, "commit", "-q", "-m", message)
        commits.append(git(git_repo, "rev-parse", "HEAD").strip())
    result = run_cli("check-secrets", "git", "--all", "--format", "json", cwd=git_repo)
    findings = json_report(result)["findings"]
    assert isinstance(findings, list)
    assert [(f["rule"], f["path"], f["line"], f["commit"]["sha"]) for f in findings] == [
        (RULE, "deploy/secret.yaml", 7, commits[1])
    ]
    assert_no_leak(result.output, [password, _b64(password)], prefixes=True)


def test_only_files_that_declare_a_secret_are_wanted_and_a_utf16_manifest_is_still_read(
    tmp_path: Path,
) -> None:
    """The analyzer applies to every YAML and JSON file; ``wants`` leaves those that declare no Secret to the
    scan's fast path (not decoded when no token rule matches)."""
    from autoaudit_secrets.scan.analyzers._kubernetes import KubernetesSecretAnalyzer

    wants = KubernetesSecretAnalyzer().wants
    assert not wants(b'{"name": "app", "version": "1.0.0", "items": ["ListBuckets"]}')
    assert not wants(b"apiVersion: apps/v1\nkind: Deployment\nspec:\n  secretName: Secret\n")
    assert wants(b"apiVersion: v1\nkind: Secret\n")
    assert wants(b'{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": []\n}')
    password = _random()
    text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {_b64(password)}\n"
    (tmp_path / "secret.yaml").write_bytes(text.encode("utf-16"))
    assert _scan(tmp_path) == [("secret.yaml", 6, 13, RULE)]


def test_history_reads_yaml_manifests_and_leaves_json_ones_to_the_tree_scan(git_repo: Path) -> None:
    """A history scan reads every change of a file an analyzer applies to whole, as of its commit; JSON files
    (lock files above all) change in most commits, so the analyzer keeps to YAML there. The tree scan of
    the checkout still reads the JSON manifest."""
    value = _b64(_random())
    manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "data": {"answer": value}}
    _write(git_repo, "secret.json", json.dumps(manifest, indent=2))
    _write(git_repo, "secret.yaml", f"apiVersion: v1\nkind: Secret\ndata:\n  answer: {value}\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "manifests")
    history = json_report(run_cli("check-secrets", "git", "--all", "--format", "json", cwd=git_repo))
    assert [(f["rule"], f["path"]) for f in history["findings"]] == [(RULE, "secret.yaml")]  # type: ignore[index]
    tree = [(path, rule) for path, _, _, rule in _scan(git_repo)]
    assert tree == [("secret.json", RULE), ("secret.yaml", RULE)]


def test_a_host_a_path_or_an_identifier_under_an_ordinary_name_is_configuration(tmp_path: Path) -> None:
    """feast-dev/feast's operator samples: a Secret that also holds the database's host and a CA file's
    path. High in entropy, but of one case and no digits: not generated. A generated value under the same
    names is reported."""
    quiet = {
        "POSTGRES_HOST": "postgresql.feast.svc.cluster.local",
        "FEAST_CA_CERT_FILE_PATH": "/var/lib/postgresql/certs/ca.crt",
        "auth_discovery_url": "auth_discovery_url",
    }

    def manifest(values: dict[str, str]) -> str:
        entries = "".join(f"  {k}: {v}\n" for k, v in values.items())
        return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: feast-data-stores\nstringData:\n{entries}"

    _write(tmp_path, "secret.yaml", manifest(quiet))
    assert _scan(tmp_path) == []
    _write(tmp_path, "secret.yaml", manifest({k: _random() for k in quiet}))
    assert [line for _, line, _, rule in _scan(tmp_path) if rule == RULE] == [6, 7, 8]
