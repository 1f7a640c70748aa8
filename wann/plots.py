"""Figures: the champion's graph, the run's curves, the shared-weight sweep (PNG + SVG).

Every figure is a ``matplotlib.figure.Figure`` built directly (no pyplot, no backend chosen at
import: a notebook's backend and pyplot state are left alone) and written by ``save_figure``.

``genome_graph`` puts a genome in a networkx DiGraph with its layout: bias and
inputs on the left, hidden nodes in columns by depth (longest path over expressed
connections), outputs on the right; genes the network does not express are left out,
and disabled genes that the reference phenotype expresses (hidden->hidden) are drawn dashed. A depth
with more hidden nodes than fit beside the inputs (``column_capacity``) is spread over several
staggered sub-columns, so that its markers do not overlap. Networks
with many inputs (a task's ``input_shape``, or a square number above 32, e.g.
MNIST's 16x16) get their inputs laid out as a pixel grid, shaded by how many
connections leave each pixel.
"""
from __future__ import annotations

import math
import io
import sys
from pathlib import Path
from typing import Sequence

import matplotlib
import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from wann.activations import NAMES, TABLE
from wann.genome import BIAS, HIDDEN, INPUT, KIND_NAMES, OUTPUT, Genome
from wann.io import write_atomic

FORMATS = ("png", "svg")
MARKERS = {a.id: a.marker for a in TABLE}
COLORS = {a.id: a.color for a in TABLE}
IO_COLOR, BIAS_COLOR = "#d9d9d9", "#ffffff"
GRID_MIN_INPUTS = 33
MAX_ARROWS = 300  # more edges are drawn as plain lines
DISABLED_GENE_STYLE = "dashed"  # a disabled gene the reference phenotype expresses (hidden -> hidden)


# ---- the graph and its layout ----------------------------------------------------------
def input_grid_shape(n_inputs: int, shape: Sequence[int] | None = None) -> tuple[int, int] | None:
    """(rows, cols) of the pixel-grid layout, or None for a column of named inputs."""
    if shape is not None:
        return int(shape[0]), int(shape[1])
    side = math.isqrt(n_inputs)
    return (side, side) if n_inputs >= GRID_MIN_INPUTS and side * side == n_inputs else None


def genome_graph(genome: Genome, input_names: Sequence[str] | None = None,
                 output_names: Sequence[str] | None = None, grid: tuple[int, int] | None = None) -> nx.DiGraph:
    """The genome's expressed graph with node attributes kind, activation, act_name, label, layer, live, pos.

    ``live``: the node can reach an output. Edge attributes: innovation, ``disabled_gene``
    (True for a disabled gene the reference phenotype expresses: ``Genome.expressed``),
    and weight for tuned genomes. ``grid`` lays the inputs out as an image (rows, cols).
    """
    g = nx.DiGraph()
    ids = genome.node_id.tolist()
    kinds = dict(zip(ids, genome.node_kind.tolist()))
    acts = dict(zip(ids, genome.node_act.tolist()))
    inputs = sorted(i for i in ids if kinds[i] == INPUT)
    outputs = sorted(i for i in ids if kinds[i] == OUTPUT)
    in_names = list(input_names) if input_names is not None else [f"in{k}" for k in range(len(inputs))]
    out_names = list(output_names) if output_names is not None else [f"out{k}" for k in range(len(outputs))]
    labels = {i: n for i, n in zip(inputs, in_names)} | {i: n for i, n in zip(outputs, out_names)}
    on = np.flatnonzero(genome.expressed)
    touched = set(genome.conn_src[on].tolist()) | set(genome.conn_dst[on].tolist())
    for i in ids:
        if kinds[i] == HIDDEN and i not in touched:
            continue
        g.add_node(i, kind=KIND_NAMES[kinds[i]], activation=acts[i], act_name=NAMES[acts[i]],
                   label=labels.get(i, "bias" if kinds[i] == BIAS else ""))
    for k in on.tolist():
        attrs = {"innovation": int(genome.conn_innov[k]), "disabled_gene": not bool(genome.conn_enabled[k])}
        if genome.conn_weight is not None:
            attrs["weight"] = float(genome.conn_weight[k])
        g.add_edge(int(genome.conn_src[k]), int(genome.conn_dst[k]), **attrs)
    live = set(outputs).union(*(nx.ancestors(g, o) for o in outputs))
    layer = {}
    for n in nx.topological_sort(g):
        kind = g.nodes[n]["kind"]
        layer[n] = 0 if kind in ("bias", "input") else 1 + max((layer[p] for p in g.predecessors(n)), default=0)
    last = 1 + max((layer[n] for n in g if g.nodes[n]["kind"] == "hidden"), default=0)
    for n in g:
        g.nodes[n]["layer"] = last if g.nodes[n]["kind"] == "output" else layer[n]
        g.nodes[n]["live"] = n in live
    _place(g, [0] + inputs, outputs, last, grid)
    return g


