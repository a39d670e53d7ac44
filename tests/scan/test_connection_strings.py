"""Connection strings whose password sits where a driver's own syntax puts it: a Go MySQL driver DSN
(user:password@protocol(address)/dbname) and an ODBC connection string with a brace-quoted value. Each is one
error finding on its line, with a preview that shows none of the password; references, format verbs and
stand-ins stay quiet. Passwords are generated at run time; none is written in this file."""

from __future__ import annotations

import base64
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


def _braced(password: str) -> str:
    """``password`` quoted as an ODBC connection string writes it: in braces, a brace inside doubled."""
    return "{" + password.replace("}", "}}") + "}"


# passwords that need the braces: a ; (the pair separator), a closing brace, a blank
BRACED = [";", "}", " ", ";}", "};"]
ODBC_LINES = [
    (
        "app.py",
        'conn = pyodbc.connect("DRIVER={{ODBC Driver 18 for SQL Server}};SERVER=db01;UID=etl;PWD={v};")',
    ),
    (
        "App.config",
        '<add name="crm" connectionString="Server=sql01;Database=crm;User ID=app;Password={v};" />',
    ),
    (
        "odbc.ini",
        "[crm]\nDriver={{ODBC Driver 18 for SQL Server}};Server=sql01;Uid=report;Pwd={v};Encrypt=yes",
    ),
]


@pytest.mark.parametrize(("name", "template"), ODBC_LINES, ids=[n for n, _ in ODBC_LINES])
@pytest.mark.parametrize(
    "extra", BRACED, ids=["semicolon", "brace", "blank", "semicolon-brace", "brace-semi"]
)
def test_odbc_brace_quoted_password_is_one_error_to_its_closing_brace(
    tmp_path: Path, name: str, template: str, extra: str
) -> None:
    password = _password(extra)
    value = _braced(password)
    text = template.format(v=value) + "\n"
    (tmp_path / name).write_text(text, encoding="utf-8")
    line = template.count("\n") + 1
    assert _scan(tmp_path) == [(name, line, "odbc-connection-password-braced", Severity.ERROR)]
    result = run_cli("check-secrets", "scan", "--format", "json", ".", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)["findings"]
    # the finding spans the whole value inside the braces, not up to its first ; or }}
    start = text.splitlines()[line - 1].index(value) + 2  # 1-based, past the opening brace
    assert (finding["column"], finding["end_column"]) == (start, start + len(value) - 2), finding["rule"]
    assert set(finding["preview"]) <= {"*"}, finding["rule"]
    assert_no_leak(result.output, [password, *password.replace("}", ";").split(";")])


def test_odbc_interpolation_holes_and_concatenations_in_braces_are_quiet(tmp_path: Path) -> None:
    lines = [
        'cs = $"Server={host};Uid={user};Pwd={dbPassword};"',
        'cs = f"DRIVER={{ODBC Driver 18}};SERVER={host};UID={user};PWD={settings.DB_PASSWORD}"',
        'cs = f"SERVER={host};UID={user};PWD={{{pwd}}}"',
        'cs = $"Server={host};Uid={user};Pwd={GetPassword()};"',
        'cs = $"Server={host};Uid={user};Pwd={pwd ?? string.Empty};"',
        'cs = "Server=%s;Uid=%s;Pwd={%s};" % (host, user, pwd)',
        'cs = "Server=db;Uid=app;Pwd={" + password + "};"',
        'cs = "Server=db;Uid=app;Pwd={{db_password}};"',
        'cs = "Server=db;Uid=app;Pwd={your_password};"',
        'cs = "Server=db;Uid=app;Pwd={};"',
    ]
    (tmp_path / "app.cs").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path) == []


# the inside of Python replacement fields (str.format, f-strings) after PWD=: holes a program fills
PYTHON_FIELDS = [
    "args.password!r",
    "password",
    "pw:>10",
    "cfg.pw!s:>10",
    "creds[db_password]",
    "0",
    "2[db].password!a",
    "pw:{width}.{precision}",
    "now:%Y-%m-%d %H:%M",
    ":*^24",
    "!r",
]


