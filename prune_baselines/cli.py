"""Command line: ``python -m prune_baselines --method imp --model lenet300 --input 784 --target-connections 1800``.

Every flag can also come from a TOML file (``--config file.toml``; keys are the flag names with
underscores, e.g. ``target_connections = [1800]``, ``seeds = 3`` or ``seeds = [0, 1, 2]``); flags given on
the command line override the file. ``wann prune`` is a thin front over :func:`main` (see
:func:`add_arguments` / :func:`run_args`). Errors print one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from pathlib import Path

from .errors import PruneError
from .experiment import CONTROLS, METHODS, ExperimentConfig, run_experiment
from .models import MODELS
from .train import OPTIMIZERS as OPTIMIZER_NAMES

_INT_LISTS = ("hidden", "target_connections")


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in str(text).replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--config", type=Path, help="TOML file with any of these settings (flags override it)")
    a("--method", choices=METHODS, help="pruning method (default imp)")
    a("--model", choices=MODELS, help="lenet300 (hidden 300-100) or mlp (give --hidden)")
    a("--hidden", type=_int_list, help="hidden sizes for --model mlp, e.g. 300,100")
    a("--input", type=int, help="784 (28x28) or 256 (16x16 deskewed, as WANN MNIST)")
    a("--target-connections", type=_int_list, help="remaining weights at the end, e.g. 1800 (or a list)")
    a("--seeds", type=str, help="number of seeds (3 -> 0,1,2) or a comma list of seeds ('2,' = seed 2 only)")
    a("--epochs", type=float, help="training epochs per point (default 5)")
    a("--finetune-epochs", type=float, help="OBD fine-tuning epochs per round (default 1)")
    a("--batch-size", type=int, help="minibatch size (default 60)")
    a("--lr", type=float, help="learning rate (default 1.2e-3)")
    a("--optimizer", choices=OPTIMIZER_NAMES, help="adam (default) or sgd (with --momentum)")
    a("--momentum", type=float)
    a("--weight-decay", type=float, help="L2 penalty on surviving weights only (default 0)")
    a("--scope", choices=("layerwise", "global"), help="rank per layer (IMP default) or globally")
    a("--rate", type=float, help="fraction of remaining weights pruned per round (default 0.2)")
    a("--output-rate", type=float, help="layerwise: fraction for the output layer (default 0.1)")
    a("--rewind-iteration", type=int, help="IMP: rewind to this iteration of dense training (default 0)")
    a("--controls", type=str, help=f"IMP controls, comma list of {', '.join(CONTROLS)}")
    a("--control-levels", choices=("last", "all"), help="levels at which controls run (default last)")
    a("--oneshot-rewind", action="store_true", default=None,
      help="magnitude: train the pruned mask from the initial weights instead of fine-tuning")
    a("--synflow-iterations", type=int, help="default 100")
    a("--obd-samples", type=int, help="samples for the OBD Hessian diagonal (default 10000)")
    a("--floor", dest="floor_per_output", type=int, help="keep at least this many weights per unit (default 0)")
    a("--n-train", type=int, help="use only the first N training images (default all)")
    a("--n-test", type=int, help="use only the first N test images (default all)")
    a("--data-dir", type=Path, help="MNIST IDX folder (default $WANN_MNIST_DIR)")
    a("--synthetic", action="store_true", default=None, help="a small synthetic task instead of MNIST (smoke tests)")
    a("--out", type=Path, help="results folder (default runs/prune/<method>_<model>_<input>)")
    a("--threads", type=int, help="torch threads (default 1)")
    a("--quiet", action="store_true", default=None, help="no progress lines on stderr")


def _settings(args: argparse.Namespace) -> dict:
    settings: dict = {}
    if args.config is not None:
        try:
            settings = tomllib.loads(Path(args.config).read_text())
        except FileNotFoundError:
            raise PruneError(f"config file {args.config} not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise PruneError(f"{args.config} is not valid TOML: {exc}") from None
    for k, v in vars(args).items():
        if k != "config" and v is not None:
            settings[k] = v
    return settings


def _seeds(v) -> tuple[int, ...]:
    if isinstance(v, int):
        return tuple(range(v))
    if isinstance(v, list):
        return tuple(int(s) for s in v)
    parts = [s for s in str(v).split(",") if s.strip()]
    try:
        if len(parts) == 1 and "," not in str(v):
            return tuple(range(int(parts[0])))
        return tuple(int(s) for s in parts)
    except ValueError:
        raise PruneError(f"--seeds must be a count or a comma list of integers, got {v!r}") from None


def run_args(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    import torch

    from .data import load_dataset, synthetic_dataset
    from .train import stderr_log

    s = _settings(args)
    out = s.pop("out", None)
    data_dir = s.pop("data_dir", None)
    synthetic = bool(s.pop("synthetic", False))
    threads = int(s.pop("threads", 1))
    quiet = bool(s.pop("quiet", False))
    if "seeds" in s:
        s["seeds"] = _seeds(s["seeds"])
    if isinstance(s.get("controls"), str):
        s["controls"] = [c for c in s["controls"].split(",") if c]
    for key in _INT_LISTS:
        if isinstance(s.get(key), int):
            s[key] = [s[key]]
    cfg = ExperimentConfig.from_dict(s)
    torch.set_num_threads(max(1, threads))
    if synthetic:
        data = synthetic_dataset(n_train=cfg.n_train or 2000, n_test=cfg.n_test or 500, n_inputs=cfg.input)
    else:
        data = load_dataset(data_dir, cfg.input, n_train=cfg.n_train or None, n_test=cfg.n_test or None)
    out = Path(out) if out else Path("runs") / "prune" / f"{cfg.method}_{cfg.model}_{cfg.input}"
    command = "python -m prune_baselines " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    records = run_experiment(cfg, data, out, command=command, log=None if quiet else stderr_log)
    last = [r for r in records if r["variant"] == "ticket"]
    if last:
        for seed in sorted({r["seed"] for r in last}):
            r = max((r for r in last if r["seed"] == seed), key=lambda r: r["level"])
            print(f"seed {seed}: {r['connections']} connections, test accuracy {100 * r['test_accuracy']:.2f}%")
    print(f"results in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m prune_baselines",
                                description="Prune dense networks on MNIST: accuracy against remaining connections.")
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return run_args(args, argv)
    except PruneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished points are saved; run the same command to resume", file=sys.stderr)
        return 130
