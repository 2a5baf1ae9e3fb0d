"""The authority pushes main while a person merges a proposal into main on origin (a pull request merged on
GitHub, done here with plain git from a separate clone): main only ever moves forward, the authority that lost
the race says so and pushes nothing, and the next tick brings both sides together."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import authority_and, git, main_files, proposal_refs

PROPOSALS = 3


def log_main_updates(origin) -> None:
    """origin keeps a reflog of main, so every value main ever took can be checked, not only the last."""
    git("config", "core.logAllRefUpdates", "always", cwd=origin)


def main_history(origin) -> list[str]:
    """Every value main took on origin, oldest first."""
    return list(reversed(git("reflog", "--format=%H", "refs/heads/main", cwd=origin).split()))


def assert_main_only_moved_forward(origin) -> None:
    history = main_history(origin)
    assert len(history) > 1
    for old, new in zip(history, history[1:]):
        assert git("merge-base", "--is-ancestor", old, new, cwd=origin) == "", f"main went from {old} to {new}"


class Person:
    """Merges proposals into origin's main from a clone of their own, as a reviewer does on GitHub."""

    def __init__(self, origin, workdir):
        self.origin = origin
        self.work = workdir
        git("clone", "-q", str(origin), str(workdir))

    def merge(self, branch: str) -> str:
        # like GitHub, a merge is recorded against the main of the moment: when main moves between reading it
        # and updating it, the update is refused and the merge is done again on the new main
        for _ in range(20):
            git("fetch", "-q", "origin", cwd=self.work)
            git("checkout", "-q", "-B", "main", "origin/main", cwd=self.work)
            git("merge", "-q", "--no-ff", "-m", f"Merge pull request from {branch}", f"origin/{branch}", cwd=self.work)
            try:
                git("push", "-q", "origin", "main", cwd=self.work)
            except subprocess.CalledProcessError:
                continue
            return git("rev-parse", "HEAD", cwd=self.work).strip()
        raise AssertionError(f"could not merge {branch}")


def propose(machine, origin, name: str, text: str) -> str:
    before = set(proposal_refs(origin))
    machine.write("finops", name, text)
    machine.run("propose", check=True)
    (ref,) = set(proposal_refs(origin)) - before
    return ref[len("refs/heads/"):]


def merge_when_main_is_pushed(origin, person: Person, branch: str) -> None:
    """Arms origin so that when the next push of main arrives, the person's merge lands first: the merge runs
    from origin's pre-receive hook, after that push was accepted for its lease and before main is updated."""
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(f"""#!{sys.executable}
import os, subprocess, sys
updates = sys.stdin.read()
armed = {str(origin / "armed")!r}
if " refs/heads/main" in updates and os.path.exists(armed):
    os.unlink(armed)
    # the person's own git, not this push's (GIT_DIR, quarantine and the like)
    env = {{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    for args in (["fetch", "-q", "origin"], ["checkout", "-q", "-B", "main", "origin/main"],
                 ["merge", "-q", "--no-ff", "-m", "Merge pull request from {branch}", "origin/{branch}"],
                 ["push", "-q", "origin", "main"]):
        subprocess.run(["git", *args], cwd={str(person.work)!r}, env=env, check=True, stdout=sys.stderr)
""")
    hook.chmod(0o755)
    (origin / "armed").touch()


