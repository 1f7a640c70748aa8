"""The run folder's life cycle: made whole or not at all, one writer at a time, no leftovers.

- ``create(folder, files)``: the folder appears with all its first files, or not at all: they are
  written into a hidden temporary sibling that is then renamed into place. An existing folder is
  used only if it is empty (a user's files are never replaced).
- ``writer(folder)``: a lock (``.lock`` in the folder, an OS file lock via ``filelock``) held while
  a process writes the folder; a second writer gets a clear error. The OS drops the lock when the
  process dies, so a killed run never leaves a stale lock.
- ``remove_temp_files(folder)``: temp files left by writes that were interrupted (``wann.io``
  writes ``.<name>.<random>.tmp`` and renames it).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from wann.errors import UserError
from wann.io import umask, write_atomic

LOCK = ".lock"


def create(folder: Path, files: dict[str, str | bytes]) -> None:
    """Make ``folder`` holding ``files`` (name -> content) atomically; UserError if it exists and is not empty."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(p.name != LOCK for p in folder.iterdir())):
        raise UserError(f"{folder} already exists and is not an empty folder; wann never writes over files: "
                        "choose another --out (or `wann resume` it if it is a run)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes 0700; a run folder gets the usual permissions
        for name, content in files.items():
            write_atomic(tmp / name, content)
        if folder.exists():
            folder.rmdir()  # empty (checked above); rename needs the name free
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def writer(folder: Path):
    """Hold the folder's write lock for the block; UserError if another process holds it."""
    lock = FileLock(str(Path(folder) / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(f"{folder} is being written by another wann process (evolve or resume); "
                        "wait for it to finish or stop it first") from None
    try:
        yield
    finally:
        lock.release()


def remove_temp_files(folder: Path) -> list[Path]:
    """Delete the temp files of interrupted atomic writes in ``folder``; returns what was removed."""
    gone = [p for p in Path(folder).glob(".*.tmp") if p.is_file()]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone
