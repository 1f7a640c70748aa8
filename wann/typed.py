"""A dataclass from a TOML table, strictly typed: the one builder of config sections and task options."""
from __future__ import annotations

import dataclasses
import math

from wann.errors import UserError


def build(cls, table: dict, section: str, source: str):
    """``cls(**table)`` after checking every key and the type of every value against ``cls``'s defaults.

    UserError naming ``source``, ``[section]`` and the key: an unknown key (with the valid keys), a value of
    another type (an int is accepted for a float), a non-finite float, or what ``cls`` itself refuses."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise UserError(f"{source}: unknown key(s) {unknown} in [{section}]; valid keys: {sorted(fields)}")
    defaults = cls()
    values = {}
    for key, value in table.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise UserError(f"{source}: [{section}] {key} = {value!r} should be of type {expected.__name__}")
        if expected is float and not math.isfinite(value):
            raise UserError(f"{source}: [{section}] {key} = {value!r} should be a finite number")
        values[key] = value
    try:
        return cls(**values)
    except (ValueError, TypeError) as exc:
        raise UserError(f"{source}: [{section}] {exc}") from None
