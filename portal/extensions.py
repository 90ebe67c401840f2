"""Extensions, created unbound here and bound to an app in ``create_app``."""

from flask_babel import Babel
from flask_wtf import CSRFProtect

from portal.db import Database
from portal.ratelimit import limiter

db = Database()
babel = Babel()
csrf = CSRFProtect()

__all__ = ["babel", "csrf", "db", "limiter"]
