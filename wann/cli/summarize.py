"""``wann summarize``: final figures per run with median and spread, and curves with a band across seeds."""
from __future__ import annotations

import argparse
from pathlib import Path

from wann.errors import UserError


def register(sub) -> None:
    """Add ``summarize``."""
    sm = sub.add_parser("summarize", help="final figures per run with median and spread, curves with a band")
    sm.add_argument("paths", nargs="+", help="run folders and/or batch folders")
    sm.add_argument("--out", help="output folder (default: the single folder given)")
    sm.set_defaults(func=cmd_summarize)


def cmd_summarize(args: argparse.Namespace) -> int:
    from wann import summary

    if args.out is None and len(args.paths) > 1:
        raise UserError("several folders: say where the summary goes with --out DIR")
    out = Path(args.out or args.paths[0])
    runs = summary.load_runs(args.paths)
    written = summary.write(runs, out, f"{len(runs)} runs: " + ", ".join(Path(p).name for p in args.paths))
    print(summary.markdown(runs))
    for p in written:
        print(p)
    return 0
