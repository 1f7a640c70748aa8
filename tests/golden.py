"""Golden outputs of every ``wann`` command: files and printed text, timing aside.

``run_all(work, mnist)`` runs a fixed list of commands in-process (``wann.cli.main``) in the
empty folder ``work``, each on the outputs of the ones before (a small swing-up run, a batch, a
small MNIST run, a small prune folder, the committed fixtures). ``fingerprint`` reduces what a
command printed and every file under ``work`` to text in which wall-clock figures, dates and the
machine's paths are masked: two runs of the same code give the same fingerprints, and so must
the code before and after a change of structure (tests/test_golden.py).

Regenerate the committed fingerprints (only when a change of output is intended, and say so in
the commit): ``python tests/golden.py --write``.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
GOLDEN = FIXTURES / "golden.json"

# keys whose values are wall-clock figures, dates or machine facts (masked in JSON, JSONL, CSV)
TIME_KEY = re.compile(r"(^|_)(seconds|elapsed|wall|wall_s|created|started|date|time|s|python|numpy|torch|versions?"
                      r"|platform|cpu|host|threads)$")
# the same in printed text: durations, clock times, dates
TIME_TEXT = [
    (re.compile(r"\d+(\.\d+)?(e[+-]?\d+)?\s?(s|ms|min|h)\b"), "<T>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?"), "<DATE>"),
    (re.compile(r"\d{8}-\d{6}"), "<STAMP>"),
    (re.compile(r"\b\d+:\d\d:\d\d\b"), "<T>"),  # h:mm:ss (time left)
    (re.compile(r"<dc:date>.*?</dc:date>"), "<dc:date/>"),
    (re.compile(r" {2,}"), "  "),  # column padding follows the width of the paths in a table
    (re.compile(r"-{3,}"), "---"),
]
# binary files whose bytes are not reproducible run to run: only their presence is compared
OPAQUE = (".pt2", ".onnx")


def commands(w: Path, mnist: Path) -> list[tuple[str, list[str]]]:
    """(name, argv) of every command, in order; ``w`` is the work folder, ``mnist`` the IDX folder."""
    cfg, fx = REPO / "configs", FIXTURES
    small = ["--set", "run.generations=6", "--set", "search.pop_size=16", "--set", "task.rollouts=1",
             "--set", "run.checkpoint_every=2", "--set", "run.champion_reps=2"]
    ev = ["--trials", "3", "--tune-trials", "2", "--grid", "5"]
    return [
        ("evolve", ["evolve", str(cfg / "quick.toml"), "--out", str(w / "sw"), *small]),
        ("resume", ["resume", str(w / "sw"), "--generations", "8"]),
        ("resume-done", ["resume", str(w / "sw")]),
        ("evolve-batch", ["evolve", str(cfg / "quick.toml"), "--out", str(w / "batch"), "--seeds", "0-1", "--quiet",
                          *small[:2], "--set", "run.generations=3", "--set", "search.pop_size=8"]),
        ("summarize", ["summarize", str(w / "batch")]),
        ("show", ["show", str(w / "sw")]),
        ("show-legacy", ["show", str(fx / "legacy_champion.json")]),
        ("plot", ["plot", str(w / "sw"), "--curves"]),
        ("eval", ["eval", str(w / "sw"), *ev]),
        ("tune", ["tune", str(w / "sw"), "--generations", "2", "--popsize", "4", "--check-every", "1",
                  "--check-trials", "2", "--trials", "3", "--grid", "3", "--tune-trials", "2",
                  "--seeds-per-generation", "1"]),
        ("eval-tuned", ["eval", str(w / "sw"), *ev, "--no-plot", "--out", str(w / "sw" / "with_tuned.eval.json"),
                        "--task", "max_steps=200"]),
        ("eval-batch", ["eval", str(w / "batch"), *ev, "--no-plot"]),
        ("export-json", ["export", str(w / "sw"), "--to", "json"]),
        ("export-graphml", ["export", str(w / "sw"), "--to", "graphml"]),
        ("export-onnx", ["export", str(w / "sw"), "--to", "onnx", "--weight", "1.0"]),
        ("export-torch", ["export", str(w / "sw"), "--to", "torch"]),
        ("import", ["import", str(fx / "reference" / "swing.out"), "--config", str(cfg / "swingup.toml"),
                    "--reps", "2", "--out", str(w / "imported.json")]),
        ("import-tuned", ["import", str(fx / "reference" / "swing.out"), "--config", str(cfg / "swingup.toml"),
                          "--tuned", str(fx / "reference" / "cartpole_swingup.wann.json"), "--weight-bias", "-1.5",
                          "--reps", "2", "--out", str(w / "imported.tuned.json")]),
        ("evolve-mnist", ["evolve", str(cfg / "mnist256_quick.toml"), "--out", str(w / "mn"), "--data-dir", str(mnist),
                          "--set", "run.generations=2", "--set", "search.pop_size=8", "--set", "task.minibatch=100",
                          "--set", "run.champion_reps=1"]),
        ("show-mnist", ["show", str(w / "mn")]),
        ("prune", ["prune", "--method", "imp", "--model", "mlp", "--hidden", "16", "--input", "256",
                   "--target-connections", "2500", "--rate", "0.5", "--output-rate", "0.3", "--epochs", "1",
                   "--n-train", "600", "--n-test", "300", "--data-dir", str(mnist), "--out", str(w / "pr"),
                   "--seeds", "1", "--threads", "1", "--quiet"]),
        ("compare", ["compare", "--wann", str(w / "mn"), "--baselines", str(w / "pr"), "--out", str(w / "cmp"),
                     "--data-dir", str(mnist), "--weights=-1,1"]),
        ("plot-pruned", ["plot", str(w / "pr" / "seed_0" / "ticket_level_01.npz"), "--out", str(w / "fig")]),
        ("error-config", ["evolve", str(w / "missing.toml")]),
        ("error-resume", ["resume", str(w / "nothing")]),
        ("error-show", ["show", str(w / "sw" / "config.toml")]),
    ]


def _mask_text(text: str, w: Path, mnist: Path) -> str:
    for path, tag in ((w, "<W>"), (mnist, "<MNIST>"), (REPO, "<REPO>")):
        text = text.replace(str(path), tag)
    for pattern, tag in TIME_TEXT:
        text = pattern.sub(tag, text)
    return _mask_markdown(text)


def _mask_markdown(text: str) -> str:
    """Cells of Markdown table columns whose header names a time."""
    lines, timed = text.split("\n"), []
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            timed = []
            continue
        if re.match(r"\|\s*-{3}", line):  # the separator under a header
            continue
        cells = line.strip().strip("|").split("|")
        if i + 1 < len(lines) and re.match(r"\|\s*-{3}", lines[i + 1]):  # a header: a word of it names a time
            timed = [any(TIME_KEY.search(word) for word in re.findall(r"[A-Za-z_]+", c)) for c in cells]
        elif timed and len(cells) == len(timed):
            lines[i] = "|" + "|".join(" <T> " if t else c for c, t in zip(cells, timed)) + "|"
    return "\n".join(lines)


def _mask_json(obj, w: Path, mnist: Path):
    if isinstance(obj, dict) and isinstance(obj.get("headers"), list) and isinstance(obj.get("rows"), list):
        timed = [bool(TIME_KEY.search(str(h).replace(" ", "_"))) for h in obj["headers"]]
        obj = obj | {"rows": [["<T>" if t else v for v, t in zip(r, timed)] for r in obj["rows"]]}
    if isinstance(obj, dict):
        return {k: "<T>" if TIME_KEY.search(k) else _mask_json(v, w, mnist) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask_json(v, w, mnist) for v in obj]
    if isinstance(obj, str):
        return _mask_text(obj, w, mnist)
    return obj


def _mask_csv(text: str, w: Path, mnist: Path) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return ""
    keep = [not TIME_KEY.search(h) for h in rows[0]]
    return "\n".join(",".join(_mask_text(c, w, mnist) if k else "<T>" for c, k in zip(r, keep)) for r in rows)


def _npz(path: Path, w: Path, mnist: Path) -> str:
    parts = []
    with np.load(path, allow_pickle=False) as z:
        for name in sorted(z.files):
            a = z[name]
            if a.dtype.kind in "US":  # JSON state stored as a string array (its width varies with the times)
                try:
                    body = json.dumps(_mask_json(json.loads(str(a.item())), w, mnist), sort_keys=True)
                except (ValueError, json.JSONDecodeError):
                    body = _mask_text(str(a.tolist()), w, mnist)
                parts.append(f"{name} str {a.shape} {body}")
            else:
                digest = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
                parts.append(f"{name} {a.dtype} {a.shape} {digest}")
    return "\n".join(parts)


def file_text(path: Path, w: Path, mnist: Path) -> str:
    """The file's content with timing, dates and paths masked (binary files: a hash or presence)."""
    suffix = path.suffix
    if suffix in OPAQUE:
        return "present" if path.stat().st_size > 0 else "empty"
    if suffix == ".npz":
        return _npz(path, w, mnist)
    if suffix == ".png":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    text = path.read_text()
    if suffix == ".json":
        return json.dumps(_mask_json(json.loads(text), w, mnist), indent=1, sort_keys=True)
    if suffix == ".jsonl":
        return "\n".join(json.dumps(_mask_json(json.loads(line), w, mnist), sort_keys=True)
                         for line in text.splitlines() if line)
    if suffix == ".csv":
        return _mask_csv(text, w, mnist)
    return _mask_text(text, w, mnist)


