"""``wann plot | eval | tune | export``: look at, evaluate, tune and export a champion.

Each takes a run folder (its ``champion.json``) or a champion file; outputs go
beside it unless ``--out`` says otherwise.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from wann import champion as champ
from wann.errors import UserError
from wann.evaluators import make_evaluator
from wann.io import check_writable, write_json


def register(sub) -> None:
    """Add the subcommands plot, eval, tune, export and import to the ``wann`` parser."""
    from wann.tune import TuneSettings

    pl = sub.add_parser("plot", help="draw the champion's graph (PNG + SVG); --curves: the run's curves too")
    pl.add_argument("path", help="run folder or champion file, or a pruned network's point file "
                                 "(prune_baselines folder: seed_<s>/<variant>_level_<ii>.npz)")
    pl.add_argument("--curves", action="store_true", help="also plot fitness and size against generations")
    pl.add_argument("--out", help="output folder (default: beside the champion)")
    pl.set_defaults(func=cmd_plot)

    ev = sub.add_parser("eval", help="the paper's protocol on fresh seeds: random, shared, tuned shared, tuned")
    ev.add_argument("paths", nargs="+", metavar="path",
                    help="run folder, batch folder (every seed) or champion file; several: a table over them")
    ev.add_argument("--trials", type=int, default=100, help="test trials per column (default 100)")
    ev.add_argument("--tune-trials", type=int, default=100, help="seeds of the shared-weight sweep (default 100)")
    ev.add_argument("--grid", type=int, default=41, help="shared weights in the sweep over [-2, 2] (default 41)")
    ev.add_argument("--tuned", help="a `wann tune` output of this champion: adds the 'tuned weights' column "
                                    "(default: <champion>.tuned.json beside it, when it exists)")
    ev.add_argument("--out", help="report JSON of one champion (default: <champion>.eval.json); the sweep plot "
                                  "goes beside it")
    ev.add_argument("--no-plot", action="store_true", help="skip the sweep plot")
    _common(ev)
    ev.set_defaults(func=cmd_eval)

    tu = sub.add_parser("tune", help="train the connection weights (CMA-ES for control, Adam for classification)")
    tu.add_argument("paths", nargs="+", metavar="path", help="run folder, batch folder (every seed) or champion file")
    d = TuneSettings()
    tu.add_argument("--generations", type=int, default=d.generations,
                    help=f"CMA-ES generations at most (default {d.generations})")
    tu.add_argument("--popsize", type=int, default=d.popsize,
                    help=f"CMA-ES population (default {d.popsize}; 0 = cma's 4 + 3 ln n)")
    tu.add_argument("--sigma", type=float, default=d.sigma, help=f"CMA-ES initial step size (default {d.sigma})")
    tu.add_argument("--seeds-per-generation", type=int, default=d.seeds_per_generation,
                    help=f"training episodes per candidate and generation (default {d.seeds_per_generation})")
    tu.add_argument("--check-every", type=int, default=d.check_every,
                    help=f"generations between checks of the CMA-ES mean (default {d.check_every})")
    tu.add_argument("--check-trials", type=int, default=d.check_trials,
                    help=f"episodes per check (default {d.check_trials})")
    tu.add_argument("--patience", type=int, default=d.patience,
                    help=f"once the start is beaten, stop after this many checks without improvement, 0 = never "
                         f"(default {d.patience})")
    tu.add_argument("--epochs", type=int, default=20, help="classification: passes over the training data")
    tu.add_argument("--lr", type=float, default=0.01, help="classification: Adam learning rate")
    tu.add_argument("--batch-size", type=int, default=256, help="classification: minibatch size")
    tu.add_argument("--grid", type=int, default=41, help="shared weights in the start sweep (default 41)")
    tu.add_argument("--tune-trials", type=int, default=100, help="seeds of the start sweep (default 100)")
    tu.add_argument("--trials", type=int, default=100, help="fresh test trials for the report (default 100)")
    tu.add_argument("--out", help="tuned champion file of one champion (default: <champion>.tuned.json)")
    _common(tu)
    tu.set_defaults(func=cmd_tune)

    ex = sub.add_parser("export", help="write the champion as network JSON, torch (.pt2), ONNX or GraphML")
    ex.add_argument("path", help="run folder or champion file")
    ex.add_argument("--to", required=True, choices=["json", "torch", "onnx", "graphml"])
    ex.add_argument("--weight", type=float,
                    help="shared weight of a weight agnostic champion (default: its best weight of the series)")
    ex.add_argument("--out", help="output file (default: beside the champion)")
    ex.set_defaults(func=cmd_export)

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


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="seed of all test, tuning and training draws (default 0)")
    p.add_argument("--task", action="append", default=[], metavar="KEY=VALUE",
                   help="override a task option of the champion (repeatable), e.g. --task max_steps=1000")
    p.add_argument("--backend", choices=["serial", "ray"], default="serial", help="evaluation backend")
    p.add_argument("--workers", type=int, default=0, help="Ray workers, 0 = all cores")
    p.add_argument("--address", default="", help="Ray cluster address ('auto' or host:port); implies --backend ray")


# ---- shared helpers ---------------------------------------------------------------------
def _champion_paths(args) -> list[Path]:
    """The champions named on the command line, batch folders expanded to their seeds."""
    from wann.batch import run_folders

    paths = [f for p in args.paths for f in (run_folders(p) if Path(p).is_dir() else [Path(p)])]
    if len(paths) > 1 and args.out:
        raise UserError(f"--out names one file, but {len(paths)} champions were given; leave it out "
                        "(each output goes beside its champion)")
    return paths


def _load(path: str | Path) -> tuple[champ.Champion, dict, Path]:
    from wann.cli import load_champion_path

    p = Path(path)
    file = p / "champion.json" if p.is_dir() else p
    c, data = load_champion_path(p)
    return c, data, file


def _stem(file: Path, out_dir: str | None = None) -> Path:
    """Output stem beside the champion: ``runs/x/champion.json`` -> ``runs/x/champion``."""
    folder = Path(out_dir) if out_dir else file.parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder / file.stem


def _trial_task(data: dict, file: Path, overrides, genome):
    """The champion's task with one rollout per seed (a trial), checked to fit ``genome``."""
    from wann.tasks import task_options, trial_options
    from wann.tasks import check_fits, make_task

    task = make_task(trial_options(task_options(data["task"], str(file), overrides)))
    check_fits(genome, task, str(file))
    return task


