"""Progress bars show on a terminal only, never in files or pipes, and --quiet turns them off."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from tests.conftest import REPO

LEGACY = REPO / "tests" / "fixtures" / "legacy_champion.json"


def run_with_terminal_stderr(args: list[str], cwd) -> tuple[int, str, str]:
    """Exit code, stdout (a pipe) and what reached stderr (a pseudo-terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal has a size
    p = subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                         env=os.environ | {"PYTHONPATH": str(REPO)})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = p.stdout.read().decode()
    p.wait(timeout=120)
    os.close(master)
    return p.returncode, out, b"".join(chunks).decode(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_eval_shows_a_bar_on_a_terminal_only(tmp_path, quiet):
    champion = tmp_path / "c.json"
    champion.write_text(LEGACY.read_text())
    rc, out, err = run_with_terminal_stderr(["wann.cli", "eval", str(champion), "--trials", "3", "--tune-trials", "2",
                                             "--grid", "3", "--no-plot", *(["--quiet"] if quiet else [])], tmp_path)
    assert rc == 0 and "tuned shared weight" in out
    assert "\r" not in out and "it/s" not in out and "episode/s" not in out  # nothing of a bar on the pipe
    assert ("eval:" in err and "episode" in err) != quiet


@pytest.mark.slow
def test_prune_shows_level_and_batch_bars_on_a_terminal(tmp_path):
    rc, out, err = run_with_terminal_stderr(
        ["prune_baselines", "--method", "magnitude", "--model", "mlp", "--hidden", "8", "--input", "12",
         "--target-connections", "40", "--epochs", "1", "--synthetic", "--n-train", "300", "--seeds", "1",
         "--out", str(tmp_path / "p")], tmp_path)
    assert rc == 0 and "levels" in err and "batch" in err and "results in" in out
    assert "\r" not in (tmp_path / "p" / "results.csv").read_text()
