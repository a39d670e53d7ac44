"""Container images as a source of documents: ``check-secrets image PATH...``.

For each image of a ``docker save``/``podman save`` archive (tar, also gzip), an OCI layout folder or an
``oci-archive`` (every platform of a multi-platform index, or the one ``--platform`` names):

* the **configuration** — each ``history[].created_by`` (build arguments included), ``Env``,
  ``Labels``, ``Entrypoint``/``Cmd``, ``Healthcheck``, ``User``, ``OnBuild`` — is scanned as Dockerfile text
  (token rules and Docker checks, :mod:`._image_config`); findings sit on the path ``<config>``, line =
  history step (or position in the field);
* **every layer's files** are streamed out of the layer tar (never unpacked on disk) and scanned like files of
  a tree — token rules, sensitive-file checks, ``.env`` analysis — under their path in the image. Members
  whose magic bytes say binary, compressed or image data get the by-name checks only. Files that a later layer
  deletes (``.wh.`` whiteouts, opaque folders) or replaces are reported too, marked "deleted in a later layer,
  still in the image": the bytes stay in the image for anyone who pulls it;
* each finding carries an :class:`~autoaudit_secrets.scan._model.ImageOrigin`: image, platform, layer index
  and digest, and the history entry that made the layer, secrets masked.

A layer blob is scanned once per run even when several images, platforms or archives share it (by its sha256
digest, checked by hashing the later copies: a blob whose name lies is an error). Anything that cannot be read
— a truncated archive, a layer that is not a tar, a missing blob, more unpacked bytes than the budget — is an
:class:`ImageError`: the scan never reports "clean" about what it did not read. Path-traversal names, links,
and devices are skipped and counted (``files_skipped``); oversized members are scanned at both ends.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..._errors import ImageError
from ..._safe_read import head_and_tail
from .._model import Finding, ImageOrigin, ScanStats
from ._image_config import HistoryStep, config_documents, history_steps, shown_instruction
from ._image_layout import (
    ArchiveContents,
    ImageEntry,
    LayerRef,
    image_entries,
    open_layout_blob,
    read_archive,
    read_layout_json,
)
from ._image_tar import Budget, ByteStream, TarReader, normalize_member_name
from ._tree import exclude_matcher
from ._unpacked import DEFAULT_UNPACKED_TOTAL, UnpackedTotal

if TYPE_CHECKING:
    from ..engine._scanner import Scanner

__all__ = ["CONFIG_PATH", "ImageScanOptions", "ImageScanResult", "is_binary_magic", "scan_images"]

#: The path of findings in an image's configuration (history, Env, Labels, ...).
CONFIG_PATH = "<config>"
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_HEAD = 8192

# Leading bytes of files that cannot hold a text secret: executables, compressed data, images, fonts, ...
_MAGIC: tuple[bytes, ...] = (
    b"\x7fELF",  # ELF executables and libraries
    b"\x1f\x8b",  # gzip
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\xfd7zXZ\x00",  # xz
    b"BZh",  # bzip2 (checked with its block magic below)
    b"PK\x03\x04",  # zip, jar, wheel
    b"PK\x05\x06",  # empty zip
    b"7z\xbc\xaf\x27\x1c",  # 7-zip
    b"Rar!\x1a\x07",  # rar
    b"!<arch>\n",  # ar (.a, .deb)
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x01\x00",  # ICO
    b"wOFF",
    b"wOF2",
    b"\xca\xfe\xba\xbe",  # Java class / Mach-O universal
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\x00asm",  # WebAssembly
)


def is_binary_magic(head: bytes) -> bool:
    """Whether a file's first bytes say it is an executable, compressed data, an image or a font."""
    if head.startswith(b"BZh"):
        return head[4:10] == b"1AY&SY"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return True
    if head[4:8] == b"ftyp":  # MP4/HEIF/AVIF
        return True
    return head.startswith(_MAGIC) or (len(head) > 262 and head[257:262] == b"ustar")


