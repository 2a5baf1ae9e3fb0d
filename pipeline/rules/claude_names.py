"""Claude Code's rule for naming a project dir under projects/, as pure functions.

The name is the working dir with every UTF-16 code unit that is not an ASCII letter or digit replaced by '-'
(an emoji, two code units, becomes '--'). A name longer than MAX_LEN is cut to MAX_LEN and gets '-' plus
base36 of the absolute 32-bit Java string hash of the path itself. On macOS the path is first normalised to
NFC; on Linux it is taken as given, so a decomposed name keeps its combining mark.
"""
from __future__ import annotations

import unicodedata
from typing import NamedTuple

MAX_LEN = 200
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def code_units(text: str) -> list[int]:
    """UTF-16 code units; a lone surrogate (an undecodable byte of a file name) is one unit, as in JavaScript."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return [raw[i] | raw[i + 1] << 8 for i in range(0, len(raw), 2)]


def encode_units(text: str) -> str:
    return "".join(chr(unit) if chr(unit).isascii() and chr(unit).isalnum() else "-" for unit in code_units(text))


def java_hash(text: str) -> int:
    """String.hashCode: h = 31*h + unit over the UTF-16 code units, wrapping at 32 bits (signed)."""
    h = 0
    for unit in code_units(text):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _DIGITS[digit] + digits
        if number == 0:
            return digits


def long_suffix(path: str) -> str:
    return base36(abs(java_hash(path)))


def dir_name(path: str) -> str:
    """The projects/ dir name Claude Code gives the working dir `path` (already in its platform's form)."""
    name = encode_units(path)
    return name if len(name) <= MAX_LEN else f"{name[:MAX_LEN]}-{long_suffix(path)}"


def claude_form(path: str, platform: str) -> str:
    """The spelling of `path` that Claude Code encodes on `platform` (a sys.platform value)."""
    return unicodedata.normalize("NFC", path) if platform == "darwin" else path


def spellings(text: str) -> tuple[str, ...]:
    """Every form of `text` some machine may have encoded: as given (Linux) and NFC (macOS)."""
    nfc = unicodedata.normalize("NFC", text)
    return (text,) if nfc == text else (text, nfc)


class LongName(NamedTuple):
    prefix: str  # the first MAX_LEN characters of the encoded path
    suffix: str  # a hash of the path; versions differ in which hash


def split_long(name: str) -> LongName | None:
    """The parts of a name that was cut, or None. Versions before the cut wrote such names whole, so a caller
    also tries the name as a whole encoded path."""
    if len(name) <= MAX_LEN + 1 or name[MAX_LEN] != "-":
        return None
    return LongName(name[:MAX_LEN], name[MAX_LEN + 1:])


def is_hashed_as(path: str, suffix: str) -> bool:
    """True when `suffix` is the hash of `path` in one of its spellings."""
    return any(long_suffix(form) == suffix for form in spellings(path))
