"""Evolved WANNs against pruned networks on one axis: test accuracy against connections.

Every network (a WANN champion, a pruned ticket, a control) becomes a Genome
(``wann.pruned_graph`` for pruned MLPs) and is scored by the same evaluator,
``wann.tasks.mnist.evaluate``, under these evaluations:

* ``trained``: pruned nets with their trained weights; a WANN champion with the
  weights of its ``wann tune`` output (``champion.tuned.json`` beside it), if any;
* ``shared``: every connection (bias connections included) carries one weight w,
  for each w of the series; plus ``best`` (the best w, chosen on the test set,
  so optimistic) and ``ensemble`` (argmax of the mean softmax over the series);
* ``signed_trained`` / ``signed_init`` (pruned nets only): w times the sign of the
  trained / initial weight ("signed constant"); bias connections as documented in
  ``wann.pruned_graph``.

Controls: every pruned ticket also gets a ``random mask (untrained)`` network, a
uniformly random mask with the same per-layer counts (shared and signed_init
evaluations only). Trained controls come from prune_baselines folders: IMP's
``random_mask`` variant (same per-layer counts, trained: ``IMP random mask
(trained)``), ``--method random`` (``random mask (trained)``) and level 0 of an
``--model mlp`` run (``dense MLP``: a small dense network of about the same size;
its pruned levels at the dense size are skipped, nothing was pruned there).

Connections on the figure's x axis count bias connections (``connections_with_biases``):
a WANN's bias node connections are connections too. The table carries both counts. A pruned point
counts only the weights on an input->output path (prune_baselines' ``effective_connections``), as a
WANN's compiled network keeps only nodes that reach an output; the raw kept count decides only which
targets duplicate the dense network. Folders pruned on ``--synthetic`` data are refused.
"""
from __future__ import annotations

import csv
import io
import json
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from wann import champion as champ
from wann.errors import UserError
from wann.genome import Genome
from wann.network import compile_genome
from wann.pruned_graph import mlp_genome
from wann.tasks.mnist import evaluate

SERIES_WEIGHTS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)
SHARED_KINDS = ("shared", "signed_trained", "signed_init")
SUMMARY_COLUMNS = ("trained", "shared best", "shared ensemble", "signed_trained best", "signed_trained ensemble",
                   "signed_init best", "signed_init ensemble")
ROW_FIELDS = ("series", "source", "seed", "level", "input", "connections", "connections_with_biases", "evaluation",
              "weight", "accuracy", "train_epochs", "train_wall_s", "eval_s")


@dataclass
class Network:
    """One network to score: its genomes per evaluation kind and where it came from."""

    series: str
    source: str
    seed: int
    level: int
    input: int  # 256 (16x16) or 784 (28x28)
    connections: int
    connections_with_biases: int
    genomes: dict[str, Genome]  # evaluation kind ("trained" or one of SHARED_KINDS) -> genome
    train_epochs: float = 0.0  # what the point cost: the whole chain (IMP/OBD levels before it included)
    train_wall_s: float = 0.0  # ... in wall seconds (a WANN: the search up to the champion, plus its tuning)
    provenance: dict = field(default_factory=dict)


def score(net: Network, x: np.ndarray, y: np.ndarray, weights: Sequence[float]) -> list[dict]:
    """Rows (ROW_FIELDS) of every evaluation of ``net`` on inputs x [N, n_in] and labels y [N]."""
    base = {k: getattr(net, k) for k in ("series", "source", "seed", "level", "input", "connections",
                                         "connections_with_biases", "train_epochs", "train_wall_s")}
    rows = []
    series = np.asarray(weights, dtype=np.float64)
    for kind, genome in net.genomes.items():
        t0 = time.perf_counter()
        if kind == "trained":
            acc, _ = evaluate(compile_genome(genome), np.ones(1), x, y)
            rows.append(base | {"evaluation": "trained", "weight": 1.0, "accuracy": float(acc[0]),
                                "eval_s": time.perf_counter() - t0})
            continue
        acc, ens = evaluate(compile_genome(genome), series, x, y)
        dt = time.perf_counter() - t0
        rows += [base | {"evaluation": kind, "weight": float(w), "accuracy": float(a), "eval_s": dt}
                 for w, a in zip(series, acc)]
        b = int(np.argmax(acc))
        rows.append(base | {"evaluation": f"{kind} best", "weight": float(series[b]), "accuracy": float(acc[b]),
                            "eval_s": dt})
        rows.append(base | {"evaluation": f"{kind} ensemble", "weight": None, "accuracy": ens, "eval_s": dt})
    return rows


