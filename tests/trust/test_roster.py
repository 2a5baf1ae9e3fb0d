"""The roster's keys and the host a proposal branch names, as pure functions."""
from __future__ import annotations

import pytest

from pipeline.trust.check import proposal_host
from pipeline.trust.roster import allowed_signers, parse_signers

ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOfBuild07"
RSA = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQFake"


@pytest.mark.parametrize("text, host, keys", [
    (f"build-07 {ED}\n", "build-07", [ED]),
    (f"build-07 {ED}\n", "build-08", []),
    (f"build-* {ED}\n", "build-08", [ED]),  # principals are patterns, as in git's allowed-signers format
    (f"build-*,!build-13 {ED}\n", "build-13", []),
    (f"pod-1,build-07 {ED}\n", "build-07", [ED]),
    (f'build-07 namespaces="git" {RSA} comment\n', "build-07", [RSA]),  # options before the key
    (f"# build-07 {ED}\n\nbuild-07\n", "build-07", []),  # comments, blank and short lines
    (f"build-07 {ED}\nbuild-07 {RSA}\n", "build-07", [ED, RSA]),
])
def test_parse_signers(text, host, keys):
    assert parse_signers(text, host) == keys


def test_allowed_signers_lets_only_the_named_host_sign():
    assert allowed_signers("build-07", [ED, RSA]) == f"build-07 {ED}\nbuild-07 {RSA}\n"


@pytest.mark.parametrize("branch, host", [
    ("proposal/build-07/20260101T000000Z-abc1234", "build-07"),
    ("refs/heads/proposal/build-07/x", "build-07"),
    ("origin/proposal/build-07/x", "build-07"),
    ("refs/remotes/origin/proposal/build-07/x", "build-07"),
    ("proposal/build-07", None),
    ("proposal//x", None),
    ("proposal/a/b/c", None),
    ("gitfoam/build-07/main", None),
    ("main", None),
])
def test_proposal_host(branch, host):
    assert proposal_host(branch) == host
