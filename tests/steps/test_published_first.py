"""A merge is recorded only once origin holds it: a refused push of main loses nothing (DESIGN §4).

Every record of what origin holds is written after the push that published it (see pipeline/steps/fetch.py);
here origin refuses every push of main for one tick, as it does when another machine moved main meanwhile.
"""
from __future__ import annotations

import stat
from pathlib import Path

from conftest import authority_and, commit_by_hand, main_files, trashed

REFUSE_MAIN = """#!/bin/sh
while read old new ref; do
  if [ "$ref" = refs/heads/main ] && [ -e "$GIT_DIR/refuse-main" ]; then echo "main is closed" >&2; exit 1; fi
done
"""


def refuse_main(origin: Path, refuse: bool) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(REFUSE_MAIN)
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    marker = origin / "refuse-main"
    marker.touch() if refuse else marker.unlink()



def test_a_trusted_proposal_whose_merge_was_refused_is_merged_again_and_nothing_is_trashed(make_machine, origin):
    laptop, builder = authority_and(make_machine, "build-07", "trusted")
    builder.write("finops", "learned.md", "what build-07 learned\n")
    builder.run("propose", check=True)
    refuse_main(origin, True)
    refused = laptop.run("sync-now")
    assert refused.returncode != 0 and "push of main was refused" in refused.stderr + refused.stdout
    refuse_main(origin, False)
    # main moves meanwhile, as when another machine published first
    commit_by_hand(origin, "by-project/finops/memory/other.md", "a person's note\n")
    result = laptop.tick()
    assert "merged proposal/build-07/" in result.stdout
    files = main_files(origin)
    assert files["by-project/finops/memory/learned.md"] == "what build-07 learned\n"
    assert files["by-project/finops/memory/other.md"] == "a person's note\n"
    assert laptop.files("finops")["learned.md"] == "what build-07 learned\n"
    assert trashed(laptop) == []
    laptop.tick()
    builder.tick()
    assert "by-project/finops/memory/learned.md" in main_files(origin)
    assert trashed(laptop) == [] and trashed(builder) == []
