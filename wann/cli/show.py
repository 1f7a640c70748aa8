"""``wann show``: a champion in words (nodes, connections, activations, its scores; what its task adds)."""
from __future__ import annotations

import argparse
import json
from collections import Counter

from wann import activations
from wann.genome import HIDDEN
from wann.rundir import load_champion


def register(sub) -> None:
    """Add ``show``."""
    sh = sub.add_parser("show", help="print the champion of a run folder or champion file")
    sh.add_argument("path")
    sh.add_argument("--data-dir", help="MNIST folder for the test accuracy (default: the run's task.data_dir)")
    sh.set_defaults(func=cmd_show)


def cmd_show(args: argparse.Namespace) -> int:
    c, data, _ = load_champion(args.path)
    g = c.genome
    used = Counter(g.node_act[g.node_kind == HIDDEN].tolist())
    origin = f"imported from {data['imported']['network']}" if "imported" in data else f"generation {c.generation}"
    print(f"champion of task {data['task'].get('name')} ({origin})")
    print(f"  nodes: {g.node_id.size} ({g.n_inputs} inputs + bias, {g.n_hidden} hidden, {g.n_outputs} outputs)")
    extra = g.n_connections - g.n_enabled
    how = (f"{g.n_enabled} enabled + {extra} disabled hidden->hidden genes expressed" if g.phenotype == "reference"
           else "enabled genes")
    print(f"  connections: {g.n_connections} ({how}; {g.conn_src.size} genes; phenotype {g.phenotype!r})")
    print("  hidden activations: " + (", ".join(f"{activations.NAMES[a]} x{n}" for a, n in sorted(used.items()))
                                      or "none"))
    print(f"  score on {len(c.seeds)} re-evaluation seeds: mean {c.fitness:.2f}")
    for w, s in zip(data["weights"], c.per_weight):
        print(f"    w = {w:+5.2f}: {s:9.2f}")
    _task_lines(args, data, g)
    return 0


def _task_lines(args: argparse.Namespace, data: dict, genome) -> None:
    """What the champion's task adds (``ChampionSummary``, e.g. MNIST test accuracy); its task is built only then."""
    from wann.tasks import check_fits, make_task, task_class, task_options
    from wann.tasks.protocol import ChampionSummary

    try:
        summarises = issubclass(task_class(data["task"].get("name", "")), ChampionSummary)
    except KeyError:
        return
    if summarises:
        overrides = [f"data_dir={json.dumps(args.data_dir)}"] if args.data_dir else []
        task = make_task(task_options(data["task"], str(args.path), overrides))
        check_fits(genome, task, str(args.path))
        print("\n".join(task.champion_lines(genome, data["weights"])))
