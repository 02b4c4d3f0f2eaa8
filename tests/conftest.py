"""Shared fixtures: the toy simulator of the live-reward tests, and the paper's data directory
(found next to the checkout, ../shared/paper)."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_toy import ToySimulator

PAPER_DIR = Path(__file__).resolve().parents[2] / "shared" / "paper"


@pytest.fixture(scope="session")
def sim() -> ToySimulator:
    """The toy simulator (``tests/live_toy.py``): a fast, deterministic test double of the
    simulator protocol for the live-reward, sweep and store tests (``test_simulator.py`` tests
    the embedded simulator under its own fixture, ``embedded``)."""
    return ToySimulator()


@pytest.fixture(scope="session")
def paper_dir() -> Path:
    if not (PAPER_DIR / "reward_db.json").exists():
        pytest.skip(f"the authors' release is not at {PAPER_DIR}")
    return PAPER_DIR


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits, train split: the small real task the Task2Vec tests embed."""
    from t2s_env.datasets import load_dataset

    return load_dataset("digits").train
