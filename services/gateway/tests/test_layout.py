"""The gateway's layout holds: route modules share code only through deps, schemas and the modules beside
`routes/` (never by importing one another), and every route module's router is part of the app."""

import ast
import importlib
from pathlib import Path

import mysetlist_gateway.routes
from mysetlist_gateway.app import ROUTERS

ROUTES = Path(mysetlist_gateway.routes.__file__).parent
ROUTE_MODULES = sorted(p for p in ROUTES.rglob("*.py") if p.name != "__init__.py")


def _module_name(path: Path) -> str:
    return ".".join(("mysetlist_gateway", "routes", *path.relative_to(ROUTES).with_suffix("").parts))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_route_module_imports_another() -> None:
    assert ROUTE_MODULES
    for path in ROUTE_MODULES:
        imported = _imported(path)
        assert not {n for n in imported if n.startswith("mysetlist_gateway.routes")}, path


def test_every_route_module_router_is_included() -> None:
    for path in ROUTE_MODULES:
        module = importlib.import_module(_module_name(path))
        assert module.router in ROUTERS, f"{module.__name__}.router is not in app.ROUTERS"
