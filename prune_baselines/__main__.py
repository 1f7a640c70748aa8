"""``python -m prune_baselines``: see :mod:`prune_baselines.cli`."""
import sys

from .cli import main

sys.exit(main())
