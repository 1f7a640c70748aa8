"""The networks of a comparison: WANN champions and the points of prune_baselines folders, as ``Network``."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wann import rundir
from wann.compare.pruned_graph import mlp_genome
from wann.compare.series import series_label
from wann.errors import UserError
from wann.genome import Genome


@dataclass
class Network:
    """One network to score: its genomes per evaluation kind and where it came from."""

    series: str
    source: str
    seed: int
    level: int
    input: int  # 256 (16x16) or 784 (28x28)
    connections: int
    connections_with_biases: int
    genomes: dict[str, Genome]  # evaluation kind ("trained" or one of SHARED_KINDS) -> genome
    train_epochs: float = 0.0  # what the point cost: the whole chain (IMP/OBD levels before it included)
    train_wall_s: float = 0.0  # ... in wall seconds (a WANN: the search up to the champion, plus its tuning)
    provenance: dict = field(default_factory=dict)
    kept: int = 0  # weights kept (a pruned point's target; 0: ``connections``): seeds of one target group together


def wann_networks(path: str | Path) -> list[Network]:
    """The champion of a run folder (or a champion file), with its tuned weights when ``*.tuned.json`` is beside it.

    UserError unless the champion's task has a labelled test set (``wann.tasks.protocol.LabelledTestSet``)."""
    from wann.tasks import check_fits, task_class
    from wann.tasks.protocol import LabelledTestSet

    c, data, file = rundir.load_champion(path)
    name = data["task"].get("name")
    try:
        cls = task_class(name or "")
    except KeyError as exc:
        raise UserError(f"{file}: {exc.args[0]}") from None
    if not issubclass(cls, LabelledTestSet):
        raise UserError(f"{file}: champion of task {name!r}; wann compare needs a classification task with a "
                        "labelled test set (mnist256)")
    check_fits(c.genome, cls, str(file))
    topo = c.genome.copy()
    topo.conn_weight = None
    genomes = {"shared": topo}
    tuned_file = file.with_name(file.name.removesuffix(".json") + ".tuned.json")
    prov: dict = {"champion": str(file), "generation": c.generation}
    epochs = wall = 0.0
    folder = file.parent
    if (folder / rundir.META).exists():
        prov["command"] = rundir.read_meta(folder).get("command")
    done = [r for r in rundir.read_log(folder) if r.get("generation", -1) <= c.generation]
    if done:
        wall = float(done[-1].get("elapsed", 0.0))
        prov["evaluations"] = int(done[-1].get("evaluations", 0))
    seed = int(rundir.read_config(folder).get("run", {}).get("seed", 0)) if (folder / rundir.CONFIG).exists() else 0
    if tuned_file.exists():
        t, tdata, _ = rundir.load_champion(tuned_file)
        genomes["trained"] = t.genome
        tinfo = tdata.get("tuned", {})
        epochs = float(tinfo.get("settings", {}).get("epochs", 0))
        wall += float(tinfo.get("seconds", 0.0))
        prov["tuned"] = {"file": str(tuned_file), "seed": tinfo.get("seed"), "method": tinfo.get("method")}
    n = c.genome.n_connections
    return [Network("WANN", str(file), seed, c.generation, 256, n, n, genomes, epochs, wall, prov)]


