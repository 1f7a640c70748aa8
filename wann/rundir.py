"""The run folder: its files, the one place that reads and writes them, and its life cycle.

A run folder holds ``config.toml`` (the resolved config), ``meta.json`` (command, overrides,
versions), ``log.jsonl`` (one JSON object per generation), ``checkpoint.npz`` (``wann.checkpoint``)
and ``champion.json`` (``wann.champion``). Every other module reads and writes them through the
functions here (``load_champion`` also takes a champion file given on its own).

Life cycle: made whole or not at all, one writer at a time, no leftovers.

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

import datetime as dt
import json
import os
import platform
import shutil
import tempfile
import tomllib
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from filelock import FileLock, Timeout

from wann import champion as champ
from wann.checkpoint import FILE as CHECKPOINT
from wann.errors import UserError
from wann.io import dumps, read_json, umask, write_atomic

if TYPE_CHECKING:
    from wann.config import Config

LOCK = ".lock"
CONFIG, META, LOG, CHAMPION = "config.toml", "meta.json", "log.jsonl", "champion.json"


# ---- reading and writing the files ------------------------------------------------------
def champion_file(path: str | Path) -> Path:
    """The champion file of a run folder, or ``path`` itself when it names a file."""
    path = Path(path)
    return path / CHAMPION if path.is_dir() else path


def load_champion(path: str | Path) -> tuple[champ.Champion, dict, Path]:
    """(champion, the file's whole JSON, the file) of a run folder or champion file; UserError if invalid."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such run folder or champion file")
    file = champion_file(path)
    if path.is_dir() and not file.exists():
        raise UserError(f"{path} holds no {CHAMPION}: is it a run folder that has run a generation "
                        "(or a batch folder: give one of its seed_<s> folders)?")
    c, data = champ.load(file)
    return c, data, file


def save_champion(folder: Path, champion: champ.Champion, cfg: Config) -> None:
    """Write the run's ``champion.json`` (atomic)."""
    champ.save(Path(folder) / CHAMPION, champion, asdict(cfg.task), cfg.search.weights)


def read_log(folder: str | Path) -> list[dict]:
    """The rows of ``log.jsonl`` ([] if absent; UserError if a line is corrupt)."""
    path = Path(folder) / LOG
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1) if path.exists() else []:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            raise UserError(f"{path}: line {n} is not valid JSON") from None
    return rows


def write_log(folder: Path, rows: list[dict]) -> None:
    """Replace ``log.jsonl`` by ``rows`` (atomic)."""
    write_atomic(Path(folder) / LOG, "".join(dumps(r) + "\n" for r in rows))


def read_config(folder: str | Path) -> dict:
    """The folder's ``config.toml`` as a dict (UserError if absent or not TOML)."""
    path = Path(folder) / CONFIG
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{Path(folder)} is not a run folder (no {CONFIG}); start one with `wann evolve CONFIG`") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None


# The generation of the numerics: seeded results (scores, logs, champions) are bit-identical only within one.
# 1: before version 0.2.0 (polynomials in Horner's order, libm's sin/cos in the swing-up environment);
# 2: from 0.2.0 (Estrin's order, ``envs.trig`` in the environment). A folder's meta.json records it.
NUMERICS = 2


def new_meta(command: list[str], config_file: str, overrides: list[str]) -> dict:
    """``meta.json`` of a new run or batch folder: the command, config file and overrides, when, and the
    versions (Python, numpy); ``Run.create`` adds the numerics generation ``NUMERICS`` to every run folder's."""
    return {"command": command, "config_file": config_file, "overrides": overrides,
            "created": dt.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
            "numpy": np.__version__}


def numerics_of(folder: str | Path) -> int:
    """The numerics generation a run folder was made with (1 when its meta.json predates the field)."""
    return int(read_meta(folder).get("numerics", 1))


def read_meta(folder: str | Path) -> dict:
    """The folder's ``meta.json`` ({} if absent)."""
    path = Path(folder) / META
    return read_json(path, "run metadata") if path.exists() else {}


def holds_run(folder: str | Path) -> bool:
    """Whether ``folder`` already holds a run (a checkpoint or a log)."""
    return (Path(folder) / CHECKPOINT).exists() or (Path(folder) / LOG).exists()


# ---- life cycle ---------------------------------------------------------------------------


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