def summarize(rows: Sequence[dict]) -> list[dict]:
    """Mean and SD over networks (seeds) per (series, connections, evaluation[, weight]), with mean cost per point.

    Per-weight rows (evaluation ``shared``, ``signed_*``) are grouped per weight; ``best`` and ``ensemble``
    rows over the networks. ``connections_with_biases`` is the mean over the group (it varies with the seed).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        w = r["weight"] if r["evaluation"] in SHARED_KINDS else None
        groups.setdefault((r["series"], r["connections"], r["evaluation"], w), []).append(r)
    out = []
    for (series, conns, ev, w), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                                                            -1e9 if kv[0][3] is None else kv[0][3])):
        acc = np.array([r["accuracy"] for r in rs])
        out.append({"series": series, "connections": conns, "evaluation": ev, "weight": w,
                    "connections_with_biases": float(np.mean([r["connections_with_biases"] for r in rs])),
                    "n": len(rs), "mean": float(acc.mean()), "sd": float(acc.std()),
                    "seeds": sorted({r["seed"] for r in rs}),
                    "train_epochs": float(np.mean([r["train_epochs"] for r in rs])),
                    "train_wall_s": float(np.mean([r["train_wall_s"] for r in rs])),
                    "eval_s": float(np.mean([r["eval_s"] for r in rs]))})
    return out


def _points(summary: Sequence[dict]) -> dict[tuple[str, int], dict[str, dict]]:
    """(series, connections) -> evaluation -> summary entry, for the entries over the whole series of w."""
    cells: dict[tuple, dict[str, dict]] = {}
    for s in summary:
        if s["weight"] is None:
            cells.setdefault((s["series"], s["connections"]), {})[s["evaluation"]] = s
    return cells


def _cell(by_ev: dict[str, dict], ev: str) -> str:
    s = by_ev.get(ev)
    if s is None:
        return "-"
    return f"{100 * s['mean']:.2f}" + (f" ± {100 * s['sd']:.2f}" if s["n"] > 1 else "")


def _any(by_ev: dict[str, dict]) -> dict:
    return by_ev.get("trained") or by_ev.get("shared best") or next(iter(by_ev.values()))


def markdown(summary: Sequence[dict]) -> str:
    """One line per (series, connections): test accuracy (%) mean +- SD over seeds under each evaluation."""
    head = ["series", "connections (with biases)", "n", *SUMMARY_COLUMNS,
            "epochs (chain)", "train s (chain)", "eval s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (series, conns), by_ev in sorted(_points(summary).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        a = _any(by_ev)
        lines.append("| " + " | ".join([series, f"{conns} ({a['connections_with_biases']:.0f})", str(a["n"]),
                                        *[_cell(by_ev, c) for c in SUMMARY_COLUMNS], f"{a['train_epochs']:g}",
                                        f"{a['train_wall_s']:.0f}", f"{a['eval_s']:.1f}"]) + " |")
    return "\n".join(lines) + "\n"


BUDGET_COLUMNS = ("trained", "shared best", "shared ensemble", "signed_trained best", "signed_init best")


def markdown_budgets(summary: Sequence[dict], factors: Sequence[float] = (1, 2, 5, 10),
                     tolerance: float = 1.3) -> str:
    """Every series at the WANN champion's size times each factor (connections with biases).

    The champion is the WANN point with the best ``shared best`` accuracy. Per series and budget the
    point nearest in log scale is shown, if it lies within ``tolerance`` times the budget; else none.
    """
    pts = _points(summary)
    wann = [(by_ev["shared best"]["mean"], conns, by_ev) for (series, conns), by_ev in pts.items()
            if series == "WANN" and "shared best" in by_ev]
    if not wann:
        return ""
    size = _any(max(wann, key=lambda t: t[0])[2])["connections_with_biases"]
    head = ["budget", "series", "connections (with biases)", "n", *BUDGET_COLUMNS, "train s (chain)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in factors:
        budget = f * size
        best: dict[str, tuple[float, int, dict]] = {}
        for (series, conns), by_ev in pts.items():
            dist = abs(np.log(_any(by_ev)["connections_with_biases"] / budget))
            if dist <= np.log(tolerance) and (series not in best or dist < best[series][0]):
                best[series] = (dist, conns, by_ev)
        for series in sorted(best, key=lambda n: (n != "WANN", n)):
            _, conns, by_ev = best[series]
            a = _any(by_ev)
            lines.append("| " + " | ".join([f"{f:g}× ({budget:.0f})", series,
                                            f"{conns} ({a['connections_with_biases']:.0f})", str(a["n"]),
                                            *[_cell(by_ev, c) for c in BUDGET_COLUMNS],
                                            f"{a['train_wall_s']:.0f}"]) + " |")
    return "\n".join(lines) + "\n"


def markdown_weights(summary: Sequence[dict], kind: str = "shared") -> str:
    """One line per (series, connections): mean test accuracy (%) under each weight w of the series (``kind``)."""
    cells: dict[tuple, dict[float, dict]] = {}
    for s in summary:
        if s["evaluation"] == kind and s["weight"] is not None:
            cells.setdefault((s["series"], s["connections"]), {})[s["weight"]] = s
    ws = sorted({w for by_w in cells.values() for w in by_w})
    lines = ["| series | connections | " + " | ".join(f"w = {w:g}" for w in ws) + " |", "|" + "---|" * (2 + len(ws))]
    for (series, conns), by_w in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"| {series} | {conns} | "
                     + " | ".join(f"{100 * by_w[w]['mean']:.2f}" if w in by_w else "-" for w in ws) + " |")
    return "\n".join(lines) + "\n"


def rows_csv(rows: Sequence[dict]) -> str:
    """The long table: one row per (network, evaluation, weight)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


