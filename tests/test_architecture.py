"""The shape of the code: rooms in admin/, dependencies pointing one way (docs/architecture.md)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import admin

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every module ``path`` imports, and whether only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in typing_only) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, id(node) in typing_only))
    return found


@pytest.mark.parametrize("package", ["portal", "cards"])
def test_the_core_and_the_cards_never_import_the_admin_area(package):
    """Only the app factory wires the admin area in; type hints may name its models."""
    offenders = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for module, typing_only in _imports(path)
        if (module == "admin" or module.startswith("admin."))
        and not typing_only
        and path != ROOT / "portal" / "__init__.py"
    ]
    assert offenders == []


def test_every_room_is_a_package_listed_once_with_its_blueprint_registered(app):
    rooms = sorted(
        path.name for path in (ROOT / "admin").iterdir() if (path / "__init__.py").is_file()
    )
    assert sorted(admin.ROOMS) == rooms
    assert len(set(admin.ROOMS)) == len(admin.ROOMS)
    for room in admin.ROOMS:
        if (ROOT / "admin" / room / "views.py").is_file():
            views = importlib.import_module(f"admin.{room}.views")
            assert f"admin.{views.bp.name}" in app.blueprints


def test_rooms_never_import_another_rooms_views():
    """One room calls another's service or query, never its views (or its CLI)."""
    offenders = []
    for room in admin.ROOMS:
        for path in sorted((ROOT / "admin" / room).glob("*.py")):
            for module, _typing_only in _imports(path):
                parts = module.split(".")
                if (
                    len(parts) == 3
                    and parts[0] == "admin"
                    and parts[1] != room
                    and parts[2] in ("views", "cli")
                ):
                    offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == []


def test_admin_templates_live_in_their_rooms():
    flat = sorted(
        path.name
        for path in (ROOT / "templates" / "admin").glob("*.html")
        if path.name not in ("base.html", "error.html", "placeholder.html", "_fields.html")
    )
    assert flat == []
