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
from ..flags import Parser, add_data_flags, add_training_flags, dataset, finish
from .settings import ARMS, MODELS, RetrainConfig
from .structures import STRUCTURES

LISTS = ("prune_ratios", "arms", "seeds")
OWN = ("data_dir", "synthetic", "out", "threads", "quiet")
"""Flags of the command line, not of the study."""


def parser(prog: str) -> argparse.ArgumentParser:
    p = Parser(prog=prog, description="Retrain pruned networks on MNIST: fine-tuning, the one-shot lottery ticket, "
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
    add_training_flags(a)
    add_data_flags(a, "runs/retrain/<model>_<structure>_<optimizer>_lr<lr>")
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

    def run() -> int:
        args = parser(prog).parse_args(argv)
        cfg = settings(args)
        threads = args.threads or "1"
        if not threads.isdecimal() or int(threads) < 1:
            raise PruneError(f"--threads must be an integer >= 1, got {threads!r}")
        return _run(cfg, args, int(threads), argv)
    return finish(run)


def _run(cfg: RetrainConfig, args: argparse.Namespace, threads: int, argv: list[str]) -> int:
    import torch

    from ..train import stderr_log
    from .study import run_study
    from .tables import summary

    torch.set_num_threads(threads)
    data = dataset(bool(args.synthetic), args.data_dir, cfg.input, cfg.n_train, cfg.n_test)
    out = Path(args.out or Path("runs") / "retrain" / f"{cfg.model}_{cfg.structure}_{cfg.optimizer}_lr{cfg.lr:g}")
    records = run_study(cfg, data, out, command="wann retrain " + " ".join(shlex.quote(a) for a in argv),
                        log=None if args.quiet else stderr_log, progress=not args.quiet)
    print(summary(records))
    print(f"results in {out}")
    return 0