@dataclass(frozen=True, slots=True)
class ImageScanOptions:
    """One ``check-secrets image`` run."""

    platform: str | None = None  # os/arch[/variant]; None: every platform
    max_file_size: int = 10 * 1024 * 1024
    max_unpacked: int = 64 * 1024**3  # decompressed bytes over the whole run (a tar bomb's limit)
    exclude: tuple[str, ...] = ()  # gitignore-style globs of paths in the image not to scan
    # archives in the layers (a jar, a wheel in a pip cache, a .tar.gz): how deep they are opened (0: not at
    # all); each is read within its own budget (ArchiveLimits.unpacked), besides max_unpacked's, and all of
    # them together within archive_unpacked_total (see sources._unpacked)
    archive_depth: int = 2
    archive_unpacked_total: int = DEFAULT_UNPACKED_TOTAL


@dataclass(slots=True)
class ImageScanResult:
    findings: list[Finding]
    stats: ScanStats
    images: list[str] = field(default_factory=list)  # "name (platform)" of each image scanned


@dataclass(slots=True)
class _Layer:
    """What one layer blob holds, as far as the image's other layers need to know: its findings (paths in the
    image, no origin yet), every non-folder path it writes, its whiteouts and opaque folders."""

    findings: list[Finding] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    whiteouts: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    error: str | None = None  # why the blob could not be read (to report if an image uses it)
    fatal: str | None = None  # the archive itself could not be read further


def _scan_layer(
    stream: ByteStream,
    scanner: Scanner,
    options: ImageScanOptions,
    stats: ScanStats,
    excluded: Callable[[str], bool],
) -> _Layer:
    layer = _Layer()
    reader = TarReader(stream)
    for member in reader:
        name = normalize_member_name(member.name)
        if name is None:
            stats.files_skipped += 1  # "../" that leaves the root, or an empty name
            continue
        base = posixpath.basename(name)
        if base.startswith(_WHITEOUT):
            parent = posixpath.dirname(name)
            if base == _OPAQUE:
                layer.opaque.add(parent)
            elif len(base) > len(_WHITEOUT):
                layer.whiteouts.add(posixpath.join(parent, base[len(_WHITEOUT) :]))
            continue
        if member.kind == "dir":
            continue
        layer.paths.add(name)
        if member.kind != "file":
            stats.files_skipped += 1  # links (never followed), devices, FIFOs, sparse files
            continue
        if excluded(name):
            stats.paths_excluded += 1
            continue
        head = reader.read(_HEAD)
        if is_binary_magic(head):
            opened = _scan_member_archive(name, head, reader, member.size, scanner, options, stats)
            if opened is not None:
                layer.findings.extend(opened)
                continue
            layer.findings.extend(scanner.scan_bytes(name, head, stats, binary=True))
            continue
        if member.size > options.max_file_size:
            layer.findings.extend(
                _scan_large(name, head, reader, member.size, options.max_file_size, scanner, stats)
            )
            continue
        data = head + reader.read(member.size - len(head)) if member.size > len(head) else head
        layer.findings.extend(scanner.scan_bytes(name, data, stats))
    stream.drain()
    return layer


# Where OS packages put their documentation (gzip-compressed man pages, info pages, changelogs)
_PACKAGE_DOCS = ("usr/share/doc/", "usr/share/man/", "usr/share/info/")


def _scan_member_archive(
    name: str,
    head: bytes,
    reader: TarReader,
    size: int,
    scanner: Scanner,
    options: ImageScanOptions,
    stats: ScanStats,
) -> list[Finding] | None:
    """The findings in a layer's member that is an archive (see ``sources._archive``: a Spring Boot jar, a
    wheel left in a pip cache, a ``.tar.gz``), or None when it is not one or archives are not opened. It is
    held to be opened (zip seeks; see ``_archive.hold``), so one over the held size (1 GiB) is not opened
    (counted as an archive read partly). The compressed man pages, info pages and changelogs that OS packages
    install are left closed: thousands per image, written by the distribution, and full of documented example
    passwords (``password=secr3t`` in git-credential(1)) and test logs (``PASS: addr2line``)."""
    if options.archive_depth <= 0 or name.startswith(_PACKAGE_DOCS):
        return None
    from ._archive import ArchiveLimits, archive_kind, hold

    if archive_kind(head[:512]) is None:
        return None
    limits = ArchiveLimits(
        depth=options.archive_depth, member_size=options.max_file_size, total=scanner.unpacked_total
    )
    held = hold(head, reader.read, size, limits)
    if held is None:
        stats.archives_incomplete += 1
        return None
    with held:
        return scanner.scan_archive(name, lambda: held, stats, limits)


