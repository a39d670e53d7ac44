"""Build-time filter tokens are references, not secrets: Maven/Ant/Gradle resource filtering fills in
``@name@``, replacer plugins ``$NAME$``. Every ``generic-secret-xml`` finding of a real local Maven
repository (1,020 jars and their POMs) was such a token (``<token>@version@</token>``,
``<token>\\$BUILD_TIME\\$</token>``). Random values beside them stay reported. Random values are made at
run time; results name lines only."""

from __future__ import annotations

import secrets
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions


def _password() -> str:
    return "Q" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y") + "7z"


def _lines(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True, max_archive_depth=0))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


def test_filter_tokens_and_replacer_markers_are_quiet_and_real_values_beside_them_are_not(
    tmp_path: Path,
) -> None:
    real = [_password() for _ in range(3)]
    (tmp_path / "pom.xml").write_text(
        "<project><build><plugins><plugin><configuration><replacements>\n"
        "  <replacement><token>@version@</token><value>${project.version}</value></replacement>\n"
        "  <replacement><token>\\$BUILD_TIME\\$</token><value>${build.time}</value></replacement>\n"
        "  <replacement><token>$VERSION$</token><value>${project.version}</value></replacement>\n"
        f"  <replacement><token>{real[0]}</token><value>x</value></replacement>\n"
        "</replacements></configuration></plugin></plugins></build></project>\n"
    )
    # in source code the backslashes are doubled (a Python or Java string of the marker)
    (tmp_path / "gen.py").write_text(r'XML = "<token>\\$BUILD_TIME\\$</token>"' + "\n")
    (tmp_path / "application.properties").write_text(
        "spring.datasource.password=@db.password@\n"
        "app.secret=@app.secret-key@\n"
        f"spring.mail.password={real[1]}\n"
        f"other.password=@{real[2]}\n"
    )
    assert _lines(tmp_path) == [
        ("application.properties", 3, "generic-password-config"),
        ("application.properties", 4, "generic-password-config"),
        ("pom.xml", 5, "generic-secret-xml"),
    ]
