"""The layers stay where the README says they are: a test reads every module's imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "pmsync"
# What each layer may import at run time (besides itself, errors and the standard library);
# `cores` says how many processes a command may use, to storage and the use cases.
ALLOWED = {
    "core": {"core"},
    "storage": {"core", "storage", "cores"},
    "service": {"core", "storage", "service", "sample", "cores"},
    "present": {"core", "present"},
    "cli": {"core", "service", "present", "cli"},
}
_SQL = re.compile(r"\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")
# The standard library's ways to reach files, processes and databases.
_IO_MODULES = {"sqlite3", "subprocess", "socket", "pathlib", "shutil", "tempfile", "os"}


def _modules(layer: str) -> list[Path]:
    return sorted((SRC / layer).glob("*.py"))


def _runtime_imports(path: Path) -> list[str]:
    """Modules imported when the module runs (not those only named for the type checker)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = []
    for path in _modules(layer):
        for name in _runtime_imports(path):
            parts = name.split(".")
            if parts[0] != "pmsync" or len(parts) < 2 or parts[1] == "errors":
                continue
            if parts[1] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(SRC)} imports {name}")
    assert not wrong, wrong


def test_no_sql_outside_storage() -> None:
    found = [
        f"{path.relative_to(SRC)}: {m.group(0)}"
        for layer in ("core", "service", "present", "cli")
        for path in _modules(layer)
        for m in _SQL.finditer(path.read_text())
    ]
    assert not found, found


def test_the_core_does_no_io_and_prints_nothing() -> None:
    wrong = []
    for path in _modules("core"):
        for name in _runtime_imports(path):
            if name.split(".")[0] in _IO_MODULES:
                wrong.append(f"{path.name} imports {name}")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if called and node.func.id in ("print", "open", "input"):  # type: ignore[attr-defined]
                wrong.append(f"{path.name} calls {node.func.id}()")  # type: ignore[attr-defined]
    assert not wrong, wrong


def test_the_cli_holds_no_use_case() -> None:
    """A command parses, calls one use case and renders: it never opens the database."""
    wrong = [
        f"{path.name}: {m.group(0)}"
        for path in _modules("cli")
        for m in re.finditer(r"\.store\(|\.reading\(|\.apply\(|Forecaster\(", path.read_text())
    ]
    assert not wrong, wrong


def test_the_checks_above_would_catch_a_breach(tmp_path: Path) -> None:
    """The import reader sees a run-time import and ignores a type-checking one."""
    sample = tmp_path / "m.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from pmsync.storage.store import Store\n"
        "if TYPE_CHECKING:\n    from pmsync.cli.app import app\n"
    )
    assert _runtime_imports(sample) == ["typing", "pmsync.storage.store"]
    assert _SQL.search('q = "SELECT id FROM deals"')
