"""The comparison's figure: test accuracy against connections, one panel per kind of evaluation.

One colour per series; an untrained random-mask control (``<series> random mask (untrained)``) is drawn
in a pale, thin shade of its parent series' colour, not in a colour of its own.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

PANELS = (("trained weights", {"trained": "-"}),
          ("one shared weight w (bias connections too)", {"shared best": "-", "shared ensemble": ":"}),
          ("signed constant: w * sign(weight)", {"signed_trained best": "-", "signed_init best": "--"}))
CONTROL = " random mask (untrained)"


def parent(series: str) -> str | None:
    """The series an untrained random-mask control belongs to (``IMP`` for ``IMP random mask (untrained)``)."""
    return series.removesuffix(CONTROL) if series.endswith(CONTROL) and series != CONTROL.strip() else None


def pale(colour, amount: float = 0.55):
    """``colour`` mixed with white (``amount`` of white)."""
    from matplotlib.colors import to_rgb

    return tuple(c + (1.0 - c) * amount for c in to_rgb(colour))


def plot(summary: Sequence[dict], stem: str | Path, title: str = "") -> list[Path]:
    """Test accuracy against connections (log x), one panel per kind of evaluation (PANELS), one colour per
    series, its untrained random-mask control a pale thin shade of it; mean +- SD over seeds. ``best``: the w
    chosen on the test set (optimistic) or a validation split (``wann compare --select-on``)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from wann.plots import log_axis, save_figure

    fig = Figure(figsize=(16, 5.5))
    axes = fig.subplots(1, len(PANELS), sharey=True)
    series = sorted({s["series"] for s in summary}, key=lambda n: (n != "WANN", n))
    main = [n for n in series if parent(n) not in series]  # a control of an absent series keeps a colour
    colours = {n: f"C{k % 10}" for k, n in enumerate(main)}
    colours.update({n: pale(colours[parent(n)]) for n in series if n not in colours})
    drawn: set[str] = set()
    for ax, (name, styles) in zip(axes, PANELS):
        for sname in sorted(series, key=lambda n: n in main):  # controls first: underneath their parents
            control = sname not in main
            for ev, ls in styles.items():
                pts = sorted((s for s in summary if s["series"] == sname and s["evaluation"] == ev),
                             key=lambda s: s["connections_with_biases"])
                if not pts:
                    continue
                drawn.add(sname)
                ax.errorbar([s["connections_with_biases"] for s in pts], [100 * s["mean"] for s in pts],
                            yerr=[100 * s["sd"] for s in pts], linestyle=ls, marker="o",
                            markersize=2.5 if control else 3.5, color=colours[sname], capsize=1.5 if control else 2,
                            linewidth=0.8 if control else 1.3, elinewidth=0.6 if control else None,
                            zorder=1.5 if control else 2)
        ax.axhline(10.0, color="0.6", linewidth=0.8, linestyle=(0, (2, 3)))
        log_axis(ax, "x", minor_size=7)
        ax.set_xlabel("connections (bias connections included)")
        ax.set_title(name, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(handles=[Line2D([], [], color="0.3", linestyle=ls, label=ev) for ev, ls in styles.items()],
                  fontsize=7, loc="upper left")
    axes[0].set_ylabel("MNIST test accuracy (%)")
    axes[0].set_ylim(0, 100)
    handles = [Line2D([], [], color=colours[n], marker="o", label=n) for n in main if n in drawn]
    if any(n not in main for n in drawn):
        handles.append(Line2D([], [], color=pale("0.25"), marker="o", markersize=4, linewidth=0.8,
                              label="pale shade: that series' random mask (untrained)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=8, frameon=False)
    fig.suptitle(title or "WANN vs pruned networks: mean ± SD over seeds (dotted grey: chance)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save_figure(fig, stem)
