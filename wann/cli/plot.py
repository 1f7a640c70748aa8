"""``wann plot``: a champion's graph (PNG + SVG), the run's curves, or a pruned network drawn the same way."""
from __future__ import annotations

import argparse
from pathlib import Path

from wann.cli.common import stem
from wann.errors import UserError
from wann.rundir import LOG, load_champion, read_log
from wann.tasks import io_names


def register(sub) -> None:
    """Add ``plot``."""
    pl = sub.add_parser("plot", help="draw the champion's graph (PNG + SVG); --curves: the run's curves too")
    pl.add_argument("path", help="run folder or champion file, or a pruned network's point file "
                                 "(prune_baselines folder: seed_<s>/<variant>_level_<ii>.npz), or a prune_baselines "
                                 "results folder (its figures: accuracy against connections, and the lottery "
                                 "ticket figure when it has early stopping)")
    pl.add_argument("--curves", action="store_true", help="also plot fitness and size against generations")
    pl.add_argument("--out", help="output folder (default: beside the champion)")
    pl.set_defaults(func=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> int:
    from wann.plots import draw_genome, plot_curves

    if Path(args.path).suffix == ".npz":
        return _plot_pruned(Path(args.path), args)
    if (Path(args.path) / "config.json").is_file():
        return _plot_prune_folder(Path(args.path), args)

    c, data, file = load_champion(args.path)
    figure = stem(file, args.out)
    ins, outs, shape = io_names(data["task"], str(file), c.genome)
    kind = "tuned" if c.genome.conn_weight is not None else "champion"
    origin = f"imported from {Path(data['imported']['network']).name}" if "imported" in data else \
        f"generation {c.generation}"
    title = f"{data['task'].get('name')} {kind} ({origin})"
    written = draw_genome(c.genome, figure, ins, outs, title, shape)
    if args.curves:
        rows = read_log(file.parent)
        if not rows:
            raise UserError(f"{file.parent / LOG} is missing or empty; --curves needs a run folder")
        written += plot_curves(rows, figure.with_name("curves"), f"{file.parent.name}: {len(rows)} generations")
    for p in written:
        print(p)
    return 0


def _plot_pruned(file: Path, args: argparse.Namespace) -> int:
    """Draw a pruned MLP (a prune_baselines point) as a graph, the way a WANN is drawn: live units only."""
    from wann.compare.pruned_graph import point_genome
    from wann.plots import draw_genome

    if args.curves:
        raise UserError("--curves needs a WANN run folder; a pruned point has no generations")
    genome, title, outs = point_genome(file)
    for path in draw_genome(genome, stem(file, args.out), None, outs, title):
        print(path)
    return 0


def _plot_prune_folder(folder: Path, args: argparse.Namespace) -> int:
    """(Re)draw a prune_baselines results folder's figures (or a retraining study's), into the folder or ``--out``."""
    from prune_baselines.errors import PruneError
    from prune_baselines.lottery_figure import write_lottery_figure
    from prune_baselines.results import load_result, plot
    from prune_baselines.retrain.tables import FIGURE, load_study, write_figure
    from wann.report.retrain import is_study

    if args.curves:
        raise UserError("--curves needs a WANN run folder; a prune_baselines folder has no generations")
    out = Path(args.out) if args.out else folder
    if is_study(folder):
        out.mkdir(parents=True, exist_ok=True)
        config, _, records = load_study(folder)
        print(write_figure(out / FIGURE, config, records))
        return 0
    try:
        res = load_result(folder)
    except PruneError as exc:
        raise UserError(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    for path in (plot(out, res), write_lottery_figure(out, res)):
        if path is not None:
            print(path)
    return 0
