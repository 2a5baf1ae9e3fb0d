"""Which credentials a file holds: the names of the rules its bytes match, never the matched text itself."""
from __future__ import annotations

import re
from typing import Callable

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.keyword import KeywordDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.stripe import StripeDetector

HIGH_ENTROPY = "high-entropy string"

# detect-secrets' patterns run on the whole text at once: none of them (nor ours) matches across a newline, so this
# finds what its per-line scan finds, without a PotentialSecret per line and plugin. For 1,000 notes of 500 bytes
# its scan_line() (settings, filters) takes ~10 s, its plugins' analyze_line() ~0.16 s, this ~0.07 s.
_RULES: tuple[tuple[str, re.Pattern[str], Callable[[str], bool] | None], ...] = (
    ("AWS access key", AWSKeyDetector.denylist[0], None),
    # detect-secrets finds a secret key only quoted, as in code; ~/.aws/credentials, .env files and notes write it bare
    ("AWS secret key", re.compile(
        rf"aws.{{0,20}}?{AWSKeyDetector.secret_keyword}.{{0,20}}?[:=]\s*[\"']?[0-9a-zA-Z/+]{{40}}(?![0-9a-zA-Z/+=])",
        re.IGNORECASE), None),
    ("Azure storage key", AzureStorageKeyDetector.denylist[0], None),
    # detect-secrets has no Google rules; every downloaded service-account key file carries its private_key_id
    ("GCP service account key", re.compile(r'private_key_id\\?"\s*:\s*\\?"[0-9a-f]{40}'), None),
    ("GCP API key", re.compile(r"AIza[0-9A-Za-z_-]{35}"), None),
    ("GitHub token", GitHubTokenDetector.denylist[0], None),
    ("GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{60,}"), None),  # fine-grained tokens: not in detect-secrets
    ("Slack token", SlackDetector.denylist[0], None),
    ("Slack webhook", SlackDetector.denylist[1], None),
    # not in detect-secrets: API (api03), admin and Claude Code OAuth (oat01, ort01) keys
    ("Anthropic API key", re.compile(r"sk-ant-[a-z]+[0-9]*-[A-Za-z0-9_-]{32,}"), None),
    ("OpenAI API key", OpenAIDetector.denylist[0], None),
    # detect-secrets needs the T3BlbkFJ marker, which project, service-account and admin keys need not carry
    ("OpenAI API key", re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"), None),
    ("Stripe key", StripeDetector.denylist[0], None),
    ("Stripe key", re.compile(r"[rs]k_test_[0-9a-zA-Z]{24}"), None),  # test-mode keys still open the account's API
    ("JSON web token", JwtTokenDetector.denylist[0], JwtTokenDetector.is_formally_valid),
    # the whole PEM block, so its base64 body is not reported again as a high-entropy string
    ("private key", re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.DOTALL), None),
    *(("private key", pattern, None) for pattern in PrivateKeyDetector.denylist),  # adds PuTTY and SSH2 markers
    ("password in a URL", BasicAuthDetector.denylist[0], None),
    # detect-secrets' basic-auth pattern stops at URL punctuation, which passwords are full of (`S3cr3t!`)
    ("password in a URL", re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:[^\s/@]+@[^\s@]"), None),
)
# A rule whose pattern cannot match without one of these words is skipped when the text (case-folded) lacks it:
# these patterns begin with a class or an alternation, so the regex engine tries them at every character.
_NEEDLES: dict[str, str] = {
    "AWS secret key": "aws", "Slack token": "xox", "Slack webhook": "hooks.slack.com", "Stripe key": "k_",
    "password in a URL": "://",
}

KEYWORD = "keyword assignment"
_KEYWORD = KeywordDetector()
# the keyword detector's YAML/INI form reads `password: x` and `secret = x` as notes write them; it runs only on
# lines that name a secret at all (its own scan of every line is ~100x slower)
_KEYWORD_WORD = re.compile(r"pass|pwd|secret|token|key|auth|cred", re.IGNORECASE)
_KEYWORD_FILE = "notes.yaml"
# prose says "the password: ask the team lead"; a credential is one token, not a placeholder like <x> or ${X}
_KEYWORD_VALUE = re.compile(r"[^\s<>${}*]{6,}")

