"""``python -m wann.cli``: the ``wann`` command."""
import sys

from wann.cli import main

sys.exit(main())
