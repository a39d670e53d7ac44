"""The base names the sensitive-files analyzer can care about, without the analyzer: the engine asks
:func:`name_may_be_sensitive` for every scanned file name, and importing this module costs nothing (the
analyzer's own module, with its content patterns, is imported only once some name passes)."""

from __future__ import annotations

__all__ = ["SHELL_HISTORIES", "SSH_KEY_NAMES", "name_may_be_sensitive"]

SSH_KEY_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity", "id_xmss"}
)
SHELL_HISTORIES = frozenset(
    {".bash_history", ".zsh_history", ".sh_history", ".psql_history", ".mysql_history", ".rediscli_history"}
)
# Every lower-cased base name _name_candidate can accept, whatever the folders (see name_may_be_sensitive).
_CANDIDATE_NAMES = frozenset(
    {
        ".pgpass", "pgpass.conf", ".netrc", "_netrc", ".git-credentials", ".htpasswd", "shadow", "shadow-",
        "gshadow",
        "master.key", ".npmrc", ".pypirc", "config.json", ".dockercfg", "dockercfg", "credentials", "config",
        "credentials.db", "access_tokens.db", "legacy_credentials", "application_default_credentials.json",
        "sitemanager.xml", "recentservers.xml", "filezilla.xml", ".ftpconfig", "sftp-config.json",
        ".sftp.json", "sftp.json", "deployment.json",
    }
)  # fmt: skip
_CANDIDATE_SUFFIXES = (
    ".ppk", ".key", ".kdbx", ".kdb", ".p12", ".pfx", ".jks", ".keystore", ".bks", ".tfstate",
    ".tfstate.backup", ".ovpn", ".json", ".xml",
)  # fmt: skip
_CANDIDATE_PREFIXES = ("id_", "accesstokens", "msal_token_cache", "service_principal")


def name_may_be_sensitive(lower_name: str) -> bool:
    """Cheap test on a lower-cased base name, true whenever :meth:`SensitiveFileAnalyzer.applies_to` could be
    true for a file of that name in some folder — except under ``legacy_credentials/<account>/``, where every
    file counts (the registry's path hint). Lets the engine skip the analyzer for most files by name alone,
    and remember the answer per name."""
    return (
        lower_name in _CANDIDATE_NAMES
        or lower_name in SSH_KEY_NAMES
        or lower_name in SHELL_HISTORIES
        or lower_name.endswith(_CANDIDATE_SUFFIXES)
        or lower_name.startswith(_CANDIDATE_PREFIXES)
    )
