"""``obd``: Optimal Brain Damage (LeCun et al. 1990; saliency in :mod:`prune_baselines.obd`).

Dense training, then rounds: OBD saliency of the trained weights -> prune ``rate`` (20 %) of the
remaining weights -> fine-tune ``finetune_epochs``; no rewind. Default scope global.
"""
from __future__ import annotations

from ..obd import obd_scores
from .base import Context, Method, derived_seed
from .loops import iterative


def run(ctx: Context, seed: int) -> None:
    c = ctx.cfg

    def score(model, masks, level):
        return obd_scores(model, masks, ctx.data, n_samples=c.obd_samples, seed=derived_seed(seed, level))

    iterative(ctx, seed, score, epochs=c.finetune_epochs, rewind=False)


METHOD = Method(run, default_scope="global")
