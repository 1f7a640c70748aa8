"""``python -m prune_baselines.retrain``: see :mod:`prune_baselines.retrain.cli`."""
import sys

from .cli import main

sys.exit(main())
