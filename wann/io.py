"""Atomic file writes and JSON reading with clear errors."""
from __future__ import annotations

import json
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


def write_json(path: str | Path, data) -> None:
    write_atomic(path, json.dumps(data, indent=1) + "\n")


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
