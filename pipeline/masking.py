"""Credentials in remote URLs never reach output or logs."""
from __future__ import annotations

import re

# scheme://user:password@host or scheme://token@host: everything between // and @
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<cred>[^/@\s]+)@")
# ssh repeats the login it tried as user:password@host in its errors (`Permission denied`), scheme gone
_LOGIN_PASSWORD = re.compile(r"(?P<user>[^\s/@:'\"]+):[^\s/@'\"]+@(?=[A-Za-z0-9\[])")


def mask(text: str) -> str:
    return _LOGIN_PASSWORD.sub(r"\g<user>:***@", _URL_CREDENTIALS.sub(r"\g<scheme>***@", text))
