"""The one runner for every external command: logged, masked, and shown instead of run in a dry run."""
from __future__ import annotations

import logging
import os
import queue
import shlex
import threading
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import sh

from pipeline.console import echo
from pipeline.errors import FatalError
from pipeline.masking import mask

log = logging.getLogger("memory_mirror.cmd")
OUTPUT_CHUNK = 65536


class CalledProcessError(FatalError):
    def __init__(self, cmd: Sequence[str], code: int, stdout: bytes, stderr: bytes, hint: str = ""):
        self.cmd = tuple(cmd)
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        def indented(data: bytes) -> str:
            text = data.decode("utf-8", "replace").rstrip()
            return "\n".join("    " + line for line in text.splitlines()) or "    (none)"

        code = f"killed by signal {-self.code}" if self.code < 0 else f"return code: {self.code}"
        msg = f"command failed: {format_cmd(self.cmd)}\n  {code}\n  stderr:\n{indented(self.stderr)}"
        if self.hint:
            msg = f"{self.hint}\n{msg}"
        return mask(msg)

    @property
    def stderr_text(self) -> str:
        return mask(self.stderr.decode("utf-8", "replace").strip())


def format_cmd(cmd: Sequence[str]) -> str:
    return mask(shlex.join(str(part) for part in cmd))


@dataclass(frozen=True)
class Result:
    code: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "surrogateescape")


@dataclass
class Runner:
    """Runs commands. In a dry run, commands marked `mutating` are printed and not run."""

    dry_run: bool = False
    echo: Callable[[str], None] = echo

    def run(
        self,
        *cmd: str,
        cwd: str | os.PathLike | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        mutating: bool = False,
        hint: str = "",
    ) -> Result:
        line = format_cmd(cmd)
        if mutating and self.dry_run:
            self.echo(f"  would run: {line}")
            return Result(0, b"", b"")
        log.debug("run: %s", line)
        try:
            program = sh.Command(cmd[0])
        except sh.CommandNotFound:
            raise FatalError(f"{cmd[0]} not found on PATH. Install it, then run again.") from None
        # every exit status is ours to judge, a negative one (killed by a signal) included: sh would raise for it.
        # Output is only collected, never handed over line by line: sh's default line buffering costs about 15 µs
        # a line (0.15 s for rsync's list of 10,000 copied files)
        kwargs = dict(_tty_out=False, _return_cmd=True, _ok_code=range(-64, 256), _env=dict(env or os.environ),
                      _out_bufsize=OUTPUT_CHUNK, _err_bufsize=OUTPUT_CHUNK)
        if cwd is not None:
            kwargs["_cwd"] = os.fspath(cwd)
        if stdin is not None:
            kwargs["_in"] = stdin
        done = program(*cmd[1:], **kwargs)
        result = Result(done.exit_code, done.stdout, done.stderr)
        if check and result.code != 0:
            raise CalledProcessError(cmd, result.code, result.stdout, result.stderr, hint)
        return result

    def start(self, *cmd: str, cwd: str | os.PathLike | None = None,
              env: Mapping[str, str] | None = None) -> "Session":
        """A command that stays up to be asked many questions over stdin (a reader: it runs in a dry run too)."""
        log.debug("start: %s", format_cmd(cmd))
        try:
            program = sh.Command(cmd[0])
        except sh.CommandNotFound:
            raise FatalError(f"{cmd[0]} not found on PATH. Install it, then run again.") from None
        requests: queue.Queue = queue.Queue()
        out, err = _Stream(), _Stream()
        kwargs = dict(_bg=True, _in=requests, _out=out, _err=err, _out_bufsize=1, _err_bufsize=1, _tty_out=False,
                      _ok_code=range(-64, 256), _env=dict(env or os.environ), _done=lambda *_: out.finish())
        if cwd is not None:
            kwargs["_cwd"] = os.fspath(cwd)
        return Session(cmd, program(*cmd[1:], **kwargs), requests, out, err)

    def has(self, program: str) -> bool:
        try:
            sh.Command(program)
        except sh.CommandNotFound:
            return False
        return True


class _Stream:
    """A session's output as sh hands it over (raw bytes: an object with `write` and no `encoding`), taken by
    the asking thread as it arrives."""

    def __init__(self):
        self.data = bytearray()
        self.start = 0  # what was taken stays until it is worth dropping: a cut per answer would copy the rest
        self.ended = False
        self.changed = threading.Condition()

    def write(self, chunk: bytes) -> None:
        with self.changed:
            self.data += chunk
            self.changed.notify_all()

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def take(self, end_of: Callable[[bytearray, int], int]) -> bytes | None:
        """The output from where the last take ended up to `end_of(data, start)` (-1: not there yet), once it has
        arrived; None when the command ended first."""
        with self.changed:
            while (end := end_of(self.data, self.start)) < 0:
                if self.ended:
                    return None
                self.changed.wait()
            chunk = bytes(self.data[self.start:end])
            self.start = end
            if self.start > len(self.data) // 2:
                del self.data[:self.start]
                self.start = 0
            return chunk


class Session:
    """One process of a long-lived command, spoken to in requests (lines on its stdin) and answers."""

    def __init__(self, cmd: Sequence[str], process, requests: queue.Queue, out: _Stream, err: _Stream):
        self.cmd = tuple(cmd)
        self._process = process
        self._requests = requests
        self._out = out
        self._err = err

    def ask(self, request: bytes) -> None:
        self._requests.put(request)

    def line(self) -> bytes:
        """The next line of the answers, without its newline."""
        return self._answer(lambda data, start: data.find(b"\n", start) + 1 or -1)[:-1]

    def read(self, size: int) -> bytes:
        return self._answer(lambda data, start: start + size if len(data) >= start + size else -1)

    def _answer(self, end_of: Callable[[bytearray], int]) -> bytes:
        chunk = self._out.take(end_of)
        if chunk is None:
            self.close()
            raise CalledProcessError(self.cmd, self._process.exit_code or -1, bytes(self._out.data[self._out.start:]),
                                     bytes(self._err.data))
        return chunk

    def close(self) -> None:
        """End it: its stdin closes, and it exits."""
        self._requests.put(None)
        self._process.wait()
