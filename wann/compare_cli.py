"""``wann compare``: evolved WANNs against pruned networks (table CSV + Markdown, figure, JSON)."""
from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

from wann.errors import UserError
from wann.io import write_atomic, write_json


def register(sub) -> None:
    """Add ``compare`` to the ``wann`` parser."""
    p = sub.add_parser("compare", help="WANN champions vs pruned networks: accuracy against connections")
    p.add_argument("--wann", action="append", default=[], metavar="RUN_DIR",
                   help="a WANN run folder or champion file of task mnist256 (repeatable); a `wann tune` output "
                        "<champion>.tuned.json beside it adds the trained-weights evaluation")
    p.add_argument("--baselines", action="append", default=[], metavar="PRUNE_DIR",
                   help="a prune_baselines results folder (repeatable)")
    p.add_argument("--out", default="compare", help="output folder (default ./compare)")
    p.add_argument("--data-dir", default="", help="MNIST IDX folder (default $WANN_MNIST_DIR)")
    p.add_argument("--weights", default=",".join(str(w) for w in (-2, -1, -0.5, 0.5, 1, 2)),
                   help="shared-weight series, comma list (default -2,-1,-0.5,0.5,1,2)")
    p.add_argument("--max-connections", type=int, default=0,
                   help="skip pruned points with more weights than this (0 = keep all)")
    p.add_argument("--no-controls", action="store_true", help="skip the untrained random-mask controls")
    p.set_defaults(func=cmd_compare)


def _weights(text: str) -> list[float]:
    try:
        ws = [float(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise UserError(f"--weights must be a comma list of numbers, got {text!r}") from None
    if not ws:
        raise UserError("--weights is empty; give e.g. --weights -2,-1,-0.5,0.5,1,2")
    return ws


def cmd_compare(args: argparse.Namespace) -> int:
    from wann import compare as cmp

    if not args.wann and not args.baselines:
        raise UserError("give at least one --wann RUN_DIR or --baselines PRUNE_DIR")
    weights = _weights(args.weights)
    t0 = time.perf_counter()
    nets = []
    for path in args.wann:
        if not Path(path).exists():
            raise UserError(f"--wann {path}: no such run folder or champion file")
        nets += cmp.wann_networks(path)
    for folder in args.baselines:
        nets += cmp.pruned_networks(folder, args.max_connections, controls=not args.no_controls)
    if not nets:
        raise UserError("no networks to compare (is --max-connections below every pruned point?)")
    print(f"comparing {len(nets)} networks under {len(weights)} shared weights", flush=True)
    rows = cmp.compare(nets, lambda n: cmp.mnist_test_set(args.data_dir, n), weights,
                       say=lambda s: print(f"  {s}", flush=True))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    provenance = {"command": "wann " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "weights": weights,
                  "data_dir": args.data_dir, "python": platform.python_version(),
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "wall_s": time.perf_counter() - t0}
    doc = cmp.report(rows, nets, provenance)
    write_json(out / "compare.json", doc)
    write_atomic(out / "compare.csv", cmp.rows_csv(rows))
    budgets = cmp.markdown_budgets(doc["summary"])
    write_atomic(out / "compare.md", (f"At the best WANN's size and 2×, 5×, 10× of it (nearest point of each series "
                                      f"within 1.3×):\n\n{budgets}\nAll points:\n\n" if budgets else "")
                 + cmp.markdown(doc["summary"]) + "\nShared weight, accuracy (%) per w (mean over seeds):\n\n"
                 + cmp.markdown_weights(doc["summary"]))
    figs = cmp.plot(doc["summary"], out / "compare")
    print(budgets or cmp.markdown(doc["summary"]))
    print(f"wrote {out / 'compare.csv'}, {out / 'compare.md'}, {out / 'compare.json'}, "
          + ", ".join(str(f) for f in figs))
    return 0
