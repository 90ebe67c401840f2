"""Extensions, created unbound here and bound to an app in ``create_app``."""

from flask_babel import Babel

from portal.db import Database
from portal.ratelimit import limiter

db = Database()
babel = Babel()

__all__ = ["babel", "db", "limiter"]
