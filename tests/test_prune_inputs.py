"""Every setting of ``python -m prune_baselines`` is typed and range-checked before anything runs or is written:
malformed flags and config files give one line ``error: ...`` naming the flag (or file and key), what it must be
(pydantic's message) and the value given."""
from __future__ import annotations

import numpy as np
import pytest
import torch

torch.set_num_threads(1)  # tests share a small machine

from prune_baselines.cli import main
from prune_baselines.errors import PruneError
from prune_baselines.experiment import ExperimentConfig
from prune_baselines.train import TrainConfig

# a run of a second: 200 synthetic examples, batch 60 (3 iterations per epoch), a 6-4-4 network (40 weights)
TINY = ["--synthetic", "--input", "6", "--model", "mlp", "--hidden", "4", "--target-connections", "20",
        "--n-train", "200", "--n-test", "50", "--epochs", "1", "--quiet"]
FINITE = "Input should be a finite number"
GE = "Input should be greater than or equal to"
NUMBER = "Input should be a valid number"
INTEGER = "Input should be a valid integer"
NOT_INT = "Input should be a valid integer, unable to parse string as an integer"
NONE = "Value should have at least 1 item after validation, not 0"
COUNT = "a count of seeds must be in 1..1000"
BOOL = "Input should be a valid boolean"
EXTRA = "Extra inputs are not permitted"

FLAG_CASES = [
    # the examples
    (["--epochs", "nan"], f"--epochs: {FINITE}, got 'nan'"),
    (["--epochs", "inf"], f"--epochs: {FINITE}, got 'inf'"),
    (["--lr", "nan"], f"--lr: {FINITE}, got 'nan'"),
    (["--obd-samples", "-5"], f"--obd-samples: {GE} 0, got '-5'"),
    (["--seeds=-1,"], f"--seeds: {GE} 0, got '-1,'"),
    (["--momentum", "-1"], f"--momentum: {GE} 0, got '-1'"),
    (["--n-train", "-5"], f"--n-train: {GE} 0, got '-5'"),
    (["--weight-decay", "-1"], f"--weight-decay: {GE} 0, got '-1'"),
    # floats
    (["--epochs", "-1"], f"--epochs: {GE} 0, got '-1'"),
    (["--epochs", "five"], f"--epochs: {NUMBER}, unable to parse string as a number, got 'five'"),
    (["--finetune-epochs", "nan"], f"--finetune-epochs: {FINITE}, got 'nan'"),
    (["--lr", "0"], "--lr: Input should be greater than 0, got '0'"),
    (["--lr", "-inf"], "argument --lr: expected one argument"),
    (["--momentum", "1"], "--momentum: Input should be less than 1, got '1'"),
    (["--weight-decay", "inf"], f"--weight-decay: {FINITE}, got 'inf'"),
    (["--rate", "1"], "--rate: Input should be less than 1, got '1'"),
    (["--output-rate", "0"], "--output-rate: Input should be greater than 0, got '0'"),
    # integers
    (["--obd-samples", "1e4"], f"--obd-samples: {NOT_INT}, got '1e4'"),
    (["--batch-size", "0"], f"--batch-size: {GE} 1, got '0'"),
    (["--batch-size", "1.5"], f"--batch-size: {NOT_INT}, got '1.5'"),
    (["--batch-size", "true"], f"--batch-size: {NOT_INT}, got 'true'"),
    (["--n-test", "-1"], f"--n-test: {GE} 0, got '-1'"),
    (["--input", "0"], f"--input: {GE} 1, got '0'"),
    (["--rewind-iteration", "-1"], f"--rewind-iteration: {GE} 0, got '-1'"),
    (["--synflow-iterations", "0"], f"--synflow-iterations: {GE} 1, got '0'"),
    (["--floor", "-1"], f"--floor: {GE} 0, got '-1'"),
    (["--threads", "0"], f"--threads: {GE} 1, got '0'"),
    # lists
    (["--seeds", "0"], f"--seeds: {COUNT}, got '0'"),
    (["--seeds", "1001"], f"--seeds: {COUNT}, got '1001'"),
    (["--seeds=,"], f"--seeds: {NONE}, got ','"),
    (["--seeds", "1.5"], f"--seeds: {NOT_INT}, got '1.5'"),
    (["--seeds=4294967296,"], "--seeds: Input should be less than 4294967296, got '4294967296,'"),
    (["--hidden", "4,0"], f"--hidden: {GE} 1, got '4,0'"),
    (["--hidden", "4,x"], f"--hidden: {NOT_INT}, got '4,x'"),
    (["--target-connections", ","], f"--target-connections: {NONE}, got ','"),
    (["--target-connections", "0"], f"--target-connections: {GE} 1, got '0'"),
    (["--controls", "reinit,bogus"], "--controls: Input should be 'reinit' or 'random_mask', got 'reinit,bogus'"),
    # paths and flags argparse refuses
    (["--out", ""], "--out: String should have at least 1 character, got ''"),
    (["--bogus", "1"], "unrecognized arguments: --bogus 1"),
    # ranges that depend on the model or the data, checked before the folder is written
    (["--rewind-iteration", "4"], "--rewind-iteration must be in 0..3 (the iterations of dense training), got 4"),
    (["--floor", "3"], "--floor must be in 0..2 at target 20 (layerwise scope), got 3"),
    (["--floor", "3", "--method", "obd"], "--floor must be in 0..2 at target 20 (global scope), got 3"),
    (["--target-connections", "1"], "target 1 is below 2, the weights of one path from an input to an output "
                                    "(one per layer)"),
    (["--target-connections", "41"], "target 41 exceeds the 40 weights of the dense model"),
    (["--method", "synflow", "--scope", "layerwise"],
     "synflow ranks globally (its point is to need no layerwise rule); use --scope global"),
    (["--method", "obd", "--controls", "reinit"], "controls (reinit, random_mask) are defined for --method imp only"),
]


