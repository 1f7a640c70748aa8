"""The Python API (``from wann import ...``): the same runs and files as the command line."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

SMALL = ["run.generations=4", "search.pop_size=8", "task.rollouts=1", "run.champion_reps=2", "run.checkpoint_every=2"]


def test_a_notebook_session_end_to_end(tmp_path, capsys):
    import wann.tuning
    from wann import evaluate, evolve, load_champion, load_config, plot, resume, tune

    from wann.tuning import TuneSettings

    assert callable(tune) and tune is not wann.tuning  # the submodule tuning cannot shadow the API function

    cfg = load_config(REPO / "configs" / "quick.toml", SMALL)
    run = evolve(cfg, tmp_path / "nb", progress=False)
    assert run.generation == 4 and run.champion is not None and capsys.readouterr().out == ""
    run = resume(tmp_path / "nb", generations=6)
    assert run.generation == 6 and capsys.readouterr().out.count("gen ") == 2
    champion = load_champion(tmp_path / "nb")
    on_disk = json.loads((tmp_path / "nb" / "champion.json").read_text())
    assert champion.fitness == on_disk["fitness"] and champion.weights == on_disk["weights"]
    report = evaluate(champion, trials=3, tune_trials=2, grid=3)
    assert [c.name for c in report.columns][:2] == ["random weights", "random shared weight"]
    assert "tuned shared weight" in report.table()
    result = tune(champion, TuneSettings(generations=2, popsize=4, check_every=1, check_trials=2, tune_trials=2,
                                         grid=3, seeds_per_generation=1, validation_trials=2))
    assert result.genome.conn_weight is not None and result.method == "cma-es"
    written = plot(champion, tmp_path / "fig", curves=True)
    assert sorted(p.name for p in written) == ["champion.png", "champion.svg", "curves.png", "curves.svg"]


def test_the_cli_resumes_an_api_run_and_import_wann_stays_light(tmp_path):
    from wann import evolve, load_config

    evolve(load_config(REPO / "configs" / "quick.toml", SMALL), tmp_path / "r", progress=False)
    r = subprocess.run([sys.executable, "-m", "wann.cli", "resume", str(tmp_path / "r"), "--generations", "5"],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and "gen     4 (5/5)" in r.stdout
    r = subprocess.run([sys.executable, "-c", "import sys, wann; print(sorted(m for m in ('numba', 'torch', 'ray') "
                        "if m in sys.modules))"], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.strip() == "[]"
