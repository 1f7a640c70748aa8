"""The command line stays light: `wann --help`, `show` and `plot` import neither torch nor ray."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

LEGACY = REPO / "tests" / "fixtures" / "legacy_champion.json"
PROBE = """
import json, sys
from wann.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("torch", "ray", "prune_baselines") if m in sys.modules)))
"""


@pytest.mark.parametrize("argv", [["--help"], ["show", str(LEGACY)], ["plot", str(LEGACY), "--out", "{tmp}"],
                                  ["prune", "--version-of-nothing"]])
def test_light_commands_import_neither_torch_nor_ray(argv, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=REPO, timeout=120)
    loaded = json.loads(r.stdout.strip().splitlines()[-1])
    if argv[0] == "prune":  # the control: prune_baselines (and torch) load once `wann prune` runs
        assert "torch" in loaded and "prune_baselines" in loaded
    else:
        assert loaded == [], r.stderr


def test_version_and_prune_help_name_themselves():
    r = subprocess.run([sys.executable, "-m", "wann.cli", "--version"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and r.stdout.startswith("wann ")
    r = subprocess.run([sys.executable, "-m", "wann.cli", "prune", "--help"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and r.stdout.startswith("usage: wann prune")
