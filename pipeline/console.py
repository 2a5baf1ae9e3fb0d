"""Our output to the terminal, which may be a pipe whose reader has gone (`memory-sync status | head`)."""
from __future__ import annotations

import os
import sys

EXIT_PIPE_CLOSED = 141  # what a shell reports for a program ended by SIGPIPE


def detach_stdout() -> None:
    """The reader went away: what is left to print goes nowhere, and the work goes on, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def echo(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        detach_stdout()