# ---- loading networks ----------------------------------------------------------------------------
def wann_networks(path: str | Path) -> list[Network]:
    """The champion of a run folder (or a champion file), with its tuned weights when ``*.tuned.json`` is beside it."""
    path = Path(path)
    file = path / "champion.json" if path.is_dir() else path
    c, data = champ.load(file)
    if data["task"].get("name") != "mnist256":
        raise UserError(f"{file}: champion of task {data['task'].get('name')!r}; wann compare needs mnist256")
    from wann.tasks import check_fits
    from wann.tasks.mnist import MnistTask

    check_fits(c.genome, MnistTask, str(file))
    topo = c.genome.copy()
    topo.conn_weight = None
    genomes = {"shared": topo}
    tuned_file = file.with_name(file.name.removesuffix(".json") + ".tuned.json")
    prov: dict = {"champion": str(file), "generation": c.generation}
    epochs = wall = 0.0
    meta, log = file.parent / "meta.json", file.parent / "log.jsonl"
    if meta.exists():
        prov["command"] = json.loads(meta.read_text()).get("command")
    if log.exists():
        rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        done = [r for r in rows if r.get("generation", -1) <= c.generation]
        if done:
            wall = float(done[-1].get("elapsed", 0.0))
            prov["evaluations"] = int(done[-1].get("evaluations", 0))
    seed = 0
    if (file.parent / "config.toml").exists():
        seed = int(tomllib.loads((file.parent / "config.toml").read_text()).get("run", {}).get("seed", 0))
    if tuned_file.exists():
        t, tdata = champ.load(tuned_file)
        genomes["trained"] = t.genome
        tinfo = tdata.get("tuned", {})
        epochs = float(tinfo.get("settings", {}).get("epochs", 0))
        wall += float(tinfo.get("seconds", 0.0))
        prov["tuned"] = {"file": str(tuned_file), "seed": tinfo.get("seed"), "method": tinfo.get("method")}
    n = c.genome.n_connections
    return [Network("WANN", str(file), seed, c.generation, 256, n, n, genomes, epochs, wall, prov)]


