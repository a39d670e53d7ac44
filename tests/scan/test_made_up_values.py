"""Values that name, point at or make up a secret rather than hold one, in the shapes of a FastAPI + Next.js
application's repository (polarsource/polar's tree gave 87 reports, most of them these): OpenAPI ``$ref``
pointers under ``client_secret``, an env var's name passed on in a JavaScript object, ``Bearer`` and an env
var's name, test values of lower-case words and a counter (``rk_test_123``), lookup keys (``debounce_key``)
and a key's name holding ``pass`` inside another word (``COMPASS_INTRO_KEY``). Real temp trees scanned by
the real scanner; each quiet shape has a random value in the same place that stays reported (built at run
time: this file is scanned too)."""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from pathlib import Path

import pytest

from autoaudit_secrets.scan import ScanConfig, Scanner, ScanOptions, is_secret_name
from autoaudit_secrets.scan.engine._detector import _looks_like_identifier
from autoaudit_secrets.scan.engine._filters import (
    is_keyboard_mash,
    is_namespaced_name,
    is_placeholder,
    name_words,
    names_password,
    reads_as_words,
)
from tests.conftest import random_chars

_ALNUM = string.ascii_letters + string.digits

# (file name, text with "{v}" where the value goes, a made-up value that must be quiet there)
QUIET = [
    ("openapi.json", '{{"properties": {{"client_secret": "{v}"}}}}\n', "#/components/schemas/ClientSecret"),
    ("openapi.json", '{{"api_key": {{"$ref": "{v}"}}, "token": "{v}"}}\n', "#/definitions/Token"),
    ("settings.yaml", "webhookSecret: {v}\n", "APP_WEBHOOK_SECRET,"),
    ("test_oauth.py", 'headers = {{"Authorization": "Bearer {v}"}}\n', "REGISTRATION_ACCESS_TOKEN"),
    ("test_keys.py", 'api_key = "{v}"\n', "rk_test_123"),
    ("test_keys.py", 'api_key = "{v}"\n', "rk_live_123"),
    ("test_tokens.py", 'refresh_token = "{v}"\n', "refresh_456"),
    ("email.tsx", "personal_access_token: '{v}',\n", "token_xyz789"),
    ("design.mdx", '"token": "{v}",\n', "org_cst_abc123xyz"),
    ("design.mdx", '"token": "{v}",\n', "org_cst_def456"),
    ("test_members.py", 'access_token = "{v}"\n', "gh_b2c_token"),
    ("mocks.py", 'client_secret = "{v}"\n', "pi_e2e_default_secret"),
    # onyx-dot-app/onyx (FastAPI + Next.js): 95 reports, 60 of them these
    ("test_auth.py", 'password = "{v}"\n', "TestPassword123!"),  # stand-in words, a count from one, "!"
    ("users.spec.ts", 'const password = "{v}";\n', "NewUserPassword123!"),
    ("test_tool.py", 'access_token = "{v}"\n', "user_passthrough_token_99999"),  # a repeated digit
    ("test_config.py", 'api_key = "{v}"\n', "sk-test-key-12345"),
    ("test_oidc.py", 'oidc_access_token = "{v}"\n', "oidc_test_token_abc123_not_a_real_jwt_xyz789"),
    ("test_scrub.py", '_SECRET_KEY = "{v}"\n', "sk-anthropic-supersecret-DO-NOT-LEAK-1234567890"),  # a canary
    ("test_auth.py", 'data = {{"password": "{v}"}}\n', "nottheactualpass"),
    (  # MinIO's published default user and password, a local server's in CI
        ".github/workflows/tests.yml",
        'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    env:\n      S3_SECRET_ACCESS_KEY: "{v}"\n'
        "    steps:\n      - run: pytest\n",
        "minioadmin",
    ),
    ("test_prepuller.py", '_PUSH_KEY = "{v}"\n', base64.b64encode(b"fakekey" * 5).decode()),
    ("cache.py", 'CELERY_BEAT_HEARTBEAT_KEY = "{v}"\n', "app:celery:beat:heartbeat"),  # a Redis key's path
    # netbox-community/netbox and paperless-ngx/paperless-ngx (Django + Postgres + Redis, Docker)
    ("test_views.py", "data['password'] = '{v}'\n", "foobar123abc"),  # stand-in words and fillers
    ("test_api.py", "User(username='user2', password='{v}')\n", "FooBarFooBar2"),
    ("test_views.py", "password = '{v}'\n", "pass1xxx"),
    ("permissions.spec.ts", "  typeKey: '{v}',\n", "Document"),  # one capitalised word: an enum's value
    # jumpserver/jumpserver (Django, Ansible playbooks): a registry key's path under a name holding "Key"
    (
        "playbook.yml",
        '- win_shell: |\n    $eventLogKey = "{v}"\n',
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\$serviceName",
    ),
    ("setup.ps1", '$appKey = "{v}"\n', "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\App\\Settings"),
    # TandoorRecipes/recipes (Django): a saved web page's script, a message shown for a password field
    ("page.html", '<script>var a = {{"errorPass":"{v}"}};</script>\n', '<p class=\\"error\\">No match<\\/p>'),
    ("messages.js", "const wrongPassword = '{v}';\n", "<b>Wrong password</b>"),
    # getredash/redash: an LDAP attribute's name as an env lookup's default, under a key's name
    ("settings.py", 'LDAP_NAME_KEY = os.environ.get("LDAP_NAME_KEY", "{v}")\n', "displayName"),
    # Flagsmith/Flagsmith: a docker build --secret option's pairs, in a Dockerfile's usage comment
    ("Dockerfile", 'FROM python:3.12\n#   --secret="{v}" .\n', "id=github_private_cloud_token,env=GH_TOKEN"),
    # freedomofpress/securedrop: a forward reference in a Python annotation
    ("models.py", 'class Journalist:\n    otp_secret: "{v}" = None\n', "Optional[str]"),
    ("models.py", 'def set_password(self, passphrase: "{v}") -> None:\n    pass\n', "dict[str, Any]"),
    (  # its install docs' Kubernetes Secret: base64 of a field's name ("postgres-user-password")
        "k8s/secrets.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  postgresql-postgres-password: {v}\n",
        base64.b64encode(b"postgres-user-password").decode(),
    ),
    # DefectDojo/django-DefectDojo: a scanner's report quoting a test value that says it is none, and one
    # that gives a secret it found as the digest of it
    ("report.rl.json", '{{"rule_id": "SQ34101", "secret": "{v}"}}\n', "rl-sha256:" + "f83ed414" * 8),
    # Agenta-AI/agenta (FastAPI + Next.js): a name after "@", a word and a test's count under "token", a
    # capitalised word after a ternary's "pass" string, a PostHog project key (public: the browser sends it)
    ("utils.py", 'AG_REFERENCES_KEY = "{v}"\n', "@ag.references"),
    ("tools.test.ts", '  token: "{v}",\n', "permission-1"),
    ("ChatTurnView.tsx", 'const label = verdict === "pass" ? "Pass" : "{v}";\n', "Done"),
    ("env.oss.dev.example", "POSTHOG_API_KEY={v}\n", "phc_hmVSxIjTW1REBHXgj2aw4HW9X6CXb6FzerBgP9XenC7"),
    ("huskyci.json", '{{"code": "password = \'{v}\' #nohusky"}}\n', "thisisnotapassword"),
    # netbox-community/netbox: a key's value typed in a row, in a test (not documentation)
    ("test_api.py", "data = {{'auth_type': 'wpa-personal', 'auth_psk': '{v}'}}\n", "abc123def456"),
    ("test_views.py", "    'auth_key': '{v}',\n", "abcd1234efgh5678"),
    # PrefectHQ/prefect: base64 of "hello world", an environment's name and the kind, a user and a stand-in
    # password with a count, a W3C traceparent under a label's key
    (
        "test_deploy.py",
        'assert captured == {{"api_key": "{v}"}}\n',
        base64.b64encode(b"hello world").decode(),
    ),
    ("test_settings.py", 'target = {{"pass": "{v}"}}\n', "prod_pass"),
    (
        "server-helm.sh",
        "kubectl create secret generic a --from-literal auth-string='{v}'\n",
        "admin:password123",
    ),
    # NginxProxyManager/nginx-proxy-manager: certbot DNS plugins' credentials files as JSON strings, a token
    # elided in an API schema's example
    (
        "dns-plugins.json",
        '{{"credentials": "{v}"}}\n',
        "dns_cdmon_api_key=your-cdmon-api-token\\ndns_cdmon_domain=your_domain_is_optional",
    ),
    ("dns-plugins.json", '{{"credentials": "{v}"}}\n', "dns_duckdns_token=your-duckdns-token"),
    ("post.json", '{{"token": "{v}"}}\n', "eyJhbGciOiJSUzUxMiIsInR5cCI6IkpXVCJ9.ey...xaHKYr3Kk6MvkUjcC4"),
    # umami-software/umami's history: a Yarn 2+ lockfile's dependency ranges under packages named like keys
    ("yarn.lock", '"umami@workspace:.":\n  dependencies:\n    path-key: "{v}"\n', "npm:^3.1.0"),
    ("package.json", '{{"dependencies": {{"jwt-token": "{v}"}}}}\n', "npm:@scope/jwt-token@2.0.0-rc.1"),
    # docker/awesome-compose: a healthcheck reading the password from its secret ("$$": compose's "$")
    (
        "compose.yaml",
        "services:\n  db:\n    image: mariadb\n    healthcheck:\n      test: ['CMD-SHELL', 'mysqladmin ping"
        ' -h 127.0.0.1 --password="{v}" --silent\']\n',
        "$$(cat /run/secrets/db-password)",
    ),
    # coollabsio/coolify (Laravel): validation rules, a stand-in password; its Monaco editor's token types
    ("GithubController.php", "$request->validate(['client_secret' => '{v}']);\n", "required|string|max:255"),
    ("ModelFillableCreationTest.php", "        'mysql_root_password' => '{v}',\n", "rootpass123"),
    ("apex.js", 'x={{root:[[/[a-z_$][\\w$]*/,{{cases:{{"@keywords":{{token:"{v}"}}}}}}]]}}\n', "keyword.$0"),
    ("html.js", 'x=[[/(<)(\\w+)/,{{token:"{v}",next:"@tag"}}]]\n', "keyword.$S2"),
    ("xml.js", 'x=[[/(<\\/)(\\w+)/,{{token:"{v}"}}]]\n', "keyword.tag-$1"),
    ("razor.js", 'x=[[/<\\/script/,{{token:"{v}",next:"@pop"}}]]\n', "@rematch"),
    # hatchet-dev/hatchet: a short label and a count, and a pattern of event keys
    (
        "durable_listener_test.go",
        '\ttuple := listenTuple{{taskId: "task-1", signalKey: "{v}"}}\n',
        "signal-1",
    ),
    ("worker.py", 'WILDCARD_KEY = "{v}"\n', "subscription:*"),
    (
        "test_run_telemetry.py",
        'labels = {{LABELS_TRACEPARENT_KEY: "{v}"}}\n',
        "00-ec8af70b445d54387035c27eb182dd22-4a593d8fa95f1902-01",
    ),
    # polarsource/polar: lower-case word runs with a shorthand holding digits (a period, "e2e", a count)
    ("test_service.py", '        org_key="{v}",\n', "mrr_interval_count_3mo"),
    ("seeds_load.py", 'Link(client_secret="{v}")\n', "polar_cl_e2e_seed_checkout_link_subscription"),
    ("test_oauth2_token.py", 'Token(access_token="{v}")\n', "polar_at_u_sso1"),
    ("test_oauth2_token.py", 'Token(refresh_token="{v}")\n', "k8s_i18n_refresh_token_fixture"),
    # localstack/localstack: snapshot tests' stand-ins, an S3 object key, the UUID of documentation's
    # examples, an API Gateway mapping template's variable, a word and a count
    ("test_callback.snapshot.json", '{{"TaskToken": "{v}"}}\n', "<<task_token>:1>"),
    ("test_misfits.snapshot.json", '{{"ApiKey": "{v}"}}\n', "<physical-resource-id:1>Name"),
    (
        "serverless-apigw-lambda.json",
        '{{"Code": {{"S3Key": "{v}"}}}}\n',
        "serverless/test-service/local/1708076358388-2024-02-16T09:39:18.388Z/api.zip",
    ),
    ("test_apigateway.snapshot.json", '{{"secret": "{v}"}}\n', "123e4567-e89b-12d3-a456-426614174000"),
    ("test_apigateway_basic.py", 'template = \'{{"api-key" : "{v}"}}\'\n', "$context.identity.apiKey"),
    ("test_secretsmanager.py", 'client.create_secret(Name=name, SecretString="{v}")\n', "Something1"),
    # sqlalchemy/sqlalchemy: a capitalised label and a count; redis/redis-py: a keyspace event's channel
    ("test_relationship_criteria.py", 'orange2 = Room(token="{v}", color=orange)\n', "Orange-2"),
    ("test_keyspace_notifications.py", 'channel_key = "{v}"\n', "__keyspace@0__:mykey"),
    # getmoto/moto: two rows typed in turn, an AWS idempotency token, a metadata entry's name
    ("test_ds.py", 'self.update_token = "{v}"\n', "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"),
    ("test_ds.py", 'update_token = "{v}"\n', "a1b2c3d4e5f6g7h8i9j0"),
    # authelia/authelia: the name said again, a value saying what it is or that it is not secure (base64 of
    # "a_not_so_secure_encryption_key"), a configuration key's path through a list, Google Authenticator's
    # example TOTP secret repeated
    ("config.template.yml", "redis:\n  # sentinel_password: '{v}'\n", "sentinel_specific_pass"),
    ("settings.py", 'DB_PASSWORD = "{v}"\n', "db_pass"),
    ("configuration.yml", "oidc:\n  hmac_secret: '{v}'\n", "this_is_a_secret_abc123abc123abc"),
    ("authelia.yml", "storage:\n  encryption_key: {v}\n", "YV9ub3Rfc29fc2VjdXJlX2VuY3J5cHRpb25fa2V5"),
    ("deprecation.go", '\t\tNewKey:  "{v}",\n', "identity_providers.oidc.clients[].client_secret"),
    ("suite_pam.go", 'const pamTOTPSecret = "{v}"\n', "JBSWY3DPEHPK3PXP" * 3),
    # ory/kratos: a string closed and concatenated where the value goes, an e-mail address
    ("handler_test.go", 'x := json.RawMessage(`{{"session_token": "{v}"}}`)\n', "`+sess.Token+`"),
    (
        "provider_vk.go",
        'http.NewRequest("GET", "https://api.vk.com/method/users.get?v=5&access_token={v}&v=5.103")\n',
        '"+exchange.AccessToken+"',
    ),
    ("client.py", 'payload = \'{{"api_key": "{v}"}}\'\n', "' + api_key + '"),
    ("manager_test.go", 't := `{{"email":"baz@ory.sh","email_creds":"{v}"}}`\n', "baz@ory.sh"),
    # hoppscotch/hoppscotch: what a test calls the password it changes, a Vue binding's expression
    ("request.spec.ts", '        password: "{v}",\n', "original-pass"),
    ("pre-request.spec.ts", '      password: "{v}",\n', "existing-pass"),
    ("RequestPreview.vue", '<Auth\n        :inherited-auth="{v}"\n/>\n', "inheritedProperties?.auth"),
    # sqlalchemy/sqlalchemy's history: a stand-in word, then words run together up to the secret's kind
    ("test_pyodbc.py", 'BACKEND_APP_CREDENTIAL = "{v}"\n', "fakebackendappcredential"),
    # encode/httpx, aio-libs/aiohttp: RFC 2617's example password, RFC 6455's GUID
    ("test_auth.py", 'auth = httpx.DigestAuth(username="Mufasa", password="{v}")\n', "CircleOfLife"),
    ("helpers.py", 'WS_KEY: Final[bytes] = b"{v}"\n', "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
    # karakeep-app/karakeep: a key a test says is invalid
    ("apiKeys.test.ts", '          apiKey: "{v}",\n', "ak2_invalid"),
    # louislam/uptime-kuma: FreeRADIUS's default client secret, a URL template's names of its parts
    ("test-radius.js", '    const secret = "{v}";\n', "testing123"),
    (
        "Apprise.vue",
        '<p>{{{{ $t("Example:", ["twilio://AccountSid:{v}@FromPhoneNo"]) }}}}</p>\n',
        "AuthToken",
    ),
    # docker-mailserver/docker-mailserver: base64 of "access_token" after a prefix, an LDAP search filter
    ("mail_with_oauth2.bats", "  local ACCESS_TOKEN='{v}'\n", "DMS_YWNjZXNzX3Rva2Vu"),
    ("replace_by_env.bats", "  export TEST_KEY_1='{v}'\n", "(&(objectClass=mailAccount)(uid=%n))"),
    # fief-dev/fief: a value that asks to be changed
    (".env.dist", "SECRET={v}\n", "ThisShouldBeChangedInProduction"),
    ("settings.py", 'SECRET_KEY = "{v}"\n', "this-must-be-changed-before-deploying"),
    # langfuse/langfuse: a keyboard shortcut, a CSS variable as a design token's name, a key elided for
    # display, a licence key that is its name's words and "test"
    ("jsonMagicPaste.ts", 'const PASTE_RAW_KEY = "{v}";\n', "Mod-Shift-v"),
    ("editor.js", 'autocomplete: {{ bindKey: "{v}" }},\n', "Ctrl-Space|Ctrl-Shift-Space|Alt-Space"),  # Ace
    ("Layout.tsx", '  {{ token: "{v}", label: "app canvas" }},\n', "--background"),
    ("ApiKeyList.test.tsx", '      displaySecretKey: "{v}",\n', "sk-lf-...5678"),
    # getsentry/sentry-python: a dependency with its version, base64 of "admin", a token's prefix and XXXX
    ("tox.ini", "[testenv]\ndeps =\n    auth-token-v2.0: {v}\n", "aiohttp==3.13.5"),
    ("tox.ini", "[testenv]\ndeps =\n    auth-token-v2.0: {v}\n", "httpx[http2]>=0.27,<0.29"),
    ("secret.yaml", "data:\n  password: {v}  # 'admin' base64 encoded\n", "YWRtaW4="),
    ("supply-chain.md", "//registry.npmjs.org/:_authToken={v}\n", "npm_XXXX"),
    # bitnami/charts: a reference escaped for the shell a template's script runs in
    (
        "scripts-configmap.yaml",
        'data:\n  ping.sh: |\n    echo "{{{{- if .Values.auth }}}}REDISCLI_AUTH="{v}" {{{{ end }}}} $c"\n',
        "\\$REDIS_PASSWORD",
    ),
    # nginx-proxy/acme-companion: an acme.sh configuration key's name and its sign, for grep
    ("run.sh", 'acme_pre_hook_key="{v}"\n', "Le_PreHook="),
    # ansible/awx: its API's stand-in for a stored secret, a route's regular expression, tests' stand-ins
    ("serializers.py", "        ret['password'] = '{v}'\n", "$encrypted$"),
    ("resources.py", "    _credential = r'{v}'\n", "credentials/\\d+/"),
    ("resources.py", "    _related_credentials = r'{v}'\n", "\\w+/\\d+/credentials/"),
    ("test_runtime_params.py", "        'credential_passwords': {{'vault_password': '{v}'}},\n", "vault-me"),
    ("test_tasks.py", "pws = build_passwords(job, {{'vault_password': '{v}'}})\n", "provided-at-launch"),
    ("test_core.py", "                'SUBSCRIPTIONS_PASSWORD': '{v}',  # NOSONAR\n", "subs_pass"),
    ("main.yml", '      bearer_token: "{v}"\n', "asdf1234"),
    # MagicStack/asyncpg: password cut short and a count
    ("test_connect.py", "            'password': '{v}',\n", "passw2"),
    ("api-auth.test.ts", '      displaySecretKey: "{v}",\n', "sk-lf-\u2026cret"),
    (
        ".github/workflows/pipeline.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "LANGFUSE_EE_LICENSE_KEY={v}" >> .env\n',
        "langfuse_ee_test",
    ),
    # lepture/authlib: the OAuth RFCs' examples, quoted in docstrings and documentation
    ("token.py", '    {{"access_token":"{v}", "token_type":"Bearer"}}\n', "2YotnFZFEjr1zCsicMWpAA"),
    ("refresh_token.py", "        grant_type=refresh_token&refresh_token={v}\n", "tGzv3JOkF0XG5Qx2TlKWIA"),
    ("clients.py", 'client_secret = "{v}"\n', "7Fjfp0ZBr1KtDRbnfVdmIw"),
    ("intro.rst", '        oauth_consumer_key="{v}",\n', "dpf43f3p2l4k3l03"),
    ("intro.rst", "    oauth_token=hh5s93j4hdidpola&oauth_token_secret={v}\n", "hdhd0244k9j7ao03"),
    ("signature.py", 'consumer_secret, token_secret = "kd94hf93k423kf44", "{v}"\n', "pfkkdhi9sl3r4s00"),
    ("parameters.py", '            oauth_consumer_key="{v}",\n', "0685bd9184jfhq22"),
    ("endpoint.py", '                "client_secret": "{v}",\n', "cf136dc3c1fc93f31185e5885805d"),
    ("endpoint.py", "            Authorization: Bearer {v}\n", "reg-23410913-abewfq.123483"),
    # oauthlib, requests-oauthlib: tokens typed on a keyboard's home row in docstrings and tests
    ("oauth1_session.py", "        'oauth_token_secret': '{v}',\n", "2kjshdfp92i34asdasd"),
    ("test_oauth2_session.py", '            "access_token": "{v}",\n', "asdfoiw37850234lkjsdfsdf"),
    ("oauth1_session.py", "    'https://api.twitter.com/oauth/authorize?oauth_token={v}'\n", "sdf0o9823sjdf"),
    ("token.rst", "            'access_token': '{v}',\n", "sldafh309sdf"),
    # SigNoz/signoz: a query's storage key, an identifier spelling Kubernetes as k8s
    ("hooks.ts", "export const K8S_ENTITY_LOGS_EXPRESSION_KEY = '{v}';\n", "k8sEntityLogsExpression"),
    ("i18n.ts", "const I18N_KEY = '{v}';\n", "i18nLanguagePreference"),
    # casdoor/casdoor, SAML libraries: a standards body's URN under a key's name
    (
        "group_handler.go",
        'const GroupExtensionKey = "{v}"\n',
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Group",
    ),
    ("saml.py", 'SAML_NAMEID_KEY = "{v}"\n', "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
    # frankie567/httpx-oauth, fastapi-users: Google's documented example tokens, a stand-in in braces, a JWT
    # cut short after its header in an OpenAPI example
    ("google_success_access_token.json", '{{\n    "access_token": "{v}",\n}}\n', "1/fFAGRNJru1FTz70BzhT3Zg"),
    (
        "google_success_access_token.json",
        '{{\n    "refresh_token": "{v}"\n}}\n',
        "1/xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI",
    ),
    ("facebook_token.json", '{{\n    "access_token": "{v}",\n}}\n', "{long-lived-user-access-token}"),
    ("bearer.py", '    "access_token": "{v}",\n', "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJ1"),
    # woodpecker-ci/woodpecker, gogs/gogs: a translation call in a template's attribute, a stand-in, the
    # start of SHA-256 of nothing, GitHub's fixed word for token authentication in the password's place
    ("RegistryEdit.vue", '<TextField password="{v}" :required="!isEditing" />\n', "$t('password')"),
    ("combined_test.go", '{{Address: "docker.io", Username: "user", Password: "{v}"}},\n', "your-pw"),
    ("gitlab_test.go", '\t\tAccessToken:   "{v}",\n', "e3b0c44298fc1c149afbf4c8996fb"),
    ("security.tmpl", "<p>git clone https://{{token}}:{v}@try.gogs.io/user/repo.git</p>\n", "x-oauth-basic"),
    # pypi/warehouse: reCAPTCHA's test secret key (Google's FAQ) in a development environment file
    ("dev/environment", "RECAPTCHA_SECRET_KEY={v}\n", "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"),
    # dotnet/eShop and SQL Server's container documentation: its stand-in passwords
    (
        "appsettings.Development.json",
        '{{"ConnectionStrings": {{"CatalogDB": "Host=localhost;Database=CatalogDB;Username=postgres;'
        'Password={v}"}}}}\n',
        "yourWeak(!)Password",
    ),
    (
        "docker-compose.yml",
        "services:\n  sql:\n    image: mcr.microsoft.com/mssql/server:2022-latest\n    environment:\n"
        '      MSSQL_SA_PASSWORD: "{v}"\n',
        "YourStrong@Passw0rd",
    ),
    # Helm charts (prometheus-community, argo-helm), grafana's workflows, terraform-aws-modules: stand-ins,
    # base64 of a stand-in with echo's newline, a secret store's item and field, a sentence about the
    # value
    ("values.yaml", 'modules:\n  default:\n    user: "another"\n    pass: "{v}"\n', "another_pw"),
    ("extra-objects-values.yaml", "    data:\n      api-key: {v} # test-api-key\n", "dGVzdC1hcGkta2V5Cg=="),
    (
        ".github/workflows/update-helm-repo.yaml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: grafana/shared-workflows/actions/get-vault-secrets@main\n"
        "        with:\n          repo_secrets: |\n"
        "            GPG_KEY_NAME=helm-chart-signing-key:key_name\n            GPG_PASSPHRASE={v}\n",
        "helm-chart-signing-key:passphrase",
    ),
    ("README.md", "CREATE USER 's3'@'localhost' IDENTIFIED BY '{v}';\n", "YourPwdShouldBeLongAndSecure!"),
    # parse-community/parse-server: a wrong password a login test sends
    ("LdapAuth.spec.js", "await ldap.validateAuthData({{ id: 'testuser', password: '{v}' }});\n", "wrong!"),
    # sequelize/sequelize: a validator's test cases, where "pass" is the value that should pass
    (
        "validation.test.js",
        "      {{\n        fail: 'not-a-date',\n        pass: '{v}',\n      }},\n",
        "2011-02-04",
    ),
    ("api.test.js", '    session_token: "{v}",\n', "2024-07-08T10:15:30.123Z"),
    # traefik/traefik: a reference to a Kubernetes Secret's value, urn:k8s:secret:[name]:[valueKey]
    (
        "middlewares.yml",
        "http:\n  middlewares:\n    limit:\n      redis:\n        password: {v}\n",
        "urn:k8s:secret:redis:password",
    ),
    # a token format's prefix on a value too short to be one, nothing random after it: a stand-in
    # (slackapi/python-slack-sdk's and anthropics/anthropic-sdk-python's tests)
    ("test_socket_mode.py", 'client = SocketModeClient(app_token="{v}")\n', "xapp-A111-222-xyz"),
    (
        "test_credentials.py",
        'creds = {{"access_token": "{v}", "expires_at": 1775000000}}\n',
        "sk-ant-oat01-x",
    ),
    (
        "test_credentials.py",
        'tok = AccessToken(token="{v}", expires_at=123)\n',
        "sk-ant-oat01-SECRETMATERIAL",
    ),
    ("test_web.py", 'client = WebClient(token="{v}")\n', "xoxp-111-222-333-abc"),
    (
        "docker-compose.yml",
        "services:\n  bot:\n    environment:\n      SLACK_BOT_TOKEN: {v}\n",
        "xoxb-111-222-xyz",
    ),
    # octokit's auth-token README (vendored in nektos/act's test data): words naming the kind, then digits
    ("auth.test.js", 'const TOKEN = "{v}";\n', "ghp_PersonalAccessToken01245678900000000"),
    ("auth.test.js", 'const TOKEN = "{v}";\n', "ghs_InstallallationOrActionToken00000000"),
    ("core.test.js", '  auth: "{v}",\n', "personal-access-token123"),
    # pymongo's SASLprep tests (RFC 4013): a password of one character, written as its escape
    ("test_auth.py", 'client = MongoClient(username="\\u2168", password="{v}", authSource="s")\n', "\\u2163"),
    # OpenTelemetry's B3 propagator: the names of HTTP headers under *_KEY constants
    ("b3_format.py", 'TRACE_ID_KEY = "{v}"\n', "x-b3-traceid"),
    ("b3_format.py", 'FLAGS_KEY = "{v}"\n', "x-b3-flags"),
    # oauth2-proxy's tests: a word of the name and a count
    ("google_test.go", '\t\tRefreshToken: "{v}",\n', "refresh12345"),
    # dex's connector tests: a JWT's header alone given as an access token
    ("gitlab_test.go", '\t\t\t"access_token": "{v}",\n', "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"),
    # GitHub's documentation of GitHub Apps: the REST API's example installation token, in mocks
    ("github_test.go", '\t\t"token": "{v}",\n', "ghs_16C7e42F292c6912E7710c838347Ae178B4a"),
    # Slack's documentation of request signing: its example signing secret, in the Slack SDKs' tests
    ("test_signature_verifier.py", 'signing_secret = "{v}"\n', "8f742231b10e8888abcd99yyyzzz85a5"),
    # Patroni's sample configuration: the replication role's password named for the role
    ("postgres0.yml", "postgresql:\n  authentication:\n    replication:\n      password: {v}\n", "rep-pass"),
    # better-auth's tests: a stand-in word before the credential's kind inside a format's shape, and a token
    # saying it is not valid
    ("oauth.test.ts", 'const plainToken = "{v}";\n', "ya29.a0ARW5m7hQ_some_oauth_token"),
    ("oauth.test.ts", 'headers = {{ authorization: "Bearer {v}" }}\n', "this-is-not-a-valid-access-token"),
    # auth0/node-jsonwebtoken's tests: {"foo": "bar"} with the times it was issued and expires
    (
        "verify.tests.js",
        "const token = '{v}';\n",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmb28iOiJiYXIiLCJpYXQiOjE0MzcwMTg1ODIsImV4cCI6MTQzNzAxODU5Mn0"
        ".3aR3vocmgRpG05rsI9MpR6z2T_BGtMQaPq2YR6QaroU",
    ),
    # rq's Redis keys: a key's name in its namespace under a *_KEY constant
    ("keys.py", "SUSPENDED_KEY = '{v}'\n", "rq:suspended"),
    ("test_queue.py", "q_past_jobs_key = '{v}'\n", "rq:queue:_pastjobs:default"),
    # testcontainers-python's and its docs' Docker registry auth: base64 of "username:password"
    (
        "test_auth.py",
        'auth_config_json = \'{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{v}"}}}}}}\'\n',
        "dXNlcm5hbWU6cGFzc3dvcmQ=",
    ),
    # session 36's real trees (cloudnative-pg, dragonfly, paperless-ngx, pgbouncer, supabase/auth, temporal,
    # zalando/postgres-operator): a key's file, a command's output, a protocol frame, a statement's keywords,
    # a count, a registry key, a format's slots
    (
        "docker-compose.yml",
        "services:\n  es:\n    image: elasticsearch\n    environment:\n"
        "      - xpack.security.http.ssl.key={v}\n",
        "certs/elasticsearch-key.pem",
    ),
    (
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: PASS={v}\n",
        "`jq -r .passed results.json`",
    ),
    ("connection_test.py", 'message_token = b"{v}"\n', "$7\\r\\nmessage\\r\\n"),
    ("users.go", 'userPassword = "{v}"\n', "PASSWORD NULL"),
    ("profile.spec.ts", "const newToken = '{v}'\n", "789101112hijk"),
    ("pgbevent.c", '#define APP_KEY "{v}"\n', "SYSTEM\\\\CurrentControlSet\\\\Services\\\\pgbouncer"),
    (
        "config.md",
        "ALTER USER app PASSWORD '{v}'\n",
        "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>",
    ),
    # PostgREST and supabase/postgres: a default that is another variable, a JSONPath, a file
    # to read the value from, a registry key under a hive written in another case, pgjwt's {"name": "Foo"}
    ("schema.sql", '\\set auth_pass `echo "${{SUPABASE_AUTH_ADMIN_PASSWORD:-{v}}}"`\n', "$POSTGRES_PASSWORD"),
    ("postgrest.conf", 'jwt-role-claim-key = "{v}"\n', "$$.postgrest.roles[1]"),
    ("test_config.py", 'env = {{"PGRST_JWT_SECRET": "{v}"}}\n', "@/dev/stdin"),
    (
        "installer.iss",
        "  sUnInstRegKey := '{v}';\n",
        "Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall",
    ),
    (
        "pgjwt.sql",
        "    token := '{v}'\n",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiRm9vIn0.Q8hKjuadCEhnCPuqIj9bfLhTh_9QSxshTRsA5Aq4IuM",
    ),
    # citus's expected output (a join's condition), prometheus-community's chart CI values (a token's name
    # as a password), outline's .env.test (a private key's stub: the PEM rules judge PEM blocks)
    ("join.out", "\tmv1.key = {v}\n", "citus_local.key;"),
    ("join.out", "\tfoo.key = {v}\n", "table_2.value::int;"),
    ("test-values.yaml", "config:\n  password: {v}\n", "jiraToken"),
    (
        ".env.test",
        'GITHUB_APP_PRIVATE_KEY="{v}"\n',
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
    ),
    # a pnpm lockfile's version with its peers (shadcn-ui/taxonomy), JHipster's generated tests and its
    # base64 JWT secret that asks to be changed, anonymous FTP's password (thingsboard-gateway)
    (
        "pnpm-lock.yaml",
        "importers:\n  .:\n    dependencies:\n      next-auth: {v}\n",
        "4.22.1(next@13.3.2)(react@18.2.0)",
    ),
    ("register.spec.ts", "      confirmPassword: '{v}',\n", "non-matching"),
    ("ftp_connector.py", "config = {{'username': 'anonymous', 'password': '{v}'}}\n", "anonymous@"),
    (
        "application.yml",
        "jhipster:\n  security:\n    base64-secret: {v}\n",
        "bXktc2VjcmV0LWtleS13aGljaC1zaG91bGQtYmUtY2hhbmdlZC1pbi1wcm9kdWN0aW9uLWFuZC1iZS1iYXNlNjQtZW5jb2RlZAo=",
    ),
    # changedetection.io's SSRF tests (a port before a backslash, markup as a hostile header, a canary) and
    # searxng's settings ("ultra" like "super")
    ("test_validate_url.py", "urls = ['http://INTERNAL:{v}@PUBLIC/']\n", "8888\\\\"),
    ("test_api_security.py", 'headers = {{"x-api-key": "{v}"}}\n', "key<script>alert(1)</script>"),
    ("test_llm_api_key_security.py", "CANARY_KEY = '{v}'\n", "sk-CANARY-SECRET-DO-NOT-EXPOSE-12345"),
    ("settings.yml", 'server:\n  secret_key: "{v}"  # change this!\n', "ultrasecretkey"),
    # lib/pq's compose file: a password the tests never use
    (
        "compose.yaml",
        "services:\n  pg:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: '{v}'\n",
        "unused",
    ),
    # mpdavis/python-jose's tests: an HS256 token whose claims are {"a": "b"}
    (
        "test_jws.py",
        'token = "{v}"\n',
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoiYiJ9.jiMyrsmD8AoHWeQgmxZ5yq8z0lXS67_QGs52AzC8Ru8",
    ),
]


def _scan(root: Path) -> list[tuple[str, int, str]]:
    result = Scanner(ScanConfig()).scan(ScanOptions(root=root, no_ignore=True))
    return sorted((f.path, f.line, f.rule_id) for f in result.findings)


@pytest.mark.parametrize(("name", "text", "value"), QUIET, ids=[q[2] for q in QUIET])
def test_a_made_up_value_is_quiet_and_a_random_one_in_its_place_is_reported(
    tmp_path: Path, name: str, text: str, value: str
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text.format(v=value), encoding="utf-8")
    assert _scan(tmp_path) == []
    (tmp_path / name).unlink()
    real = random_chars(_ALNUM, 30) + "9"
    (tmp_path / name).write_text(text.format(v=real), encoding="utf-8")
    found = _scan(tmp_path)
    assert found and all(path == name for path, _, _ in found), found


# Names that only qualify a key as one to look something up by: their values are never judged
LOOKUP_KEYS = [
    "debounce_key",
    "deduplication_key",
    "throttle_key",
    "cache_context_key",
    "aggregation_key",  # getredash/redash: an alert destination's grouping key
    "grouping_key",
    "renderKey",  # makeplane/plane: an editor menu item's key
    "mergeKey",  # DefectDojo/django-DefectDojo's Coverity reports: the digest that tells duplicates apart
    "accessorKey",  # PrefectHQ/prefect's UI: a TanStack Table column's field
    "task_key",  # PrefectHQ/prefect: a task run's key, and its dynamic key
    "dynamic_key",
    "protobuf_key",
    "CACHE_REDIS_PREFIX_KEY",  # a prefix of keys (coolify; rust-cache's prefix-key in vaultwarden)
    "MetadataKey",  # getmoto/moto: an AWS resource's metadata entry
    "OutputKey",  # localstack/localstack: a CloudFormation stack output's and parameter's names
    "ParameterKey",
    "prefix-key",  # hatchet-dev/hatchet: generated Go code's struct tag (protobuf_key:"bytes,1,opt,...")
    "SIDEBAR_STORAGE_KEY",  # langfuse/langfuse: a localStorage entry's name, a UI activity's key
    "activityKey",
    "upgrade_token",  # sqlalchemy/alembic: the template slots a migration's steps go in
    "downgrade_token",
    "forward_key",  # tortoise/tortoise-orm: a relation's columns in a model's description
    "backward_key",
    "Sec-WebSocket-Key",  # encode/uvicorn: a WebSocket handshake's nonce (RFC 6455), sent in clear
    "annotationKey",  # bitnami/charts: a Kubernetes annotation's prefix (external-dns.alpha.kubernetes.io/)
    "remoteKey",  # external-secrets: where a PushSecret puts a value in the remote store
    "existingSecret",  # n8n-io/n8n-hosting's chart: the name of a Kubernetes Secret the release reads
    "existingSecretPasswordKey",  # (bitnami's charts: the key in that Secret)
    "catalogKey",  # cloudnative-pg: an image catalog's entry, a list of startup parameters' names
    "ignoreStartupParametersKey",
    "SYNCHRONIZER_TOKEN",  # searxng's bangs: OWASP's synchronizer token, a per-session anti-CSRF token
]


def test_lookup_keys_are_not_secret_names_and_a_signing_key_is(tmp_path: Path) -> None:
    value = random_chars(_ALNUM, 24) + "7"
    (tmp_path / "tasks.py").write_text(
        "".join(f'{n} = "{value}"\n' for n in LOOKUP_KEYS) + f'signing_key = "{value}"\n', encoding="utf-8"
    )
    assert _scan(tmp_path) == [("tasks.py", len(LOOKUP_KEYS) + 1, "generic-secret")]


def test_pass_inside_another_word_is_a_key_name_not_a_password_name(tmp_path: Path) -> None:
    chosen = random_chars(string.ascii_letters, 8) + "4!"  # a value only a password rule reports
    random = random_chars(_ALNUM, 24) + "3"
    (tmp_path / "intro.ts").write_text(
        "const COMPASS_INTRO_KEY = 'compass_intro'\n"  # a storage key's name: quiet
        f"const COMPASS_HEADING_KEY = '{random}'\n"  # a random value of a key: a secret, not a password
        f"const ADMIN_PASS = '{chosen}'\n"
        f"const dbPassword = '{chosen}'\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [
        ("intro.ts", 2, "generic-secret"),
        ("intro.ts", 3, "generic-password"),
        ("intro.ts", 4, "generic-password"),
    ]


@pytest.mark.parametrize(
    ("name", "says_password"),
    [
        ("COMPASS_INTRO_KEY", False),
        ("bypass_token", False),
        ("PASSPORT_KEY", False),
        ("PGPASSWORD", True),
        ("db_pass", True),
        ("rootpw", True),
        ("adminPass2", True),
        ("MYSQL_ROOT_PASSWD", True),
        ("user_passphrase", True),
        ("ldapPwd", True),
    ],
)
def test_names_password(name: str, says_password: bool) -> None:
    assert names_password(name_words(name)) is says_password


@pytest.mark.parametrize(
    "value",
    [
        "org_at_u_sso1",  # no counter: a run that is not in a row
        "summer_2024",  # a year, as chosen values hold
        "token_2718",  # digits not in a row
        "Summer123!",  # a chosen word, not a stand-in, before the count
        "dGlnZXItbGlseS0yOTE=",  # base64 of chosen words and digits
        "abc123def456",  # fillers alone: how a format's documented example is written
        "Pass123!@#",  # symbols a password rule asks for, beyond a test's "!"
        "abc123def456789a",  # a one-letter word is no stand-in
        "Rk_test_123",  # upper case: not lower-case words
        "refresh_9f3k2",
        "Registration_Access_Token",  # not an env var's name
        "3f2a9c1b-7d4e-4f80-91a2-b3c4d5e6f708",  # two rows in turn in its last part only
    ],
)
def test_the_counter_and_env_name_shapes_end_where_made_up_values_end(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("value", "identifier"),
    [
        ("mrr_interval_count_3mo", True),
        ("polar_at_u_sso1", True),
        ("cache-release-notes-v2-24h", True),
        ("xq7_4kz_m9p_r2", False),  # shorthand-like parts only: no words around them
        ("tok_live_8f3k2m9x7q", False),  # one long generated part
        ("ab_cd_e2e", False),  # too little left besides the shorthand
        ("ab_cd_ef_3mo_4wk_5yr", False),  # three shorthands
        ("Mrr_interval_count_3mo", False),  # not lower case
    ],
)
def test_a_lower_case_word_run_may_hold_a_short_part_with_digits(value: str, identifier: bool) -> None:
    assert _looks_like_identifier(value) is identifier


def test_a_random_uuid_and_a_made_up_word_with_a_count_stay_reported(tmp_path: Path) -> None:
    """Beside the UUID of documentation's examples and a word with a test's count (``Something1``)."""
    # (no vowel: never a word; no letter twice: a key's entropy)
    made_up_word = "Q" + "".join(secrets.SystemRandom().sample("bcdfghjklmnpqrstvwxz", 8)) + "2"
    (tmp_path / "s.json").write_text(
        f'{{"secret": "{uuid.uuid4()}",\n"token": "{made_up_word}"}}\n', encoding="utf-8"
    )
    assert _scan(tmp_path) == [("s.json", 1, "generic-secret"), ("s.json", 2, "generic-secret")]


def test_a_literal_type_of_a_union_is_quiet_and_a_value_beside_or_is_reported(tmp_path: Path) -> None:
    value = random_chars(_ALNUM, 20) + "5"
    (tmp_path / "constants.ts").write_text(
        f'export type ProviderKey = "{value}" | "openai";\n'  # a TypeScript union of literal types
        f'const providerKey = "{value}" || "openai";\n',  # a value, or another
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("constants.ts", 2, "generic-secret")]


def test_three_lower_case_names_make_a_key_path_and_two_may_be_credentials() -> None:
    assert is_namespaced_name("app:celery:beat:heartbeat")
    assert is_namespaced_name("debounce:test:key")
    assert not is_namespaced_name("license:metadata")  # user:password has this shape
    assert not is_namespaced_name("app:celery:Xk9pQ2vL7m")


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("VITE_AUTH_USE_ID_TOKEN", False),  # a frontend's build switch
        ("USE_API_KEY", False),
        ("ENABLE_TOKEN", False),
        ("HAS_PASSWORD", False),
        ("REQUIRE_PASSWORD", False),
        ("isPassword", False),
        ("uriNoPassword", False),  # sqlc's tests: a URI without a password
        ("DB_URL_WITHOUT_PASSWORD", False),
        ("ERRCODE_INVALID_PASSWORD", False),  # jackc/pgx: PostgreSQL's SQLSTATE for a wrong password
        ("SMTP_NO_REPLY_PASSWORD", True),  # a no-reply mailbox's password
        ("USER_PASSWORD", True),
        ("ISSUER_KEY", True),
        ("ID_TOKEN", True),
        # getsentry/sentry-python's tox.ini: a factor naming OpenAI's tokenizer library
        ("py3.9-langchain-notiktoken-v0.1.20", False),
        ("TIKTOKEN", False),
        ("PYPI_TOKEN", True),
    ],
)
def test_a_switch_or_a_question_about_a_secret_is_not_a_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_a_dockerfile_switch_argument_is_quiet_and_a_token_argument_is_reported(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        # (a VITE_ token is inlined into the bundle every browser gets: a browser key, quiet as well)
        "FROM node:22 AS build\nARG VITE_AUTH_USE_ID_TOKEN\nARG NPM_TOKEN\nARG VITE_ID_TOKEN\n"
        "RUN npm run build\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("Dockerfile", 3, "docker-secret-arg-no-value")]


def test_a_switch_that_takes_no_value_is_quiet_and_a_flags_password_is_reported(tmp_path: Path) -> None:
    """s3rius/FastAPI-template's Dockerfile: ``adduser --disabled-password <user>`` takes no password (the
    word after it is the user's name)."""
    key = random_chars(_ALNUM, 20) + "9"
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nRUN adduser -u 1000 --disabled-password fastapi_template\n"
        f"RUN ./deploy --api-key {key} --yes\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("Dockerfile", 3, "docker-run-secret")]
    (tmp_path / "install.sh").write_text("adduser --disabled-password --gecos '' appuser\n", encoding="utf-8")
    assert _scan(tmp_path) == [("Dockerfile", 3, "docker-run-secret")]


def test_a_token_shape_inside_a_base64_blob_is_quiet_and_the_token_alone_is_reported(tmp_path: Path) -> None:
    # A HAR file's response body: an image in base64, where a "+" or "/" can stand before "YC" and 38 more
    # characters (a Yandex Cloud access key's shape)
    b64 = string.ascii_letters + string.digits + "+/"
    key = "YC" + random_chars(_ALNUM, 38)
    blob = random_chars(b64, 200) + "/" + key + "+" + random_chars(b64, 100)
    (tmp_path / "api.har").write_text(f'{{"content": {{"text": "{blob}"}}}}\n', encoding="utf-8")
    assert _scan(tmp_path) == []
    (tmp_path / "api.har").write_text(
        f'{{"content": {{"text": "{blob}"}}, "key": "{key}"}}\n', encoding="utf-8"
    )
    assert [rule for _, _, rule in _scan(tmp_path)] == ["yandex-cloud-access-key"]


def test_a_token_shape_inside_wrapped_base64_is_quiet_and_the_token_on_its_own_line_is_reported(
    tmp_path: Path,
) -> None:
    """celery/celery's OmniGraffle files: a plist's <data>, base64 wrapped into indented lines of 68, where
    a "/" near a line's start stood before a Yandex Cloud key's shape."""
    b64 = string.ascii_letters + string.digits + "+/"
    key = "YC" + random_chars(_ALNUM, 38)
    lines = [random_chars(b64, 68) for _ in range(3)]
    lines.append(random_chars(b64, 9) + "/" + key + "+" + random_chars(b64, 68 - 51))
    lines.extend(random_chars(b64, 68) for _ in range(2))
    data = "".join(f"\t{line}\n" for line in lines)
    (tmp_path / "diagram.graffle").write_text(f"<data>\n{data}</data>\n", encoding="utf-8")
    assert _scan(tmp_path) == []
    # the same lines, but the key stands on a line of its own after them: a token, not part of the data
    (tmp_path / "diagram.graffle").write_text(f"<data>\n{data}</data>\n<key>{key}</key>\n", encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["yandex-cloud-access-key"]


def test_a_token_shape_starting_a_line_of_wrapped_base64_is_quiet_and_alone_it_is_reported(
    tmp_path: Path,
) -> None:
    """pypa/pip's contrib/get-pip.py: a zip in base64, wrapped at 76 columns in a Python string; one line
    began with a Yandex Cloud key's shape, cut from the line before by the line break."""
    b64 = string.ascii_letters + string.digits + "+/"
    key = "YC" + random_chars(_ALNUM, 38)
    lines = [random_chars(b64, 76) for _ in range(3)]
    lines.append(key + "+" + random_chars(b64, 76 - 41))
    lines.extend(random_chars(b64, 76) for _ in range(2))
    data = "\n".join(lines)
    (tmp_path / "get-pip.py").write_text(f'DATA = b"""\n{data}\n"""\n', encoding="utf-8")
    assert _scan(tmp_path) == []
    # the key on a line of its own after the data: a token
    (tmp_path / "get-pip.py").write_text(f'DATA = b"""\n{data}\n"""\n\n{key}\n', encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["yandex-cloud-access-key"]


def test_snake_case_words_after_a_provider_name_are_an_identifier_not_its_key(tmp_path: Path) -> None:
    # CTFd/CTFd: a syntax highlighter's keyword list in a vendor bundle holds
    # "physics_particle_group_polygon physics_particle_group_add_point", 32 characters of a key's alphabet
    # after "polygon": an identifier. A random key there is still reported; a passphrase of such words under
    # a password name is too.
    bundle = tmp_path / "vendor.bundle.min.js"
    text = 'hljs.register({{keywords:"physics_particle_group_polygon {v} physics_world_draw"}});\n'
    bundle.write_text(text.format(v="physics_particle_group_add_point"), encoding="utf-8")
    assert _scan(tmp_path) == []
    bundle.write_text(text.format(v=random_chars(_ALNUM, 31) + "Q"), encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["polygon-io-api-key"]
    bundle.unlink()
    passphrase = "_".join(["correct", "horse", "battery", "staple"])  # (built here: this file is scanned too)
    (tmp_path / "settings.py").write_text(f'password = "{passphrase}"\n', encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["generic-password"]


def test_an_env_lookups_default_that_reads_as_a_name_is_still_a_password_under_a_password_name(
    tmp_path: Path,
) -> None:
    # the key's name decides: "displayName" under LDAP_DISPLAY_NAME_KEY is an identifier (QUIET above); a
    # chosen password may read as one, so under a password's name it is reported
    chosen = "Summer" + "Time"  # (built here: this file is scanned too)
    (tmp_path / "settings.py").write_text(
        f'DB_PASSWORD = os.environ.get("DB_PASSWORD", "{chosen}")\n', encoding="utf-8"
    )
    assert [rule for _, _, rule in _scan(tmp_path)] == ["env-lookup-default-secret"]


def test_a_provider_name_then_an_ids_name_holds_an_id_not_the_providers_key(tmp_path: Path) -> None:
    # Flagsmith/Flagsmith: HUBSPOT_FORM_ID_SAAS holds a HubSpot form's id, a UUID as HubSpot's legacy API key
    # is one. A context rule's match that names an id and no secret is an id; the key's name is still a key.
    uuid = "-".join(random_chars("0123456789abcdef", n) for n in (8, 4, 4, 4, 12))
    (tmp_path / "constants.py").write_text(
        f'HUBSPOT_FORM_ID_SAAS = "{uuid}"\nHEROKU_APP_ID = "{uuid}"\nHUBSPOT_API_KEY = "{uuid}"\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("constants.py", 3, "hubspot-api-key-legacy")]


def test_an_nginx_pass_directives_address_is_quiet_and_a_password_is_reported(tmp_path: Path) -> None:
    """DefectDojo/django-DefectDojo passes nginx's ``uwsgi_pass`` upstream in ``DD_UWSGI_PASS``: an address in
    a Dockerfile, a .env file and a compose file, not a password."""
    password = random_chars(_ALNUM, 20) + "9"
    (tmp_path / "Dockerfile").write_text(
        'FROM nginx:alpine\nENV DD_UWSGI_PASS="uwsgi_server" \\\n    DD_UWSGI_HOST=uwsgi\n', encoding="utf-8"
    )
    (tmp_path / ".env").write_text(
        f"NGINX_FASTCGI_PASS=php:9000\nPROXY_PASS=backend:8000\nDB_PASS={password}\n", encoding="utf-8"
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n  nginx:\n    image: nginx\n    environment:\n      DD_UWSGI_PASS: uwsgi_server\n",
        encoding="utf-8",
    )
    found = _scan(tmp_path)
    assert [(path, line) for path, line, _ in found] == [(".env", 3)], found


def test_an_algolia_docsearch_key_is_public_and_the_same_key_elsewhere_is_reported(tmp_path: Path) -> None:
    """A Docusaurus site's ``themeConfig.algolia`` (Agenta-AI/agenta, DefectDojo's docsearch.js) holds the
    search-only key Algolia issues for browsers; ``indexName`` beside it tells such a configuration."""
    key = random_chars("0123456789abcdef", 32)
    (tmp_path / "docusaurus.config.ts").write_text(
        'export default {\n  themeConfig: {\n    algolia: {\n      appId: "OQPQ1J7M7Y",\n'
        f'      apiKey: "{key}",\n      indexName: "docs",\n    }},\n  }},\n}};\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "client.ts").write_text(f'const client = new Api({{ apiKey: "{key}" }});\n', encoding="utf-8")
    assert _scan(tmp_path) == [("client.ts", 1, "generic-secret")]
    (tmp_path / "client.ts").unlink()
    # an indexing script's admin key beside the same names is a secret
    (tmp_path / "index.ts").write_text(
        f'const cfg = {{ appId: "OQPQ1J7M7Y", adminApiKey: "{key}", indexName: "docs" }};\n', encoding="utf-8"
    )
    assert _scan(tmp_path) == [("index.ts", 1, "generic-secret")]


def _jwt(claims: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    header = part('{"typ":"JWT","alg":"HS256"}')
    return f"{header}.{part(claims)}.{random_chars(_ALNUM, 43)}"


AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def test_the_azure_storage_emulator_s_published_key_is_quiet_and_another_key_is_reported(
    tmp_path: Path,
) -> None:
    """celery/celery's compose file and tox.ini: Azurite's account key, which Microsoft publishes; langfuse's
    ``.env.dev-azure.example`` gives it under S3-style names (judged by name, not by a rule's format)."""
    text = (
        "services:\n  app:\n    image: app\n    environment:\n      AZUREBLOCKBLOB_URL: azureblockblob://"
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
        "BlobEndpoint=http://azurite:10000/devstoreaccount1;\n"
        "      LANGFUSE_S3_SECRET_ACCESS_KEY: {key}\n"
    )
    example = "LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY={key}\n"
    (tmp_path / "docker-compose.yml").write_text(text.format(key=AZURITE_KEY), encoding="utf-8")
    (tmp_path / "settings.py").write_text(f'AZURE_STORAGE_KEY = "{AZURITE_KEY}"\n', encoding="utf-8")
    (tmp_path / ".env.dev-azure.example").write_text(example.format(key=AZURITE_KEY), encoding="utf-8")
    assert _scan(tmp_path) == []
    other = random_chars(_ALNUM + "+/", 86) + "=="
    (tmp_path / "docker-compose.yml").write_text(text.format(key=other), encoding="utf-8")
    (tmp_path / "settings.py").write_text(f'AZURE_STORAGE_KEY = "{other}"\n', encoding="utf-8")
    (tmp_path / ".env.dev-azure.example").write_text(example.format(key=other), encoding="utf-8")
    found = _scan(tmp_path)
    assert sorted((path, line) for path, line, _ in found) == [
        (".env.dev-azure.example", 1),
        ("docker-compose.yml", 5),
        ("docker-compose.yml", 6),
        ("settings.py", 1),
    ], found


def test_an_expired_jwt_in_documentation_is_an_example_and_elsewhere_or_live_is_reported(
    tmp_path: Path,
) -> None:
    """fastapi-users' docs show tokens that expired in 2019 (``exp``): examples, in a documentation file."""
    expired = _jwt('{"user_id":"9221ffc9","aud":"fastapi-users:auth","exp":1571504193}')
    live = _jwt('{"user_id":"9221ffc9","aud":"fastapi-users:auth","exp":4102444800}')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bearer.md").write_text(
        f'```json\n{{"access_token": "{expired}"}}\n```\n\n'
        f"```sh\ncurl -H'Authorization: Bearer {expired}' http://localhost:8000/me\n```\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "docs" / "live.md").write_text(
        f'```json\n{{"access_token": "{live}"}}\n```\n', encoding="utf-8"
    )
    (tmp_path / "client.py").write_text(f'TOKEN = "{expired}"\n', encoding="utf-8")
    assert [(path, line) for path, line, _ in _scan(tmp_path)] == [("client.py", 1), ("docs/live.md", 2)]


def test_is_expired_jwt_reads_only_a_numeric_exp() -> None:
    from autoaudit_secrets.scan.engine._filters import is_expired_jwt

    assert is_expired_jwt(_jwt('{"exp":1571504193}'))
    assert not is_expired_jwt(_jwt('{"exp":4102444800}'))
    assert not is_expired_jwt(_jwt('{"sub":"x"}'))  # no expiry: never taken for expired
    assert not is_expired_jwt(_jwt('{"exp":true}'))
    assert not is_expired_jwt(_jwt('{"exp":"1571504193"}'))
    assert not is_expired_jwt("eyJhbGciOiJIUzI1NiJ9.not-base64!.sig")
    assert is_expired_jwt(_jwt('{"exp":1000}'), now=2000) and not is_expired_jwt(
        _jwt('{"exp":3000}'), now=2000
    )


def test_a_name_that_says_stand_in_holds_no_secret_and_the_same_value_elsewhere_is_reported(
    tmp_path: Path,
) -> None:
    """netbox's tests (``DUMMY_SECRET``) and the FastAPI template's ``DUMMY_HASH``: the hash of no one's
    password, checked when no user matches so that a failed login takes as long as a successful one."""
    value = random_chars(_ALNUM, 24) + "8"
    salt, digest = random_chars(_ALNUM + "+/", 22), random_chars(_ALNUM + "+/", 43)
    argon2 = f"$argon2id$v=19$m=65536,t=3,p=4${salt}${digest}"
    (tmp_path / "stand_ins.py").write_text(
        f'DUMMY_SECRET = "{value}"\n'
        f'fake_api_key = "{value}"\n'
        f'DUMMY_HASH = "{argon2}"\n'
        f'fixtures = {{"mockToken": "{value}"}}\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "real.py").write_text(
        f'SECRET = "{value}"\nADMIN_HASH = "{argon2}"\nlog("{argon2}")\n', encoding="utf-8"
    )
    assert _scan(tmp_path) == [
        ("real.py", 1, "generic-secret"),
        ("real.py", 2, "password-hash-argon2"),
        ("real.py", 3, "password-hash-argon2"),
    ]


def test_a_password_typed_in_a_row_is_still_reported_in_code(tmp_path: Path) -> None:
    """Keys are generated, so a key typed in a row is made up; a weak password in a config may be in use."""
    typed = "abc123" + "def456"  # (built here: this file is scanned too)
    (tmp_path / "settings.py").write_text(f'DB_PASSWORD = "{typed}"\nAPI_KEY = "{typed}"\n', encoding="utf-8")
    assert _scan(tmp_path) == [("settings.py", 1, "generic-password")]


def test_keys_every_page_of_a_site_carries_are_public_and_the_same_values_elsewhere_are_not(
    tmp_path: Path,
) -> None:
    """Saved web pages (mealie-recipes/mealie's test recipes): New Relic's browser agent configuration holds
    the site's browser key under ``licenseKey``, and an Amazon product link's ``SubscriptionId`` parameter is
    the associate's access key ID. A presigned URL's ``AWSAccessKeyId`` and the same key in code are
    reported."""
    key = random_chars(_ALNUM, 15) + "4"
    access_key_id = "AKIA" + random_chars(string.ascii_uppercase + string.digits, 16)
    (tmp_path / "recipe.html").write_text(
        f';NREUM.loader_config={{accountID:"1689559",trustKey:"1689559",licenseKey:"{key}",'
        'applicationID:"434095722"}\n'
        '<a href="https://www.amazon.com/Chefs-Knife/dp/B0061SWV8Y?psc=1&amp;'
        f'SubscriptionId={access_key_id}&amp;tag=undefined&amp;linkCode=xm2">knife</a>\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "client.js").write_text(
        f'const config = {{licenseKey: "{key}"}};\n'
        f'fetch("https://b.s3.amazonaws.com/r.csv?AWSAccessKeyId={access_key_id}&Expires=1");\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("client.js", 1, "generic-secret"), ("client.js", 2, "aws-access-key-id")]


@pytest.mark.parametrize("name", ["dns-plugins.json", "plugins.js"])
def test_a_credentials_file_in_a_string_is_reported_by_the_value_of_one_of_its_lines(
    tmp_path: Path, name: str
) -> None:
    token = random_chars(_ALNUM, 24) + "6"
    (tmp_path / name).write_text(
        f'{{"credentials": "dns_key_file=/etc/dns.key\\ndns_token={token}\\ndns_zone=example"}}\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [(name, 1, "generic-secret")]


def test_a_local_database_whose_password_is_its_user_s_name_is_throwaway(tmp_path: Path) -> None:
    """hatchet-dev/hatchet's CI scripts and tests: ``postgresql://hatchet:hatchet@127.0.0.1:5431/hatchet``.
    The same credentials for another host, or another password on this machine, are reported."""
    user = "App" + random_chars(string.ascii_lowercase, 5) + "7"  # (one character class would be a word)
    chosen = random_chars(_ALNUM, 16) + "3"

    def url(password: str, host: str) -> str:
        return f"postgresql://{user}:{password}@{host}/{user}"

    local = [url(user, "127.0.0.1:5431"), url(user, "localhost"), url(user, "[::1]:5432")]
    (tmp_path / "settings.py").write_text("".join(f'DATABASE_URL = "{u}"\n' for u in local), encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "test.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        f'      - run: export DATABASE_URL="{local[0]}"\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "prod.py").write_text(
        f'DATABASE_URL = "{url(user, "db.internal:5432")}"\nLOCAL_URL = "{url(chosen, "localhost")}"\n',
        encoding="utf-8",
    )
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        f'      - run: export DATABASE_URL="{url(user, "db.internal")}"\n',
        encoding="utf-8",
    )
    found = _scan(tmp_path)
    assert [(path, line) for path, line, _ in found] == [
        (".github/workflows/deploy.yml", 6),
        ("prod.py", 1),
        ("prod.py", 2),
    ], found


def test_a_token_holding_an_equals_sign_is_no_credentials_line(tmp_path: Path) -> None:
    """A GoCardless access token may hold "=" and "_" (live_…=…_…): under a token's name it is a token, not a
    credentials file's ``NAME=value`` line (a line is taken so only under a name that says secret)."""
    low = string.ascii_lowercase + string.digits
    token = f"live_{random_chars(low, 16)}={random_chars(low, 8)}_{random_chars(low, 12)}"
    (tmp_path / "billing.py").write_text(f'gocardless_token = "{token}"\n', encoding="utf-8")
    assert _scan(tmp_path) == [("billing.py", 1, "generic-secret")]


def test_a_php_concatenation_s_first_part_is_no_value_and_the_same_literal_alone_is(tmp_path: Path) -> None:
    """coollabsio/coolify: rate limiter keys built with PHP's "." ('email-change:user:'.Auth::id()); the
    literal alone, or followed by a method of a string in another language, is the whole value."""
    value = random_chars(_ALNUM, 20) + "2"
    (tmp_path / "Index.php").write_text(
        f"$userEmailKey = '{value}'.Auth::id();\n$limiterKey = '{value}' . $this->server->id;\n",
        encoding="utf-8",
    )
    assert _scan(tmp_path) == []
    (tmp_path / "Index.php").write_text(f"$userEmailKey = '{value}';\n", encoding="utf-8")
    (tmp_path / "client.js").write_text(f"const apiKey = '{value}'.trim();\n", encoding="utf-8")
    assert _scan(tmp_path) == [("Index.php", 1, "generic-secret"), ("client.js", 1, "generic-secret")]


def test_a_ci_key_spelling_its_own_name_and_test_is_quiet_and_a_password_so_made_is_reported(
    tmp_path: Path,
) -> None:
    """langfuse/langfuse's CI: ``echo "LANGFUSE_EE_LICENSE_KEY=langfuse_ee_test"``. A password of its name's
    words and "test" is a weak password that works; a key with one part that is not its name's is no
    stand-in."""
    own = random_chars(string.ascii_lowercase + string.digits, 16) + "7"
    lines = [
        "LANGFUSE_EE_LICENSE_KEY=langfuse_ee_test",
        "STRIPE_API_KEY=stripe-demo",
        "POSTGRES_PASSWORD=postgres_test",  # a password: reported
        f"STRIPE_KEY=stripe_test_{own}",  # a part of its own: reported
    ]
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        + "".join(f'      - run: echo "{line}" >> .env\n' for line in lines),
        encoding="utf-8",
    )
    assert [(line, rule) for _, line, rule in _scan(tmp_path)] == [(8, "ci-run-secret"), (9, "ci-run-secret")]


def test_a_client_s_password_variable_assigned_in_code_is_no_command_line_and_a_shell_s_is(
    tmp_path: Path,
) -> None:
    """GoogleCloudPlatform/microservices-demo: ``PGPASSWORD = secret_response.payload.data.decode("UTF-8")``
    assigns a Python variable named like libpq's. A command line never holds an unquoted parenthesis, and a
    shell assignment has no blanks around ``=``; the same names in a shell line inside a string, or in a
    Makefile, hold literals."""
    password = random_chars(_ALNUM, 14) + "5"
    (tmp_path / "service.py").write_text(
        'PGPASSWORD = secret_response.payload.data.decode("UTF-8").strip()\n'
        "MYSQL_PWD = cfg.db.password\n"
        "env = dict(os.environ, PGPASSWORD=pw)\n"
        f'subprocess.run("PGPASSWORD={password} psql -h db", shell=True)\n',
        encoding="utf-8",
    )
    (tmp_path / "Makefile").write_text(
        f"dump:\n\tPGPASSWORD={password} pg_dump -h db app\nMYSQL_PWD = {password}\n", encoding="utf-8"
    )
    assert _scan(tmp_path) == [
        ("Makefile", 2, "cli-password-env"),
        ("Makefile", 3, "cli-password-env"),
        ("service.py", 4, "cli-password-env"),
    ]


def test_a_secret_s_name_inside_a_sentence_string_is_no_assignment(tmp_path: Path) -> None:
    """ansible/awx's bundled swagger-ui: Babel's parser messages, minified, one of them ending in "token ="
    (DefaultRestParameter). The sentence ends there; what the pattern took for a quoted value is code between
    two strings. A value given to ``token =`` in its own string is reported."""
    token = random_chars(_ALNUM, 20) + "4"
    (tmp_path / "bundle.js").write_text(
        'var m={DeclarationMissingInitializer:"Missing initializer in %0 declaration",'
        'DefaultRestParameter:"Unexpected token =",DuplicateBinding:"Duplicate binding %0"};\n'
        f'var cfg={{token = "{token}"}};\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("bundle.js", 2, "generic-secret")]


def test_a_requirement_is_no_password_and_a_chosen_password_with_a_comparison_sign_is(tmp_path: Path) -> None:
    """sentry-python's tox.ini gives requirements under token-named factors; netbox's API docs give the
    password "I<3C3H8" (a sign, then no version): that one stays reported."""
    chosen = "I<3" + "C3H8"
    (tmp_path / "tox.ini").write_text(
        "[testenv]\ndeps =\n    auth-token-v2.0: httpx[http2]>=0.27,<0.29\n"
        "    auth-token-v2.1: pkg==2.0.post1\n",
        encoding="utf-8",
    )
    (tmp_path / "rest-api.md").write_text(
        f'```\ncurl --data \'{{\n    "username": "hankhill",\n    "password": "{chosen}"\n}}\'\n```\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("rest-api.md", 4, "generic-password")]


def test_an_arm_template_s_expression_is_no_password_and_a_literal_beside_it_is(tmp_path: Path) -> None:
    """feast-dev/feast's Azure deployment templates build a Redis connection string in an Azure Resource
    Manager expression: concat(…,',password=',listKeys(…).primaryKey, …). The pattern takes the quote that
    closes ',password=' for the value's opening one; what follows is the next argument, a call."""
    password = random_chars(_ALNUM, 18) + "2"
    (tmp_path / "azuredeploy.json").write_text(
        "{\"value\": \"[concat(variables('redisCacheName'),'.redis.cache.windows.net:6380,password=',"
        "listKeys(concat('Microsoft.Cache/redis/', variables('redis')), '2020-06-01').primaryKey)]\",\n"
        f' "password": "{password}"}}\n',
        encoding="utf-8",
    )
    assert _scan(tmp_path) == [("azuredeploy.json", 2, "generic-password")]


@pytest.mark.parametrize(
    ("user", "published"),
    [
        ("s6BhdRkqt3", "gX1fBat3bV"),  # RFC 6749's client and its secrets, as authlib's docstrings quote them
        ("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"),
        ("Aladdin", "open sesame"),  # RFC 7617's example, in werkzeug's tests
    ],
)
def test_the_rfcs_basic_credentials_are_quiet_and_another_password_for_the_user_is_reported(
    tmp_path: Path, user: str, published: str
) -> None:
    doc = tmp_path / "grants.py"
    basic = base64.b64encode(f"{user}:{published}".encode()).decode()
    doc.write_text(f'    """\n        Authorization: Basic {basic}\n    """\n', encoding="utf-8")
    assert _scan(tmp_path) == []
    other = base64.b64encode(f"{user}:{random_chars(_ALNUM, 20)}5".encode()).decode()
    doc.write_text(f'    """\n        Authorization: Basic {other}\n    """\n', encoding="utf-8")
    assert _scan(tmp_path) == [("grants.py", 2, "http-basic-auth")]


def test_a_home_row_mash_is_a_made_up_token_but_a_password_typed_so_is_reported(tmp_path: Path) -> None:
    mash = "lsdkfhj230"
    (tmp_path / "test_api.py").write_text(f'api_token = "{mash}"\npassword = "{mash}"\n', encoding="utf-8")
    # a keyboard pattern is a weak password that works
    assert _scan(tmp_path) == [("test_api.py", 2, "generic-password")]


@pytest.mark.parametrize(
    ("value", "mash"),
    [
        ("sdf0o9823sjdfsdf", True),
        ("2kjshdfp92i34asdasd", True),
        ("lsdkfhj230", True),
        ("dad0fa3ddfaa0dfad9fadd0f", False),  # hex: its letters are a-f, no other home-row key
        ("Lsdkfhj230", False),  # upper case: not this
        ("sdf12345", False),  # three letters: too few to tell
        ("kjerht2309u", False),  # four of seven letters off the home row
        ("qwe7rty9uio", False),
    ],
)
def test_is_keyboard_mash_boundary(value: str, mash: bool) -> None:
    assert is_keyboard_mash(value) is mash


def test_an_identifier_with_a_vowelless_abbreviation_is_no_provider_s_key(tmp_path: Path) -> None:
    # logto-io/logto: alibaba-access-key-secret took an imported name of 30 letters after "aliyun…" for a key
    imported = "sendSmsVerifyCodeResponseGuard"
    assert len(imported) == 30 and reads_as_words(imported)
    assert reads_as_words("parseHtmlDnsRecord") and reads_as_words("JwtConfig")
    (tmp_path / "index.ts").write_text(
        f"import {{ aliyunSmsMasConfigGuard, {imported} }} from './types.js';\n", encoding="utf-8"
    )
    assert _scan(tmp_path) == []
    key = random_chars(_ALNUM, 29) + "7"
    (tmp_path / "index.ts").write_text(f"const aliyunSecret = '{key}';\n", encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["alibaba-access-key-secret"]


def test_a_token_prefix_on_a_random_or_a_word_stem_value_stays_reported(tmp_path: Path) -> None:
    # a stand-in has nothing random after a token format's prefix; a token of an older or undocumented shape
    # does (Nosey Parker's Slack app token of 2021), and a prefix whose stem is a word (mailgun's "key-")
    # begins values of any kind
    random_part = random_chars(_ALNUM, 20) + "9a"
    (tmp_path / "settings.py").write_text(
        f'SLACK_TOKEN = "xapp-083452001657-{random_part}"\n'
        f'MAILER_API_KEY = "key-{random_chars(_ALNUM, 14)}7"\n'
        'BOT_TOKEN = "xoxb-1234-5678-abcd"\n',
        encoding="utf-8",
    )
    assert [(line, rule) for _, line, rule in _scan(tmp_path)] == [
        (1, "generic-secret"),
        (2, "generic-secret"),
    ]


def test_a_token_stand_in_needs_a_distinctive_prefix_and_a_length_short_of_the_format() -> None:
    detector = Scanner(ScanConfig()).detector
    assert detector.is_token_stand_in("sk_test_123") and detector.is_token_stand_in("ghp_xxx")
    # as long as the format's tokens (ghp_ and 36 characters): the format's own rule judges it
    assert not detector.is_token_stand_in("ghp_" + "a1" * 18)
    # "sk-" alone is too short to name a provider; "key-" and "live_" have words as stems
    assert not detector.is_token_stand_in("sk-abc") and not detector.is_token_stand_in("key-abc")
    assert not detector.is_token_stand_in("live_abc") and not detector.is_token_stand_in("abcd")


def test_a_user_password_pair_is_a_placeholder_only_when_its_password_is_one() -> None:
    assert is_placeholder("username:password") and is_placeholder("user1:pass1")
    assert not is_placeholder("deploy:SummerTime") and not is_placeholder("admin:hunter2")
    encoded = base64.b64encode(b"admin:" + random_chars(_ALNUM, 14).encode() + b"7").decode()
    assert is_placeholder(base64.b64encode(b"username:password").decode()) and not is_placeholder(encoded)


def test_one_letter_claims_make_a_stand_in_token_and_a_compact_tokens_ids_do_not() -> None:
    from autoaudit_secrets.scan.engine._filters import _stand_in_claims

    assert _stand_in_claims({"a": "b"}) and _stand_in_claims({"x": "y", "foo": "bar"})
    assert not _stand_in_claims({"u": 1042, "e": 1767225600}) and not _stand_in_claims({"a": "bc"})


def test_a_docker_auth_whose_password_is_a_placeholder_and_an_escaped_newline_is_quiet(
    tmp_path: Path,
) -> None:
    # nektos/act's test: base64 of the JSON Docker keeps for a registry, {"password":"password\n"} (echo's
    # newline, escaped); the same JSON with a random password stays reported
    def auth(password: str) -> str:
        text = '{"username":"username","password":"%s\\n","serveraddress":"https://index.docker.io/v1/"}'
        return base64.b64encode((text % password).encode()).decode()

    line = '\tassert.Equal(t, "{}", options.RegistryAuth)\n'
    (tmp_path / "docker_pull_test.go").write_text(line.format(auth("password")), encoding="utf-8")
    assert _scan(tmp_path) == []
    real = random_chars(_ALNUM, 16) + "7"
    (tmp_path / "docker_pull_test.go").write_text(line.format(auth(real)), encoding="utf-8")
    assert [rule for _, _, rule in _scan(tmp_path)] == ["generic-password"]


def test_a_random_value_after_x_or_a_year_after_a_name_word_stays_reported(tmp_path: Path) -> None:
    # a header's name has short lower-case parts, one a word; a token after "x-" is one random part; a year
    # is no count (summer_2024 keeps a value); a password may be typed as a word and a count
    token = "x-" + random_chars(string.ascii_lowercase + string.digits, 18) + "7"
    year, count = "client" + str(1987), "minio" + str(123)  # (built here: this file is scanned too)
    (tmp_path / "settings.py").write_text(
        f'TOKEN = "{token}"\nCLIENT_SECRET = "{year}"\nMINIO_ROOT_PASSWORD = "{count}"\n',
        encoding="utf-8",
    )
    assert [(line, rule) for _, line, rule in _scan(tmp_path)] == [
        (1, "generic-secret"),
        (2, "generic-secret"),
        (3, "generic-password"),
    ]


def test_etcds_initial_cluster_token_is_no_secret_name_and_a_clusters_join_token_is() -> None:
    # etcd's initial cluster token keeps clusters apart at bootstrap and grants nothing (Patroni's compose
    # files: ETCD_INITIAL_CLUSTER_TOKEN: tutorial); k3s' and other clusters' tokens let a node join
    assert not is_secret_name("ETCD_INITIAL_CLUSTER_TOKEN") and not is_secret_name("initial-cluster-token")
    assert is_secret_name("K3S_TOKEN") and is_secret_name("CLUSTER_TOKEN")


def test_a_namespaced_value_under_a_secret_keys_name_stays_reported(tmp_path: Path) -> None:
    # an API or signing key's value is no Redis key's name, whatever its shape (built here: this file is
    # scanned too)
    pair = "admin:" + "hunter" + str(2)
    (tmp_path / "settings.py").write_text(
        f"API_KEY = '{pair}'\nSIGNING_KEY = 'app:{random_chars(string.ascii_lowercase, 15)}7'\n",
        encoding="utf-8",
    )
    assert [(line, rule) for _, line, rule in _scan(tmp_path)] == [
        (1, "generic-secret"),
        (2, "generic-secret"),
    ]


def test_the_default_keys_of_a_published_stack_stay_reported(tmp_path: Path) -> None:
    # Supabase's demo keys (iss supabase-demo) are the defaults of its self-hosted stack too: a deployment
    # that keeps them lets anyone forge a service_role token, as a published image's default password
    # (Harbor12345) lets anyone in. Reported, like those.
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = base64.urlsafe_b64encode(b'{"iss":"supabase-demo","role":"service_role"}').rstrip(b"=").decode()
    token = f"{header}.{claims}.{random_chars(_ALNUM, 42)}7"
    (tmp_path / "docker.env").write_text(f"SERVICE_ROLE_KEY={token}\n", encoding="utf-8")
    assert [(path, line) for path, line, _ in _scan(tmp_path)] == [("docker.env", 1)]


def test_a_psql_variable_is_no_password_and_the_same_text_as_a_literal_is(tmp_path: Path) -> None:
    value = random_chars(_ALNUM, 20) + "7"
    (tmp_path / "roles.sql").write_text(
        f"ALTER USER authenticator WITH PASSWORD :'{value}';\n"  # psql fills in the variable so named
        f"ALTER USER authenticator WITH PASSWORD '{value}';\n",
        encoding="utf-8",
    )
    assert [(path, line) for path, line, _ in _scan(tmp_path)] == [("roles.sql", 2)]
