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
