"""Run one pruning method for several seeds and write a results folder (format: :mod:`.results`).

The methods are registered in :mod:`.methods` (targets are connection counts, so results line up with WANN
champions): ``imp`` (lottery tickets, with the controls ``reinit`` and ``random_mask``), ``obd``,
``synflow``, ``magnitude`` and ``random``. :class:`Experiment` is the :class:`~.methods.Context` every
method's runner works in: models, training, evaluation, saving and resuming points.

Every setting is declared with its type and range (a strict pydantic model) and checked before anything
runs; so are the settings that depend on the data or the model (target, rewind iteration, per-unit floor),
before the folder is written. A level whose training diverges (loss not finite) or whose pruning cuts every
input->output path stops the run with a PruneError.

A point already in the folder is never recomputed: run the same command again to resume. A folder holding
another experiment is refused, unless it holds no finished point yet (a run that stopped early, e.g. because
training diverged): then the new experiment takes it over.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Annotated, Callable, Iterable, Literal, TypeVar

import numpy as np
import torch
from pydantic import BeforeValidator, Field, FiniteFloat, ValidationInfo, model_validator

from .data import Dataset
from .errors import PruneError
from .fields import Count, Positive, Rate, Seeds, Sizes, as_tuple
from .lottery_figure import write_lottery_figure
from .masks import Masks
from .methods import METHODS
from .methods.base import SCOPES, derived_seed, layer_rates
from .methods.sanity import SANITY_CHECKS
from .methods.supermask import RESCALINGS
from .models import MODELS, MLP, build_model, set_state
from .progress import each
from .results import (Point, atomic_write_text, load_npz, load_result, plot, point_arrays, point_path, read_point,
                      save_npz, write_tables)
from .scoring import layer_allocation
from .train import Epochs, TrainConfig, TrainStats, evaluate, train

T = TypeVar("T")

CONTROLS = ("reinit", "random_mask")
CONTROL_LEVELS = ("last", "all")
VARIANT_IDS = {"ticket": 0, "reinit": 1, "random_mask": 2, "shuffle": 3, "invert": 4}
FIELDS_ONLY = "fields only"
EVAL_EVERY = 100
"""Iterations between validation evaluations when ``eval_every`` is not given (Frankle & Carbin: 100)."""
LEGACY = {"rescale": "none"}
"""Settings added after folders were written, with the value those folders were made with (a supermask folder
from before ``--rescale`` holds unscaled weights)."""
"""Validation context: check each setting given, not yet the rules between settings (more may come from elsewhere)."""


def _method(v):
    """A name registered in :data:`.methods.METHODS` (read when a config is checked, so a method registered
    later counts too); ``-`` may stand for ``_`` (``early-bird``)."""
    if isinstance(v, str):
        v = v.replace("-", "_")
    if not isinstance(v, str) or v not in METHODS:
        names = [repr(m) for m in METHODS]
        raise ValueError(f"Input should be {', '.join(names[:-1])} or {names[-1]}" if len(names) > 1
                         else f"Input should be {names[0]}")
    return v


class ExperimentConfig(TrainConfig):
    """The training settings (:class:`TrainConfig`: ``epochs`` per point, i.e. dense training, every IMP level,
    training after one-shot pruning), then pruning's; typed and range-checked on construction."""

    method: Annotated[str, BeforeValidator(_method)] = "imp"
    model: Literal[MODELS] = "lenet300"
    hidden: Sizes = ()
    input: Positive = 784
    target_connections: Annotated[Sizes, Field(min_length=1)] = (1800,)
    seeds: Seeds = (0,)
    finetune_epochs: Epochs = 1.0
    """OBD and ``magnitude`` with ``iterative``: fine-tuning epochs after each pruning round."""
    scope: Literal[SCOPES] | None = None
    """None = the method's default."""
    rate: Rate = 0.2
    output_rate: Rate = 0.1
    """Layerwise: fraction of the output layer pruned per round (Frankle & Carbin: 10 %)."""
    rewind_iteration: Count = 0
    controls: Annotated[tuple[Literal[CONTROLS], ...], BeforeValidator(as_tuple)] = ()
    control_levels: Literal[CONTROL_LEVELS] = "last"
    sanity_checks: Annotated[tuple[Literal[SANITY_CHECKS], ...], BeforeValidator(as_tuple)] = ()
    """At-init methods: ablations of each level's mask (:mod:`.methods.sanity`), saved as variants of the level."""
    oneshot_rewind: bool = False
    """magnitude: train the pruned network from the initial weights (one-shot ticket) instead of
    fine-tuning the trained dense weights."""
    iterative: bool | None = None
    """magnitude: prune in rounds of ``rate`` (layerwise: ``output_rate`` for the output layer), fine-tuning
    ``finetune_epochs`` after each, instead of once (None: once)."""
    rescale: Literal[RESCALINGS] | None = None
    """Supermasks: scale of the frozen kept weights, per layer, from the mask's density ``d`` (kept / total):
    ``none`` (x1), ``fan`` (x1/sqrt(d), edge-popup's ``--scale-fan``), ``dynamic`` (x1/d, Zhou et al.'s dynamic
    weight rescaling). None = the method's default; other methods refuse it."""
    synflow_iterations: Positive = 100
    obd_samples: Count = 10000
    """0 = every training image."""
    search_epochs: Positive | None = None
    """early_bird: the cap on the epochs of dense training that search for the ticket (None = the method's 15)."""
    eb_window: Annotated[int, Field(ge=2)] | None = None
    """early_bird: masks compared by the emergence rule (None = the paper's 5)."""
    eb_eps: Annotated[FiniteFloat, Field(gt=0, le=1)] | None = None
    """early_bird: the rule's distance threshold (None = the paper's 0.1)."""
    floor_per_output: Count = 0
    n_train: Count = 0
    """0 = the full training set."""
    n_test: Count = 0
    validation: Count | None = None
    """Early stopping: training images held out as a validation split (the last N; Frankle & Carbin: 5,000 of
    60,000); None or 0 = none (kept as None, so a folder from before the setting has the same identity)."""
    eval_every: Positive | None = None
    """With ``validation``: iterations between evaluations of the validation loss (None = :data:`EVAL_EVERY`)."""

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> "ExperimentConfig":
        if info.context == FIELDS_ONLY:
            return self
        method = METHODS[self.method]
        self.scope = self.scope or method.default_scope
        if self.controls and not method.controls:
            with_controls = ", ".join(name for name, m in METHODS.items() if m.controls)
            raise PruneError(f"controls ({', '.join(CONTROLS)}) are defined for --method {with_controls} only")
        self.sanity_checks = tuple(v for v in SANITY_CHECKS if v in self.sanity_checks)
        if self.sanity_checks and not method.sanity_checks:
            at_init = ", ".join(name for name, m in METHODS.items() if m.sanity_checks)
            raise PruneError(f"--sanity-checks ({', '.join(SANITY_CHECKS)}) are defined for the methods that prune "
                             f"at initialisation, --method {at_init}, not {self.method}")
        if self.rescale is not None and not method.frozen_weights:
            frozen = ", ".join(name for name, m in METHODS.items() if m.frozen_weights)
            raise PruneError(f"--rescale scales frozen weights; it is defined for --method {frozen} only")
        for name, other in METHODS.items():  # settings of one method only (None elsewhere: identities unchanged)
            given = [k for k in other.own_settings if k not in method.own_settings and getattr(self, k) is not None]
            if given:
                raise PruneError(f"{', '.join('--' + k.replace('_', '-') for k in given)}: {name} settings; "
                                 f"--method {self.method} has none")
        if self.validation and method.frozen_weights:
            raise PruneError(f"--validation records early stopping of weight training; --method {self.method} "
                             f"trains scores over frozen weights")
        if not self.validation:
            if self.eval_every is not None:
                raise PruneError("--eval-every needs --validation N (the held-out images it evaluates)")
            self.validation = None
        elif self.eval_every is None:
            self.eval_every = EVAL_EVERY
        if method.check is not None:
            method.check(self)
        return self

    def train_config(self, epochs: float | None = None) -> TrainConfig:
        given = {k: getattr(self, k) for k in TrainConfig.model_fields}
        return TrainConfig(**{**given, "epochs": self.epochs if epochs is None else epochs})

    def identity(self) -> dict:
        """Everything that defines the points (not the list of seeds; not the settings the method does not use,
        left None; no ``sanity_checks`` when there are none, as in folders from before them): a folder holds one
        identity."""
        exclude = {"seeds"} | (set() if self.sanity_checks else {"sanity_checks"})
        return {k: v for k, v in self.model_dump(mode="json", exclude=exclude).items() if v is not None}


