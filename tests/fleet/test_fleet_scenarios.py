"""Three machines (authority, contributor, consumer) on one bare origin, driven through the CLI."""
from __future__ import annotations

import re


from conftest import Machine, commit_by_hand, encode, every_path_on, git, main_files, origin_refs, seeded_authority
from pipeline.rules.memory_only import is_mirror_path


def tick_all(*machines):
    for machine in machines:
        machine.tick()


def test_new_memory_file_on_the_authority_reaches_the_consumer(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "budget alerts go to #finops\n")
    tick_all(laptop, pod)
    assert pod.files("finops") == {"MEMORY.md": "budget alerts go to #finops\n"}
    assert main_files(origin) == {"by-project/finops/memory/MEMORY.md": "budget alerts go to #finops\n"}


def test_identity_key_is_shared_by_projects_at_different_paths(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    pod = make_machine("pod-1", "consumer")
    laptop.project("finops", marker="agent.yml", where="dev/agents")
    pod.project("finops", marker="agent.yml", where="app")
    (laptop.memory("finops", where="dev/agents") / "notes.md").parent.mkdir(parents=True)
    (laptop.memory("finops", where="dev/agents") / "notes.md").write_text("shared\n")
    tick_all(laptop, pod)
    assert (pod.memory("finops", where="app") / "notes.md").read_text() == "shared\n"


def test_an_edit_replaces_the_unchanged_older_copy_everywhere(fleet):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    tick_all(laptop, build, pod)
    laptop.write("finops", "MEMORY.md", "v2\n")
    tick_all(laptop, build, pod)
    assert build.files("finops") == {"MEMORY.md": "v2\n"}
    assert pod.files("finops") == {"MEMORY.md": "v2\n"}


def test_two_different_edits_give_one_conflict_sibling_and_keep_both_texts(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    tick_all(laptop, build, pod)
    laptop.write("finops", "MEMORY.md", "laptop's text\n")
    build.write("finops", "MEMORY.md", "build's text\n")
    for _ in range(4):
        tick_all(laptop, build, pod)
    files = build.files("finops")
    siblings = [name for name in files if name != "MEMORY.md"]
    assert files["MEMORY.md"] == "build's text\n"
    assert len(siblings) == 1 and re.fullmatch(r"MEMORY\.conflict-build-01-\d+\.md", siblings[0])
    assert files[siblings[0]] == "laptop's text\n"
    # the contributor's host branch carries both texts for review
    host_branch = main_files(origin, "gitfoam/build-01/main")
    assert sorted(host_branch.values()) == ["build's text\n", "laptop's text\n"]


def test_consumer_edit_conflicting_with_main_keeps_both_over_many_ticks(fleet):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    tick_all(laptop, pod)
    pod.write("finops", "MEMORY.md", "pod's local edit\n")
    laptop.write("finops", "MEMORY.md", "v2\n")
    for _ in range(3):
        tick_all(laptop, pod)
    files = pod.files("finops")
    assert files.pop("MEMORY.md") == "pod's local edit\n"
    assert list(files.values()) == ["v2\n"]


def test_a_deletion_reaches_machines_whose_copy_was_unchanged(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "keep.md", "stays\n")
    laptop.write("finops", "old.md", "obsolete\n")
    tick_all(laptop, build, pod)
    (laptop.memory("finops") / "old.md").unlink()
    tick_all(laptop, build, pod, laptop, build)
    for machine in (build, pod):
        assert machine.files("finops") == {"keep.md": "stays\n"}
        trashed = [p.read_text() for p in machine.trash.rglob("old.md")]
        assert trashed == ["obsolete\n"]
    assert "by-project/finops/memory/old.md" not in main_files(origin)


def test_a_deleted_file_that_was_edited_elsewhere_is_kept(fleet):
    laptop, build, pod = fleet
    laptop.write("finops", "notes.md", "v1\n")
    tick_all(laptop, pod)
    pod.write("finops", "notes.md", "pod edited this\n")
    (laptop.memory("finops") / "notes.md").unlink()
    tick_all(laptop, pod, pod)
    assert pod.files("finops") == {"notes.md": "pod edited this\n"}


def test_a_key_only_the_contributor_has_survives_the_authoritys_ticks(fleet, origin):
    laptop, build, pod = fleet
    build.project("billing")
    build.write("billing", "MEMORY.md", "only on build-01\n")
    build.tick()  # origin has no main yet: the contributor seeds it
    laptop.write("finops", "MEMORY.md", "laptop\n")
    for _ in range(3):
        tick_all(laptop, build)
    assert main_files(origin)["by-project/billing/memory/MEMORY.md"] == "only on build-01\n"
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "laptop\n"
    assert not laptop.memory("billing").exists()


def test_transcripts_todos_and_non_memory_files_never_reach_origin(fleet, origin):
    laptop, build, pod = fleet
    memory = laptop.memory("finops")
    laptop.write("finops", "MEMORY.md", "fine\n")
    laptop.write("finops", "session.jsonl", '{"transcript": 1}\n')
    laptop.write("finops", "ctx_refresh_1700000000.json", "{}\n")
    laptop.write("finops", "todos/today.md", "secret plans\n")
    laptop.write("finops", "sub/deeper.jsonl", "{}\n")
    (memory.parent / "0b9e.jsonl").write_text("{}\n")
    (memory.parent / "ctx_refresh_1.json").write_text("{}\n")
    (memory.parent / "todos").mkdir()
    (memory.parent / "todos" / "t.json").write_text("[]\n")
    build.write("finops", "other.jsonl", "{}\n")
    tick_all(laptop, build, pod, laptop, build)
    paths = every_path_on(origin)
    assert "by-project/finops/memory/MEMORY.md" in paths
    assert all(is_mirror_path(path) for path in paths), paths
    assert not [p for p in paths if p.endswith(".jsonl") or "ctx_refresh_" in p or "/todos/" in p]


def test_offline_publishes_only_its_host_branch_and_never_reads_main(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    offline = make_machine("air-gap", "offline")
    for machine in (laptop, offline):
        machine.project("finops")
    laptop.write("finops", "from-main.md", "main's file\n")
    laptop.tick()
    before = origin_refs(origin)
    offline.write("finops", "mine.md", "offline's file\n")
    offline.tick()
    offline.tick()
    after = origin_refs(origin)
    assert after["refs/heads/main"] == before["refs/heads/main"]
    assert set(after) - set(before) == {"refs/heads/gitfoam/air-gap/main"}
    assert offline.files("finops") == {"mine.md": "offline's file\n"}
    assert main_files(origin, "gitfoam/air-gap/main") == {"by-project/finops/memory/mine.md": "offline's file\n"}


def test_consumer_never_pushes_anything(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    before = origin_refs(origin)
    pod.write("finops", "local-only.md", "the pod's own note\n")
    for _ in range(3):
        pod.tick()
    assert origin_refs(origin) == before
    assert pod.files("finops") == {"MEMORY.md": "v1\n", "local-only.md": "the pod's own note\n"}


def test_consumer_waits_for_main_without_seeding(make_machine, origin):
    pod = make_machine("pod-1", "consumer")
    pod.project("finops")
    result = pod.tick()
    assert "origin has no main yet" in result.stdout
    assert origin_refs(origin) == {}


def test_a_new_project_on_a_machine_receives_main_without_deleting_it(fleet, origin):
    laptop, build, pod = fleet
    build.project("billing")
    build.write("billing", "MEMORY.md", "billing notes\n")
    tick_all(build, laptop)
    laptop.project("billing")  # the project appears on the authority later, with no memory yet
    tick_all(laptop, laptop)
    assert laptop.files("billing") == {"MEMORY.md": "billing notes\n"}
    assert main_files(origin)["by-project/billing/memory/MEMORY.md"] == "billing notes\n"


def test_fan_out_dirs_of_one_project_all_receive_main_and_lose_nothing(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    # the same project root opened from a subdirectory: a second Claude dir resolving to the same key
    sub = laptop.home / "dev" / "finops" / "src"
    sub.mkdir()
    second = laptop.projects / encode(sub) / "memory"
    second.mkdir(parents=True)
    laptop.write("finops", "MEMORY.md", "root's text\n")
    (second / "MEMORY.md").write_text("subdir's text\n")
    (second / "extra.md").write_text("only in subdir\n")
    laptop.tick()
    laptop.tick()
    first = laptop.files("finops")
    seconds = {p.name: p.read_text() for p in second.iterdir()}
    assert first == seconds
    assert sorted(first.values()) == sorted(["root's text\n", "subdir's text\n", "only in subdir\n"])


def test_authority_lease_invalidated_loses_nothing_and_next_tick_succeeds(fleet, origin):
    laptop, build, pod = fleet
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    laptop.write("finops", "MEMORY.md", "v2\n")
    # the tick up to resnapshot, then a peer's PR lands on main, then the push step alone
    laptop.doit("tick:resnapshot")
    commit_by_hand(origin, "by-project/finops/memory/peer.md", "from a merged PR\n")
    result = laptop.doit("-s", "tick:push")
    assert "authority push lease invalidated" in result.stdout
    assert "authority push lease invalidated" in (laptop.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert main_files(origin) == {
        "by-project/finops/memory/MEMORY.md": "v1\n",
        "by-project/finops/memory/peer.md": "from a merged PR\n",
    }
    laptop.tick()
    assert main_files(origin) == {
        "by-project/finops/memory/MEMORY.md": "v2\n",
        "by-project/finops/memory/peer.md": "from a merged PR\n",
    }
    assert laptop.files("finops") == {"MEMORY.md": "v2\n", "peer.md": "from a merged PR\n"}


def test_unmapped_dirs_sync_between_machines_that_have_the_same_encoded_dir(make_machine, origin, tmp_path):
    from conftest import encode
    gone = encode(tmp_path / "deleted-checkout")  # no such dir on either machine: unresolvable
    laptop = make_machine("laptop", "authority")
    pod = make_machine("pod-1", "consumer")
    for machine in (laptop, pod):
        (machine.projects / gone / "memory").mkdir(parents=True)
    (laptop.projects / gone / "memory" / "old.md").write_text("kept, not lost\n")
    tick_all(laptop, pod)
    assert main_files(origin) == {f"_unmapped/{gone}/memory/old.md": "kept, not lost\n"}
    assert (pod.projects / gone / "memory" / "old.md").read_text() == "kept, not lost\n"


def test_commits_carry_our_identity_whatever_the_users_git_setup(make_machine, origin):
    laptop = make_machine("laptop", "authority", GIT_AUTHOR_NAME="someone else", GIT_COMMITTER_EMAIL="x@y",
                          GIT_DIR="/nonexistent", GIT_INDEX_FILE="/nonexistent/index")
    (laptop.home / ".gitconfig").write_text("[user]\n\tname = Wrong\n[commit]\n\tgpgSign = true\n")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "v1\n")
    laptop.tick()
    author = git("log", "-1", "--format=%an <%ae> / %cn <%ce>", "main", cwd=origin).strip()
    assert author == "memory-mirror (laptop) <memory-mirror@laptop> / memory-mirror (laptop) <memory-mirror@laptop>"


def test_two_machines_with_one_hostname_are_named_in_output_and_status(make_machine, origin, tmp_path):
    seeded_authority(make_machine)
    first = make_machine("build-01", "contributor")
    second = Machine(tmp_path / "second-box", "build-01", "contributor", str(origin))
    (second.home).mkdir(parents=True)
    for machine in (first, second):
        machine.project("finops")
    first.write("finops", "a.md", "first box\n")
    second.write("finops", "b.md", "second box\n")
    first.tick()
    second.tick()
    seconds = origin_refs(origin)["refs/heads/gitfoam/build-01/main"]
    first.write("finops", "a.md", "first box, again\n")
    result = first.tick()
    warning = f"push: another machine publishes gitfoam/build-01/main too (origin has {seconds[:12]}"
    assert warning in result.stdout
    assert "a commit this machine never made): give each machine its own MEMORY_MIRROR_HOSTNAME" in result.stdout
    assert ("WARNING: another machine publishes gitfoam/build-01/main too: give each machine its own "
            "MEMORY_MIRROR_HOSTNAME") in first.run("status", check=True).stdout
