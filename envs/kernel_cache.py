"""Stale numba caches: drop the cached compilations when any kernel source changed.

numba caches a compiled kernel beside its source file (``__pycache__/*.nbi``, ``*.nbc``) and knows it by
that one file's time stamp. A kernel that inlines helpers from another file (``envs.trig``,
``wann.fastmath``, ``wann.activation_kernels``, ...) therefore keeps its old compilation when only the
helper's file changed: after a ``git pull`` or an upgrade in place it would compute with the old code
(numba's documented limit). ``purge_if_changed`` keeps a fingerprint of every source file that uses
numba under the given package folders and deletes their cached compilations when it differs; numba then
compiles afresh. Called when ``envs`` and ``wann`` are imported, before any kernel runs.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

STAMP = "numba_sources.sha1"
CACHE_SUFFIXES = (".nbi", ".nbc")


def fingerprint(*roots: Path) -> str:
    """sha1 over the relative path and bytes of every ``*.py`` file under ``roots`` that mentions numba."""
    h = hashlib.sha1()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            data = path.read_bytes()
            if b"numba" in data:
                h.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
                h.update(hashlib.sha1(data).digest())
    return h.hexdigest()


def purge_if_changed(*roots: Path) -> bool:
    """Delete numba's cached compilations under ``roots`` when their numba sources changed since the last
    call (stamp: ``__pycache__/numba_sources.sha1`` of the first root); True if it purged.

    Best effort: a read-only install (numba then caches in its user-wide folder, which this does not
    reach) or a race with another process doing the same is not an error; the worst case is a
    recompilation.
    """
    roots = tuple(Path(r) for r in roots)
    stamp = roots[0] / "__pycache__" / STAMP
    current = fingerprint(*roots)
    try:
        if stamp.read_text() == current:
            return False
    except OSError:
        pass
    for root in roots:
        for path in root.rglob("__pycache__/*"):
            if path.suffix in CACHE_SUFFIXES:
                try:
                    path.unlink(missing_ok=True)
                except OSError:  # read-only: numba caches such a package elsewhere (its user-wide folder)
                    pass
    try:
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:
        pass
    return True
