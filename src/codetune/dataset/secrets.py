"""Find secrets and personal data in prompts and answers and replace them with placeholders.

Two detectors, as BigCode did for The Stack: detect-secrets' plugins (cloud and SaaS token formats,
private-key headers, credentials in URLs, secret-sounding assignments) plus our own patterns for what it
misses or only half-matches in Java: whole private-key blocks, Google API keys, GitHub fine-grained tokens,
Stripe test keys, passwords and tokens in string literals, bearer/basic credentials, e-mail addresses.

Every hit becomes ``<SECRET>`` (``<EMAIL>`` for e-mail addresses) and is counted by kind. The entropy
plugins are left out on purpose: on Java they flag hex tables and base64 alphabets (``java.util.Base64``)
far more often than secrets. detect-secrets is imported on first use.

Speed: format plugins run over the whole text in one call each; the costly assignment-style plugins run only
on lines that contain one of their keywords, so a clean text costs a few regex passes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SECRET = "<SECRET>"
EMAIL = "<EMAIL>"


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern[str]
    group: int = 0  # the part to replace (0: the whole match)
    placeholder: str = SECRET
    # Lower-case substrings one of which every match contains: a text without any is not searched, which
    # keeps clean code cheap (Python's re is slow on patterns that do not start with a literal).
    needles: tuple[str, ...] = ()
    standalone: bool = False  # reject matches inside a longer alphanumeric run
    line_scoped: bool = False  # search only the lines holding a secret-sounding word (slow regexes)


_SECRET_NAMES = r"password|passwd|passwort|pwd|secret|token|api_?key|access_?key|private_?key|credentials?"
_NAME_WORDS = re.compile(rf"(?i){_SECRET_NAMES}")


def _value_looks_secret(value: str) -> bool:
    """A string literal next to a secret-sounding name that is a value, not a name or a message.

    >>> [_value_looks_secret(v) for v in ["hunter2!", "changeit", "javax.net.ssl.keyStorePassword", "", "%s", "NMTOKENS"]]
    [True, True, False, False, False, False]
    >>> _value_looks_secret("Enter your password")
    False
    """
    if len(value) < 4 or any(ch.isspace() for ch in value) or "%" in value or value.startswith(("${", "<")):
        return False
    if _NAME_WORDS.search(value):  # "keystorepasswordenv", "NMTOKENS", "TlsMasterSecret": names of secrets
        return False
    # Property keys and class names ("javax.net.ssl.keyStorePassword") are names, not values.
    return not re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+", value)


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "private_key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY"
            r"(?: BLOCK)?-----|[^\n]*)",
            re.DOTALL,
        ),
        needles=("private key",),
    ),
    Pattern(
        "aws_access_key_id",
        re.compile(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}"),
        needles=("akia", "asia", "abia", "acca", "a3t"),
        standalone=True,
    ),
    Pattern(
        "aws_secret_access_key",
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key\W{0,6}([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
        1,
        needles=("aws",),
    ),
    Pattern("google_api_key", re.compile(r"AIza[0-9A-Za-z_\-]{35}"), needles=("aiza",), standalone=True),
    Pattern("google_oauth_secret", re.compile(r"GOCSPX-[0-9A-Za-z_\-]{20,}"), needles=("gocspx-",)),
    Pattern(
        "gcp_private_key_id",
        re.compile(r"private_key_id\W{1,6}([0-9a-f]{40})\b"),
        1,
        needles=("private_key_id",),
    ),
    Pattern(
        "github_token",
        re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        standalone=True,
    ),
    Pattern("gitlab_token", re.compile(r"glpat-[A-Za-z0-9_\-]{20,}"), needles=("glpat-",)),
    Pattern("slack_token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), needles=("xox",)),
    Pattern(
        "stripe_key", re.compile(r"[rsp]k_(?:live|test)_[0-9A-Za-z]{16,}"), needles=("k_live_", "k_test_")
    ),
    Pattern("openai_key", re.compile(r"sk-(?:proj-)?[A-Za-z0-9_\-]{32,}"), needles=("sk-",), standalone=True),
    Pattern("npm_token", re.compile(r"npm_[A-Za-z0-9]{36}"), needles=("npm_",), standalone=True),
    Pattern("sendgrid_key", re.compile(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"), needles=("sg.",)),
    Pattern(
        "jwt",
        re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        needles=("eyj",),
        standalone=True,
    ),
    Pattern(
        "auth_header",
        re.compile(r"(?i)(?:bearer|basic)\s+((?=[A-Za-z0-9\-._~+/]*\d)[A-Za-z0-9\-._~+/]{16,}=*)"),
        1,
        needles=("bearer", "basic"),
    ),
    Pattern("url_credentials", re.compile(r"://[^\s:/@\"'<>]+:([^\s/@\"'<>]+)@"), 1, needles=("://",)),
    Pattern(
        "password_literal",
        # A name ending in a secret-sounding word, then = : or , (a map entry) and a literal on the same line;
        # or a setter taking the literal. Names that merely contain the word (passwordField) do not count.
        re.compile(
            rf"(?i)(?:\b(?:set|with)\w*?(?:{_SECRET_NAMES})[ \t]*\(|(?:{_SECRET_NAMES})\d*\"?[ \t]*[=:,])"
            r"[ \t]*\"([^\"\\\n]*(?:\\.[^\"\\\n]*)*)\""
        ),
        1,
        line_scoped=True,
    ),
    Pattern(
        "email",
        # Anchored on the "@domain.tld" part (a literal start is fast); the local part is checked after.
        re.compile(r"(?<=[A-Za-z0-9._%+-])@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"),
        placeholder=EMAIL,
        needles=("@",),
    ),
)
_LOCAL_PART = re.compile(r"[A-Za-z0-9._%+-]+$")

# detect-secrets plugins: (module:class, case-sensitive needles or () to always run). Format plugins run
# over the whole text; the assignment-style ones (slow on long texts) only on lines holding a keyword.
# A needle is a substring, or a regex that starts with a literal (fast to search).
Needle = str | re.Pattern[str]
_FORMAT_PLUGINS: tuple[tuple[str, tuple[Needle, ...]], ...] = (
    ("aws:AWSKeyDetector", ("AKIA", "ASIA", "ABIA", "ACCA", "A3T", "aws", "AWS", "Aws")),
    ("artifactory:ArtifactoryDetector", (re.compile(r"AKC[a-zA-Z0-9]{10}|AP[\dA-F][a-zA-Z0-9]{8}"),)),
    ("azure_storage_key:AzureStorageKeyDetector", ("AccountKey=",)),
    ("basic_auth:BasicAuthDetector", ("://",)),
    ("discord:DiscordBotTokenDetector", (re.compile(r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}"),)),
    ("github_token:GitHubTokenDetector", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("gitlab_token:GitLabTokenDetector", ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "GR1348941", "glcbt-",
                                          "glimt-", "glptt-", "glagent-", "gloas-")),
    ("jwt:JwtTokenDetector", ("eyJ",)),
    ("mailchimp:MailchimpDetector", (re.compile(r"-us\d"),)),
    ("npm:NpmDetector", ("_authToken",)),
    ("openai:OpenAIDetector", ("T3BlbkFJ",)),
    ("private_key:PrivateKeyDetector", ("PRIVATE KEY", "PuTTY-User-Key-File-2")),
    ("pypi_token:PypiTokenDetector", ("pypi-",)),
    ("sendgrid:SendGridDetector", ("SG.",)),
    ("slack:SlackDetector", ("xox", "hooks.slack.com")),
    ("square_oauth:SquareOAuthDetector", ("sq0csp-",)),
    ("stripe:StripeDetector", ("k_live_",)),
    ("telegram_token:TelegramBotTokenDetector", (re.compile(r":[0-9A-Za-z_-]{35}"),)),
    ("twilio:TwilioKeyDetector", (re.compile(r"AC[a-z0-9]{32}"), re.compile(r"SK[a-z0-9]{32}"))),
)  # fmt: skip
_KEYWORD_PLUGINS = (
    "keyword:KeywordDetector", "cloudant:CloudantDetector", "ibm_cloud_iam:IbmCloudIamDetector",
    "ibm_cos_hmac:IbmCosHmacDetector", "softlayer:SoftlayerDetector",
)  # fmt: skip
_KEYWORD_NEEDLES = ("key", "pw", "pass", "token", "secret", "contrase", "credential")

Plugin = tuple[str, list[tuple[re.Pattern[str], "int | None"]], Any, tuple[Needle, ...]]


def _has_needle(text: str, needles: tuple[Needle, ...]) -> bool:
    for needle in needles:  # a plain loop: this runs dozens of times per text
        if isinstance(needle, str):
            if needle in text:
                return True
        elif needle.search(text):
            return True
    return not needles


def _load_plugin(name: str, needles: tuple[Needle, ...] = ()) -> Plugin:
    """(kind, [(regex, secret group or None to decide per match)], plugin, needles)."""
    import importlib

    module, _, cls_name = name.partition(":")
    cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls_name)
    plugin = cls()
    regexes: list[tuple[re.Pattern[str], int | None]]
    if cls_name == "KeywordDetector":
        from detect_secrets.plugins.keyword import QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP  # Java's table

        regexes = list(QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP.items())
    else:
        regexes = [(regex, None) for regex in plugin.denylist]
    kind = "ds_" + re.sub(r"\W+", "_", cls.secret_type.lower()).strip("_")
    return kind, regexes, plugin, needles


def _secret_span(match: re.Match[str], group: int | None) -> tuple[int, int]:
    """The span to replace: the secret group when the regex captures it at its end, else the token itself."""
    if group is not None:
        return match.span(group)
    last = match.lastindex
    if last:
        start, end = match.span(last)
        # A group that ends the match is the secret (assignments, URL passwords); one at its start is a
        # prefix ("ghp" of a GitHub token), so the whole match is the secret.
        if start >= 0 and end >= match.end() - 1 and end > start:
            return start, end
    start, end = match.span()
    text = match.string
    while start < end and not (text[start].isalnum() or text[start] in "-_"):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in "-_=/+"):
        end -= 1
    return start, end


def _standalone(text: str, start: int, end: int) -> bool:
    """Not a slice of a longer alphanumeric run (an "AKIA..." inside a hex constant is not a key).

    >>> _standalone("x = AKIAABCDEFGHIJKLMNOP;", 4, 24), _standalone("30ACCA4F", 2, 6)
    (True, False)
    """
    return not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum())


def _lines_with(text: str, lower: str, needles: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of every line of ``text`` whose lower-case form contains one of ``needles``.

    >>> _lines_with("a\\nmy key\\nb\\nPASS", "a\\nmy key\\nb\\npass", ("key", "pass"))
    [(2, 8), (11, 15)]
    """
    spans = set()
    for needle in needles:
        index = lower.find(needle)
        while index != -1:
            start = lower.rfind("\n", 0, index) + 1
            end = lower.find("\n", index)
            end = len(lower) if end == -1 else end
            spans.add((start, end))
            index = lower.find(needle, end)
    return sorted(spans)


