"""Decoding Claude's project dir names and naming each project by its markers."""
from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import git
from pipeline.projects.decode import Decoder
from pipeline.projects.identity import Identity, Mapping, collisions, find_boundary, resolve_all, resolve_one
from pipeline.rules.claude_names import dir_name


def make(root: Path, rel: str, *markers: str) -> Path:
    path = root / rel
    path.mkdir(parents=True, exist_ok=True)
    for marker in markers:
        (path / marker).mkdir() if marker == ".git" else (path / marker).touch()
    return path


def test_decoding_finds_dirs_whose_names_contain_dashes_dots_and_spaces(tmp_path):
    target = make(tmp_path, "my_app.v2/sub dir/x-y")
    assert Decoder().candidates(dir_name(str(target))) == [str(target)]


def test_several_real_paths_with_one_encoding_are_all_found_and_the_project_root_preferred(tmp_path):
    nested = make(tmp_path, "api/v2")
    flat = make(tmp_path, "api-v2", "pyproject.toml", ".git")
    identity = resolve_one(dir_name(str(flat)), Decoder(), stop_at=str(tmp_path))
    assert sorted(identity.candidates) == sorted([str(nested), str(flat)])
    assert identity.ambiguous
    assert identity.real_path == str(flat)
    assert identity.key == "by-project/api-v2"


def test_a_name_with_many_dash_runs_resolves_without_exponential_search(tmp_path):
    # "a", "a-a" and "a-a-a" all lead back to the same dir: "-a" * 30 splits in ~10^7 ways
    loop = tmp_path / "loop"
    loop.mkdir()
    for width in range(1, 4):
        (loop / "-".join("a" * width)).symlink_to(loop)
    decoder = Decoder()
    assert decoder.candidates(dir_name(str(loop)) + "-a" * 30 + "-missing") == []
    assert decoder.visits < 200
    assert decoder.candidates(dir_name(str(loop)) + "-a" * 30) != []


def test_agent_yml_wins_over_a_nearer_package_marker(tmp_path):
    agent = make(tmp_path, "agents/finops", "agent.yml")
    make(tmp_path, "agents", ".git")
    package = make(tmp_path, "agents/finops/package", "pyproject.toml")
    assert find_boundary(str(package)) == (str(agent), "agent.yml")


def test_the_walk_never_goes_past_the_repo_root(tmp_path):
    make(tmp_path, "outer", "agent.yml")
    repo = make(tmp_path, "outer/repo", ".git")
    inside = make(tmp_path, "outer/repo/src")
    assert find_boundary(str(inside)) == (str(repo), ".git")


def test_a_package_marker_wins_over_the_repo_root(tmp_path):
    make(tmp_path, "mono", ".git")
    package = make(tmp_path, "mono/libs/core", "package.json")
    assert find_boundary(str(make(tmp_path, "mono/libs/core/src"))) == (str(package), "package.json")


def test_deleted_or_markerless_dirs_land_under_unmapped(tmp_path):
    plain = make(tmp_path, "plain")
    gone = dir_name(str(tmp_path / "deleted" / "project"))
    assert resolve_one(dir_name(str(plain)), Decoder(), stop_at=str(tmp_path)).key == \
        f"_unmapped/{dir_name(str(plain))}"
    assert resolve_one(gone, Decoder(), stop_at=str(tmp_path)).key == f"_unmapped/{gone}"


def test_resolve_all_uses_the_cache_until_the_marker_disappears(tmp_path):
    projects = tmp_path / "projects"
    repo = make(tmp_path, "work/finops", "pyproject.toml", ".git")
    (projects / dir_name(str(repo))).mkdir(parents=True)
    first = resolve_all(projects, {}, stop_at=str(tmp_path))
    assert [i.key for i in first] == ["by-project/finops"] and first[0].marker == "pyproject.toml"
    os.remove(repo / "pyproject.toml")
    again = resolve_all(projects, {i.encoded: i for i in first}, stop_at=str(tmp_path))
    assert again[0].key == "by-project/finops" and again[0].marker == ".git"


def test_a_cached_identity_notices_a_marker_that_appears_nearer_on_the_way_up(tmp_path):
    projects = tmp_path / "projects"
    make(tmp_path, "work/mono", ".git")
    service = make(tmp_path, "work/mono/billing")
    (projects / dir_name(str(service))).mkdir(parents=True)
    first = resolve_all(projects, {}, stop_at=str(tmp_path))
    assert [i.key for i in first] == ["by-project/mono"]
    cache = {i.encoded: Identity.from_json(json.loads(json.dumps(i.to_json()))) for i in first}  # as the state keeps it
    assert resolve_all(projects, cache, stop_at=str(tmp_path)) == first
    (service / "pyproject.toml").touch()  # the service becomes a package of its own
    again = resolve_all(projects, cache, stop_at=str(tmp_path))
    assert again[0].key == "by-project/billing" and again[0].marker == "pyproject.toml"


