"""A local edit made while the merge runs is never replaced nor trashed: the file is checked again right before."""
from __future__ import annotations

from conftest import seeded_authority, trashed

EDITED = "edited while the merge ran\n"


def consumer_with(make_machine, laptop, files: dict[str, str], edit: str):
    for rel, text in files.items():
        laptop.write("finops", rel, text)
    laptop.tick()
    pod = make_machine("pod-1", "consumer", MEMORY_MIRROR_EDIT_DURING=edit)
    pod.project("finops")
    pod.tick()  # a first merge writes new files: nothing there to edit yet
    return pod


def test_an_edit_made_right_before_main_replaces_the_file_is_merged_with_mains(make_machine):
    laptop = seeded_authority(make_machine)
    pod = consumer_with(make_machine, laptop, {"notes.md": "1\n2\n3\n4\n5\n6\n"}, "notes.md")
    laptop.write("finops", "notes.md", "one\n2\n3\n4\n5\n6\n")
    laptop.tick()
    pod.tick()
    assert pod.files("finops")["notes.md"] == "one\n2\n3\n4\n5\n6\n" + EDITED


def test_a_file_edited_right_before_a_peers_deletion_trashes_it_stays(make_machine):
    laptop = seeded_authority(make_machine)
    pod = consumer_with(make_machine, laptop, {"gone.md": "old\n"}, "gone.md")
    (laptop.memory("finops") / "gone.md").unlink()
    laptop.tick()
    pod.tick()
    assert pod.files("finops")["gone.md"] == "old\n" + EDITED
    assert trashed(pod) == []
