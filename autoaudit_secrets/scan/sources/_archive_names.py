"""Which files a history scan reads from git to see whether they are archives (:mod:`._archive` opens them):
by name, so that a history or a staged change without archives never imports the archive readers."""

from __future__ import annotations

__all__ = ["archive_by_name"]

# The names of the archives that a history scan reads from git to open (the tree scan opens any file whose
# first bytes are an archive's; git calls every archive binary, and reading each binary version of a history
# to look at its first bytes would cost more than the rest of the scan)
_ARCHIVE_NAMES = frozenset(
    "zip jar war ear aar apk whl egg nupkg vsix xpi crx docx xlsx pptx odt ods odp epub "  # noqa: SIM905
    "tar tgz gz zst zstd tzst bz2 tbz2 tbz xz txz".split()
)


def archive_by_name(path: str) -> bool:
    """Whether ``path``'s name is that of an archive kind the archive readers read (``.zip``, ``.jar``,
    ``.tar.gz``, ...)."""
    name = path.rpartition("/")[2]
    return "." in name and name.rpartition(".")[2].lower() in _ARCHIVE_NAMES