def _scan_large(
    name: str, first: bytes, reader: TarReader, size: int, limit: int, scanner: Scanner, stats: ScanStats
) -> list[Finding]:
    """A member larger than ``limit``, as ``scan`` treats a large file: its first and last ``limit / 2`` bytes
    (cut at line ends; findings in the tail keep their real line numbers), the middle streamed past."""
    (head, _), *rest = head_and_tail(reader.read, size, max(limit // 2, 1), first)
    stats.files_truncated += 1
    findings = scanner.scan_bytes(name, head, stats)
    for tail, newlines in rest:
        findings.extend(
            dataclasses.replace(f, line=f.line + newlines, end_line=f.end_line + newlines)
            for f in scanner.scan_bytes(name, tail, stats, analyzers=[], count=False)
            if f.line >= 1
        )
    return findings


def digest_of_name(name: str) -> str:
    """The sha256 digest a member name claims (``blobs/sha256/<hex>``, ``<hex>.tar``), or ``""``."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".tar")
    if len(stem) == 64 and all(c in "0123456789abcdef" for c in stem):
        return f"sha256:{stem}"
    return ""


def _under(path: str, folder: str) -> bool:
    return folder == "" or path.startswith(folder + "/")


def _deleted_in(path: str, index: int, layers: Sequence[_Layer]) -> int:
    """The 1-based index of the first layer after ``index`` (0-based) that deletes or replaces ``path`` (for
    a member of an archive, ``ARCHIVE!MEMBER``, the archive's file)."""
    if "!" in path and path not in layers[index].paths:
        path = path.split("!", 1)[0]
    for later in range(index + 1, len(layers)):
        layer = layers[later]
        if path in layer.paths or path in layer.whiteouts:
            return later + 1
        if any(_under(path, w) for w in layer.whiteouts) or any(_under(path, o) for o in layer.opaque):
            return later + 1
    return 0


def _layer_steps(entry: ImageEntry, steps: Sequence[HistoryStep]) -> list[HistoryStep | None]:
    """The history step of each layer: non-empty history entries map to layers in order (when the counts
    disagree, attribution is unknown)."""
    filled = [s for s in steps if not s.empty_layer]
    if len(filled) != len(entry.layers):
        return [None] * len(entry.layers)
    return list(filled)


class _Run:
    def __init__(self, scanner: Scanner, options: ImageScanOptions) -> None:
        self.scanner = scanner
        self.options = options
        self.stats = ScanStats(matcher=scanner.matcher_name)
        self.budget = Budget(options.max_unpacked)
        scanner.unpacked_total = UnpackedTotal(options.archive_unpacked_total)  # this run's, for archives
        self.findings: list[Finding] = []
        self.images: list[str] = []
        self.excluded = exclude_matcher(options.exclude)
        # Layer blobs scanned in this run whose bytes matched their sha256 digest: another archive or layout
        # holding the same layer (a shared base image) is not scanned again.
        self.verified: dict[str, _Layer] = {}

    # -- sources -------------------------------------------------------------------------------------------

    def scan_path(self, path: Path | BinaryIO, label: str) -> None:
        if isinstance(path, Path) and path.is_dir():
            self._scan_layout(path, label)
        else:
            self._scan_archive(path, label)

    def _scan_blob(self, stream: ByteStream, digest: str) -> _Layer:
        """Scan a layer blob, or reuse the result of a blob with the same digest scanned earlier in this run
        (checked: the raw bytes are hashed, not decompressed — a blob whose name lies is an error)."""
        known = self.verified.get(digest) if digest else None
        if known is not None:
            if stream.hash_rest() != digest:
                raise ImageError(f"{stream.label}: content does not match its digest {digest[:19]}")
            return known
        layer = _scan_layer(stream, self.scanner, self.options, self.stats, self.excluded)
        if digest and stream.raw_digest() == digest:
            self.verified[digest] = layer
        return layer

    def _scan_archive(self, path: Path | BinaryIO, label: str) -> None:
        blobs: dict[str, _Layer] = {}

        def on_blob(name: str, stream: ByteStream) -> None:
            try:
                blobs[name] = self._scan_blob(stream, digest_of_name(name))
            except ImageError as exc:
                # Reported only if an image uses this blob (a stray tar in the archive is not our business);
                # the outer archive goes on at the next member.
                message = str(exc)
                inner = message.removeprefix(stream.label + ": ")
                blobs[name] = _Layer(
                    error=inner if inner != message else None, fatal=None if inner != message else message
                )

        contents = read_archive(path, label, self.budget, on_blob)

        def lookup(name: str) -> bytes | None:
            return contents.jsons.get(contents.resolve(name))

        for entry in image_entries(lookup, label, self.options.platform):
            layers = [
                self._archive_layer(entry, i, ref, contents, blobs) for i, ref in enumerate(entry.layers)
            ]
            self._finish_image(entry, layers)

    @staticmethod
    def _archive_layer(
        entry: ImageEntry, index: int, ref: LayerRef, contents: ArchiveContents, blobs: dict[str, _Layer]
    ) -> _Layer:
        name = contents.resolve(ref.blob)
        layer = blobs.get(name)
        where = f"{entry.name}: layer {index + 1} ({ref.shown_digest or ref.blob})"
        if layer is None:
            if name in contents.members:
                raise ImageError(f"{where}: not a tar archive")
            raise ImageError(f"{where}: missing from the archive")
        if layer.fatal is not None:
            raise ImageError(layer.fatal)
        if layer.error is not None:
            raise ImageError(f"{where}: {layer.error}")
        return layer

    def _scan_layout(self, root: Path, label: str) -> None:
        cache: dict[str, _Layer] = {}

        def lookup(relpath: str) -> bytes | None:
            return read_layout_json(root, relpath, label)

        for entry in image_entries(lookup, label, self.options.platform):
            layers: list[_Layer] = []
            for i, ref in enumerate(entry.layers):
                layer = cache.get(ref.blob)
                if layer is None:
                    where = f"{entry.name}: layer {i + 1} ({ref.shown_digest or ref.blob})"
                    with open_layout_blob(root, ref.blob, label) as handle:
                        stream = ByteStream(handle, where, self.budget)
                        layer = self._scan_blob(
                            stream, ref.digest if ref.digest.startswith("sha256:") else ""
                        )
                    cache[ref.blob] = layer
                layers.append(layer)
            self._finish_image(entry, layers)

    # -- one image -----------------------------------------------------------------------------------------

    def _finish_image(self, entry: ImageEntry, layers: Sequence[_Layer]) -> None:
        self.images.append(f"{entry.name} ({entry.platform})" if entry.platform else entry.name)
        steps = history_steps(entry.config)
        layer_steps = _layer_steps(entry, steps)
        layer_of_step = {step.index: i for i, step in enumerate(layer_steps) if step is not None}
        out: list[Finding] = []
        # The configuration: one finding per secret (a build argument is recorded with every later RUN, an
        # ENV both in the history and in Env); the Docker check's finding is preferred to a token rule's.
        reported: set[str] = set()
        seen: set[tuple[str, str]] = set()
        config_findings = sorted(
            self._config_findings(entry), key=lambda item: (not item[0].rule_id.startswith("docker-"),)
        )
        config_findings.sort(key=lambda item: (item[2] != "history", item[1]))
        for finding, index, field_name in config_findings:
            if finding.secret:
                if finding.secret in reported:
                    continue
                reported.add(finding.secret)
            elif (finding.rule_id, finding.message) in seen:
                continue
            seen.add((finding.rule_id, finding.message))
            layer_index = layer_of_step.get(index) if field_name == "history" else None
            layer_ref = entry.layers[layer_index] if layer_index is not None else None
            out.append(
                dataclasses.replace(
                    finding,
                    image=ImageOrigin(
                        image=entry.name,
                        platform=entry.platform,
                        layer_index=layer_index + 1 if layer_index is not None else 0,
                        layer_digest=layer_ref.shown_digest if layer_ref is not None else "",
                        history_index=index if field_name == "history" else 0,
                        config_field=field_name,
                    ),
                )
            )
        # The layers: a finding once, in the layer that first holds it (the same file content again in a later
        # layer — a chmod, a re-copy — is the same leak).
        first: set[tuple[str, str, str]] = set()
        for index, layer in enumerate(layers):
            ref = entry.layers[index]
            step = layer_steps[index]
            for finding in layer.findings:
                key = (finding.rule_id, finding.path, finding.secret or finding.message)
                if key in first:
                    continue
                first.add(key)
                deleted = _deleted_in(finding.path, index, layers)
                message = finding.message.replace(" in the tree", " in the image")
                if deleted:
                    message += " (deleted in a later layer, still in the image)"
                out.append(
                    dataclasses.replace(
                        finding,
                        message=message,
                        image=ImageOrigin(
                            image=entry.name,
                            platform=entry.platform,
                            layer_index=index + 1,
                            layer_digest=ref.shown_digest,
                            history_index=step.index if step is not None else 0,
                            deleted_in=deleted,
                        ),
                    )
                )
        # Instructions as reports show them: every secret this image's findings hold is masked in every one.
        secrets = [f.secret for f in out if f.secret]
        shown = {step.index: shown_instruction(step, secrets) for step in steps}
        for finding in out:
            origin = finding.image
            assert origin is not None
            if origin.history_index:
                origin = dataclasses.replace(origin, created_by=shown.get(origin.history_index, ""))
            self.findings.append(dataclasses.replace(finding, image=origin))

    def _config_findings(self, entry: ImageEntry) -> list[tuple[Finding, int, str]]:
        """Findings of the configuration's documents: (finding at ``<config>``, index, field)."""
        out: list[tuple[Finding, int, str]] = []
        for doc in config_documents(entry.config):
            for finding in self.scanner.scan_document("Dockerfile", doc.text):
                if finding.rule_id == "docker-secret-arg-no-value":
                    continue  # an image records the value itself: reported when there is one
                message = finding.message
                if doc.keyword and message.startswith("RUN "):
                    message = doc.keyword + message[3:]
                if finding.line in doc.arg_lines:
                    message += "; build arguments are recorded in the image history"
                out.append(
                    (
                        dataclasses.replace(
                            finding,
                            path=CONFIG_PATH,
                            line=doc.index,
                            column=1,
                            end_line=doc.index,
                            end_column=1,
                            message=message,
                        ),
                        doc.index,
                        doc.field,
                    )
                )
        return out


def scan_images(
    scanner: Scanner,
    paths: Sequence[Path | BinaryIO],
    options: ImageScanOptions,
    *,
    labels: Sequence[str] | None = None,
    on_image: Callable[[str], None] | None = None,
) -> ImageScanResult:
    """Scan every image of ``paths`` (archives or layout folders; an open binary stream is read as an archive,
    once, front to back). ``labels`` name them in findings and errors (default: the paths as given, ``-`` for
    a stream). Findings are sorted by image, path, line, column and rule."""
    started = time.perf_counter()
    run = _Run(scanner, options)
    with tempfile.TemporaryDirectory(prefix="check-secrets-image-") as empty:
        # Analyzers look beside a document for related files (a Dockerfile's build context): an image's files
        # have nothing beside them on this machine.
        scanner.set_root(Path(empty))
        suppressed_before = scanner.suppressed
        for i, path in enumerate(paths):
            label = labels[i] if labels is not None else (os.fspath(path) if isinstance(path, Path) else "-")
            run.scan_path(path, label)
            if on_image is not None:
                on_image(label)
        run.stats.findings_suppressed += scanner.suppressed - suppressed_before
    run.findings.sort(
        key=lambda f: (
            f.image.image if f.image else "",
            f.image.platform if f.image else "",
            f.path,
            f.line,
            f.column,
            f.rule_id,
        )
    )
    run.stats.seconds = time.perf_counter() - started
    return ImageScanResult(findings=run.findings, stats=run.stats, images=run.images)
