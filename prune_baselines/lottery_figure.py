"""``lottery_ticket.png``: the early-stopping figure of Frankle & Carbin (ICLR 2019, "The Lottery Ticket
Hypothesis", LeNet-300-100 on MNIST) from a results folder trained with ``--validation``.

Two panels against the percent of weights remaining (log scale, 100 % on the left, as the paper): the
early-stopping iteration (minimum validation loss) on the left, the test accuracy at that iteration on the
right; one series per variant (the ticket, IMP's ``reinit`` and ``random_mask`` controls), each the mean over
seeds at each level with error bars from the minimum to the maximum over seeds (the paper's bars); a dotted line
marks the dense network (level 0, mean over seeds), a dashed one the last training iteration (the latest an early
stop can be; drawn when every training has the same length).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .errors import PruneError
from .results import EARLY_STOP_FIELDS, Result, _log_x, atomic_write_bytes, dataset_name, load_result

FILE = "lottery_ticket.png"
PANELS = (("early_stop_iteration", 1.0, "early-stop iteration (min. validation loss)"),
          ("early_stop_test_accuracy", 100.0, "test accuracy at early stop (%)"))
"""(record key, scale, y label) of the left and right panel."""
LABELS = {"reinit": "reinit (random re-initialisation)", "random_mask": "random mask (same per-layer counts)"}
"""Legend labels of IMP's controls, in the order they are drawn after the ticket."""


def _order(variant: str) -> tuple[int, str]:
    """The ticket, then the controls of :data:`LABELS`, then any other variant by name."""
    known = ["ticket", *LABELS]
    return (known.index(variant) if variant in known else len(known), variant)


def early_stop_records(records: list[dict]) -> list[dict]:
    """The records that carry early stopping (trained with a validation split)."""
    return [r for r in records if EARLY_STOP_FIELDS[0] in r]


def series(records: list[dict], key: str, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    """(percent of weights remaining, mean, min, max of ``scale * record[key]`` over seeds), one entry per
    distinct count of kept weights, from the densest; ``records`` of one variant."""
    by_count: dict[int, list[dict]] = {}
    for r in records:
        by_count.setdefault(r["connections"], []).append(r)
    groups = [by_count[c] for c in sorted(by_count, reverse=True)]
    x = np.array([100.0 * np.mean([r["density"] for r in g]) for g in groups])
    values = [np.array([scale * r[key] for r in g], dtype=float) for g in groups]
    lo, hi = np.array([v.min() for v in values]), np.array([v.max() for v in values])
    # the mean of equal values can round past them: kept within [min, max] (error bars must not be negative)
    return x, np.clip(np.array([v.mean() for v in values]), lo, hi), lo, hi


def lottery_figure(result: Result):
    """The two-panel figure (a bare ``matplotlib.figure.Figure``: no pyplot, the caller's backend untouched) of
    ``result``'s early-stopping records; PruneError if it has none."""
    from matplotlib.figure import Figure

    records = early_stop_records(result.records)
    if not records:
        raise PruneError(f"{result.folder} has no early-stopping records (train with --validation N)")
    method = result.config.get("method", "?")
    dense = [r for r in records if r["variant"] == "ticket" and r["level"] == 0]
    fig = Figure(figsize=(11, 4.3), dpi=110)
    axes = fig.subplots(1, 2)
    for ax, (key, scale, ylabel) in zip(axes, PANELS):
        for variant in sorted({r["variant"] for r in records}, key=_order):
            x, mean, lo, hi = series([r for r in records if r["variant"] == variant], key, scale)
            label = ("winning ticket" if method == "imp" else method) if variant == "ticket" else \
                LABELS.get(variant, variant)
            ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], marker="o", markersize=3, capsize=2, linewidth=1.2,
                        label=label)
        if dense:
            ax.axhline(np.mean([scale * r[key] for r in dense]), color="0.4", linestyle=":", linewidth=1,
                       label="dense (level 0)")
        _log_x(ax)
        ax.invert_xaxis()
        ax.set_xlabel("weights remaining (%)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    last = {r["iterations"] for r in records}
    if len(last) == 1:  # the latest an early stop can be: the training's last iteration
        total = last.pop()
        axes[0].axhline(total, color="0.6", linestyle="--", linewidth=1)
        axes[0].set_ylim(top=1.07 * total)  # room for the line's label
        axes[0].text(0.02, total, f"last iteration ({total:,})", transform=axes[0].get_yaxis_transform(),
                     ha="left", va="bottom", fontsize=8, color="0.4")
    axes[1].legend(fontsize=8)
    seeds = sorted({r["seed"] for r in records})
    fig.suptitle(f"{result.config.get('model')} on {dataset_name(result)}: {method}, early stopping on "
                 f"{result.provenance.get('n_validation', '?')} validation images; mean of {len(seeds)} seed"
                 f"{'s' if len(seeds) != 1 else ''}, bars min-max")
    fig.tight_layout()
    return fig


def write_lottery_figure(folder, result: Result | None = None) -> Path | None:
    """Write ``folder/lottery_ticket.png`` (an RGB PNG, written whole) if the folder's records carry early
    stopping; returns its path, or None (nothing written) if they do not."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    res = result or load_result(folder)
    if not early_stop_records(res.records):
        return None
    fig = lottery_figure(res)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buf, format="png", optimize=True)
    path = Path(folder) / FILE
    atomic_write_bytes(path, buf.getvalue())
    return path
