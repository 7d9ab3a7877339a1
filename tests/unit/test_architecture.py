"""The shape of the code, read from the source: services that do not reach into each
other, and modules small enough to read in one sitting."""

from __future__ import annotations

import ast
import statistics
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("services.command", "services.projector", "services.query")
"""Each of these may import `shared` and itself, never another of them. The launchers
(services.cli, services.dev) start them all and are not among them."""
MAX_LINES = 300
MEDIAN_BELOW = 70


def modules(*packages: str) -> Iterator[tuple[str, Path]]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imported(name: str, path: Path) -> Iterator[str]:
    """Every module `path` imports, at its top or inside a function, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def service_of(module: str) -> str | None:
    return next((s for s in SERVICES if module == s or module.startswith(f"{s}.")), None)


def line_counts() -> dict[str, int]:
    """Lines of every non-empty module of services/ and shared/."""
    counts = {}
    for name, path in modules("services", "shared"):
        text = path.read_text()
        if text.strip():
            counts[name] = len(text.splitlines())
    return counts


def test_no_service_imports_another() -> None:
    crossings = sorted(
        f"{name} imports {target}"
        for name, path in modules(*(s.replace(".", "/") for s in SERVICES))
        for target in imported(name, path)
        if (other := service_of(target)) is not None and other != service_of(name)
    )
    assert crossings == []


def test_no_module_is_over_300_lines() -> None:
    long = {name: n for name, n in line_counts().items() if n > MAX_LINES}
    assert long == {}


def test_the_median_module_is_under_70_lines() -> None:
    counts = line_counts()
    median = statistics.median(counts.values())
    assert median < MEDIAN_BELOW, f"the median of {len(counts)} modules is {median} lines"