def _make(args):
    backend = "ray" if args.address else args.backend
    return lambda task, weights: make_evaluator(backend, task, weights, args.workers, args.address)


def _say(text: str) -> None:
    print(f"  {text}", flush=True)


# ---- plot ---------------------------------------------------------------------------------
def _names(data: dict, file: Path, genome):
    """(input names, output names, input shape) from the champion's task; generic names if it cannot be built.

    UserError if the task can be built and ``genome`` does not fit it."""
    from wann.tasks import task_options
    from wann.tasks import check_fits, make_task

    try:
        task = make_task(task_options(data["task"], str(file)))
    except UserError as exc:
        print(f"note: task not available ({exc}); using generic input/output names")
        return None, None, None
    check_fits(genome, task, str(file))
    return task.input_names, task.output_names, getattr(task, "input_shape", None)


def cmd_plot(args) -> int:
    from wann.plots import draw_genome, plot_curves
    from wann.run import read_log

    if Path(args.path).suffix == ".npz":
        return _plot_pruned(Path(args.path), args)
    c, data, file = _load(args.path)
    stem = _stem(file, args.out)
    ins, outs, shape = _names(data, file, c.genome)
    kind = "tuned" if c.genome.conn_weight is not None else "champion"
    origin = f"imported from {Path(data['imported']['network']).name}" if "imported" in data else \
        f"generation {c.generation}"
    title = f"{data['task'].get('name')} {kind} ({origin})"
    written = draw_genome(c.genome, stem, ins, outs, title, shape)
    if args.curves:
        rows = read_log(file.parent)
        if not rows:
            raise UserError(f"{file.parent / 'log.jsonl'} is missing or empty; --curves needs a run folder")
        written += plot_curves(rows, stem.with_name("curves"), f"{file.parent.name}: {len(rows)} generations")
    for p in written:
        print(p)
    return 0


def _plot_pruned(file: Path, args) -> int:
    """Draw a pruned MLP (a prune_baselines point) as a graph, the way a WANN is drawn: live units only."""
    from prune_baselines.errors import PruneError
    from prune_baselines.results import read_point
    from wann.compare import series_label
    from wann.plots import draw_genome
    from wann.pruned_graph import live_genome, mlp_genome

    if args.curves:
        raise UserError("--curves needs a WANN run folder; a pruned point has no generations")
    if not file.exists():
        raise UserError(f"{file}: no such point file")
    try:
        p = read_point(file)
    except PruneError as exc:
        raise UserError(str(exc)) from None
    r = p.record
    genome = live_genome(mlp_genome(p.weights, p.biases, p.masks, "trained"))
    title = f"{series_label(r)}, seed {r['seed']}, level {r['level']} (test accuracy {100 * r['test_accuracy']:.2f}%)"
    outs = [str(d) for d in range(p.weights[-1].shape[0])]
    for path in draw_genome(genome, _stem(file, args.out), None, outs, title):
        print(path)
    return 0