def _stack(desired: np.ndarray, gap: float, keep_order: bool = False) -> np.ndarray:
    """Heights near ``desired`` (top to bottom), at least ``gap`` apart, centred on their mean."""
    order = np.arange(desired.size) if keep_order else np.argsort(-desired, kind="stable")
    y = np.empty(desired.size)
    for k, i in enumerate(order.tolist()):
        y[i] = desired[i] if k == 0 else min(desired[i], y[order[k - 1]] - gap)
    return y + (desired.mean() - y.mean()) if desired.size else y


def column_capacity(n_left: int, grid: tuple[int, int] | None) -> int:
    """The most hidden nodes stacked one unit apart in one (sub-)column: a little more than the height
    of the inputs (the pixel grid's rows, or the named inputs), at least 16."""
    return max(16, (grid[0] if grid is not None else n_left) + 4)


def _place(g: nx.DiGraph, left: list[int], outputs: list[int], last: int, grid) -> None:
    """Positions: named inputs one unit apart (or a pixel grid); every later column near the mean
    height of its nodes' sources, nodes at least one unit apart; outputs keep their id order.

    A hidden column of n nodes above ``column_capacity`` becomes k = ceil(n / capacity) sub-columns one
    unit apart: its nodes are stacked 1/k apart (top to bottom by the height of their sources) and dealt
    to the sub-columns in turn, so nodes of one sub-column stay one unit apart and the column about as
    tall as the inputs. Later columns move right by the extra width."""
    pos: dict[int, tuple[float, float]] = {}
    if grid is None:
        pos.update({n: (0.0, (len(left) - 1) / 2.0 - k) for k, n in enumerate(left)})
        step = 2.0
    else:
        rows, cols = grid
        pos[left[0]] = (-(cols + 1) / 2.0 - 1.0, (rows - 1) / 2.0 + 1.5)  # the bias above the image
        for k, n in enumerate(left[1:]):
            r, c = divmod(k, cols)
            pos[n] = (c - cols - 2.0, (rows - 1) / 2.0 - r)
        step = max(rows, cols) / 2.0
    capacity = column_capacity(len(left) - 1, grid)
    x = 0.0
    for col in range(1, last + 1):
        members = ([n for n in outputs if n in g] if col == last else
                   [n for n in g if g.nodes[n]["layer"] == col and g.nodes[n]["kind"] == "hidden"])
        desired = np.array([np.mean([pos[p][1] for p in g.predecessors(n)]) if g.in_degree(n) else 0.0
                            for n in members])
        if col == last and desired.size:
            desired[:] = desired.mean()  # outputs evenly spaced, in id order
        k = 1 if col == last else max(1, math.ceil(len(members) / capacity))
        ys = _stack(desired, 1.0 / k, keep_order=col == last)
        x += step
        rank = np.argsort(-ys, kind="stable")  # top to bottom
        sub = np.empty(len(members), dtype=int)
        sub[rank] = np.arange(len(members)) % k
        pos.update({n: (x + float(j), float(y)) for n, y, j in zip(members, ys, sub.tolist())})
        x += k - 1
    for n, p in pos.items():
        g.nodes[n]["pos"] = (float(p[0]), float(p[1]))