@pytest.mark.parametrize("args,msg", FLAG_CASES, ids=[" ".join(a) for a, _ in FLAG_CASES])
def test_malformed_flags_are_refused_before_anything_is_written(args, msg, tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*TINY, "--out", str(out), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {msg}\n" and captured.out == ""
    assert not out.exists()


CONFIG_CASES = [
    ('epochs = "abc"', f"epochs: {NUMBER}, got 'abc'"),
    ("epochs = nan", f"epochs: {FINITE}, got nan"),
    ("epochs = inf", f"epochs: {FINITE}, got inf"),
    ("lr = 0", "lr: Input should be greater than 0, got 0"),
    ("weight_decay = -1", f"weight_decay: {GE} 0, got -1"),
    ("batch_size = true", f"batch_size: {INTEGER}, got True"),
    ("batch_size = 60.0", f"batch_size: {INTEGER}, got 60.0"),
    ('obd_samples = "10000"', f"obd_samples: {INTEGER}, got '10000'"),
    ("seeds = -1", f"seeds: {COUNT}, got -1"),
    ("seeds = [0, true]", f"seeds: {INTEGER}, got [0, True]"),
    ("seeds = []", f"seeds: {NONE}, got []"),
    ('hidden = [4, "8"]', f"hidden: {INTEGER}, got [4, '8']"),
    ('controls = ["reinit", 3]', "controls: Input should be 'reinit' or 'random_mask', got ['reinit', 3]"),
    ('method = "lottery"', "method: Input should be 'imp', 'synflow', 'obd', 'magnitude', 'random', 'supermask', "
                           "'supermask_signed' or 'early_bird', got 'lottery'"),
    ("oneshot_rewind = 1", f"oneshot_rewind: {BOOL}, got 1"),
    ('synthetic = "yes"', f"synthetic: {BOOL}, got 'yes'"),
    ("quiet = 0", f"quiet: {BOOL}, got 0"),
    ("threads = 0", f"threads: {GE} 1, got 0"),
    ("out = 5", "out: Input should be a valid string, got 5"),
    # sections: a table where a value belongs, a section that is no setting
    ("[epochs]\nvalue = 1", f"epochs: {NUMBER}, got {{'value': 1}}"),
    ("[[seeds]]", f"seeds: {INTEGER}, got [{{}}]"),
    ("[train]\nepochs = 1", f"train: {EXTRA}, got {{'epochs': 1}}"),
    ('config = "other.toml"', f"config: {EXTRA}, got 'other.toml'"),
]


@pytest.mark.parametrize("text,msg", CONFIG_CASES, ids=[t for t, _ in CONFIG_CASES])
def test_malformed_config_files_are_refused_naming_file_and_key(text, msg, tmp_path, capsys):
    cfg, out = tmp_path / "c.toml", tmp_path / "o"
    cfg.write_text(text + "\n")
    assert main(["--config", str(cfg), *TINY, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {cfg}: {msg}\n"
    assert not out.exists()


def test_unreadable_config_files(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = \n")
    assert main(["--config", str(bad)]) == 2
    assert capsys.readouterr().err == f"error: {bad} is not valid TOML: Invalid value (at line 1, column 10)\n"
    assert main(["--config", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot read config file {tmp_path}: ")


def test_a_refused_command_leaves_nothing_that_blocks_the_corrected_one(tmp_path, capsys):
    out = ["--out", str(tmp_path / "o")]
    assert main([*TINY, "--epochs", "nan", *out]) == 2
    assert main([*TINY, *out]) == 0
    assert "results in" in capsys.readouterr().out


def test_a_run_stopped_before_its_first_point_does_not_block_the_corrected_command(tmp_path, capsys):
    out = tmp_path / "o"
    assert main([*TINY, "--lr", "1e30", "--out", str(out)]) == 2  # diverges at level 0: no point is finished
    assert "training diverged; lower the learning rate" in capsys.readouterr().err
    assert main([*TINY, "--out", str(out)]) == 0
    assert capsys.readouterr().err == (f"note: {out} held a different experiment (differs in lr) but no finished "
                                       f"point; this run takes it over (new config.json and initial parameters)\n")
    assert main([*TINY, "--lr", "1e30", "--out", str(out)]) == 2  # now it holds points: refused as before
    assert capsys.readouterr().err == f"error: {out} holds a different experiment (differs in lr); choose another " \
                                      f"--out folder\n"


def test_config_file_values_are_typed_and_flags_override_them(tmp_path):
    """A value in the file is checked even where a flag overrides it: the file itself must be valid."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("epochs = nan\n")
    args = ["--config", str(cfg), *TINY, "--out", str(tmp_path / "o")]
    assert main([*args, "--epochs", "0.5"]) == 2
    cfg.write_text("epochs = 3\nseeds = 2\nhidden = 4\n")
    assert main([*args, "--epochs", "0.5"]) == 0
    from prune_baselines.results import load_result
    res = load_result(tmp_path / "o")
    assert res.config["epochs"] == 0.5 and res.config["hidden"] == [4] and res.seeds() == [0, 1]


def test_python_api_checks_the_same_fields():
    for kw, msg in [({"epochs": float("nan")}, f"epochs: {FINITE}, got nan"),
                    ({"batch_size": True}, f"batch_size: {INTEGER}, got True"),
                    ({"seeds": ()}, f"seeds: {NONE}, got ()"),
                    ({"lr": "0.1"}, f"lr: {NUMBER}, got '0.1'"),
                    ({"hidden": [np.int64(4)]}, f"hidden: {INTEGER}, got [{np.int64(4)!r}]"),
                    ({"scope": "all"}, "scope: Input should be 'layerwise' or 'global', got 'all'"),
                    ({"bogus": 1}, f"bogus: {EXTRA}, got 1")]:
        with pytest.raises(PruneError) as e:
            ExperimentConfig(**kw)
        assert str(e.value) == msg
    with pytest.raises(PruneError) as e:
        TrainConfig(lr=float("inf"))
    assert str(e.value) == f"lr: {FINITE}, got inf"
    cfg = ExperimentConfig(seeds=3, hidden=[4], epochs=2, model="mlp")
    assert cfg.seeds == (0, 1, 2) and cfg.hidden == (4,) and cfg.epochs == 2.0 and isinstance(cfg.epochs, float)
    assert cfg.scope == "layerwise" and ExperimentConfig(method="obd").scope == "global"
    assert isinstance(cfg.train_config(0.5), TrainConfig) and cfg.train_config(0.5).epochs == 0.5
