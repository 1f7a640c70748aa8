"""The comparison's figure: test accuracy against connections, one panel per kind of evaluation."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

PANELS = (("trained weights", {"trained": "-"}),
          ("one shared weight w (bias connections too)", {"shared best": "-", "shared ensemble": ":"}),
          ("signed constant: w * sign(weight)", {"signed_trained best": "-", "signed_init best": "--"}))


def plot(summary: Sequence[dict], stem: str | Path, title: str = "") -> list[Path]:
    """Test accuracy against connections (log x), one panel per kind of evaluation (PANELS), one colour per
    series; mean +- SD over seeds. ``best`` picks w on the test set (optimistic)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    from wann.plots import save_figure

    fig, axes = plt.subplots(1, len(PANELS), figsize=(16, 5.5), sharey=True)
    series = sorted({s["series"] for s in summary}, key=lambda n: (n != "WANN", n))
    colours = {n: f"C{k % 10}" for k, n in enumerate(series)}
    drawn: set[str] = set()
    for ax, (name, styles) in zip(axes, PANELS):
        for sname in series:
            for ev, ls in styles.items():
                pts = sorted((s for s in summary if s["series"] == sname and s["evaluation"] == ev),
                             key=lambda s: s["connections_with_biases"])
                if not pts:
                    continue
                drawn.add(sname)
                ax.errorbar([s["connections_with_biases"] for s in pts], [100 * s["mean"] for s in pts],
                            yerr=[100 * s["sd"] for s in pts], linestyle=ls, marker="o", markersize=3.5,
                            color=colours[sname], capsize=2, linewidth=1.3)
        ax.axhline(10.0, color="0.6", linewidth=0.8, linestyle=(0, (2, 3)))
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if str(int(v))[0] in "25" else ""))
        ax.tick_params(axis="x", which="minor", labelsize=7)
        ax.set_xlabel("connections (bias connections included)")
        ax.set_title(name, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(handles=[Line2D([], [], color="0.3", linestyle=ls, label=ev) for ev, ls in styles.items()],
                  fontsize=7, loc="upper left")
    axes[0].set_ylabel("MNIST test accuracy (%)")
    axes[0].set_ylim(0, 100)
    fig.legend(handles=[Line2D([], [], color=colours[n], marker="o", label=n) for n in series if n in drawn],
               loc="lower center", ncol=min(len(drawn), 5), fontsize=8, frameon=False)
    fig.suptitle(title or "WANN vs pruned networks: mean ± SD over seeds (dotted grey: chance)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save_figure(fig, stem)
