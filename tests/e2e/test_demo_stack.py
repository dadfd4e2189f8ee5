"""The basic example through the real Pulumi CLI: up, refresh and destroy against the emulator."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PULUMI = shutil.which("pulumi")

pytestmark = pytest.mark.skipif(
    PULUMI is None,
    reason="the Pulumi CLI is not on PATH (install it from https://www.pulumi.com/docs/install/)",
)


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestBasicExample:
    def test_up_refresh_destroy(self, tmp_path: Path) -> None:
        """Creates the membership with `pulumi up`, then refreshes and destroys the stack."""
        assert PULUMI is not None
        demo = load_demo()
        outputs = demo.run_demo(PULUMI, tmp_path)
        assert outputs["email"] == "alice@example.com"
        assert outputs["status"] == "pending"
        assert str(outputs["membership_id"]).startswith(demo.ACCOUNT_ID + "/")
