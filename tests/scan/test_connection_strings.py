"""Connection strings whose password sits where a driver's own syntax puts it: a Go MySQL driver DSN
(user:password@protocol(address)/dbname) and an ODBC connection string with a brace-quoted value. Each is one
error finding on its line, with a preview that shows none of the password; references, format verbs and
stand-ins stay quiet. Passwords are generated at run time; none is written in this file."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, Severity
from tests.conftest import assert_no_leak, run_cli


def _password(extra: str = "") -> str:
    """12 random characters of letters and digits (at least one of each kind), then ``extra`` inside."""
    alphabet = string.ascii_letters + string.digits
    while True:
        v = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
            return v[:6] + extra + v[6:]


def _scan(root: Path) -> list[tuple[str, int, str, Severity]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id, f.severity) for f in result.findings)


# (file name, line template): the places Go MySQL DSNs are written
GO_DSNS = [
    ("main.go", 'db, err := sql.Open("mysql", "orders:{p}@tcp(db.internal:3306)/orders?parseTime=true")'),
    ("main.go", 'db, err := sql.Open("mysql", `api:{p}@unix(/var/run/mysqld/mysqld.sock)/shop`)'),
    ("main.go", 'const dsn = "report:{p}@/sales"'),
    ("main.go", 'dsn := "svc:{p}@cloudsql-mysql(acme-prod:europe-west1:orders)/orders"'),
    (".env", "MYSQL_DSN=app:{p}@tcp(mysql:3306)/app?charset=utf8mb4&parseTime=True&loc=Local"),
    ("config.yaml", "database:\n  dsn: app:{p}@tcp6([2001:db8::10]:3306)/app"),
]


@pytest.mark.parametrize(("name", "template"), GO_DSNS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GO_DSNS)])
@pytest.mark.parametrize("extra", ["", "@", ":", "/"], ids=["plain", "at", "colon", "slash"])
def test_go_mysql_dsn_password_is_one_error(tmp_path: Path, name: str, template: str, extra: str) -> None:
    password = _password(extra)
    (tmp_path / name).write_text(template.format(p=password) + "\n", encoding="utf-8")
    line = template.count("\n") + 1
    assert _scan(tmp_path) == [(name, line, "go-mysql-dsn-password", Severity.ERROR)]
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert set(finding["preview"]) <= {"*"}, finding["rule"]
    assert_no_leak(result.output, [password])


def test_go_mysql_dsn_references_and_stand_ins_are_quiet(tmp_path: Path) -> None:
    lines = [
        'dsn := fmt.Sprintf("%s:%s@tcp(%s:%d)/%s?parseTime=true", user, pass, host, port, name)',
        'dsn := fmt.Sprintf("app:%v@tcp(db:3306)/app", pw)',
        'dsn := "app:" + os.Getenv("DB_PASS") + "@tcp(db:3306)/app"',
        'dsn := "app:${DB_PASS}@tcp(db:3306)/app"',
        'dsn := "user:password@tcp(127.0.0.1:3306)/dbname"',
        'dsn := "app:<password>@unix(/tmp/mysql.sock)/app"',
        'dsn := "app:{{ .Values.mysql.password }}@tcp(mysql:3306)/app"',
        'dsn := "root@tcp(127.0.0.1:3306)/test"',
        "// [username[:password]@][protocol[(address)]]/dbname[?param1=value1&...&paramN=valueN]",
        'import Foo from "@/components/Foo.vue"',
    ]
    (tmp_path / "main.go").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []
