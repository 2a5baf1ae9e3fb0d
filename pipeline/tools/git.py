"""The git wrapper: one small function per git call, all through the Runner, except the objects and refs a tick
writes and reads, which objectstore.py handles in process in git's own formats (a command each would cost more
than the work)."""
from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import FatalError
from pipeline.rules.tree import TreeEntry
from pipeline.tools import catfile
from pipeline.tools.objectstore import UNKNOWN, ObjectStore, commit_body, object_id, tree_content
from pipeline.tools.run import CalledProcessError, Result, Runner, Session

log = logging.getLogger("memory_mirror.cmd")

# GIT_* variables that say how to reach a remote, not what to commit: a user's ssh or proxy setup keeps working.
_KEPT_GIT_VARS = frozenset(
    {"GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSL_CAINFO", "GIT_SSL_NO_VERIFY", "GIT_ASKPASS", "GIT_EXEC_PATH",
     "GIT_HTTP_PROXY_AUTHMETHOD", "GIT_ALLOW_PROTOCOL"}
)
# A user's git settings that would change what we commit or run code of theirs on our commands: off for every
# call. (How to reach the remote, such as url.*.insteadOf, core.sshCommand or a credential helper, stays theirs.)
OUR_TERMS = (
    "commit.gpgSign=false", "push.gpgSign=false", "core.quotePath=false",
    "core.autocrlf=false", "core.eol=lf", "core.safecrlf=false",  # a CRLF file arrives byte-identical
    f"core.hooksPath={os.devnull}", "core.fsmonitor=false",  # no hook or monitor of the user's runs
    f"core.attributesFile={os.devnull}", f"core.excludesFile={os.devnull}",  # no filter, eol or ignore rule of theirs
    "submodule.recurse=false", "merge.conflictStyle=merge",
)
# the mirror's own attributes outrank any .gitattributes a memory dir might hold: content is stored as it is
MIRROR_ATTRIBUTES = "* -text -filter -ident -eol -working-tree-encoding\n"
ZERO_SHA = "0" * 40
GC_AUTO_PACK_LIMIT = 50  # git's gc.autoPackLimit
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def no_git_env(hostname: str) -> dict[str, str]:
    """The environment every git call gets: inherited GIT_* cleared, our own identity pinned, never a prompt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _KEPT_GIT_VARS}
    name = f"memory-mirror ({hostname})"
    email = f"memory-mirror@{hostname}"
    env.update(
        GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
        GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_ATTR_NOSYSTEM="1",
    )
    if "GIT_SSH_COMMAND" not in env and "GIT_SSH" not in env:
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def zsplit(data: bytes) -> list[bytes]:
    return [part for part in data.split(b"\0") if part]


def tree_body(entries: list[TreeEntry]) -> bytes:
    """A tree object's content as git writes it."""
    return tree_content((e.mode, e.path, e.kind == "tree", e.sha) for e in entries)


def tree_id(entries: list[TreeEntry]) -> str:
    """The id git gives a tree of `entries` (sha1), known before it is written."""
    return object_id("tree", tree_body(entries))


def parse_ls_tree(data: bytes) -> list[TreeEntry]:
    entries = []
    for record in zsplit(data):
        meta, path = record.split(b"\t", 1)
        mode, kind, sha = meta.decode().split()
        entries.append(TreeEntry(mode, kind, sha, path))
    return entries


@dataclass(frozen=True)
class Change:
    """One path of `git diff-tree -r`: old/new blob (None when absent) and their modes."""

    path: bytes
    old_mode: str
    old_sha: str | None
    new_mode: str
    new_sha: str | None


@dataclass(frozen=True)
class Stage:
    """One version of a path that git's merge could not settle: stage 1 is the base, 2 ours, 3 theirs."""

    mode: str
    sha: str
    stage: int
    path: bytes


