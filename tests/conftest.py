"""Shared fixtures. The paper's data directory is found next to the checkout (../shared/paper)."""

from __future__ import annotations

from pathlib import Path

import pytest

PAPER_DIR = Path(__file__).resolve().parents[2] / "shared" / "paper"


@pytest.fixture(scope="session")
def paper_dir() -> Path:
    if not (PAPER_DIR / "reward_db.json").exists():
        pytest.skip(f"the authors' release is not at {PAPER_DIR}")
    return PAPER_DIR
