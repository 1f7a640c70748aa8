"""Every command's files and printed results equal the committed golden fingerprints (timing aside).

The fingerprints were taken before the edges of the house were reorganised; a change of structure
must not change them. Regenerate only for an intended change of output: ``python tests/golden.py --write``.
"""
from __future__ import annotations

import json

import pytest

from tests.golden import GOLDEN, run_all


@pytest.mark.slow
def test_every_command_matches_its_golden_outputs(tmp_path, mnist_dir):
    expected = json.loads(GOLDEN.read_text())
    got = run_all(tmp_path.resolve(), mnist_dir)
    assert sorted(got) == sorted(expected), "the list of golden commands changed; regenerate with --write"
    for name, want in expected.items():
        have = got[name]
        for key in ("rc", "stdout", "stderr"):
            assert have[key] == want[key], f"`{name}`: {key} differs"
        assert have["files"] == want["files"], (
            f"`{name}`: files differ: " + ", ".join(sorted(
                f for f in set(have["files"]) | set(want["files"]) if have["files"].get(f) != want["files"].get(f))))
