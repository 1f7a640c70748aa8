"""Run one pruning method for several seeds and write a results folder (format: :mod:`.results`).

Methods (targets are connection counts, so results line up with WANN champions):

* ``imp``: iterative magnitude pruning with rewinding (lottery tickets); controls ``reinit`` and
  ``random_mask`` (see :mod:`.imp`). Default scope layerwise 20/20/10 (Frankle & Carbin).
* ``obd``: Optimal Brain Damage, 20 % of the remaining weights per round, fine-tuning between rounds,
  no rewind. Default scope global.
* ``synflow``: SynFlow at initialisation (100 iterations, exponential schedule), then training. Global.
* ``magnitude``: train dense, prune once by |w| to each target, fine-tune. Default scope layerwise.
* ``random``: a random mask at initialisation (per-layer counts as the layerwise allocation), then train.

A point already in the folder is never recomputed: run the same command again to resume.
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .data import Dataset
from .errors import PruneError
from .masks import Masks
from .models import MODELS, MLP, build_model, set_state
from .results import (Point, atomic_write_text, load_npz, load_result, plot, point_arrays, point_path, read_point,
                      save_npz, write_tables)
from .train import TrainConfig, TrainStats, evaluate, train

METHODS = ("imp", "synflow", "obd", "magnitude", "random")
CONTROLS = ("reinit", "random_mask")
DEFAULT_SCOPE = {"imp": "layerwise", "obd": "global", "synflow": "global", "magnitude": "layerwise",
                 "random": "layerwise"}
VARIANT_IDS = {"ticket": 0, "reinit": 1, "random_mask": 2}


@dataclass
class ExperimentConfig:
    method: str = "imp"
    model: str = "lenet300"
    hidden: tuple[int, ...] = ()
    input: int = 784
    target_connections: tuple[int, ...] = (1800,)
    seeds: tuple[int, ...] = (0,)
    epochs: float = 5.0
    """Training epochs per point (dense training, every IMP level, training after one-shot pruning)."""
    finetune_epochs: float = 1.0
    """OBD: fine-tuning epochs after each pruning round."""
    batch_size: int = 60
    lr: float = 1.2e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    scope: str = ""
    """layerwise or global; empty = the method's default."""
    rate: float = 0.2
    output_rate: float = 0.1
    """Layerwise: fraction of the output layer pruned per round (Frankle & Carbin: 10 %)."""
    rewind_iteration: int = 0
    controls: tuple[str, ...] = ()
    control_levels: str = "last"
    oneshot_rewind: bool = False
    """magnitude: train the pruned network from the initial weights (one-shot ticket) instead of
    fine-tuning the trained dense weights."""
    synflow_iterations: int = 100
    obd_samples: int = 10000
    floor_per_output: int = 0
    n_train: int = 0
    """0 = the full training set."""
    n_test: int = 0

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        self.target_connections = tuple(int(t) for t in self.target_connections)
        self.seeds = tuple(int(s) for s in self.seeds)
        self.controls = tuple(self.controls)
        if self.method not in METHODS:
            raise PruneError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.model not in MODELS:
            raise PruneError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if not self.scope:
            self.scope = DEFAULT_SCOPE[self.method]
        if self.scope not in ("layerwise", "global"):
            raise PruneError(f"scope must be layerwise or global, got {self.scope!r}")
        for c in self.controls:
            if c not in CONTROLS:
                raise PruneError(f"unknown control {c!r}; choose from {', '.join(CONTROLS)}")
        if self.controls and self.method != "imp":
            raise PruneError("controls (reinit, random_mask) are defined for --method imp only")
        if self.control_levels not in ("last", "all"):
            raise PruneError("control_levels must be 'last' or 'all'")
        if not self.seeds:
            raise PruneError("need at least one seed")
        if not self.target_connections or min(self.target_connections) <= 0:
            raise PruneError(f"target connections must be positive, got {self.target_connections}")
        if not (0 < self.rate < 1 and 0 < self.output_rate < 1):
            raise PruneError("pruning rates must be in (0, 1)")
        self.train_config()  # validates optimizer etc.

    def train_config(self, epochs: float | None = None) -> TrainConfig:
        return TrainConfig(epochs=self.epochs if epochs is None else epochs, batch_size=self.batch_size,
                           lr=self.lr, optimizer=self.optimizer, momentum=self.momentum,
                           weight_decay=self.weight_decay)

    def identity(self) -> dict:
        """Everything that defines the points (not the list of seeds): a folder holds one identity."""
        d = asdict(self)
        d.pop("seeds")
        return json.loads(json.dumps(d))

    @classmethod
    def from_dict(cls, d: dict) -> "ExperimentConfig":
        known = {f.name for f in fields(cls)}
        bad = sorted(set(d) - known)
        if bad:
            raise PruneError(f"unknown config keys {bad}; known: {sorted(known)}")
        return cls(**d)


