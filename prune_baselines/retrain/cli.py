"""Command line of a retraining study: ``wann retrain --model convnet --prune-ratios 0.5 --arms
finetune,scratch_e,scratch_b,early_bird --seeds 3`` (also ``python -m prune_baselines.retrain``).

Every flag's text is parsed and checked against :class:`~.settings.RetrainConfig` (one-line errors naming the
flag, exit status 2) before anything is read or written.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from pydantic import ValidationError

from ..errors import PruneError, invalid
from ..train import OPTIMIZERS
from .settings import ARMS, MODELS, RetrainConfig
from .structures import STRUCTURES

LISTS = ("prune_ratios", "arms", "seeds")
OWN = ("data_dir", "synthetic", "out", "threads", "quiet")
"""Flags of the command line, not of the study."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise PruneError(message)


def parser(prog: str) -> argparse.ArgumentParser:
    p = _Parser(prog=prog, description="Retrain pruned networks on MNIST: fine-tuning, the one-shot lottery ticket, "
                                       "Scratch-E / Scratch-B (Liu et al. 2019) and Early-Bird tickets (You et al. "
                                       "2020), for weights or units of LeNet-300-100 or channels of a small conv net.")
    a = p.add_argument
    a("--model", choices=MODELS, help="lenet300 (default) or convnet (LeNet-5-like with batch norm)")
    a("--structure", choices=list(STRUCTURES), help="what is pruned: weights or units (lenet300; default units), "
      "channels (convnet, by |BN gamma|)")
    a("--input", help="784 (default) or 256 (lenet300 only)")
    a("--prune-ratios", help="fractions of weights/units/channels removed, comma list (default 0.5)")
    a("--arms", help=f"comma list of {', '.join(ARMS)} (default finetune,scratch_e,scratch_b)")
    a("--seeds", help="number of seeds (3 -> 0,1,2) or a comma list")
    a("--epochs", help="the large model's epochs, and Scratch-E's and the ticket's (default 5)")
    a("--finetune-epochs", help="fine-tuning and Early-Bird retraining epochs (default a quarter of --epochs)")
    a("--finetune-lr", help="fine-tuning and Early-Bird retraining lr (default --lr)")
    a("--scratch-b-cap", help="Scratch-B's epochs at most this x --epochs (default 2, Liu et al. on ImageNet; 0: none)")
    a("--bn-l1", help="convnet: L1 penalty on BN scales while training the large model (default 1e-4)")
    a("--eb-window", help="early_bird: masks the emergence rule compares (default 5)")
    a("--eb-eps", help="early_bird: the rule's distance threshold (default 0.1)")
    a("--batch-size", help="minibatch size (default 60)")
    a("--lr", help="learning rate (default 1.2e-3)")
    a("--optimizer", choices=OPTIMIZERS, help="adam (default) or sgd (with --momentum)")
    a("--momentum", help="SGD momentum (default 0.9)")
    a("--weight-decay", help="L2 penalty on weights (default 0)")
    a("--n-train", help="use only the first N training images (default all)")
    a("--n-test", help="use only the first N test images (default all)")
    a("--data-dir", help="MNIST IDX folder (default $WANN_MNIST_DIR)")
    a("--synthetic", action="store_true", default=None, help="a small synthetic task instead of MNIST (smoke tests)")
    a("--out", help="results folder (default runs/retrain/<model>_<structure>_<optimizer>_lr<lr>)")
    a("--threads", help="torch threads (default 1)")
    a("--quiet", action="store_true", default=None, help="no progress lines on stderr")
    return p


def settings(args: argparse.Namespace) -> RetrainConfig:
    """The study's settings from the flags' text (lists split on commas, ``--seeds N`` a count)."""
    given = {k: v for k, v in vars(args).items() if v is not None and k not in OWN}
    values = {}
    for k, v in given.items():
        if k in LISTS and isinstance(v, str):
            v = int(v) if k == "seeds" and v.strip().isdecimal() else [s for s in v.split(",") if s.strip()]
        values[k] = v
    try:
        return RetrainConfig.model_validate(values, strict=False)
    except ValidationError as exc:
        raise invalid(exc, given, lambda key: "--" + key.replace("_", "-")) from None


def main(argv: list[str] | None = None, prog: str = "python -m prune_baselines.retrain") -> int:
    """Parse ``argv`` and run the study; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser(prog).parse_args(argv)
        cfg = settings(args)
        threads = int(args.threads or 1)
        if threads < 1:
            raise PruneError(f"--threads must be >= 1, got {threads}")
        return _run(cfg, args, threads, argv)
    except PruneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # --threads that is not a number
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished points are saved; run the same command to resume", file=sys.stderr)
        return 130


def _run(cfg: RetrainConfig, args: argparse.Namespace, threads: int, argv: list[str]) -> int:
    import torch

    from ..data import load_dataset, synthetic_dataset
    from ..train import stderr_log
    from .study import run_study
    from .tables import summary

    torch.set_num_threads(threads)
    if args.synthetic:
        data = synthetic_dataset(n_train=cfg.n_train or 2000, n_test=cfg.n_test or 500, n_inputs=cfg.input)
    else:
        data = load_dataset(args.data_dir, cfg.input, n_train=cfg.n_train or None, n_test=cfg.n_test or None)
    out = Path(args.out or Path("runs") / "retrain" / f"{cfg.model}_{cfg.structure}_{cfg.optimizer}_lr{cfg.lr:g}")
    records = run_study(cfg, data, out, command="wann retrain " + " ".join(shlex.quote(a) for a in argv),
                        log=None if args.quiet else stderr_log, progress=not args.quiet)
    print(summary(records))
    print(f"results in {out}")
    return 0
