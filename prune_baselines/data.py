"""Data as in-memory tensors: full MNIST through ``envs.mnist`` (the WANN task's data path), or synthetic.

``load_dataset(data_dir, input_size)`` returns float32 tensors: 784 inputs (pixels/255) or 256 inputs
(16x16 deskewed, the WANN MNIST-256 form). ``data_dir=None`` means ``$WANN_MNIST_DIR``.
``Dataset.hold_out(n)`` moves the last ``n`` training images into a validation split (early stopping).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .errors import PruneError

INPUT_SIZES = {784: 28, 256: 16}


@dataclass
class Dataset:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""
    synthetic: bool = False
    """Made up by :func:`synthetic_dataset`, not MNIST (recorded in a results folder's provenance)."""
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    """The validation split held out of the training images (:meth:`hold_out`), or None."""

    def hold_out(self, n: int) -> "Dataset":
        """This dataset with its last ``n`` training images as the validation split (never trained on) and the
        first ones as the training set: deterministic, as ``wann compare --select-on validation`` (Frankle &
        Carbin hold out 5,000 of MNIST's 60,000). ``n`` = 0: nothing held out (``self``); ``n`` must leave at
        least one training image (else a PruneError)."""
        total = int(self.x_train.shape[0])
        if n == 0:
            return self
        if not 0 < n < total:
            raise PruneError(f"--validation must be in 0..{total - 1} (held out of the {total} training images), "
                             f"got {n}")
        k = total - n
        return replace(self, x_train=self.x_train[:k], y_train=self.y_train[:k], x_val=self.x_train[k:],
                       y_val=self.y_train[k:])

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_dataset(data_dir, input_size: int = 784, n_train: int | None = None,
                 n_test: int | None = None) -> Dataset:
    """Full MNIST (or its first n_train / n_test images) as float32 / int64 tensors."""
    if input_size not in INPUT_SIZES:
        raise PruneError(f"--input must be 784 (28x28) or 256 (16x16 deskewed), got {input_size}")
    try:
        from envs.mnist import MnistDataError, load_mnist
    except ImportError as exc:  # envs is part of the same distribution; say so clearly if it is missing
        raise PruneError(f"cannot import envs.mnist ({exc}); install the wann package (pip install -e .)") from exc
    size = INPUT_SIZES[input_size]
    try:
        xtr, ytr = load_mnist(data_dir, split="train", size=size)
        xte, yte = load_mnist(data_dir, split="test", size=size)
    except MnistDataError as exc:
        raise PruneError(str(exc)) from exc
    if n_train:
        xtr, ytr = xtr[:n_train], ytr[:n_train]
    if n_test:
        xte, yte = xte[:n_test], yte[:n_test]
    return Dataset(torch.as_tensor(np.asarray(xtr, dtype=np.float32)), torch.as_tensor(np.asarray(ytr, dtype=np.int64)),
                   torch.as_tensor(np.asarray(xte, dtype=np.float32)), torch.as_tensor(np.asarray(yte, dtype=np.int64)),
                   name=f"mnist{input_size}")


def synthetic_dataset(n_train: int = 2000, n_test: int = 500, n_inputs: int = 20, n_classes: int = 4,
                      seed: int = 0) -> Dataset:
    """A learnable toy task: inputs uniform in [0, 1], labels from a random linear teacher."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n_inputs, n_classes))
    def make(n: int):
        x = rng.uniform(size=(n, n_inputs))
        y = np.argmax((x - 0.5) @ w, axis=1)
        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)
    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return Dataset(xtr, ytr, xte, yte, name="synthetic", synthetic=True)
