"""git's pack format (version 2, as `git index-pack` writes it): many objects in one file with its index. A batch of
more than a hundred objects is written as one, as git keeps a fetch of that many packed: thousands of small files
cost more to write and to read."""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

from pipeline.errors import FatalError

_PACK_TYPES = {"commit": 1, "tree": 2, "blob": 3}
_KINDS = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}  # what a pack's header says; 6 and 7 are deltas
_READ_AHEAD = 8192
_INDEX_V2 = b"\377tOc" + struct.pack(">I", 2)  # an index's first bytes: its magic number and version 2
# A pack and its index never change once written (their names are their checksum): this process reads an index
# again only when the file at its path is another one.
_INDEXES: dict[Path, tuple[tuple[int, int, int], dict[bytes, tuple[Path, int]]]] = {}


def store(path: Path, data: bytes) -> None:
    """`data` as the read-only file `path`, as git stores objects and packs: written beside it, then renamed
    over it, so a reader sees the whole file or none."""
    temporary = path.with_name(f"tmp_{path.name}_{os.getpid()}")
    temporary.write_bytes(data)
    os.chmod(temporary, 0o444)
    os.replace(temporary, path)


def packed_objects(packs: Path) -> dict[bytes, tuple[Path, int]]:
    """id -> (pack, offset) of every object in the packs under `packs`."""
    found: dict[bytes, tuple[Path, int]] = {}
    listed = set(packs.glob("pack-*.idx"))
    for gone in [index for index in _INDEXES if index.parent == packs and index not in listed]:
        del _INDEXES[gone]
    for index in listed:
        try:
            info = index.stat()
        except FileNotFoundError:
            continue  # packed again by a gc since the listing
        signature = (info.st_size, info.st_ino, info.st_mtime_ns)
        known = _INDEXES.get(index)
        if known is None or known[0] != signature:
            known = _INDEXES[index] = (signature, _read_index(index))
        found.update(known[1])
    return found


def read_object(pack_path: Path, offset: int) -> tuple[str, bytes] | None:
    """(type, content) of the object stored whole at `offset` of a pack; None when it is a delta (git reads those),
    or the pack is gone (packed again by a gc since its index was read: git finds it)."""
    try:
        with open(pack_path, "rb") as pack:
            pack.seek(offset)
            data = pack.read(64 + _READ_AHEAD)
            kind, size, start = _pack_header(data)
            if kind not in _KINDS:
                return None
            inflate = zlib.decompressobj()
            body = inflate.decompress(data[start:])
            while not inflate.eof:
                more = pack.read(max(_READ_AHEAD, size - len(body)))
                if not more:
                    break
                body += inflate.decompress(more)
    except FileNotFoundError:
        return None
    if len(body) != size:
        raise FatalError(f"the mirror's pack {pack_path.name} is damaged: move the mirror away and run again")
    return _KINDS[kind], body


def write_pack(packs: Path, objects: dict[str, tuple[str, bytes]], level: int) -> tuple[Path, list[tuple[bytes, int]]]:
    """One pack of `objects` (each whole, no deltas) and its index; the index goes last, so git sees the pack only
    once it is complete. Returns the pack and (id, offset) of each object in it."""
    chunks = [b"PACK" + struct.pack(">II", 2, len(objects))]
    offset = len(chunks[0])
    located = []  # (id, crc32 of its packed bytes, offset)
    for sha, (kind, body) in objects.items():
        size = len(body)
        header = bytearray([(_PACK_TYPES[kind] << 4) | (size & 0x0F)])
        size >>= 4
        while size:
            header[-1] |= 0x80
            header.append(size & 0x7F)
            size >>= 7
        packed = bytes(header) + zlib.compress(body, level)
        located.append((bytes.fromhex(sha), zlib.crc32(packed), offset))
        chunks.append(packed)
        offset += len(packed)
        if offset >= 1 << 31:
            raise FatalError("too much to store at once (2 GB); store it in parts")
    digest = hashlib.sha1()
    for chunk in chunks:
        digest.update(chunk)
    checksum = digest.digest()
    located.sort()
    fanout = [0] * 256
    for raw, _, _ in located:
        fanout[raw[0]] += 1
    total = 0
    for first in range(256):
        total += fanout[first]
        fanout[first] = total
    index = b"".join([_INDEX_V2, struct.pack(">256I", *fanout),
                      *(raw for raw, _, _ in located), *(struct.pack(">I", crc) for _, crc, _ in located),
                      *(struct.pack(">I", where) for _, _, where in located), checksum])
    index += hashlib.sha1(index).digest()
    packs.mkdir(parents=True, exist_ok=True)
    pack = packs / f"pack-{checksum.hex()}.pack"
    store(pack, b"".join(chunks) + checksum)
    store(pack.with_suffix(".idx"), index)
    return pack, [(raw, where) for raw, _, where in located]


def _read_index(index: Path) -> dict[bytes, tuple[Path, int]]:
    """id -> (pack, offset) of the objects a pack's index lists (version 2; another version lists none, and its
    objects are stored again, which does no harm)."""
    data = index.read_bytes()
    if data[:8] != _INDEX_V2:
        return {}
    count = struct.unpack(">I", data[8 + 255 * 4:8 + 256 * 4])[0]
    ids = 8 + 256 * 4
    offsets = ids + 24 * count  # after the ids (20 bytes each) and their crc32s (4 each)
    large = offsets + 4 * count
    pack = index.with_suffix(".pack")
    found = [(pack, offset) if not offset & 0x80000000 else  # else over 2 GB: in the 8-byte table
             (pack, struct.unpack_from(">Q", data, large + 8 * (offset & 0x7FFFFFFF))[0])
             for offset in struct.unpack_from(f">{count}I", data, offsets)]
    return dict(zip((data[at:at + 20] for at in range(ids, ids + 20 * count, 20)), found))


def _pack_header(data: bytes) -> tuple[int, int, int]:
    """A packed object's type, size and where its compressed content starts, from its first bytes."""
    kind, size, shift, pos = (data[0] >> 4) & 7, data[0] & 0x0F, 4, 0
    while data[pos] & 0x80:
        pos += 1
        size |= (data[pos] & 0x7F) << shift
        shift += 7
    return kind, size, pos + 1
