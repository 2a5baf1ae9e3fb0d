"""Credentials in remote URLs never reach output or logs."""
from __future__ import annotations

import re

# scheme://user:password@host or scheme://token@host: everything between // and @
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<cred>[^/@\s]+)@")


def mask(text: str) -> str:
    return _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
