"""The report of a prune_baselines results folder: settings, provenance, the points, accuracy against connections."""
from __future__ import annotations

from pathlib import Path

from wann.errors import UserError
from wann.report import html as h

COLUMNS = (  # record key, header, scale
    ("variant", "variant", None), ("seed", "seed", None), ("level", "level", None),
    ("connections", "connections kept", None), ("effective_connections", "connections on paths", None),
    ("effective_connections_with_biases", "with biases", None), ("per_layer", "per layer", None),
    ("density", "density", None), ("test_accuracy", "test accuracy (%)", 100.0), ("epochs", "epochs", None),
    ("cumulative_epochs", "epochs (chain)", None), ("wall_s", "seconds", None),
    ("cumulative_wall_s", "seconds (chain)", None),
)


def build(folder: Path, tmp: Path) -> tuple[str, str, list]:
    """(title, subtitle, sections) of the results folder ``folder``; the figure is drawn into ``tmp``."""
    from prune_baselines.errors import PruneError
    from prune_baselines.lottery_figure import write_lottery_figure
    from prune_baselines.results import load_result, plot

    try:
        res = load_result(folder)
    except PruneError as exc:
        raise UserError(str(exc)) from None
    cfg, prov = res.config, dict(res.provenance)
    command = prov.pop("command", "")
    rows = [[h.cell(r.get(k), scale) for k, _, scale in COLUMNS] for r in res.records]
    synthetic = h.note("pruned on made-up (synthetic) data, not MNIST") if prov.get("synthetic") else ""
    sections = [h.section("settings", "Settings and provenance", synthetic, h.pre(command) if command else "",
                          h.grid(h.heading("settings") + h.kv_table(cfg, None),
                                 h.heading("provenance") + h.kv_table(prov, None)))]
    if rows:
        sections.append(h.section("results", "Results", h.para(f"{len(rows)} points over seeds "
                                                               f"{', '.join(map(str, res.seeds()))}."),
                                  h.table([t for _, t, _ in COLUMNS], rows)))
        sections.append(h.section("figure", "Accuracy against connections",
                                  h.image(plot(tmp, res), "test accuracy against connections",
                                          "mean over seeds per variant and kept weights; single seeds as dots")))
        lottery = write_lottery_figure(tmp, res)
        if lottery is not None:
            sections.append(h.section("lottery", "Early stopping (the lottery ticket figure)",
                                      h.image(lottery, "early-stop iteration and test accuracy at early stop "
                                                       "against the percent of weights remaining",
                                              "mean over seeds per variant and level; bars from the minimum to "
                                              "the maximum over seeds")))
    else:
        sections.append(h.section("results", "Results", h.note("no points yet (no seed_*/*_level_*.npz files)")))
    title = f"prune_baselines: {cfg.get('method', '?')} on {cfg.get('model', '?')} ({folder.name})"
    return title, f"results folder {folder}", sections

