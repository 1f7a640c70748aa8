"""The Early-Bird figure: one heat map per ticket of the pairwise mask distances between the epochs of its
search (You et al., ICLR 2020, Fig. 2), titled with when the ticket emerged."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .results import atomic_write_bytes


def emergence_text(emergence_epoch: int | None, search_epochs: int) -> str:
    """'emerged at epoch e' or 'not emerged by epoch n'."""
    return f"emerged at epoch {emergence_epoch}" if emergence_epoch else f"not emerged by epoch {search_epochs}"


def write_distance_figure(path: Path, rows: list[list[tuple[str, np.ndarray, int | None]]], title: str) -> None:
    """Write a PNG of a grid of heat maps: ``rows`` of panels (panel title, [E, E] distance matrix of the masks
    of epochs 1..E as :func:`~prune_baselines.early_bird.distance_matrix`, the ticket's epoch to outline when
    the matrix goes on past it, or None), all on one colour scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n_cols = max(len(r) for r in rows)
    top = max(float(np.max(d)) for row in rows for _, d, _ in row) or 1.0  # one colour scale for every panel
    fig = Figure(figsize=(max(4.6 * n_cols, 5.5), 4.0 * len(rows)))
    for i, row in enumerate(rows):
        for j, (label, d, mark) in enumerate(row):
            ax = fig.add_subplot(len(rows), n_cols, i * n_cols + j + 1)
            d = np.asarray(d)
            im = ax.imshow(d, cmap="viridis", vmin=0, vmax=top, origin="upper",
                           extent=(0.5, len(d) + 0.5, len(d) + 0.5, 0.5))
            ax.set_title(label, fontsize=9)
            if mark and mark < len(d):
                ax.axhline(mark + 0.5, c="w", lw=0.8, ls="--")
                ax.axvline(mark + 0.5, c="w", lw=0.8, ls="--")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.set_ylabel("epoch")
            fig.colorbar(im, ax=ax, fraction=0.046, label="mask distance")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    atomic_write_bytes(path, buf.getvalue())
