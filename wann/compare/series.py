"""The name of the series a prune_baselines point belongs to, as tables and figures show it."""
from __future__ import annotations

METHOD_NAMES = {"imp": "IMP", "obd": "OBD", "synflow": "SynFlow", "magnitude": "magnitude",
                # masks learned over frozen weights (edge-popup): named for the weights, so that they cannot be
                # taken for the 'signed constant' evaluations (w * sign of a trained or initial weight)
                "supermask": "supermask (frozen random weights)", "supermask_signed": "supermask (frozen ±c weights)"}
VARIANT_NAMES = {"random_mask": "random mask (trained)", "reinit": "reinit",
                 # sanity checks of at-init methods (prune_baselines.methods.sanity)
                 "shuffle": "shuffled mask (trained)", "invert": "inverted mask (trained)"}
RESCALE_NAMES = {"none": "unscaled", "dynamic": "dynamic rescaling"}
"""Supermask folders scaled otherwise than the default (``fan``) say so; a folder from before ``--rescale`` is
unscaled."""


def series_label(record: dict, rescale: str | None = None) -> str:
    """The series of a prune_baselines point: ``dense MLP`` (level 0), ``random mask (trained)`` (method random),
    the method's name for its tickets (``IMP``, ``OBD``, ...), plus the control's or sanity check's name
    (``IMP reinit``, ``SynFlow shuffled mask (trained)``); a mask over frozen weights also gives its folder's
    ``rescale`` unless the default."""
    if record["level"] == 0:
        return "dense MLP"
    if record["method"] == "random" and record["variant"] == "ticket":
        return "random mask (trained)"
    name = METHOD_NAMES.get(record["method"], record["method"])
    if rescale in RESCALE_NAMES:
        name = f"{name[:-1]}, {RESCALE_NAMES[rescale]})" if name.endswith(")") else f"{name} ({RESCALE_NAMES[rescale]})"
    if record["variant"] == "ticket":
        return name
    return f"{name} {VARIANT_NAMES.get(record['variant'], record['variant'])}"
