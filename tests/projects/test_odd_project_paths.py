"""Projects at the paths Claude Code names oddly (long, emoji, decomposed, worktrees, bare repos) share one key
with the same project on a machine whose home and layout differ."""
from __future__ import annotations

from conftest import encode, git, main_files

LONG = "dev/" + "very_long_directory_name_segment/" * 8 + "proj"


def repo(root):
    root.mkdir(parents=True)
    git("init", "-q", str(root))
    git("commit", "-q", "--allow-empty", "-m", "init", cwd=root)
    return root


def claude_memory(machine, path, text: str):
    memory = machine.projects / encode(path) / "memory"
    memory.mkdir(parents=True, exist_ok=True)
    (memory / "MEMORY.md").write_text(text)
    return memory


def test_odd_paths_share_one_key_across_machines_with_different_homes(make_machine, origin):
    laptop = make_machine("laptop", "authority")
    build = make_machine("build-01", "contributor")
    cut_name = encode(laptop.home / LONG)
    assert len(cut_name) > 201 and cut_name[200] == "-"  # Claude cuts it to 200 and adds a hash in base36
    # laptop: a long path, an emoji, a decomposed name (as a Mac's files arrive on Linux), a linked worktree
    # whose memory an older Claude kept in the worktree's own dir, a worktree of a bare repo
    for rel in (LONG, "dev/\U0001F680rocket", "dev/cafe\u0301"):
        (laptop.home / rel).mkdir(parents=True)
        (laptop.home / rel / "pyproject.toml").touch()
        claude_memory(laptop, laptop.home / rel, f"{rel.rsplit('/', 1)[1]} from laptop\n")
    app = repo(laptop.home / "dev" / "app")
    feature = laptop.home / "wt" / "app-feature"
    git("worktree", "add", "-q", str(feature), cwd=app)
    claude_memory(laptop, feature, "app from a worktree\n")
    bare = laptop.home / "repos" / "tool.git"
    git("clone", "-q", "--bare", str(app), str(bare))
    claude_memory(laptop, bare, "tool from a bare repo\n")
    laptop.tick()
    published = main_files(origin)
    for key, text in [("proj", "proj from laptop\n"), ("\U0001F680rocket", "\U0001F680rocket from laptop\n"),
                      ("caf\u00e9", "cafe\u0301 from laptop\n"), ("app", "app from a worktree\n"),
                      ("tool", "tool from a bare repo\n")]:
        assert published[f"by-project/{key}/memory/MEMORY.md"] == text, key

    # build: the same projects elsewhere under another home, the accent composed, plain clones
    for rel in ("src/" + LONG.split("/", 1)[1], "src/\U0001F680rocket", "src/caf\u00e9"):
        (build.home / rel).mkdir(parents=True)
        (build.home / rel / "pyproject.toml").touch()
        (build.projects / encode(build.home / rel)).mkdir(parents=True)
    for name in ("app", "tool"):
        (build.projects / encode(repo(build.home / "code" / name))).mkdir(parents=True)
    build.tick()
    received = {path.read_text() for path in build.projects.glob("*/memory/MEMORY.md")}
    assert received == {"proj from laptop\n", "\U0001F680rocket from laptop\n", "cafe\u0301 from laptop\n",
                        "app from a worktree\n", "tool from a bare repo\n"}
    assert not any(name.startswith("_unmapped/") for name in main_files(origin))
