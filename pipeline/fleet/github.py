"""Is the remote on GitHub, and which repository: from the URL alone (ssh, scp-like or https form)."""
from __future__ import annotations

import re

_GITHUB_URL = re.compile(
    r"^(?:git@github\.com:|ssh://git@github\.com/|https://(?:[^@/]+@)?github\.com/)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def github_repo(url: str) -> str | None:
    """'owner/name' for a github.com remote URL, None for any other remote."""
    match = _GITHUB_URL.match(url.strip())
    return f"{match['owner']}/{match['name']}" if match else None
