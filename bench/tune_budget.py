"""Tuned score against budget: `wann tune`'s CMA-ES on one champion, several settings and tune seeds.

For each setting (population, episodes per candidate, initial sigma) and tune seed, CMA-ES runs
``--generations`` generations with no early stop; at every check (each ``check_every`` generations)
the result `wann tune` would return if it stopped there (the best checked mean so far) is scored
on ``--trials`` fresh test episodes (the `wann eval` test seeds of that tune seed, never used in
tuning). Budget is counted in episodes (generations x population x episodes per candidate).
The champion defaults to the reference's released swing-up champion (tests/fixtures/reference).

Prints, per setting, median [min-max] over tune seeds of the test score at several budgets, the
generation at which the default stopping rule (``patience`` checks without improvement) would have
stopped and its score then, then ``RESULT ...``; ``--plot`` draws the curves.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result_line  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {  # name: (popsize, episodes per candidate, sigma)
    "old default (cma 15, 8 eps, sigma 0.25)": (0, 8, 0.25),
    "pop 32, 4 eps, sigma 0.5 (reference tool)": (32, 4, 0.5),
    "pop 32, 8 eps, sigma 0.5": (32, 8, 0.5),
    "pop 64, 4 eps, sigma 0.5": (64, 4, 0.5),
    "pop 32, 4 eps, sigma 0.25": (32, 4, 0.25),
    "pop 32, 16 eps, sigma 0.5": (32, 16, 0.5),
    "pop 64, 8 eps, sigma 0.5": (64, 8, 0.5),
    "pop 32, 8 eps, sigma 0.25": (32, 8, 0.25),
}


def load_champion(path: str | None):
    from wann import champion as champ
    from wann.reference_files import read_network

    if path is None:
        return read_network(REPO / "tests" / "fixtures" / "reference" / "swing.out", 5, 1), \
            {"name": "swingup", "rollouts": 3, "max_steps": 1000}, "reference swing.out"
    c, data = champ.load(path)
    return c.genome, data["task"], path


def one(genome, task_dict, name, seed, generations, trials, out: Path) -> dict:
    from wann.evaluators import Evaluators
    from wann.seeds import draw_seeds, seed_streams
    from wann.tasks import task_options, trial_options, with_rollouts
    from wann.evaluators import make_evaluator
    from wann.network import compile_genome
    from wann.tasks import make_task
    from wann.tuning import TuneSettings, _with_cw, tune

    file = out / f"{name.split(' (')[0].replace(' ', '_').replace(',', '')}_seed{seed}.json"
    if file.exists():
        return json.loads(file.read_text())
    popsize, eps, sigma = SETTINGS[name]
    opts = task_options(task_dict, "champion")
    task = make_task(trial_options(opts))
    make = lambda t, w: make_evaluator("serial", t, w)  # noqa: E731
    checks = []
    settings = TuneSettings(generations=generations, popsize=popsize, sigma=sigma, seeds_per_generation=eps,
                            patience=0)
    t0 = time.process_time()
    res = tune(genome, task, make, settings, seed, None, make_task(with_rollouts(opts, eps)),
               on_check=lambda g, x: checks.append((g, x.copy())))
    cpu = time.process_time() - t0
    test = draw_seeds(seed_streams(seed)["test"], trials)
    base = compile_genome(genome)
    rows = [h for h in res.history if "check" in h]
    with Evaluators(make) as evs:
        start = evs.trial_scores(task, [base] * trials, test, [res.start_weight])[:, 0]
        scored = []
        best, best_x = -np.inf, None
        for (g, x), h in zip(checks, rows):
            if h["check"] > best:
                best, best_x = h["check"], x
            values = evs.trial_scores(task, [_with_cw(base, best_x)] * trials, test)[:, 0]
            scored.append({"generation": g + 1, "check": h["check"], "test": float(values.mean()),
                           "test_std": float(values.std())})
    pop = popsize or int(4 + 3 * np.log(base.cw.size))
    result = {"setting": name, "seed": seed, "popsize": pop, "episodes": eps, "sigma": sigma, "cpu_seconds": cpu,
              "start_weight": res.start_weight, "start_test": float(start.mean()), "curve": scored}
    file.write_text(json.dumps(result))
    return result


def stop_point(curve: list[dict], patience: int) -> dict:
    """The curve point where `wann tune` would stop: once a check has beaten the start (the first point),
    ``patience`` checks in a row without improvement."""
    best, stale = curve[0]["check"], 0
    for p in curve[1:]:
        if p["check"] > best:
            best, stale = p["check"], 0
        elif best > curve[0]["check"]:
            stale += 1
        if stale >= patience:
            return p
    return curve[-1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--champion", help="champion file (default: the reference's swing-up champion)")
    p.add_argument("--seeds", type=int, default=3, help="tune seeds")
    p.add_argument("--generations", type=int, default=1000)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--settings", default="all", help="comma-separated indices into the settings list, or all")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default="results/tune_budget")
    p.add_argument("--plot", action="store_true")
    p.add_argument("--patience", default="4,8,12", help="stopping rules to tabulate (checks without improvement)")
    p.add_argument("--quick", action="store_true", help="1 seed, 50 generations, 20 trials, two settings")
    a = p.parse_args()
    names = list(SETTINGS)
    if a.quick:
        a.seeds, a.generations, a.trials, a.settings, a.out = 1, 50, 20, "0,1", a.out + "_quick"
    if a.settings != "all":
        names = [names[int(i)] for i in a.settings.split(",")]
    genome, task_dict, label = load_champion(a.champion)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(one, genome, task_dict, n, s, a.generations, a.trials, out)
                   for n in names for s in range(a.seeds)]
        results = [f.result() for f in futures]
    from wann.tuning import TuneSettings

    patience = TuneSettings().patience
    rules = [int(k) for k in a.patience.split(",")]
    budgets = [g for g in (100, 200, 300, 500, 700, 1000) if g <= a.generations]
    rows = []
    for n in names:
        rs = [r for r in results if r["setting"] == n]
        cells = []
        for g in budgets:
            v = [next(pt["test"] for pt in r["curve"] if pt["generation"] >= g) for r in rs]
            cells.append(f"{np.median(v):.0f} [{min(v):.0f}-{max(v):.0f}]")
        for k in rules:
            stops = [stop_point(r["curve"], k) for r in rs]
            cells.append(f"{np.median([s['generation'] for s in stops]):.0f}: "
                         f"{np.median([s['test'] for s in stops]):.0f} [{min(s['test'] for s in stops):.0f}-"
                         f"{max(s['test'] for s in stops):.0f}]")
        cells.append(f"{np.median([r['cpu_seconds'] for r in rs]):.0f}")
        rows.append([n, rs[0]["popsize"] * rs[0]["episodes"]] + cells)
    print(f"champion: {label}; start (best shared weight) on the test trials: "
          + ", ".join(f"{r['start_test']:.0f}" for r in results if r["setting"] == names[0]))
    print(f"test score ({a.trials} fresh trials) of the result at each budget of generations; median [min-max] "
          f"over {a.seeds} tune seeds")
    print_table(["setting", "episodes/gen"] + [f"gen {g}" for g in budgets]
                + [f"stop, patience {k}: gen: score" for k in rules] + ["CPU s (all gens)"], rows)
    if a.plot:
        plot(results, names, out / "tune_budget", label)
    final = {n: float(np.median([stop_point(r["curve"], patience)["test"] for r in results if r["setting"] == n]))
             for n in names}
    print(result_line(**{f"stop_score_{k}": v for k, v in enumerate(final.values())}))


def plot(results, names, stem, title: str = ""):
    from matplotlib.figure import Figure

    from wann.plots import save_figure

    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for k, n in enumerate(names):
        for r in [r for r in results if r["setting"] == n]:
            x = [pt["generation"] * r["popsize"] * r["episodes"] for pt in r["curve"]]
            ax.plot(x, [pt["test"] for pt in r["curve"]], color=f"C{k}", lw=1, alpha=0.8,
                    label=n if r["seed"] == 0 else None)
    ax.set_xscale("log")
    ax.set_xlabel("training episodes")
    ax.set_ylabel("test score (fresh trials)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"wann tune on {title}: result at each check (best checked mean so far)", fontsize=9)
    for path in save_figure(fig, stem):
        print(path)


if __name__ == "__main__":
    main()
