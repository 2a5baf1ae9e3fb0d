"""Claude Code's dir names, made and decoded exactly as Claude Code makes them."""
from __future__ import annotations

import os
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.projects.decode import Decoder
from pipeline.rules.claude_names import MAX_LEN, claude_form, dir_name, java_hash

LONG = "/home/u/" + "very_long_directory_name_segment/" * 8 + "proj"
NFD = "/home/u/cafe\u0301"
NFC = unicodedata.normalize("NFC", NFD)


@pytest.mark.parametrize(("path", "platform", "name"), [
    ("/home/u/my_app.v2", "linux", "-home-u-my-app-v2"),
    ("/a b/.x", "linux", "-a-b--x"),
    ("/home/u/repos/app.git", "linux", "-home-u-repos-app-git"),
    ("/home/u/\U0001F680app", "linux", "-home-u---app"),  # an emoji is two UTF-16 code units
    ("/home/u/\u00fcber", "linux", "-home-u--ber"),  # one code unit, one '-'
    (NFD, "linux", "-home-u-cafe-"),  # Linux encodes the name as given: the combining mark is a unit
    (NFD, "darwin", "-home-u-caf-"),  # macOS encodes the NFC form
    (NFC, "linux", "-home-u-caf-"),
    (LONG, "linux", ("-home-u-" + "very-long-directory-name-segment-" * 8)[:MAX_LEN] + "-4gueg8"),
    ("/" + "a" * 199, "linux", "-" + "a" * 199),  # exactly 200: not cut
    ("/" + "a" * 200, "linux", "-" + "a" * 199 + "-" + "b6ymvl"),
])
def test_dir_names_are_claude_codes(path, platform, name):
    assert dir_name(claude_form(path, platform)) == name


def test_the_suffix_of_a_cut_name_is_the_java_string_hash_of_the_path():
    assert len(LONG) == 276
    assert java_hash("") == 0
    assert java_hash("a") == 97
    assert java_hash("hello") == 99162322  # "hello".hashCode() in Java
    assert java_hash("/" + "a" * 200) == -int("b6ymvl", 36)
    assert dir_name(LONG).endswith("-4gueg8") and len(dir_name(LONG)) == MAX_LEN + 7


def make(root, rel: str) -> str:
    path = os.path.join(root, rel)
    os.makedirs(path, exist_ok=True)
    return path


def test_a_cut_name_is_decoded_by_its_prefix_and_the_hash_chooses_between_the_dirs_below_it(tmp_path):
    # two projects whose paths agree on their first 200 encoded characters
    stem = make(tmp_path, "x" * (MAX_LEN - len(str(tmp_path)) - 1))  # 200 characters: itself not cut
    one, two = make(stem, "one"), make(stem, "two")
    assert dir_name(one)[:MAX_LEN] == dir_name(two)[:MAX_LEN]
    assert Decoder().candidates(dir_name(one)) == [one]
    assert Decoder().candidates(dir_name(two)) == [two]
    # a suffix from another Claude version's hash: every dir below the cut is a candidate, shallowest first
    assert Decoder().candidates(dir_name(one)[:MAX_LEN] + "-zzzzzz") == [one, two]


def test_a_long_name_written_whole_by_an_older_claude_is_decoded_too(tmp_path):
    deep = make(tmp_path, "d" * 120 + "/" + "e" * 120)
    whole = "".join(c if c.isascii() and c.isalnum() else "-" for c in deep)
    assert len(whole) > MAX_LEN
    assert Decoder().candidates(whole) == [deep]


def test_nfd_and_nfc_names_both_find_a_decomposed_dir(tmp_path):
    decomposed = make(tmp_path, "cafe\u0301")
    assert Decoder().candidates(dir_name(decomposed)) == [decomposed]  # Linux: as given
    assert Decoder().candidates(dir_name(unicodedata.normalize("NFC", decomposed))) == [decomposed]  # macOS


# any Unicode a file name can hold (no '/', no NUL, no lone surrogates), at most 255 bytes per name
components = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1,
                     max_size=60).filter(lambda name: name not in (".", "..") and len(name.encode()) <= 255)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(components, min_size=1, max_size=8))
def test_decoding_an_encoded_path_finds_it_for_any_unicode_and_any_length(tmp_path_factory, parts):
    path = os.path.join(os.path.realpath(tmp_path_factory.mktemp("n")), *parts)
    os.makedirs(path, exist_ok=True)
    for platform in ("linux", "darwin"):  # as Claude on Linux and on macOS would name it
        assert path in Decoder().candidates(dir_name(claude_form(path, platform))), platform
