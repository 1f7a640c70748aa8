import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pytest

from tests.conftest import REPO
from tests.helpers import random_genome
from wann import champion as champ
from wann.activations import NAMES
from wann.cli import main
from wann.genome import HIDDEN
from wann.plots import draw_genome, genome_graph, input_grid_shape, plot_sweep


def check_png(path, min_px=(300, 200), max_px=(5000, 4000)):
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert min_px[0] <= w <= max_px[0] and min_px[1] <= h <= max_px[1], (w, h)
    assert img[..., :3].std() > 0.02  # not blank
    return img


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return " ".join(t for t in root.itertext())


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real short swing-up run."""
    out = tmp_path_factory.mktemp("plots") / "run"
    assert main(["evolve", str(REPO / "configs" / "quick.toml"), "--out", str(out), "--quiet", "--backend", "serial",
                 "--set", "run.generations=8", "--set", "search.pop_size=16", "--set", "task.max_steps=150",
                 "--set", "run.champion_reps=2"]) == 0
    return out


def test_plot_cli_draws_the_champion_and_the_curves(run_dir, capsys):
    assert main(["plot", str(run_dir), "--curves"]) == 0
    for stem in ("champion", "curves"):
        check_png(run_dir / f"{stem}.png")
    c, _ = champ.load(run_dir / "champion.json")
    text = svg_text(run_dir / "champion.svg")
    assert f"{c.genome.n_connections} connections" in text
    assert "force" in text and "th_dot" in text and "bias" in text
    used = {NAMES[a] for a in c.genome.node_act[c.genome.node_kind == HIDDEN].tolist()}
    assert all(name in text for name in used)
    curves = svg_text(run_dir / "curves.svg")
    assert "generation" in curves and "evaluations (individuals)" in curves and "champion (re-evaluated)" in curves
    assert str(run_dir / "curves.png") in capsys.readouterr().out


def test_plot_cli_curves_need_a_run_folder(tmp_path):
    file = tmp_path / "lonely.json"
    champ.save(file, champ.Champion(random_genome(1), 0, 1.0, [1.0], [1]), {"name": "swingup"}, [1.0])
    assert main(["plot", str(file)]) == 0 and (tmp_path / "lonely.png").exists()
    assert main(["plot", str(file), "--curves"]) == 2


def test_layout_runs_left_to_right_and_leaves_disabled_connections_out():
    disabled = 0
    for seed in range(8):
        g = random_genome(seed, n_mutations=60)
        graph = genome_graph(g, ["x", "x_dot", "cos th", "sin th", "th_dot"], ["force"])
        assert graph.number_of_edges() == g.n_connections
        disabled += g.conn_innov.size - g.n_connections
        x = {n: d["pos"][0] for n, d in graph.nodes(data=True)}
        kinds = {n: d["kind"] for n, d in graph.nodes(data=True)}
        assert all(x[u] < x[v] for u, v in graph.edges)
        left, right = min(x.values()), max(x.values())
        assert all(x[n] == left for n in graph if kinds[n] in ("input", "bias"))
        assert all(x[n] == right for n in graph if kinds[n] == "output")
        assert all(left < x[n] < right for n in graph if kinds[n] == "hidden")
        for col in set(x.values()):
            ys = np.sort([d["pos"][1] for n, d in graph.nodes(data=True) if x[n] == col])
            assert np.all(np.diff(ys) >= 1.0 - 1e-9)  # nodes of a column never overlap
    assert disabled > 0


def test_many_inputs_are_drawn_as_a_pixel_grid(tmp_path):
    assert input_grid_shape(256) == (16, 16) and input_grid_shape(5) is None and input_grid_shape(6, (2, 3)) == (2, 3)
    g = random_genome(3, n_in=256, n_out=10, n_mutations=60)
    graph = genome_graph(g, None, [str(d) for d in range(10)], (16, 16))
    pts = np.array([d["pos"] for _, d in graph.nodes(data=True) if d["kind"] == "input"])
    assert np.unique(pts[:, 0]).size == 16 and np.unique(pts[:, 1]).size == 16
    paths = draw_genome(g, tmp_path / "mnist", None, [str(d) for d in range(10)], "mnist256")
    check_png(paths[0])
    assert "connections per input pixel (16x16)" in svg_text(paths[1])


def test_tuned_genomes_show_weight_signs_and_the_sweep_plot(tmp_path):
    g = random_genome(5, n_mutations=30)
    g.conn_weight = np.random.default_rng(0).uniform(-2, 2, g.conn_innov.size)
    assert "weight < 0" in svg_text(draw_genome(g, tmp_path / "tuned", title="tuned")[1])
    grid = np.linspace(-2, 2, 11)
    paths = plot_sweep(grid, np.sin(grid) * 100, np.full(11, 10.0), 1.6, tmp_path / "sweep",
                       [("w = +1.00", 1.0, 80.0, 12.0)])
    check_png(paths[0])
    assert "tuned shared weight +1.60" in svg_text(paths[1])


# ---- no two text labels of a figure overlap -----------------------------------------------------
@pytest.fixture
def figures(monkeypatch):
    """Every Figure saved while the test runs (whatever saves it: save_figure or prune_baselines)."""
    from matplotlib.figure import Figure

    saved, original = [], Figure.savefig

    def record(self, *args, **kwargs):
        if not any(f is self for f in saved):
            saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return saved


def drawn_labels(fig) -> list[tuple[str, object]]:
    """(text, window extent) of every non-empty Text artist drawn when the figure is drawn (tick labels,
    annotations, legend entries, titles ...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    drawn, original = [], Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    Text.draw = record
    try:
        canvas.draw()
    finally:
        Text.draw = original
    return drawn


def assert_no_overlap(fig, tol: float = 1.0) -> int:
    """No two drawn labels overlap by more than ``tol`` pixels both ways; returns how many were drawn."""
    labels = drawn_labels(fig)
    clashes = []
    for i, (ta, a) in enumerate(labels):
        for tb, b in labels[i + 1:]:
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tol and dy > tol:
                clashes.append((ta, tb))
    assert not clashes, f"{len(clashes)} overlapping labels, e.g. {clashes[:5]}"
    return len(labels)


def test_champion_graphs_have_no_overlapping_labels(tmp_path, figures):
    from tests.helpers import wide_genome

    for seed in range(3):
        draw_genome(random_genome(seed, n_mutations=60), tmp_path / f"small{seed}",
                    ["x", "x_dot", "cos th", "sin th", "th_dot"], ["force"], f"seed {seed}")
    tuned = random_genome(5, n_mutations=30)
    tuned.conn_weight = np.random.default_rng(0).uniform(-2, 2, tuned.conn_innov.size)
    draw_genome(tuned, tmp_path / "tuned", title="tuned")
    digits = [str(d) for d in range(10)]
    draw_genome(random_genome(3, n_in=256, n_out=10, n_mutations=60), tmp_path / "mnist", None, digits, "mnist256")
    draw_genome(wide_genome(), tmp_path / "wide", None, digits, "mnist256 champion (crowded)")
    assert len(figures) == 6
    for fig in figures:
        assert assert_no_overlap(fig) > 5


def test_a_crowded_column_is_spread_over_sub_columns_without_overlapping_markers():
    from tests.helpers import wide_genome
    from wann.plots import column_capacity

    g = wide_genome()
    graph = genome_graph(g, None, [str(d) for d in range(10)], (16, 16))
    cap = column_capacity(256, (16, 16))
    hidden = [d for _, d in graph.nodes(data=True) if d["kind"] == "hidden"]
    for layer, n in ((1, 90), (2, 30)):
        pts = np.array([d["pos"] for d in hidden if d["layer"] == layer])
        assert len(pts) == n
        xs = np.unique(pts[:, 0])
        assert xs.size == -(-n // cap)  # ceil(n / capacity) sub-columns
        for x in xs:
            ys = np.sort(pts[pts[:, 0] == x, 1])
            assert ys.size <= cap and np.all(np.diff(ys) >= 1.0 - 1e-9)
        assert np.ptp(pts[:, 1]) <= cap  # about as tall as the inputs, not 90 units
    x = {n: d["pos"][0] for n, d in graph.nodes(data=True)}
    assert all(x[u] < x[v] for u, v in graph.edges)


def _summary_rows():
    """A compare summary like docs/compare_mnist.png: several series over 1.5 decades, with controls."""
    rows = []
    rng = np.random.default_rng(0)

    def add(series, conns, evaluation, mean):
        for c in conns:
            rows.append({"series": series, "connections": c, "connections_with_biases": float(c) * 1.05,
                         "evaluation": evaluation, "weight": None, "n": 3, "mean": mean + rng.uniform(-0.05, 0.05),
                         "sd": 0.02, "train_wall_s": 1.0})
    pruned = [300, 420, 600, 850, 1200, 1700, 2400, 3400, 4800, 6800, 9600, 13600]
    add("WANN", [300, 500, 660], "shared best", 0.88)
    add("WANN", [300, 500, 660], "shared ensemble", 0.89)
    add("WANN", [660], "trained", 0.93)
    for series, base in (("IMP", 0.9), ("OBD", 0.92), ("SynFlow", 0.85)):
        add(series, pruned, "trained", base)
        for ev in ("shared best", "shared ensemble", "signed_trained best", "signed_init best"):
            add(series, pruned, ev, 0.3)
        for ev in ("shared best", "shared ensemble", "signed_init best"):
            add(f"{series} random mask (untrained)", pruned, ev, 0.1)
    add("IMP random mask (trained)", pruned, "trained", 0.5)
    add("dense MLP", [280, 560, 1400], "trained", 0.6)
    return rows


def test_compare_figure_has_no_overlapping_labels_and_pale_controls(tmp_path, figures):
    from matplotlib.colors import to_rgb

    from tests.test_compare import X, Y, _pruned, _wann
    from wann.compare import figure, score, summarize

    tiny = summarize(score(_wann(), X, Y, [-1.0, 2.0]) + score(_pruned(), X, Y, [-1.0, 2.0]))
    figure.plot(tiny, tmp_path / "tiny")
    figure.plot(_summary_rows(), tmp_path / "full")
    for fig in figures:
        assert_no_overlap(fig)
    full = figures[1]
    texts = [t for t, _ in drawn_labels(full)]
    assert "IMP" in texts and not any(t.endswith("random mask (untrained)") and t != t.strip() for t in texts)
    assert not any(t in texts for t in ("IMP random mask (untrained)", "OBD random mask (untrained)"))
    # a control's line: its parent's colour mixed with white, thinner
    lines = {}
    for ax in full.axes:
        for line in ax.get_lines():
            lines.setdefault(tuple(np.round(to_rgb(line.get_color()), 4)), []).append(line.get_linewidth())
    c1 = tuple(np.round(to_rgb("C1"), 4))  # IMP: the second series after WANN
    pale = tuple(np.round(figure.pale("C1"), 4))
    assert c1 in lines and pale in lines and max(lines[pale]) < min(lines[c1])
    assert figure.parent("IMP random mask (untrained)") == "IMP" and figure.parent("IMP") is None


def _prune_result(tmp_path, synthetic: bool):
    from prune_baselines.results import Result

    records = []
    for seed in range(2):
        for variant in ("ticket", "reinit", "random_mask"):
            for level, c in enumerate([15000, 7000, 3300, 1500, 700, 330, 150, 90]):
                records.append({"method": "imp", "variant": variant, "seed": seed, "level": level, "connections": c,
                                "effective_connections": int(c * (0.97 - 0.01 * seed)),
                                "test_accuracy": 0.9 - 0.02 * level - 0.1 * (variant != "ticket")})
    prov = {"dataset": "synthetic", "synthetic": True} if synthetic else {"dataset": "mnist256", "synthetic": False}
    folder = tmp_path / ("syn" if synthetic else "mn")
    folder.mkdir()
    return folder, Result(folder, {"method": "imp", "model": "mlp", "input": 256}, prov, records)


def test_prune_plot_has_no_overlapping_labels_and_names_its_data(tmp_path, figures):
    from prune_baselines.results import plot

    for synthetic in (False, True):
        folder, res = _prune_result(tmp_path, synthetic)
        assert plot(folder, res) == folder / "accuracy_vs_connections.png"
    for fig, synthetic in zip(figures, (False, True)):
        assert_no_overlap(fig)
        title = fig.axes[0].get_title()
        assert ("synthetic" in title) == synthetic and ("MNIST" in title) == (not synthetic)
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert legend == ["imp", "imp random_mask", "imp reinit"]  # fixed order: fixed colours
    for lo, hi in ((250, 4200), (1000, 1600), (40, 200000)):  # under a decade .. over three: labels still clear
        folder, res = _prune_result(tmp_path / f"range{lo}", False) if (tmp_path / f"range{lo}").mkdir() is None \
            else (None, None)
        scale = np.geomspace(hi, lo, 8)
        for r in res.records:
            r["connections"] = r["effective_connections"] = int(scale[r["level"]])
        plot(folder, res)
        assert_no_overlap(figures[-1])
    # a folder written before provenance had "synthetic": its dataset says so
    folder, res = _prune_result(tmp_path / "old", True) if (tmp_path / "old").mkdir() is None else (None, None)
    res.provenance = {"dataset": "synthetic"}
    plot(folder, res)
    assert "synthetic" in figures[-1].axes[0].get_title()


def _log_rows(n: int = 40, pop: int = 16) -> list[dict]:
    g = np.arange(n)
    return [{"generation": int(k), "evaluations": int((k + 1) * pop), "elapsed": float(k), "best_mean": float(k),
             "best_max": float(k + 5), "median_fitness": float(k / 2), "champion_fitness": float(k),
             "best_conns": int(10 + k), "mean_conns": float(8 + k), "best_nodes": int(3 + k // 4)} for k in g]


def test_curves_sweep_and_summary_bands_have_no_overlapping_labels(tmp_path, figures):
    from wann.plots import plot_curves
    from wann.summary import RunSummary, plot_bands

    plot_curves(_log_rows(), tmp_path / "curves", "run: 40 generations")
    grid = np.linspace(-2, 2, 11)
    plot_sweep(grid, np.sin(grid) * 100, np.full(11, 10.0), 1.6, tmp_path / "sweep",
               [("w = +1.00", 1.0, 80.0, 12.0), ("w = -1.00", -1.0, 20.0, 5.0)], title="sweep")
    runs = [RunSummary(tmp_path / f"s{k}", k, _log_rows(30 + 5 * k), {}) for k in range(3)]
    plot_bands(runs, tmp_path / "bands")
    assert len(figures) == 3
    for fig in figures:
        assert assert_no_overlap(fig) > 5


def test_figures_leave_pyplot_and_the_backend_alone_and_save_rgba(tmp_path):
    """A notebook's backend and pyplot state are untouched: no figure code of ours imports pyplot or picks a
    backend, and no pyplot figure is left behind."""
    import re
    import subprocess
    import sys

    for module in ("wann/plots.py", "wann/compare/figure.py", "wann/summary.py", "prune_baselines/results.py"):
        source = (REPO / module).read_text()
        assert not re.search(r"import matplotlib\.pyplot|from matplotlib import pyplot|matplotlib\.use\(", source), module

    code = f"""
import sys, matplotlib
matplotlib.use("pdf")
import numpy as np
from tests.helpers import random_genome
from wann.plots import draw_genome, plot_sweep
from wann.compare import figure
import wann.summary
draw_genome(random_genome(0), {str(tmp_path / 'g')!r})
plot_sweep(np.arange(3.0), np.arange(3.0), np.ones(3), 1.0, {str(tmp_path / 's')!r})
figure.plot([{{"series": "WANN", "connections": 5, "connections_with_biases": 6.0, "evaluation": "shared best",
              "weight": None, "n": 1, "mean": 0.5, "sd": 0.0}}], {str(tmp_path / 'c')!r})
assert matplotlib.get_backend() == "pdf", matplotlib.get_backend()
pyplot = sys.modules.get("matplotlib.pyplot")  # networkx's drawing functions import it, and create nothing
assert pyplot is None or pyplot.get_fignums() == []
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    from PIL import Image

    for stem in ("g", "s", "c"):
        assert Image.open(tmp_path / f"{stem}.png").mode == "RGBA"


def test_docs_pngs_are_full_colour():
    """docs/ images keep matplotlib's RGBA: a palette-quantised PNG (mode "P") loses colours, e.g. a legend's."""
    from PIL import Image

    modes = {p.name: Image.open(p).mode for p in sorted((REPO / "docs").glob("*.png"))}
    assert modes and all(m in ("RGB", "RGBA") for m in modes.values()), modes
