"""is_secret_name / is_placeholder / hash, UUID and documentation-example judgements."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from autoaudit_secrets.scan import is_placeholder, is_secret_name
from autoaudit_secrets.scan.engine._entropy import shannon_entropy
from autoaudit_secrets.scan.engine._filters import (
    is_code_identifier,
    is_doc_example,
    is_dotted_name,
    is_format_field,
    is_hash,
    is_name_path,
    is_namespaced_name,
    is_public_key,
    is_reference,
    is_uuid,
    name_words,
    names_secret_field,
)

SECRET_NAMES = [
    "last_password",  # (beside LastPass, a password manager's name)
    # a secret under a browser build prefix is sent to every visitor: reported
    "VITE_CLIENT_SECRET",
    "VITE_DB_PASSWORD",
    "REACT_APP_PRIVATE_KEY",
    "INVITE_TOKEN",
    # ... and their secret and server keys
    "AMPLITUDE_SECRET_KEY",
    "MIXPANEL_API_SECRET",
    "segment_token",
    "fullstory_key",
    "password",
    "DB_PASSWORD",
    "dbPassword",
    "db-password",
    "db.password",
    "PASSWD",
    "pwd",
    "mysql_pwd",
    "secret",
    "CLIENT_SECRET",
    "clientSecret",
    "token",
    "GITHUB_TOKEN",
    "accessToken",
    "api_key",
    "apiKey",
    "API-KEY",
    "apikey",
    "x-api-key",
    "private_key",
    "privateKey",
    "AWS_SECRET_ACCESS_KEY",
    "access_key",
    "auth",
    "basic_auth",
    "credentials",
    "passphrase",
    "password2",
    "password_value",
    "stripeSecretKey",
    "signing_key",
    "mysqlpassword",
    "APP_KEY",
    "AUTH_KEY",
    "GITLAB_KEY",
    "appKey",
    "hmac_key",
    "LICENSE_KEY",
    "secret_key_base",
    "X-API-Key",
    "DOTENV_PRIVATE_KEY_PRODUCTION",
    "API_KEY_STAGING",
    "API_SECRET_KEY_V2",
    "db_password_old",
    # tokens and keys that only look like the non-secret kinds below
    "ClientToken",
    "result_token",
    "RESULTS_API_KEY",
    # "pass" after another word than an nginx module's
    "DB_PASS",
    "smtp_pass",
]
NOT_SECRET_NAMES = [
    # password managers' names (outline/outline: passkey providers' AAGUIDs)
    "LastPass",
    "NordPass",
    "ProtonPass",
    "KeePass",
    "OnePassword",
    "lastpass",
    # AWS's idempotency tokens (Secrets Manager's, CloudFormation's ClientRequestToken)
    "ClientRequestToken",
    "client_request_token",
    # nginx's <module>_pass directives name the upstream (django-DefectDojo's DD_UWSGI_PASS)
    "DD_UWSGI_PASS",
    "PROXY_PASS",
    "nginx_fastcgi_pass",
    "GRPC_PASS",
    # a merge key tells duplicate records apart (Coverity's reports); Django's CSRF cookie, written whole
    "mergeKey",
    "csrftoken",
    "ruleKey",  # a code analyser's rule (SonarQube: "Web:9876")
    # Agenta-AI/agenta: a template's, a data model relation's and an icon's names
    "template_key",
    "childRelationKey",
    "iconKey",
    "websiteToken",  # Chatwoot's widget token, written into every page (khoj-ai/khoj)
    # switches, and whether checks pass (lodash/fp's allPass and anyPass)
    "disabled-password",
    "PASSWORD_ENABLED",
    "allPass",
    "anyPass",
    "password_field",
    "token_url",
    "PASSWORD_MIN_LENGTH",
    "secret_name",
    "API_KEY_FILE",
    "SSH_KEY_PATH",
    "tokenizer",
    "max_tokens",
    "token_type",
    "key",
    "keyboard",
    "public_key",
    "publicKey",
    "author",
    "passport",
    "password_hash_algorithm",
    "auth_url",
    "secretsmanager_arn",
    "compass",
    "bypass",
    "monkey",
    "passwordPolicy",
    "api_key_id",
    "password_prompt",
    "",
    "PRIMARY_KEY",
    "FOREIGN_KEY",
    "SORT_KEY",
    "CACHE_KEY",
    "primaryKey",
    "partition_key",
    "KEY_ID",
    "APP_KEY_PATH",
    "TLS_KEY_FILE",
    "RECAPTCHA_SITE_KEY",
    "GPG_KEY",
    "KEY_2",
    "encrypted_password",
    "hashed_password",
    "InstrumentationKey",
    # where a paginated result is found, a key of a mapping (botocore's paginators, API Gateway)
    "result_key",
    "ApiMappingKey",
    # optimistic-concurrency and idempotency tokens (WAF, WAFv2, EFS)
    "ChangeToken",
    "NextLockToken",
    "CreationToken",
    # inlined into the JavaScript every browser gets: a browser key by design (Prefect's UI build argument)
    "VITE_AMPLITUDE_API_KEY",
    "REACT_APP_MAPBOX_TOKEN",
    "GATSBY_STRIPE_KEY",
    # analytics keys their browser SDKs send from every page
    "AMPLITUDE_API_KEY",
    "amplitudeKey",
    "SEGMENT_WRITE_KEY",
    "MIXPANEL_TOKEN",
    # stand-ins by name (netbox's tests: DUMMY_SECRET)
    "DUMMY_SECRET",
    "fake_api_key",
    "mockToken",
    "BOGUS_PASSWORD",
    "placeholder_secret",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_extra_secret_names_from_a_schema() -> None:
    assert not is_secret_name("ACME_DSN")
    assert is_secret_name("acme_dsn", frozenset({"ACME_DSN"}))


def test_name_words_in_every_case_style() -> None:
    assert name_words("awsSecretAccessKey") == ["aws", "secret", "access", "key"]
    assert name_words("HTTPServerPassword") == ["http", "server", "password"]
    assert name_words("db.pass-word_2") == ["db", "pass", "word", "2"]


PLACEHOLDERS = [
    "",
    "  ",
    # values that say what they are for (the full-stack FastAPI template's CI sets SECRET_KEY so)
    "just-for-generating-client",
    "only-for-testing",
    "insecure-key-for-tests",
    "used_only_in_ci",
    "for local dev only",
    "changeme",
    "CHANGE_ME",
    "<your-key>",
    "<YOUR_API_TOKEN>",
    "xxxx",
    "XXXXXXXXXXXX",
    "********",
    "REPLACE_ME",
    "your-api-key-here",
    "your_password",
    "${DB_PASSWORD}",
    "$DB_PASSWORD",
    "{{ db_password }}",
    "${{ secrets.API_TOKEN }}",
    "os.environ['API_KEY']",
    "enc:v1:abcdef",
    "aaaaaaaa",
    "null",
    "None",
    "%(password)s",
    "{password}",
    "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/x)",
    "process.env.API_KEY",
    "test123",
    "dummy-token",
    "insert_key_here",
    "ghp_" + "0" * 36,
    "sk_live_" + "X" * 24,
    "1234567890abcdef" * 2,
    "AIza" + "SyA-1234567890abcdefghijklmnopqrstu",
    "ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "00000000-0000-0000-0000-000000000000",
    "12345678-1234-1234-1234-123456789012",
    "sk_live_" + "*" * 20 + "1234",
    "ghp_" + "#" * 36,
    "replace_with_a_long_random_string",
    "CHANGE_ME_BEFORE_DEPLOY",
    "(hidden)",
    "sk_live_" + "ExampleKeyDoNotUse1234567890",
    "dummy-secret-for-tests-only",
    "encrypted:" + "BEcJ0k2Cm5rLi397uxQY4M+/Fr2snDYERqY94h8Id4Ws",
    "ENC[AES256_GCM,data:q7Zt3Xm9,iv:Xk8Rv4Yb1Nc6Qs0J,tag:Hf7Tg2Ue9Ia3,type:str]",
    "ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)",
    "$ANSIBLE_VAULT;1.1;AES256",
    "jdbc:mysql://db/app?password=${DB_PASSWORD}&ssl=true",
    "prefix-${DB_PASSWORD:-",  # cut at a quote inside the default
    # a Ruby interpolation cut at a quote inside it (pwd=#{opts['db_pass']} in a connection string)
    "#{opts[",
    "#{ENV.fetch(",
    "#{db_password",
    "AQICAH" + "hVq8Lz3Rk7TpXk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2Ue9Ia3Ko6Mz1Px4Vw8Ey5Bn0Cr2Dl7GsH4aT9yVx3k",
    # stand-in words written together
    "OldPassword",
    "AdminPassword",
    "tokenstring",
    "topsecretvalue",
    "FAKESECRETKEY",
    # runs of consecutive characters making up half of the value, in two places: a fill
    "abcdQ7zK6789Lm2P",
    "Kd8s-wxyz-Q7Lp-3456",
    # programmers' hex words, with counting runs between (freedomofpress/securedrop's tests)
    "DEADBEEF01234567DEADBEEF01234567DEADBEEF",
    "DEADBEEF01234567DEADBEEF01234567DADEFEEB",
    "deadbeefdeadbeefdeadbeef",
    "cafebabe0000cafebabe",
    # a stand-in word and a counter, with a blank between
    "test 123",
    # a counter between words, the digits' row (CTFd/CTFd's tests)
    "key-1234567890-file-config",
    "user_1234567890",
    # a stand-in word split by a character to escape (Flagsmith's docs on URL-encoding a password)
    "pass[word",
    "pass%5Bword",
    "pass word",
    # saying what it is not (HuskyCI's reports)
    "thisisnotapassword",
    "is_not_a_secret",
    "notarealsecret",
    "NotTheToken",
    "ihaveremovedmypassword",  # (a Fortify report's sample code)
    "provided-by-admin",  # saying where the real one comes from (Agenta's design docs)
    "injected_by_vault",
    # Swift's string interpolation (a SonarQube report's sample code)
    "\\(getEncryptedPass())",
    "\\(password)",
    # slots to fill in between a format's separators (pgbouncer's documentation)
    "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>",
    "user:<password>@db",
]
REAL_LOOKING = [
    # "not" inside a value that says nothing about itself
    "Knot-Tapestry-42",
    "notebook-Gr33n!",
    # passphrases of chosen words, and phrases with one of the two kinds of words only
    "correct-horse-battery-staple",
    "tiger-lemon-window-seven",
    "only-the-brave-win",
    "testing-mango-harbor-sky",
    "just-for-generating-client-9",
    "Tr0ub4dor&3x",
    "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q",
    "summer2024!",
    "ghp_" + "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2U",
    "0y#dgygda4)hxb*@+anfky=ejs&ew6(&+*5p14=lq",
    "3f2a9c1b-7d4e-4f80-91a2-b3c4d5e6f708",
    "5f2c9a1b7d4e6f8091a2b3c4d5e6f708",
    "v9sswdzc2it8axf4jxwqt7h_1234",
    # a WordPress salt's alphabet holds "$", "{" and ":": an unclosed "${name:^" inside is no template hole
    "DGIc_E;g[:%19Rs>^,?${kRt:^ 5p^Wm0I&.+p-RKa|6O*Y2Hmp=t](ep$1~*X0",
    # a word with a counted suffix, the one run making up just half of the value: what people choose
    "Mrkt2345",
    "Falcon987654",
    # "#{" opens a value, but what follows is no name
    "#{9kRt:^5p^Wm0I&",
    "#{-Lq2Wm9Xk",
    # words that are not all stand-ins, or stand-ins only with a one-letter word between
    "CorrectHorseBatteryStaple",
    "Passepartout",
    "detestable",
    "asecretkeyz",
    # a hex word inside a random value, or before random hex
    "Xk9pQ2vL7mN4deadbeefWq3",
    "deadbeef9f8e7d6c5b4a3f2e1d0c",
    "test 1",
    # words around a random part, or a longer digit run than a row
    "deploy_9f8e7d6c_prod",
    "key-12345678901-file",
    # split words that are not stand-ins, or with a digit
    "horse battery",
    "Kettle#Garden",
    "Secret!2024",
    # markup is no slot: a committed secret file of HTML or XML is judged as any other content
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Docker Nginx</title>',
    "<credentials><pass" + "word>Kx9pQ2vL7mN4</pass" + "word></credentials>",  # (joined: the self-scan)
    "abc<password>def",
    # base64 of a longer text that is data, not a phrase: its words (a registry at example.com) say nothing
    # of the value; a phrase up to 132 characters is read (JHipster's secret that asks to be changed)
    base64.b64encode(b'{"auths":{"registry.example.com":{"auth":"' + b"k" * 40 + b'"}}}').decode(),
]


@pytest.mark.parametrize("index", range(len(PLACEHOLDERS)))
def test_placeholders_and_references(index: int) -> None:
    assert is_placeholder(PLACEHOLDERS[index])


@pytest.mark.parametrize("index", range(len(REAL_LOOKING)))
def test_real_looking_values_are_not_placeholders(index: int) -> None:
    assert not is_placeholder(REAL_LOOKING[index])


# (value, name): a letters-only identifier of two or more words naming what the name names
FIELD_NAMES = [
    ("nextToken", "input_token"),
    ("NextToken", "paginationToken"),
    ("confirmPassword", "password"),
    ("current-password", "DB_PASSWORD"),
    ("new_passwd", "passwd"),
    ("userPwd", "mysqlpassword"),
    ("X-Auth-Key", "auth_key"),
    ("session_token", "tokenKey"),
    ("AccessKey", "AWS_SECRET_ACCESS_KEY"),
    ("_clientSecret", "CLIENT_SECRET"),
    ("db.credentials", "creds"),
    ("smtpPassword", "PASS"),
    # a form's numbered fields (Django's password1/password2, new_password1)
    ("whitespaced_password", "password1"),
    ("confirmPassword", "new_password2"),
    ("refreshToken", "token2"),
    # a name whose word says "password" as names_password reads it (glued, or ending in pw/pass)
    ("confirmPassword", "PASSWORDHASH"),
    ("confirmPassword", "rootpw"),
    # the name's words in a row, run together (supertokens-core's default configuration)
    ("clientsecretencryptionkey", "oauth_client_secret_encryption_key"),
    # words with spaces: an enum's reason, a test's label (pypi/warehouse)
    ("password compromised", "CompromisedPassword"),
    ("correct password", "confirm_password"),
    ("encryptionkey", "oauth_client_secret_encryption_key"),
]
# (value, name): a digit or symbol, one word, no spelled-out secret word, or another secret's word
NOT_FIELD_NAMES = [
    ("Tr0ub4dor&3", "password"),
    ("hunter2", "DB_PASSWORD"),
    ("MyS3cretPass", "password"),
    ("NewPassw0rd", "password"),
    ("Passepartout", "password"),
    ("password", "password"),
    ("BoardingPass", "password"),
    ("HallPw", "password"),
    ("CorrectHorseBatteryStaple", "password"),
    ("accessToken", "password"),
    ("apiKey", "GITHUB_TOKEN"),
    ("q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q", "api_key"),
    ("next__Token", "token"),
    ("next Token", "token"),
    ("c0rrecth0rse", "password1"),
    ("accessToken", "password2"),
    # English words ending in "pass" are not a password's name
    ("confirmPassword", "BYPASS"),
    ("confirmPassword", "encompass"),
    # run together: words of the name not in a row, no secret word among them, or more than the name says
    ("clientencryption", "oauth_client_secret_encryption_key"),
    ("oauthclient", "oauth_client_secret_encryption_key"),
    ("secretencryptionkeys", "oauth_client_secret_encryption_key"),
    ("passwordx", "db_password"),
    ("correct horse battery staple", "password"),  # no secret word among the words
    ("correct  password", "password"),  # (two spaces: not a label's words)
]


@pytest.mark.parametrize("index", range(len(FIELD_NAMES)))
def test_field_names_of_the_same_secret(index: int) -> None:
    value, name = FIELD_NAMES[index]
    assert names_secret_field(value, name_words(name))


@pytest.mark.parametrize("index", range(len(NOT_FIELD_NAMES)))
def test_values_that_are_not_field_names(index: int) -> None:
    value, name = NOT_FIELD_NAMES[index]
    assert not names_secret_field(value, name_words(name))


# Attribute paths, module/package/class names, configuration keys and versions: every segment reads as a name
DOTTED_NAMES = [
    "settings.SECRET_KEY",
    "auth.token",
    "app.config.api_key",
    "os.environ.get",
    "self.password",
    "v1.2.3",
    "1.2.3",
    "base64.b64decode",
    "x509.Certificate",
    "s3Client.getObject",
    "oauth2.token_url",
    "com.example.Auth",
    "k8s.io.client",
    "AWS.S3.getSignedUrl",
    "config.API_KEY_V2",
    "ssl.PROTOCOL_TLSv1_2",  # a version closing a word is set aside
    "net.isIPv6",
    "aws.getS3Object",
    "strings.toUTF8String",
    "org.slf4j.Slf4jLogger",
    "buf.readUInt32LE",
    "crypto.Aes256Gcm",
    "hashlib.sha256",
    "AES256.GCM",
]
# A segment mixing lower case, upper case and digits cut into letters and pairs: a random value holding a dot;
# and values that are not dotted runs of word characters at all
NOT_DOTTED_NAMES = [
    "h8Tz.Kq3Wm",
    "h8Tz.Kq3Wm9x",
    "kq3Wm9x.h8Tz",
    "app.h8Tz",  # one random segment is enough
    "Ab3dEf9h.Xy7Zq2Wv",
    "KxR9.m2Pq",
    "token.rl63XykWZeiN",  # long pieces but many of them: five pieces averaging under three letters
    "4HTo.3hVR7tjq",  # starts with neither an identifier nor a number
    "settings",
    "settings.",
    "a..b",
    "h8Tz-Kq.3Wm",
]


@pytest.mark.parametrize("index", range(len(DOTTED_NAMES)))
def test_dotted_names(index: int) -> None:
    assert is_dotted_name(DOTTED_NAMES[index])


@pytest.mark.parametrize("index", range(len(NOT_DOTTED_NAMES)))
def test_random_values_holding_a_dot_are_not_dotted_names(index: int) -> None:
    assert not is_dotted_name(NOT_DOTTED_NAMES[index])


# Identifiers with digits inside their words: dictionary keys, attributes, enum values
CODE_IDENTIFIERS = [
    "Ec2KeyName",
    "Ec2SubnetId",
    "Ec2SubnetIds",
    "S3KeyPrefix",
    "intermediateS3Path",
    "EC2UnexpectedException",
    "UnassignIpv6Addresses",
    "S3GranteeTypeIdentifier",
    "AddressLine1",
    "AutomationRulesActionV2",
    "AutoPublishCodeSha256",
    "ec2_key_name",
    "route53-hosted-zone",
    "__Ec2KeyName",
]
# Random values, chosen values (a year closing a word) and shapes outside the boundary
NOT_CODE_IDENTIFIERS = [
    "Xk9pQ2vL7mN4",
    "h8Tz.Kq3Wm",
    "q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q",
    "Kq3Wm9xPz",
    "SummerTime2024",  # a year or a count: three digits or more after a word of four letters or more
    "Spring2024Garden",  # (anywhere)
    "KeyName",  # no digit: the engine's letters-only test judges it
    "S3Key",  # one word
    "9Ec2KeyName",  # starts with a digit
    "ec2keyname9x",  # lower case on both sides of a digit run: no word boundary
    "abc9defgh",
    "Msg2Vpc3Rds",  # words without vowels
    "Ec2Key4Name5Id",  # three digit runs
    "SHA384WITHRSA",  # two acronyms
    "Bmy2Qx",
    "Ec2-Key",
    "Ec2Key Name",
]


@pytest.mark.parametrize("index", range(len(CODE_IDENTIFIERS)))
def test_code_identifiers(index: int) -> None:
    assert is_code_identifier(CODE_IDENTIFIERS[index])


@pytest.mark.parametrize("index", range(len(NOT_CODE_IDENTIFIERS)))
def test_values_that_are_not_code_identifiers(index: int) -> None:
    assert not is_code_identifier(NOT_CODE_IDENTIFIERS[index])


NAMESPACED_NAMES = [
    "ns:camelWordsHere",
    "lambda:createdBy",
    "serverlessrepo:applicationId",
    "serverlessrepo:semanticVersion",
    "stateMachine:createdBy",
    "sts:AssumeRole",
    "ec2:DescribeInstances",
    "ly:context-name",
    "aws:cloudformation:stack-name",
    "ns:Ec2KeyName",
]
NOT_NAMESPACED_NAMES = [
    "svc:Xk9pQ2vL7mN4",  # a random part after the colon
    "Xk9pQ2:camelWordsHere",  # a random prefix
    "cognito:username",  # one word
    "rds:Cluster",
    "ns::camelWordsHere",  # an empty segment
    ":camelWordsHere",
    "camelWordsHere",
    "admin:hunter22",
]


@pytest.mark.parametrize("index", range(len(NAMESPACED_NAMES)))
def test_namespaced_names(index: int) -> None:
    assert is_namespaced_name(NAMESPACED_NAMES[index])


@pytest.mark.parametrize("index", range(len(NOT_NAMESPACED_NAMES)))
def test_values_that_are_not_namespaced_names(index: int) -> None:
    assert not is_namespaced_name(NOT_NAMESPACED_NAMES[index])


NAME_PATHS = [
    "S3Key/path/to/object",
    "caching/unauthorizedCacheControlHeaderStrategy",
    "Megabits/Second",
    "throttling/burstLimit",
    "Uploads/2024/ReportFile",
    "Exports/Ec2KeyName/",
]
NOT_NAME_PATHS = [
    "h8Tz/Kq3Wm9x",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCY",  # base64's slashes cut random runs
    "Uploads/Xk9pQ2vL7m",  # one random segment is enough
    "Uploads//ReportFile",
    "Uploads",
    "2024/2025",  # no word
    "o/q5nf3o",
]


@pytest.mark.parametrize("index", range(len(NAME_PATHS)))
def test_name_paths(index: int) -> None:
    assert is_name_path(NAME_PATHS[index])


@pytest.mark.parametrize("index", range(len(NOT_NAME_PATHS)))
def test_values_that_are_not_name_paths(index: int) -> None:
    assert not is_name_path(NOT_NAME_PATHS[index])


@pytest.mark.parametrize(
    ("alphabet", "low", "high", "most"),
    [
        (string.ascii_letters + string.digits, 8, 16, 30),  # measured: 1 in 770 (26 per 20,000)
        (string.ascii_letters + string.digits + "+/", 8, 16, 30),
        (string.ascii_letters + string.digits, 17, 40, 3),  # measured: 1 in 70,000
        (string.ascii_lowercase + string.digits, 8, 16, 1),  # measured: none
    ],
)
def test_few_random_values_read_as_code_names(alphabet: str, low: int, high: int, most: int) -> None:
    rng = random.Random(11)
    values = ["".join(rng.choices(alphabet, k=rng.randint(low, high))) for _ in range(20_000)]
    taken = [v for v in values if is_code_identifier(v) or is_namespaced_name(v) or is_name_path(v)]
    assert len(taken) <= most


def test_references_are_a_subset_of_placeholders() -> None:
    assert is_reference("${API_KEY}") and is_reference("{{ x }}") and not is_reference("changeme")


def test_hash_uuid_doc_example() -> None:
    assert is_hash("5f2c9a1b7d4e6f8091a2b3c4d5e6f708")  # md5-length hex
    assert is_hash("sha512-q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Qs0Jd5Hf7Tg2Ue9Ia3Ko6Mz1Px4Vw8Ey5Bn0Cr2Dl7==")
    assert is_hash("sha256:" + "ab" * 32)
    assert is_hash("rl-sha256:" + "ab" * 32)  # a tool's prefix first (ReversingLabs' reports)
    assert not is_hash("mysecret-sha1-" + "ab" * 16)  # (there only after "sha…:")
    assert is_hash("ABCD 1234 EF56 7890 ABCD  1234 EF56 7890 ABCD 1234")  # GPG fingerprint
    assert is_hash("$2b$12$abcdefghijklmnopqrstuu8uYc6Jd0Hf5Ug2Ea9Ib3Ko7Mz1Pq4V")
    assert not is_hash("q7Zt3Xm9Lp2Wk8Rv4Yb1Nc6Q")
    assert is_uuid("3f2a9c1b-7d4e-4f80-91a2-b3c4d5e6f708") and not is_uuid("3f2a9c1b-7d4e")
    assert is_doc_example("AKIAIOSFODNN7EXAMPLE") and not is_doc_example("AKIA" + "Q7ZT3XM9LP2WK8RV")


def _jwt(header: str, claims: dict[str, object]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{body}.sig"


def test_textbook_jwts_are_documentation() -> None:
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    # {"sub":"1234567890","name":"John Doe","iat":1516239022} and {"sub":"8721345","name":"Alex River"}
    textbook = header + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.sig"
    real = header + ".eyJzdWIiOiI4NzIxMzQ1IiwibmFtZSI6IkFsZXggUml2ZXIifQ.sig"
    assert is_doc_example(textbook) and not is_doc_example(real)
    assert not is_doc_example(header + ".not-base64!.sig")
    # PyJWT's README: {"some": "payload"}; ory/fosite's tests: {"foo": "bar"}; PyJWT's tests: {"test": 1234};
    # a claim of someone's (a subject, an issuer) makes it someone's token
    for claims in ({"some": "payload"}, {"foo": "bar"}, {"test": 1234}):
        assert is_doc_example(_jwt(header, claims)), claims
    for claims in ({"some": "payload", "sub": "8721345"}, {"foo": "bar", "iss": "acme"}, {"foo": True}, {}):
        assert not is_doc_example(_jwt(header, claims)), claims


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


# the inside of Python replacement fields (Format String Syntax; f-strings' "=")
FORMAT_FIELDS = [
    "args.password!r",
    "x:>10",
    "cfg.pw!s:>10",
    "row[0]",
    "0[db].password!a",
    "!r",
    ":*^30",
    "x:+.3e",
    "n:#x",
    "total:_.2f",
    "x:{width}.{precision}f",
    "now:%Y-%m-%d %H:%M",
]
# braced literals with the same characters, values ending as random ones do, bare names (left to the rules)
NOT_FORMAT_FIELDS = [
    "Wq8;Lz3}}Rk7Tp",
    "Rk7!Tp2Wq8L",
    "Rk7:Tp2Wq8L",
    "p@ss:word",
    "x!z",
    "x:>10q",
    "Kx8Lm2Qp9Rt4=",  # base64 (an f-string's "=" is not taken)
    "Kx8Lm2Qp9Rt4:",  # an empty spec is not taken
    "dbPassword",
    "",
]


@pytest.mark.parametrize("value", FORMAT_FIELDS)
def test_python_replacement_fields_are_format_fields(value: str) -> None:
    assert is_format_field(value)


# the inside of .NET composite format items (String.Format, interpolated $"..." strings): an index or a name
# with a width, a format string or both
COMPOSITE_ITEMS = [
    "0,-8",
    "2,10",
    "pw,10:N2",
    "password,-8",
    "2:X8",
    "cfg.Password:D",
    "creds[db],-12",
    "GetPassword(),8",
    "when,-12:yyyy-MM-dd",
    "0:yyyy-MM-dd HH:mm:ss",
    "0:#,##0.00",
    "amount:C",
    "n:0.00E+00",
    "pwd2, -16:G",
]
# braced passwords beside a comma or a colon, and shapes no composite item takes
NOT_COMPOSITE_ITEMS = [
    "Kx8,Lm2;Qp9",  # a ; (why a password is put in braces)
    "Rk7,9:Tp2 Wq8",
    "Hm4,-8Nx",  # a width is a number, then the end or a format
    "pa2uq,8",  # a name is words, then two digits at most
    "pw,:N2",  # an empty width
    "pw,10:Q",  # no format is Q
    "pw:N123",  # a standard format's precision: two digits here
    "0,-8;",
]


@pytest.mark.parametrize("value", COMPOSITE_ITEMS)
def test_dotnet_composite_format_items_are_format_fields(value: str) -> None:
    assert is_format_field(value)


@pytest.mark.parametrize("value", NOT_COMPOSITE_ITEMS)
def test_braced_passwords_beside_commas_are_not_format_fields(value: str) -> None:
    assert not is_format_field(value)


def test_few_random_values_with_commas_read_as_format_fields() -> None:
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + "!:[]=.;{}-_ %,"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 16))) for _ in range(5000)]
    assert sum(map(is_format_field, values)) <= 10


@pytest.mark.parametrize("value", NOT_FORMAT_FIELDS)
def test_braced_literals_and_bare_names_are_not_format_fields(value: str) -> None:
    assert not is_format_field(value)


def test_few_random_values_read_as_format_fields() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "!:[]=.;{}-_ %"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 16))) for _ in range(5000)]
    assert sum(map(is_format_field, values)) <= 5


def test_stripe_publishable_keys_are_public_and_look_alikes_are_not() -> None:
    rng = random.Random(11)
    body = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(99))
    for prefix in ("pk_live_", "pk_test_"):
        assert is_public_key(prefix + body) and is_public_key(prefix + body[:24])
        # in base64, as a Kubernetes Secret's data holds it
        assert is_public_key(base64.b64encode((prefix + body).encode()).decode())
    for secret in ("sk_live_", "rk_live_", "sk_test_", "rk_test_"):
        assert not is_public_key(secret + body)
    assert not is_public_key("pk_test_" + body[:23])  # shorter than any Stripe key
    assert not is_public_key("pk_test_M9KF3R8DPWN2X4HVBQY5ZGCS7L1A")  # Courier's token: upper case, a secret
    assert not is_public_key("pk_" + body[:34])  # Klaviyo's private key
    assert not is_public_key("pk_live_" + body + "!")


def test_placeholder_check_is_linear_in_the_value_length() -> None:
    """Candidates can be kilobytes long (a key body, a base64 run, a hostile repository's 10 kB "token"). The
    placeholder check once tried ``[-_a-z0-9]*x{6,}$`` at every position: 1.5 s for one 10 kB alphanumeric
    value, so 200 such values took minutes. They must take seconds (120 s is the hang guard, not a timing)."""
    import threading

    rnd = random.Random(11)
    alphabet = string.ascii_letters + string.digits
    values = []
    for n in range(200):
        kind = n % 4
        if kind == 0:
            values.append("".join(rnd.choice(alphabet) for _ in range(10_000)))
        elif kind == 1:
            values.append(f"{rnd.getrandbits(40_000):010000x}")
        elif kind == 2:
            values.append("x" * 10_000 + "!")
        else:
            values.append("usebereal" * 1_100 + "Q")
    answers: list[bool] = []
    worker = threading.Thread(target=lambda: answers.extend(map(is_placeholder, values)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "200 values of 10 kB: no answer within 120 s"
    assert answers == [n % 4 == 2 for n in range(200)], "only the long run of x is a placeholder"
    # the shapes the rewritten alternatives stand for are still placeholders
    tail = "".join(rnd.choice(alphabet) for _ in range(30)).replace("x", "k").replace("X", "k")
    assert is_placeholder("sk_live_" + "X" * 8)
    assert is_placeholder(tail + "_xxxxxx") and is_placeholder(tail + "XXXXXX")
    assert not is_placeholder(tail + "xxxxx")  # five are not enough at the end
    assert is_placeholder("xxxx-" + tail.lower()) and not is_placeholder("xxxx-" + tail.lower() + "!")


def test_reads_as_words_takes_identifiers_and_almost_no_random_runs() -> None:
    from autoaudit_secrets.scan.engine._filters import reads_as_words

    for identifier in ("JIRAConfigEngagementBase", "JiraClientRetryBase", "Ec2KeyName", "ShodanApiClient"):
        assert reads_as_words(identifier), identifier
    # a run of letters that splits on its case changes, but not into words (the corpus's Atlassian key)
    for value in ("DjayBenyJrtpvydFCzAphcqc", "zhchuPQ2u68pbS7AfwkjZKUP", "Config"):
        assert not reads_as_words(value), value
    # a y after a word's first letter is a vowel there (not in is_code_identifier's shorter values)
    for identifier in ("AsyncSQLAlchemyInstallationStore", "PythonSystemStyle", "CryptoSymbolTable"):
        assert reads_as_words(identifier), identifier
    assert not reads_as_words("YbxqTmrw") and not is_code_identifier("Sync2Style")
    rng = random.Random(20261204)
    alphabet = string.ascii_letters + string.digits
    taken = sum(reads_as_words("".join(rng.choice(alphabet) for _ in range(24))) for _ in range(20_000))
    assert taken <= 5  # measured: about 2 in 100,000 of 24 characters


def test_a_posthog_project_key_is_public_and_a_personal_key_is_not() -> None:
    from autoaudit_secrets.scan.engine._filters import is_public_key

    assert is_public_key("phc_" + "hmVSxIjTW1REBHXgj2aw4HW9X6CXb6FzerBgP9XenC7")
    assert not is_public_key("phx_" + "hmVSxIjTW1REBHXgj2aw4HW9X6CXb6FzerBgP9XenC7")
    assert not is_public_key("phc_short")


def test_storage_key_names_with_three_words_or_a_version_are_names() -> None:
    from autoaudit_secrets.scan.engine._filters import is_namespaced_name

    assert is_namespaced_name("agenta:subscription-pair-models")
    assert is_namespaced_name("agenta:agent-type-by-app:1")
    assert not is_namespaced_name("testcases:columns")  # (two words: may be a user and a password)
    assert not is_namespaced_name("admin:Xk9pQ2vL7m")
