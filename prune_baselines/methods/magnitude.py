"""``magnitude``: train dense, prune by |w| of the trained weights to each target, then fine-tune.

Once (the default): one selection on the dense weights per target, then ``epochs`` of fine-tuning (or, with
``oneshot_rewind``, training from the initial weights: a one-shot ticket). With ``iterative``: rounds of
``rate`` of the remaining weights (layerwise: ``output_rate`` for the output layer), each fine-tuned for
``finetune_epochs`` from its trained weights (Han et al. 2015's prune-and-retrain), the last landing on the
target. Default scope layerwise.
"""
from __future__ import annotations

from ..errors import PruneError
from ..scoring import magnitude_scores
from .base import Context, Method
from .loops import iterative, one_shot_trained


def score(model, masks, level):
    return magnitude_scores(model, masks)


def run(ctx: Context, seed: int) -> None:
    if ctx.cfg.iterative:
        iterative(ctx, seed, score, epochs=ctx.cfg.finetune_epochs, rewind=False)
    else:
        one_shot_trained(ctx, seed, score, rewind=ctx.cfg.oneshot_rewind)


def check(cfg) -> None:
    """Refuse ``iterative`` with ``oneshot_rewind`` (rounds that rewind are ``--method imp``)."""
    if cfg.iterative and cfg.oneshot_rewind:
        raise PruneError("--iterative fine-tunes between rounds; rounds that rewind to the initial weights are "
                         "--method imp (drop --oneshot-rewind)")


METHOD = Method(run, default_scope="layerwise", check=check)