# ---- eval ----------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    paths = _champion_paths(args)
    if len(paths) > 1 and args.tuned:
        raise UserError("--tuned names one file; with several champions each uses <champion>.tuned.json beside it")
    reports = [(path, _eval_one(path, args)) for path in paths]
    if len(reports) > 1:
        print("\n" + over_champions_table(reports))
    return 0


def over_champions_table(reports: list[tuple[Path, dict]]) -> str:
    """The paper's four columns (mean over trials) per champion, then median [min-max] over champions."""
    names = ("random weights", "random shared weight", "tuned shared weight", "tuned weights")
    rows = [["champion", "connections", *names]]
    values: dict[str, list[float]] = {n: [] for n in ("connections", *names)}
    for path, r in reports:
        cols = {c["name"]: c for c in r["columns"]}
        cells = [str(path), str(r["connections"])]
        values["connections"].append(r["connections"])
        for n in names:
            if n in cols:
                values[n].append(cols[n]["mean"])
                w = f" (w {cols[n]['weight']:+.2f})" if n == "tuned shared weight" else ""
                cells.append(f"{cols[n]['mean']:.4g} +- {cols[n]['std']:.3g}{w}")
            else:
                cells.append("-")
        rows.append(cells)
    rows.append([f"median [min-max] of {len(reports)}"] + [
        f"{np.median(v):.4g} [{min(v):.4g}-{max(v):.4g}]" if v else "-" for v in values.values()])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _eval_one(path: Path, args) -> dict:
    from wann.protocol import evaluate_champion

    c, data, file = _load(path)
    task = _trial_task(data, file, args.task, c.genome)
    out = Path(args.out) if args.out else _stem(file).with_name(file.name.removesuffix(".json") + ".eval.json")
    check_writable(out.parent)  # before minutes of work, not after
    tuned, tuned_file = None, args.tuned
    beside = file.with_name(file.name.removesuffix(".json") + ".tuned.json")
    if tuned_file is None and beside.exists() and c.genome.conn_weight is None:
        tuned_file = str(beside)
    if tuned_file:
        tuned = champ.load(tuned_file)[0].genome
        if tuned.conn_weight is None:
            raise UserError(f"{tuned_file}: no connection weights; pass a `wann tune` output")
    print(f"evaluating {file} ({c.genome.n_connections} connections) on task {data['task'].get('name')}: "
          f"{args.trials} trials per column, seed {args.seed}", flush=True)
    t0 = time.perf_counter()
    report = evaluate_champion(c.genome, task, data["weights"], _make(args), args.trials, args.tune_trials,
                               args.grid, args.seed, tuned, _say)
    print()
    print(report.table())
    result = report.to_dict() | {"champion": str(file), "tuned_file": tuned_file, "task": data["task"],
                                 "task_overrides": args.task, "connections": c.genome.n_connections,
                                 "seconds": round(time.perf_counter() - t0, 3)}
    write_json(out, result)
    print(f"\nreport: {out}")
    if not args.no_plot:
        from wann.plots import plot_sweep

        s = report.sweep
        points = [(col.name, col.weight, float(col.values.mean()), float(col.values.std()))
                  for col in report.columns if col.name.startswith("w =")] if report.metric == "score" else []
        paths = plot_sweep(s.grid, s.mean, s.scores.std(axis=0), s.best, out.with_name(out.name.removesuffix(".json")
                           .removesuffix(".eval") + ".sweep"), points, "score",
                           f"{data['task'].get('name')}: {file.name} ({c.genome.n_connections} connections)")
        print("sweep plot: " + ", ".join(str(p) for p in paths))
    return result


# ---- tune -----------------------------------------------------------------------------------
def cmd_tune(args) -> int:
    for path in _champion_paths(args):
        _tune_one(path, args)
    return 0


