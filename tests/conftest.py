"""Shared fixtures: the MNIST folder used by tests (never downloaded)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The IDX folder: $WANN_MNIST_DIR, else ../shared/data/mnist beside the repository.

    Missing data skips the test with the reason, unless ``WANN_REQUIRE_DATA=1`` (CI sets it): then it fails."""
    path = Path(os.environ.get("WANN_MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))
    if not (path / "train-images-idx3-ubyte.gz").exists() and not (path / "train-images-idx3-ubyte").exists():
        why = (f"MNIST IDX files not found in {path}: set WANN_MNIST_DIR to the folder of the four IDX files "
               "(train/t10k images and labels, .gz or not)")
        if os.environ.get("WANN_REQUIRE_DATA") == "1":
            pytest.fail(why + " (WANN_REQUIRE_DATA=1: the data is required here)")
        pytest.skip(why)
    return path
