"""What the mirror writes and reads in process is what git itself writes and reads: the same ids, objects that
`git fsck --strict` accepts, answers equal to `git cat-file --batch`'s, and refs moved under git's own lock."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git
from pipeline.errors import FatalError
from pipeline.rules.tree import TreeEntry
from pipeline.tools import catfile
from pipeline.tools.git import Git
from pipeline.tools.git_formats import EMPTY_TREE, Change
from pipeline.tools.objectstore import UNKNOWN, ObjectStore
from pipeline.tools.run import Runner


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    git("init", "-q", "--initial-branch=worktree", str(root))
    (root / "projects" / "alpha" / "memory").mkdir(parents=True)
    (root / "projects" / "alpha" / "memory" / "MEMORY.md").write_text("- [a](a.md)\n")
    (root / "projects" / "alpha" / "memory" / "a.md").write_text("alpha\n")
    (root / "top.md").write_text("top\n")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "first", cwd=root)
    git("tag", "-a", "-m", "a tag", "v1", cwd=root)
    return root


def cat_file(repo, name: str):
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input=name.encode() + b"\n",
                         capture_output=True, check=True).stdout
    return catfile.parse_output(out, 1)[0]


NAMES = [
    "HEAD^{commit}", "HEAD^{tree}", "refs/heads/worktree^{commit}", "refs/heads/nothing^{commit}",
    "HEAD:projects", "HEAD:projects/alpha/memory/a.md", "HEAD:projects/alpha/memory/none.md", "HEAD:top.md/below",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_read_in_process_is_answered_as_git_answers_it(repo, name):
    assert ObjectStore(repo / ".git").look_up(name) == cat_file(repo, name)


@pytest.mark.parametrize("name", ["HEAD^{tree}^{commit}", "HEAD~0:top.md", "refs/heads/worktree@{0}^{commit}",
                                  "worktree^{commit}"])
def test_names_in_git_revision_syntax_are_left_to_git(repo, name):
    assert ObjectStore(repo / ".git").look_up(name) == UNKNOWN
    assert Git(Runner(), repo, "laptop")._lookup(name) == [cat_file(repo, name)]


def test_objects_git_packed_are_read_as_git_reads_them_and_its_deltas_are_left_to_it(repo):
    notes = repo / "projects" / "alpha" / "memory" / "long.md"
    notes.write_text("".join(f"line {i} of a long note\n" for i in range(400)))
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "long", cwd=repo)
    notes.write_text("".join(f"line {i} of a long note\n" for i in range(401)))  # stored as a delta of the other
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "longer", cwd=repo)
    git("gc", "-q", "--prune=now", cwd=repo)  # every object in a pack now, some as deltas
    listing = git("verify-pack", "-v", *map(str, (repo / ".git" / "objects" / "pack").glob("*.idx")), cwd=repo)
    deltas = {line.split()[0] for line in listing.splitlines() if len(line.split()) == 7}
    assert deltas
    store = ObjectStore(repo / ".git")
    wrapper = Git(Runner(), repo, "laptop")
    objects = git("rev-list", "--objects", "--all", cwd=repo).split("\n")
    for sha in {line.split()[0] for line in objects if line}:
        answer = cat_file(repo, sha)
        assert store.look_up(sha) == (UNKNOWN if sha in deltas or answer[1] == "tag" else answer)
        assert wrapper._lookup(sha) == [answer]
    for name in ["HEAD^{commit}", "HEAD:projects/alpha/memory/a.md", "refs/tags/v1^{commit}", "v1^{tree}"]:
        assert wrapper._lookup(name) == [cat_file(repo, name)]
    assert store.read_ref("refs/heads/worktree") == git("rev-parse", "worktree", cwd=repo).strip()  # packed-refs


def test_trees_and_commits_written_in_process_are_the_ones_git_writes(repo, monkeypatch):
    wrapper = Git(Runner(), repo, "laptop")
    blob = git("rev-parse", "HEAD:top.md", cwd=repo).strip()
    sub = [TreeEntry("100644", "blob", blob, "é b.md".encode()), TreeEntry("100755", "blob", blob, b"run")]
    made_sub = wrapper.mktrees([sub])[0]
    top = [TreeEntry("040000", "tree", made_sub, b"a"), TreeEntry("100644", "blob", blob, b"a.md"),
           TreeEntry("100644", "blob", blob, b"a-b")]
    made = wrapper.mktrees([top])[0]
    by_git = subprocess.run(["git", "mktree", "-z"], cwd=repo, capture_output=True, check=True,
                            input=b"".join(f"{e.mode} {e.kind} {e.sha}\t".encode() + e.path + b"\0"
                                          for e in top)).stdout.decode().strip()
    assert made == by_git
    parent = git("rev-parse", "HEAD", cwd=repo).strip()
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # +0530: a half-hour offset written as git writes it
    time.tzset()
    try:
        commit = wrapper.commit_tree(made, "memory snapshot of laptop\n\nwith a body", [parent], sign=False)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "+0530" in git("cat-file", "-p", commit, cwd=repo)
    when = git("log", "-1", "--format=%at", commit, cwd=repo).strip()
    again = subprocess.run(
        ["git", "commit-tree", made, "-p", parent, "-m", "memory snapshot of laptop\n\nwith a body"],
        cwd=repo, capture_output=True, text=True, check=True,
        env={**wrapper.env, "TZ": "Asia/Kolkata", "GIT_AUTHOR_DATE": f"{when} +0530",
             "GIT_COMMITTER_DATE": f"{when} +0530"}).stdout.strip()
    assert commit == again
    subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo, check=True, capture_output=True)


def test_refs_move_together_and_a_ref_git_holds_locked_moves_none_of_them(repo):
    store = ObjectStore(repo / ".git")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    tree = git("rev-parse", "HEAD^{tree}", cwd=repo).strip()
    store.update_refs({"refs/heads/mirror/laptop/main": head, "refs/mirror/base": head})
    assert git("rev-parse", "mirror/laptop/main", "refs/mirror/base", cwd=repo).split() == [head, head]

    commit = git("commit-tree", tree, "-p", head, "-m", "next", cwd=repo).strip()
    (repo / ".git" / "refs" / "mirror" / "base.lock").write_text("")  # a git process is moving it
    with pytest.raises(FatalError, match=r"base\.lock exists: another git process is updating refs/mirror/base"):
        store.update_refs({"refs/heads/mirror/laptop/main": commit, "refs/mirror/base": commit})
    assert git("rev-parse", "mirror/laptop/main", "refs/mirror/base", cwd=repo).split() == [head, head]
    assert not (repo / ".git" / "refs" / "heads" / "mirror" / "laptop" / "main.lock").exists()
    with pytest.raises(FatalError, match="not a name under refs/"):
        store.update_refs({"HEAD": commit})


def test_a_dry_run_shows_the_writes_and_writes_nothing(repo):
    said = []
    wrapper = Git(Runner(dry_run=True, echo=said.append), repo, "laptop")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    objects = set(git("rev-list", "--objects", "--all", cwd=repo).split())
    assert wrapper.mktrees([[TreeEntry("100644", "blob", git("rev-parse", "HEAD:top.md", cwd=repo).strip(),
                                       b"new.md")]]) == ["<tree>"]
    assert wrapper.commit_tree(git("rev-parse", "HEAD^{tree}", cwd=repo).strip(), "m", [head], sign=False) == "<commit>"
    wrapper.update_refs({"refs/heads/worktree": "0" * 40})
    assert said == ["  would write: 1 tree(s)", f"  would write: commit of {git('rev-parse', 'HEAD^{tree}', cwd=repo)[:12]} (m)",
                    f"  would write: refs refs/heads/worktree -> {'0' * 12}"]
    assert git("rev-parse", "HEAD", cwd=repo).strip() == head
    assert not list((repo / ".git" / "objects").glob("??/tmp_obj_*"))
    assert set(git("rev-list", "--objects", "--all", cwd=repo).split()) == objects


def git_diff_tree(repo, old: str, new: str) -> list[Change]:
    fields = subprocess.run(["git", "diff-tree", "-r", "-z", "--no-renames", old, new], cwd=repo,
                            capture_output=True, check=True).stdout.split(b"\0")[:-1]
    changes = []
    for head, path in zip(fields[0::2], fields[1::2]):
        old_mode, new_mode, old_sha, new_sha, _ = head[1:].decode().split()
        changes.append(Change(path, old_mode, None if set(old_sha) == {"0"} else old_sha,
                              new_mode, None if set(new_sha) == {"0"} else new_sha))
    return changes


# names whose order in a tree differs from their order as plain strings ("a" the dir sorts as "a/")
NAMES_AT_ONE_LEVEL = ["a", "a-b", "a.md", "a0", "é.md", "MEMORY.md"]
trees = st.dictionaries(
    st.lists(st.sampled_from(NAMES_AT_ONE_LEVEL), min_size=1, max_size=3).map("/".join),
    st.tuples(st.sampled_from(["x\n", "y\n", "z\n"]), st.sampled_from(["100644", "100755"])), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=trees, new=trees)
def test_the_diff_walked_in_process_is_gits_diff_tree(tmp_path, old, new):
    repo = tmp_path / "diff"
    if not repo.exists():
        git("init", "-q", str(repo))
    wrapper = Git(Runner(), repo, "laptop")

    def tree_of(files: dict) -> str:
        index = tmp_path / "index"
        index.unlink(missing_ok=True)
        lines = []
        for path, (text, mode) in files.items():
            blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=text.encode(),
                                  capture_output=True, check=True).stdout.decode().strip()
            lines.append(f"{mode} {blob}\t{path}\0")
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        # a file and a dir of one name cannot both be in a tree: the file is dropped
        subprocess.run(["git", "update-index", "--replace", "-z", "--index-info"], cwd=repo, env=env,
                       input="".join(lines).encode(), check=True, capture_output=True)
        return subprocess.run(["git", "write-tree"], cwd=repo, env=env, capture_output=True,
                              check=True).stdout.decode().strip()

    before, after = tree_of(old), tree_of(new)
    assert wrapper.diff_tree(before, after) == git_diff_tree(repo, before, after)
    assert wrapper.diff_tree(EMPTY_TREE, after) == git_diff_tree(repo, EMPTY_TREE, after)


def test_many_objects_written_at_once_are_one_pack_git_reads_and_checks(repo):
    store = ObjectStore(repo / ".git")
    folder = repo / "projects" / "beta" / "memory"
    folder.mkdir(parents=True)
    for i in range(150):
        (folder / f"note-{i:03}.md").write_text(f"note {i}\n" * (i % 7 + 1))
    (folder / "big.md").write_bytes(bytes(range(256)) * 400)  # a size that takes several bytes in a pack header
    with store.batch():
        tree = store.write_dir(repo / "projects")
    assert list((repo / ".git" / "objects" / "pack").glob("*.idx"))
    subprocess.run(["git", "verify-pack", *(repo / ".git" / "objects" / "pack").glob("*.idx")], check=True,
                   capture_output=True)
    git("add", "-A", "-f", cwd=repo)
    root = git("write-tree", cwd=repo).strip()
    assert tree == git("rev-parse", f"{root}:projects", cwd=repo).strip()  # the tree git add makes of it
    subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo, check=True, capture_output=True)
    assert cat_file(repo, tree)[1] == "tree"


def test_a_few_objects_written_at_once_stay_loose(repo):
    store = ObjectStore(repo / ".git")
    (repo / "projects" / "alpha" / "memory" / "b.md").write_text("b\n")
    with store.batch():
        tree = store.write_dir(repo / "projects")
    assert not list((repo / ".git" / "objects" / "pack").glob("*.idx"))
    assert cat_file(repo, tree)[1] == "tree"


def test_packs_of_many_large_changes_are_joined_as_git_joins_them(repo):
    wrapper = Git(Runner(), repo, "laptop")
    folder = repo / "projects" / "gamma" / "memory"
    folder.mkdir(parents=True)
    trees = []
    for round_ in range(55):
        for i in range(110):
            (folder / f"note-{i:03}.md").write_text(f"round {round_} note {i}\n")
        trees += wrapper.write_dirs([repo / "projects"])[0]
    packs = list((repo / ".git" / "objects" / "pack").glob("*.idx"))
    assert 0 < len(packs) <= 51
    assert all(cat_file(repo, tree)[1] == "tree" for tree in trees)  # nothing lost in the joining


def test_what_a_pack_holds_already_is_not_stored_again(repo):
    folder = repo / "projects" / "delta" / "memory"
    folder.mkdir(parents=True)
    for i in range(120):
        (folder / f"note-{i:03}.md").write_text(f"note {i}\n")
    first = ObjectStore(repo / ".git")
    with first.batch():
        first.write_dir(repo / "projects")
    (folder / "note-000.md").write_text("changed\n")
    again = ObjectStore(repo / ".git")  # a later run: it knows the packs only from their indexes
    with again.batch():
        again.write_dir(repo / "projects")
    assert len(list((repo / ".git" / "objects" / "pack").glob("*.idx"))) == 1  # the few new objects went loose
    assert cat_file(repo, git("hash-object", str(folder / "note-000.md"), cwd=repo).strip())[2] == b"changed\n"


def _tree_git_adds(repo) -> str:
    git("add", "-A", "-f", cwd=repo)
    return git("rev-parse", f"{git('write-tree', cwd=repo).strip()}:projects", cwd=repo).strip()


def test_a_file_rewritten_after_a_reading_is_read_again_even_with_its_old_size_and_times(repo):
    note = repo / "projects" / "alpha" / "memory" / "a.md"
    store = ObjectStore(repo / ".git")
    read_at = store.clock_now()
    first = store.write_dir(repo / "projects")
    before = os.stat(note)
    note.write_text("ALPHA\n")  # same size
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))  # same times, as a restore or an editor may leave
    assert ObjectStore(repo / ".git").write_dir(repo / "projects", first, read_at) == _tree_git_adds(repo)


def test_files_unchanged_since_a_reading_are_taken_from_its_tree_unread(repo, tmp_path):
    store = ObjectStore(repo / ".git")
    other = tmp_path / "other"  # the same names with other content: what an earlier reading of them found
    (other / "alpha" / "memory").mkdir(parents=True)
    (other / "alpha" / "memory" / "MEMORY.md").write_text("- [a](a.md)\n")
    (other / "alpha" / "memory" / "a.md").write_text("as it was read\n")
    earlier = store.write_dir(other)
    time.sleep(0.05)
    read_at = store.clock_now()  # after the files' last change: that reading saw them as they are
    tree = store.write_dir(repo / "projects", earlier, read_at)
    assert cat_file(repo, f"{tree}:alpha/memory/a.md")[2] == b"as it was read\n"
    (repo / "projects" / "alpha" / "memory" / "b.md").write_text("new\n")
    tree = store.write_dir(repo / "projects", earlier, read_at)
    assert cat_file(repo, f"{tree}:alpha/memory/b.md")[2] == b"new\n"  # a file the reading did not see is read


def test_a_tree_from_a_mirror_moved_away_is_not_trusted_for_the_new_one(repo, tmp_path):
    store = ObjectStore(repo / ".git")
    read_at = store.clock_now()
    first = store.write_dir(repo / "projects")
    (repo / ".git").rename(tmp_path / "old-git")
    git("init", "-q", str(repo))
    tree = ObjectStore(repo / ".git").write_dir(repo / "projects", first, read_at)
    assert cat_file(repo, f"{tree}:alpha/memory/a.md")[2] == b"alpha\n"
    subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo, check=True, capture_output=True)
