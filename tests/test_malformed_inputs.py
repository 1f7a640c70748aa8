"""A corpus of malformed inputs: each gives one clear line on stderr, exit status 2, no traceback and
nothing written (no run folder for `evolve`). The table is the corpus; ``mutate`` builds each bad file
from a good one (the legacy swing-up champion in tests/fixtures, the committed legacy run folder, a small config).
"""
from __future__ import annotations

import copy
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from prune_baselines.retrain import RetrainConfig
from wann.cli import main

REPO = Path(__file__).resolve().parents[1]
CHAMPION = json.loads((REPO / "tests" / "fixtures" / "legacy_champion.json").read_text())
GOOD_CONFIG = '[run]\ngenerations = 2\n[task]\nname = "swingup"\nmax_steps = 50\n[search]\npop_size = 8\n' \
              '[evaluation]\nbackend = "serial"\n'


@dataclass
class Case:
    name: str
    argv: list[str]  # {tmp} is the case's folder
    message: str  # must appear in stderr
    files: Callable[[Path], None] = lambda tmp: None  # writes the inputs


def text(name: str, content: str | bytes) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return write


def champion(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        data = copy.deepcopy(CHAMPION)
        change(data)
        (tmp / "c.json").write_text(json.dumps(data))
    return write


def checkpoint(change: Callable[[dict], None]) -> Callable[[Path], None]:
    """The legacy run folder with its checkpoint's arrays (and JSON state) changed."""
    def write(tmp: Path) -> None:
        shutil.copytree(REPO / "tests" / "fixtures" / "legacy_run", tmp / "run")
        with np.load(tmp / "run" / "checkpoint.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["state"] = json.loads(str(arrays["state"]))
        change(arrays)
        arrays["state"] = np.array(json.dumps(arrays["state"]))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        (tmp / "run" / "checkpoint.npz").write_bytes(buf.getvalue())
    return write


def set_path(path: str, value) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        *head, last = path.split(".")
        for k in head:
            d = d[k]
        d[last] = value
    return change


def delete(path: str) -> Callable[[dict], None]:
    def change(d: dict) -> None:
        *head, last = path.split(".")
        for k in head:
            d = d[k]
        del d[last]
    return change


EVOLVE = ["evolve", "{tmp}/cfg.toml", "--out", "{tmp}/run"]
RETRAIN = ["retrain", "--synthetic", "--out", "{tmp}/study"]
SHOW = ["show", "{tmp}/c.json"]
CORPUS = [
    # --- configs -------------------------------------------------------------------------------
    Case("config missing", ["evolve", "{tmp}/none.toml"], "none.toml not found"),
    Case("--set an unknown key", [*EVOLVE, "--set", "search.pop_sise=3"],
         "--set 'search.pop_sise=3': unknown key 'pop_sise' in [search]; valid keys:", text("cfg.toml", GOOD_CONFIG)),
    Case("eval a missing path", ["eval", "{tmp}/nope"], "{tmp}/nope: no such run folder or champion file"),
    Case("eval an empty folder", ["eval", "{tmp}"], "holds no champion.json: is it a run folder"),
    Case("--validation-size without --select-on validation", ["compare", "--baselines", "{tmp}",
                                                             "--validation-size", "100"],
         "--validation-size goes with --select-on validation"),
    Case("config is a folder", ["evolve", "{tmp}", "--out", "{tmp}/run"], "is a folder; give a TOML config file"),
    Case("config not UTF-8", EVOLVE, "not a UTF-8 text file", text("cfg.toml", b"[run]\nname = '\xff\xfe'\n")),
    Case("config not TOML", EVOLVE, "not valid TOML", text("cfg.toml", "[run\n")),
    Case("section not a table", EVOLVE, "search = 5 should be a table", text("cfg.toml", "search = 5\n")),
    Case("unknown section", EVOLVE, "unknown section(s) ['serch']", text("cfg.toml", "[serch]\npop_size = 3\n")),
    Case("unknown key", EVOLVE, "unknown key(s) ['pop']", text("cfg.toml", "[search]\npop = 3\n")),
    Case("string for an integer", EVOLVE, "pop_size = '8' should be of type int",
         text("cfg.toml", '[search]\npop_size = "8"\n')),
    Case("boolean for an integer", EVOLVE, "pop_size = True should be of type int",
         text("cfg.toml", "[search]\npop_size = true\n")),
    Case("NaN float", EVOLVE, "p_init = nan should be a finite number", text("cfg.toml", "[search]\np_init = nan\n")),
    Case("infinite probability", EVOLVE, "prob_add_node = inf should be a finite number",
         text("cfg.toml", "[search]\nprob_add_node = inf\n")),
    Case("NaN shared weight", EVOLVE + ["--set", "search.weights=[nan, 1.0]"], "weights must be finite",
         text("cfg.toml", GOOD_CONFIG)),
    Case("huge shared weight", EVOLVE + ["--set", "search.weights=[1e300]"], "|w| <= 1000",
         text("cfg.toml", GOOD_CONFIG)),
    Case("empty weight list", EVOLVE + ["--set", "search.weights=[]"], "weights must be a non-empty list",
         text("cfg.toml", GOOD_CONFIG)),
    Case("negative seed", EVOLVE + ["--set", "run.seed=-1"], "seeds are integers >= 0", text("cfg.toml", GOOD_CONFIG)),
    Case("unknown task", EVOLVE, "unknown task 'swing'", text("cfg.toml", '[task]\nname = "swing"\n')),
    Case("override without a dot", EVOLVE + ["--set", "pop_size=3"], "expected section.key=value",
         text("cfg.toml", GOOD_CONFIG)),
    Case("override of an unknown section", EVOLVE + ["--set", "serch.pop_size=3"], "unknown section 'serch'",
         text("cfg.toml", GOOD_CONFIG)),
    Case("unknown phenotype", EVOLVE + ["--set", 'search.phenotype="all"'], "phenotype must be one of",
         text("cfg.toml", GOOD_CONFIG)),
    Case("unsupported gym env", EVOLVE, "the gym task needs a Box observation space",
         text("cfg.toml", '[task]\nname = "gym"\nenv_id = "Blackjack-v1"\n')),
    Case("minibatch beyond the training set", EVOLVE, "minibatch (600) exceeds the training images used (500)",
         text("cfg.toml", '[task]\nname = "mnist256"\ntrain_size = 500\nminibatch = 600\n')),
    Case("bad seed list", EVOLVE + ["--seeds", "3-1"], "--seeds '3-1'", text("cfg.toml", GOOD_CONFIG)),
    # --- champion files ----------------------------------------------------------------------------
    Case("champion not JSON", SHOW, "is corrupt (not valid JSON", text("c.json", "{")),
    Case("champion a JSON list", SHOW, "expected a JSON object", text("c.json", "[1, 2]")),
    Case("champion of another format", SHOW, "not a champion file", champion(set_path("format", "x/1"))),
    Case("per_weight shorter than weights", SHOW, "per_weight has 5 values for 6 weights",
         champion(lambda d: d["per_weight"].pop())),
    Case("empty weight series", ["export", "{tmp}/c.json", "--to", "json"], "field weights: List should have at least 1",
         champion(lambda d: (d.__setitem__("weights", []), d.__setitem__("per_weight", [])))),
    Case("NaN fitness", SHOW, "field fitness: Input should be a finite number", champion(set_path("fitness", float("nan")))),
    Case("node id beyond int64", SHOW, "field genome.nodes.id.21: Input should be less than 2147483648",
         champion(lambda d: d["genome"]["nodes"]["id"].append(2**70))),
    Case("node columns of different lengths", SHOW, "node columns id, kind, activation have different lengths",
         champion(lambda d: d["genome"]["nodes"]["id"].append(99))),
    Case("integer where a boolean belongs", SHOW, "field genome.connections.enabled.0: Input should be a valid boolean",
         champion(lambda d: d["genome"]["connections"]["enabled"].__setitem__(0, 1))),
    Case("float activation id", SHOW, "field genome.nodes.activation.0: Input should be a valid integer",
         champion(lambda d: d["genome"]["nodes"]["activation"].__setitem__(0, 1.0))),
    Case("boolean seed", SHOW, "field seeds.0: Input should be a valid integer",
         champion(lambda d: d["seeds"].__setitem__(0, True))),
    Case("unknown node kind", SHOW, "genome.nodes.kind.0: Input should be 'bias', 'input', 'output' or 'hidden'",
         champion(lambda d: d["genome"]["nodes"]["kind"].__setitem__(0, "neuron"))),
    Case("unknown activation", SHOW, "unknown activation ids [42]",
         champion(lambda d: d["genome"]["nodes"]["activation"].__setitem__(-1, 42))),
    Case("a cycle", SHOW, "the connections form a cycle", champion(lambda d: [
        d["genome"]["connections"][k].append(v) for k, v in
        (("innovation", 9999), ("enabled", True),
         ("source", d["genome"]["connections"]["target"][-1]), ("target", d["genome"]["connections"]["source"][-1]))])),
    Case("duplicate innovation", SHOW, "innovation ids are not unique", champion(lambda d: d["genome"]["connections"][
        "innovation"].__setitem__(1, d["genome"]["connections"]["innovation"][0]))),
    Case("unknown phenotype in a file", SHOW, "field genome.phenotype: Input should be 'reference' or 'enabled'",
         champion(set_path("genome.phenotype", "all"))),
    Case("task without a name", SHOW, "task needs a name", champion(delete("task.name"))),
    Case("genome without connections", SHOW, "field genome.connections: Field required",
         champion(delete("genome.connections"))),
    Case("export weight NaN", ["export", "{tmp}/c.json", "--to", "json", "--weight", "nan"],
         "a shared weight is a finite number", champion(lambda d: None)),
    Case("export weight huge", ["export", "{tmp}/c.json", "--to", "json", "--weight", "1e9"],
         "|w| <= 1000", champion(lambda d: None)),
    Case("tune a champion without connections", ["tune", "{tmp}/c.json", "--generations", "1"],
         "nothing to tune", champion(lambda d: d["genome"]["connections"].__setitem__(
             "enabled", [False] * len(d["genome"]["connections"]["enabled"])))),
    # --- retraining studies (wann retrain) ----------------------------------------------------------
    Case("retrain structure of another model", [*RETRAIN, "--structure", "channels"],
         "--structure channels prunes the convnet; --model lenet300 takes --structure weights or units"),
    Case("retrain BN penalty on an MLP", [*RETRAIN, "--bn-l1", "1e-4"], "--model lenet300 has none"),
    Case("retrain Early-Bird settings without the arm", [*RETRAIN, "--eb-window", "3"], "add it to --arms"),
    Case("retrain Early-Bird with part of an epoch", [*RETRAIN, "--arms", "early_bird", "--epochs", "5.5"],
         "--epochs must be a whole number"),
    Case("retrain conv net on 16x16 images", [*RETRAIN, "--model", "convnet", "--input", "256"],
         "the conv net reads 28x28 images"),
    Case("retrain prune ratio of 1", [*RETRAIN, "--prune-ratios", "0.5,1"], "--prune-ratios: Input should be less than 1"),
    Case("retrain unknown arm", [*RETRAIN, "--arms", "finetune,scratch"], "--arms: Input should be 'finetune'"),
    Case("prune the conv net", ["prune", "--method", "early-bird", "--model", "convnet"],
         "wann retrain --model convnet"),
    Case("retrain missing MNIST", ["retrain", "--data-dir", "{tmp}/none", "--out", "{tmp}/study"], "{tmp}/none"),
    Case("retrain into a folder of another study", [*RETRAIN, "--lr", "0.01"], "holds another retraining study "
         "(differs in finetune_lr, lr)", text("study/config.json", json.dumps({
             "config": RetrainConfig().model_dump(mode="json"), "provenance": {"dataset": "synthetic", "seeds": [0]}}))),
    # --- checkpoints -------------------------------------------------------------------------------
    Case("no checkpoint", ["resume", "{tmp}/run"], "has no checkpoint to resume from",
         lambda tmp: (shutil.copytree(REPO / "tests" / "fixtures" / "legacy_run", tmp / "run"),
                      (tmp / "run" / "checkpoint.npz").unlink())),
    Case("checkpoint not a zip", ["resume", "{tmp}/run"], "checkpoint.npz is corrupt",
         lambda tmp: (shutil.copytree(REPO / "tests" / "fixtures" / "legacy_run", tmp / "run"),
                      (tmp / "run" / "checkpoint.npz").write_bytes(b"PK not really"))),
    Case("checkpoint state field missing", ["resume", "{tmp}/run"], "field evaluations: Field required",
         checkpoint(lambda a: a["state"].pop("evaluations"))),
    Case("checkpoint state negative generation", ["resume", "{tmp}/run"],
         "field generation: Input should be greater than or equal to 0", checkpoint(set_path("state.generation", -3))),
    Case("checkpoint float ids", ["resume", "{tmp}/run"], "array node_id should be 1-d int32 (dtype float64",
         checkpoint(lambda a: a.__setitem__("node_id", a["node_id"].astype(float)))),
    Case("checkpoint offsets beyond the arrays", ["resume", "{tmp}/run"], "conn_offsets do not index the conn arrays",
         checkpoint(lambda a: a.__setitem__("conn_offsets", a["conn_offsets"] + 1))),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_malformed_input_gives_one_clear_error(case: Case, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WANN_MNIST_DIR", str(REPO.parent / "shared" / "data" / "mnist"))
    case.files(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in case.argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ") and case.message.replace("{tmp}", str(tmp_path)) in err, err
    if argv[0] in ("evolve", "retrain"):
        assert sorted(tmp_path.rglob("*")) == before  # no run folder or study folder was made, nothing changed


def test_the_corpus_is_large_and_every_case_distinct():
    assert len(CORPUS) >= 45 and len({c.name for c in CORPUS}) == len(CORPUS)


def test_show_into_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    cmd = f"{sys.executable} -m wann.cli show {REPO / 'tests' / 'fixtures' / 'legacy_champion.json'} | head -1"
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.startswith("champion of task swingup") and r.stderr == ""


def test_zero_connection_champions_export_a_constant_model(tmp_path):
    import onnxruntime as ort

    data = copy.deepcopy(CHAMPION)
    data["genome"]["connections"]["enabled"] = [False] * len(data["genome"]["connections"]["enabled"])
    (tmp_path / "c.json").write_text(json.dumps(data))
    assert main(["export", str(tmp_path / "c.json"), "--to", "onnx"]) == 0
    x = np.random.default_rng(0).normal(size=(3, 5))
    (y,) = ort.InferenceSession(str(tmp_path / "c.onnx")).run(None, {"x": x})
    np.testing.assert_array_equal(y, np.zeros((3, 1)))
