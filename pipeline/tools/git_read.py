"""Reading the mirror repository: its refs, trees, blobs and history, through the object store where it can and
one `git cat-file --batch` where it cannot (a command per object would cost more than the reading)."""
from __future__ import annotations

from pathlib import Path

from pipeline.errors import FatalError
from pipeline.rules.tree import TreeEntry
from pipeline.tools import catfile
from pipeline.tools.git_formats import (EMPTY_TREE, Change, change_side, git_command, no_git_env, parse_ls_tree,
                                        tree_entries, zsplit)
from pipeline.tools.objectstore import UNKNOWN, ObjectStore
from pipeline.tools.run import Result, Runner, Session


class GitReader:
    """git in one repository (the mirror), with a pinned identity: what reads it."""

    def __init__(self, runner: Runner, repo: Path, hostname: str, signing_key: Path | None = None):
        self.runner = runner
        self.repo = Path(repo)
        self.env = no_git_env(hostname)
        self.signing_key = signing_key
        self._keeps_reader = False
        self._reader: Session | None = None
        self.objects = ObjectStore(self.repo / ".git")

    def _git(self, *args: str, mutating: bool = False, check: bool = True, stdin: bytes | None = None,
             hint: str = "", index: Path | None = None) -> Result:
        # ls-remote runs before the mirror exists (the remote is checked before anything is written)
        cwd = self.repo if self.repo.is_dir() else Path.home()
        env = self.env if index is None else {**self.env, "GIT_INDEX_FILE": str(index)}
        return self.runner.run(*git_command(*args), cwd=cwd, env=env, stdin=stdin, check=check, mutating=mutating,
                               hint=hint)

    def keep_reader(self) -> None:
        """Read objects through one `git cat-file --batch` kept until close() (a run's reads), not one per read.
        It sees what the run writes: git looks up refs and loose objects on disk at each request, and packs
        again when an object is not found."""
        self._keeps_reader = True

    def close(self) -> None:
        """The run is over: no reader is kept (a later read is a command of its own again), and what the run
        wrote is read from the disk again."""
        self._keeps_reader = False
        self.objects.forget()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _lookup(self, *names: str) -> list[tuple[str, str, bytes] | None]:
        """(id, type, content) of the object each name names (`<ref>^{commit}`, `<tree>:<path>`), or None."""
        if not self.exists():
            return [None] * len(names)  # no mirror yet: nothing to find
        found = {name: self.objects.look_up(name) for name in names}
        ask = [name for name, answer in found.items() if answer == UNKNOWN]
        if ask:
            found.update(zip(ask, self._cat_file(ask)))
        return [found[name] for name in names]

    def _cat_file(self, names: list[str]) -> list[tuple[str, str, bytes] | None]:
        if not self._keeps_reader:
            return catfile.parse_output(self._git("cat-file", "--batch", stdin=catfile.request(names)).stdout,
                                        len(names))
        if self._reader is None:
            self._reader = self.runner.start(*git_command("cat-file", "--batch"), cwd=self.repo, env=self.env)
        return catfile.ask(self._reader, names)

    def exists(self) -> bool:
        return (self.repo / ".git").is_dir()

    def remote_url(self) -> str | None:
        result = self._git("config", "--get", "remote.origin.url", check=False)
        return result.out.strip() or None

    def rev_parse(self, ref: str) -> str | None:
        found = self._lookup(f"{ref}^{{commit}}")[0]
        return found[0] if found else None

    def tree_of(self, commit: str) -> str:
        return self._git("rev-parse", f"{commit}^{{tree}}").out.strip()

    def ls_tree(self, tree: str, *paths: str, recursive: bool = False) -> list[TreeEntry]:
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args.append("-r")
        return parse_ls_tree(self._git(*args, tree, "--", *paths).stdout)

    def verify_commit(self, commit: str, allowed_signers: Path) -> bool:
        """True when `commit` carries a good SSH signature by a key of `allowed_signers` (git's own check)."""
        return self._git("-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed_signers}",
                         "verify-commit", commit, check=False).code == 0

    def rev_list(self, tip: str, *exclude: str) -> list[str]:
        """The commits of `tip` that none of `exclude` holds, newest first."""
        return self._git("rev-list", tip, *(f"^{sha}" for sha in exclude)).out.split()

    def merge_base(self, one: str, other: str) -> str | None:
        return self._git("merge-base", one, other, check=False).out.strip() or None

    def diff_tree(self, old: str, new: str) -> list[Change]:
        """What `git diff-tree -r --no-renames` says of two commits or trees, in its order: walked here, reading
        only the subtrees that differ, each level of them in one lookup (loose ones in process)."""
        pending = [(b"", *(None if name == EMPTY_TREE else f"{name}^{{tree}}" for name in (old, new)))]
        changes = []
        while pending:
            names = list(dict.fromkeys(name for _, *pair in pending for name in pair if name))
            found = dict(zip(names, self._lookup(*names)))
            if missing := [name for name, answer in found.items() if answer is None]:
                raise FatalError(f"the mirror has no tree {missing[0]}; it is damaged: move it away and run again")
            level, pending = pending, []
            for prefix, *pair in level:
                before, after = ({entry.path: entry for entry in tree_entries(found[name][2])} if name else {}
                                 for name in pair)
                for name in before.keys() | after.keys():
                    old_entry, new_entry = before.get(name), after.get(name)
                    if old_entry == new_entry:
                        continue
                    trees = [e.sha if e is not None and e.kind == "tree" else None for e in (old_entry, new_entry)]
                    if any(trees):
                        pending.append((prefix + name + b"/", *trees))
                    files = [e if e is not None and e.kind != "tree" else None for e in (old_entry, new_entry)]
                    if any(files):
                        changes.append(Change(prefix + name, *change_side(files[0]), *change_side(files[1])))
        # a subtree's paths all begin with "<name>/": sorted as bytes, they fall where git's tree order puts them
        return sorted(changes, key=lambda change: change.path)

    def read_blobs(self, shas: list[str]) -> dict[str, bytes]:
        """Contents of many blobs, read together."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        blobs = {}
        for sha, found in zip(unique, self._lookup(*unique)):
            if found is None:
                raise FatalError(f"the mirror has no object {sha}; it is damaged: move it away and run again")
            blobs[sha] = found[2]
        return blobs

    def children(self, tree: str, path: str = "") -> tuple[str, list[TreeEntry]] | None:
        """The tree at `path` in `tree` (a commit or tree; "" for its root): its id and entries, named relative to
        it; None when there is no tree there."""
        found = self._lookup(f"{tree}:{path}" if path else f"{tree}^{{tree}}")[0]
        if found is None or found[1] != "tree":
            return None
        return found[0], tree_entries(found[2])

    def blob_sizes(self, shas: list[str]) -> dict[str, int]:
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        out = self._git("cat-file", "--batch-check", stdin="".join(s + "\n" for s in unique).encode()).out
        sizes = {}
        for line in out.splitlines():
            sha, _kind, size = line.split()
            sizes[sha] = int(size)
        return sizes

    def ls_remote(self, remote: str, *patterns: str) -> dict[str, str]:
        """ref -> sha of the remote's refs matching `patterns`; raises when the remote is unreachable."""
        found: dict[str, str] = {}
        for line in self._git("ls-remote", "--", remote, *patterns).out.splitlines():
            sha, name = line.split("\t", 1)
            found[name] = sha
        return found

    def merged_in(self, tip: str, base: str) -> list[str]:
        """The commits merged into `tip` since `base`: the second parents along tip's first-parent line."""
        out = self._git("rev-list", "--first-parent", "--parents", tip, f"^{base}").out
        return [sha for line in out.splitlines() for sha in line.split()[2:]]

    def commits_since(self, tip: str, base: str | None) -> set[str]:
        """The commits of `tip`'s history that are not in `base`'s (all of them when `base` is None)."""
        return set(self._git("rev-list", tip, *([f"^{base}"] if base else []), "--").out.split())

    def has_commit(self, sha: str) -> bool:
        return self.rev_parse(sha) is not None

    def log(self, ref: str, *paths: str, limit: int = 50) -> str:
        """`git log` of `ref` limited to `paths`: per commit a line `@<sha> <unix time> <author>`, then
        `<status>\t<path>` per file it changed."""
        return self._git("log", f"--max-count={limit}", "--format=@%H %at %an", "--name-status", "--no-renames",
                         ref, "--", *paths).out

    def versions(self, ref: str, prefix: str) -> set[tuple[str, str]]:
        """Every (path, blob id) that a file under `prefix` ever had in the history of `ref`."""
        fields = zsplit(self._git("log", "--format=", "--raw", "--no-abbrev", "--no-renames", "-z", ref, "--",
                                  prefix).stdout)
        # -z --raw: ":<mode> <mode> <old> <new> <status>" then the path, as two fields
        return {(path.decode("utf-8", "surrogateescape"), head.split()[3].decode())
                for head, path in zip(fields[::2], fields[1::2])}

    def last_before(self, ref: str, when: str) -> str | None:
        """The newest commit of `ref` made before `when` (any date git understands: 2024-05-01, 2 days ago)."""
        return self._git("rev-list", "-1", f"--before={when}", ref, check=False).out.strip() or None

    def file_at(self, commit: str, path: str) -> bytes | None:
        result = self._git("cat-file", "blob", f"{commit}:{path}", check=False)
        return result.stdout if result.code == 0 else None

    def is_ancestor(self, commit: str, of: str) -> bool:
        return self._git("merge-base", "--is-ancestor", commit, of, check=False).code == 0

    def refs(self, *patterns: str) -> list[tuple[str, str, int]]:
        """(ref, commit, committer time) of the local refs under `patterns`."""
        out = self._git("for-each-ref", "--format=%(refname) %(objectname) %(committerdate:unix)", *patterns).out
        return [(ref, sha, int(when or 0)) for ref, sha, when in (line.split(" ") for line in out.splitlines())]

    def commit_message(self, commit: str) -> str:
        return self._git("log", "-1", "--format=%B", commit).out
