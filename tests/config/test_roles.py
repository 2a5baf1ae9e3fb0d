"""roles.yaml: the shipped table, user tiers, and one clear message per mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config.roles import load_roles, resolve_role
from pipeline.config.settings import PACKAGE_ROLES_FILE, load_settings
from pipeline.errors import ConfigError, InvalidRolesError

REPO_ROLES = Path(__file__).resolve().parents[2] / "roles.yaml"


def test_the_shipped_table_has_the_five_roles_of_the_spec():
    table = load_roles(PACKAGE_ROLES_FILE)
    assert {"off", "consumer", "offline", "contributor", "authority"} <= set(table.roles)
    assert table.roles["off"].steps == ()
    assert table.roles["consumer"].steps == ("resolve", "fetch", "merge")
    assert table.roles["offline"].steps == ("resolve", "snapshot", "commit", "seed", "push")
    assert table.roles["authority"].steps == ("resolve", "snapshot", "commit", "seed", "fetch", "accept-trusted",
                                              "merge", "resnapshot", "push")
    assert table.roles["authority"].pushes_main and table.roles["authority"].exclusive
    assert not table.roles["contributor"].pushes_main and table.roles["contributor"].can("propose")
    assert table.legacy_modes == {"off": "off", "write": "contributor", "write-local-only": "offline"}


def test_a_version_1_table_keeps_seeding_and_merging_trusted_proposals(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text("version: 1\nroles:\n"
                    "  offline: {steps: [resolve, snapshot, commit, push], may: [seed]}\n"
                    "  authority: {steps: [resolve, snapshot, commit, fetch, merge, resnapshot, push],"
                    " may: [seed, sweep, push-main], exclusive: true}\n")
    table = load_roles(path)
    assert table.roles["offline"].steps == ("resolve", "snapshot", "commit", "seed", "push")
    assert table.roles["authority"].steps == load_roles(PACKAGE_ROLES_FILE).roles["authority"].steps
    assert not table.roles["authority"].can("seed")


def test_the_package_ships_the_repo_roles_file():
    assert PACKAGE_ROLES_FILE.read_text() == REPO_ROLES.read_text()


def test_a_user_tier_extends_a_role_and_overrides_what_it_lists(tmp_path):
    path = tmp_path / "roles.yaml"
    text = REPO_ROLES.read_text().replace(
        "legacy_modes:", "  nightly:\n    extends: trusted\n    hosts: [ci-*]\nlegacy_modes:")
    path.write_text(text)
    table = load_roles(path)
    nightly = table.roles["nightly"]
    assert nightly.steps == table.roles["contributor"].steps
    assert nightly.auto_merge and nightly.hosts == ("ci-*",) and nightly.signers == "allowed_signers"


def test_a_roster_lists_each_host_with_its_key(tmp_path):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOfBuild07"
    path = write_roles(tmp_path, f"version: 1\nroles:\n  t:\n    auto_merge: true\n    hosts: {{build-07: {key}}}\n")
    role = load_roles(path).roles["t"]
    assert role.hosts == ("build-07",) and role.keys == (("build-07", key),)


def write_roles(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(body)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("version: 3\nroles: {a: {}}\n", "{path}:1: version: 3 is not one of [1, 2]. "
                     "See schemas/roles.schema.json for the allowed shape.", id="wrong version"),
        pytest.param("version: 1\nroles:\n  a:\n    steps: [resolve, teleport]\n",
                     "{path}:4: roles -> a -> steps -> 1: 'teleport' is not one of ['resolve', 'snapshot', 'commit', "
                     "'seed', 'fetch', 'accept-trusted', 'merge', 'resnapshot', 'push']. See schemas/roles.schema.json "
                     "for the allowed shape.",
                     id="unknown step"),
        pytest.param("version: 1\nroles:\n  a:\n    stpes: []\n",
                     "{path}:4: roles -> a: Additional properties are not allowed ('stpes' was unexpected). "
                     "See schemas/roles.schema.json for the allowed shape.", id="misspelt key"),
        pytest.param("version: 1\nroles:\n  a:\n    steps: [resolve, merge]\n",
                     "{path}:4: roles -> a -> steps: role 'a': step 'merge' needs 'fetch' before it in steps.",
                     id="merge without fetch"),
        pytest.param("version: 1\nroles:\n  a:\n    steps: [fetch, resolve]\n",
                     "{path}:4: roles -> a -> steps: role 'a': steps ['fetch', 'resolve'] are out of order; they run "
                     "in the order resolve -> snapshot -> commit -> seed -> fetch -> accept-trusted -> merge -> resnapshot "
                     "-> push.",
                     id="impossible order"),
        pytest.param("version: 1\nroles:\n  a:\n    steps: [resolve, snapshot, commit, push]\n    may: [push-main]\n",
                     "{path}:5: roles -> a -> may: role 'a': push-main needs 'fetch' in steps (main is pushed with a "
                     "lease on what was fetched).", id="push-main without fetch"),
        pytest.param("version: 1\nroles:\n  a:\n    extends: b\n",
                     "{path}:4: roles -> a -> extends: role 'a' extends unknown role 'b'; defined roles: a.",
                     id="extends unknown"),
        pytest.param("version: 1\nroles:\n  a:\n    auto_merge: true\n    hosts: [build-*]\n",
                     "{path}:5: roles -> a -> hosts: role 'a': auto_merge: true needs each host's SSH signing key: "
                     "list hosts as `<host>: <public key>`, or name an allowed-signers file with `signers:`.",
                     id="trust tier without keys"),
        pytest.param("version: 1\nroles:\n  a:\n    auto_merge: true\n    hosts: {build-1: my-key}\n",
                     "{path}:5: roles -> a -> hosts -> build-1: role 'a': the key of build-1 is not an SSH public "
                     "key; paste the first two fields of its .pub file (ssh-ed25519 AAAA...).",
                     id="a roster key that is not a key"),
        pytest.param("version: 1\nroles:\n  a:\n    steps: [resolve, snapshot, commit, seed, push]\n",
                     "{path}:4: roles -> a -> steps: role 'a': the steps seed and accept-trusted need `version: 2` at "
                     "the top of the file.", id="a step of version 2 in a version 1 table"),
        pytest.param("version: 2\nroles:\n  a:\n    steps: [resolve, snapshot, commit, push]\n    may: [seed]\n",
                     "{path}:5: roles -> a -> may: role 'a': in a version 2 table seeding is a step: list seed in "
                     "steps (after commit), not in may.", id="seed under may in a version 2 table"),
        pytest.param("version: 2\nroles:\n  a:\n    steps: [resolve, fetch, accept-trusted, merge]\n",
                     "{path}:4: roles -> a -> steps: role 'a': step 'accept-trusted' needs push-main in may: only the "
                     "role that publishes main merges proposals into it.", id="accept-trusted without push-main"),
        pytest.param("version: 1\nroles:\n  a: {steps: []}\nlegacy_modes: {write: b}\n",
                     "{path}:4: legacy_modes -> write: legacy mode 'write' maps to unknown role 'b'; "
                     "defined roles: a.", id="legacy mode to unknown role"),
    ],
)
def test_each_mistake_gets_one_message_naming_file_line_role_and_fix(tmp_path, body, message):
    path = write_roles(tmp_path, body)
    with pytest.raises(InvalidRolesError) as error:
        load_roles(path)
    assert str(error.value) == message.format(path=path)


def test_a_file_that_is_not_yaml_names_the_line_and_the_problem(tmp_path):
    path = write_roles(tmp_path, "version: 1\nroles: [a\n")
    with pytest.raises(InvalidRolesError) as error:
        load_roles(path)
    # the wording of the problem is the YAML parser's (libyaml's or PyYAML's own)
    assert str(error.value).startswith(f"{path}:3: not valid YAML (")
    assert "expected ',' or ']'" in str(error.value)
    assert str(error.value).endswith("). Fix the syntax.")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "off"),
        ({"MEMORY_MIRROR_MODE": "write"}, "contributor"),
        ({"MEMORY_MIRROR_MODE": "write-local-only"}, "offline"),
        ({"MEMORY_MIRROR_MODE": "off"}, "off"),
        ({"MEMORY_MIRROR_ENABLED": "true"}, "contributor"),
        ({"MEMORY_MIRROR_ROLE": "consumer", "MEMORY_MIRROR_MODE": "write"}, "consumer"),
        ({"MEMORY_MIRROR_ROLE": "authority", "MEMORY_MIRROR_ENABLED": "true"}, "authority"),
    ],
)
def test_role_wins_over_legacy_mode_which_maps_as_the_spec_says(tmp_path, env, expected):
    settings = load_settings({"HOME": str(tmp_path), **env})
    assert resolve_role(settings, load_roles(settings.roles_file)).name == expected


def test_an_unknown_role_lists_the_roles_of_the_file_instead_of_falling_back(tmp_path):
    settings = load_settings({"HOME": str(tmp_path), "MEMORY_MIRROR_ROLE": "boss"})
    with pytest.raises(ConfigError) as error:
        resolve_role(settings, load_roles(settings.roles_file))
    assert str(error.value) == (
        f"unknown role 'boss': {PACKAGE_ROLES_FILE} defines off, consumer, offline, contributor, authority, trusted. "
        "Set MEMORY_MIRROR_ROLE to one of them, or add the role to that file."
    )


def test_a_roles_file_in_agentihooks_home_replaces_the_shipped_one(tmp_path):
    home = tmp_path / ".agentihooks"
    home.mkdir()
    (home / "roles.yaml").write_text("version: 1\nroles:\n  solo: {steps: [resolve]}\n  \"off\": {steps: []}\n")
    settings = load_settings({"HOME": str(tmp_path), "MEMORY_MIRROR_ROLE": "solo"})
    assert settings.roles_file == home / "roles.yaml"
    assert resolve_role(settings, load_roles(settings.roles_file)).steps == ("resolve",)
