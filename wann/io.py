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

from wann.errors import UserError


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
