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


def write_distance_figure(path: Path, panels: list[tuple[str, np.ndarray]], title: str,
                          marks: list[int | None] | None = None) -> None:
    """Write a PNG of ``panels`` side by side: (panel title, [E, E] distance matrix of the masks of epochs
    1..E, as :func:`~prune_baselines.early_bird.distance_matrix`); ``marks``: per panel an epoch to outline
    (the ticket's, when the matrix goes on past it), or None."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(panels), 3.8))
    for i, (label, d) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        d = np.asarray(d)
        im = ax.imshow(d, cmap="viridis", vmin=0, origin="upper", extent=(0.5, len(d) + 0.5, len(d) + 0.5, 0.5))
        ax.set_title(label, fontsize=9)
        e = (marks or [None] * len(panels))[i]
        if e and e < len(d):
            ax.axhline(e + 0.5, c="w", lw=0.8, ls="--")
            ax.axvline(e + 0.5, c="w", lw=0.8, ls="--")
        ax.set_xlabel("epoch")
        ax.set_ylabel("epoch")
        fig.colorbar(im, ax=ax, fraction=0.046, label="mask distance")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    atomic_write_bytes(path, buf.getvalue())
