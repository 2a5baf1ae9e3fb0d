"""Logs under $AGENTIHOOKS_HOME/logs/: every command and step outcome, credentials masked."""
from __future__ import annotations

import logging
from pathlib import Path

from pipeline.masking import mask

LOGGER = "memory_mirror"
LOG_NAME = "sync-daemon.log"  # the spec's "pull tick" log: every tick, whoever runs it, logs here


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def setup_logging(log_file: Path) -> logging.Logger:
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.DEBUG)
    if not any(getattr(h, "baseFilename", None) == str(log_file) for h in logger.handlers):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(_MaskingFormatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
    return logger
