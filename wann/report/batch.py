"""The report of a batch folder (``wann evolve --seeds``): command, config, per-seed table, curves with a band."""
from __future__ import annotations

from pathlib import Path

from wann.batch import FILE, FORMAT, seed_folder
from wann.errors import UserError
from wann.io import read_json
from wann.report import html as h
from wann.report.run import config_block, meta_block


def build(folder: Path, tmp: Path) -> tuple[str, str, list]:
    """(title, subtitle, sections) of the batch folder ``folder``; figures are drawn into ``tmp``."""
    from wann import summary

    meta = read_json(folder / FILE, "batch file")
    if meta.get("format") != FORMAT or not isinstance(meta.get("seeds"), list) or not meta["seeds"]:
        raise UserError(f"{folder / FILE}: not a {FORMAT} file (needs a non-empty seeds list)")
    seeds = [int(s) for s in meta["seeds"]]
    runs, missing = [], []
    for s in seeds:
        try:
            runs.append(summary.load_run(seed_folder(folder, s)))
        except UserError as exc:  # a seed not started, failed or without a generation yet
            missing.append(f"seed {s}: {exc}")
    sections = [h.section("command", "Command and versions", meta_block(meta)),
                h.section("config", "Config", h.para("Shared by every seed; each seed's run.seed is its seed."),
                          config_block(folder))]
    notes = "".join(h.note(m) for m in missing)
    if runs:
        headers, rows, stats = summary.table(runs)
        keys = [k for k, _ in summary.COLUMNS if k in stats]
        for row in rows:
            row[0] = Path(row[0]).name
        stat_rows = [[name, ""] + [stats[k].get(key) for k in keys]
                     for name, key in (("median", "median"), ("lower quartile", "q1"), ("upper quartile", "q3"),
                                       ("min", "min"), ("max", "max"))]
        sections.append(h.section("seeds", "Per seed", h.para(f"{len(runs)} of {len(seeds)} seeds have run; the "
                                                             "last rows give the spread over them."),
                                  h.table(headers, rows, stat_rows), notes))
        paths = summary.plot_bands(runs, tmp / "bands", f"{folder.name}: {len(runs)} seeds")
        sections.append(h.section("curves", "Curves over seeds",
                                  h.image(h.png_of(paths), "fitness and connections over seeds",
                                          "median over seeds, band: lower to upper quartile")))
    else:
        sections.append(h.section("seeds", "Per seed", h.note("no seed has run a generation yet"), notes))
    return f"wann batch: {folder.name}", f"batch folder {folder}, seeds {', '.join(map(str, seeds))}", sections
