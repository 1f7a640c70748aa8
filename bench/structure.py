"""The package's structure in figures: files, lines, the largest files, and import cycles.

Imports are read from the source (ast), at module level and inside functions (lazy imports
count: a cycle broken only by importing late is still a cycle); imports under ``if TYPE_CHECKING:``
(type hints only, never run) count
separately: such a cycle is still a loop of knowledge between modules. Prints a table and, as its last
line, ``RESULT files=... lines=... cycles=...``.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("wann", "envs", "prune_baselines")


def modules(root: Path = REPO) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _nodes(tree: ast.AST, typing: bool):
    """Every node of ``tree``; without ``typing``, not those under ``if TYPE_CHECKING:`` (type hints only)."""
    for node in ast.iter_child_nodes(tree):
        if not typing and isinstance(node, ast.If) and \
                getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            continue
        yield node
        yield from _nodes(node, typing)


def import_graph(root: Path = REPO, typing: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in the file; ``typing``: also for type hints)."""
    mods = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in _nodes(ast.parse(path.read_text(), str(path)), typing):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_pkg else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and not name.startswith(t + "."):
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=str(REPO), help="checkout to measure (default: this one)")
    p.add_argument("--quick", action="store_true", help="accepted for symmetry with the other benchmarks")
    args = p.parse_args()
    root = Path(args.root)
    mods = modules(root)
    lines = {m: len(p.read_text().splitlines()) for m, p in mods.items()}
    print(f"{'package':<16} {'files':>5} {'lines':>6} {'largest file (lines)':<40}")
    for pkg in PACKAGES:
        mine = {m: n for m, n in lines.items() if m == pkg or m.startswith(pkg + ".")}
        big = max(mine, key=mine.get)
        print(f"{pkg:<16} {len(mine):>5} {sum(mine.values()):>6} {big} ({mine[big]})")
    found = cycles(import_graph(root))
    typed = cycles(import_graph(root, typing=True))
    for c in found:
        print("import cycle: " + " <-> ".join(c))
    for c in typed:
        if c not in found:
            print("cycle through type hints: " + " <-> ".join(c))
    print(f"RESULT files={len(mods)} lines={sum(lines.values())} max_lines={max(lines.values())} "
          f"cycles={len(found)} type_cycles={len(typed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
