"""The public blueprint: the pages citizens see and the collector their forms post to."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, g, request

from portal.i18n import DEFAULT_LANGUAGE, use_language

bp = Blueprint("public", __name__)

# Endpoints that exist in every language, at ``/path`` (German) and ``/<lang>/path``.
LOCALIZED: set[str] = set()


def page(rule: str, endpoint: str | None = None) -> Callable:
    """Register a GET page under its German path and under every other language's prefix."""

    def decorator(view: Callable) -> Callable:
        name = endpoint or view.__name__
        bp.add_url_rule(rule, name, view, defaults={"lang": DEFAULT_LANGUAGE})
        bp.add_url_rule(f"/<lang:lang>{rule}", name, view)
        LOCALIZED.add(f"{bp.name}.{name}")
        return view

    return decorator


@bp.url_value_preprocessor
def _pull_language(_endpoint: str | None, values: dict | None) -> None:
    use_language((values or {}).pop("lang", DEFAULT_LANGUAGE))


@bp.url_defaults
def _add_language(endpoint: str, values: dict) -> None:
    if endpoint in LOCALIZED:
        values.setdefault("lang", g.get("lang", DEFAULT_LANGUAGE))


@bp.app_template_global()
def language_target(code: str) -> dict:
    """Endpoint and values of this page in another language, for the template's ``url_for``.

    Pages without languages (errors, the collector) lead to the form or the start page. Returned
    unbuilt, so a frozen site's relative ``url_for`` builds it.
    """
    if request.endpoint in LOCALIZED:
        return {"endpoint": request.endpoint, **(request.view_args or {}), "lang": code}
    fallback = "public.feedback" if request.endpoint == "public.submit" else "public.index"
    return {"endpoint": fallback, "lang": code}


from portal.public import collector, pages, site_files  # noqa: E402, F401  (registers the routes)
