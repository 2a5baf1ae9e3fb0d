"""The secret scan: one fake credential per rule, and the everyday content of notes that must pass."""
from __future__ import annotations

import base64
import hashlib
import json
import random
import string

import pytest

from pipeline.secrets import scan

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
    ("high-entropy string", "clone with https://deploy:" + fake(40) + "@git.example.com/notes.git"),
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