@dataclass(frozen=True)
class TreeMerge:
    """What `git merge-tree --write-tree` made: the tree (conflict markers in files it could not merge), whether
    it merged cleanly, and the stages of each path it could not merge."""

    tree: str
    clean: bool
    conflicts: tuple[Stage, ...]


def parse_merge_tree(data: bytes, clean: bool) -> TreeMerge:
    """`git merge-tree --write-tree -z --no-messages` output: the tree, then `<mode> <sha> <stage>\t<path>`s."""
    tree, *records = zsplit(data)
    stages = []
    for record in records:
        meta, path = record.split(b"\t", 1)
        mode, sha, stage = meta.decode().split()
        stages.append(Stage(mode, sha, int(stage), path))
    return TreeMerge(tree.decode(), clean, tuple(stages))


def _entries(tree: bytes) -> list[TreeEntry]:
    return [TreeEntry(mode, kind, sha, name) for mode, kind, sha, name in catfile.parse_tree(tree)]


def _side(entry: TreeEntry | None) -> tuple[str, str | None]:
    """A Change's mode and blob for one side: git's "000000" and no blob where the path is absent."""
    return (entry.mode, entry.sha) if entry is not None else ("000000", None)


def _command(*args: str) -> tuple[str, ...]:
    return ("git", "--no-pager", *(part for setting in OUR_TERMS for part in ("-c", setting)), *args)


