"""The report of a ``wann compare`` folder: its tables (compare.md), the figure, the networks, provenance."""
from __future__ import annotations

from pathlib import Path

from wann.errors import UserError
from wann.io import read_json
from wann.report import html as h

NETWORK_COLUMNS = (("series", "series"), ("source", "source"), ("seed", "seed"), ("level", "level"),
                   ("input", "inputs"), ("connections", "connections"),
                   ("connections_with_biases", "with biases"), ("evaluations", "evaluations"),
                   ("train_epochs", "epochs (chain)"), ("train_wall_s", "train s (chain)"))


def build(folder: Path, tmp: Path) -> tuple[str, str, list]:
    """(title, subtitle, sections) of the compare folder ``folder``; the figure is drawn into ``tmp``."""
    from wann.compare import figure, tables

    doc = read_json(folder / "compare.json", "comparison")
    if doc.get("format") != "wann.compare/1" or not isinstance(doc.get("summary"), list):
        raise UserError(f"{folder / 'compare.json'}: not a wann.compare/1 file (needs a summary list)")
    md = folder / "compare.md"
    if md.exists():
        text = md.read_text()
    else:  # the same tables, from the JSON
        budgets = tables.markdown_budgets(doc["summary"])
        text = (f"At the best WANN's size:\n\n{budgets}\nAll points:\n\n" if budgets else "") + \
            tables.markdown(doc["summary"])
    prov = dict(doc.get("provenance", {}))
    command = prov.pop("command", "")
    nets = doc.get("networks", [])
    sections = [h.section("tables", "Test accuracy (%)",
                          h.para("MNIST test accuracy, mean ± SD over seeds; 'best' picks the shared weight on "
                                 + prov.get("best_w_chosen_on", "the test images (optimistic)")
                                 + "; 'ensemble': argmax of the mean softmax over the weights."),
                          h.markdown(text)),
                h.section("figure", "Accuracy against connections",
                          h.image(h.png_of(figure.plot(doc["summary"], tmp / "compare")),
                                  "test accuracy against connections, one panel per kind of evaluation")),
                h.section("networks", "Networks", h.table([t for _, t in NETWORK_COLUMNS],
                                                          [[n.get(k) for k, _ in NETWORK_COLUMNS] for n in nets])),
                h.section("provenance", "Provenance", h.pre(command) if command else "", h.kv_table(prov, None))]
    series = sorted({n.get("series", "?") for n in nets}, key=lambda s: (s != "WANN", s))
    return f"wann compare: {folder.name}", f"{len(nets)} networks ({', '.join(series)}); folder {folder}", sections
