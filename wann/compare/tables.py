"""The comparison as tables: summary over seeds, Markdown tables, the long CSV, the JSON document."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from wann.compare.networks import Network

SHARED_KINDS = ("shared", "signed_trained", "signed_init")
SUMMARY_COLUMNS = ("trained", "shared best", "shared ensemble", "signed_trained best", "signed_trained ensemble",
                   "signed_init best", "signed_init ensemble")
ROW_FIELDS = ("series", "source", "seed", "level", "input", "connections", "kept", "connections_with_biases", "evaluation",
              "weight", "accuracy", "train_epochs", "train_wall_s", "eval_s")


def summarize(rows: Sequence[dict]) -> list[dict]:
    """Mean and SD over networks (seeds) per (series, weights kept, evaluation[, weight]), with mean cost per point.

    Seeds of one target group together even where pruning left a different number of their kept weights on an
    input->output path; ``connections`` and ``connections_with_biases`` are then the group's mean (rounded).
    Per-weight rows (evaluation ``shared``, ``signed_*``) are grouped per weight; ``best`` and ``ensemble``
    rows over the networks.
    """
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        w = r["weight"] if r["evaluation"] in SHARED_KINDS else None
        groups.setdefault((r["series"], r.get("kept") or r["connections"], r["evaluation"], w), []).append(r)
    out = []
    for (series, kept, ev, w), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2],
                                                                           -1e9 if kv[0][3] is None else kv[0][3])):
        acc = np.array([r["accuracy"] for r in rs])
        conns = int(round(float(np.mean([r["connections"] for r in rs]))))
        out.append({"series": series, "connections": conns, "kept": kept, "evaluation": ev, "weight": w,
                    "connections_with_biases": float(np.mean([r["connections_with_biases"] for r in rs])),
                    "n": len(rs), "mean": float(acc.mean()), "sd": float(acc.std()),
                    "seeds": sorted({r["seed"] for r in rs}),
                    "train_epochs": float(np.mean([r["train_epochs"] for r in rs])),
                    "train_wall_s": float(np.mean([r["train_wall_s"] for r in rs])),
                    "eval_s": float(np.mean([r["eval_s"] for r in rs]))})
    return out


def _points(summary: Sequence[dict]) -> dict[tuple[str, int], dict[str, dict]]:
    """(series, connections) -> evaluation -> summary entry, for the entries over the whole series of w."""
    cells: dict[tuple, dict[str, dict]] = {}
    for s in summary:
        if s["weight"] is None:
            cells.setdefault((s["series"], s["connections"]), {})[s["evaluation"]] = s
    return cells


def _cell(by_ev: dict[str, dict], ev: str) -> str:
    s = by_ev.get(ev)
    if s is None:
        return "-"
    return f"{100 * s['mean']:.2f}" + (f" ± {100 * s['sd']:.2f}" if s["n"] > 1 else "")


def _any(by_ev: dict[str, dict]) -> dict:
    return by_ev.get("trained") or by_ev.get("shared best") or next(iter(by_ev.values()))


def markdown(summary: Sequence[dict]) -> str:
    """One line per (series, connections): test accuracy (%) mean +- SD over seeds under each evaluation."""
    head = ["series", "connections (with biases)", "n", *SUMMARY_COLUMNS,
            "epochs (chain)", "train s (chain)", "eval s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (series, conns), by_ev in sorted(_points(summary).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        a = _any(by_ev)
        lines.append("| " + " | ".join([series, f"{conns} ({a['connections_with_biases']:.0f})", str(a["n"]),
                                        *[_cell(by_ev, c) for c in SUMMARY_COLUMNS], f"{a['train_epochs']:g}",
                                        f"{a['train_wall_s']:.0f}", f"{a['eval_s']:.1f}"]) + " |")
    return "\n".join(lines) + "\n"


BUDGET_COLUMNS = ("trained", "shared best", "shared ensemble", "signed_trained best", "signed_init best")


def markdown_budgets(summary: Sequence[dict], factors: Sequence[float] = (1, 2, 5, 10),
                     tolerance: float = 1.3) -> str:
    """Every series at the WANN champion's size times each factor (connections with biases).

    The champion is the WANN point with the best ``shared best`` accuracy. Per series and budget the
    point nearest in log scale is shown, if it lies within ``tolerance`` times the budget; else none.
    """
    pts = _points(summary)
    wann = [(by_ev["shared best"]["mean"], conns, by_ev) for (series, conns), by_ev in pts.items()
            if series == "WANN" and "shared best" in by_ev]
    if not wann:
        return ""
    size = _any(max(wann, key=lambda t: t[0])[2])["connections_with_biases"]
    head = ["budget", "series", "connections (with biases)", "n", *BUDGET_COLUMNS, "train s (chain)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for f in factors:
        budget = f * size
        best: dict[str, tuple[float, int, dict]] = {}
        for (series, conns), by_ev in pts.items():
            dist = abs(np.log(_any(by_ev)["connections_with_biases"] / budget))
            if dist <= np.log(tolerance) and (series not in best or dist < best[series][0]):
                best[series] = (dist, conns, by_ev)
        for series in sorted(best, key=lambda n: (n != "WANN", n)):
            _, conns, by_ev = best[series]
            a = _any(by_ev)
            lines.append("| " + " | ".join([f"{f:g}× ({budget:.0f})", series,
                                            f"{conns} ({a['connections_with_biases']:.0f})", str(a["n"]),
                                            *[_cell(by_ev, c) for c in BUDGET_COLUMNS],
                                            f"{a['train_wall_s']:.0f}"]) + " |")
    return "\n".join(lines) + "\n"


def markdown_weights(summary: Sequence[dict], kind: str = "shared") -> str:
    """One line per (series, connections): mean test accuracy (%) under each weight w of the series (``kind``)."""
    cells: dict[tuple, dict[float, dict]] = {}
    for s in summary:
        if s["evaluation"] == kind and s["weight"] is not None:
            cells.setdefault((s["series"], s["connections"]), {})[s["weight"]] = s
    ws = sorted({w for by_w in cells.values() for w in by_w})
    lines = ["| series | connections | " + " | ".join(f"w = {w:g}" for w in ws) + " |", "|" + "---|" * (2 + len(ws))]
    for (series, conns), by_w in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"| {series} | {conns} | "
                     + " | ".join(f"{100 * by_w[w]['mean']:.2f}" if w in by_w else "-" for w in ws) + " |")
    return "\n".join(lines) + "\n"


def rows_csv(rows: Sequence[dict]) -> str:
    """The long table: one row per (network, evaluation, weight)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def report(rows: Sequence[dict], nets: Sequence[Network], provenance: dict) -> dict:
    """The JSON document (format ``wann.compare/1``): provenance, networks, rows, summary."""
    return {"format": "wann.compare/1", "provenance": provenance,
            "networks": [{k: v for k, v in asdict(n).items() if k != "genomes"} | {"evaluations": list(n.genomes)}
                         for n in nets],
            "rows": list(rows), "summary": summarize(rows)}
