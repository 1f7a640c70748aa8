"""``wann compare``, ``wann prune`` and ``wann retrain``: evolved WANNs against pruned networks (``wann.compare``),
and the pruning baselines' own commands (``prune_baselines`` parses their flags)."""
from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path

from wann.cli.common import say
from wann.errors import UserError

SERIES = (-2, -1, -0.5, 0.5, 1, 2)


def register(sub) -> None:
    """Add ``compare`` and ``prune`` (whose flags ``prune_baselines`` parses: torch loads only when it runs)."""
    p = sub.add_parser("compare", help="WANN champions vs pruned networks: accuracy against connections")
    p.add_argument("--wann", action="append", default=[], metavar="RUN_DIR",
                   help="a WANN run folder or champion file of task mnist256 (repeatable); a `wann tune` output "
                        "<champion>.tuned.json beside it adds the trained-weights evaluation")
    p.add_argument("--baselines", action="append", default=[], metavar="PRUNE_DIR",
                   help="a prune_baselines results folder (repeatable)")
    p.add_argument("--out", default="compare", help="output folder (default ./compare)")
    p.add_argument("--data-dir", default="", help="MNIST IDX folder (default $WANN_MNIST_DIR)")
    p.add_argument("--weights", default=",".join(str(w) for w in SERIES),
                   help="shared-weight series, comma list (default -2,-1,-0.5,0.5,1,2)")
    p.add_argument("--max-connections", type=int, default=0,
                   help="skip pruned points with more weights than this (0 = keep all)")
    p.add_argument("--no-controls", action="store_true", help="skip the untrained random-mask controls")
    p.add_argument("--select-on", choices=["test", "validation"], default="test",
                   help="where 'best' chooses the shared weight: the test images (default; optimistic, as the paper "
                        "reports WANNs) or a validation split held out of the training images")
    p.add_argument("--validation-size", type=int,
                   help="with --select-on validation: the last N of the 60,000 training images (default 5000)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)

    pr = sub.add_parser("prune", add_help=False,
                        help="prune dense networks on MNIST (lottery tickets and the other methods of "
                             "prune_baselines: wann prune --help)")
    pr.set_defaults(func=cmd_prune, passes_flags_on=True)
    rt = sub.add_parser("retrain", add_help=False,
                        help="retrain pruned networks: fine-tune, lottery ticket, Scratch-E/B, Early-Bird, for "
                             "weights/units of LeNet-300-100 or channels of a conv net (wann retrain --help)")
    rt.set_defaults(func=cmd_retrain, passes_flags_on=True)


def _weights(text: str) -> list[float]:
    try:
        ws = [float(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise UserError(f"--weights must be a comma list of numbers, got {text!r}") from None
    if not ws:
        raise UserError("--weights is empty; give e.g. --weights -2,-1,-0.5,0.5,1,2")
    return ws


def cmd_compare(args: argparse.Namespace) -> int:
    from wann.compare.comparison import load_networks, write_comparison
    from wann.progress import bar

    t0 = time.perf_counter()
    if args.validation_size is not None and args.select_on != "validation":
        raise UserError("--validation-size goes with --select-on validation (the split 'best' chooses w on)")
    validation = (args.validation_size or 5000) if args.select_on == "validation" else 0
    if args.select_on == "validation" and not 1 <= validation <= 30000:
        raise UserError(f"--validation-size {validation}: give 1..30000 held-out training images")
    nets = load_networks(args.wann, args.baselines, args.max_connections, controls=not args.no_controls)
    weights = _weights(args.weights)
    print(f"comparing {len(nets)} networks under {len(weights)} shared weights", flush=True)
    with bar(len(nets), "compare", args.quiet, unit="network") as progress:
        table, written = write_comparison(nets, Path(args.out), args.data_dir, weights,
                                          "wann " + " ".join(shlex.quote(a) for a in args.argv), say, t0,
                                          progress.update, validation)
    print(table)
    print(f"wrote {written[0]}, {written[1]}, {written[2]}, " + ", ".join(str(f) for f in written[3:]))
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from wann.compare.prune_command import run

    return run(args.flags)


def cmd_retrain(args: argparse.Namespace) -> int:
    from prune_baselines.retrain.cli import main

    return main(args.flags, prog="wann retrain")