def test_different_roots_with_one_name_are_flagged_and_kept_apart_but_fan_out_is_not(tmp_path):
    projects = tmp_path / "projects"
    one = make(tmp_path, "org-a/publisher", ".git")
    two = make(tmp_path, "org-b/publisher", ".git")
    sub = make(tmp_path, "org-a/publisher/src")
    for path in (one, two, sub):
        (projects / dir_name(str(path))).mkdir(parents=True)
    found = resolve_all(projects, {}, stop_at=str(tmp_path))
    raw = [resolve_one(i.encoded, Decoder(), stop_at=str(tmp_path)) for i in found]
    assert collisions(raw) == {"by-project/publisher": sorted([str(one), str(two)])}
    # resolving keeps them apart: the first root keeps the key, the other waits under _unmapped
    keys = {i.real_path: (i.key, i.collides_with) for i in found}
    assert keys[str(one)] == ("by-project/publisher", None)
    assert keys[str(sub)] == ("by-project/publisher", None)
    assert keys[str(two)] == (f"_unmapped/{dir_name(str(two))}", str(one))


def test_hundreds_of_projects_each_get_their_own_key(tmp_path):
    projects = tmp_path / "projects"
    for index in range(300):
        repo = make(tmp_path, f"work/team-{index % 7}/svc_{index}", "pyproject.toml")
        (projects / dir_name(str(repo))).mkdir(parents=True)
    found = resolve_all(projects, {}, stop_at=str(tmp_path))
    assert len({i.key for i in found}) == 300


def test_a_user_mapping_wins_over_markers_and_splits_a_collision(tmp_path):
    projects = tmp_path / "projects"
    one = make(tmp_path, "org-a/publisher", ".git")
    two = make(tmp_path, "org-b/publisher", ".git")
    inside = make(tmp_path, "org-b/publisher/src")
    for path in (one, two, inside):
        (projects / dir_name(str(path))).mkdir(parents=True)
    rules = (Mapping(str(tmp_path / "org-b" / "*"), "publisher-b"),)
    found = {i.real_path: i for i in resolve_all(projects, {}, stop_at=str(tmp_path), mappings=rules)}
    assert found[str(one)].key == "by-project/publisher"
    assert found[str(two)].key == "by-project/publisher-b" and found[str(two)].marker == "identities.yaml"
    assert found[str(inside)].key == "by-project/publisher-b"  # a subdir of a mapped root is that project
    assert collisions(list(found.values())) == {}


def test_every_worktree_of_a_repo_and_its_bare_repo_resolve_to_the_repo_s_key(tmp_path):
    main = make(tmp_path, "dev/app")
    git("init", "-q", str(main))
    git("commit", "-q", "--allow-empty", "-m", "x", cwd=main)
    linked = tmp_path / "wt" / "app-feature"
    git("worktree", "add", "-q", str(linked), cwd=main)
    bare = tmp_path / "repos" / "app.git"
    git("clone", "-q", "--bare", str(main), str(bare))
    of_bare = tmp_path / "wt" / "app-hotfix"
    git("worktree", "add", "-q", str(of_bare), cwd=bare)
    roots = {}
    for path in (main, linked, linked / "src", bare, of_bare):
        path.mkdir(exist_ok=True)
        identity = resolve_one(dir_name(str(path)), Decoder(), stop_at=str(tmp_path))
        assert identity.key == "by-project/app", path
        roots[path] = identity.root
    assert roots[linked] == roots[linked / "src"] == roots[main] == str(main)
    assert roots[of_bare] == roots[bare] == str(bare)


def test_a_dir_mapped_by_its_name_gets_its_key_whether_or_not_it_decodes(tmp_path):
    projects = tmp_path / "projects"
    repo = make(tmp_path, "work/finops", "pyproject.toml")
    for name in (dir_name(str(repo)), "fixed-name"):
        (projects / name).mkdir(parents=True)
    rules = (Mapping("fixed-name", "finops", by_dir=True), Mapping(dir_name(str(repo)), "ledger", by_dir=True))
    found = {i.encoded: i for i in resolve_all(projects, {}, stop_at=str(tmp_path), mappings=rules)}
    assert found["fixed-name"].key == "by-project/finops" and found["fixed-name"].real_path is None
    assert found[dir_name(str(repo))].key == "by-project/ledger"
    assert found[dir_name(str(repo))].real_path == str(repo)
    assert collisions(list(found.values())) == {}
