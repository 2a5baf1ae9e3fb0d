"""migrate-layout on a v2-style remote (raw encoded dirs at the root of main) keeps every file."""
from __future__ import annotations

from conftest import encode, git, main_files, origin_refs


def v2_remote(origin, laptop):
    work = origin.parent / "v2"
    work.mkdir()
    git("init", "-q", "-b", "main", cwd=work)
    here = encode(laptop.home / "dev" / "finops")
    files = {
        f"{here}/memory/MEMORY.md": "old text of a project this machine has\n",
        f"{here}/memory/same.md": "identical\n",
        "-home-someone-gone/memory/legacy.md": "a project no machine has now\n",
        "-home-someone-gone/s.jsonl": "{}\n",
    }
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "v2 layout", cwd=work)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("push", "-q", "origin", "main", "main:refs/heads/gitfoam/old-host/main",
        "main:refs/heads/proposal/old-host/20250101T000000Z-abcdef0", cwd=work)
    return here


def test_dry_run_changes_nothing_and_confirm_keeps_every_file(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "this machine's current text\n")
    laptop.write("finops", "same.md", "identical\n")
    here = v2_remote(origin, laptop)
    before = origin_refs(origin)
    plan = laptop.run("migrate-layout", check=True)
    assert origin_refs(origin)["refs/heads/main"] == before["refs/heads/main"]
    assert "refs/heads/gitfoam/old-host/main" in origin_refs(origin)
    assert f"identity: {here} -> by-project/finops" in plan.stdout
    assert "unmapped here (kept under _unmapped/): -home-someone-gone" in plan.stdout
    assert "delete branch: gitfoam/old-host/main" in plan.stdout
    assert "dry run: nothing changed" in plan.stdout
    result = laptop.run("migrate-layout", "--confirm", check=True)
    assert "migrated: main is" in result.stdout
    files = main_files(origin)
    assert files["by-project/finops/memory/MEMORY.md"] == "this machine's current text\n"
    sibling = [name for name in files if name.startswith("by-project/finops/memory/MEMORY.conflict-laptop-")]
    assert len(sibling) == 1 and files[sibling[0]] == "old text of a project this machine has\n"
    assert files["by-project/finops/memory/same.md"] == "identical\n"
    assert files["_unmapped/-home-someone-gone/memory/legacy.md"] == "a project no machine has now\n"
    assert not [name for name in files if not name.startswith(("by-project/", "_unmapped/"))]
    refs = origin_refs(origin)
    assert not [ref for ref in refs if "old-host" in ref]
    # the next tick merges the new main: the old text arrives beside this machine's copy
    laptop.tick()
    local = laptop.files("finops")
    assert local["MEMORY.md"] == "this machine's current text\n"
    assert "old text of a project this machine has\n" in local.values()


def test_a_tick_against_a_v2_main_refuses_with_one_line_and_publishes_nothing(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "this machine's current text\n")
    v2_remote(origin, laptop)
    before = origin_refs(origin)
    result = laptop.run("sync-now")
    assert result.returncode != 0
    assert ("origin's main is in the v1/v2 layout (2 project dir(s) at its root, such as -home-someone-gone): run "
            "`memory-sync migrate-layout` first; nothing was published.") in result.stderr
    assert origin_refs(origin) == before


def test_the_dry_run_writes_nothing_and_a_migrated_main_is_left_alone(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    laptop.project("finops")
    laptop.write("finops", "MEMORY.md", "this machine's current text\n")
    v2_remote(origin, laptop)
    before = sorted(laptop.agentihooks.rglob("*"))
    plan = laptop.run("migrate-layout", check=True)
    assert "dry run: nothing changed" in plan.stdout
    assert sorted(laptop.agentihooks.rglob("*")) == before  # not even a state file or a log
    laptop.run("sync-now")  # refused, but the snapshot is made
    laptop.run("migrate-layout", "--confirm", check=True)
    refs = origin_refs(origin)
    again = laptop.run("migrate-layout", "--confirm", check=True)
    assert "is already in the by-project layout; nothing to do." in again.stdout
    assert origin_refs(origin) == refs
    mirror_refs = git("for-each-ref", cwd=laptop.mirror)
    assert laptop.run("migrate-layout", check=True).stdout.count("nothing to do") == 1
    assert git("for-each-ref", cwd=laptop.mirror) == mirror_refs
