"""Typed configuration: TOML file -> dataclasses, with ``--set section.key=value`` overrides.

Sections: [run], [task] (``name`` plus the task's own options, see ``wann.tasks``),
[search], [evaluation]. Unknown or mistyped keys raise a UserError naming the
file, the key and the valid keys.
"""
from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from wann import activations
from wann.errors import UserError
from wann.io import toml_value
from wann.typed import build
from wann.genome import PHENOTYPES
from wann.ranking import CROWDING_MODES


@dataclass
class RunConfig:
    name: str = "run"
    seed: int = 0
    generations: int = 1024
    out_dir: str = "runs"
    checkpoint_every: int = 10
    champion_reps: int = 20
    tensorboard: bool = False  # TensorBoard event files of the log's figures in <run folder>/tensorboard


@dataclass
class SearchConfig:
    pop_size: int = 192
    p_init: float = 0.5
    tournament_size: int = 8
    cull_ratio: float = 0.2
    elite_ratio: float = 0.2
    prob_moo: float = 0.8
    prob_add_conn: float = 0.20
    prob_add_node: float = 0.25
    prob_enable: float = 0.05
    prob_change_act: float = 0.50
    weights: list = field(default_factory=lambda: [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
    activations: list = field(default_factory=list)  # empty: the task's default set
    crowding: str = "range"
    phenotype: str = "reference"  # genes expressed: "reference" (as the reference code) or "enabled" (wann.genome)

    @property
    def mutation_probs(self) -> tuple[float, float, float, float]:
        return (self.prob_add_conn, self.prob_add_node, self.prob_enable, self.prob_change_act)


@dataclass
class EvaluationConfig:
    backend: str = "ray"  # "serial": in-process, no start-up cost (small runs, tests)
    workers: int = 0  # 0 = all local cores (or all the cluster's CPUs with an address)
    address: str = ""  # "" = a private local Ray instance; "auto" or "host:port" = a running cluster


@dataclass
class Config:
    run: RunConfig
    task: Any  # the task's options dataclass (has a ``name`` field)
    search: SearchConfig
    evaluation: EvaluationConfig
    source: str = ""  # file the config came from, for messages

    def to_dict(self) -> dict:
        return {
            "run": dataclasses.asdict(self.run),
            "task": dataclasses.asdict(self.task),
            "search": dataclasses.asdict(self.search),
            "evaluation": dataclasses.asdict(self.evaluation),
        }

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())


WEIGHT_BOUND = 1e3  # largest |shared weight| a config may ask for (wann.evaluation: non-finite scores)
SECTIONS = {"run": RunConfig, "search": SearchConfig, "evaluation": EvaluationConfig}


def parse_override(text: str) -> tuple[str, str, Any]:
    """``section.key=value`` -> (section, key, value); value parsed as TOML, else a string."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise UserError(f"--set {text!r}: expected section.key=value, e.g. --set search.pop_size=64")
    dotted, raw = text.split("=", 1)
    section, key = dotted.strip().split(".", 1)
    return section, key, toml_value(raw)


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read a TOML config, apply overrides, validate; UserError on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"config file {path} not found; see configs/ for examples") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give a TOML config file, e.g. configs/quick.toml") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start}); a config is TOML text") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    return config_from_dict(raw, overrides or [], str(path))


def config_from_dict(raw: dict, overrides: list[str], source: str = "<config>") -> Config:
    """Build a Config from a parsed TOML dict plus ``section.key=value`` overrides."""
    valid = {"run", "task", "search", "evaluation"}
    unknown = sorted(set(raw) - valid)
    if unknown:
        raise UserError(f"{source}: unknown section(s) {unknown}; valid sections: {sorted(valid)}")
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise UserError(f"{source}: {name} = {table!r} should be a table: a [{name}] section of key = value lines")
    raw = {k: dict(v) for k, v in raw.items()}
    set_keys = []
    for text in overrides:
        section, key, value = parse_override(text)
        if section not in valid:
            raise UserError(f"--set {text!r}: unknown section {section!r}; valid sections: {sorted(valid)}")
        raw.setdefault(section, {})[key] = value
        set_keys.append((text, section, key))
    from wann.tasks import task_options_class

    task_raw = dict(raw.get("task", {}))
    task_name = task_raw.get("name", "swingup")
    try:
        options_cls = task_options_class(task_name)
    except KeyError as exc:
        raise UserError(f"{source}: [task] name: {exc.args[0]}") from None
    classes = {"run": RunConfig, "task": options_cls, "search": SearchConfig, "evaluation": EvaluationConfig}
    for text, section, key in set_keys:
        fields = sorted(f.name for f in dataclasses.fields(classes[section]))
        if key not in fields:
            raise UserError(f"--set {text!r}: unknown key {key!r} in [{section}]; valid keys: {fields}")
    cfg = Config(
        run=build(RunConfig, raw.get("run", {}), "run", source),
        task=build(options_cls, task_raw, "task", source),
        search=build(SearchConfig, raw.get("search", {}), "search", source),
        evaluation=build(EvaluationConfig, raw.get("evaluation", {}), "evaluation", source),
        source=source,
    )
    _check(cfg)
    return cfg


def _check(cfg: Config) -> None:
    s, r, e, src = cfg.search, cfg.run, cfg.evaluation, cfg.source

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise UserError(f"{src}: {what}")

    need(s.pop_size >= 2, "[search] pop_size must be >= 2")
    need(0.0 <= s.p_init <= 1.0, "[search] p_init must be in [0, 1]")
    need(s.tournament_size >= 1, "[search] tournament_size must be >= 1")
    need(0.0 <= s.cull_ratio < 1.0 and 0.0 <= s.elite_ratio < 1.0, "[search] cull_ratio, elite_ratio in [0, 1)")
    need(0.0 <= s.prob_moo <= 1.0, "[search] prob_moo must be in [0, 1]")
    probs = s.mutation_probs
    need(min(probs) >= 0 and sum(probs) > 0, "[search] mutation probabilities must be >= 0 with a positive sum")
    need(len(s.weights) >= 1 and all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in s.weights),
         "[search] weights must be a non-empty list of numbers")
    need(all(math.isfinite(w) and abs(w) <= WEIGHT_BOUND for w in s.weights),
         f"[search] weights must be finite numbers with |w| <= {WEIGHT_BOUND:g}, got {s.weights}")
    s.weights = [float(w) for w in s.weights]
    if s.activations:
        try:
            s.activations = list(activations.validate(s.activations, "[search] activations"))
        except ValueError as exc:
            raise UserError(f"{src}: {exc}") from None
    need(s.crowding in CROWDING_MODES, f"[search] crowding must be one of {CROWDING_MODES}")
    need(s.phenotype in PHENOTYPES, f"[search] phenotype must be one of {PHENOTYPES}: \"reference\" expresses "
         "disabled hidden->hidden genes as the reference code does, \"enabled\" only enabled genes")
    need(r.seed >= 0, f"[run] seed = {r.seed}: seeds are integers >= 0")
    need(r.generations >= 1 and r.checkpoint_every >= 1 and r.champion_reps >= 1,
         "[run] generations, checkpoint_every and champion_reps must be >= 1")
    need(e.backend in ("serial", "ray"), "[evaluation] backend must be 'serial' or 'ray'")
    need(e.workers >= 0, "[evaluation] workers must be >= 0 (0 = all cores)")
