from __future__ import annotations

import argparse

from pipeline.context import load_context
from pipeline.identity import collisions
from pipeline.steps.resolve import fresh_identities


def identities(args: argparse.Namespace) -> int:
    ctx = load_context(dry_run=True)
    found = fresh_identities(ctx)
    if not found:
        print(f"no Claude project dirs under {ctx.settings.claude_projects}")
        return 0
    clashes = collisions(found)
    rows = [("ENCODED DIR", "KEY", "MARKER", "REAL PATH", "NOTE")]
    for identity in found:
        notes = []
        if identity.key in clashes:
            notes.append("COLLISION: " + " vs ".join(clashes[identity.key]))
        if identity.ambiguous:
            notes.append("AMBIGUOUS: also " + ", ".join(c for c in identity.candidates if c != identity.real_path))
        rows.append((identity.encoded, identity.key, identity.marker or "-", identity.real_path or "(not found)",
                     "; ".join(notes)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + ("  " + row[4] if row[4] else ""))
    if clashes:
        print(f"\n{len(clashes)} key(s) are claimed by different projects; their memory is pooled under one key.")
    return 0
