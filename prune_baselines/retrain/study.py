"""A retraining study: one large model per seed, pruned at each ratio, each pruned network retrained in the
arms asked for, with the budget of every arm counted in epochs and in FLOPs.

Arms (Liu et al., ICLR 2019, "Rethinking the Value of Network Pruning"; Frankle & Carbin, ICLR 2019; You et
al., ICLR 2020, "Drawing Early-Bird Tickets"):

* ``finetune``: the pruned network keeps the trained large model's weights and trains ``finetune_epochs`` at
  ``finetune_lr``;
* ``ticket``: the pruned network with the large model's *initial* weights (one-shot winning ticket, rewound to
  initialisation), ``epochs`` at ``lr``;
* ``scratch_e``: the pruned architecture (or mask) freshly initialised, ``epochs`` at ``lr``;
* ``scratch_b``: the same fresh initialisation, trained for the large model's computation:
  :func:`~prune_baselines.flops.scratch_b_epochs` (capped at ``scratch_b_cap`` x ``epochs``);
* ``early_bird``: the mask drawn during the large model's training, at the first epoch at which the last
  ``eb_window`` masks lie within ``eb_eps`` of the newest (:func:`~prune_baselines.early_bird.emergence_epoch`;
  at the end of training if never), the network keeping that epoch's weights, retrained as ``finetune``. Against
  ``finetune`` (the full-training ticket, same retraining) it differs only in when the mask was drawn.

The large model trains once per seed (the conv net with network slimming's L1 penalty on BN scales); the
Early-Bird search is that same training (the masks of every epoch are drawn from it, also after the ticket
emerged, for the distance figure), so its cap is ``epochs``.

Folder (plain JSON, CSV, PNG and ``.npz`` read without pickles)::

    config.json                     settings (RetrainConfig) and provenance (command, seeds, data, versions)
    results.json, results.csv       one record per point (below); ``large`` rows are the unpruned models
    retraining.png                  test accuracy per arm and ratio (mean, min-max over seeds), training FLOPs
    seed_<s>/large.npz, large.json  the trained large model's parameters and record
    seed_<s>/eb_ticket_p<p>.npz     the Early-Bird ticket's drawing epoch parameters (+ .json: when, and the
                                    distances between the masks of all epochs of the large model's training)
    seed_<s>/<arm>_p<p>.json        one point's record
    early_bird_distances.png        the Early-Bird search's mask distances between epochs, a row per ratio and
                                    a panel per seed (You et al., Fig. 2)

A record: seed, model, structure, arm, prune_ratio (0 for ``large``), optimizer, lr, momentum (SGD), batch_size,
weight_decay (the arm's training), epochs (this arm's training), train_flops (this arm's), total_epochs and
total_train_flops (with the large model's training for finetune and ticket, the search epochs for early_bird),
forward_flops (per image), flops_ratio (large / pruned forward FLOPs), parameters (weights kept, biases and BN
not counted), architecture (units or channels per layer), test_accuracy, loss (the last epoch's mean), wall_s,
cpu_s; early_bird adds emergence_epoch (None: not emerged), search_epochs, epochs_saved (``epochs`` minus the
search epochs). A point in the folder is never recomputed: the same command resumes; a folder of other settings
(but for seeds, ratios and arms, which add points) is refused.
"""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..convnet import ConvNet, bn_l1_penalty, build_convnet
from ..data import Dataset
from ..early_bird import distance_matrix, emergence_epoch
from ..early_bird_figure import emergence_text, write_distance_figure
from ..errors import PruneError
from ..flops import forward_flops, scratch_b_epochs, training_flops
from ..masks import Masks
from ..methods.base import derived_seed
from ..models import MLP, build_model, get_state, set_state
from ..progress import each
from ..results import atomic_write_text, load_npz, save_npz
from ..train import TrainStats, evaluate, train
from .settings import ARMS, RetrainConfig
from .structures import STRUCTURES, fresh
from .tables import FIGURE, write_figure, write_tables

NOT_IN_IDENTITY = ("prune_ratios", "arms", "eb_window", "eb_eps")
"""Settings that add points to a folder rather than change them."""
DISTANCES = "early_bird_distances.png"
FRESH, DATA_ORDER = 97, 1
"""Derived-seed tags of the scratch arms' fresh initialisation and of the arms' data order (one per seed and
ratio, shared by the arms: their differences are not the data order's; an Early-Bird ticket that never emerged
is the full-training ticket and retrains exactly as ``finetune``)."""