METHOD_NAMES = {"imp": "IMP", "obd": "OBD", "synflow": "SynFlow", "magnitude": "magnitude"}
VARIANT_NAMES = {"random_mask": "random mask (trained)", "reinit": "reinit"}


def series_label(record: dict) -> str:
    """The series of a prune_baselines point: ``dense MLP`` (level 0), ``random mask (trained)`` (method random),
    the method's name for its tickets (``IMP``, ``OBD``, ...), plus the control's name (``IMP reinit``)."""
    if record["level"] == 0:
        return "dense MLP"
    if record["method"] == "random":
        return "random mask (trained)"
    name = METHOD_NAMES.get(record["method"], record["method"])
    if record["variant"] == "ticket":
        return name
    return f"{name} {VARIANT_NAMES.get(record['variant'], record['variant'])}"


def random_counts_mask(masks: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """A uniformly random mask with the same number of survivors in every layer."""
    out = []
    for m in masks:
        flat = np.zeros(m.size, dtype=bool)
        flat[rng.choice(m.size, size=int(m.sum()), replace=False)] = True
        out.append(flat.reshape(m.shape))
    return out


def pruned_networks(folder: str | Path, max_connections: int = 0, controls: bool = True) -> list[Network]:
    """Every point of a prune_baselines results folder (``max_connections`` > 0: only points up to that many
    weights), plus a random-mask control per pruned point (``controls``)."""
    from prune_baselines.errors import PruneError
    from prune_baselines.results import load_npz, load_result, point_path, read_point

    folder = Path(folder)
    try:
        res = load_result(folder)
    except PruneError as exc:
        raise UserError(f"{exc}; give --baselines a folder written by `python -m prune_baselines`") from None
    if res.provenance.get("synthetic") or res.provenance.get("dataset") == "synthetic":
        raise UserError(f"{folder} was pruned on --synthetic data (a smoke test, not MNIST); wann compare needs "
                        "baselines trained on MNIST")
    cfg = res.config
    dense = {r["seed"]: r["connections"] for r in res.records if r["level"] == 0}
    nets = []
    for r in res.records:
        if max_connections and r["connections"] > max_connections:
            continue
        if r["level"] > 0 and r["connections"] >= dense.get(r["seed"], r["connections"] + 1):
            continue  # a target at the dense size: nothing pruned, the dense point already stands for it
        try:
            p = read_point(point_path(folder, r["seed"], r["variant"], r["level"]))
            init = load_npz(folder / f"seed_{r['seed']}" / "init.npz")
        except PruneError as exc:
            raise UserError(str(exc)) from None
        init_w = [init[f"weight_{l}"] for l in range(len(p.weights))]
        masks = [np.asarray(m, dtype=bool) for m in p.masks]
        label = series_label(r)
        genomes = {"trained": mlp_genome(p.weights, p.biases, masks, "trained"),
                   "shared": mlp_genome(p.weights, p.biases, masks, "shared"),
                   "signed_trained": mlp_genome(p.weights, p.biases, masks, "signed", bias_signs_from=p.biases),
                   "signed_init": mlp_genome(p.weights, p.biases, masks, "signed", signs_from=init_w)}
        prov = {"folder": str(folder), "method": r["method"], "variant": r["variant"], "model": cfg.get("model"),
                "sizes": [int(p.weights[0].shape[1])] + [int(w.shape[0]) for w in p.weights],
                "command": res.provenance.get("command"), "cumulative_epochs": r.get("cumulative_epochs"),
                "cumulative_wall_s": r.get("cumulative_wall_s")}
        common = dict(seed=int(r["seed"]), level=int(r["level"]), input=int(cfg.get("input", p.weights[0].shape[1])),
                      connections=int(r["effective_connections"]),
                      connections_with_biases=int(r["effective_connections_with_biases"]))
        nets.append(Network(label, str(folder), genomes=genomes,
                            train_epochs=float(r.get("cumulative_epochs", r["epochs"])),
                            train_wall_s=float(r.get("cumulative_wall_s", r["wall_s"])), provenance=prov, **common))
        if controls and r["level"] > 0 and r["variant"] == "ticket" and r["method"] != "random":
            rng = np.random.default_rng([int(r["seed"]), int(r["level"]), 8])
            rm = random_counts_mask(masks, rng)
            ctrl = {"shared": mlp_genome(p.weights, p.biases, rm, "shared"),
                    "signed_init": mlp_genome(p.weights, p.biases, rm, "signed", signs_from=init_w)}
            nets.append(Network(f"{label} random mask (untrained)", str(folder), genomes=ctrl,
                                provenance=prov | {"control": "random mask, same per-layer counts, untrained",
                                                   "rng": [int(r["seed"]), int(r["level"]), 8]}, **common))
    return nets


# ---- the whole comparison ------------------------------------------------------------------------
def mnist_test_set(data_dir: str, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test images (float64) at the input size of a network (256: 16x16 deskewed; 784: 28x28)."""
    from envs.mnist import MnistDataError, load_mnist

    sizes = {256: 16, 784: 28}
    if n_inputs not in sizes:
        raise UserError(f"no MNIST form with {n_inputs} inputs (256 or 784)")
    try:
        x, y = load_mnist(data_dir or None, "test", sizes[n_inputs])
    except MnistDataError as exc:
        raise UserError(str(exc)) from None
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)


def compare(nets: Sequence[Network], data: Callable[[int], tuple[np.ndarray, np.ndarray]],
            weights: Sequence[float] = SERIES_WEIGHTS, say: Callable[[str], None] = lambda s: None) -> list[dict]:
    """Score every network on ``data(n_inputs)``; returns all rows."""
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows = []
    for k, net in enumerate(nets):
        if net.input not in cache:
            cache[net.input] = data(net.input)
        x, y = cache[net.input]
        got = score(net, x, y, weights)
        rows += got
        best = max((r for r in got if r["evaluation"] != "trained" and r["evaluation"].endswith("best")),
                   key=lambda r: r["accuracy"], default=None)
        trained = next((r for r in got if r["evaluation"] == "trained"), None)
        say(f"[{k + 1}/{len(nets)}] {net.series} seed {net.seed} level {net.level}: {net.connections_with_biases} "
            f"connections" + (f", trained {100 * trained['accuracy']:.2f}%" if trained else "")
            + (f", {best['evaluation']} {100 * best['accuracy']:.2f}% (w={best['weight']:+g})" if best else ""))
    return rows


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


def report(rows: Sequence[dict], nets: Sequence[Network], provenance: dict) -> dict:
    """The JSON document (format ``wann.compare/1``): provenance, networks, rows, summary."""
    return {"format": "wann.compare/1", "provenance": provenance,
            "networks": [{k: v for k, v in asdict(n).items() if k != "genomes"} | {"evaluations": list(n.genomes)}
                         for n in nets],
            "rows": list(rows), "summary": summarize(rows)}
