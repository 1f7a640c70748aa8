"""``wann export``: a champion as network JSON, torch (.pt2), ONNX or GraphML (``wann.export``)."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from wann.cli.common import beside
from wann.errors import UserError
from wann.io import write_json
from wann.rundir import load_champion
from wann.tasks import io_names

SUFFIX = {"json": ".network.json", "torch": ".pt2", "onnx": ".onnx", "graphml": ".graphml"}


def register(sub) -> None:
    """Add ``export``."""
    ex = sub.add_parser("export", help="write the champion as network JSON, torch (.pt2), ONNX or GraphML")
    ex.add_argument("path", help="run folder or champion file")
    ex.add_argument("--to", required=True, choices=list(SUFFIX))
    ex.add_argument("--weight", type=float,
                    help="shared weight of a weight agnostic champion (default: its best weight of the series)")
    ex.add_argument("--out", help="output file (default: beside the champion)")
    ex.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from wann import export
    from wann.config import WEIGHT_BOUND
    from wann.network import compile_genome

    c, data, file = load_champion(args.path)
    g = c.genome
    if g.conn_weight is not None:
        if args.weight is not None:
            raise UserError(f"{file} has its own connection weights; --weight applies to weight agnostic champions")
        weight = 1.0
    else:
        if args.weight is not None and not (np.isfinite(args.weight) and abs(args.weight) <= WEIGHT_BOUND):
            raise UserError(f"--weight {args.weight}: a shared weight is a finite number with |w| <= {WEIGHT_BOUND:g}")
        weight = args.weight if args.weight is not None else float(data["weights"][int(np.argmax(c.per_weight))])
    ins, outs, _ = io_names(data["task"], str(file), c.genome)
    ins = ins or [f"in{k}" for k in range(g.n_inputs)]
    outs = outs or [f"out{k}" for k in range(g.n_outputs)]
    out = Path(args.out) if args.out else beside(file, SUFFIX[args.to])
    net = compile_genome(g)
    if args.to == "json":
        write_json(out, export.network_to_dict(net, weight, ins, outs, data["task"]))
    elif args.to == "graphml":
        export.export_graphml(g, out, ins, outs)
    else:
        module = export.WannModule(net, weight)
        if args.to == "torch":
            export.export_torch(module, out)
        else:
            export.export_onnx(module, out, ins, outs)
    shared = f" under shared weight {weight:+.2f}" if g.conn_weight is None and args.to != "graphml" else ""
    print(f"{out}{shared}")
    return 0
