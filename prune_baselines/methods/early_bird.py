"""``early_bird``: Early-Bird tickets (You et al., ICLR 2020, "Drawing Early-Bird Tickets", sec. 3-4 and
Algorithm 1), unstructured, on MLPs.

The paper draws conv-channel masks from the batch-norm scales |γ| (network slimming); here the mask is the
unstructured one magnitude pruning would give: the top |w| of the current weights, under the run's scope and
layer allocation (as ``magnitude``). That extension to MLPs and weight masks has no published anchor.

Per seed, one search: the dense network trains with the run's optimiser, lr and batch for up to
``search_epochs`` epochs (one optimiser, one data stream). After every epoch e (1, 2, ...) the mask of every
target is drawn from the current weights; a target's ticket emerges at the first epoch at which
:func:`~prune_baselines.early_bird.emergence_epoch` (``eb_window``, ``eb_eps``, the newest mask against the
``window - 1`` before it as the authors' code) holds on its masks so far. The search stops once every target's
ticket emerged, or at the cap, where a target still waiting draws its mask at the cap (recorded as not emerged).
Each ticket keeps the weights of its drawing epoch (pruned weights zeroed) and is retrained ``epochs``: the
paper retrains the pruned network from the early-bird weights as far as we know (its released pipeline
prunes the early-bird checkpoint and refines it; not verified here).

One point per target (levels 1.. from the largest target, as :func:`~.loops.targets`). Each record adds
``emergence_epoch`` (None if not emerged), ``search_epochs`` (the epochs this target's search needed: its
emergence or the cap), ``epochs_saved`` (``epochs - search_epochs``: the dense epochs of the one-shot magnitude
pipeline, which prunes after ``epochs`` of dense training, saved by drawing early; negative when the search
took longer) and ``early_bird_distances`` (the [E, E] :func:`~prune_baselines.early_bird.distance_matrix` of
that target's masks of epochs 1..search_epochs). ``cumulative_epochs`` counts the search
epochs needed plus the retraining. ``seed_<s>/early_bird_distances.png`` shows the matrices (the paper's heat
maps). Saved points are resumed; when every target's point is saved nothing is trained.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..early_bird import distance_matrix, emergence_epoch
from ..early_bird_figure import emergence_text, write_distance_figure
from ..errors import PruneError
from ..masks import Masks
from ..models import get_state, set_state
from ..scoring import layer_allocation, magnitude_scores
from ..train import train
from .base import Context, Method, derived_seed, layer_rates, select
from .loops import targets

SEARCH_SEED = 41
"""Derived-seed tag of the search's data order."""
DEFAULTS = {"search_epochs": 15, "eb_window": 5, "eb_eps": 0.1}
"""The method's own defaults: the search cap, and the paper's window (5 masks) and ε = 0.1."""
FIGURE = "early_bird_distances.png"


def search(ctx: Context, seed: int, wanted: list[tuple[int, int]]) -> dict[int, dict]:
    """Train the seed's dense model epoch by epoch, drawing each target's mask after every epoch, until each
    ticket emerged or ``search_epochs`` ran. Returns per level: masks (Masks), state (the weights of the drawing
    epoch), emergence_epoch (None if not emerged), search_epochs, the search's wall seconds to then, and the
    distance matrix of all its masks."""
    c = ctx.cfg
    model = ctx.new_model(seed)
    ones = Masks.ones(model)
    counts = {lv: layer_allocation(ones.sizes(), t, layer_rates(c, ones.names)) for lv, t in wanted}
    drawn: dict[int, list[Masks]] = {lv: [] for lv, _ in wanted}
    found: dict[int, dict] = {}
    t0 = time.perf_counter()

    def after_epoch(epoch: int) -> bool:
        scores = magnitude_scores(model, ones)
        for lv, _ in wanted:
            if lv in found:
                continue
            drawn[lv].append(select(c, scores, ones, counts[lv]))
            at = emergence_epoch(drawn[lv], window=c.eb_window, eps=c.eb_eps)
            if at is not None or epoch == c.search_epochs:
                found[lv] = {"masks": drawn[lv][-1], "state": get_state(model), "search_epochs": epoch,
                             "emergence_epoch": None if at is None else at + 1, "wall_s": time.perf_counter() - t0}
        return len(found) == len(wanted)

    label = f"[{c.method} seed {seed} search]"
    train(model, ones, ctx.data, c.train_config(c.search_epochs), derived_seed(seed, SEARCH_SEED),
          log=getattr(ctx, "log", None), label=label, progress=getattr(ctx, "progress", False),
          after_epoch=after_epoch)
    for lv, f in found.items():
        f["distances"] = distance_matrix(drawn[lv])
    return found


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg
    saved = {lv: ctx.existing(seed, "ticket", lv) for lv, _ in targets(ctx)}
    todo = [(lv, t) for lv, t in targets(ctx) if saved[lv] is None]
    records = {lv: p.record for lv, p in saved.items() if p is not None}
    if todo:
        found = search(ctx, seed, todo)
        model = ctx.new_model(seed)
        for lv, _ in ctx.levels(seed, todo):
            f = found[lv]
            set_state(model, f["state"])
            f["masks"].apply_(model)
            stats = ctx.train(model, f["masks"], seed, "ticket", lv, c.epochs)
            extra = {"emergence_epoch": f["emergence_epoch"], "search_epochs": f["search_epochs"],
                     "epochs_saved": c.epochs - f["search_epochs"],
                     "early_bird_distances": f["distances"].tolist()}
            before = {"cumulative_epochs": float(f["search_epochs"]), "cumulative_wall_s": f["wall_s"]}
            records[lv] = ctx.finish(seed, "ticket", lv, model, f["masks"], stats, before=before, extra=extra)
    out = getattr(ctx, "out", None)
    if out is not None:
        write_figure(Path(out) / f"seed_{seed}" / FIGURE, [records[lv] for lv in sorted(records)])


def write_figure(path: Path, records: list[dict]) -> None:
    """One heat map per target of its masks' distance matrix (the paper's Fig. 2), emergence marked."""
    panels = [(f"{r['connections']:,} weights: " + emergence_text(r["emergence_epoch"], r["search_epochs"]),
               np.asarray(r["early_bird_distances"]), None) for r in records]
    write_distance_figure(path, [panels], f"Early-Bird mask distances, seed {records[0]['seed']}")


def check(cfg) -> None:
    """Fill in :data:`DEFAULTS` for the Early-Bird settings not given; refuse magnitude's ``iterative`` and
    ``oneshot_rewind`` (the ticket is drawn once and retrained from its drawing epoch's weights)."""
    for key, value in DEFAULTS.items():
        if getattr(cfg, key) is None:
            setattr(cfg, key, value)
    if cfg.iterative or cfg.oneshot_rewind:
        raise PruneError("--iterative and --oneshot-rewind are magnitude settings; --method early_bird draws its "
                         "ticket once and retrains it from the weights of the epoch it was drawn")


METHOD = Method(run, default_scope="layerwise", check=check, own_settings=tuple(DEFAULTS))
