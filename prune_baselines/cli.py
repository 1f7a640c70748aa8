"""Command line: ``python -m prune_baselines --method imp --model lenet300 --input 784 --target-connections 1800``.

Every flag can also come from a TOML file (``--config file.toml``; keys are the settings' names, the flag
names with underscores, except ``floor_per_output`` for ``--floor``; e.g. ``target_connections = [1800]``,
``seeds = 3`` or ``seeds = [0, 1, 2]``); flags given on the command line override the file. Every value is
checked against its declared type and range (:class:`RunSettings`, a strict pydantic model: the file's
values strictly, the flags' text parsed) before anything runs or is written. ``wann prune`` is a thin front
over :func:`main` (see :func:`add_arguments` / :func:`run_args`). Errors print one line ``error: ...`` and
exit with status 2.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Callable

from pydantic import Field, ValidationError

from .errors import PruneError, invalid
from .flags import Parser, add_data_flags, add_training_flags, dataset, finish
from .experiment import (CONTROL_LEVELS, CONTROLS, FIELDS_ONLY, RESCALINGS, SANITY_CHECKS, SCOPES, ExperimentConfig,
                         run_experiment)
from .methods import METHODS
from .models import MODELS

Text = Annotated[str, Field(min_length=1)]


class RunSettings(ExperimentConfig):
    """Every setting of a run: the experiment's, then the command line's own."""

    out: Text | None = None
    data_dir: Text | None = None
    synthetic: bool = False
    threads: Annotated[int, Field(ge=1)] = 1
    quiet: bool = False


_FLAGS = {"floor_per_output": "--floor"}


def _name(text: str) -> str:
    """A method's name as the field writes it (``early-bird``) or as registered (``early_bird``)."""
    return text.replace("-", "_")


def _model(text: str) -> str:
    if text == "convnet":
        raise argparse.ArgumentTypeError("the conv net is pruned by channels in a retraining study: wann retrain "
                                         "--model convnet (e.g. --arms finetune,early_bird)")
    return text


