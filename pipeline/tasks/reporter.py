"""doit reporter: steps print their own lines; a failure is one line on stderr, no traceback."""
from __future__ import annotations

import sys

from doit.reporter import ConsoleReporter


class MirrorReporter(ConsoleReporter):
    desc = "memory-mirror: one line per step, one line per failure"

    def execute_task(self, task):
        pass

    def skip_uptodate(self, task):
        pass

    def add_failure(self, task, fail):
        if fail.report:
            self.failures.append({"task": task, "exception": fail})
            sys.stderr.write(f"error: {fail.message}\n")

    def complete_run(self):
        if self.runtime_errors:
            sys.stderr.write("error: " + "\n".join(self.runtime_errors) + "\n")
