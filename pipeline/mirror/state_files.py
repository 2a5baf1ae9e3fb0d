"""Every state file the steps share, in one table: its name (state/<name>.json), who writes it, who reads it, and
whether a new mirror forgets it (it describes the mirror repository it was written for, so a mirror made again from
nothing must not inherit it). State refuses a name that is not here."""
from __future__ import annotations

from typing import NamedTuple


class StateFile(NamedTuple):
    name: str
    writer: str
    readers: str
    new_mirror_forgets: bool
    what: str


STATE_FILES = {file.name: file for file in (
    StateFile("base", "seed, merge, push, migrate", "commit, merge, snapshot, status", True,
              "the main last merged into local memory (the three-way base) and the keys it covered"),
    StateFile("base_listing", "commit", "commit", True, "the base's tree, listed once per base"),
    StateFile("snapshot", "commit, push", "snapshot, seed, push, propose, migrate, install", True,
              "this machine's last snapshot: commit, tree, and the tree of each project dir and when it was read"),
    StateFile("worktree", "snapshot, commit", "snapshot, commit", True,
              "which project dirs of the work tree changed since the last snapshot commit"),
    StateFile("scan", "snapshot", "snapshot", True, "each project dir's memory fingerprint (a stat walk)"),
    StateFile("fetch", "seed, fetch, accept-trusted, push", "accept-trusted, merge, push", True,
              "origin's main as last read, and the main this tick merges (with trusted proposals)"),
    StateFile("merge", "merge", "resnapshot", True, "what the last merge wrote into local memory"),
    StateFile("host_branch", "push", "push", True, "the host branch as last pushed"),
    StateFile("duplicate_host", "push", "push, status", True, "another machine seen pushing with this hostname"),
    StateFile("mirror", "ensure_mirror", "ensure_mirror", False, "the remote the mirror follows (hashed)"),
    StateFile("identities", "resolve", "every step after it", False, "each Claude project dir and its key"),
    StateFile("mappings", "resolve", "resolve", False, "the identities.yaml mappings as last read"),
    StateFile("notes", "resolve", "resolve", False, "what resolve told the user once already"),
    StateFile("joined", "snapshot, merge (join)", "commit, join", False, "project dirs that joined their key"),
    StateFile("writing", "snapshot, merge", "snapshot, merge", False,
              "a write into memory dirs is under way (after a crash: remove its temp files)"),
    StateFile("last_merge", "merge", "undo, history", False, "what the last merge wrote, for undo"),
    StateFile("verdicts", "commit, check", "commit, check", False, "secret-scan verdicts by blob id"),
    StateFile("blocked", "commit", "status", False, "files held back from publishing, by path and reason"),
    StateFile("proposals", "accept-trusted", "accept-trusted", False, "proposals merged or left for a person"),
    StateFile("propose", "propose", "propose, merge", False, "this machine's last proposal"),
    StateFile("lease", "push (the authority lease)", "push, status", False, "the authority lease as last renewed"),
    StateFile("pusher", "install", "commit, status, start", False, "which pusher publishes this machine (gitfoam?)"),
    StateFile("origin", "every step that reaches origin", "status", False, "when origin last answered"),
    StateFile("last_tick", "the step runner", "status, daemons", False,
              "how the last tick ended, and failures in a row"),
    StateFile("validated", "config (yamlfile.py, not through State)", "config", False,
              "digests of the YAML files already found valid, so an unchanged one is not parsed again"),
)}
FORGOTTEN_BY_NEW_MIRROR = tuple(name for name, file in STATE_FILES.items() if file.new_mirror_forgets)
