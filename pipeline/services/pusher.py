"""The built-in pusher, for machines without a gitfoam binary: it watches the host branch of the mirror and
publishes it within a second of each new snapshot commit, at most once per throttle period.

It only ever pushes <prefix>/<host>/main (never main): what the commit step built, which is guarded and
has had files with credentials held back.
"""
from __future__ import annotations

import os
import time

from pipeline.context import Context
from pipeline.daemon import StopFlag, install_sigterm_handler
from pipeline.errors import FatalError
from pipeline.remote import host_ref, push_refs
from pipeline.watch import Changes, watch

THROTTLE_SECONDS = 0.3  # force-pushes of the host branch are coalesced to at most one per this period
SAFETY_POLL_SECONDS = 5.0  # a missed event still gets pushed
RETRY_SECONDS = 10.0  # after a failed push (remote down), wait before trying again


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pusher[{os.getpid()}] {message}", flush=True)


def serve(ctx: Context) -> None:
    stop: StopFlag = install_sigterm_handler()
    branch = host_ref(ctx)
    ref_dir = ctx.settings.mirror_dir / ".git" / os.path.dirname(branch)
    ref_dir.mkdir(parents=True, exist_ok=True)
    changes = Changes(lambda path: True)
    observer = watch(ref_dir, changes, recursive=False)
    log(f"started: publishing {ctx.settings.host_branch} of {ctx.settings.mirror_dir}")
    pushed: str | None = None
    last_push = 0.0
    try:
        while not stop():
            current = ctx.git.rev_parse(branch)
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
                if outcome.ok(branch):
                    pushed = current
                    log(f"pushed {ctx.settings.host_branch} {current[:12]}")
                else:
                    log(f"push of {ctx.settings.host_branch} refused: {outcome.summary(branch)}")
                continue
            if changes.wait(SAFETY_POLL_SECONDS):
                changes.take()
    finally:
        observer.stop()
        observer.join(timeout=5)
        log("stopped")
