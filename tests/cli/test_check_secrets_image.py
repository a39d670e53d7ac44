"""``check-secrets image`` as a real subprocess on images built with buildah: exit codes, the three report
formats, baselines, --platform, and one-line errors for what cannot be read — never a secret in any output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from autoaudit_secrets.scan.report import SCHEMA_PATH
from tests.conftest import BIN_DIR, DATA_DIR, run_cli
from tests.scan.sources.conftest import LEAKS, BuiltImages, build_test_images


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> BuiltImages:
    return build_test_images(tmp_path_factory)


def _run(*args: str, cwd: Path) -> tuple[int, str, str]:
    result = run_cli("check-secrets", "image", *args, cwd=cwd)
    out = result.stdout + result.stderr
    for index, secret in enumerate(LEAKS.all()):
        for piece in (secret, secret.strip().splitlines()[0]):
            if piece in out:
                pytest.fail(f"secret #{index} leaked into the output of check-secrets image", pytrace=False)
    return result.returncode, result.stdout, result.stderr


def test_text_report_names_image_layer_and_instruction(images: BuiltImages) -> None:
    code, out, err = _run(images.leaky_docker.name, cwd=images.leaky_docker.parent)
    assert code == 1, err
    assert "leaky-docker.tar:/root/.ssh/id_ed25519:" in out
    assert "(deleted in a later layer, still in the image)" in out
    assert "    by:     step " in out and "COPY " in out
    assert "leaky-docker.tar:<config>:" in out
    assert "[docker-arg-secret-default]" in out
    assert "    layer:  " in out
    assert out.rstrip().splitlines()[-1].startswith("check-secrets: ")


def test_clean_image_exits_zero(images: BuiltImages) -> None:
    code, out, _ = _run(str(images.clean_docker), cwd=images.clean_docker.parent)
    assert code == 0
    assert "check-secrets: no findings" in out


def test_json_report_matches_the_schema(images: BuiltImages) -> None:
    code, out, _ = _run(str(images.leaky_oci_dir), "--format", "json", cwd=images.leaky_oci_dir.parent)
    assert code == 1
    report = json.loads(out)
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(report)
    by_path = {f["path"]: f for f in report["findings"]}
    key = by_path["root/.ssh/id_ed25519"]
    assert key["image"]["deleted_in_layer"] == key["image"]["layer_index"] + 1
    assert key["image"]["layer_digest"].startswith("sha256:")
    assert key["image"]["platform"] == "linux/amd64"
    assert all(f["image"]["name"] == str(images.leaky_oci_dir) for f in report["findings"])


def test_sarif_report_is_valid_and_puts_the_instruction_in_the_message(images: BuiltImages) -> None:
    code, out, _ = _run(str(images.leaky_docker), "--format", "sarif", cwd=images.leaky_docker.parent)
    assert code == 1
    log = json.loads(out)
    schema = json.loads((DATA_DIR / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    key = next(
        r
        for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("id_ed25519")
    )
    location = key["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "root/.ssh/id_ed25519"}  # the path in the image, not a file of the checkout
    assert "made by: COPY " in key["message"]["text"]
    assert "layer " in key["message"]["text"]


def test_baseline_accepts_todays_findings(images: BuiltImages, tmp_path: Path) -> None:
    baseline = tmp_path / "image-baseline.json"
    created = run_cli(
        "check-secrets",
        "baseline",
        "create",
        "--image",
        "-o",
        str(baseline),
        str(images.leaky_docker),
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    code, out, _ = _run(str(images.leaky_docker), "--baseline", str(baseline), cwd=tmp_path)
    assert code == 0
    assert "baselined" in out
    # The same image in another export format has the same paths and secrets: the baseline accepts it too.
    code, _, _ = _run(str(images.leaky_oci_archive), "--baseline", str(baseline), cwd=tmp_path)
    assert code == 0


def test_platform_selects_one_image_of_an_index(images: BuiltImages) -> None:
    code, out, _ = _run(
        str(images.multi_platform), "--platform", "linux/arm64", cwd=images.multi_platform.parent
    )
    assert code == 1 and "/etc/app.env" in out
    code, out, _ = _run(
        str(images.multi_platform), "--platform", "linux/amd64", cwd=images.multi_platform.parent
    )
    assert code == 0
    code, _, err = _run(str(images.multi_platform), "--platform", "amd64", cwd=images.multi_platform.parent)
    assert code == 2 and "invalid platform" in err


def test_fail_on_and_disable_work_as_for_scan(images: BuiltImages) -> None:
    code, out, _ = _run(
        str(images.leaky_docker),
        "--format",
        "json",
        "--disable",
        "docker-arg-secret-default",
        cwd=images.leaky_docker.parent,
    )
    assert code == 1
    assert "docker-arg-secret-default" not in {f["rule"] for f in json.loads(out)["findings"]}


def test_archive_from_standard_input(images: BuiltImages) -> None:
    import gzip

    piped = subprocess.run(
        [str(BIN_DIR / "check-secrets"), "image", "-", "--format", "json"],
        cwd=images.leaky_docker.parent,
        input=gzip.compress(images.leaky_docker.read_bytes(), compresslevel=1),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 1, piped.stderr
    report = json.loads(piped.stdout)
    assert {f["image"]["name"] for f in report["findings"]} == {"-"}
    assert "root/.ssh/id_ed25519" in {f["path"] for f in report["findings"]}


def test_unreadable_images_are_one_line_errors(images: BuiltImages, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar"
    data = images.leaky_docker.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    for target, expected in (
        (cut, "truncated"),
        (tmp_path / "missing.tar", "no such file or directory"),
        (DATA_DIR / "sarif-schema-2.1.0.json", "not a tar archive"),
    ):
        code, out, err = _run(str(target), cwd=tmp_path)
        assert code == 2, (target, err)
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("check-secrets: error: ") and expected in lines[0], err
