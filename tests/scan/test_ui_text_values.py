"""Text for people given to a password or credentials name is not a secret: a locale's translated UI strings
(Chinese, Japanese, Korean, Russian, Arabic; the word for password alone or in a two-word label in Spanish,
Polish, Turkish, German, ...), a form's two-word label naming the password (``Show password``),
a test's wrong password written as such (``incorrect password``) and a value saying there is none (``not
sent``) -- the shapes of FastAPI's history. Chosen passwords and passphrases next to them stay reported: other
words, digits, symbols, words joined by ``-``. Values are built here at run time; results name rules and lines
only."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions

# Translated UI strings, as locale files hold them (key -> text).
LOCALE_TEXT = {
    "invalidCredentials": "用户名或密码错误",
    "resetPasswordText": "请输入您的新密码并确认以重置密码。",
    "passwordHint": "パスワードを入力してください",
    "wrongPassword": "비밀번호가 틀렸습니다",
    "passwordRequired": "Пароль - обязательное поле",
    "currentPassword": "كلمة المرور الحالية",
    "newPassword": "Неверный пароль",
    # "password" alone, and two-word labels naming it, as the locales of Latin and Cyrillic scripts write
    # them (diacritics and all)
    "password_es": "Contraseña",
    "password_pl": "Hasło",
    "password_ru": "Пароль",
    "password_tr": "Şifre",
    "password_sv": "Lösenord",
    "forgotPassword_de": "Passwort vergessen?",
    "confirmPassword_nl": "Bevestig wachtwoord",
    "newPassword_es": "Nueva contraseña",
    "currentPassword_pt": "Senha atual",
    "newPassword_tr": "Yeni şifre",
}
# Two-word labels and messages naming the secret, and "there is no value".
LABELS = ["Show password", "Hide password", "incorrect password", "Password required", "Wrong password!"]
NO_VALUE = ["not sent", "not_set", "Not used"]
# Chosen passwords and passphrases that look a little like the above, and must stay reported.
CHOSEN = [
    "Kettle garden",  # two words, neither a label's
    "Hide Swordfish",  # a label's verb, but no word naming the password
    "Tiger password",  # names the password, but the other word is no label's
    "wrong Tr0ub4dor&3",
    "Медведь",  # one word of an alphabet, mixed case (not the word for password)
    "Contraseña Tigre",  # names the password, but the other word is no label's
    "Şifrem2024!",
    "Медведь2024",
    "Медведь-Лиса-Сова",  # words joined by dashes: a passphrase
    "熊猫_狐狸_猫头鹰_老虎_狮子",
    "熊猫Tr0ub4dor",
    "correct-horse-battery-staple",
    "notTr0ub4dor",
]


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


def test_ui_text_labels_and_no_value_are_quiet(tmp_path: Path) -> None:
    locale = tmp_path / "frontend" / "src" / "i18n" / "locales"
    locale.mkdir(parents=True)
    (locale / "zh.json").write_text(json.dumps(LOCALE_TEXT, ensure_ascii=False, indent=2), encoding="utf-8")
    (tmp_path / "Login.tsx").write_text(
        "".join(
            f'<Icon onClick={{setShow.toggle}} aria-label={{show ? "{a}" : "{b}"}} />\n'
            for a, b in itertools.pairwise(LABELS)
        ),
        encoding="utf-8",
    )
    lines = [f'    password="{label}",' for label in LABELS]
    lines += [f'    return {{"name": "Foo", "password": "{value}"}}' for value in NO_VALUE]
    (tmp_path / "test_http_digest.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "settings.yaml").write_text(
        "".join(f"db_password: {value}\n" for value in LOCALE_TEXT.values()), encoding="utf-8"
    )
    assert _scan(tmp_path) == []


def test_chosen_passwords_and_passphrases_stay_reported(tmp_path: Path) -> None:
    (tmp_path / "seed.py").write_text(
        "".join(f'ADMIN_PASSWORD = "{value}"\n' for value in CHOSEN), encoding="utf-8"
    )
    (tmp_path / "users.json").write_text(
        json.dumps([{"user": f"u{i}", "password": v} for i, v in enumerate(CHOSEN)], ensure_ascii=False),
        encoding="utf-8",
    )
    found = _scan(tmp_path)
    assert [(p, line) for p, line, _ in found if p == "seed.py"] == [
        ("seed.py", n) for n in range(1, len(CHOSEN) + 1)
    ]
    assert len([p for p, _, _ in found if p == "users.json"]) == len(CHOSEN)
