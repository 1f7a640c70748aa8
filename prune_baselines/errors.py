"""The one error type of prune_baselines: something a user can fix (bad name, missing data, bad folder)."""
from __future__ import annotations


class PruneError(ValueError):
    """A user-fixable problem; the CLI prints its message and exits non-zero without a traceback."""
