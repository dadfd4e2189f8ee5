"""The emulator package's public surface and its independence from the rest of the project."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import cloudflare_user_groups.emulator as emulator_package

PACKAGE_DIR = Path(emulator_package.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name a source file imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


class TestPackage:
    def test_all_is_sorted_and_public(self) -> None:
        """Exports a sorted __all__ naming the documented public classes."""
        assert emulator_package.__all__ == sorted(emulator_package.__all__)
        assert {"Emulator", "Fault", "RecordedRequest"} <= set(emulator_package.__all__)
        for name in ("Emulator", "Fault", "RecordedRequest"):
            assert getattr(emulator_package, name).__module__.startswith(
                "cloudflare_user_groups.emulator."
            )

    def test_imports_only_the_standard_library(self) -> None:
        """Imports nothing but the standard library and its own modules, to stay an oracle."""
        sources = sorted(PACKAGE_DIR.glob("*.py"))
        assert len(sources) >= 3
        for source in sources:
            for module in imported_modules(source):
                top = module.split(".")[0]
                own = module == "cloudflare_user_groups.emulator" or module.startswith(
                    "cloudflare_user_groups.emulator."
                )
                assert own or top in sys.stdlib_module_names or top == "__future__", (
                    f"{source.name} imports {module}"
                )

    def test_docstring_documents_every_fault_kind_and_code(self) -> None:
        """Names every fault kind and the emulator-chosen error codes in the package docstring."""
        doc = emulator_package.__doc__ or ""
        for kind in ("json", "html", "truncated", "success_false", "drop_before", "drop_after"):
            assert f"``{kind}``" in doc
        for code in ("1001", "1002", "1003", "1004", "1005", "1006", "1007", "7001", "971"):
            assert code in doc
