"""``check-secrets image``: scan saved container images (docker/podman save archives, OCI layouts and
oci-archives)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, BinaryIO

from .._errors import ScanError, UsageError
from ..scan._config import printable
from ..scan._model import ScanConfig, ScanOptions
from ._scan_output import add_archive_options, add_common_options, config_from_args, emit, guarded, parse_size

__all__ = ["register", "run_image_scan"]

_DEFAULT_MAX_FILE_SIZE = ScanOptions(root=Path(".")).max_file_size
_PLATFORM = re.compile(r"[a-z0-9_.-]+/[a-z0-9_.-]+(?:/[a-z0-9_.-]+)?")


def register(subparsers: Any) -> None:
    """Add ``image`` to the check-secrets parser."""
    parser = subparsers.add_parser(
        "image",
        help="scan saved container images (docker save, OCI layout, oci-archive)",
        description="Scan container images without a daemon or network: `docker save`/`podman save` archives "
        "(tar or tar.gz), OCI image layout folders and oci-archive tars. Checks the configuration "
        "(history with build arguments, Env, Labels, Cmd/Entrypoint, User) like a Dockerfile and every "
        "layer's files like `check-secrets scan`, files deleted by a later layer included. Exit 0: clean; "
        "1: findings at or above --fail-on; 2: usage error, or an image (part) that could not be read.",
    )
    parser.add_argument(
        "images",
        nargs="+",
        metavar="PATH",
        help="image archives or OCI layout folders; - reads an archive from standard input "
        "(docker save app | check-secrets image -)",
    )
    parser.add_argument(
        "--platform",
        type=_parse_platform,
        default=None,
        metavar="OS/ARCH",
        help="scan only this platform of a multi-platform image (e.g. linux/arm64; default: every platform)",
    )
    parser.add_argument(
        "--max-file-size",
        type=parse_size,
        default=_DEFAULT_MAX_FILE_SIZE,
        metavar="SIZE",
        help="of a larger file inside a layer, scan only its first and last SIZE/2 bytes (bytes, or with "
        "k/M/G; default: 10M)",
    )
    parser.add_argument(
        "--max-unpacked",
        type=parse_size,
        default=64 * 1024**3,
        metavar="SIZE",
        help="stop with an error when the layers unpack to more than SIZE in total (tar bombs; default: 64G)",
    )
    add_archive_options(parser, "in the layers", unpacked=False)
    add_common_options(parser)
    parser.set_defaults(func=guarded(_cmd_image))


def _parse_platform(text: str) -> str:
    value = text.strip().lower()
    if not _PLATFORM.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"invalid platform {text[:40]!r}: expected OS/ARCH, e.g. linux/amd64"
        )
    return value


def _cmd_image(args: argparse.Namespace) -> int:
    root, _, result = run_image_scan(args, args.images)
    return emit(result.findings, result.stats, args, root=root)


def run_image_scan(args: argparse.Namespace, images: list[str]) -> tuple[Path, ScanConfig, Any]:
    """Scan ``images`` with the options of ``args`` (``image``, or ``baseline create --image``): the root (the
    current directory: configuration and baseline are looked up there), the configuration and the result."""
    from ..scan.sources._image import ImageScanOptions, scan_images

    if images.count("-") > 1:
        raise UsageError("standard input (-) can be given once")
    paths: list[Path | BinaryIO] = []
    for name in images:
        if name == "-":
            paths.append(sys.stdin.buffer)  # `docker save app | check-secrets image -`: read once, streamed
            continue
        path = Path(name)
        if not os.path.lexists(path):
            raise UsageError(f"{printable(str(path))}: no such file or directory")
        paths.append(path)
    root = Path.cwd()
    config = config_from_args(args, root)
    try:
        from ..scan.engine._scanner import Scanner
    except ImportError as exc:
        raise ScanError(f"cannot load the scanning engine: {exc}") from None
    scanner = Scanner(config)
    defaults = ImageScanOptions()
    options = ImageScanOptions(
        platform=getattr(args, "platform", None),
        max_file_size=getattr(args, "max_file_size", defaults.max_file_size),
        max_unpacked=getattr(args, "max_unpacked", defaults.max_unpacked),
        exclude=config.exclude,
        archive_depth=getattr(args, "max_archive_depth", defaults.archive_depth),
        archive_unpacked_total=getattr(args, "max_unpacked_total", defaults.archive_unpacked_total),
    )
    result = scan_images(scanner, paths, options, labels=[printable(p) for p in images])
    return root, config, result