def tag(ratio: float) -> str:
    """A prune ratio as it appears in file names: ``p0.5``."""
    return f"p{ratio:g}"


def parameters(net: nn.Module, masks: Masks | None) -> int:
    """Weights of a network (kept ones under ``masks``); biases and batch-norm parameters not counted."""
    return masks.count() if masks is not None else sum(p.numel() for p in net.parameters() if p.dim() > 1)


def architecture(net: nn.Module) -> list[int]:
    """Units per hidden layer (MLP) or channels per conv layer (conv net)."""
    return list(net.sizes[1:-1]) if isinstance(net, MLP) else list(net.channels)


class Study:
    """Runs (or resumes) a :class:`RetrainConfig` on ``data`` into the folder ``out`` (module docstring)."""

    def __init__(self, cfg: RetrainConfig, data: Dataset, out, *, command: str = "",
                 log: Callable[[str], None] | None = None, progress: bool = False) -> None:
        if cfg.model == "convnet" and data.n_inputs != 784:
            raise PruneError(f"the conv net reads 28x28 images; the data has {data.n_inputs} inputs")
        self.cfg, self.data, self.out = cfg, data, Path(out)
        self.structure = STRUCTURES[cfg.structure]
        self.log = log or (lambda msg: None)
        self.progress = progress
        self.n_train = int(data.x_train.shape[0])
        self.provenance = {"command": command, "seeds": list(cfg.seeds), "dataset": data.name,
                           "synthetic": data.synthetic, "n_train": self.n_train, "n_test": int(data.x_test.shape[0]),
                           "torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                           "threads": torch.get_num_threads(), "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self._prepare_folder()

    def identity(self) -> dict:
        return {k: v for k, v in self.cfg.identity().items() if k not in NOT_IN_IDENTITY}

    def _prepare_folder(self) -> None:
        path = self.out / "config.json"
        if path.exists():
            old = json.loads(path.read_text())
            ident, old_ident = self.identity(), {k: v for k, v in old.get("config", {}).items()
                                                 if k not in (*NOT_IN_IDENTITY, "seeds")}
            diff = sorted(k for k in set(ident) | set(old_ident) if ident.get(k) != old_ident.get(k))
            old_data = old.get("provenance", {}).get("dataset")
            if diff or old_data != self.data.name:
                why = f"differs in {', '.join(diff)}" if diff else f"was run on {old_data} data"
                raise PruneError(f"{self.out} holds another retraining study ({why}); choose another --out folder")
            self.provenance["seeds"] = sorted(set(old["provenance"]["seeds"]) | set(self.cfg.seeds))
        config = self.cfg.model_dump(mode="json")
        if path.exists():  # the folder's arms and ratios: every run's
            config["arms"] = [a for a in ARMS if a in {*config["arms"], *old["config"].get("arms", [])}]
            config["prune_ratios"] = sorted({*config["prune_ratios"], *old["config"].get("prune_ratios", [])})
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"config": config, "provenance": self.provenance}, indent=1))

    # models ------------------------------------------------------------------------------------
    def new_model(self, seed: int) -> nn.Module:
        if self.cfg.model == "convnet":
            return build_convnet(seed, n_outputs=self.data.n_classes)
        return build_model("lenet300", self.data.n_inputs, n_outputs=self.data.n_classes, seed=seed)

    def _train(self, net: nn.Module, masks: Masks | None, cfg, seed: int, label: str, **kw) -> TrainStats:
        return train(net, masks, self.data, cfg, seed, log=self.log, label=label, progress=self.progress, **kw)

    def _record(self, seed: int, arm: str, ratio: float, net: nn.Module, masks: Masks | None, stats: TrainStats,
                lr: float, extra: dict) -> dict:
        c = self.cfg
        fwd = forward_flops(net, masks)
        rec = {"seed": seed, "model": c.model, "structure": c.structure, "arm": arm, "prune_ratio": ratio,
               "optimizer": c.optimizer, "lr": lr, **({"momentum": c.momentum} if c.optimizer == "sgd" else {}),
               "batch_size": c.batch_size, "weight_decay": c.weight_decay, "epochs": stats.epochs,
               "train_flops": training_flops(fwd, self.n_train, stats.epochs), "forward_flops": fwd,
               "parameters": parameters(net, masks), "architecture": architecture(net),
               "test_accuracy": evaluate(net, masks, self.data.x_test, self.data.y_test),
               "loss": stats.last_loss, "wall_s": stats.wall_s, "cpu_s": stats.cpu_s, **extra}
        rec.setdefault("total_epochs", rec["epochs"])
        rec.setdefault("total_train_flops", rec["train_flops"])
        return rec

    # the large model and the Early-Bird search ------------------------------------------------
    def large(self, seed: int) -> tuple[nn.Module, dict, dict, dict[float, dict]]:
        """The seed's large model trained (resumed if saved), its record, its initial state, and per ratio the
        Early-Bird ticket (state, mask, emergence_epoch, search_epochs, distances) when that arm is asked for."""
        c, folder = self.cfg, self.out / f"seed_{seed}"
        model = self.new_model(seed)
        init = get_state(model)
        eb_ratios = c.prune_ratios if "early_bird" in c.arms else ()
        tickets = {r: self._saved_ticket(seed, r) for r in eb_ratios}
        if (folder / "large.json").exists() and all(t is not None for t in tickets.values()):
            set_state(model, {k: torch.from_numpy(v) for k, v in load_npz(folder / "large.npz").items()})
            rec = json.loads((folder / "large.json").read_text())
            self.log(f"[seed {seed} large] resumed: test acc {100 * rec['test_accuracy']:.2f}%")
            return model, rec, init, tickets
        drawn: dict[float, list] = {r: [] for r in eb_ratios}
        found: dict[float, dict] = {}

        def after_epoch(epoch: int) -> bool:
            for r in eb_ratios:  # masks of every epoch, for the figure; the ticket at the first that passes
                drawn[r].append(self.structure.draw(model, r))
                if r in found:
                    continue
                at = emergence_epoch(drawn[r], window=c.eb_window, eps=c.eb_eps)
                if at is not None or epoch >= c.epochs:
                    found[r] = {"state": get_state(model), "emergence_epoch": None if at is None else at + 1,
                                "search_epochs": epoch, "mask": drawn[r][-1]}
            return False

        penalty = (lambda: bn_l1_penalty(model, c.bn_l1)) if isinstance(model, ConvNet) and c.bn_l1 else None
        stats = self._train(model, None, c.arm_train("large", c.epochs), derived_seed(seed, 0),
                            f"[seed {seed} large]", penalty=penalty, after_epoch=after_epoch if eb_ratios else None)
        for r, f in found.items():
            f["distances"] = distance_matrix(drawn[r]).tolist()
            save_npz(folder / f"eb_ticket_{tag(r)}.npz", {k: v.numpy() for k, v in f["state"].items()})
            meta = {k: f[k] for k in ("emergence_epoch", "search_epochs", "distances")}
            atomic_write_text(folder / f"eb_ticket_{tag(r)}.json",
                              json.dumps({**meta, "eb_window": c.eb_window, "eb_eps": c.eb_eps}))
            tickets[r] = f
        state = {k: v.numpy() for k, v in get_state(model).items()}
        if (folder / "large.json").exists():  # trained again for new Early-Bird ratios: it must be the same model
            saved = load_npz(folder / "large.npz")
            if set(saved) != set(state) or not all(np.array_equal(saved[k], state[k]) for k in state):
                raise PruneError(f"{folder} holds a large model that training again does not reproduce (another "
                                 f"torch?); use a fresh --out folder for new Early-Bird ratios")
            rec = json.loads((folder / "large.json").read_text())
        else:
            rec = self._record(seed, "large", 0.0, model, None, stats, c.lr, {})
            save_npz(folder / "large.npz", state)
            atomic_write_text(folder / "large.json", json.dumps(rec))
        self.log(f"[seed {seed} large] test acc {100 * rec['test_accuracy']:.2f}%, {stats.epochs:g} epochs")
        return model, rec, init, tickets

    def _saved_ticket(self, seed: int, ratio: float) -> dict | None:
        """A saved Early-Bird ticket drawn with this study's window and eps (its mask redrawn from its state)."""
        base = self.out / f"seed_{seed}" / f"eb_ticket_{tag(ratio)}"
        if not base.with_suffix(".json").exists() or not base.with_suffix(".npz").exists():
            return None
        meta = json.loads(base.with_suffix(".json").read_text())
        if (meta["eb_window"], meta["eb_eps"]) != (self.cfg.eb_window, self.cfg.eb_eps):
            return None
        state = {k: torch.from_numpy(v) for k, v in load_npz(base.with_suffix(".npz")).items()}
        model = self.new_model(seed)
        set_state(model, state)
        return {**meta, "state": state, "mask": self.structure.draw(model, ratio)}

    # the arms ----------------------------------------------------------------------------------
    def point(self, seed: int, arm: str, ratio: float, large: nn.Module, large_rec: dict, init: dict,
              tickets: dict[float, dict]) -> dict:
        """One arm at one ratio (resumed if saved)."""
        c, path = self.cfg, self.out / f"seed_{seed}" / f"{arm}_{tag(ratio)}.json"
        if path.exists():
            return json.loads(path.read_text())
        label = f"[seed {seed} {arm} {tag(ratio)}]"
        mask = self.structure.draw(large, ratio)
        extra: dict = {}
        if arm == "early_bird":
            t = tickets[ratio]
            source = self.new_model(seed)
            set_state(source, t["state"])
            net, masks = self.structure.extract(source, t["mask"])
            extra = {"emergence_epoch": t["emergence_epoch"], "search_epochs": t["search_epochs"],
                     "epochs_saved": c.epochs - t["search_epochs"]}
        elif arm == "finetune":
            net, masks = self.structure.extract(large, mask)
        else:
            source = self.new_model(seed)
            set_state(source, init)
            net, masks = self.structure.extract(source, mask)
            if arm in ("scratch_e", "scratch_b"):
                net = fresh(net, derived_seed(seed, FRESH, round(ratio * 1e6)))
        large_flops = large_rec["forward_flops"]
        pruned_flops = forward_flops(net, masks)
        epochs = {"finetune": c.finetune_epochs, "early_bird": c.finetune_epochs, "ticket": c.epochs,
                  "scratch_e": c.epochs,
                  "scratch_b": scratch_b_epochs(c.epochs, large_flops, pruned_flops, c.scratch_b_cap)}[arm]
        tc = c.arm_train(arm, epochs)
        stats = self._train(net, masks, tc, derived_seed(seed, DATA_ORDER, round(ratio * 1e6)), label)
        rec = self._record(seed, arm, ratio, net, masks, stats, tc.lr, {"flops_ratio": large_flops / pruned_flops,
                                                                        **extra})
        if arm in ("finetune", "ticket"):
            rec["total_epochs"] = large_rec["epochs"] + rec["epochs"]
            rec["total_train_flops"] = large_rec["train_flops"] + rec["train_flops"]
        elif arm == "early_bird":
            rec["total_epochs"] = rec["search_epochs"] + rec["epochs"]
            rec["total_train_flops"] = large_rec["train_flops"] * rec["search_epochs"] / large_rec["epochs"] + \
                rec["train_flops"]
        atomic_write_text(path, json.dumps(rec))
        self.log(f"{label} test acc {100 * rec['test_accuracy']:.2f}%, {rec['parameters']:,} weights, "
                 f"{epochs:g} epochs at lr {tc.lr:g}")
        return rec

    def run(self) -> list[dict]:
        """Every seed's large model and points; writes the tables and figures; returns every record in the folder."""
        c = self.cfg
        for seed in c.seeds:
            large, rec, init, tickets = self.large(seed)
            jobs = [(arm, r) for r in c.prune_ratios for arm in c.arms]
            for arm, r in each(jobs, f"[seed {seed}] points", self.progress, unit="point"):
                self.point(seed, arm, r, large, rec, init, tickets)
            write_tables(self.out, self.provenance)
        records = write_tables(self.out, self.provenance)
        write_figure(self.out / FIGURE, c.model_dump(mode="json"), records)
        if "early_bird" in c.arms:
            self.write_distances()
        return records

    def write_distances(self) -> None:
        """early_bird_distances.png: a row per prune ratio, a panel per seed (every seed in the folder)."""
        c, rows = self.cfg, []
        for r in c.prune_ratios:
            row = []
            for path in sorted(self.out.glob(f"seed_*/eb_ticket_{tag(r)}.json"),
                               key=lambda p: int(p.parent.name.split("_")[1])):
                t = json.loads(path.read_text())
                row.append((f"{path.parent.name.replace('_', ' ')}, {100 * r:g}% of {c.structure}: "
                            + emergence_text(t["emergence_epoch"], t["search_epochs"]), np.asarray(t["distances"]),
                            t["emergence_epoch"]))
            if row:
                rows.append(row)
        if rows:
            write_distance_figure(self.out / DISTANCES, rows, f"Early-Bird mask distances between epochs, {c.model} "
                                  f"(window {c.eb_window}, eps {c.eb_eps:g}; dashed: the ticket's epoch)")


def run_study(cfg: RetrainConfig, data: Dataset, out, **kw) -> list[dict]:
    """Run (or resume) ``cfg`` on ``data`` into the folder ``out``; returns every record there."""
    return Study(cfg, data, out, **kw).run()