class SecretScrubber:
    """Replace secrets in texts; remembers results per text (prompts repeat the same code across strategies)."""

    def __init__(self, *, use_detect_secrets: bool = True, cache_size: int = 50_000) -> None:
        self._format = (
            [_load_plugin(n, needles) for n, needles in _FORMAT_PLUGINS] if use_detect_secrets else []
        )
        self._keyword = [_load_plugin(n) for n in _KEYWORD_PLUGINS] if use_detect_secrets else []
        self._cache: dict[str, tuple[str, Counter[str]]] = {}
        self._cache_size = cache_size

    def _hits(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, kind, placeholder) of every hit, in no particular order."""
        lower = text.lower()
        # Every secret-assignment detector needs a quoted value on the line (Java string literals).
        lines = [
            (a, b)
            for a, b in _lines_with(text, lower, _KEYWORD_NEEDLES)
            if '"' in text[a:b] or "'" in text[a:b]
        ]
        for pattern in PATTERNS:
            if pattern.line_scoped:
                if lines:
                    yield from self._line_hits(
                        text, lines, [(pattern.kind, [(pattern.regex, pattern.group)])]
                    )
                continue
            if pattern.needles and not _has_needle(lower, pattern.needles):
                continue
            for match in pattern.regex.finditer(text):
                start, end = match.span(pattern.group)
                if start == end or (pattern.standalone and not _standalone(text, start, end)):
                    continue
                if pattern.kind == "password_literal" and not _value_looks_secret(match.group(1)):
                    continue
                if pattern.kind == "email":
                    local = _LOCAL_PART.search(text, max(0, start - 64), start)
                    if local is None:
                        continue
                    start = local.start()
                yield start, end, pattern.kind, pattern.placeholder
        for kind, regexes, plugin, needles in self._format:
            if needles and not _has_needle(text, needles):
                continue
            for regex, group in regexes:
                for match in regex.finditer(text):
                    start, end = _secret_span(match, group)
                    if end <= start or not _standalone(text, start, end):
                        continue
                    if kind != "ds_json_web_token" or plugin.is_formally_valid(text[start:end]):
                        yield start, end, kind, SECRET
        if lines and self._keyword:
            yield from self._line_hits(
                text, lines, [(kind, regexes) for kind, regexes, _, _ in self._keyword]
            )

    @staticmethod
    def _line_hits(
        text: str,
        lines: list[tuple[int, int]],
        detectors: list[tuple[str, list[tuple[re.Pattern[str], int | None]]]],
    ) -> Iterator[tuple[int, int, str, str]]:
        """Hits of secret-assignment detectors on the candidate lines; the value must look like a secret."""
        for line_start, line_end in lines:
            line = text[line_start:line_end]
            for kind, regexes in detectors:
                for regex, group in regexes:
                    for match in regex.finditer(line):
                        start, end = _secret_span(match, group)
                        if end > start and _value_looks_secret(line[start:end]):
                            yield line_start + start, line_start + end, kind, SECRET

    def scrub(self, text: str) -> tuple[str, Counter[str]]:
        """``text`` with every hit replaced, and the hits counted by kind.

        >>> scrubber = SecretScrubber(use_detect_secrets=False)
        >>> scrubber.scrub('String password = "hunter2!"; // ask ops@example.com')
        ('String password = "<SECRET>"; // ask <EMAIL>', Counter({'password_literal': 1, 'email': 1}))
        """
        cached = self._cache.get(text)
        if cached is not None:
            return cached[0], Counter(cached[1])
        hits = sorted(self._hits(text), key=lambda h: (h[0], -(h[1] - h[0])))
        counts: Counter[str] = Counter()
        pieces: list[str] = []
        position = 0
        for start, end, kind, placeholder in hits:
            if start < position:  # overlaps a longer hit already replaced: one secret, counted once
                continue
            pieces += [text[position:start], placeholder]
            counts[kind] += 1
            position = end
        pieces.append(text[position:])
        result = "".join(pieces) if counts else text
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[text] = (result, counts)
        return result, Counter(counts)