def random_counts_mask(masks: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A uniformly random mask with the same number of survivors in every layer."""
    out = []
    for m in masks:
        flat = np.zeros(m.size, dtype=bool)
        flat[rng.choice(m.size, size=int(m.sum()), replace=False)] = True
        out.append(flat.reshape(m.shape))
    return out


def pruned_networks(folder: str | Path, max_connections: int = 0, controls: bool = True) -> list[Network]:
    """Every point of a prune_baselines results folder (``max_connections`` > 0: only points up to that many
    weights), plus a random-mask control per pruned point (``controls``)."""
    from prune_baselines.errors import PruneError
    from prune_baselines.results import load_npz, load_result, point_path, read_point

    folder = Path(folder)
    try:
        res = load_result(folder)
    except PruneError as exc:
        raise UserError(f"{exc}; give --baselines a folder written by `python -m prune_baselines`") from None
    if res.provenance.get("synthetic") or res.provenance.get("dataset") == "synthetic":
        raise UserError(f"{folder} was pruned on --synthetic data (a smoke test, not MNIST); wann compare needs "
                        "baselines trained on MNIST")
    cfg = res.config
    dense = {r["seed"]: r["connections"] for r in res.records if r["level"] == 0}
    nets = []
    for r in res.records:
        if max_connections and r["connections"] > max_connections:
            continue
        if r["level"] > 0 and r["connections"] >= dense.get(r["seed"], r["connections"] + 1):
            continue  # a target at the dense size: nothing pruned, the dense point already stands for it
        try:
            p = read_point(point_path(folder, r["seed"], r["variant"], r["level"]))
            init = load_npz(folder / f"seed_{r['seed']}" / "init.npz")
        except PruneError as exc:
            raise UserError(str(exc)) from None
        init_w = [init[f"weight_{l}"] for l in range(len(p.weights))]
        masks = [np.asarray(m, dtype=bool) for m in p.masks]
        rescale = cfg.get("rescale", "none") if _frozen_weights(r["method"]) else None  # "none": an older folder
        label = series_label(r, rescale)
        genomes = {"trained": mlp_genome(p.weights, p.biases, masks, "trained"),
                   "shared": mlp_genome(p.weights, p.biases, masks, "shared"),
                   "signed_trained": mlp_genome(p.weights, p.biases, masks, "signed", bias_signs_from=p.biases),
                   "signed_init": mlp_genome(p.weights, p.biases, masks, "signed", signs_from=init_w)}
        prov = {"folder": str(folder), "method": r["method"], "variant": r["variant"], "model": cfg.get("model"),
                "sizes": [int(p.weights[0].shape[1])] + [int(w.shape[0]) for w in p.weights],
                "command": res.provenance.get("command"), "cumulative_epochs": r.get("cumulative_epochs"),
                "cumulative_wall_s": r.get("cumulative_wall_s")}
        common = dict(seed=int(r["seed"]), level=int(r["level"]), input=int(cfg.get("input", p.weights[0].shape[1])),
                      connections=int(r["effective_connections"]), kept=int(r["connections"]),
                      connections_with_biases=int(r["effective_connections_with_biases"]))
        nets.append(Network(label, str(folder), genomes=genomes,
                            train_epochs=float(r.get("cumulative_epochs", r["epochs"])),
                            train_wall_s=float(r.get("cumulative_wall_s", r["wall_s"])), provenance=prov, **common))
        if controls and r["level"] > 0 and r["variant"] == "ticket" and r["method"] != "random":
            rng = np.random.default_rng([int(r["seed"]), int(r["level"]), 8])
            rm = random_counts_mask(masks, rng)
            ctrl = {"shared": mlp_genome(p.weights, p.biases, rm, "shared"),
                    "signed_init": mlp_genome(p.weights, p.biases, rm, "signed", signs_from=init_w)}
            if _frozen_weights(r["method"]):  # the same untrained weights under the shuffled mask: the sanity check
                ctrl = {"trained": mlp_genome(p.weights, p.biases, rm, "trained")} | ctrl
            nets.append(Network(f"{label} random mask (untrained)", str(folder), genomes=ctrl,
                                provenance=prov | {"control": "random mask, same per-layer counts, untrained",
                                                   "rng": [int(r["seed"]), int(r["level"]), 8]}, **common))
    return nets


def _frozen_weights(method: str) -> bool:
    """Whether a prune_baselines method keeps untrained weights whatever its mask (its registry says so)."""
    from prune_baselines.methods import METHODS

    return method in METHODS and METHODS[method].frozen_weights
