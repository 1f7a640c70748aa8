"""Study: does expressing disabled hidden->hidden genes (the reference's phenotype) change the swing-up search?

Runs ``configs/swingup_laptop.toml`` for ``--generations`` generations, one serial run per (arm, seed),
``--jobs`` runs at a time, each in its own run folder under ``--out`` (re-running skips finished runs).
Arms: ``search.phenotype`` x ``search.crowding`` (``enabled``/``reference`` x ``range``/``reference``).

Per arm and checkpoint generation G (200, 400, 600 by default) it reports, median [min-max] over seeds:

- the population median and the generation elite of mean fitness (the two fitness columns of the
  reference's ``log/sample_stats.out``: ``fit_med`` and ``fit_max``), each averaged over generations
  G-49..G of the run's log to smooth the one-seed-per-generation noise;
- the population's median connection count both ways: as the reference expresses genes (enabled plus
  disabled hidden->hidden) and as enabled genes only, for the population evaluated at generation G.

The comparison stated before the runs: a one-sided Mann-Whitney U test of the final window's population
median, reference genes > enabled genes (crowding "range"), and the number of seeds per arm whose final
window elite passes 520 (today's runs plateau near 470). Prints a table, then ``RESULT ...``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, result_line  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ARMS = {  # name: (phenotype, crowding)
    "enabled": ("enabled", "range"),
    "reference genes": ("reference", "range"),
    "reference crowding": ("enabled", "reference"),
    "both": ("reference", "reference"),
}
WINDOW = 50


def counts(population) -> tuple[float, float]:
    """Median connections of a population: (as the reference expresses genes, enabled genes)."""
    ref = [g.copy() for g in population]
    for g in ref:
        g.phenotype = "reference"
    return float(np.median([g.n_connections for g in ref])), float(np.median([g.n_enabled for g in population]))


def one_run(arm: str, seed: int, generations: int, marks: list[int], out: Path) -> dict:
    """Run one (arm, seed) to ``generations``; returns its summary (also written as result.json)."""
    from wann.config import load_config
    from wann.evaluation import SerialEvaluator
    from wann.run import Run
    from wann.rundir import read_log

    folder = out / arm.replace(" ", "_") / f"seed_{seed}"
    done = folder / "result.json"
    if done.exists():
        return json.loads(done.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    phenotype, crowding = ARMS[arm]
    cfg = load_config(REPO / "configs" / "swingup_laptop.toml",
                      [f"run.seed={seed}", f"run.generations={generations}", "evaluation.backend=serial",
                       f"search.phenotype={json.dumps(phenotype)}", f"search.crowding={json.dumps(crowding)}"])
    run = Run.create(cfg, folder, {"command": ["bench/phenotype_study.py"], "arm": arm})
    ev = SerialEvaluator(run.task, cfg.search.weights)
    t0 = time.perf_counter()
    conns = {}
    for g in marks:
        run.run(ev, until=g - 1)
        conns[g] = counts(run.search.population)  # the population evaluated at generation g
        run.run(ev, until=g)
    run.run(ev, until=generations)
    rows = read_log(folder)
    result = {"arm": arm, "seed": seed, "seconds": time.perf_counter() - t0, "marks": {}}
    for g in marks:
        w = rows[max(0, g - WINDOW) : g]
        result["marks"][str(g)] = {
            "median": float(np.mean([r["median_fitness"] for r in w])),
            "elite": float(np.mean([r["best_mean"] for r in w])),
            "conns_reference": conns[g][0], "conns_enabled": conns[g][1],
        }
    result["champion_fitness"] = rows[-1]["champion_fitness"]
    done.write_text(json.dumps(result, indent=1))
    return result


def plot_arms(out: Path, arms: list[str], stem: Path) -> None:
    """Population median and generation elite of mean fitness, and connections, per arm: median line and
    quartile band over seeds (``wann.summary.bands``)."""
    from matplotlib.figure import Figure

    from wann.plots import save_figure
    from wann.summary import load_runs, bands

    fig = Figure(figsize=(8, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    for k, arm in enumerate(arms):
        runs = load_runs(sorted((out / arm.replace(" ", "_")).glob("seed_*")))
        for ax, key, style in ((top, "median_fitness", "-"), (top, "best_mean", ":"), (bottom, "mean_conns", "-")):
            gens, q = bands(runs, key)
            if style == "-":
                ax.fill_between(gens, q[0], q[2], color=f"C{k}", alpha=0.18, lw=0)
            ax.plot(gens, q[1], color=f"C{k}", ls=style, lw=1.3,
                    label=f"{arm} ({len(runs)} seeds)" if (ax is top and style == "-") else None)
    top.set_ylabel("mean fitness: population median (solid),\ngeneration elite (dotted)")
    bottom.set_ylabel("population mean connections\n(as each arm counts them)")
    bottom.set_xlabel("generation")
    top.legend(loc="lower right", fontsize=8, frameon=False)
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.suptitle("configs/swingup_laptop.toml: median and quartiles over seeds")
    fig.tight_layout()
    for path in save_figure(fig, stem):
        print(path)


def fmt(values: list[float]) -> str:
    return f"{np.median(values):.0f} [{min(values):.0f}-{max(values):.0f}]"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="results/phenotype_study")
    p.add_argument("--seeds", type=int, default=8, help="seeds of the two main arms")
    p.add_argument("--crowding-seeds", type=int, default=4, help="seeds of the two reference-crowding arms")
    p.add_argument("--generations", type=int, default=600)
    p.add_argument("--marks", default="200,400,600")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="2 seeds x 60 generations (a smoke test)")
    p.add_argument("--plot", help="also draw the arms' curves (median and quartile band over seeds) to this stem")
    a = p.parse_args()
    if a.quick:
        a.seeds, a.crowding_seeds, a.generations, a.marks, a.out = 2, 1, 60, "30,60", a.out + "_quick"
    marks = [int(m) for m in a.marks.split(",")]
    jobs = [(arm, s) for s in range(a.seeds) for arm in ("enabled", "reference genes")]
    jobs += [(arm, s) for s in range(a.crowding_seeds) for arm in ("reference crowding", "both")]
    out = Path(a.out)
    with ProcessPoolExecutor(a.jobs) as pool:
        futures = [pool.submit(one_run, arm, s, a.generations, marks, out) for arm, s in jobs]
        results = []
        for f in futures:
            r = f.result()
            results.append(r)
            print(f"done: {r['arm']} seed {r['seed']} ({r['seconds']:.0f} s)", flush=True)
    by_arm = {arm: [r for r in results if r["arm"] == arm] for arm in ARMS}
    rows = []
    for arm, rs in by_arm.items():
        for g in marks:
            m = [r["marks"][str(g)] for r in rs]
            rows.append([arm, len(rs), g, fmt([x["median"] for x in m]), fmt([x["elite"] for x in m]),
                         fmt([x["conns_reference"] for x in m]), fmt([x["conns_enabled"] for x in m])])
    print(f"\nconfigs/swingup_laptop.toml, {a.generations} generations; median [min-max] over seeds; fitness averaged "
          f"over the {WINDOW} generations ending at G; connections: population median at G")
    print_table(["arm", "seeds", "G", "population median", "generation elite", "conns (reference way)",
                 "conns (enabled genes)"], rows)
    if a.plot:
        plot_arms(out, list(by_arm), Path(a.plot))
    from scipy.stats import mannwhitneyu

    last = str(marks[-1])
    final = {arm: [r["marks"][last]["median"] for r in rs] for arm, rs in by_arm.items()}
    test = mannwhitneyu(final["reference genes"], final["enabled"], alternative="greater")
    past = {arm: sum(r["marks"][last]["elite"] > 520 for r in rs) for arm, rs in by_arm.items()}
    print(f"\nMann-Whitney U, final population median, reference genes > enabled: U = {test.statistic:.1f}, "
          f"p = {test.pvalue:.4f}")
    print("seeds whose final-window elite passes 520: " + ", ".join(f"{k} {v}/{len(by_arm[k])}" for k, v in past.items()))
    print(result_line(p_value=float(test.pvalue), **{f"median_{k.replace(' ', '_')}": float(np.median(v))
                                                     for k, v in final.items()},
                      **{f"past520_{k.replace(' ', '_')}": v for k, v in past.items()}))


if __name__ == "__main__":
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    main()
