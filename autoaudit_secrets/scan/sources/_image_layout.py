"""The structure of saved container images: which images an archive or layout holds, their configurations and
their layers, without a daemon or network.

Three inputs:

* a ``docker save`` / ``podman save`` archive (``manifest.json`` naming each image's config and layer files;
  Docker 25+ archives are also OCI layouts) — a tar, possibly gzip-compressed;
* an OCI image layout folder (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``);
* an ``oci-archive`` (the same layout in a tar).

An archive is read in **one streaming pass**: small JSON members are kept in memory, every member that looks
like a layer (a tar, gzip or zstd by its magic bytes) is handed to the caller to scan as it goes by, links
between members are remembered; the structure is resolved afterwards. A layout folder is resolved first
and its blobs opened by digest (inside the folder only).

Every JSON document is hostile input: wrong types, missing keys, digests that would leave the folder are one
:class:`ImageError` line each.
"""

from __future__ import annotations

import dataclasses
import json
import os
import posixpath
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..._errors import ImageError
from ._image_tar import Budget, ByteStream, TarReader, compression_of, is_tar_header, normalize_member_name

__all__ = [
    "ArchiveContents",
    "ImageEntry",
    "LayerRef",
    "image_entries",
    "open_layout_blob",
    "read_archive",
    "read_layout_json",
]

_MAX_JSON = 16 * 1024 * 1024
_DIGEST = re.compile(r"^(?P<alg>[a-z0-9]+(?:[+._-][a-z0-9]+)*):(?P<hex>[a-zA-Z0-9=_-]{16,256})$")
_INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
_MAX_NESTING = 4


@dataclass(frozen=True, slots=True)
class LayerRef:
    """One layer of an image: where its bytes are (``blob``: a member of the archive, or a file of the layout
    folder), its descriptor digest (``""`` in docker-save manifests) and its ``diff_id`` from the config."""

    blob: str
    digest: str = ""
    diff_id: str = ""

    @property
    def shown_digest(self) -> str:
        """The digest reports show: the uncompressed ``diff_id`` when known (the one ``docker inspect`` lists
        and the same in every export format), else the descriptor's."""
        return self.diff_id or self.digest


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One image (one platform of a multi-platform index) ready to scan."""

    name: str
    platform: str
    config: Mapping[str, Any]
    layers: tuple[LayerRef, ...]


@dataclass(slots=True)
class ArchiveContents:
    """What one streaming pass over an archive kept: small JSON members, links between members, and the names
    of the members handed over as layer candidates."""

    jsons: dict[str, bytes] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    candidates: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)  # every regular file member

    def resolve(self, name: str) -> str:
        """``name`` with links between members followed (a few hops at most)."""
        seen = 0
        while name in self.links and seen < 8:
            name = self.links[name]
            seen += 1
        return name


class _MemberFile:
    """The current member of an outer tar as a read-only file object (for a :class:`ByteStream`)."""

    def __init__(self, reader: TarReader, head: bytes) -> None:
        self._reader = reader
        self._head = head

    def read(self, count: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head[:count], self._head[count:]
            return data
        return self._reader.read(count if count >= 0 else self._reader.remaining)


OnBlob = Callable[[str, ByteStream], None]


def read_archive(source: Path | BinaryIO, label: str, budget: Budget, on_blob: OnBlob) -> ArchiveContents:
    """One pass over the archive at ``source`` (a path, or an open binary stream such as standard input): JSON
    members kept, layer-like members passed to ``on_blob(name, stream)`` (the stream reads the member through
    its compression), links recorded."""
    contents = ArchiveContents()
    opened = _open_regular(source, label) if isinstance(source, Path) else _Closing(source, close=False)
    with opened as raw:
        outer = ByteStream(raw, label, budget)
        reader = TarReader(outer)
        for member in reader:
            name = normalize_member_name(member.name)
            if name is None:
                continue
            if member.kind in ("symlink", "hardlink"):
                target = member.linkname
                if member.kind == "symlink" and not target.startswith("/"):
                    target = posixpath.join(posixpath.dirname(name), target)
                resolved = normalize_member_name(target)
                if resolved is not None:
                    contents.links[name] = resolved
                continue
            if member.kind != "file":
                continue
            contents.members.add(name)
            head = reader.read(512)
            stripped = head.lstrip()
            if stripped[:1] in (b"{", b"[") and member.size <= _MAX_JSON:
                contents.jsons[name] = head + reader.read(member.size)
            elif compression_of(head) or (len(head) == 512 and is_tar_header(head)):
                contents.candidates.add(name)
                inner = ByteStream(_MemberFile(reader, head), f"{label}: {name}", budget)  # type: ignore[arg-type]
                on_blob(name, inner)
        outer.drain()
    return contents


class _Closing:
    def __init__(self, handle: BinaryIO, *, close: bool = True) -> None:
        self.handle = handle
        self.close = close

    def __enter__(self) -> BinaryIO:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.close:
            self.handle.close()


def _open_regular(path: Path, label: str) -> _Closing:
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ImageError(f"{label}: cannot open ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ImageError(f"{label}: not a regular file")
        handle = os.fdopen(fd, "rb", buffering=1024 * 1024)
    except BaseException:
        os.close(fd)
        raise
    return _Closing(handle)


# ------------------------------------------------------------------------------------------- layout folders


def _blob_path(digest: str, label: str) -> str:
    match = _DIGEST.match(digest)
    if match is None:
        raise ImageError(f"{label}: invalid digest {digest[:80]!r}")
    return f"blobs/{match.group('alg')}/{match.group('hex')}"


def open_layout_blob(root: Path, relpath: str, label: str) -> _Closing:
    """A blob file of a layout folder, opened for reading: it must be a regular file inside the folder."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, relpath))
    if not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise ImageError(f"{label}: {relpath} leads outside the layout folder")
    if not os.path.exists(real):
        raise ImageError(f"{label}: missing blob {relpath}")
    return _open_regular(Path(real), f"{label}: {relpath}")