def derived_seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


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
    """Shared machinery of all methods: models, training, evaluation, saving and resuming points."""

    def __init__(self, cfg: ExperimentConfig, data: Dataset, out, *, command: str = "",
                 log: Callable[[str], None] | None = None) -> None:
        self.cfg, self.data, self.out = cfg, data, Path(out)
        self.log = log or (lambda msg: None)
        self.records: list[dict] = []
        self.provenance = {"command": command, "seeds": list(cfg.seeds), "dataset": data.name,
                           "n_train": int(data.x_train.shape[0]), "n_test": int(data.x_test.shape[0]),
                           "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                           "machine": platform.machine(), "threads": torch.get_num_threads(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        total = Masks.ones(self.new_model(cfg.seeds[0])).count()
        if max(cfg.target_connections) > total:  # checked before anything is written
            raise PruneError(f"target {max(cfg.target_connections)} exceeds the {total} weights of the dense model")
        self._prepare_folder()

    def _prepare_folder(self) -> None:
        path = self.out / "config.json"
        if path.exists():
            old = json.loads(path.read_text())
            old_id = old.get("config", {})
            new_id = self.cfg.identity()
            defaults = ExperimentConfig(method=self.cfg.method).identity()
            # a setting added after the folder was written counts as its default
            diff = sorted(k for k in set(old_id) | set(new_id)
                          if old_id.get(k, defaults.get(k)) != new_id.get(k, defaults.get(k)))
            if diff:
                raise PruneError(f"{self.out} holds a different experiment (differs in {', '.join(diff)}); "
                                 f"choose another --out folder")
            seeds = sorted(set(old.get("provenance", {}).get("seeds", [])) | set(self.cfg.seeds))
            self.provenance["seeds"] = seeds
            self.provenance["resumed_from"] = old.get("provenance", {})
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"config": self.cfg.identity(), "provenance": self.provenance}, indent=1))

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
        self.log(f"[{self.cfg.method} seed {seed} {variant} level {level}] resumed: {r['connections']} "
                 f"connections, acc {100 * r['test_accuracy']:.2f}%")
        return point

    def restore(self, model: MLP, point: Point) -> Masks:
        set_state(model, point_state(point))
        return point_masks(model, point)

    def train(self, model: MLP, masks: Masks, seed: int, variant: str, level: int, epochs: float,
              snapshot_iteration: int | None = None) -> TrainStats:
        label = f"[{self.cfg.method} seed {seed} {variant} level {level}]"
        return train(model, masks, self.data, self.cfg.train_config(epochs),
                     derived_seed(seed, level, VARIANT_IDS[variant]), snapshot_iteration=snapshot_iteration,
                     log=self.log, label=label)

    def finish(self, seed: int, variant: str, level: int, model: MLP, masks: Masks, stats: TrainStats | None,
               extra_wall: float = 0.0, before: dict | None = None) -> dict:
        """Evaluate, save the point and rewrite the tables. ``before``: the record this point grew from."""
        acc = evaluate(model, masks, self.data.x_test, self.data.y_test)
        epochs = stats.epochs if stats else 0.0
        wall = (stats.wall_s if stats else 0.0) + extra_wall
        rec = {"method": self.cfg.method, "variant": variant, "seed": seed, "level": level,
               "connections": masks.count(), "connections_with_biases": masks.count_with_biases(),
               "per_layer": list(masks.per_layer().values()), "density": masks.density(),
               "test_accuracy": acc, "epochs": epochs,
               "cumulative_epochs": epochs + (before["cumulative_epochs"] if before else 0.0),
               "iterations": stats.iterations if stats else 0, "wall_s": wall,
               "cumulative_wall_s": wall + (before["cumulative_wall_s"] if before else 0.0),
               "loss": stats.last_loss if stats else float("nan"),
               "cpu_s": (stats.cpu_s if stats else 0.0) + extra_wall}
        w, b = model_state_arrays(model)
        m = [t.numpy() for t in masks.tensors.values()]
        save_npz(point_path(self.out, seed, variant, level), point_arrays(w, b, m, rec))
        self.records.append(rec)
        self.write_tables()
        self.log(f"[{self.cfg.method} seed {seed} {variant} level {level}] {rec['connections']} connections "
                 f"({rec['connections_with_biases']} with biases), test acc {100 * acc:.2f}%, "
                 f"{epochs:g} epochs, {wall:.1f}s")
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
        from . import imp, schedules
        runner = {"imp": imp.run_imp, "obd": schedules.run_obd, "synflow": schedules.run_synflow,
                  "magnitude": schedules.run_magnitude, "random": schedules.run_random}[self.cfg.method]
        for seed in self.cfg.seeds:
            t0 = time.perf_counter()
            runner(self, seed)
            self.log(f"[{self.cfg.method} seed {seed}] done in {time.perf_counter() - t0:.1f}s")
        self.write_tables()
        plot(self.out)
        return self.records


def run_experiment(cfg: ExperimentConfig, data: Dataset, out, *, command: str = "",
                   log: Callable[[str], None] | None = None) -> list[dict]:
    """Run ``cfg`` on ``data`` and write (or complete) the results folder ``out``; returns the records."""
    return Experiment(cfg, data, out, command=command, log=log).run()
