"""doit's dependency database, kept in memory: every tick step is always run (`uptodate: [False]`), so doit has
nothing worth remembering between runs, and a file it kept could only land in the wrong directory or be left
torn by a crash and fail every later tick."""
from __future__ import annotations

from doit.dependency import JsonDB


class MemoryDB(JsonDB):
    desc = "in memory only: nothing is written"

    def __init__(self, name, codec, *, module_name=None):
        self.name = name
        self.codec = codec
        self._db = {}

    def dump(self):
        pass
