"""The git wrapper: one small method per git call, all through the Runner, except the objects and refs a tick
writes and reads, which objectstore.py handles in process in git's own formats (a command each would cost more
than the work). Reading is GitReader's (git_read.py); this adds what writes."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from pipeline.rules.tree import TreeEntry
from pipeline.tools.git_formats import (GC_AUTO_PACK_LIMIT, MIRROR_ATTRIBUTES, ZERO_SHA, TreeMerge, parse_merge_tree,
                                        tree_body)
from pipeline.tools.git_read import GitReader
from pipeline.tools.objectstore import commit_body
from pipeline.tools.run import CalledProcessError, Result

log = logging.getLogger("memory_mirror.cmd")


class Git(GitReader):
    """git in one repository (the mirror), with a pinned identity."""

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
        if not self._writes(f"a blob of {len(data)} bytes"):
            return "<blob>"
        return self.objects.write("blob", data)

    def push(self, *refspecs: str, lease: str | None = None, force: bool = False) -> Result:
        args = ["push", "--porcelain"]
        if lease is not None:
            args.append(f"--force-with-lease={lease}")
        if force:
            args.append("--force")
        return self._git(*args, "origin", *refspecs, mutating=True, check=False)
