"""The one error type of prune_baselines: something a user can fix (bad name, missing data, bad folder, a
setting of the wrong type or out of range), and the base of the settings models, which raise it."""
from __future__ import annotations

from typing import Callable

from pydantic import BaseModel, ConfigDict, ValidationError


class PruneError(ValueError):
    """A user-fixable problem; the CLI prints its message and exits non-zero without a traceback."""


def invalid(exc: ValidationError, given: dict, label: Callable[[str], str] = str) -> PruneError:
    """pydantic's first error as one line: the setting (``label`` of its key), what it must be, the value given
    (as in ``given``); an error of no one setting (a rule between settings) is its message alone."""
    e = exc.errors()[0]
    msg = str(e["ctx"]["error"]) if e["type"] == "value_error" else e["msg"]
    if not e["loc"]:
        return PruneError(msg)
    key = str(e["loc"][0])
    return PruneError(f"{label(key)}: {msg}, got {given.get(key, e['input'])!r}")


class _RaisesPruneError(type(BaseModel)):
    """Only ``Model(...)`` goes through here (an overridden ``__init__`` would also catch ``model_validate``, which
    pydantic then runs without its ``strict`` and ``context`` arguments)."""

    def __call__(cls, **values):
        try:
            return super().__call__(**values)
        except ValidationError as exc:
            raise invalid(exc, values) from None


class Settings(BaseModel, metaclass=_RaisesPruneError):
    """Settings as a strict pydantic model: an integer is not a boolean or a float, a number is not a string,
    a table is not a value, unknown keys are errors (floats are declared finite). ``Settings(**values)`` raises
    a one-line PruneError; ``model_validate`` pydantic's ValidationError (the CLI names flags, see :func:`invalid`)."""
    model_config = ConfigDict(strict=True, extra="forbid")
