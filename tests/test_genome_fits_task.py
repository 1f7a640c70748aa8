"""A genome meets a task only if it fits (inputs and outputs), wherever the two meet."""
import json
import shutil
from pathlib import Path

import pytest

from wann.cli import main

REPO = Path(__file__).resolve().parents[1]


def widened(tmp_path, extra_inputs: int) -> Path:
    """The legacy swing-up champion (fixtures) with input nodes added (wired to the output) or removed."""
    data = json.loads((REPO / "tests" / "fixtures" / "legacy_champion.json").read_text())
    nodes, conns = data["genome"]["nodes"], data["genome"]["connections"]
    for k in range(extra_inputs):
        new = 1000 + k
        nodes["id"].append(new), nodes["kind"].append("input"), nodes["activation"].append(1)
        out = nodes["id"][nodes["kind"].index("output")]
        for col, v in (("innovation", 5000 + k), ("source", new), ("target", out), ("enabled", True)):
            conns[col].append(v)
    path = tmp_path / "champion.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("command", [
    ["eval", "--trials", "2", "--tune-trials", "2", "--grid", "3", "--no-plot"],
    ["tune", "--generations", "1", "--tune-trials", "2", "--grid", "3", "--trials", "2"],
    ["export", "--to", "json"],
    ["plot"],
])
def test_commands_refuse_a_champion_with_more_inputs_than_its_task(tmp_path, capsys, command):
    path = widened(tmp_path, 3)
    assert main([command[0], str(path)] + command[1:]) == 2
    err = capsys.readouterr().err
    assert "the network has 8 inputs and 1 outputs, task swingup has 5 and 1" in err and str(path) in err


def test_resume_refuses_a_population_that_does_not_fit_the_task(tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(Path(__file__).parent / "fixtures" / "legacy_run", folder)
    text = (folder / "config.toml").read_text().replace('name = "swingup"\nrollouts', 'name = "gym"\nrollouts')
    text = text.replace("max_steps = 300", 'max_steps = 20\nenv_id = "Pendulum-v1"')
    (folder / "config.toml").write_text(text)
    assert main(["resume", str(folder), "--generations", "21", "--quiet"]) == 2
    assert "the network has 5 inputs and 1 outputs, task gym has 3 and 1" in capsys.readouterr().err
