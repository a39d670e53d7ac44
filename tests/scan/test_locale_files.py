"""Locale files, package manifests and web pages hold text and identifiers under secret-sounding names: the
shapes of a FastAPI + Nuxt application's repository (mealie-recipes/mealie gave 96 reports of its 30
locale files' "password" labels, one of a dependency's version, and more of saved pages' anti-forgery
tokens). Real temp trees scanned by the real scanner; the chosen values that must stay reported are built at
run time."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, is_secret_name
from autoaudit_secrets.scan.engine._detector import is_locale_path
from tests.conftest import random_chars

# Translations of a login form, as locale files hold them (key -> text; "@@" stands for "password" in the
# keys, which are written at run time: this file is scanned too)
LABELS = {
    "af-ZA": {"@@": "Wagwoord", "new-@@": "Nuwe wagwoord", "user-@@": "Gebruiker wagwoord"},
    "bg-BG": {"@@": "Парола"},
    "cs-CZ": {
        "change-@@": "Změnit heslo",
        "user-@@": "Heslo uživatele",
        "wrong-user-@@": "Nesprávné jméno/heslo.",
    },
    "fo-FO": {"@@": "Loyniorð", "change-@@": "Skift loyniorð"},  # umami-software/umami: Faroese
    "fr-FR": {"forgot-@@": "Oublié\u202f?", "local-@@": "E-mail/mot de passe"},  # bram2w/baserow
    "da-DK": {"reset-@@": "Nulstil adgangskoden", "forgot-@@": "Glemt adgangskode"},
    "de-DE": {"reset-@@": "Passwort zurücksetzen", "user-@@": "Benutzerpasswort"},
    "fi-FI": {"forgot-@@": "Unohditko salasanasi", "user-@@": "Käyttäjän salasana"},
    "hr-HR": {"@@": "Zaporka", "change-@@": "Promijeni Zaporku"},
    "hu-HU": {"change-@@": "Jelszó megváltoztatása", "user-@@": "Felhasználó jelszava"},
    "ja-JP": {"use-8-characters-or-more-for-your-@@": "パスワードは8文字以上にしてください"},
    "lt-LT": {"change-@@": "Pakeisti slaptažodį"},
    # authelia/authelia: combining marks (Devanagari's vowel signs, Hebrew's points) in a hyphenated word
    "ne-NP": {"one-time-@@": "एक-समयको पासवर्ड"},
    "yi-DE": {"one-time-@@": "איין-מאָל פּאַראָל"},
    # hoppscotch/hoppscotch: Chinese around a technical term
    "zh-CN": {"@@-base64-encoded": "密码Base64编码"},
    "pt-PT": {"@@": "Palavra-passe", "confirm-@@": "Confirmar Palavra-passe"},
    "tr-TR": {"confirm-@@": "Parolayı Onaylayın", "reset-@@": "Şifreyi Sıfırla"},
}


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


@pytest.mark.parametrize(
    "path",
    [
        "frontend/lang/messages/af-ZA.json",
        "src/locales/fr.ts",
        "config/locales/nl.yml",
        "public/i18n/pt-BR.json",
        "de.json",
        "zh_Hans.json",
        "src/main/resources/messages_de.properties",
        "translations/app.po",
        "lib/l10n/app_en.arb",
        "public/intl/messages/fo-FO.json",
    ],
)
def test_locale_files_are_told_by_their_folder_their_language_or_their_format(path: str) -> None:
    assert is_locale_path(path)


@pytest.mark.parametrize(
    "path", ["app.json", "ci.yml", "db.yml", "ms.ts", "config/settings.json", "src/language.py", None]
)
def test_other_files_are_no_locale_files(path: str | None) -> None:
    assert not is_locale_path(path)


def test_a_ui_s_translated_labels_are_not_passwords_and_chosen_ones_stay_reported(tmp_path: Path) -> None:
    folder = tmp_path / "frontend" / "lang" / "messages"
    folder.mkdir(parents=True)
    for locale, texts in LABELS.items():
        named = {key.replace("@@", "password"): text for key, text in texts.items()}
        (folder / f"{locale}.json").write_text(json.dumps({"user": named}, ensure_ascii=False, indent=2))
    # umami's Khmer label: a zero-width space between the words, written as a JSON escape
    (folder / "km-KH.json").write_text('{"new-pass' + 'word": "ពាក្យសម្ងាត់\\u200bថ្មី"}\n', encoding="utf-8")
    assert _scan(tmp_path) == []
    # in a locale file, a value with digits or symbols is still a password; outside one, a two-word value
    # is judged as before
    chosen = "Wag" + random_chars(string.ascii_letters, 6) + "!" + str(secrets.randbelow(900) + 100)
    (folder / "xx-XX.json").write_text(json.dumps({"user": {"password": chosen}}))
    (tmp_path / "seed.json").write_text(json.dumps({"admin": {"pass" + "word": "Nuwe wagwoord"}}))
    assert _scan(tmp_path) == [
        ("frontend/lang/messages/xx-XX.json", 1, "generic-password"),
        ("seed.json", 1, "generic-password"),
    ]


def test_a_dependency_s_version_under_an_auth_package_s_name_is_no_secret(tmp_path: Path) -> None:
    manifest = {"dependencies": {"@nuxtjs/auth-next": "5.0.0-1667386184.dfbbb54", "next-auth": "^4.24.5"}}
    (tmp_path / "package.json").write_text(json.dumps(manifest, indent=2))
    assert _scan(tmp_path) == []
    key = random_chars(string.ascii_letters + string.digits, 32)
    (tmp_path / "package.json").write_text(json.dumps({"config": {"auth_token": key}}, indent=2))
    assert [rule for _, _, rule in _scan(tmp_path)] == ["generic-secret"]


@pytest.mark.parametrize(
    ("name", "secret_name"),
    [
        ("authenticity_token", "access_token"),
        ("csrf_token", "api_token"),
        ("csrfmiddlewaretoken", "auth_token"),
        ("X-XSRF-TOKEN", "X-API-TOKEN"),
        ("__RequestVerificationToken", "__RequestSigningToken"),
    ],
)
def test_anti_forgery_token_names_are_no_secret_names(name: str, secret_name: str) -> None:
    assert not is_secret_name(name)
    assert is_secret_name(secret_name)  # (the same shape with another word is one)


def test_an_entry_point_s_import_path_is_no_secret(tmp_path: Path) -> None:
    """pyproject.toml names plugins by import path under auth-sounding names (Netflix/dispatch's
    ``dispatch_basic_auth = "dispatch.plugins.dispatch_core.plugin:BasicAuthProviderPlugin"``); a value of
    that shape with upper case in its module part (modules are lower case) stays a password."""
    (tmp_path / "pyproject.toml").write_text(
        '[project.entry-points."dispatch.plugins"]\n'
        'dispatch_basic_auth = "dispatch.plugins.dispatch_core.plugin:BasicAuthProviderPlugin"\n'
        'dispatch_header_auth = "dispatch.plugins.dispatch_core.plugin:HeaderAuthProviderPlugin"\n'
    )
    assert _scan(tmp_path) == []
    chosen = random_chars(string.ascii_uppercase, 1) + random_chars(string.ascii_lowercase, 5)
    (tmp_path / "settings.toml").write_text(f'db_password = "{chosen}.Pass:{secrets.randbelow(90) + 10}x"\n')
    assert _scan(tmp_path) == [("settings.toml", 1, "generic-password")]
