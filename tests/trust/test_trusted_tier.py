"""A trust tier: the authority merges clean proposals of hosts on its own roster, on its own tick."""
from __future__ import annotations

from conftest import authority_and, git, main_files, proposal_refs


def test_a_rostered_hosts_clean_proposal_is_on_main_after_one_authority_tick(make_machine, origin):
    laptop, builder = authority_and(make_machine, "build-07", "trusted")
    builder.write("finops", "learned.md", "what build-07 learned\n")
    builder.run("propose", check=True)
    result = laptop.tick()
    assert "merged proposal/build-07/" in result.stdout and "from trusted host build-07 (role trusted)" in result.stdout
    assert main_files(origin)["by-project/finops/memory/learned.md"] == "what build-07 learned\n"
    assert laptop.files("finops")["learned.md"] == "what build-07 learned\n"
    (sha,) = proposal_refs(origin).values()
    git("merge-base", "--is-ancestor", sha, "main", cwd=origin)


def test_a_conflicting_proposal_is_left_for_a_person(make_machine, origin):
    laptop, builder = authority_and(make_machine, "build-07", "trusted")
    builder.write("finops", "MEMORY.md", "build's version\n")
    builder.run("propose", check=True)
    # before the authority ticks, a person merges another change to the same file into main
    work = origin.parent / "person"
    git("clone", "-q", "-b", "main", str(origin), str(work))
    (work / "by-project" / "finops" / "memory" / "MEMORY.md").write_text("a person's version\n")
    git("commit", "-qam", "edit by hand", cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    result = laptop.tick()
    assert main_files(origin)["by-project/finops/memory/MEMORY.md"] == "a person's version\n"
    assert len(proposal_refs(origin)) == 1
    assert "left proposal/build-07/" in result.stdout and "for a person: it does not merge cleanly" in result.stdout
    assert "left proposal/build-07/" not in laptop.tick().stdout  # judged once per state of main


def test_a_host_off_the_roster_is_not_merged_whatever_role_it_claims(make_machine, origin):
    laptop, impostor = authority_and(make_machine, "laptop-2", "trusted")  # sets role trusted, but the roster is build-*, pod-finops-*
    impostor.write("finops", "sneaky.md", "merge me\n")
    impostor.run("propose", check=True)
    laptop.tick()
    laptop.tick()
    assert "by-project/finops/memory/sneaky.md" not in main_files(origin)
    assert len(proposal_refs(origin)) == 1