def run_command(argv: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``wann ARGV`` run in-process."""
    from wann.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["wann", *argv]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse errors
                rc = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return rc, out.getvalue(), err.getvalue()


def run_all(w: Path, mnist: Path) -> dict[str, dict]:
    """Run every command in ``w``; per command: exit code, masked stdout/stderr, the files it changed."""
    w, mnist = Path(w).resolve(), Path(mnist).resolve()  # commands resolve symlinks; so does the masking
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "wann-golden"  # SVG element ids from a fixed salt, not a random one
    result: dict[str, dict] = {}
    seen: dict[str, str] = {}
    for name, argv in commands(w, mnist):
        rc, out, err = run_command(argv)
        files = {}
        for path in sorted(p for p in w.rglob("*") if p.is_file() and ".lock" != p.name):
            rel = str(path.relative_to(w))
            text = file_text(path, w, mnist)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if seen.get(rel) != digest:
                files[rel] = digest
                seen[rel] = digest
        result[name] = {"rc": rc, "stdout": _mask_text(out, w, mnist).splitlines(),
                        "stderr": _mask_text(err, w, mnist).splitlines(), "files": files}
    return result


def main() -> int:
    import argparse
    import os
    import tempfile

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"write {GOLDEN.relative_to(REPO)}")
    p.add_argument("--show", metavar="FILE", help="also print the masked text of this file (relative to the work folder)")
    args = p.parse_args()
    mnist = Path(os.environ.get("WANN_MNIST_DIR", REPO.parent / "shared" / "data" / "mnist"))
    with tempfile.TemporaryDirectory() as tmp:
        w = Path(tmp).resolve()
        result = run_all(w, mnist)
        if args.show:
            print(file_text(w / args.show, w, mnist))
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if args.write:
        GOLDEN.write_text(text)
        print(f"wrote {GOLDEN}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