class Git:
    """git in one repository (the mirror), with a pinned identity."""

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
        return self.runner.run(*_command(*args), cwd=cwd, env=env, stdin=stdin, check=check, mutating=mutating,
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
            self._reader = self.runner.start(*_command("cat-file", "--batch"), cwd=self.repo, env=self.env)
        return catfile.ask(self._reader, names)

    def exists(self) -> bool:
        return (self.repo / ".git").is_dir()

    def init(self, remote_url: str, head: str) -> None:
        # --template= : no hooks or config from the user's init.templateDir
        self.runner.run("git", "init", "-q", "--template=", f"--initial-branch={head}", str(self.repo), env=self.env,
                        mutating=True)
        self.protect_content()
        self.set_remote(remote_url)

    def protect_content(self) -> None:
        """Store every file as it is, whatever .gitattributes a memory dir holds (idempotent)."""
        info = self.repo / ".git" / "info"
        if self.runner.dry_run or (info / "attributes").is_file():
            return
        info.mkdir(parents=True, exist_ok=True)
        (info / "attributes").write_text(MIRROR_ATTRIBUTES)

    def init_scratch(self, remote_url: str) -> None:
        """A throwaway repo for reading origin: made even in a dry run, since it changes nothing of the user's."""
        self.runner.run("git", "init", "-q", "--template=", str(self.repo), env=self.env)
        self._git("remote", "add", "origin", remote_url)

    def set_config(self, key: str, value: str) -> None:
        self._git("config", key, value, mutating=True)

    def checkout_tree(self, tree: str) -> None:
        """Index and work tree become exactly `tree` (files it lacks that the index had are removed)."""
        self._git("read-tree", "-u", "--reset", tree, mutating=True)

    def remote_url(self) -> str | None:
        result = self._git("config", "--get", "remote.origin.url", check=False)
        return result.out.strip() or None

    def set_remote(self, url: str) -> None:
        if self.runner.dry_run and not self.exists():
            self._git("remote", "add", "origin", url, mutating=True)
            return
        current = self.remote_url()
        if current is None:
            self._git("remote", "add", "origin", url, mutating=True)
        elif current != url:
            self._git("remote", "set-url", "origin", url, mutating=True)
        if not self.runner.dry_run:
            (self.repo / ".git" / "config").chmod(0o600)  # the URL may carry a password git needs

    def rev_parse(self, ref: str) -> str | None:
        found = self._lookup(f"{ref}^{{commit}}")[0]
        return found[0] if found else None

    def _writes(self, what: str) -> bool:
        """Whether an in-process write of `what` may happen: a dry run shows it instead."""
        if self.runner.dry_run:
            self.runner.echo(f"  would write: {what}")
            return False
        log.debug("write: %s", what)
        return True

    def update_refs(self, updates: dict[str, str]) -> None:
        """Several refs in one transaction."""
        if self._writes("refs " + ", ".join(f"{ref} -> {sha[:12]}" for ref, sha in updates.items())):
            self.objects.update_refs(updates)

    def tree_of(self, commit: str) -> str:
        return self._git("rev-parse", f"{commit}^{{tree}}").out.strip()

    def write_dirs(self, directories: list[Path], earlier: dict[Path, tuple[str, int]] | None = None
                   ) -> tuple[list[str | None], int]:
        """The tree of each directory with its files stored, as `git add -A -f` of it would make it (None: it
        holds no file), stored together (as one pack when they are many); and when this reading began, on the
        file system's clock. `earlier`: a directory's tree from an earlier reading and when that one began: its
        files not changed since are taken from that tree unread."""
        if self.runner.dry_run:
            for directory in directories:
                self.runner.echo(f"  would write: the tree of {directory}")
            return ["<tree>"] * len(directories), 0
        log.debug("write: the trees of %d dirs", len(directories))
        read_at = self.objects.clock_now()
        with self.objects.batch():
            trees = [self.objects.write_dir(directory, *(earlier or {}).get(directory, (None, None)))
                     for directory in directories]
        if self.objects.pack_count() > GC_AUTO_PACK_LIMIT:
            # a large change is written as a pack of its own: git joins them once they are many, as it does
            # after the fetches that leave one each
            self._git("-c", "gc.auto=6700", "-c", f"gc.autoPackLimit={GC_AUTO_PACK_LIMIT}", "-c", "gc.autoDetach=false",
                      "gc", "--auto", "--quiet", mutating=True)
        return trees, read_at

    def export_tree(self, tree: str, directory: Path) -> None:
        """`directory` becomes exactly `tree`'s files (symlinks and the executable bit as git keeps them)."""
        if not self._writes(f"{directory} as the tree {tree[:12]}"):
            return
        entries = self.ls_tree(tree, recursive=True)
        blobs = self.read_blobs([entry.sha for entry in entries])
        shutil.rmtree(directory, ignore_errors=True)
        for entry in entries:
            path = directory / os.fsdecode(entry.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if entry.mode == "120000":
                path.symlink_to(os.fsdecode(blobs[entry.sha]))
            else:
                path.write_bytes(blobs[entry.sha])
                path.chmod(0o755 if entry.mode == "100755" else 0o644)

    def ls_tree(self, tree: str, *paths: str, recursive: bool = False) -> list[TreeEntry]:
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args.append("-r")
        return parse_ls_tree(self._git(*args, tree, "--", *paths).stdout)

    def mktrees(self, trees: list[list[TreeEntry]]) -> list[str]:
        """Several trees; a later one may hold an earlier one, named by tree_id()."""
        if not self._writes(f"{len(trees)} tree(s)"):
            return ["<tree>"] * len(trees)
        return [self.objects.write("tree", tree_body(entries)) for entries in trees]

    def commit_tree(self, tree: str, message: str, parents: list[str], sign: bool = True) -> str:
        """A commit of `tree`; signed with the machine's SSH signing key, when it has one and `sign` (a commit
        that never leaves this machine needs no signature)."""
        if sign and self.signing_key is not None:
            args = ["-c", "gpg.format=ssh", "-c", f"user.signingKey={self.signing_key}", "commit-tree", tree,
                    "-m", message, "-S"]
            for parent in parents:
                args += ["-p", parent]
            return self._git(*args, mutating=True).out.strip() or "<commit>"
        if not self._writes(f"commit of {tree[:12]} ({message.splitlines()[0]})"):
            return "<commit>"
        identity = f"{self.env['GIT_COMMITTER_NAME']} <{self.env['GIT_COMMITTER_EMAIL']}>"
        return self.objects.write("commit", commit_body(tree, parents, message, identity))

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
                before, after = ({entry.path: entry for entry in _entries(found[name][2])} if name else {}
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
                        changes.append(Change(prefix + name, *_side(files[0]), *_side(files[1])))
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
        return found[0], _entries(found[2])

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

    def fetch(self, *refspecs: str, prune: bool = False, scratch: bool = False) -> None:
        """`scratch` fetches only write refs kept for inspection, so a dry run still runs them."""
        args = ["fetch", "-q", "--no-tags"] + (["--prune"] if prune else [])
        self._git(*args, "origin", *refspecs, mutating=not scratch)

    def tree_with(self, tree: str, changes: list[tuple[str, str | None, bytes]], index: Path) -> str:
        """`tree` with each (mode, blob, path) set, or removed where blob is None; built in a scratch index."""
        self._git("read-tree", tree, index=index)
        lines = b"".join(
            (f"{mode} {sha}\t" if sha else f"0 {ZERO_SHA}\t").encode() + path + b"\0" for mode, sha, path in changes
        )
        self._git("update-index", "-z", "--index-info", stdin=lines, index=index)
        return self._git("write-tree", index=index).out.strip()

    def merge_tree(self, ours: str, theirs: str, unrelated: bool = False) -> TreeMerge:
        """git's own three-way merge of two commits. `unrelated`: histories with no common commit merge too
        (against the empty tree)."""
        args = ["merge-tree", "--write-tree", "--no-messages", "-z"] + \
            (["--allow-unrelated-histories"] if unrelated else [])
        result = self._git(*args, ours, theirs, check=False)
        if result.code not in (0, 1):
            raise CalledProcessError(("git", *args, ours, theirs), result.code, result.stdout, result.stderr)
        return parse_merge_tree(result.stdout, clean=result.code == 0)

    def merge_trees(self, ours: str, theirs: str, unrelated: bool = False) -> str | None:
        """The merged tree of two commits, or None when they do not merge cleanly."""
        merged = self.merge_tree(ours, theirs, unrelated)
        return merged.tree if merged.clean else None

    def merged_in(self, tip: str, base: str) -> list[str]:
        """The commits merged into `tip` since `base`: the second parents along tip's first-parent line."""
        out = self._git("rev-list", "--first-parent", "--parents", tip, f"^{base}").out
        return [sha for line in out.splitlines() for sha in line.split()[2:]]

    def commits_since(self, tip: str, base: str | None) -> set[str]:
        """The commits of `tip`'s history that are not in `base`'s (all of them when `base` is None)."""
        return set(self._git("rev-list", tip, *([f"^{base}"] if base else []), "--").out.split())

    def has_commit(self, sha: str) -> bool:
        return self.rev_parse(sha) is not None

    def merge_file(self, local: Path, base: Path, main: Path, ours: bool = False) -> tuple[bytes, bool]:
        """git's own line merge of three files: (the merged text, True when no edits overlap). `ours`: where
        edits overlap, the text takes local's side instead of conflict markers."""
        result = self._git("merge-file", "-p", "-q", *(["--ours"] if ours else []), "-L", "local", "-L", "base",
                           "-L", "main", str(local), str(base), str(main), check=False)
        if not 0 <= result.code < 128:
            raise CalledProcessError(("git", "merge-file", str(local), str(base), str(main)), result.code,
                                     result.stdout, result.stderr)
        return result.stdout, result.code == 0

    def store_blob(self, data: bytes) -> str:
        """Keep `data` in the mirror's object store (to bring it back later); returns its blob id."""
        return self._git("hash-object", "-w", "--stdin", stdin=data, mutating=True).out.strip()

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

    def push(self, *refspecs: str, lease: str | None = None, force: bool = False) -> Result:
        args = ["push", "--porcelain"]
        if lease is not None:
            args.append(f"--force-with-lease={lease}")
        if force:
            args.append("--force")
        return self._git(*args, "origin", *refspecs, mutating=True, check=False)