# High entropy: detect-secrets only looks inside quotes (code), but notes hold secrets bare, so candidates are
# runs of base64 characters anywhere, judged by detect-secrets' entropy at its default limits (4.5, 3.0).
# What notes are full of must pass:
# - hex (git SHAs, sha256 digests, UUIDs) carries at most 4 bits per char, so alone it never exceeds 4.5, and hex
#   ids are cut out of longer runs (`deploy-<sha>`, `<name>-<uuid>`); a hex run counts only as the value of a
#   secret-looking key (`api_key = 9f86...`), where it is judged at 3.0.
# - URLs are references whose ids (docs, dashboards, commits) are random by design: only their user:password
#   part and their query and fragment (signatures, access_token=) are judged.
# - paths and slugs: base64 has a '/' about once in 64 chars (base64url a '-' or '_' once in 32), joined words one
#   every few chars, so a run with a separator per fewer than 12 chars is judged piece by piece.
# - long identifiers: random keys of 20+ chars nearly always mix digits and letters; words do not.
# Random strings shorter than ~30 chars rarely exceed 4.5 bits: those are left to the format rules above.
_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()
_MIN_LENGTH = 20
_SEPARATOR_EVERY = 12
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://(?:([^\s/?#@]*)@)?[^\s?#]*([?#]\S*)?")
_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{_MIN_LENGTH},}}")  # without '=', `KEY=value` is two runs; padding adds nothing
# an image inlined in markdown is random by nature and holds no credential
_DATA_IMAGE = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]+")
_SEPARATOR = re.compile(r"[-_/]")
_HEX_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?<![A-Za-z0-9+])(?:[0-9a-f]{7,}|[0-9A-F]{7,})(?![A-Za-z0-9+])")
# found from the ':' or '=' backwards: a search for the key names themselves would start at every character
_HEX_VALUE = re.compile(rf"[:=]\s*[\"']?([0-9a-fA-F]{{{_MIN_LENGTH},}})(?![0-9A-Za-z])")
_SECRET_NAME = re.compile(
    r"(?:secret|token|passw(?:or)?d|pwd|credential|(?:api|access|private|signing|auth|master|encryption)[_-]?key)"
    r"[\w-]*[\"']?\s*$",
    re.IGNORECASE)
_NAME_WINDOW = 64
# a rule may match only a token's prefix (Stripe keys run past detect-secrets' 24 chars, its JWT pattern stops
# before the signature): the rest of the token is the same secret, not another high-entropy string
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9+/=_-]*")
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")


def scan(data: bytes) -> list[str]:
    """Sorted names of the rules `data` matches; [] when clean. Undecodable bytes are replaced, not skipped."""
    text = data.decode("utf-8", errors="replace")
    folded = text.casefold()  # as the patterns' IGNORECASE folds (a long s is an s)
    found: set[str] = set()
    spans: list[tuple[int, int]] = []
    for name, pattern, is_valid in _RULES:
        if name in _NEEDLES and _NEEDLES[name] not in folded:
            continue
        for match in pattern.finditer(text):
            if is_valid is None or is_valid(match[0]):
                found.add(name)
                spans.append((match.start(), _TOKEN_TAIL.match(text, match.end()).end()))
    # a secret a rule named is not reported again as a high-entropy string, nor as a keyword's value
    if _has_high_entropy(_blank(text, spans) if spans else text):
        found.add(HIGH_ENTROPY)
    if not found and any(_KEYWORD_VALUE.fullmatch(candidate.secret_value or "")
                         for line in _keyword_lines(text)
                         for candidate in _KEYWORD.analyze_line(filename=_KEYWORD_FILE, line=line, line_number=0)):
        found.add(KEYWORD)
    return sorted(found)


def _keyword_lines(text: str) -> list[str]:
    """The lines that hold a word a secret's key is named with (found from the word: a pattern for the whole line
    would try each character as a line's start)."""
    lines = {}
    for match in _KEYWORD_WORD.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        lines[start] = text[start:end if end != -1 else len(text)]
    return list(lines.values())


def scan_name(path: str) -> list[str]:
    """The rules a file's path matches (a token pasted into a name): the name is published like the content."""
    return scan(path.replace("/", " ").encode())


def scan_names(paths: list[str]) -> dict[str, list[str]]:
    """scan_name() of each path, each part of a path scanned once however many paths share it (every file of a
    project shares its key). Only rules that name a secret's key (the keyword rule, AWS secret keys, PEM headers,
    key=value hex) read past a '/', and each of them needs a word _KEYWORD_WORD finds: such a path is scanned
    whole."""
    parts: dict[str, list[str]] = {}
    found = {}
    for path in paths:
        if _KEYWORD_WORD.search(path):
            found[path] = scan_name(path)
            continue
        rules: set[str] = set()
        for part in path.split("/"):
            if part not in parts:
                parts[part] = scan(part.encode())
            rules.update(parts[part])
        found[path] = sorted(rules)
    return found


def shown_name(path: str) -> str:
    """`path` with its last part cut to its first characters, for a path that holds a secret: said to the user,
    the whole name would publish what it holds."""
    folder, _, name = path.rpartition("/")
    return f"{folder}/{name[:4]}…" if folder else f"{name[:4]}…"


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if end > position:
            parts += [text[position:max(start, position)], " "]
            position = end
    parts.append(text[position:])
    return "".join(parts)


def _has_high_entropy(text: str) -> bool:
    text = _DATA_IMAGE.sub(" ", text)
    text = _URL.sub(lambda match: f" {match[1] or ''} {match[2] or ''} ", text)
    if any(_is_random(piece) for run in _RUN.findall(text) for piece in _RUN.findall(_HEX_ID.sub(" ", run))):
        return True
    return any(
        _SECRET_NAME.search(text, max(0, match.start() - _NAME_WINDOW), match.start())
        and _HEX.calculate_shannon_entropy(match[1]) > _HEX.entropy_limit
        for match in _HEX_VALUE.finditer(text)
    )


def _is_random(run: str) -> bool:
    pieces = _SEPARATOR.split(run) if len(_SEPARATOR.findall(run)) * _SEPARATOR_EVERY > len(run) else [run]
    return any(
        len(piece) >= _MIN_LENGTH and _DIGIT.search(piece) and _LETTER.search(piece)
        and _BASE64.calculate_shannon_entropy(piece) > _BASE64.entropy_limit
        for piece in pieces
    )