def _tune_one(path: Path, args) -> None:
    from wann.evaluators import Evaluators
    from wann.seeds import draw_seeds, seed_streams
    from wann.tasks import task_options, with_rollouts
    from wann.weights import topology
    from wann.network import compile_genome
    from wann.tasks import make_task
    from wann.tune import TuneSettings, tune

    c, data, file = _load(path)
    task = _trial_task(data, file, args.task, c.genome)
    out = Path(args.out) if args.out else _stem(file).with_name(file.name.removesuffix(".json") + ".tuned.json")
    check_writable(out.parent)  # before minutes of work, not after
    try:
        settings = TuneSettings(generations=args.generations, popsize=args.popsize, sigma=args.sigma,
                                seeds_per_generation=args.seeds_per_generation, epochs=args.epochs,
                                batch_size=args.batch_size, lr=args.lr, grid=args.grid, tune_trials=args.tune_trials,
                                check_every=args.check_every, check_trials=args.check_trials, patience=args.patience)
    except ValueError as exc:
        raise UserError(f"wann tune: {exc}") from None
    if args.trials < 1:
        raise UserError("--trials must be >= 1")
    print(f"tuning {file} ({c.genome.n_connections} connections) on task {data['task'].get('name')}, "
          f"seed {args.seed}", flush=True)
    make = _make(args)
    train_task = make_task(with_rollouts(task_options(data["task"], str(file), args.task), args.seeds_per_generation))
    result = tune(c.genome, task, make, settings, args.seed, _say, train_task)
    # report on fresh test seeds (the `wann eval` test seeds of the same --seed), never seen in tuning
    test_seeds = draw_seeds(seed_streams(args.seed)["test"], args.trials)
    full_task = make_task(task_options(data["task"], str(file), args.task))
    start = compile_genome(topology(c.genome))
    tuned_net = compile_genome(result.genome)
    with Evaluators(make) as evs:
        start_scores = evs.trial_scores(task, [start] * args.trials, test_seeds, [result.start_weight])[:, 0]
        tuned_scores = evs.trial_scores(task, [tuned_net] * args.trials, test_seeds)[:, 0]
        # the champion-file fields, with the task's own rollouts
        full = evs.get(full_task, [1.0]).evaluate([tuned_net] * args.trials, test_seeds.tolist())
    fitness, per_weight = champ.rescore(full)
    print(f"\ntest ({args.trials} fresh trials): best shared weight w = {result.start_weight:+.2f}: "
          f"{start_scores.mean():.4g} +- {start_scores.std():.3g};  tuned weights: "
          f"{tuned_scores.mean():.4g} +- {tuned_scores.std():.3g}  ({result.method}, {result.seconds:.1f} s)")
    tuned = champ.Champion(result.genome, c.generation, fitness, per_weight, test_seeds.tolist())
    record = tuned.to_dict(data["task"], [1.0]) | {"tuned": result.to_dict() | {
        "from": str(file), "seed": args.seed, "settings": dataclasses.asdict(settings), "task_overrides": args.task,
        "test": {"trials": args.trials, "start": float(start_scores.mean()), "start_std": float(start_scores.std()),
                 "tuned": float(tuned_scores.mean()), "tuned_std": float(tuned_scores.std())}}}
    write_json(out, record)
    print(f"tuned champion: {out}  (wann eval {file} --tuned {out})")


# ---- export ---------------------------------------------------------------------------------
def cmd_export(args) -> int:
    from wann import export
    from wann.network import compile_genome

    c, data, file = _load(args.path)
    g = c.genome
    if g.conn_weight is not None:
        if args.weight is not None:
            raise UserError(f"{file} has its own connection weights; --weight applies to weight agnostic champions")
        weight = 1.0
    else:
        from wann.config import WEIGHT_BOUND

        if args.weight is not None and not (np.isfinite(args.weight) and abs(args.weight) <= WEIGHT_BOUND):
            raise UserError(f"--weight {args.weight}: a shared weight is a finite number with |w| <= {WEIGHT_BOUND:g}")
        weight = args.weight if args.weight is not None else float(data["weights"][int(np.argmax(c.per_weight))])
    ins, outs, _ = _names(data, file, c.genome)
    ins = ins or [f"in{k}" for k in range(g.n_inputs)]
    outs = outs or [f"out{k}" for k in range(g.n_outputs)]
    default = _stem(file).with_name(file.name.removesuffix(".json") + export.SUFFIX[args.to])
    out = Path(args.out) if args.out else default
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


# ---- import ----------------------------------------------------------------------------------
def cmd_import(args) -> int:
    from dataclasses import asdict

    from wann.seeds import draw_seeds, seed_streams
    from wann.config import load_config
    from wann.network import compile_genome
    from wann.reference_files import read_network, read_tuned_weights
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
