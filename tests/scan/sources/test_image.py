"""check-secrets image on real images built offline with buildah: every leak class found and attributed to the
instruction that caused it, nothing on an image that uses secrets correctly, the same report from every export
format, and every platform of a multi-platform index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig
from autoaudit_secrets.scan._model import Finding
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._image import CONFIG_PATH, ImageScanOptions, ImageScanResult, scan_images
from tests.scan.sources.conftest import LEAKS, BuiltImages


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(ScanConfig())


def _scan(scanner: Scanner, path: Path, **options: object) -> ImageScanResult:
    return scan_images(scanner, [path], ImageScanOptions(**options))  # type: ignore[arg-type]


def _one(
    findings: list[Finding], *, path: str, rule: str | None = None, secret: str | None = None
) -> Finding:
    hits = [
        f
        for f in findings
        if f.path == path and (rule is None or f.rule_id == rule) and (secret is None or f.secret == secret)
    ]
    assert hits, f"no finding at {path} ({rule}); found: {[(f.path, f.rule_id) for f in findings]}"
    return hits[0]


def test_build_argument_value_in_history(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    finding = _one(result.findings, path=CONFIG_PATH, secret=LEAKS.build_arg)
    assert finding.rule_id == "docker-arg-secret-default"
    assert "build arguments are recorded in the image history" in finding.message
    origin = finding.image
    assert origin is not None and origin.config_field == "history"
    # The first RUN after `ARG DEPLOY_TOKEN` records the value: `RUN mkdir -p /app /root/.ssh`.
    assert origin.created_by.startswith("RUN mkdir -p /app /root/.ssh")
    assert "(build args: DEPLOY_TOKEN)" in origin.created_by
    assert finding.line == origin.history_index
    # One finding for the value, although every later RUN records it again.
    assert sum(1 for f in result.findings if f.secret == LEAKS.build_arg) == 1


def test_key_copied_then_deleted_is_still_reported(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    finding = _one(result.findings, path="root/.ssh/id_ed25519")
    origin = finding.image
    assert origin is not None
    assert "deleted in a later layer, still in the image" in finding.message
    assert origin.created_by.startswith("COPY ")
    assert "/root/.ssh/" in origin.created_by
    assert origin.deleted_in == origin.layer_index + 1  # the next layer: RUN rm /root/.ssh/id_ed25519
    assert origin.layer_digest.startswith("sha256:")


def test_token_written_by_run(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    in_file = _one(result.findings, path="app/credentials", secret=LEAKS.run_token)
    assert in_file.image is not None
    assert in_file.image.created_by.startswith("RUN echo ")
    assert in_file.image.created_by.endswith("> /app/credentials (build args: DEPLOY_TOKEN)")
    assert "deleted" not in in_file.message
    in_history = _one(result.findings, path=CONFIG_PATH, secret=LEAKS.run_token)
    assert in_history.rule_id == "docker-run-secret"
    assert in_history.image is not None
    assert in_history.image.layer_index == in_file.image.layer_index


def test_mounted_build_secret_copied_into_the_filesystem(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    in_file = _one(result.findings, path="app/.npmrc")
    assert in_file.image is not None
    assert "cat /run/secrets/npmrc > /app/.npmrc" in in_file.image.created_by
    persisted = _one(result.findings, path=CONFIG_PATH, rule="docker-mounted-secret-persisted")
    assert persisted.image is not None
    assert persisted.image.layer_index == in_file.image.layer_index


def test_dotenv_swept_in_by_copy(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    finding = _one(result.findings, path="app/.env", secret=LEAKS.dotenv_stripe)
    assert finding.line == 1
    assert finding.image is not None and finding.image.created_by.startswith("COPY ")
    assert finding.image.created_by.endswith(" /app/")


def test_secret_label_and_env(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    label = _one(result.findings, path=CONFIG_PATH, secret=LEAKS.label_webhook)
    assert label.rule_id == "docker-label-secret"
    assert label.image is not None and label.image.created_by.startswith("LABEL com.example.alerts=")
    env = _one(result.findings, path=CONFIG_PATH, secret=LEAKS.env_secret)
    assert env.rule_id == "docker-env-secret"
    assert env.image is not None and env.image.created_by.startswith("ENV JWT_SECRET=")
    # Reported once, at the history step, although Env and Labels hold the same values.
    assert sum(1 for f in result.findings if f.secret == LEAKS.env_secret) == 1
    assert sum(1 for f in result.findings if f.secret == LEAKS.label_webhook) == 1


def test_shown_instructions_never_hold_a_secret(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker)
    shown = "\n".join(f.image.created_by for f in result.findings if f.image is not None)
    for index, secret in enumerate(LEAKS.all()):
        for piece in (secret, secret.strip().splitlines()[0]):
            if piece in shown:
                pytest.fail(f"secret #{index} shown in an instruction", pytrace=False)
    assert "**********" in shown


def test_clean_image_reports_nothing(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.clean_docker)
    assert [(f.path, f.rule_id, f.message) for f in result.findings] == []
    assert result.stats.files_scanned >= 1  # /version at least: the layers were read


def test_every_export_format_gives_the_same_findings(scanner: Scanner, built_images: BuiltImages) -> None:
    def key(result: ImageScanResult) -> list[tuple[object, ...]]:
        return sorted(
            (f.path, f.line, f.rule_id, f.secret, f.image.layer_digest if f.image else "", f.message)
            for f in result.findings
        )

    docker = key(_scan(scanner, built_images.leaky_docker))
    assert docker == key(_scan(scanner, built_images.leaky_oci_archive))
    assert docker == key(_scan(scanner, built_images.leaky_oci_dir))
    assert len(docker) >= 8


def test_zstd_compressed_layers_give_the_same_findings(scanner: Scanner, built_images: BuiltImages) -> None:
    """An image pushed with zstd layers (BuildKit's ``compression=zstd``, containerd): the same secrets, at
    the same paths and by the same rules, as its gzip export (layer digests differ: they name the
    compressed bytes)."""
    import tarfile

    with tarfile.open(built_images.leaky_zstd) as archive:
        index = json.loads(archive.extractfile("index.json").read())  # type: ignore[union-attr]
        manifest_digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.loads(archive.extractfile(f"blobs/sha256/{manifest_digest}").read())  # type: ignore[union-attr]
    assert {layer["mediaType"] for layer in manifest["layers"]} == {
        "application/vnd.oci.image.layer.v1.tar+zstd"
    }  # (the fixture really is zstd)

    def key(result: ImageScanResult) -> list[tuple[object, ...]]:
        return sorted((f.path, f.line, f.rule_id, f.secret, f.message) for f in result.findings)

    assert key(_scan(scanner, built_images.leaky_zstd)) == key(_scan(scanner, built_images.leaky_oci_archive))


def test_gzip_compressed_archive(scanner: Scanner, built_images: BuiltImages, tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "leaky.tar.gz"
    packed.write_bytes(gzip.compress(built_images.leaky_docker.read_bytes(), compresslevel=1))
    plain = _scan(scanner, built_images.leaky_docker).findings
    assert [(f.path, f.rule_id) for f in _scan(scanner, packed).findings] == [
        (f.path, f.rule_id) for f in plain
    ]


def test_multi_platform_index_scans_every_platform(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.multi_platform)
    assert sorted(result.images) == [
        f"{built_images.multi_platform} (linux/amd64)",
        f"{built_images.multi_platform} (linux/arm64)",
    ]
    platforms = {f.image.platform for f in result.findings if f.image is not None}
    assert platforms == {"linux/arm64"}  # only the arm64 image's /etc/app.env holds a token
    _one(result.findings, path="etc/app.env", secret=LEAKS.run_token)
    only_amd = _scan(scanner, built_images.multi_platform, platform="linux/amd64")
    assert only_amd.findings == []
    assert len(only_amd.images) == 1


def test_shared_layers_are_read_once(scanner: Scanner, built_images: BuiltImages) -> None:
    # leaky and clean share their first two layers (busybox, and its ~400 applet links): in one layout folder
    # those blobs are read once, for both images.
    leaky = _scan(scanner, built_images.leaky_oci_dir).stats
    clean = _scan(scanner, built_images.clean_docker).stats
    both = _scan(scanner, built_images.both_oci_dir)
    assert len(both.images) == 2
    assert {name.split("@")[-1].split(" ")[0] for name in both.images} == {"leaky", "clean"}
    # Every skipped member (the busybox binary, its links) is in the shared layers: counted once, not twice.
    assert leaky.files_skipped == clean.files_skipped > 200
    assert both.stats.files_skipped == leaky.files_skipped
    assert both.stats.files_scanned < leaky.files_scanned + clean.files_scanned


def test_exclude_skips_paths_in_the_image(scanner: Scanner, built_images: BuiltImages) -> None:
    result = _scan(scanner, built_images.leaky_docker, exclude=("app/**",))
    paths = {f.path for f in result.findings}
    assert "app/.env" not in paths and "app/credentials" not in paths
    assert "root/.ssh/id_ed25519" in paths
    # what was left out is counted, never read: each excluded file would have been scanned
    whole = _scan(scanner, built_images.leaky_docker)
    assert result.stats.paths_excluded > 1 and whole.stats.paths_excluded == 0
    assert result.stats.files_scanned + result.stats.paths_excluded == whole.stats.files_scanned
