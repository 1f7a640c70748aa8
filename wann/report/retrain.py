"""The report of a retraining study (``wann retrain``): settings, provenance, the summary per arm and ratio, every
point, the accuracy/FLOPs figure and the Early-Bird mask distances."""
from __future__ import annotations

from pathlib import Path

from wann.errors import UserError
from wann.report import html as h

COLUMNS = (  # record key, header, scale
    ("seed", "seed", None), ("arm", "arm", None), ("prune_ratio", "pruned (%)", 100.0),
    ("architecture", "units / channels", None), ("parameters", "weights", None), ("optimizer", "optimizer", None),
    ("lr", "lr", None), ("epochs", "epochs", None), ("train_flops", "training FLOPs", None),
    ("total_epochs", "epochs incl. large", None), ("total_train_flops", "FLOPs incl. large", None),
    ("test_accuracy", "test accuracy (%)", 100.0), ("emergence_epoch", "Early-Bird epoch", None),
)


def is_study(folder: Path) -> bool:
    """Whether ``folder`` holds a retraining study (its config.json has arms)."""
    from prune_baselines.errors import PruneError
    from prune_baselines.retrain.tables import load_study

    try:
        load_study(folder)
    except (PruneError, ValueError, OSError):
        return False
    return True


def build(folder: Path, tmp: Path) -> tuple[str, str, list]:
    """(title, subtitle, sections) of the study ``folder``; the figure is drawn into ``tmp``."""
    from prune_baselines.errors import PruneError
    from prune_baselines.retrain.study import DISTANCES
    from prune_baselines.retrain.tables import FIGURE, load_study, summary, write_figure

    try:
        cfg, prov, records = load_study(folder)
    except PruneError as exc:
        raise UserError(str(exc)) from None
    prov = dict(prov)
    command = prov.pop("command", "")
    synthetic = h.note("trained on made-up (synthetic) data, not MNIST") if prov.get("synthetic") else ""
    sections = [h.section("settings", "Settings and provenance", synthetic, h.pre(command) if command else "",
                          h.grid(h.heading("settings") + h.kv_table(cfg, None),
                                 h.heading("provenance") + h.kv_table(prov, None)))]
    if not records:
        sections.append(h.section("results", "Results", h.note("no points yet (no seed_*/*.json records)")))
    else:
        sections.append(h.section("summary", "Summary", h.pre(summary(records)),
                                  h.image(write_figure(tmp / FIGURE, cfg, records), "test accuracy and training FLOPs per arm",
                                          "mean over seeds; bars from the minimum to the maximum")))
        rows = [[h.cell(r.get(k), scale) for k, _, scale in COLUMNS] for r in records]
        sections.append(h.section("points", "Every point", h.table([t for _, t, _ in COLUMNS], rows)))
        eb = folder / DISTANCES
        if eb.is_file():
            sections.append(h.section("early-bird", "Early-Bird mask distances",
                                      h.image(eb, "mask distances between epochs", "a row per prune ratio, a "
                                              "panel per seed; dashed: the epoch the ticket was drawn")))
    title = f"retraining study: {cfg.get('structure', '?')} of {cfg.get('model', '?')} ({folder.name})"
    return title, f"study folder {folder}", sections

