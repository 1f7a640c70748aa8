"""Start-up time of the ``wann`` command: ``--help``, ``show`` and ``plot`` of a committed champion.

Each command runs as a fresh process (``python -m wann.cli ...``) several times; the table gives
the median wall time per command, for this checkout and, as the baseline in the same run, for
another checkout (``--baseline-root``, e.g. a ``git worktree`` of an older commit; default: the
bare interpreter, ``python -c pass``). Interleaved runs, so drift hits both alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import print_table, result_line

REPO = Path(__file__).resolve().parents[1]
LEGACY = REPO / "tests" / "fixtures" / "legacy_champion.json"


def timed(argv: list[str], root: Path) -> float:
    env = os.environ | {"PYTHONPATH": str(root)}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, *argv], cwd=root, env=env, capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {root}: {r.stderr.decode()[-500:]}")
    return time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline-root", help="another checkout of wann to time the same commands in")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="3 repeats")
    args = p.parse_args()
    repeats = 3 if args.quick else args.repeats
    out = tempfile.mkdtemp()
    commands = {"--help": ["-m", "wann.cli", "--help"], "show": ["-m", "wann.cli", "show", str(LEGACY)],
                "plot": ["-m", "wann.cli", "plot", str(LEGACY), "--out", out]}
    base = Path(args.baseline_root).resolve() if args.baseline_root else None
    rows, result = [], {}
    for name, argv in commands.items():
        here, there = [], []
        for _ in range(repeats + 1):  # the first round warms caches (numba, matplotlib fonts)
            here.append(timed(argv, REPO))
            there.append(timed(argv if base else ["-c", "pass"], base or REPO))
        h, t = statistics.median(here[1:]), statistics.median(there[1:])
        rows.append([f"wann {name}", h, t, h / t])
        result[name.strip("-")] = round(h, 3)
    print_table(["command", "this checkout (s)", f"baseline: {base or 'python -c pass'} (s)", "ratio"], rows)
    print(f"median of {repeats} runs each after one warm-up; {os.cpu_count()} CPUs")
    print(result_line(**{f"{k}_s": v for k, v in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
