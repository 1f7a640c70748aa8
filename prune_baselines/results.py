"""The results folder: written while a run goes, resumable, and loadable later without prune_baselines' models.

Layout of a results folder (everything plain: JSON, CSV, PNG, numpy .npz read with allow_pickle=False)::

    config.json                  the experiment config (method, model, sizes, targets, epochs, ...), and
                                 "provenance": command line, seeds, dataset ("mnist784", "mnist256" or
                                 "synthetic"), synthetic (true: made-up data, not MNIST; folders written
                                 before it was added lack it), versions, start time
    results.csv                  one row per point, columns RECORD_FIELDS (per_layer as "a/b/c")
    results.json                 {"config": ..., "provenance": ..., "records": [...]} (same rows)
    accuracy_vs_connections.png  test accuracy against effective connections (log x), one line per variant
    lottery_ticket.png           with early stopping only: iteration and test accuracy at early stop against
                                 the percent of weights remaining (Frankle & Carbin's figure)
    seed_<s>/init.npz            the initial parameters of seed s (IMP and random rewind to these)
    seed_<s>/rewind.npz          the parameters at the rewind iteration, when it is > 0 (IMP)
    seed_<s>/<variant>_level_<ii>.npz   one point: arrays weight_<l> [out, in] (already masked),
                                 bias_<l> [out], mask_<l> (bool, same shape as weight_<l>), for layers
                                 l = 0 (input side) .. L-1, and record_json (a 0-d string: the record)

A record: method, variant ("ticket" for the method itself; "reinit" and "random_mask" for IMP's
controls; "shuffle", "reinit" and "invert" for the sanity checks of at-init methods), seed, level
(0 = dense trained), connections (surviving weights), connections_with_biases
(plus one bias per live unit), effective_connections and effective_connections_with_biases (the same
counts of the weights on an input->output path: the connections the network really has; computed from
the masks when a folder written before they were added is read), per_layer (surviving weights per
layer), density, test_accuracy, epochs (spent on this point),
cumulative_epochs (spent on the whole chain leading to it), iterations, wall_s, cumulative_wall_s, loss,
cpu_s (process CPU time of this point; folders written before it was added lack it). A run with ``--validation``
(early stopping, :mod:`.train`) adds early_stop_iteration (the evaluated iteration of minimum validation loss),
early_stop_validation_loss, early_stop_validation_accuracy, early_stop_test_accuracy (test accuracy of the
parameters at that iteration; test_accuracy stays the last iteration's) and validation_curve ({"iteration",
"loss", "accuracy"}: every evaluation; results.json only); a folder with them also holds lottery_ticket.png
(:mod:`.lottery_figure`).

``load_result(folder)`` gives config and records; ``load_network(folder, seed, variant, level)`` gives
the masked weight matrices and biases of one point (default: the last level of the first seed).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PruneError
from .masks import Masks

RECORD_FIELDS = ["method", "variant", "seed", "level", "connections", "connections_with_biases",
                 "effective_connections", "effective_connections_with_biases", "per_layer", "density",
                 "test_accuracy", "epochs", "cumulative_epochs", "iterations", "wall_s", "cumulative_wall_s", "loss",
                 "cpu_s"]
EARLY_STOP_FIELDS = ["early_stop_iteration", "early_stop_validation_loss", "early_stop_validation_accuracy",
                     "early_stop_test_accuracy"]
"""The CSV columns of early stopping, present when a record has them."""
_POINT = re.compile(r"^(?P<variant>[a-z_]+)_level_(?P<level>\d+)\.npz$")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # mkstemp makes 0600; results get the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise PruneError(f"cannot read {path}: {exc}; delete it to recompute that point") from exc


@dataclass
class Point:
    record: dict
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    masks: list[np.ndarray]


def point_arrays(weights: list[np.ndarray], biases: list[np.ndarray], masks: list[np.ndarray],
                 record: dict) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {"record_json": np.array(json.dumps(record))}
    for l, (w, b, m) in enumerate(zip(weights, biases, masks)):
        arrays[f"weight_{l}"] = np.asarray(w) * np.asarray(m)
        arrays[f"bias_{l}"] = np.asarray(b)
        arrays[f"mask_{l}"] = np.asarray(m, dtype=bool)
    return arrays


def read_point(path: Path) -> Point:
    z = load_npz(path)
    n = sum(1 for k in z if k.startswith("weight_"))
    try:
        point = Point(json.loads(str(z["record_json"])), [z[f"weight_{l}"] for l in range(n)],
                      [z[f"bias_{l}"] for l in range(n)], [z[f"mask_{l}"] for l in range(n)])
    except KeyError as exc:
        raise PruneError(f"{path} is not a prune_baselines point (missing {exc})") from exc
    if "effective_connections" not in point.record:  # written before effective counts were recorded
        counts = Masks.from_numpy({f"layers.{l}.weight": m for l, m in enumerate(point.masks)}).counts()
        point.record.update({k: v for k, v in counts.items() if k not in point.record})
    return point


def read_record(path: Path) -> dict:
    """Only the record of a point file (the arrays are read only for a record without effective counts)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            record = json.loads(str(z["record_json"]))
    except (OSError, ValueError, KeyError) as exc:
        raise PruneError(f"cannot read the record of {path}: {exc}; delete it to recompute that point") from exc
    return record if "effective_connections" in record else read_point(path).record