def model_state_arrays(model: MLP) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return ([l.weight.detach().numpy().copy() for l in model.layers],
            [l.bias.detach().numpy().copy() for l in model.layers])


def point_state(point: Point) -> dict[str, torch.Tensor]:
    st = {}
    for l, (w, b) in enumerate(zip(point.weights, point.biases)):
        st[f"layers.{l}.weight"] = torch.from_numpy(np.ascontiguousarray(w))
        st[f"layers.{l}.bias"] = torch.from_numpy(np.ascontiguousarray(b))
    return st


def point_masks(model: MLP, point: Point) -> Masks:
    return Masks.from_numpy({n: m for (n, _), m in zip(model.prunable(), point.masks)})


class Experiment:
    """Shared machinery of all methods (the :class:`~.methods.Context` their runners get): models, training,
    evaluation, saving and resuming points."""

    def __init__(self, cfg: ExperimentConfig, data: Dataset, out, *, command: str = "",
                 log: Callable[[str], None] | None = None, progress: bool = False) -> None:
        data = data.hold_out(cfg.validation or 0)  # checked before anything is written
        self.cfg, self.data, self.out = cfg, data, Path(out)
        self.log = log or (lambda msg: None)
        self.progress = progress
        self.records: list[dict] = []
        self.provenance = {"command": command, "seeds": list(cfg.seeds), "dataset": data.name,
                           "synthetic": data.synthetic,
                           "n_train": int(data.x_train.shape[0]), "n_test": int(data.x_test.shape[0]),
                           **({"n_validation": int(data.x_val.shape[0])} if cfg.validation else {}),
                           "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                           "machine": platform.machine(), "threads": torch.get_num_threads(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        ones = Masks.ones(self.new_model(cfg.seeds[0]))  # checked before anything is written:
        lo, hi = min(cfg.target_connections), max(cfg.target_connections)
        if hi > ones.count():
            raise PruneError(f"target {hi} exceeds the {ones.count()} weights of the dense model")
        if lo < len(ones.names):
            raise PruneError(f"target {lo} is below {len(ones.names)}, the weights of one path from an input to an "
                             f"output (one per layer)")
        iterations = cfg.train_config().plan(int(data.x_train.shape[0]))[2]
        if cfg.rewind_iteration > iterations:
            raise PruneError(f"--rewind-iteration must be in 0..{iterations} (the iterations of dense training), "
                             f"got {cfg.rewind_iteration}")
        self._check_floor(ones)
        self._prepare_folder()

    def _check_floor(self, ones: Masks) -> None:
        """The per-unit floor must fit in the smallest target (layerwise: in every layer's share of it)."""
        t, scope = min(self.cfg.target_connections), self.cfg.scope
        share = layer_allocation(ones.sizes(), t, layer_rates(self.cfg, ones.names)) if scope == "layerwise" else {}

        def fits(f: int) -> bool:
            need = {n: m.shape[0] * min(f, m.shape[1]) for n, m in ones.tensors.items()}
            return all(need[n] <= share[n] for n in need) if share else sum(need.values()) <= t

        f = self.cfg.floor_per_output
        if not fits(f):
            best = max(g for g in range(min(f, max(m.shape[1] for m in ones.tensors.values())) + 1) if fits(g))
            raise PruneError(f"--floor must be in 0..{best} at target {t} ({scope} scope), got {f}")

    def _prepare_folder(self) -> None:
        """Write config.json; a folder of the same experiment is resumed (its seeds kept), one of another refused,
        unless it holds no finished point: then this experiment takes it over."""
        path = self.out / "config.json"
        if path.exists():
            old = json.loads(path.read_text())
            other = self._other_experiment(old)
            if other and any(self.out.glob("seed_*/*_level_*.npz")):
                raise PruneError(f"{self.out} holds {other}; choose another --out folder")
            if other:  # the stale initial (and rewind) parameters go first: a crash then leaves no mismatch
                for stale in [*self.out.glob("seed_*/init.npz"), *self.out.glob("seed_*/rewind.npz")]:
                    stale.unlink()
                print(f"note: {self.out} held {other} but no finished point; this run takes it over (new config.json "
                      f"and initial parameters)", file=sys.stderr)
            else:
                seeds = sorted(set(old.get("provenance", {}).get("seeds", [])) | set(self.cfg.seeds))
                self.provenance["seeds"] = seeds
                self.provenance["resumed_from"] = old.get("provenance", {})
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"config": self.cfg.identity(), "provenance": self.provenance}, indent=1))

    def _other_experiment(self, old: dict) -> str:
        """How the experiment of an existing config.json differs from this one ("" if it does not)."""
        old_id, new_id = old.get("config", {}), self.cfg.identity()
        defaults = ExperimentConfig(method=self.cfg.method).identity()
        # a setting added after the folder was written counts as the value it had then (LEGACY), else its default
        def value(ident: dict, k: str):
            return ident.get(k, LEGACY.get(k, defaults.get(k)))
        diff = sorted(k for k in set(old_id) | set(new_id) if value(old_id, k) != value(new_id, k))
        if diff:
            return f"a different experiment (differs in {', '.join(diff)})"
        old_data = old.get("provenance", {}).get("dataset", self.data.name)
        if old_data != self.data.name:
            return f"an experiment on {old_data} data, this run has {self.data.name}"
        return ""

    # models and states -------------------------------------------------------------------------
    def new_model(self, seed: int) -> MLP:
        c = self.cfg
        return build_model(c.model, self.data.n_inputs, c.hidden or None, n_outputs=self.data.n_classes, seed=seed)

    def initial_state(self, seed: int, model: MLP) -> dict[str, torch.Tensor]:
        """Initial parameters of this seed, saved once in seed_<s>/init.npz (and checked on resume)."""
        path = self.out / f"seed_{seed}" / "init.npz"
        w, b = model_state_arrays(model)
        if path.exists():
            z = load_npz(path)
            if not all(np.array_equal(z[f"weight_{l}"], w[l]) for l in range(len(w))):
                raise PruneError(f"{path} does not match the initialisation of seed {seed} (different torch?); "
                                 "use a fresh --out folder")
        else:
            save_npz(path, {**{f"weight_{l}": a for l, a in enumerate(w)}, **{f"bias_{l}": a for l, a in enumerate(b)}})
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    def save_state(self, seed: int, name: str, state: dict[str, torch.Tensor]) -> None:
        save_npz(self.out / f"seed_{seed}" / f"{name}.npz", {k: v.numpy() for k, v in state.items()})

    def load_state(self, seed: int, name: str) -> dict[str, torch.Tensor] | None:
        path = self.out / f"seed_{seed}" / f"{name}.npz"
        if not path.exists():
            return None
        return {k: torch.from_numpy(v) for k, v in load_npz(path).items()}

    # points ------------------------------------------------------------------------------------
    def existing(self, seed: int, variant: str, level: int) -> Point | None:
        path = point_path(self.out, seed, variant, level)
        if not path.exists():
            return None
        point = read_point(path)
        self.records.append(point.record)
        r = point.record
        self.log(f"[{self.cfg.method} seed {seed} {variant} level {level}] resumed: {r['effective_connections']} "
                 f"connections, acc {100 * r['test_accuracy']:.2f}%")
        return point

    def restore(self, model: MLP, point: Point) -> Masks:
        set_state(model, point_state(point))
        return point_masks(model, point)

    def train(self, model: MLP, masks: Masks, seed: int, variant: str, level: int, epochs: float,
              snapshot_iteration: int | None = None) -> TrainStats:
        label = f"[{self.cfg.method} seed {seed} {variant} level {level}]"
        if masks.on_paths().count() == 0:
            per_layer = "/".join(str(c) for c in masks.per_layer().values())
            raise PruneError(f"{label} pruning cut the network in two: none of its {masks.count()} weights (per layer "
                             f"{per_layer}) lies on a path from an input to an output; keep more weights or use "
                             f"--floor 1")
        return train(model, masks, self.data, self.cfg.train_config(epochs),
                     derived_seed(seed, level, VARIANT_IDS[variant]), snapshot_iteration=snapshot_iteration,
                     eval_every=self.cfg.eval_every, log=self.log, label=label, progress=self.progress)

    def levels(self, seed: int, items: Iterable[T]) -> Iterable[T]:
        """``items`` (one per level) with a progress bar over them (terminal only, ``progress``)."""
        return each(items, f"[{self.cfg.method} seed {seed}] levels", self.progress, unit="level")

    def finish(self, seed: int, variant: str, level: int, model: MLP, masks: Masks, stats: TrainStats | None,
               extra_wall: float = 0.0, before: dict | None = None, extra: dict | None = None) -> dict:
        """Evaluate, save the point and rewrite the tables. ``before``: the record this point grew from;
        ``extra``: the method's own fields of the record."""
        acc = evaluate(model, masks, self.data.x_test, self.data.y_test)
        epochs = stats.epochs if stats else 0.0
        wall = (stats.wall_s if stats else 0.0) + extra_wall
        rec = {"method": self.cfg.method, "variant": variant, "seed": seed, "level": level, **masks.counts(),
               "per_layer": list(masks.per_layer().values()), "density": masks.density(),
               "test_accuracy": acc, "epochs": epochs,
               "cumulative_epochs": epochs + (before["cumulative_epochs"] if before else 0.0),
               "iterations": stats.iterations if stats else 0, "wall_s": wall,
               "cumulative_wall_s": wall + (before["cumulative_wall_s"] if before else 0.0),
               "loss": stats.last_loss if stats else float("nan"),
               "cpu_s": (stats.cpu_s if stats else 0.0) + extra_wall,
               **(stats.early_stop.record() if stats and stats.early_stop else {}), **(extra or {})}
        w, b = model_state_arrays(model)
        m = [t.numpy() for t in masks.tensors.values()]
        save_npz(point_path(self.out, seed, variant, level), point_arrays(w, b, m, rec))
        self.records.append(rec)
        self.write_tables()
        self.log(f"[{self.cfg.method} seed {seed} {variant} level {level}] {rec['effective_connections']} "
                 f"connections ({rec['effective_connections_with_biases']} with biases, {rec['connections']} weights "
                 f"kept), test acc {100 * acc:.2f}%, {epochs:g} epochs, {wall:.1f}s" + (
                     f"; early stop at iteration {rec['early_stop_iteration']}, test acc "
                     f"{100 * rec['early_stop_test_accuracy']:.2f}%" if "early_stop_iteration" in rec else ""))
        return rec

    def dense(self, seed: int) -> tuple[MLP, Masks, dict, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Level 0: the dense network trained for ``epochs`` (resumed if saved). Returns model (trained),
        masks (all ones), record, initial state, and the state at the rewind iteration."""
        model = self.new_model(seed)
        init = self.initial_state(seed, model)
        masks = Masks.ones(model)
        k = self.cfg.rewind_iteration
        point = self.existing(seed, "ticket", 0)
        if point is not None:
            masks = self.restore(model, point)
            rewind = init if k == 0 else self.load_state(seed, "rewind")
            if rewind is None:
                raise PruneError(f"{self.out}/seed_{seed} has level 0 but no rewind.npz; delete level 0 to redo it")
            return model, masks, point.record, init, rewind
        stats = self.train(model, masks, seed, "ticket", 0, self.cfg.epochs, snapshot_iteration=k if k else None)
        rewind = init
        if k:
            rewind = stats.snapshot
            self.save_state(seed, "rewind", rewind)
        rec = self.finish(seed, "ticket", 0, model, masks, stats)
        return model, masks, rec, init, rewind

    def write_tables(self) -> None:
        """results.csv / results.json from every point in the folder (earlier runs' seeds included)."""
        write_tables(self.out, self.cfg.identity(), self.provenance, load_result(self.out).records)

    # the whole run -----------------------------------------------------------------------------
    def run(self) -> list[dict]:
        runner = METHODS[self.cfg.method].run
        for seed in self.cfg.seeds:
            t0 = time.perf_counter()
            runner(self, seed)
            self.log(f"[{self.cfg.method} seed {seed}] done in {time.perf_counter() - t0:.1f}s")
        self.write_tables()
        plot(self.out)
        write_lottery_figure(self.out)
        return self.records


def run_experiment(cfg: ExperimentConfig, data: Dataset, out, *, command: str = "",
                   log: Callable[[str], None] | None = None, progress: bool = False) -> list[dict]:
    """Run ``cfg`` on ``data`` and write (or complete) the results folder ``out``; returns the records.
    ``progress``: bars over levels and training batches on a terminal."""
    return Experiment(cfg, data, out, command=command, log=log, progress=progress).run()