def test_odbc_python_replacement_fields_are_quiet_and_braced_values_like_them_are_reported(
    tmp_path: Path,
) -> None:
    template = 'conn = pyodbc.connect(f"DRIVER={{{{ODBC Driver 18}}}};SERVER={{host}};UID={{user}};PWD={v}")'
    lines = [template.format(v="{" + field + "}") for field in PYTHON_FIELDS]
    lines += ['conn_str = "Server={0};Uid={1};Password={2!r};".format(host, user, password)']
    lines += ['conn_str = "Server={host};Uid={user};Password={password:s};".format(**settings)']
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "db.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path / "quiet") == []
    # random passwords with the characters of a field's syntax (! : [ ] = .), none of them a field's shape
    passwords = [
        _password("!") + "x",  # a conversion is one letter of r, s, a, and ends the field or comes before :
        _password(":") + "Q",  # no format spec ends in Q (nor holds letters but its type or fill)
        _password("]") + "[",  # an index is [ then ], not ] then [
        _password("=!"),
        _password(";!r"),  # no ; in a field's name
        "!" + _password(),
        "K" + base64.b64encode(secrets.token_bytes(10)).decode(),  # base64 padding, like an f-string's "="
    ]
    template = 'conn = pyodbc.connect("DRIVER={{ODBC Driver 18}};SERVER=db01;UID=etl;PWD={v};")'
    (tmp_path / "reported").mkdir()
    (tmp_path / "reported" / "db.py").write_text(
        "\n".join(template.format(v=_braced(p)) for p in passwords) + "\n", encoding="utf-8"
    )
    expected = [("db.py", n, "odbc-connection-password-braced", Severity.ERROR) for n in range(1, 8)]
    assert _scan(tmp_path / "reported") == expected
    result = run_cli("check-secrets", "scan", ".", cwd=tmp_path / "reported")
    assert result.returncode == 1
    assert_no_leak(result.output, passwords)


# .NET composite format items after Pwd=/Password=: String.Format's {index[,width][:format]} and the holes of
# an interpolated $"..." string
DOTNET_ITEMS = ["0", "2,-8", "pw,10:N2", "password,-8", "cfg.Password:D", "2,-12:yyyy-MM-dd", "0:#,##0.00"]


def test_odbc_dotnet_composite_format_items_are_quiet_and_braced_values_like_them_are_reported(
    tmp_path: Path,
) -> None:
    lines = [
        f'var cs = string.Format("Server={{0}};Uid={{1}};Pwd={{{item}}};", host, user, pw);'
        for item in DOTNET_ITEMS
    ]
    lines += [f'var cs = $"Server={{host}};User ID={{user}};Password={{{item}}};";' for item in DOTNET_ITEMS]
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "Db.cs").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(tmp_path / "quiet") == []
    # random passwords written in braces with a composite item's characters (, - : and digits)
    passwords = [
        _password(",") + ";",  # a ; is in no format item
        _password(",-8 "),  # nor a blank after a width
        _password(",12:N2;"),
        _password(",") + "x",  # a width is a number
        _password("4") + ":N2",  # a name's digits come at its end (random text mixes them in)
    ]
    template = 'var cs = "Driver={{ODBC Driver 18 for SQL Server}};Server=db01;Uid=etl;Pwd={v};";'
    (tmp_path / "reported").mkdir()
    (tmp_path / "reported" / "Db.cs").write_text(
        "\n".join(template.format(v=_braced(p)) for p in passwords) + "\n", encoding="utf-8"
    )
    expected = [("Db.cs", n, "odbc-connection-password-braced", Severity.ERROR) for n in range(1, 6)]
    assert _scan(tmp_path / "reported") == expected
    result = run_cli("check-secrets", "scan", ".", cwd=tmp_path / "reported")
    assert result.returncode == 1
    assert_no_leak(result.output, passwords)