def point_path(folder: Path, seed: int, variant: str, level: int) -> Path:
    return Path(folder) / f"seed_{seed}" / f"{variant}_level_{level:02d}.npz"


def write_tables(folder: Path, config: dict, provenance: dict, records: list[dict]) -> None:
    records = sorted(records, key=lambda r: (r["seed"], r["variant"] != "ticket", r["variant"], r["level"]))
    atomic_write_text(folder / "results.json",
                      json.dumps({"config": config, "provenance": provenance, "records": records}, indent=1))
    buf = io.StringIO()
    early = EARLY_STOP_FIELDS if any(EARLY_STOP_FIELDS[0] in r for r in records) else []
    w = csv.DictWriter(buf, fieldnames=RECORD_FIELDS + early, extrasaction="ignore")
    w.writeheader()
    for r in records:
        row = dict(r)
        row["per_layer"] = "/".join(str(c) for c in r["per_layer"])
        w.writerow(row)
    atomic_write_text(folder / "results.csv", buf.getvalue())


@dataclass
class Result:
    folder: Path
    config: dict
    provenance: dict
    records: list[dict]

    def seeds(self) -> list[int]:
        return sorted({r["seed"] for r in self.records})


def load_result(folder) -> Result:
    """Config, provenance and per-point records of a results folder (from the point files, so a run that
    was stopped part-way loads too)."""
    folder = Path(folder)
    cfg_path = folder / "config.json"
    if not cfg_path.exists():
        raise PruneError(f"{folder} is not a prune_baselines results folder (no config.json)")
    meta = json.loads(cfg_path.read_text())
    records = []
    for sd in sorted(folder.glob("seed_*")):
        for p in sorted(sd.glob("*_level_*.npz")):
            if _POINT.match(p.name):
                records.append(read_record(p))
    records.sort(key=lambda r: (r["seed"], r["variant"] != "ticket", r["variant"], r["level"]))
    return Result(folder, meta.get("config", {}), meta.get("provenance", {}), records)


def load_network(folder, seed: int | None = None, variant: str = "ticket", level: int | None = None) -> Point:
    """Masked weight matrices ([out, in], numpy), biases and masks of one point; by default the last level
    (the sparsest network) of the first seed. ``Point.weights[l] @ a + Point.biases[l]`` then ReLU, except
    after the last layer, is the network."""
    res = load_result(folder)
    recs = [r for r in res.records if r["variant"] == variant and (seed is None or r["seed"] == seed)]
    if not recs:
        raise PruneError(f"{folder} has no points for variant={variant!r} seed={seed}")
    if seed is None:
        seed = min(r["seed"] for r in recs)
        recs = [r for r in recs if r["seed"] == seed]
    if level is None:
        level = max(r["level"] for r in recs)
    path = point_path(Path(folder), seed, variant, level)
    if not path.exists():
        raise PruneError(f"no point {path.name} in {path.parent}")
    return read_point(path)