@pytest.mark.parametrize(("moment", "host"), [("after-fetch", "desk-01"), ("mid-push", "build-01")])
def test_a_proposal_merged_while_the_authority_pushes_is_kept(make_machine, origin, tmp_path, moment, host):
    """after-fetch: the merge lands between the authority's fetch and its push (git refuses the push for its
    lease); mid-push: it lands while origin takes the authority's push (origin refuses the ref update).
    desk-01 is merged by the person only; build-01 is on the authority's roster, so the authority's tick has
    merged the same proposal itself, and the person's merge of it wins."""
    log_main_updates(origin)
    laptop, desk = authority_and(make_machine, host, "contributor")
    branch = propose(desk, origin, "from-desk.md", f"what {host} learned\n")
    person = Person(origin, tmp_path / "person")

    laptop.write("finops", "MEMORY.md", "v2, the authority's edit\n")
    if moment == "after-fetch":
        laptop.doit("tick:resnapshot")  # fetched main and built on it; the push is next
        merged = person.merge(branch)
        result = laptop.doit("-s", "tick:push")
    else:
        merge_when_main_is_pushed(origin, person, branch)
        result = laptop.tick()
        assert not (origin / "armed").exists()
        merged = git("rev-parse", "HEAD", cwd=person.work).strip()
    assert "authority push lease invalidated" in result.stdout
    assert "authority push lease invalidated" in (laptop.agentihooks / "logs" / "sync-daemon.log").read_text()
    assert git("rev-parse", "main", cwd=origin).strip() == merged  # the person's merge stands

    laptop.tick()
    expected = {"by-project/finops/memory/MEMORY.md": "v2, the authority's edit\n",
                "by-project/finops/memory/from-desk.md": f"what {host} learned\n"}
    assert main_files(origin) == expected
    git("merge-base", "--is-ancestor", merged, "main", cwd=origin)
    assert_main_only_moved_forward(origin)
    assert laptop.files("finops") == {path.rsplit("/", 1)[1]: text for path, text in expected.items()}
    desk.tick()
    assert desk.files("finops") == laptop.files("finops")


def test_authority_ticks_and_proposal_merges_at_the_same_time_lose_nothing(make_machine, origin, tmp_path):
    log_main_updates(origin)
    # desk-01 is not on the authority's roster: only the person merges it
    laptop, desk = authority_and(make_machine, "desk-01", "contributor")
    branches = [propose(desk, origin, f"proposal-{i}.md", f"proposal {i}\n") for i in range(PROPOSALS)]
    person = Person(origin, tmp_path / "person")
    log = laptop.agentihooks / "logs" / "sync-daemon.log"
    # each merge starts as soon as the authority's tick has fetched main, or is pushing: it races that push
    triggers = ["INFO fetch: ", "INFO push: gitfoam/laptop/main"]
    before = {marker: log.read_text().count(marker) for marker in triggers}

    outputs: list[str] = []
    errors: list[BaseException] = []

    def authority() -> None:
        try:
            for i in range(PROPOSALS):
                laptop.write("finops", f"authority-{i}.md", f"authority edit {i}\n")
                result = laptop.run("sync-now")
                outputs.append(f"exit {result.returncode}\n{result.stdout}{result.stderr}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    ticking = threading.Thread(target=authority)
    ticking.start()
    merged = []
    try:
        for i, branch in enumerate(branches):
            marker = triggers[i % len(triggers)]
            deadline = time.monotonic() + 120  # bounds a broken run only
            while log.read_text().count(marker) <= before[marker] + i and time.monotonic() < deadline:
                time.sleep(0.01)
            merged.append(person.merge(branch))
    finally:
        ticking.join(timeout=300)
    assert not errors and not ticking.is_alive()

    for output in outputs:
        assert output.startswith("exit 0\n"), output
        # each tick either pushed main, found it up to date, or lost the race and said so
        assert re.search(r"push: main (-> \w+|already up to date)|authority push lease invalidated", output), output
    laptop.tick()
    assert_main_only_moved_forward(origin)
    for commit in merged:
        git("merge-base", "--is-ancestor", commit, "main", cwd=origin)
    expected = {"by-project/finops/memory/MEMORY.md": "v1\n",
                **{f"by-project/finops/memory/proposal-{i}.md": f"proposal {i}\n" for i in range(PROPOSALS)},
                **{f"by-project/finops/memory/authority-{i}.md": f"authority edit {i}\n" for i in range(PROPOSALS)}}
    assert main_files(origin) == expected
    assert laptop.files("finops") == {path.rsplit("/", 1)[1]: text for path, text in expected.items()}
    desk.tick()
    assert desk.files("finops") == laptop.files("finops")
