"""The built-in pusher, for machines without a gitfoam binary: it watches the host branch of the mirror and
publishes it within a second of each new snapshot commit, at most once per throttle period.

It only ever pushes <prefix>/<host>/main (never main): what the commit step built, which is guarded and
has had files with credentials held back.
"""
from __future__ import annotations

import os
import time

from pipeline.crash import crash_message
from pipeline.errors import FatalError
from pipeline.mirror.context import Context
from pipeline.mirror.remote import host_ref, push_refs
from pipeline.services.supervise import StopFlag, install_sigterm_handler, interruptible_sleep
from pipeline.services.watch import Changes, watch

THROTTLE_SECONDS = 0.3  # force-pushes of the host branch are coalesced to at most one per this period
SAFETY_POLL_SECONDS = 5.0  # a missed event still gets pushed
RETRY_SECONDS = 10.0  # after a failed push (remote down), wait before trying again
MIRROR_POLL_SECONDS = 0.5  # before the first tick has created the mirror


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pusher[{os.getpid()}] {message}", flush=True)


def _ref_files(git_dir, branch: str) -> tuple:
    """What a change of `branch` changes on disk: its loose ref file or packed-refs (inode, size, mtime)."""
    signature = []
    for path in (git_dir / branch, git_dir / "packed-refs"):
        try:
            info = path.stat()
            signature.append((info.st_ino, info.st_size, info.st_mtime_ns))
        except FileNotFoundError:
            signature.append(None)
    return tuple(signature)


def serve(ctx: Context) -> None:
    stop: StopFlag = install_sigterm_handler()
    branch = host_ref(ctx)
    git_dir = ctx.settings.mirror_dir / ".git"
    ref_dir = git_dir / os.path.dirname(branch)
    log(f"started: publishing {ctx.settings.host_branch} of {ctx.settings.mirror_dir}")
    # the first tick creates the mirror: a .git dir made here before it would pass for the repository, and
    # that tick would then fail on a mirror that is none
    if not (git_dir / "HEAD").is_file():
        log("waiting for the first tick to create the mirror")
        while not (git_dir / "HEAD").is_file():
            if interruptible_sleep(MIRROR_POLL_SECONDS, stop):
                log("stopped")
                return
    ref_dir.mkdir(parents=True, exist_ok=True)
    changes = Changes(lambda path: True)
    observer = watch(ref_dir, changes, recursive=False)
    pushed: str | None = None
    last_push = 0.0
    seen: tuple | None = None
    current: str | None = None
    try:
        while not stop():
            # the branch is read again only when its ref file or packed-refs changed: an idle pusher runs no git
            now_seen = _ref_files(git_dir, branch)
            if now_seen != seen or current is None:
                current, seen = ctx.git.rev_parse(branch), now_seen
            if current and current != pushed:
                wait = last_push + THROTTLE_SECONDS - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                    continue
                changes.take()
                last_push = time.monotonic()
                try:
                    outcome = push_refs(ctx, [f"+{current}:{branch}"])
                except FatalError as exc:
                    log(f"push failed: {exc}; retrying in {RETRY_SECONDS:.0f}s")
                    last_push += RETRY_SECONDS
                    continue
                except Exception as exc:  # a bug: reported with a crash log; the pusher goes on
                    log(f"{crash_message(exc, 'pusher')}; retrying in {RETRY_SECONDS:.0f}s")
                    last_push += RETRY_SECONDS
                    continue
                if outcome.ok(branch):
                    pushed = current
                    log(f"pushed {ctx.settings.host_branch} {current[:12]}")
                elif outcome.collided(branch):
                    # a tick's push step publishes the same branch, and origin takes one of two pushes at once
                    log(f"{ctx.settings.host_branch} moved on origin during this push (a tick pushed it too); "
                        "pushing again")
                else:
                    log(f"push of {ctx.settings.host_branch} refused: {outcome.summary(branch)}")
                continue
            if changes.wait(SAFETY_POLL_SECONDS):
                changes.take()
    finally:
        observer.stop()
        observer.join(timeout=5)
        log("stopped")
