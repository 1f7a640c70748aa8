"""The whole ``wann compare``: load the networks, score them, write the table (CSV, Markdown), JSON and figure."""
from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wann.compare import figure, scoring, tables
from wann.compare.networks import Network, pruned_networks, wann_networks
from wann.errors import UserError
from wann.io import write_atomic, write_json


def load_networks(wann: Sequence[str], baselines: Sequence[str], max_connections: int = 0,
                  controls: bool = True) -> list[Network]:
    """Every network of the WANN run folders / champion files and prune folders; UserError if none or one is bad."""
    if not wann and not baselines:
        raise UserError("give at least one --wann RUN_DIR or --baselines PRUNE_DIR")
    nets = []
    for path in wann:
        if not Path(path).exists():
            raise UserError(f"--wann {path}: no such run folder or champion file")
        nets += wann_networks(path)
    for folder in baselines:
        nets += pruned_networks(folder, max_connections, controls=controls)
    if not nets:
        raise UserError("no networks to compare (is --max-connections below every pruned point?)")
    return nets


def write_comparison(nets: Sequence[Network], out: Path, data_dir: str, weights: Sequence[float], command: str,
                     say: Callable[[str], None] = lambda s: None, t0: float | None = None,
                     tick: Callable[[int], object] = lambda n: None, validation: int = 0) -> tuple[str, list[Path]]:
    """Score ``nets`` on the MNIST test images of ``data_dir`` and write ``out``/compare.{json,csv,md,png,svg}.

    ``validation`` > 0: the best shared weight is chosen on that many held-out training images
    (``scoring.mnist_validation_set``), else on the test images (optimistic); the provenance and tables say which.
    ``t0``: ``time.perf_counter()`` when the work began (the provenance's ``wall_s``; default: now).
    Returns (the table to print, the files written)."""
    t0 = time.perf_counter() if t0 is None else t0
    select = (lambda n: scoring.mnist_validation_set(data_dir, n, validation)) if validation else None
    rows = scoring.compare(nets, lambda n: scoring.mnist_test_set(data_dir, n), weights, say, tick, select)
    chosen_on = f"{validation} held-out training images (the last of the 60,000)" if validation else \
        "the test images (optimistic)"
    out.mkdir(parents=True, exist_ok=True)
    provenance = {"command": command, "weights": list(weights), "data_dir": _data_folder(data_dir), "best_w_chosen_on": chosen_on,
                  "python": platform.python_version(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                  "wall_s": time.perf_counter() - t0}
    doc = tables.report(rows, nets, provenance)
    write_json(out / "compare.json", doc)
    write_atomic(out / "compare.csv", tables.rows_csv(rows))
    budgets = tables.markdown_budgets(doc["summary"])
    write_atomic(out / "compare.md", (f"At the best WANN's size and 2×, 5×, 10× of it (nearest point of each series "
                                      f"within 1.3×):\n\n{budgets}\nAll points:\n\n" if budgets else "")
                 + tables.markdown(doc["summary"]) + f"\n'best': the w of the series chosen on {chosen_on}.\n"
                 + "\nShared weight, accuracy (%) per w (mean over seeds):\n\n"
                 + tables.markdown_weights(doc["summary"]))
    figs = figure.plot(doc["summary"], out / "compare")
    written = [out / "compare.csv", out / "compare.md", out / "compare.json", *figs]
    return budgets or tables.markdown(doc["summary"]), written


def _data_folder(data_dir: str) -> str:
    """The MNIST folder used: ``data_dir``, else ``$WANN_MNIST_DIR`` (what ``envs.mnist`` resolves)."""
    from envs.mnist import MnistDataError, resolve_data_dir

    try:
        return str(resolve_data_dir(data_dir or None))
    except MnistDataError:  # scoring already succeeded, so the folder was there; keep what was given
        return data_dir
