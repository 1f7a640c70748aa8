"""Progress bars (tqdm) for levels and training epochs: shown on a terminal only (stderr), never written to
files, off with ``--quiet``. Log lines go through ``tqdm.write`` so that they do not break a bar."""
from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def bar(total: int, desc: str, enabled: bool = True, unit: str = "it", position: int = 0) -> tqdm:
    """A bar of ``total`` steps on stderr: off when ``enabled`` is False or stderr is not a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, disable=None if enabled else True, leave=False, file=sys.stderr,
                position=position, dynamic_ncols=True)


def each(items: Iterable[T], desc: str, enabled: bool = True, unit: str = "it") -> Iterable[T]:
    """``items`` with a bar over them (see ``bar``)."""
    items = list(items)
    with bar(len(items), desc, enabled, unit) as b:
        for item in items:
            yield item
            b.update()


def write(msg: str) -> None:
    """A log line on stderr that keeps any bar intact."""
    tqdm.write(msg, file=sys.stderr)
    sys.stderr.flush()
