"""Planted secrets of many kinds never reach a training file; ordinary Java is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.dataset.pipeline import prepare
from codetune.dataset.secrets import EMAIL, SECRET, SecretScrubber

from .conftest import make_config

# Built from pieces at run time so that no scanner mistakes this file for a leak.
PLANTED: dict[str, str] = {
    "aws_access_key_id": "AKIA" + "Q3EXAMPLE7JKLMN2",
    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "google_api_key": "AIza" + "SyB-3f9Qk2LmN8pRtUvWxYz01234567_abc",
    "github_token": "ghp_" + "R4nd0mT0k3nV4lu3" + "abcdefghijklmnopqrst",
    "slack_token": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "password_literal": "hunter2" + "-Gr33n!",
    "url_credentials": "Tr0ub4dor" + "&3xyz",
    "email": "ops.team" + "@acme-corp.com",
    "auth_header": "a1b2c3d4e5f6" + "a7b8c9d0e1f2a3b4",
    "sendgrid_key": "SG." + "abcdefghijklmnopqrstuv" + "." + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
    "npm_token": "npm_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "setter_password": "Winter" + "2024!Pw",
    "private_key_body": "MIIEowIBAAKCAQEA7bq98SaM" + "pLe8EnTpDfVZt3cQ0Wj",
}

JAVA = """package com.acme.keys;

import java.util.Map;

/** Connection settings for the shop's backends. Maintainer: {email}. */
public class Settings {{
    private static final String AWS_KEY = "{aws_access_key_id}";
    private static final String PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\\n"
            + "{private_key_body}\\n"
            + "-----END RSA PRIVATE KEY-----";

    /**
     * Builds the credentials map used to call the cloud APIs.
     *
     * @param region the region to connect to
     * @return the settings by name
     */
    public Map<String, String> cloud(String region) {{
        String awsSecretAccessKey = "{aws_secret_access_key}";
        String mapsKey = "{google_api_key}";
        String dbPassword = "{password_literal}";
        return Map.of("region", region, "aws", awsSecretAccessKey, "maps", mapsKey, "db", dbPassword,
                "jdbc", "jdbc:postgresql://admin:{url_credentials}@db.example.com:5432/shop");
    }}

    /**
     * Returns the tokens for the chat, payment and package services, keyed by service.
     *
     * @param verbose whether to log the lookup
     * @return the tokens
     */
    public Map<String, String> tokens(boolean verbose) {{
        if (verbose) {{
            System.out.println("looking up tokens for " + "{email}");
        }}
        return Map.of("github", "{github_token}", "slack", "{slack_token}", "stripe", "{stripe_key}",
                "sendgrid", "{sendgrid_key}", "npm", "{npm_token}", "session", "{jwt}");
    }}

    /**
     * Returns the HTTP header that authorizes calls to the reporting API.
     *
     * @return the header line
     */
    public String authorization() {{
        return "Authorization: Bearer {auth_header}";
    }}

    /**
     * Configures the client with the service account's login.
     *
     * @param client the client to configure
     */
    public void login(Client client) {{
        client.setPassword("{setter_password}");
        client.connect();
    }}
}}
"""


@pytest.fixture
def planted_project(tmp_path: Path) -> Path:
    root = tmp_path / "src" / "com" / "acme" / "keys"
    root.mkdir(parents=True)
    (root / "Settings.java").write_text(JAVA.format(**PLANTED), encoding="utf-8")
    return tmp_path / "src"


def test_planted_secrets_never_reach_a_training_file(tmp_path: Path, planted_project: Path) -> None:
    assert len(PLANTED) >= 10
    out = tmp_path / "out"
    result = prepare(make_config(validation_fraction=0.5), planted_project, out)
    written = "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.is_file())
    leaked = [kind for kind, value in PLANTED.items() if value in written]
    assert leaked == [], f"secrets leaked: {leaked}"
    rows = (out / "train.jsonl").read_text() + (out / "validation.jsonl").read_text()
    assert SECRET in rows and EMAIL in rows
    scrubbed = result.report["secrets_scrubbed"]
    assert scrubbed["total"] >= 15
    kinds = {k for k in scrubbed if k != "total"}
    assert len(kinds) >= 10, kinds
    # The code around a scrubbed literal stays code: quotes and names are kept.
    assert 'String dbPassword = \\"<SECRET>\\";' in rows


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_kind_is_scrubbed_in_plain_text(kind: str) -> None:
    value = PLANTED[kind]
    contexts = {
        "password_literal": f'String password = "{value}";',
        "setter_password": f'client.setPassword("{value}");',
        "url_credentials": f'String url = "https://admin:{value}@db.example.com/x";',
        "auth_header": f'conn.setRequestProperty("Authorization", "Bearer {value}");',
        "aws_secret_access_key": f'String aws_secret_access_key = "{value}";',
        "private_key_body": f"-----BEGIN PRIVATE KEY-----\n{value}\n-----END PRIVATE KEY-----",
    }
    text = contexts.get(kind, f'String value = "{value}"; // {kind}')
    scrubbed, counts = SecretScrubber().scrub(text)
    assert value not in scrubbed, scrubbed
    assert sum(counts.values()) >= 1


ORDINARY_JAVA = [
    'private static final String PASSWORD_PROPERTY = "javax.net.ssl.keyStorePassword";',
    "char[] password = console.readPassword();",
    'throw new IllegalArgumentException("Invalid password: too short");',
    'private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();',
    'static final String P = "30ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FB";',
    "Map<String, Integer> keys = new HashMap<>(); keys.put(key, token.length());",
    '@Override public String toString() { return "Token[" + kind + "]"; }',
    'String secretKeyAlgorithm = "TlsPremasterSecret";',
    "/** @param token the token to parse, see {@link Tokenizer#nextToken()} */",
    'String url = "https://docs.oracle.com/javase/17/docs/api/";',
    "x = (a >> 16) & 0xFF; // @see Integer#parseInt",
]


@pytest.mark.parametrize("line", ORDINARY_JAVA)
def test_ordinary_java_is_not_mistaken_for_a_secret(line: str) -> None:
    scrubbed, counts = SecretScrubber().scrub(line)
    assert scrubbed == line and not counts


def test_results_are_cached_per_text_and_counts_are_not_shared() -> None:
    scrubber = SecretScrubber(use_detect_secrets=False)
    text = 'String password = "p4ssw0rd-xyz";'
    first, counts = scrubber.scrub(text)
    counts["password_literal"] += 10  # a caller changing its copy must not change the cache
    second, again = scrubber.scrub(text)
    assert first == second and again == {"password_literal": 1}
    assert json.dumps(again)