def _flag(key: str) -> str:
    return _FLAGS.get(key, "--" + key.replace("_", "-"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags; values stay text here and are parsed and checked by ``run_args`` (choices also by argparse)."""
    a = p.add_argument
    a("--config", type=Path, help="TOML file with any of these settings (flags override it)")
    a("--method", type=_name, choices=list(METHODS), help="pruning method (default imp; early-bird = early_bird)")
    a("--model", type=_model, choices=MODELS, help="lenet300 (hidden 300-100) or mlp (give --hidden); the conv net's "
      "channels are pruned by `wann retrain --model convnet`")
    a("--hidden", help="hidden sizes for --model mlp, e.g. 300,100")
    a("--input", help="784 (28x28) or 256 (16x16 deskewed, as WANN MNIST); any size with --synthetic")
    a("--target-connections", help="remaining weights at the end, e.g. 1800 (or a list)")
    a("--seeds", help="number of seeds (3 -> 0,1,2) or a comma list of seeds ('2,' = seed 2 only)")
    a("--epochs", help="training epochs per point (default 5)")
    a("--finetune-epochs", help="OBD and magnitude --iterative: fine-tuning epochs per round (default 1)")
    add_training_flags(a)
    a("--scope", choices=SCOPES, help="rank per layer (IMP default) or globally")
    a("--rate", help="fraction of remaining weights pruned per round (default 0.2)")
    a("--output-rate", help="layerwise: fraction for the output layer (default 0.1)")
    a("--rewind-iteration", help="IMP: rewind to this iteration of dense training (default 0)")
    a("--controls", help=f"IMP controls, comma list of {', '.join(CONTROLS)}")
    a("--control-levels", choices=CONTROL_LEVELS, help="levels at which controls run (default last)")
    at_init = ", ".join(name for name, m in METHODS.items() if m.sanity_checks)
    a("--sanity-checks", help=f"methods that prune at init ({at_init}): ablations of each level's mask, trained "
      f"alike, comma list of {', '.join(SANITY_CHECKS)} (Frankle et al. 2021)")
    a("--oneshot-rewind", action="store_true", default=None,
      help="magnitude: train the pruned mask from the initial weights instead of fine-tuning")
    a("--iterative", action="store_true", default=None,
      help="magnitude: prune in rounds of --rate with --finetune-epochs of fine-tuning after each, not once")
    a("--rescale", choices=RESCALINGS, help="supermasks: scale of the frozen kept weights per layer: none, fan "
      "(x1/sqrt(density), edge-popup's scale-fan; the default) or dynamic (x1/density, Zhou et al.)")
    a("--search-epochs", help="early_bird: cap on the dense epochs searching for the ticket (default 15)")
    a("--eb-window", help="early_bird: masks the emergence rule compares (default 5, the paper's)")
    a("--eb-eps", help="early_bird: the rule's mask-distance threshold (default 0.1, the paper's)")
    a("--synflow-iterations", help="default 100")
    a("--obd-samples", help="samples for the OBD Hessian diagonal (default 10000; 0 = all)")
    a("--floor", dest="floor_per_output", help="keep at least this many weights per unit (default 0)")
    a("--validation", help="hold out the last N training images to record early stopping (min. validation loss; "
      "Frankle & Carbin: 5000); default 0 = none")
    a("--eval-every", help="with --validation: iterations between validation evaluations (default 100)")
    add_data_flags(a, "runs/prune/<method>_<model>_<input>")


def _read_config(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PruneError(f"config file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise PruneError(f"{path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PruneError(f"cannot read config file {path}: {exc}") from None


def _checked(given: dict, label: Callable[[str], str], shown: dict | None = None, **how) -> RunSettings:
    try:
        return RunSettings.model_validate(given, **how)
    except ValidationError as exc:
        raise invalid(exc, given if shown is None else shown, label) from None


def _from_text(key: str, value):
    """A flag's text as the settings read it: a list setting's text with a comma is a list ('2,' = a list of
    one), ``--seeds N`` a count of seeds; other text is parsed by pydantic (lax mode)."""
    if not isinstance(value, str) or not isinstance(RunSettings.model_fields[key].default, tuple):
        return value
    if "," in value:
        return [part for part in value.split(",") if part.strip()]
    return int(value) if key == "seeds" and value.strip().isdecimal() else value


def _settings(args: argparse.Namespace) -> RunSettings:
    """The config file's settings (strictly typed), then the flags' (their text parsed), each checked on its own
    (errors name the file and key, or the flag), then all together (the rules between settings)."""
    given = _read_config(args.config) if args.config is not None else {}
    _checked(given, lambda key: f"{args.config}: {key}", context=FIELDS_ONLY)
    flags = {k: v for k, v in vars(args).items() if k != "config" and v is not None}
    typed = _checked({k: _from_text(k, v) for k, v in flags.items()}, _flag, flags, strict=False, context=FIELDS_ONLY)
    return _checked({**given, **{k: getattr(typed, k) for k in flags}}, str)


def run_args(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    import torch

    from .train import stderr_log

    s = _settings(args)
    cfg = ExperimentConfig(**{k: getattr(s, k) for k in ExperimentConfig.model_fields})
    torch.set_num_threads(s.threads)
    data = dataset(s.synthetic, s.data_dir, cfg.input, cfg.n_train, cfg.n_test)
    out = Path(s.out or Path("runs") / "prune" / f"{cfg.method}_{cfg.model}_{cfg.input}")
    command = "python -m prune_baselines " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    records = run_experiment(cfg, data, out, command=command, log=None if s.quiet else stderr_log,
                             progress=not s.quiet)
    last = [r for r in records if r["variant"] == "ticket"]
    if last:
        for seed in sorted({r["seed"] for r in last}):
            r = max((r for r in last if r["seed"] == seed), key=lambda r: r["level"])
            print(f"seed {seed}: {r['effective_connections']} connections ({r['connections']} weights kept), "
                  f"test accuracy {100 * r['test_accuracy']:.2f}%")
    print(f"results in {out}")
    return 0


def main(argv: list[str] | None = None, prog: str = "python -m prune_baselines") -> int:
    """Parse ``argv`` (default: the command line) and run; ``prog`` is the command shown in usage lines and
    ``--help`` (``wann prune`` when run through wann). Returns the exit status."""
    p = Parser(prog=prog, description="Prune dense networks on MNIST: accuracy against remaining connections.")
    add_arguments(p)
    return finish(lambda: run_args(p.parse_args(argv), argv))
