"""The secret scan: one fake credential per rule, and the everyday content of notes that must pass."""
from __future__ import annotations

import base64
import hashlib
import json
import random
import string

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.rules.secrets import scan, scan_name, scan_names, shown_name

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
UPPER_DIGITS = string.ascii_uppercase + string.digits


def fake(length: int, alphabet: str = ALNUM, seed: str = "") -> str:
    """Random-looking yet fixed, and only assembled at run time: this file holds no credential a scanner could find."""
    rng = random.Random(f"{seed}/{length}/{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(length))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def pem_block(kind: str) -> str:
    label = f"{kind} PRIVATE KEY".strip()
    body = base64.b64encode(random.Random(kind).randbytes(300)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN " + label + "-----", *lines, "-----END " + label + "-----"]) + "\n"


def service_account_json() -> str:
    return json.dumps({
        "type": "service_account",
        "project_id": "memory-mirror-prod",
        "private_key_id": fake(40, HEX),
        "private_key": pem_block(""),
        "client_email": "mirror@memory-mirror-prod.iam.gserviceaccount.com",
        "client_id": "1" + fake(20, string.digits),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }, indent=2)


def jwt() -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    payload = b64url({"sub": "1234567890", "name": "memory-mirror", "iat": 1700000000})
    return f"{header}.{payload}.{fake(43, URLSAFE)}"


POSITIVE = [
    ("AWS access key", "aws_access_key_id = " + "AK" + "IA" + fake(16, UPPER_DIGITS)),
    ("AWS secret key", "aws_secret_access_key = " + fake(40, ALNUM + "/+")),
    ("AWS secret key", "export AWS_SECRET_ACCESS_KEY=" + fake(40, ALNUM + "/+")),  # as a shell profile has it
    ("AWS secret key", 'client = boto3.client("s3", aws_secret_access_key="' + fake(40, ALNUM + "/+") + '")'),
    ("Azure storage key", "DefaultEndpointsProtocol=https;AccountName=notes;Account" + "Key="
     + base64.b64encode(random.Random("azure").randbytes(64)).decode() + ";EndpointSuffix=core.windows.net"),
    ("GCP API key", "maps key: " + "AI" + "za" + fake(35, URLSAFE)),
    ("GitHub token", "export GH_TOKEN=" + "gh" + "p_" + fake(36)),
    ("GitHub token", "runner token " + "gh" + "s_" + fake(36)),
    ("GitHub token", "github" + "_pat_" + fake(22) + "_" + fake(59)),
    ("Slack token", "bot: " + "xo" + "xb-" + fake(12, string.digits) + "-" + fake(13, string.digits) + "-"
     + fake(24)),
    ("Slack webhook", "alerts go to https://hooks.slack.com/" + "services/T" + fake(8, UPPER_DIGITS) + "/B"
     + fake(10, UPPER_DIGITS) + "/" + fake(24)),
    ("Anthropic API key", "ANTHROPIC_API_KEY=" + "sk-" + "ant-api03-" + fake(93, URLSAFE) + "AA"),
    ("Anthropic API key", "CLAUDE_CODE_OAUTH_TOKEN=" + "sk-" + "ant-oat01-" + fake(95, URLSAFE)),
    ("OpenAI API key", "OPENAI_API_KEY=" + "sk-" + "proj-" + fake(156, URLSAFE)),
    ("OpenAI API key", "old key " + "sk-" + fake(20) + "T3Blbk" + "FJ" + fake(20)),
    ("Stripe key", "STRIPE_SECRET_KEY=" + "sk" + "_live_" + fake(99)),
    ("Stripe key", "test mode: " + "rk" + "_test_" + fake(24)),
    ("JSON web token", "Authorization: Bearer " + jwt()),
    ("private key", "deploy key:\n\n```\n" + pem_block("OPENSSH") + "```\n"),
    ("private key", pem_block("RSA")),
    ("private key", pem_block("ENCRYPTED")),
    ("high-entropy string", "staging deploy secret: " + base64.b64encode(random.Random("b64").randbytes(30)).decode()),
    ("high-entropy string", "WEBHOOK_SIGNING_KEY=" + fake(64, HEX)),
    ("password in a URL", "clone with https://deploy:" + fake(40) + "@git.example.com/notes.git"),
    ("password in a URL", "prod db: postgres://admin:" + "S3cr3tPassw0rd!" + "@db:5432/prod"),
    ("password in a URL", "redis://:" + "hunter2hunter2" + "@cache.internal:6379/0"),
    ("keyword assignment", "password: " + "hunter2hunter2"),
    ("keyword assignment", "db_secret = " + "correct-horse-battery"),
    ("keyword assignment", "  api_key: '" + "k3y" + "value9'"),
    ("high-entropy string", "callback https://app.example.com/cb#access_token=" + fake(48, URLSAFE)),
]


@pytest.mark.parametrize(("rule", "text"), POSITIVE, ids=[f"{rule}-{i}" for i, (rule, _) in enumerate(POSITIVE)])
def test_each_rule_names_its_secret(rule, text):
    assert scan(text.encode()) == [rule]


def test_service_account_json_holds_a_private_key_too():
    assert scan(service_account_json().encode()) == ["GCP service account key", "private key"]


SHA1 = hashlib.sha1(b"memory-mirror").hexdigest()
SHA256 = hashlib.sha256(b"memory-mirror").hexdigest()

NEGATIVE = {
    "empty": "",
    "prose": "The user prefers short answers and wants every tick to finish in under a second. "
             "Always run the whole test suite before committing, and never force-push main by hand.",
    "markdown with links": "## Decisions\n\n- Layout follows [the design doc]"
                           "(https://docs.google.com/document/d/" + fake(44, URLSAFE) + "/edit#heading=h.x1y2z3) "
                           "and [PR #42](https://github.com/acme/memory-mirror/pull/42).\n"
                           "- Dashboard: <https://grafana.example.com/d/" + fake(9, URLSAFE)
                           + "/sync?orgId=1&from=now-6h>\n",
    "git SHA": f"Fixed in commit {SHA1} (`{SHA1[:7]}`); reverted by {SHA1[::-1]}.",
    "sha256 digest": f"image pinned to registry.example.com/mirror@sha256:{SHA256}",
    "UUID": "session 123e4567-e89b-12d3-a456-426614174000 wrote 9b2f0c1e-3d4a-4b5c-8d6e-7f8091a2b3c4.jsonl",
    "name with a UUID": "launch template EC2FastLaunchDefaultResourceCreation-a8c6215d-94e6-441b-9272-dbd1f87b07e2",
    "name with a SHA": f"tag release-v2-{SHA1} and branch gitfoam/host-laptop-2/main",
    "file path": "/home/alice/.claude/projects/-home-alice-code-memory-mirror/memory/feedback_testing.md",
    "pod log path": "tail /var/log/pods/kube-system_coredns-7db6d8ff4d-x2v9k_0b1c/coredns/0.log for the DNS errors",
    "path with dates and versions": "export: /mnt/data/exports/Q3-2024/EMEA/Berlin-Office_7/Payroll/v9-final/x.csv",
    "CamelCase path": "`/Users/AliceSmith/Projects/MyApp2024/src/Components/UserProfile/index.tsx` renders the card",
    "pytest node id": "tests/test_fleet_scenarios.py::test_contributor_publishes_host_branch_and_merges_main",
    "dotted word starting eyJ": "the fixture names eyJfoo.bar.baz on purpose: it is not a token",
    "short base64 word": "the fixture decodes dGVzdA== and SGVsbG8gd29ybGQ= before comparing",
    "command line": "MEMORY_MIRROR_REMOTE=git@github.com:acme/claude-memory-mirror.git memory-sync sync-now --no-wait",
    "placeholder key": "set ANTHROPIC_API_KEY=<your key> and OPENAI_API_KEY=... in ~/.agentihooks/.env",
    "commit under a secret-free key": f"last_synced_commit: {SHA1}",
    "GitHub blob URL": f"see https://github.com/acme/memory-mirror/blob/{SHA1}/pipeline/rules/secrets.py#L40-L52",
    "base64 image in markdown": "![chart](data:image/png;base64,"
                                + base64.b64encode(random.Random("png").randbytes(90)).decode() + ")",
    "prose with the word password": "Remember: the password policy requires rotation every 90 days, and the "
                                    "password: ask the team lead for it. Password: <redacted>",
    "keyword with a placeholder": "db_password=${DB_PASSWORD} and token: ***",
    "URL with a user only": "clone git@github.com:acme/x.git or https://alice@git.example.com/x.git",
    "long sentence": " ".join(["the mirror keeps memory files in sync across laptops servers and pods"] * 40) + ".",
}


@pytest.mark.parametrize("text", NEGATIVE.values(), ids=NEGATIVE.keys())
def test_everyday_note_content_passes(text):
    assert scan(text.encode()) == []


def test_names_are_sorted_and_unique():
    text = "\n".join(["a " + "gh" + "p_" + fake(36, seed="1"), "b " + "gh" + "p_" + fake(36, seed="2"),
                      "c " + "AK" + "IA" + fake(16, UPPER_DIGITS)])
    assert scan(text.encode()) == ["AWS access key", "GitHub token"]


def test_bytes_that_are_not_utf8_are_scanned_anyway():
    data = b"\x89PNG\r\n\x1a\n\x00\xff\xfe" + ("gh" + "p_" + fake(36)).encode() + b"\x00\xc3\x28"
    assert scan(data) == ["GitHub token"]


def test_binary_without_secrets_passes():
    assert scan(bytes(range(256)) * 8) == []




NAMES = {
    "by-project/finops/memory/" + "gh" + "p_" + fake(36, seed="name") + ".md": ["GitHub token"],
    "by-project/finops/memory/feedback_testing.md": [],
    f"by-project/finops/memory/notes-{SHA1}.md": [],
    "by-project/finops/memory/2024-05-01_123e4567-e89b-12d3-a456-426614174000.md": [],
}


@pytest.mark.parametrize(("path", "rules"), NAMES.items(), ids=range(len(NAMES)))
def test_a_file_name_is_scanned_like_its_content(path, rules):
    assert scan_name(path) == rules


def test_a_name_that_holds_a_secret_is_shown_cut_short():
    assert shown_name("by-project/finops/memory/" + "gh" + "p_" + fake(36) + ".md") == "by-project/finops/memory/ghp_…"


# parts of paths that hold a secret alone, together with the next part, or nothing; names as notes give them
PARTS = ["by-project", "finops", "memory", "notes.md", "password:", "password=", "hunter2hunter2.md", "aws",
         "secret_access_key=" + fake(40, ALNUM), fake(40, ALNUM + "+"), "gh" + "p_" + fake(36, seed="part"),
         "api_key=", fake(64, HEX), f"deploy-{SHA1}.md", "-----BEGIN RSA PRIVATE KEY-----", jwt(), "token"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PARTS), min_size=1, max_size=5).map("/".join), min_size=1, max_size=6))
def test_names_scanned_together_get_the_rules_each_gets_alone(paths):
    assert scan_names(paths) == {path: scan_name(path) for path in paths}
