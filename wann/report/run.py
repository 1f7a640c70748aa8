"""The report of a run folder: overview, command and versions, config, curves, champion, evaluation, tuning."""
from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from pathlib import Path

from wann.errors import UserError
from wann.io import read_json
from wann.report import html as h
from wann.rundir import CHAMPION, CONFIG, load_champion, read_config, read_log, read_meta


def build(folder: Path, tmp: Path) -> tuple[str, str, list]:
    """(title, subtitle, sections) of the run folder ``folder``; figures are drawn into ``tmp``."""
    rows = read_log(folder)
    meta = read_meta(folder)
    has_champion = (folder / CHAMPION).exists()
    champion = load_champion(folder) if has_champion else None
    task = champion[1]["task"].get("name") if champion else read_config(folder).get("task", {}).get("name")
    overview = {"folder": str(folder), "task": task, "generations run": len(rows)}
    if rows:
        overview |= {"evaluations": rows[-1]["evaluations"], "elapsed seconds": rows[-1]["elapsed"]}
    if champion:
        c = champion[0]
        overview |= {"champion fitness": round(c.fitness, 4), "champion generation": c.generation,
                     "champion connections": c.genome.n_connections, "champion hidden nodes": c.genome.n_hidden}
    sections = [h.section("overview", "Overview", h.kv_table(overview, None)),
                h.section("command", "Command and versions", meta_block(meta)),
                h.section("config", "Config", config_block(folder)),
                h.section("curves", "Curves", _curves(folder, rows, tmp))]
    if champion:
        sections.append(h.section("champion", "Champion", *_champion(folder, champion, tmp)))
    else:
        sections.append(h.section("champion", "Champion", h.note(f"no {CHAMPION} yet: the run has not finished "
                                                                 "a generation")))
    if (folder / "champion.eval.json").exists():
        sections.append(h.section("evaluation", "Evaluation (wann eval)", *_evaluation(folder, tmp)))
    if (folder / "champion.tuned.json").exists():
        sections.append(h.section("tuned", "Tuned weights (wann tune)", *_tuned(folder, tmp)))
    return f"wann run: {folder.name}", f"run folder {folder}", sections


def meta_block(meta: dict) -> str:
    """The command line (as one shell line) and the rest of ``meta.json``/``batch.json`` as a table."""
    if not meta:
        return h.note("no meta.json in this folder")
    command = meta.get("command")
    line = shlex.join(command) if isinstance(command, list) else str(command or "")
    rest = {k: v for k, v in meta.items() if k not in ("command", "format")}
    return (h.pre(line) if line else "") + h.kv_table(rest, None)


def config_block(folder: Path) -> str:
    """``config.toml`` as one table per section side by side, the file itself in a collapsed block."""
    cfg = read_config(folder)
    top = {k: v for k, v in cfg.items() if not isinstance(v, dict)}
    tables = ([h.kv_table(top, None)] if top else []) + [h.heading(f"[{k}]") + h.kv_table(v, None)
                                                          for k, v in cfg.items() if isinstance(v, dict)]
    return h.grid(*tables) + h.details(f"{CONFIG} as written", h.pre((folder / CONFIG).read_text()))


def _curves(folder: Path, rows: list[dict], tmp: Path) -> str:
    if not rows:
        return h.note("no generations logged yet (log.jsonl is empty or absent)")
    from wann.plots import plot_curves

    paths = plot_curves(rows, tmp / "curves", f"{folder.name}: {len(rows)} generations")
    return h.image(h.png_of(paths), "fitness and size against generations")


def _quiet(fn, *args):
    """``fn(*args)`` with what it prints captured: (its result, the text)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn(*args)
    return result, buf.getvalue()


def _graph(c, data: dict, file: Path, tmp: Path, name: str, kind: str) -> tuple[str, str]:
    """The champion's graph (``wann.plots.draw_genome``) as in ``wann plot``; (figure, note printed)."""
    from wann.plots import draw_genome
    from wann.tasks import io_names

    (ins, outs, shape), printed = _quiet(io_names, data["task"], str(file), c.genome)
    origin = f"imported from {Path(data['imported']['network']).name}" if "imported" in data else \
        f"generation {c.generation}"
    paths = draw_genome(c.genome, tmp / name, ins, outs, f"{data['task'].get('name')} {kind} ({origin})", shape)
    return h.image(h.png_of(paths), f"{kind} graph"), printed.strip()


