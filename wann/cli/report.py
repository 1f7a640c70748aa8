"""``wann report``: one self-contained HTML page about a run, batch, prune_baselines or compare folder."""
from __future__ import annotations

import argparse


def register(sub) -> None:
    """Add ``report``."""
    rp = sub.add_parser("report", help="one self-contained HTML page about a run, batch, prune or compare folder")
    rp.add_argument("path", help="run folder, batch folder, prune_baselines results folder or `wann compare` folder")
    rp.add_argument("--out", help="the HTML file to write (default: PATH/report.html)")
    rp.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from wann.report import write_report

    print(write_report(args.path, args.out))
    return 0
