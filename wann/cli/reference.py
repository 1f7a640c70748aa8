"""``wann import``: a network released with the reference WANN code (.out) as a champion file."""
from __future__ import annotations

import argparse
from dataclasses import asdict

from wann import champion as champ
from wann.errors import UserError
from wann.io import write_json


def register(sub) -> None:
    """Add ``import``."""
    im = sub.add_parser("import", help="a network released with the reference WANN code (.out) as a champion file")
    im.add_argument("path", help="reference network: WANNRelease/WANN/champions/<task>.out")
    im.add_argument("--config", required=True, help="the experiment it belongs to (task and weight series), "
                                                    "e.g. configs/swingup.toml")
    im.add_argument("--tuned", help="WANNTool tuned weights for it (WANNRelease/WANNTool/zoo/<task>.wann.json): "
                                    "writes a tuned champion (as `wann tune` does)")
    im.add_argument("--weight-bias", type=float,
                    help="with --tuned: the game's weight_bias in WANNTool's config.py (swing-up -1.5)")
    im.add_argument("--reps", type=int, default=20, help="seeds of the champion file's score (default 20)")
    im.add_argument("--seed", type=int, default=0, help="seed of those seeds (default 0)")
    im.add_argument("--out", required=True, help="champion file to write")
    im.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from wann.config import load_config
    from wann.evaluators import make_evaluator
    from wann.network import compile_genome
    from wann.reference_files import read_network, read_tuned_weights
    from wann.seeds import draw_seeds, seed_streams
    from wann.tasks import make_task

    if args.reps < 1:
        raise UserError("--reps must be >= 1")
    if (args.tuned is None) != (args.weight_bias is None):
        raise UserError("--tuned and --weight-bias go together (swing-up: --weight-bias -1.5)")
    cfg = load_config(args.config)
    task = make_task(cfg.task)
    genome = read_network(args.path, task.n_inputs, task.n_outputs)
    weights = cfg.search.weights
    if args.tuned:
        genome, weights = read_tuned_weights(args.tuned, genome, args.weight_bias), [1.0]
    seeds = draw_seeds(seed_streams(args.seed)["test"], args.reps)
    scores = make_evaluator("serial", task, weights).evaluate([compile_genome(genome)] * args.reps, seeds.tolist())
    fitness, per_weight = champ.rescore(scores)
    record = champ.Champion(genome, -1, fitness, per_weight, seeds.tolist()).to_dict(asdict(cfg.task), weights)
    record["imported"] = {"network": str(args.path), "tuned": args.tuned, "weight_bias": args.weight_bias,
                          "config": str(args.config), "generation": "-1: not from a wann run"}
    write_json(args.out, record)
    print(f"{args.out}: {genome.n_connections} connections, {genome.n_hidden} hidden nodes; score on {args.reps} "
          "seeds " + ", ".join(f"w = {w:+.2f}: {v:.1f}" for w, v in zip(weights, per_weight)))
    return 0