def dataset_name(result: Result) -> str:
    """How the folder's data is named on its figure: ``MNIST-256`` / ``MNIST-784``, or ``synthetic data``
    (provenance ``synthetic`` or ``dataset``; a folder with neither was MNIST, the only data then)."""
    prov = result.provenance
    if prov.get("synthetic") or prov.get("dataset") == "synthetic":
        return f"synthetic data ({result.config.get('input')} inputs)"
    return f"MNIST-{result.config.get('input')}"


def _log_x(ax, minor_size: float = 8.0) -> None:
    """Log x labelled in plain numbers: the powers of ten and as many ticks between (5, 2, 3, ... first)
    as fit without touching (from the axis' drawn width), so no two tick labels overlap. (The same as
    ``wann.plots.log_axis``; prune_baselines does not import wann.)"""
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator

    which, axis = "x", ax.xaxis
    ax.set_xscale("log")
    axis.set_major_locator(LogLocator(base=10))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(2, 10))))

    def labelled() -> set[float]:
        """The minor ticks to label: by niceness (5, 2, 3, other digits, then the rest), each only if its
        label keeps clear of the major labels and of those already chosen."""
        lo, hi = sorted(abs(v) for v in axis.get_view_interval())
        if lo <= 0:
            return set()
        box = ax.get_window_extent()
        length = (box.width if which == "x" else box.height) * 72.0 / ax.figure.dpi  # points
        per_decade = length / max(math.log10(hi / lo), 1e-9)
        chars = len(f"{hi:g}") if which == "x" else 1.2  # a y label's height: about one line
        need = (0.62 * chars + 0.8) * minor_size  # a label's extent along the axis and a gap (points)
        inside = [v for v in axis.get_minorticklocs() if lo <= v <= hi]
        taken = [math.log10(v) for v in axis.get_majorticklocs() if lo <= v <= hi]
        chosen = set()

        def rank(v):
            m = v / 10 ** math.floor(math.log10(v) + 1e-9)
            lead = round(m)
            return ({5: 0, 2: 1, 3: 2}.get(lead, 3) if abs(m - lead) < 1e-6 else 4, v)

        for v in sorted(inside, key=rank):
            if all(abs(math.log10(v) - t) * per_decade >= need for t in taken):
                chosen.add(v)
                taken.append(math.log10(v))
        return chosen

    def minor(v, _):
        return f"{v:g}" if any(abs(v - c) <= 1e-9 * c for c in labelled()) else ""

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(minor))
    ax.tick_params(axis="x", which="minor", labelsize=minor_size)


def variant_order(variant: str) -> tuple[bool, str]:
    """The ticket first, then the controls by name (fixed colours, whatever the hash seed)."""
    return variant != "ticket", variant


def plot(folder, result: Result | None = None) -> Path:
    """accuracy_vs_connections.png: test accuracy against effective connections; per (variant, kept weights)
    the mean over seeds, single seeds as dots. Built on a bare ``matplotlib.figure.Figure`` (no pyplot, the
    caller's backend untouched); written whole (``atomic_write_bytes``) as an RGBA PNG."""
    from matplotlib.figure import Figure

    res = result or load_result(folder)
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    method = res.config.get("method", "?")
    for variant in sorted({r["variant"] for r in res.records}, key=variant_order):
        rs = [r for r in res.records if r["variant"] == variant]
        by_c: dict[int, list[dict]] = {}
        for r in rs:
            by_c.setdefault(r["connections"], []).append(r)
        groups = [by_c[c] for c in sorted(by_c)]
        label = method if variant == "ticket" else f"{method} {variant}"
        line, = ax.plot([np.mean([r["effective_connections"] for r in g]) for g in groups],
                        [np.mean([100 * r["test_accuracy"] for r in g]) for g in groups],
                        marker="o" if len(groups) < 3 else None, label=label)
        ax.scatter([r["effective_connections"] for r in rs], [100 * r["test_accuracy"] for r in rs], s=8,
                   color=line.get_color(), alpha=0.5)
    _log_x(ax)
    ax.set_xlabel("connections (weights on input->output paths)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{res.config.get('model')} on {dataset_name(res)}: {method}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(folder) / "accuracy_vs_connections.png"
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())
    return path
