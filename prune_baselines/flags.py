"""What the command lines of prune_baselines share (``wann prune``, ``wann retrain``): the parser whose usage
errors are PruneErrors, the training and data flags, the data they name, and how a command ends."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from .errors import PruneError
from .train import OPTIMIZERS


class Parser(argparse.ArgumentParser):
    """Usage errors become PruneErrors, printed like every other error: one line, status 2."""

    def error(self, message: str):
        raise PruneError(message)


def add_training_flags(a: Callable) -> None:
    """The optimiser's flags (``a`` = ``parser.add_argument``); values stay text, checked by the settings."""
    a("--batch-size", help="minibatch size (default 60)")
    a("--lr", help="learning rate (default 1.2e-3)")
    a("--optimizer", choices=OPTIMIZERS, help="adam (default) or sgd (with --momentum)")
    a("--momentum", help="SGD momentum in [0, 1) (default 0.9)")
    a("--weight-decay", help="L2 penalty on surviving weights only (default 0)")


def add_data_flags(a: Callable, out_default: str) -> None:
    """The data, output and process flags (``a`` = ``parser.add_argument``)."""
    a("--n-train", help="use only the first N training images (default all)")
    a("--n-test", help="use only the first N test images (default all)")
    a("--data-dir", help="MNIST IDX folder (default $WANN_MNIST_DIR)")
    a("--synthetic", action="store_true", default=None, help="a small synthetic task instead of MNIST (smoke tests)")
    a("--out", help=f"results folder (default {out_default})")
    a("--threads", help="torch threads (default 1)")
    a("--quiet", action="store_true", default=None, help="no progress lines on stderr")


def dataset(synthetic: bool, data_dir: str | None, input_size: int, n_train: int, n_test: int):
    """The synthetic task or MNIST (first ``n_train`` / ``n_test`` images; 0 = all), as a Dataset."""
    from .data import load_dataset, synthetic_dataset

    if synthetic:
        return synthetic_dataset(n_train=n_train or 2000, n_test=n_test or 500, n_inputs=input_size)
    return load_dataset(data_dir, input_size, n_train=n_train or None, n_test=n_test or None)


def finish(run: Callable[[], int]) -> int:
    """``run()``'s status; a PruneError as one line ``error: ...`` and status 2; Ctrl-C as status 130."""
    try:
        return run()
    except PruneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished points are saved; run the same command to resume", file=sys.stderr)
        return 130
