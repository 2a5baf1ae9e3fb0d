"""Credentials that look real to the secret scan (made from parts, so this file holds none whole), and what origin
holds, to look for them."""
from __future__ import annotations

import random
import string

from conftest import git


def aws_key() -> str:
    rng = random.Random(7)
    return "AK" + "IA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def github_token() -> str:
    rng = random.Random(8)
    return "gh" + "p_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def every_blob_on(origin) -> str:
    """The content of every file in every commit of every ref on origin, concatenated."""
    blobs = set()
    for commit in git("rev-list", "--all", cwd=origin).split():
        for line in git("ls-tree", "-r", commit, cwd=origin).splitlines():
            blobs.add(line.split()[2])
    return "\n".join(git("cat-file", "-p", blob, cwd=origin) for blob in sorted(blobs))
