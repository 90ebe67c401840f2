"""Logging without client addresses: the development server would otherwise log every IP."""

from __future__ import annotations

import logging
import re

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
