"""``magnitude``: train dense, prune once by |w| of the dense weights to each target, then fine-tune (or,
with ``oneshot_rewind``, train from the initial weights: a one-shot ticket). Default scope layerwise."""
from __future__ import annotations

from ..scoring import magnitude_scores
from .base import Context, Method
from .loops import one_shot_trained


def run(ctx: Context, seed: int) -> None:
    one_shot_trained(ctx, seed, lambda model, masks, level: magnitude_scores(model, masks),
                     rewind=ctx.cfg.oneshot_rewind)


METHOD = Method(run, default_scope="layerwise")
