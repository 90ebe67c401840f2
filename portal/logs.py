"""Logging without client addresses: the development server would otherwise log every IP.

Flask-Limiter's warnings (its storage unreachable, the fallback in use) reach the server's error
log: the library gives its logger only a NullHandler, which would swallow them.
"""

from __future__ import annotations

import logging
import re

from flask.logging import default_handler

# werkzeug's request log line starts with the client address: '127.0.0.1 - - [date] "GET / …'.
_ADDRESS = re.compile(r"^\S+ - - ")


class DropClientAddress(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _ADDRESS.sub("- - - ", record.msg)
        return True


def init_app(_app) -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropClientAddress) for f in logger.filters):
        logger.addFilter(DropClientAddress())
    limiter_logger = logging.getLogger("flask-limiter")
    if not _writes_somewhere(limiter_logger):
        limiter_logger.addHandler(default_handler)


def _writes_somewhere(logger: logging.Logger | None) -> bool:
    """Whether a handler other than a NullHandler would see the logger's records."""
    while logger is not None:
        if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
            return True
        logger = logger.parent if logger.propagate else None
    return False
