"""Checkpoint cost of a MNIST-sized population: checkpoint.npz against the JSON genome form.

A MNIST-256 population is 960 genomes that each carry all 2,570 input/bias-to-output genes of the
initial genome (most disabled) plus what the search grew. The baseline writes the population with
``Genome.to_dict`` as JSON (the form checkpoints had before checkpoint.npz; champions still use it).

    .venv/bin/python bench/checkpoint.py [--pop 960] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import grown_genome, median_time, print_table, result_line  # noqa: E402

from wann import checkpoint as ckpt  # noqa: E402
from wann.genome import Genome  # noqa: E402
from wann.io import write_json  # noqa: E402


def population(n: int) -> list[Genome]:
    """n genomes of 256 inputs, 10 outputs, p_init 0.05, grown to about 60 hidden nodes and 300 connections."""
    base = [grown_genome(256, 10, 60, 300, seed=s, p_init=0.05) for s in range(8)]
    return [base[k % len(base)].copy() for k in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pop", type=int, default=960)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pop = population(args.pop)
    genes = sum(g.conn_src.size for g in pop)
    state = {"generation": 1, "rng": np.random.default_rng(0).bit_generator.state}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        js = folder / "population.json"
        write_js = median_time(lambda: write_json(js, {"population": [g.to_dict() for g in pop]}), args.repeats)
        read_js = median_time(lambda: [Genome.from_dict(d) for d in json.loads(js.read_text())["population"]],
                              args.repeats)
        write_npz = median_time(lambda: ckpt.save(folder, state, pop), args.repeats)
        read_npz = median_time(lambda: ckpt.load(folder), args.repeats)
        size_js, size_npz = js.stat().st_size / 1e6, (folder / ckpt.FILE).stat().st_size / 1e6
    print(f"{args.pop} genomes, {genes} genes in all ({genes / args.pop:.0f} per genome); median of "
          f"{args.repeats}, wall time, {time.strftime('%Y-%m-%d %H:%M')}")
    print_table(["format", "MB", "write s", "read s"],
                [["JSON (Genome.to_dict)", size_js, write_js, read_js],
                 ["checkpoint.npz", size_npz, write_npz, read_npz]])
    print(result_line(json_mb=size_js, npz_mb=size_npz, json_write_s=write_js, npz_write_s=write_npz,
                      json_read_s=read_js, npz_read_s=read_npz, write_speedup=write_js / write_npz))


if __name__ == "__main__":
    main()
