"""check-secrets image on hand-made archives: malformed, truncated and hostile input is one ImageError line or
a counted skip — never a crash, never a write outside a temporary folder, never "clean" about what was not
read — and the tar details images use (pax and GNU long names, whiteouts, opaque folders, links) are
understood."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from autoaudit_secrets._errors import ImageError
from autoaudit_secrets.scan import ScanConfig
from autoaudit_secrets.scan.engine._scanner import Scanner
from autoaudit_secrets.scan.sources._image import (
    ImageScanOptions,
    ImageScanResult,
    is_binary_magic,
    scan_images,
)
from tests.scan.sources.conftest import LEAKS

TOKEN = LEAKS.run_token  # a GitHub token shape every rule set knows
Member = tuple[str, bytes | None, str]  # (name, data, kind: file|dir|symlink|hardlink), link target in data


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(ScanConfig())


def layer_tar(members: Sequence[Member], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = (data or b"").decode()
                tar.addfile(info)
            else:
                payload = data or b""
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def docker_archive(
    path: Path,
    layers: Sequence[bytes],
    *,
    history: Sequence[str] | None = None,
    config_extra: dict[str, object] | None = None,
    manifest: object | None = None,
) -> Path:
    """A docker-save archive: manifest.json, the config, one member per layer."""
    diff_ids = [f"sha256:{hashlib.sha256(layer).hexdigest()}" for layer in layers]
    config: dict[str, object] = {
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": step} for step in (history or [f"COPY layer{i} /" for i in range(len(layers))])
        ],
    }
    config.update(config_extra or {})
    config_bytes = json.dumps(config).encode()
    names = [f"{d.split(':')[1]}.tar" for d in diff_ids]
    entries: list[Member] = [(name, layer, "file") for name, layer in zip(names, layers, strict=True)]
    entries.append(("config.json", config_bytes, "file"))
    if manifest is None:
        manifest = [{"Config": "config.json", "RepoTags": ["test:latest"], "Layers": names}]
    entries.append(("manifest.json", json.dumps(manifest).encode(), "file"))
    path.write_bytes(layer_tar(entries, fmt=tarfile.USTAR_FORMAT))
    return path


def scan(scanner: Scanner, path: Path, **options: object) -> ImageScanResult:
    return scan_images(scanner, [path], ImageScanOptions(**options))  # type: ignore[arg-type]


def error_of(scanner: Scanner, path: Path, **options: object) -> str:
    with pytest.raises(ImageError) as info:
        scan(scanner, path, **options)
    message = str(info.value)
    assert "\n" not in message
    assert TOKEN not in message
    return message


# ---------------------------------------------------------------------------------------- well-formed input


def test_a_token_in_a_layer(scanner: Scanner, tmp_path: Path) -> None:
    archive = docker_archive(
        tmp_path / "a.tar", [layer_tar([("app/config.py", f"T = '{TOKEN}'\n".encode(), "file")])]
    )
    result = scan(scanner, archive)
    assert [(f.path, f.rule_id, f.line) for f in result.findings] == [
        ("app/config.py", "github-pat-classic", 1)
    ]


def test_gzip_layers_and_long_names(scanner: Scanner, tmp_path: Path) -> None:
    deep = "/".join(["d" * 60] * 4) + "/settings.env"  # longer than the 100 bytes of a ustar name field
    layers = [
        gzip.compress(
            layer_tar([(deep, f"GITHUB_TOKEN={TOKEN}\n".encode(), "file")], fmt=tarfile.GNU_FORMAT)
        ),
        gzip.compress(layer_tar([(deep + ".pax", f"x={TOKEN}\n".encode(), "file")], fmt=tarfile.PAX_FORMAT)),
    ]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert {f.path for f in result.findings} == {deep, deep + ".pax"}


def test_whiteouts_and_opaque_folders(scanner: Scanner, tmp_path: Path) -> None:
    layers = [
        layer_tar(
            [
                ("etc/app/.env", f"TOKEN={TOKEN}\n".encode(), "file"),
                ("keep/k.py", f"'{TOKEN}'".encode(), "file"),
            ]
        ),
        layer_tar([("etc/.wh.app", b"", "file")]),  # deletes the folder
        layer_tar([("srv/a.py", f"'{TOKEN}'".encode(), "file")]),
        layer_tar([("srv/.wh..wh..opq", b"", "file"), ("srv/b.py", b"print(1)\n", "file")]),  # opaque folder
    ]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    deleted = {f.path: f.image.deleted_in for f in result.findings if f.image is not None}
    assert deleted == {"etc/app/.env": 2, "keep/k.py": 0, "srv/a.py": 4}
    for finding in result.findings:
        assert ("deleted in a later layer" in finding.message) == (finding.path != "keep/k.py")


def test_a_file_overwritten_later_is_still_in_the_image(scanner: Scanner, tmp_path: Path) -> None:
    layers = [
        layer_tar([("app/settings.py", f"TOKEN = '{TOKEN}'\n".encode(), "file")]),
        layer_tar(
            [("app/settings.py", b"TOKEN = os.environ['TOKEN']\n", "file")]
        ),  # the "fix", a layer later
    ]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert [(f.path, f.image.layer_index, f.image.deleted_in) for f in result.findings if f.image] == [
        ("app/settings.py", 1, 2)
    ]
    assert "still in the image" in result.findings[0].message


def test_binary_members_are_judged_by_magic_bytes_not_names(scanner: Scanner, tmp_path: Path) -> None:
    elf = b"\x7fELF" + f" {TOKEN} ".encode() * 3  # a token inside an executable: not text, not scanned
    text_named_bin = f"TOKEN={TOKEN}\n".encode()  # text, whatever the name says
    layers = [layer_tar([("usr/bin/tool", elf, "file"), ("usr/lib/data.bin", text_named_bin, "file")])]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert {f.path for f in result.findings} == {"usr/lib/data.bin"}
    assert result.stats.files_skipped == 1
    assert is_binary_magic(b"\x89PNG\r\n\x1a\n....") and not is_binary_magic(b"BZh is a word")


def test_history_of_hand_made_image_attributes_layers(scanner: Scanner, tmp_path: Path) -> None:
    layers = [
        layer_tar([("a.txt", b"x", "file")]),
        layer_tar([("root/creds", f"{TOKEN}\n".encode(), "file")]),
    ]
    history = [
        "/bin/sh -c #(nop) COPY file:abc in / ",
        "/bin/sh -c #(nop)  ENV PORT=8000",
        "RUN |1 NPM_TOKEN=" + TOKEN + " /bin/sh -c echo $NPM_TOKEN > /root/creds # buildkit",
    ]
    config_extra: dict[str, object] = {
        "history": [
            {"created_by": history[0]},
            {"created_by": history[1], "empty_layer": True},
            {"created_by": history[2]},
        ]
    }
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers, config_extra=config_extra))
    in_file = next(f for f in result.findings if f.path == "root/creds")
    assert in_file.image is not None
    assert in_file.image.layer_index == 2 and in_file.image.history_index == 3
    assert in_file.image.created_by == "RUN echo $NPM_TOKEN > /root/creds (build args: NPM_TOKEN)"
    arg = next(f for f in result.findings if f.path == "<config>")
    assert arg.rule_id == "docker-arg-secret-default" and arg.line == 3


# ---------------------------------------------------------------------------------------- hostile input


def test_path_traversal_names_are_skipped_and_nothing_is_written(scanner: Scanner, tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    layers = [
        layer_tar(
            [("../../" + str(target).lstrip("/"), f"{TOKEN}\n".encode(), "file"), ("a/../../b", b"x", "file")]
        )
    ]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert result.findings == []
    assert result.stats.files_skipped == 2
    assert not target.exists()


def test_absolute_names_are_paths_in_the_image(scanner: Scanner, tmp_path: Path) -> None:
    layers = [layer_tar([("/etc/app.env", f"GITHUB_TOKEN={TOKEN}\n".encode(), "file")])]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert [f.path for f in result.findings] == ["etc/app.env"]


def test_links_are_never_followed(scanner: Scanner, tmp_path: Path) -> None:
    host_file = tmp_path / "host-secret.txt"
    host_file.write_text(f"{TOKEN}\n")  # what an absolute symlink in the image would point at on this machine
    layers = [
        layer_tar(
            [
                ("etc/token", str(host_file).encode(), "symlink"),
                ("app/real.txt", f"{TOKEN}\n".encode(), "file"),
                ("app/hard.txt", b"app/real.txt", "hardlink"),
                ("app/up", b"../../../../etc", "symlink"),
            ]
        )
    ]
    result = scan(scanner, docker_archive(tmp_path / "a.tar", layers))
    assert [f.path for f in result.findings] == ["app/real.txt"]
    assert result.stats.files_skipped == 3


def test_huge_member_is_scanned_at_both_ends_as_scan_does(scanner: Scanner, tmp_path: Path) -> None:
    filler = ("x" * 99 + "\n").encode() * 30000  # 3 MB of lines
    other = LEAKS.build_arg
    big = f"a = '{TOKEN}'\n".encode() + filler + f"c = '{LEAKS.dotenv_stripe}'\n".encode() + filler
    big += f"b = '{other}'\n".encode()
    result = scan(
        scanner,
        docker_archive(tmp_path / "a.tar", [layer_tar([("big.txt", big, "file")])]),
        max_file_size=1024 * 1024,
    )
    names = {TOKEN: "first", LEAKS.dotenv_stripe: "middle", other: "last"}
    found = {(names.get(f.secret, "?"), f.line) for f in result.findings}
    # The first and last 512 KiB are scanned (with the real line numbers), the middle is streamed past.
    assert found == {("first", 1), ("last", 60003)}
    assert result.stats.files_truncated == 1


def test_tar_bomb_stops_at_the_byte_budget(scanner: Scanner, tmp_path: Path) -> None:
    bomb = gzip.compress(layer_tar([("zeros", bytes(40 * 1024 * 1024), "file")]), compresslevel=9)
    assert len(bomb) < 200 * 1024
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [bomb]), max_unpacked=8 * 1024 * 1024)
    assert "more than 8 MiB unpacked (a tar bomb?)" in message


def test_truncated_archive(scanner: Scanner, tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "a.tar", [layer_tar([("a.py", f"'{TOKEN}'".encode(), "file")] * 3)])
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 3])
    assert "truncated" in error_of(scanner, cut)


def test_truncated_gzip_layer(scanner: Scanner, tmp_path: Path) -> None:
    layer = gzip.compress(layer_tar([("a.py", os.urandom(30000).hex().encode(), "file")]))
    archive = docker_archive(tmp_path / "a.tar", [layer[: len(layer) // 2]])
    message = error_of(scanner, archive)
    assert "truncated" in message and "layer 1" in message


def test_layer_that_is_not_a_tar(scanner: Scanner, tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "a.tar", [b"just some text, not a tar\n" * 40])
    assert error_of(scanner, archive).endswith("not a tar archive")


def test_corrupt_zstd_layer_is_an_error(scanner: Scanner, tmp_path: Path) -> None:
    layer = b"\x28\xb5\x2f\xfd" + b"\xff" * 600  # the zstd magic, then no valid frame
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [layer]))
    assert message.endswith("corrupt zstd data")


def _zstd_layer(files: int = 40) -> bytes:
    data = layer_tar([(f"f{i}.txt", f"line {i}\n".encode() * 200, "file") for i in range(files)])
    return _zstd_module().compress(data)


def _zstd_module() -> Any:
    try:
        from compression import zstd  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,unused-ignore,no-redef]
    return zstd


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.99])
def test_truncated_zstd_layer_is_an_error(scanner: Scanner, tmp_path: Path, cut: float) -> None:
    """A zstd stream that ends inside a frame: the layer is not read as a shorter one that is clean."""
    layer = _zstd_layer()
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [layer[: int(len(layer) * cut)]]))
    assert message.endswith("truncated (the zstd stream ends early)")


def test_zstd_layer_of_several_frames_is_read_whole(scanner: Scanner, tmp_path: Path) -> None:
    """Frames one after the other are one stream (as zstd -d reads them): a token in the second frame of a
    layer is found."""
    data = layer_tar(
        [("a.txt", b"nothing\n" * 100, "file"), ("b.txt", f"token = {TOKEN}\n".encode(), "file")]
    )
    zstd = _zstd_module()
    layer = zstd.compress(data[:1024]) + zstd.compress(data[1024:])
    result = scan_images(scanner, [docker_archive(tmp_path / "a.tar", [layer])], ImageScanOptions())
    assert [f.path for f in result.findings if f.secret == TOKEN] == ["b.txt"]


def test_zstd_bomb_is_stopped_by_the_unpacked_limit(scanner: Scanner, tmp_path: Path) -> None:
    layer = _zstd_module().compress(layer_tar([("zeros", bytes(64 << 20), "file")]))  # a few KiB
    assert len(layer) < 64 << 10
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [layer]), max_unpacked=8 * 1024 * 1024)
    assert "more than 8 MiB unpacked (a tar bomb?)" in message


def test_zstd_layer_without_the_module_names_the_package(
    scanner: Scanner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = _zstd_layer(files=1)
    monkeypatch.setitem(sys.modules, "compression", None)  # as if neither were installed: imports fail
    monkeypatch.setitem(sys.modules, "backports.zstd", None)
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [layer]))
    assert "zstd-compressed" in message and "pip install backports.zstd" in message


def test_corrupt_tar_header_in_a_layer(scanner: Scanner, tmp_path: Path) -> None:
    layer = bytearray(layer_tar([("a.txt", b"hello\n", "file"), ("b.txt", b"again\n", "file")]))
    layer[1024 + 10] ^= 0xFF  # the second header's name: its checksum no longer matches
    message = error_of(scanner, docker_archive(tmp_path / "a.tar", [bytes(layer)]))
    assert "corrupt tar header" in message


def test_missing_layer_and_missing_config(scanner: Scanner, tmp_path: Path) -> None:
    layer = layer_tar([("a.txt", b"x", "file")])
    manifest = [{"Config": "config.json", "Layers": ["nope.tar"]}]
    assert "missing from the archive" in error_of(
        scanner, docker_archive(tmp_path / "a.tar", [layer], manifest=manifest)
    )
    manifest = [{"Config": "other.json", "Layers": []}]
    assert "config" in error_of(scanner, docker_archive(tmp_path / "b.tar", [layer], manifest=manifest))


def test_malformed_metadata(scanner: Scanner, tmp_path: Path) -> None:
    layer = layer_tar([("a.txt", b"x", "file")])
    assert "expected a JSON array" in error_of(
        scanner, docker_archive(tmp_path / "a.tar", [layer], manifest={"x": 1})
    )
    bad = tmp_path / "bad.tar"
    bad.write_bytes(layer_tar([("manifest.json", b"[{not json", "file")]))
    assert "manifest.json: not valid JSON" in error_of(scanner, bad)


def test_not_an_image(scanner: Scanner, tmp_path: Path) -> None:
    plain = tmp_path / "plain.tar"
    plain.write_bytes(layer_tar([("README", b"hello\n", "file")]))
    assert "not a container image" in error_of(scanner, plain)
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    assert "not a tar archive" in error_of(scanner, empty)
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 200)
    assert "not a tar archive" in error_of(scanner, text)


def _layout(root: Path, index: dict[str, object], blobs: dict[str, bytes]) -> Path:
    (root / "blobs" / "sha256").mkdir(parents=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps(index))
    for digest, data in blobs.items():
        (root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
    return root


def test_layout_digests_cannot_leave_the_folder(scanner: Scanner, tmp_path: Path) -> None:
    index = {"manifests": [{"digest": "sha256:../../../../etc/passwd", "mediaType": "x"}]}
    assert "invalid digest" in error_of(scanner, _layout(tmp_path / "l1", index, {}))
    # A blob that is a symlink to a file outside the layout folder is refused, not read.
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"config": {"digest": "sha256:" + "a" * 64}, "layers": []}))
    digest = "sha256:" + "b" * 64
    root = _layout(tmp_path / "l2", {"manifests": [{"digest": digest}]}, {})
    (root / "blobs" / "sha256" / ("b" * 64)).symlink_to(outside)
    assert "missing" in error_of(scanner, root) or "outside" in error_of(scanner, root)


def _oci_image(root: Path, layer: bytes, *, claimed: str | None = None) -> Path:
    """An OCI layout with one image of one layer (stored under ``claimed`` digest, default its own)."""
    layer_digest = claimed or "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"diff_ids": []}}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps(
        {"config": {"digest": config_digest}, "layers": [{"digest": layer_digest, "mediaType": "x"}]}
    ).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    blobs = {layer_digest: layer, config_digest: config, manifest_digest: manifest}
    return _layout(root, {"manifests": [{"digest": manifest_digest}]}, blobs)


def test_a_layer_shared_by_two_layouts_is_scanned_once(scanner: Scanner, tmp_path: Path) -> None:
    layer = layer_tar([("app/a.py", f"'{TOKEN}'".encode(), "file"), ("app/b.py", b"x = 1\n", "file")])
    first = _oci_image(tmp_path / "one", layer)
    second = _oci_image(tmp_path / "two", layer)
    result = scan_images(scanner, [first, second], ImageScanOptions())
    assert result.stats.files_scanned == 2  # not 4
    assert [f.image.image for f in result.findings if f.image] == [str(first), str(second)]


def test_a_blob_whose_name_lies_about_its_digest_is_an_error(scanner: Scanner, tmp_path: Path) -> None:
    genuine = layer_tar([("app/a.py", b"x = 1\n", "file")])
    digest = "sha256:" + hashlib.sha256(genuine).hexdigest()
    hidden = layer_tar([("app/a.py", f"'{TOKEN}'".encode(), "file")])
    first = _oci_image(tmp_path / "one", genuine)
    liar = _oci_image(tmp_path / "two", hidden, claimed=digest)
    with pytest.raises(ImageError) as info:
        scan_images(scanner, [first, liar], ImageScanOptions())
    assert "does not match its digest" in str(info.value)
    # Alone, the lying blob is simply scanned: its content is what the image holds.
    assert [f.path for f in scan(scanner, liar).findings] == ["app/a.py"]


def test_unknown_platform_is_an_error(scanner: Scanner, tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "a.tar", [layer_tar([("a.txt", b"x", "file")])])
    assert "no image for platform linux/s390x" in error_of(scanner, archive, platform="linux/s390x")
