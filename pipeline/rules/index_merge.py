"""MEMORY.md, Claude's index of a project's memories, merged by entry: a pure function of three texts.

An entry is a list item (or a line) that starts with a markdown link, `- [Title](topic.md) — hook`; its key is
the link target. Entries merge as a set keyed by target: an add on either side is kept, a removal on one side
with no edit on the other is honoured, an edit is taken from the side that made it, and an entry edited
differently on both sides keeps this machine's text and is reported as a conflict. Other lines (headings,
prose, blank lines) merge as text: edits to them that overlap on both sides are a conflict of the whole file
(this machine's index is kept as it is); others are taken, each line keyed by its text and which occurrence
of it it is. The result is in main's order, with lines new on this machine where they stood there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

INDEX_NAME = "MEMORY.md"
# Claude loads no more of MEMORY.md than this into a session
LOAD_MAX_LINES = 200
LOAD_MAX_BYTES = 25_000

_ENTRY = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)")

Key = tuple  # ("entry", target) or ("line", text, occurrence)


@dataclass(frozen=True)
class IndexMerge:
    text: str
    conflicts: tuple[str, ...]  # targets of entries edited differently on both sides (this machine's text kept)
    overlapping_text: bool = False  # lines that are not entries were edited on both sides at one place

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.overlapping_text


def entry_target(line: str) -> str | None:
    match = _ENTRY.match(line)
    return match.group(1) if match else None


def _items(text: str) -> list[tuple[Key, str]]:
    """(key, line) in order; a second entry with the same target counts as an ordinary line."""
    items: list[tuple[Key, str]] = []
    seen: set[Key] = set()
    occurrences: dict[str, int] = {}
    for line in text.splitlines():
        target = entry_target(line)
        key: Key = ("entry", target)
        if target is None or key in seen:
            occurrences[line] = occurrences.get(line, 0) + 1
            key = ("line", line, occurrences[line])
        seen.add(key)
        items.append((key, line))
    return items


def _settle(key: Key, base: dict, main: dict, local: dict, conflicts: list[str]) -> str | None:
    """The merged text of one entry or line; None when it is gone."""
    was, theirs, ours = base.get(key), main.get(key), local.get(key)
    if theirs == ours or theirs == was:
        return ours
    if ours == was or ours is None:
        return theirs  # only main changed it, or main edited what this machine removed: an edit beats a removal
    if theirs is not None:
        conflicts.append(key[1])
    return ours


def _hunks(base: list[str], other: list[str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, new lines) of each change of `other` against `base`, in base's line numbers."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def edits_overlap(base: list[str], main: list[str], local: list[str]) -> bool:
    """True when main and this machine changed the same lines (or inserted at one place) differently."""
    for start, end, lines in _hunks(base, main):
        for other_start, other_end, other_lines in _hunks(base, local):
            if (start, end, lines) == (other_start, other_end, other_lines):
                continue
            if max(start, other_start) < min(end, other_end) or start == other_start \
                    or other_start < start < other_end or start < other_start < end:
                return True
    return False


def _prose(items: list[tuple[Key, str]]) -> list[str]:
    return [line for key, line in items if key[0] == "line"]


def merge_index(base: str | None, main: str, local: str) -> IndexMerge:
    main_items, local_items = _items(main), _items(local)
    if edits_overlap(_prose(_items(base or "")), _prose(main_items), _prose(local_items)):
        return IndexMerge(local, (), overlapping_text=True)
    base_items = dict(_items(base or ""))
    main_map, local_map = dict(main_items), dict(local_items)
    conflicts: list[str] = []
    merged: list[tuple[Key, str]] = []
    for key, _ in main_items:
        text = _settle(key, base_items, main_map, local_map, conflicts)
        if text is not None:
            merged.append((key, text))
    placed = {key for key, _ in merged}
    cursor = 0
    for key, _ in local_items:
        if key in placed:
            cursor = next(i for i, (known, _) in enumerate(merged) if known == key) + 1
            continue
        text = _settle(key, base_items, main_map, local_map, conflicts)
        if text is not None:
            merged.insert(cursor, (key, text))
            placed.add(key)
            cursor += 1
    newline = "\n" if merged and (main.endswith("\n") or local.endswith("\n")) else ""
    return IndexMerge("\n".join(text for _, text in merged) + newline, tuple(conflicts))


def topic_targets(text: str) -> list[str]:
    """Targets of the index's entries that name a file of the memory dir (not a URL, not an anchor)."""
    targets = []
    for line in text.splitlines():
        target = entry_target(line)
        if target and "://" not in target and not target.startswith(("#", "mailto:", "/")):
            targets.append(target.split("#", 1)[0])
    return [target for target in targets if target]


def load_limit_note(text: str) -> str | None:
    """What Claude would not load of this index, or None when all of it fits."""
    lines, size = len(text.splitlines()), len(text.encode("utf-8", "surrogateescape"))
    if lines <= LOAD_MAX_LINES and size <= LOAD_MAX_BYTES:
        return None
    return (f"{lines} lines, {size} bytes: Claude loads only the first {LOAD_MAX_LINES} lines / "
            f"{LOAD_MAX_BYTES} bytes")