def _champion(folder: Path, champion, tmp: Path) -> list[str]:
    from wann.cli.show import cmd_show

    c, data, file = champion
    figure, printed = _graph(c, data, file, tmp, "champion", "champion")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            cmd_show(argparse.Namespace(path=str(folder), data_dir=None))
        except UserError as exc:  # the task's own lines (e.g. MNIST test accuracy) need the task's data
            print(f"(the task's summary is not available: {exc})")
    return [h.para(f"What `wann show {folder}` prints:"), h.pre(buf.getvalue().rstrip()), figure,
            h.note(printed) if printed else ""]


def _evaluation(folder: Path, tmp: Path) -> list[str]:
    ev = read_json(folder / "champion.eval.json", "evaluation report")
    cols = ev.get("columns", [])
    table = h.table(["column", "shared weight", f"{ev.get('metric', 'score')} mean", "std", "min", "max", "n"],
                    [[c["name"], c.get("weight"), c["mean"], c["std"], c["min"], c["max"], c["n"]] for c in cols])
    settings = {"trials per column": ev.get("trials"), "seed": ev.get("seed"), "a trial": ev.get("trial"),
                "task": ev.get("task"), "task overrides": ev.get("task_overrides"), "tuned file": ev.get("tuned_file")}
    parts = [h.kv_table({k: v for k, v in settings.items() if v not in (None, [], "")}, None), table]
    sweep = ev.get("sweep")
    if sweep and sweep.get("weights"):
        import numpy as np

        from wann.plots import plot_sweep

        points = [(c["name"], c["weight"], c["mean"], c["std"]) for c in cols
                  if c["name"].startswith("w =")] if ev.get("metric") == "score" else []
        paths = plot_sweep(np.asarray(sweep["weights"]), np.asarray(sweep["mean"]), np.asarray(sweep["std"]),
                           float(sweep["best"]), tmp / "sweep", points, "score",
                           f"{ev.get('task', {}).get('name')}: champion.json ({ev.get('connections')} connections)")
        parts.append(h.image(h.png_of(paths), "score against shared weight",
                             f"shared-weight sweep on {sweep.get('n_seeds')} tuning seeds"))
    return parts


def _tuned(folder: Path, tmp: Path) -> list[str]:
    c, data, file = load_champion(folder / "champion.tuned.json")
    t = data.get("tuned", {})
    test = t.get("test", {})
    rows = [["best shared weight (start)", t.get("start_weight"), test.get("start"), test.get("start_std")],
            ["tuned weights", None, test.get("tuned"), test.get("tuned_std")]]
    parts = [h.para(f"{t.get('method', '?')} from the best shared weight; {test.get('trials')} fresh test trials "
                    f"(seed {t.get('seed')}), {fmt_seconds(t.get('seconds'))}."),
             h.table(["network", "shared weight", "test mean", "std"], rows),
             h.details("settings and validation", h.kv_table({"settings": _method_settings(t),
                                                               "validation": t.get("validation", {}),
                                                               "task overrides": t.get("task_overrides")}))]
    figure, _ = _graph(c, data, file, tmp, "tuned", "tuned")
    return parts + [figure]


ADAM_ONLY = ("epochs", "batch_size", "lr")  # TuneSettings used only by Adam (classification)
CMA_ONLY = ("generations", "popsize", "sigma", "seeds_per_generation", "check_every", "check_trials", "patience")


def _method_settings(tuned: dict) -> dict:
    """The tune settings the method used (CMA-ES or Adam), without the other method's."""
    drop = ADAM_ONLY if tuned.get("method") == "cma-es" else CMA_ONLY if tuned.get("method") == "adam" else ()
    return {k: v for k, v in tuned.get("settings", {}).items() if k not in drop}


def fmt_seconds(s) -> str:
    return f"{s:.1f} s" if isinstance(s, (int, float)) else "time unknown"