def read_layout_json(root: Path, relpath: str, label: str) -> bytes | None:
    """A small JSON file of a layout folder, or ``None`` when it does not exist."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, relpath))
    if not real.startswith(real_root.rstrip(os.sep) + os.sep) or not os.path.exists(real):
        return None
    with _open_regular(Path(real), f"{label}: {relpath}") as handle:
        data = handle.read(_MAX_JSON + 1)
    if len(data) > _MAX_JSON:
        raise ImageError(f"{label}: {relpath} is too large for image metadata")
    return data


# ------------------------------------------------------------------------------------------- structure


def _parse(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise ImageError(f"{what}: not valid JSON") from None


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ImageError(f"{what}: expected a JSON object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImageError(f"{what}: expected a JSON array")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ImageError(f"{what}: expected a string")
    return value


Lookup = Callable[[str], bytes | None]  # a JSON document by its path in the archive/layout, None if absent


def _platform(descriptor: Mapping[str, Any] | None, config: Mapping[str, Any]) -> str:
    source: Mapping[str, Any] = config
    if descriptor and isinstance(descriptor.get("platform"), dict):
        source = descriptor["platform"]
    parts = [source.get("os"), source.get("architecture"), source.get("variant")]
    return "/".join(p for p in parts if isinstance(p, str) and p)


def _matches_platform(platform: str, wanted: str | None) -> bool:
    if not wanted:
        return True
    if platform == wanted:
        return True
    # "linux/arm64" selects "linux/arm64/v8"
    return platform.startswith(wanted.rstrip("/") + "/")


def _diff_ids(config: Mapping[str, Any], what: str) -> list[str]:
    rootfs = config.get("rootfs")
    if not isinstance(rootfs, dict):
        return []
    return [
        d if isinstance(d, str) else "" for d in _list(rootfs.get("diff_ids"), f"{what}: rootfs.diff_ids")
    ]


def _oci_entries(
    lookup: Lookup, label: str, platform: str | None, index_path: str = "index.json"
) -> list[ImageEntry]:
    data = lookup(index_path)
    if data is None:
        raise ImageError(f"{label}: {index_path} is missing")
    entries: list[ImageEntry] = []
    seen: set[str] = set()

    def blob_json(digest: str, what: str) -> Any:
        path = _blob_path(digest, f"{label}: {what}")
        raw = lookup(path)
        if raw is None:
            raise ImageError(f"{label}: {what} {digest[:80]} is missing")
        return _parse(raw, f"{label}: {what} {digest[:19]}")

    def visit(index: dict[str, Any], depth: int, ref_name: str) -> None:
        if depth > _MAX_NESTING:
            raise ImageError(f"{label}: image indexes nested too deep")
        for i, desc_any in enumerate(_list(index.get("manifests"), f"{label}: manifests")):
            desc = _dict(desc_any, f"{label}: manifests[{i}]")
            digest = _str(desc.get("digest"), f"{label}: manifests[{i}].digest")
            media = desc.get("mediaType") if isinstance(desc.get("mediaType"), str) else ""
            found = desc.get("annotations")
            annotations: dict[str, Any] = found if isinstance(found, dict) else {}
            name = ref_name
            ref = annotations.get("org.opencontainers.image.ref.name")
            if isinstance(ref, str) and ref and not ref_name:
                name = ref
            if isinstance(annotations.get("vnd.docker.reference.type"), str):
                continue  # an attestation (SBOM, provenance), not an image
            document = _dict(blob_json(digest, "manifest"), f"{label}: manifest {digest[:19]}")
            doc_media = document.get("mediaType") if isinstance(document.get("mediaType"), str) else ""
            if media in _INDEX_TYPES or doc_media in _INDEX_TYPES or "manifests" in document:
                visit(document, depth + 1, name)
                continue
            config_desc = _dict(document.get("config"), f"{label}: manifest {digest[:19]} config")
            config_digest = _str(config_desc.get("digest"), f"{label}: config digest")
            config = _dict(blob_json(config_digest, "config"), f"{label}: config {config_digest[:19]}")
            plat = _platform(desc, config)
            if plat == "unknown/unknown" or not _matches_platform(plat, platform):
                continue
            if digest in seen:
                continue
            seen.add(digest)
            diff_ids = _diff_ids(config, f"{label}: config")
            layers: list[LayerRef] = []
            for j, layer_any in enumerate(_list(document.get("layers"), f"{label}: layers")):
                layer = _dict(layer_any, f"{label}: layers[{j}]")
                layer_digest = _str(layer.get("digest"), f"{label}: layers[{j}].digest")
                layers.append(
                    LayerRef(
                        blob=_blob_path(layer_digest, f"{label}: layers[{j}]"),
                        digest=layer_digest,
                        diff_id=diff_ids[j] if j < len(diff_ids) else "",
                    )
                )
            shown = f"{label}@{name}" if name and name != label else label
            entries.append(ImageEntry(name=shown, platform=plat, config=config, layers=tuple(layers)))

    visit(_dict(_parse(data, f"{label}: {index_path}"), f"{label}: {index_path}"), 0, "")
    if len({e.name for e in entries}) == 1:
        # One image (or the platforms of one): the reference name says nothing the path does not.
        entries = [dataclasses.replace(e, name=label) for e in entries]
    return entries


def _docker_entries(lookup: Lookup, label: str, platform: str | None) -> list[ImageEntry]:
    data = lookup("manifest.json")
    assert data is not None
    entries: list[ImageEntry] = []
    items = _list(_parse(data, f"{label}: manifest.json"), f"{label}: manifest.json")
    for i, item_any in enumerate(items):
        item = _dict(item_any, f"{label}: manifest.json[{i}]")
        config_name = normalize_member_name(_str(item.get("Config"), f"{label}: manifest.json[{i}].Config"))
        raw = lookup(config_name) if config_name else None
        if raw is None:
            raise ImageError(f"{label}: the image config {str(item.get('Config'))[:80]} is missing")
        config = _dict(_parse(raw, f"{label}: {config_name}"), f"{label}: {config_name}")
        plat = _platform(None, config)
        if not _matches_platform(plat, platform):
            continue
        diff_ids = _diff_ids(config, f"{label}: {config_name}")
        layers: list[LayerRef] = []
        for j, layer_any in enumerate(_list(item.get("Layers"), f"{label}: manifest.json[{i}].Layers")):
            layer_name = normalize_member_name(_str(layer_any, f"{label}: manifest.json[{i}].Layers[{j}]"))
            if layer_name is None:
                raise ImageError(f"{label}: manifest.json[{i}].Layers[{j}] is not a valid member name")
            digest = ""
            hexpart = layer_name.removeprefix("blobs/sha256/").removesuffix(".tar")
            if re.fullmatch(r"[0-9a-f]{64}", hexpart):
                digest = f"sha256:{hexpart}"
            layers.append(
                LayerRef(blob=layer_name, digest=digest, diff_id=diff_ids[j] if j < len(diff_ids) else "")
            )
        tags = [t for t in _list(item.get("RepoTags"), f"{label}: RepoTags") if isinstance(t, str)]
        name = f"{label}@{tags[0]}" if tags and len(items) > 1 else label
        entries.append(ImageEntry(name=name, platform=plat, config=config, layers=tuple(layers)))
    return entries


def image_entries(lookup: Lookup, label: str, platform: str | None) -> list[ImageEntry]:
    """Every image the archive/layout holds (each platform of an index), restricted to ``platform``
    (``os/arch[/variant]``) when given. Raises :class:`ImageError` when none is found."""
    if lookup("index.json") is not None and (
        lookup("oci-layout") is not None or lookup("manifest.json") is None
    ):
        entries = _oci_entries(lookup, label, platform)
    elif lookup("manifest.json") is not None:
        entries = _docker_entries(lookup, label, platform)
    else:
        raise ImageError(
            f"{label}: not a container image (no manifest.json or index.json: expected a docker/podman save "
            "archive, an OCI layout folder or an oci-archive)"
        )
    if not entries:
        if platform:
            raise ImageError(f"{label}: no image for platform {platform}")
        raise ImageError(f"{label}: holds no image")
    return entries


def known_platforms(entries: Sequence[ImageEntry]) -> list[str]:
    return sorted({e.platform for e in entries if e.platform})