# ---- drawing --------------------------------------------------------------------------
def save_figure(fig, stem: str | Path, formats: Sequence[str] = FORMATS, dpi: int = 150) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` (each whole or not at all: ``wann.io.write_atomic``); a figure that
    pyplot manages is closed. PNGs keep matplotlib's RGBA (never palette-quantised)."""
    stem = Path(stem)
    paths = []
    try:
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            buf = io.BytesIO()
            with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (editable, searchable)
                fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
            write_atomic(path, buf.getvalue())
            paths.append(path)
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")  # a figure made by pyplot (a caller's): let pyplot forget it
        if pyplot is not None:
            pyplot.close(fig)
    return paths


def log_axis(ax, which: str = "x", minor_size: float = 7.0) -> None:
    """A log axis labelled in plain numbers: every power of ten, and of the ticks between (5, 2, 3, ...
    first) as many as fit without their labels touching, judged from the axis' drawn length and range
    when it is drawn (minor labels in ``minor_size`` points)."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_locator(LogLocator(base=10))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10))))

    def labelled() -> set[float]:
        """The minor ticks to label: by niceness (5, 2, 3, other digits, then the rest), each only if its
        label keeps clear of the major labels and of those already chosen."""
        lo, hi = sorted(abs(v) for v in axis.get_view_interval())
        if lo <= 0:
            return set()
        box = ax.get_window_extent()
        length = (box.width if which == "x" else box.height) * 72.0 / ax.figure.dpi  # points
        per_decade = length / max(math.log10(hi / lo), 1e-9)
        chars = len(f"{hi:g}") if which == "x" else 1.2  # a y label's height: about one line
        need = (0.62 * chars + 0.8) * minor_size  # a label's extent along the axis and a gap (points)
        inside = [v for v in axis.get_minorticklocs() if lo <= v <= hi]
        taken = [math.log10(v) for v in axis.get_majorticklocs() if lo <= v <= hi]
        chosen = set()

        def rank(v):
            m = v / 10 ** math.floor(math.log10(v) + 1e-9)
            lead = round(m)
            return ({5: 0, 2: 1, 3: 2}.get(lead, 3) if abs(m - lead) < 1e-6 else 4, v)

        for v in sorted(inside, key=rank):
            if all(abs(math.log10(v) - t) * per_decade >= need for t in taken):
                chosen.add(v)
                taken.append(math.log10(v))
        return chosen

    def minor(v, _):
        return f"{v:g}" if any(abs(v - c) <= 1e-9 * c for c in labelled()) else ""

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))
    ax.tick_params(axis=which, which="minor", labelsize=minor_size)


def draw_genome(genome: Genome, stem: str | Path, input_names: Sequence[str] | None = None,
                output_names: Sequence[str] | None = None, title: str = "",
                input_shape: Sequence[int] | None = None) -> list[Path]:
    """Draw the genome (module docstring) to ``stem.png`` and ``stem.svg``; returns the paths."""
    grid = input_grid_shape(genome.n_inputs, input_shape)
    g = genome_graph(genome, input_names, output_names, grid)
    pos = {n: d["pos"] for n, d in g.nodes(data=True)}
    xs, ys = np.array([p[0] for p in pos.values()]), np.array([p[1] for p in pos.values()])
    fx, fy = (0.9, 0.42) if grid is None else (0.35, 0.35)  # inches per unit of the layout
    width, height = float(np.ptp(xs)) * fx + 4.0, float(np.ptp(ys)) * fy + 2.0
    size = (min(max(width, 6.0), 18.0), min(max(height, 3.5), 14.0))
    # a graph too big for the largest figure is drawn smaller: markers and labels shrink with it
    shrink = min(1.0, (size[0] - 4.0) / max(width - 4.0, 1e-9), (size[1] - 2.0) / max(height - 2.0, 1e-9))
    node, font = shrink ** 2, max(6.0, 10.0 * shrink)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    tuned = genome.conn_weight is not None
    scale = max((abs(d["weight"]) for _, _, d in g.edges(data=True)), default=1.0) if tuned else 1.0
    arrows = grid is None and g.number_of_edges() <= MAX_ARROWS  # else plain lines (fast for thousands)
    groups_by_rad: dict[float, list] = {}
    for u, v, d in g.edges(data=True):
        span = g.nodes[v]["layer"] - g.nodes[u]["layer"]
        rad = 0.0 if span <= 1 or not arrows else (0.12 if d["innovation"] % 2 else -0.12)
        groups_by_rad.setdefault(rad, []).append((u, v, d))
    for rad, edges in groups_by_rad.items():
        if tuned:
            colors = ["#2166ac" if d["weight"] >= 0 else "#b2182b" for _, _, d in edges]
            widths = [0.5 + 2.5 * abs(d["weight"]) / max(scale, 1e-12) for _, _, d in edges]
        else:
            colors, widths = "#404040", 1.0
        style = {"arrowstyle": "-|>", "arrowsize": 8, "node_size": 200 * node, "connectionstyle": f"arc3,rad={rad}"}
        drawn = nx.draw_networkx_edges(g, pos, ax=ax, edgelist=[(u, v) for u, v, _ in edges], edge_color=colors,
                                       width=widths, alpha=0.55 if grid is None else 0.2, arrows=arrows,
                                       style=[DISABLED_GENE_STYLE if d["disabled_gene"] else "solid"
                                              for _, _, d in edges], **(style if arrows else {}))
        for artist in drawn if isinstance(drawn, list) else [drawn]:
            artist.set_zorder(1)
    hidden_acts = sorted({d["activation"] for _, d in g.nodes(data=True) if d["kind"] == "hidden"})
    groups: list[tuple[list[int], dict]] = []
    inputs = [n for n, d in g.nodes(data=True) if d["kind"] == "input"]
    if grid is None:
        groups.append((inputs, {"node_color": IO_COLOR, "node_shape": "o", "node_size": 220 * node}))
    else:
        _pixel_grid(ax, g, inputs, grid)
    groups.append(([n for n, d in g.nodes(data=True) if d["kind"] == "bias"],
                   {"node_color": BIAS_COLOR, "node_shape": "o", "node_size": 220 * node}))
    outs = [n for n, d in g.nodes(data=True) if d["kind"] == "output"]
    groups.append((outs, {"node_color": IO_COLOR, "node_shape": "s", "node_size": 260 * node}))
    for a in hidden_acts:
        for live in (True, False):
            members = [n for n, d in g.nodes(data=True) if d["kind"] == "hidden" and d["activation"] == a
                       and d["live"] == live]
            groups.append((members, {"node_color": [COLORS[a]], "node_shape": MARKERS[a], "node_size": 200 * node,
                                     "alpha": 1.0 if live else 0.35}))
    for members, style in groups:
        if members:
            nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=members, edgecolors="black", linewidths=0.8, **style)
    if grid is None:
        for n in inputs + [n for n, d in g.nodes(data=True) if d["kind"] == "bias"]:
            ax.annotate(g.nodes[n]["label"], pos[n], xytext=(-10, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=font)
    else:
        bias = next(n for n, d in g.nodes(data=True) if d["kind"] == "bias")
        ax.annotate("bias", pos[bias], xytext=(-10, 0), textcoords="offset points", ha="right", va="center",
                    fontsize=font)
    for n in outs:
        ax.annotate(g.nodes[n]["label"], pos[n], xytext=(10, 0), textcoords="offset points", ha="left",
                    va="center", fontsize=font)
    handles = [Line2D([], [], marker=MARKERS[a], color="none", markerfacecolor=COLORS[a], markeredgecolor="black",
                      markersize=9, label=NAMES[a]) for a in hidden_acts]
    handles += [Line2D([], [], marker="o", color="none", markerfacecolor=IO_COLOR, markeredgecolor="black",
                       markersize=9, label="input / bias"),
                Line2D([], [], marker="s", color="none", markerfacecolor=IO_COLOR, markeredgecolor="black",
                       markersize=9, label="output (linear)")]
    if any(d["disabled_gene"] for _, _, d in g.edges(data=True)):
        handles.append(Line2D([], [], color="#404040", ls=DISABLED_GENE_STYLE, label="disabled gene, expressed"))
    if tuned:
        handles += [Line2D([], [], color="#2166ac", label="weight > 0"),
                    Line2D([], [], color="#b2182b", label="weight < 0")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="activation")
    n_hidden = sum(1 for _, d in g.nodes(data=True) if d["kind"] == "hidden")
    head = f"{title}: " if title else ""
    ax.set_title(f"{head}{genome.n_connections} connections, {n_hidden} hidden nodes")
    ax.margins(x=0.12, y=0.08)
    ax.set_axis_off()
    return save_figure(fig, stem)


def _pixel_grid(ax, g: nx.DiGraph, inputs: list[int], grid: tuple[int, int]) -> None:
    """Inputs as an image: each pixel shaded by its number of outgoing connections."""
    rows, cols = grid
    counts = np.zeros(rows * cols)
    order = sorted(inputs)
    for k, n in enumerate(order):
        counts[k] = g.out_degree(n)
    pts = np.array([g.nodes[n]["pos"] for n in order])
    x0, x1, y0, y1 = pts[:, 0].min() - 0.5, pts[:, 0].max() + 0.5, pts[:, 1].min() - 0.5, pts[:, 1].max() + 0.5
    image = ax.imshow(counts.reshape(rows, cols), cmap="Greys", extent=(x0, x1, y0, y1), origin="upper",
                      interpolation="nearest", vmin=0, vmax=max(counts.max(), 1), zorder=2)
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="black", lw=0.8, zorder=3))
    ax.set_aspect("equal")
    bar = ax.figure.colorbar(image, ax=ax, location="bottom", fraction=0.04, pad=0.02, shrink=0.35)
    bar.set_label(f"connections per input pixel ({rows}x{cols})")


def plot_curves(rows: list[dict], stem: str | Path, title: str = "") -> list[Path]:
    """Fitness and complexity against the generation (0-based, as in log.jsonl and champion files; evaluations
    done by the end of a generation on the top axis)."""
    gen = np.array([r["generation"] for r in rows], dtype=float)
    evals = np.array([r["evaluations"] for r in rows], dtype=float)
    col = {k: np.array([r[k] for r in rows], dtype=float) for k in
           ("best_mean", "best_max", "median_fitness", "champion_fitness", "best_conns", "mean_conns", "best_nodes")}
    fig = Figure(figsize=(8, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    top.plot(gen, col["best_max"], color="tab:orange", lw=1.0, alpha=0.8, label="best: max over weights")
    top.plot(gen, col["best_mean"], color="tab:blue", lw=1.2, label="best: mean over weights")
    top.plot(gen, col["median_fitness"], color="tab:gray", lw=1.0, label="population median (mean)")
    top.step(gen, col["champion_fitness"], where="post", color="black", lw=1.6, label="champion (re-evaluated)")
    top.set_ylabel("fitness")
    top.legend(loc="lower right", fontsize=9, frameon=False)
    top.grid(alpha=0.3)
    bottom.plot(gen, col["best_conns"], color="tab:blue", lw=1.0, label="best: connections")
    bottom.plot(gen, col["mean_conns"], color="tab:gray", lw=1.0, label="population mean: connections")
    bottom.plot(gen, col["best_nodes"], color="tab:green", lw=1.0, label="best: nodes")
    bottom.set_xlabel("generation")
    bottom.set_ylabel("count")
    bottom.legend(loc="upper left", fontsize=9, frameon=False)
    bottom.grid(alpha=0.3)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    per_gen = evals[-1] / (gen[-1] + 1)  # individuals evaluated per generation (constant population)
    sec = top.secondary_xaxis("top", functions=(lambda g_: (g_ + 1) * per_gen, lambda e_: e_ / per_gen - 1))
    sec.set_xlabel("evaluations (individuals)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_sweep(weights: np.ndarray, mean: np.ndarray, std: np.ndarray, best: float, stem: str | Path,
               points: Sequence[tuple[str, float, float, float]] = (), ylabel: str = "score",
               title: str = "") -> list[Path]:
    """Score against shared weight: sweep mean +- std (tuning seeds), the chosen weight, and
    ``points`` (label, weight, mean, std) such as the series on the test seeds."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    ax.fill_between(weights, mean - std, mean + std, color="tab:blue", alpha=0.18, lw=0)
    ax.plot(weights, mean, color="tab:blue", lw=1.5, marker=".", label="sweep on tuning seeds (mean +- std)")
    ax.axvline(best, color="black", ls="--", lw=1.0, label=f"tuned shared weight {best:+.2f}")
    for k, (label, w, m, s) in enumerate(points):
        ax.errorbar([w], [m], yerr=[s], fmt="o", color="tab:red", capsize=3, ms=5,
                    label="series on test seeds" if k == 0 else None)
    ax.set_xlabel("shared weight")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return save_figure(fig, stem)
