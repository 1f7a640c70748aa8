"""``wann report``: one self-contained HTML page about a folder that wann or prune_baselines wrote.

The kind of folder is told by its files (``KINDS``): a ``wann compare`` folder (compare.json), a
batch (batch.json), a retraining study (config.json with arms), a prune_baselines results folder (config.json), a run folder (config.toml with a
log, checkpoint or champion). One module per kind builds the page's sections (``build(folder, tmp)``);
``html`` has the page helpers. Figures are drawn afresh from the folder's data into a temporary
folder and embedded as data: URIs, so the page needs no other file and nothing but the page is
written. Heavy imports (matplotlib; torch for a prune folder) happen only when a page is built.
"""
from __future__ import annotations

import importlib
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from wann.errors import UserError

FILE = "report.html"
KINDS = (  # kind (module), files of which one tells it (first match wins), what it is called
    ("compare", ("compare.json",), "a `wann compare` folder (compare.json)"),
    ("batch", ("batch.json",), "a batch folder (batch.json)"),
    ("retrain", ("config.json",), "a `wann retrain` study folder (config.json with arms)"),
    ("prune", ("config.json",), "a prune_baselines results folder (config.json)"),
    ("run", ("log.jsonl", "champion.json", "checkpoint.npz"), "a run folder (config.toml with log.jsonl, "
                                                               "champion.json or checkpoint.npz)"),
)
EXPECTED = ", ".join(what for _, _, what in KINDS[:-1]) + " or " + KINDS[-1][2]


def kind_of(folder: str | Path) -> str:
    """The kind of ``folder`` (a module name of KINDS); UserError naming the path and what was expected."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise UserError(f"{folder} {what}; wann report takes {EXPECTED}")
    for kind, files, _ in KINDS:
        if not any((folder / f).is_file() for f in files):
            continue
        if kind == "run" and not (folder / "config.toml").is_file():
            continue
        if kind == "retrain":
            from wann.report.retrain import is_study
            if not is_study(folder):
                continue
        return kind
    raise UserError(f"{folder} is none of the folders wann report knows; expected {EXPECTED}")


def write_report(path: str | Path, out: str | Path | None = None) -> Path:
    """Write the page about folder ``path`` to ``out`` (default ``<path>/report.html``); returns the file."""
    from wann.io import check_writable, write_atomic
    from wann.report import html

    folder = Path(path)
    kind = kind_of(folder)
    target = Path(out) if out else folder / FILE
    if target.is_dir():
        raise UserError(f"--out {target} is a folder; give the name of the HTML file to write")
    check_writable(target.parent)
    module = importlib.import_module(f"wann.report.{kind}")
    with tempfile.TemporaryDirectory(prefix="wann-report-") as tmp:
        title, subtitle, sections = module.build(folder.resolve(), Path(tmp))
    write_atomic(target, html.page(title, subtitle, sections, f"written by wann report ({_version()})"))
    return target


def _version() -> str:
    try:
        return f"wann {version('wann')}"
    except PackageNotFoundError:
        return "wann, not installed"
