from __future__ import annotations

import argparse
import os

from pipeline.mirror.context import load_context
from pipeline.steps.resolve import fresh_identities, outside_projects, symlinked_memory


def identities(args: argparse.Namespace) -> int:
    ctx = load_context(dry_run=True)
    found = fresh_identities(ctx)
    for note in outside_projects(ctx)[1]:
        print(note.removeprefix("resolve: "))
    if not found:
        print(f"no Claude project dirs under {ctx.settings.claude_projects}")
        return 0
    rows = [("ENCODED DIR", "KEY", "MARKER", "REAL PATH", "NOTE")]
    for identity in found:
        notes = []
        if identity.collides_with:
            notes.append(f"COLLISION: same name as {identity.collides_with}; map it in identities.yaml")
        if identity.ambiguous:
            notes.append("AMBIGUOUS: also " + ", ".join(c for c in identity.candidates if c != identity.real_path))
        link = symlinked_memory(ctx, identity)
        if link:
            notes.append(f"NOT SYNCED: memory is a symlink to {os.readlink(link)}")
        rows.append((identity.encoded, identity.key, identity.marker or "-", identity.real_path or "(not found)",
                     "; ".join(notes)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + ("  " + row[4] if row[4] else ""))
    clashes = [identity for identity in found if identity.collides_with]
    if clashes:
        print(f"\n{len(clashes)} project(s) share a name with another; each syncs under _unmapped/<encoded dir> "
              f"until {ctx.settings.identities_file} gives it a key, e.g.:\n"
              f"  version: 1\n  identities:\n    - path: {clashes[0].root}\n      key: <a name of its own>")
    return 0
