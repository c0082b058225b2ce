"""Every example under docs/examples/ runs and its own assertions hold.

Docs pages include these files, so what a reader copies is what this test executed.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
EXAMPLE_FILES = sorted(p for p in EXAMPLES.rglob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[str(p.relative_to(EXAMPLES)) for p in EXAMPLE_FILES])
def test_docs_example_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Examples may write files (a SQLite database, a static directory): keep them in tmp_path.
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(path.parent))
    runpy.run_path(str(path), run_name="__main__")
