"""Files written before the phenotype option (committed fixtures) load and resume as they were scored.

``fixtures/legacy_run``: a run folder written by the code before ``search.phenotype`` existed
(configs/quick.toml, pop 24, 300-step episodes, seed 3, add-node 0.6), stopped at generation 20;
``fixtures/legacy_run_expected``: the same run by that code, uninterrupted to generation 40.
Their populations hold disabled hidden->hidden genes, so reading them as "reference" would differ.
They were made with the numerics before 0.2.0 (Horner's polynomials, libm's sin/cos in the swing-up):
this version reproduces the same search, the same genomes, seeds and selections, with scores equal up to
the last bits, which the chaotic 300-step episodes amplify (at most 8e-5 relative here; ``RTOL``).
``fixtures/legacy_champion.json``: the champion of the README's first paper-settings run (enabled
genes, seed 0; 7 disabled hidden->hidden genes), formerly ``docs/swingup_champion.json``.
"""
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from wann import champion as champ
from wann import checkpoint as ckpt
from wann.tasks import task_options
from wann.config import config_from_dict
from wann.errors import UserError
from wann.evaluation import SerialEvaluator
from wann.network import compile_genome
from wann.run import TIME_KEYS, Run
from wann.rundir import read_log
from wann.tasks import make_task

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
RTOL = 1e-3  # scores of the numerics since 0.2.0 against the fixtures' (see the module docstring)


def assert_same_search(got, want, where="") -> None:
    """Nested dicts / lists / arrays equal, but floats (other than integral ones) within ``RTOL``."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for k in want:
            assert_same_search(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, (list, tuple, np.ndarray)) and not isinstance(want, str):
        got, want = np.asarray(got), np.asarray(want)
        assert got.shape == want.shape, where
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=where)
        elif want.dtype.kind == "O":
            for i, (a, b) in enumerate(zip(got.tolist(), want.tolist())):
                assert_same_search(a, b, f"{where}[{i}]")
        else:
            np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(want, float) and not want.is_integer():
        assert got == pytest.approx(want, rel=RTOL), where
    else:
        assert got == want, where


def strip(rows):
    return [{k: v for k, v in r.items() if k not in TIME_KEYS} for r in rows]


def legacy_copy(tmp_path) -> Path:
    folder = tmp_path / "legacy"
    shutil.copytree(FIXTURES / "legacy_run", folder)
    return folder


def test_an_old_run_folder_resumes_the_same_search_with_a_warning(tmp_path, caplog):
    folder = legacy_copy(tmp_path)
    with caplog.at_level("WARNING", logger="wann.run"):
        run = Run.resume(folder)
    assert any("numerics of wann < 0.2.0" in r.getMessage() for r in caplog.records)
    assert run.cfg.search.phenotype == "enabled" and run.generation == 20
    assert all(g.phenotype == "enabled" for g in run.search.population)
    run.run(SerialEvaluator(run.task, run.cfg.search.weights), until=40)
    expected = FIXTURES / "legacy_run_expected"
    assert_same_search(strip(read_log(folder)), strip(read_log(expected)), "log")
    got, want = champ.load(folder / "champion.json")[1], json.loads((expected / "champion.json").read_text())
    assert got["genome"].pop("phenotype") == "enabled"  # the one field the old file lacked
    assert_same_search(got, want, "champion")
    (s1, p1), (s2, p2) = ckpt.load(folder), ckpt.load(expected)
    for s in (s1, s2):  # the fields newer checkpoints add (phenotype, config) aside
        s.pop("elapsed"), s.pop("phenotype", None), s.pop("config", None), s["champion"]["genome"].pop("phenotype", None)
    assert_same_search(s1, s2, "checkpoint")
    assert [g.to_dict() for g in p1] == [g.to_dict() for g in p2]


def test_a_folder_of_this_version_resumes_without_the_numerics_warning(tmp_path, caplog):
    raw = tomllib.loads((FIXTURES / "legacy_run" / "config.toml").read_text())
    raw["run"]["generations"] = 2
    run = Run.create(config_from_dict(raw, []), tmp_path / "new", {"seed": 3})  # as a batch makes its seeds
    run.run(SerialEvaluator(run.task, run.cfg.search.weights))
    assert json.loads((tmp_path / "new" / "meta.json").read_text()) == {"seed": 3, "numerics": 2}
    with caplog.at_level("WARNING", logger="wann.run"):
        Run.resume(tmp_path / "new")
    assert not [r for r in caplog.records if "numerics" in r.getMessage()]


def test_the_enabled_phenotype_reproduces_the_old_search_from_scratch(tmp_path):
    raw = tomllib.loads((FIXTURES / "legacy_run" / "config.toml").read_text())
    raw["run"]["generations"] = 40
    run = Run.create(config_from_dict(raw, ["search.phenotype=\"enabled\""]), tmp_path / "new", {})
    run.run(SerialEvaluator(run.task, run.cfg.search.weights))
    assert_same_search(strip(read_log(tmp_path / "new")), strip(read_log(FIXTURES / "legacy_run_expected")), "log")
    ref = Run.create(config_from_dict(raw, []), tmp_path / "ref", {})  # the new default differs
    assert ref.cfg.search.phenotype == "reference"
    ref.run(SerialEvaluator(ref.task, ref.cfg.search.weights))
    assert strip(read_log(tmp_path / "ref")) != strip(read_log(FIXTURES / "legacy_run_expected"))


def test_resume_refuses_a_config_whose_phenotype_was_edited(tmp_path):
    folder = legacy_copy(tmp_path)
    text = (folder / "config.toml").read_text().replace('crowding = "range"', 'crowding = "range"\nphenotype = "reference"')
    (folder / "config.toml").write_text(text)
    with pytest.raises(UserError, match="phenotype is 'reference' but the checkpoint's population was evolved"):
        Run.resume(folder)


def test_an_old_champion_file_rescores_to_its_stored_values():
    """Golden test of physics, episode length, activations and kernel: the stored per-weight means
    of fixtures/legacy_champion.json (20 seeds x 6 weights x 3 rollouts of 1000 steps) come back, up to the
    last bits of the numerics since 0.2.0 (amplified by 1000-step episodes: 1e-9 relative here)."""
    c, data = champ.load(REPO / "tests" / "fixtures" / "legacy_champion.json")
    assert "phenotype" not in data["genome"] and c.genome.phenotype == "enabled"
    task = make_task(task_options(data["task"], "legacy_champion.json"))
    scores = SerialEvaluator(task, data["weights"]).evaluate([compile_genome(c.genome)] * len(c.seeds), c.seeds)
    fitness, per_weight = champ.rescore(scores)
    np.testing.assert_allclose(per_weight, c.per_weight, rtol=1e-9, atol=0)
    assert fitness == pytest.approx(c.fitness, rel=1e-9)
    as_reference = c.genome.copy()
    as_reference.phenotype = "reference"
    assert as_reference.n_connections > c.genome.n_connections  # so the legacy default matters here
    other = SerialEvaluator(task, data["weights"]).evaluate([compile_genome(as_reference)] * 2, c.seeds[:2])
    assert not np.array_equal(other, scores[:2])
