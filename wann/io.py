"""Atomic file writes, JSON without NaN/Infinity tokens, and JSON reading with clear errors.

Every JSON file wann writes goes through ``dumps``: a non-finite float (NaN, +-inf) is written as
``null`` (the documented value: "not finite"), so files are strict JSON that any reader parses.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Callable

from wann.errors import UserError


# Fault injection for tests: called as FAULT_HOOK(event, path) at every write boundary, event one of
# "temp" (temp file written, not yet renamed), "replaced" (renamed into place), "appended" (a line
# appended). A test makes it kill the process or raise an OSError there. None in normal use.
FAULT_HOOK: Callable[[str, Path], None] | None = None


def _boundary(event: str, path: Path) -> None:
    if FAULT_HOOK is not None:
        FAULT_HOOK(event, path)


def _cannot_write(path: Path, exc: OSError) -> UserError:
    return UserError(f"cannot write {path}: {exc.strerror or exc}; free disk space or fix the folder's "
                     "permissions (files already written are whole: a run keeps its last checkpoint)")


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` via a temp file in the same folder and a rename.

    The file is whole or unchanged; an OSError (full disk, read-only folder) becomes a UserError.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        os.fchmod(fd, 0o666 & ~umask())  # mkstemp makes 0600; a written file gets the usual permissions
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _boundary("temp", Path(tmp))
        os.replace(tmp, path)
        _boundary("replaced", path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process umask (read without changing it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def append_line(path: str | Path, line: str) -> None:
    """Append one line (``line`` + newline) to a text file, flushed; OSError becomes a UserError."""
    path = Path(path)
    try:
        with open(path, "a") as fh:
            fh.write(line + "\n")
            fh.flush()
        _boundary("appended", path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def check_writable(folder: str | Path) -> None:
    """UserError unless a file can be created in ``folder`` (checked before long work that ends in a write)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise _cannot_write(folder, exc) from None


def finite_or_none(obj):
    """``obj`` with every non-finite float (also inside lists, tuples and dicts) replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def dumps(obj, indent: int | None = None) -> str:
    """Strict JSON text of ``obj``: non-finite floats become null (never a bare NaN/Infinity token)."""
    return json.dumps(finite_or_none(obj), indent=indent, allow_nan=False)


def write_json(path: str | Path, data) -> None:
    write_atomic(path, dumps(data, indent=1) + "\n")


def read_json(path: str | Path, what: str) -> dict:
    """Load a JSON object, raising UserError naming the file when it is missing or corrupt."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{what} {path} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{what} {path} is corrupt (not valid JSON: {exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{what} {path} is corrupt (expected a JSON object)")
    return data


def toml_value(raw: str):
    """The value of ``raw`` read as a TOML value (``64``, ``[1, 2]``, ``"x"``, ``true``); else the text itself."""
    import tomllib

    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()
