"""numba's caches are dropped when any numba source changed (a kernel may inline another file's helper)."""
from pathlib import Path

import envs
import wann
from envs.kernel_cache import STAMP, fingerprint, purge_if_changed


def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "sub" / "__pycache__").mkdir(parents=True)
    (root / "__pycache__").mkdir()
    (root / "kernel.py").write_text("from numba import njit\nfrom pkg.helper import h\n")
    (root / "helper.py").write_text("from numba import njit\n\n@njit(inline='always')\ndef h(x):\n    return x\n")
    (root / "cli.py").write_text("import argparse\n")
    for name in ("__pycache__/kernel.f-1.py311.nbi", "__pycache__/kernel.f-1.py311.1.nbc",
                 "sub/__pycache__/k.g-2.py311.nbi", "__pycache__/kernel.cpython-311.pyc"):
        (root / name).write_text("x")
    return root


def cached(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("__pycache__/*") if p.suffix in (".nbi", ".nbc"))


def test_a_changed_helper_drops_every_cached_kernel_and_nothing_else(tmp_path):
    root = package(tmp_path)
    assert purge_if_changed(root)  # no stamp yet: purge, then remember
    assert cached(root) == [] and (root / "__pycache__" / "kernel.cpython-311.pyc").exists()
    assert (root / "__pycache__" / STAMP).read_text() == fingerprint(root)
    (root / "__pycache__" / "kernel.f-1.py311.nbi").write_text("x")  # numba caches again
    assert not purge_if_changed(root) and cached(root) == ["kernel.f-1.py311.nbi"]
    (root / "cli.py").write_text("import argparse  # edited: a file without kernels\n")
    assert not purge_if_changed(root) and cached(root) == ["kernel.f-1.py311.nbi"]
    (root / "helper.py").write_text((root / "helper.py").read_text().replace("return x", "return x + 1"))
    assert purge_if_changed(root) and cached(root) == []


def test_a_stamp_that_cannot_be_read_or_written_is_not_an_error(tmp_path):
    root = package(tmp_path)
    (root / "__pycache__" / STAMP).mkdir()  # as an unwritable place would: OSError on read and on write
    assert purge_if_changed(root) and cached(root) == []
    assert purge_if_changed(root)  # still no stamp: every import purges, numba recompiles; nothing fails


def test_importing_wann_leaves_the_stamp_of_todays_sources():
    wann_dir, envs_dir = Path(wann.__file__).parent, Path(envs.__file__).parent
    assert (wann_dir / "__pycache__" / STAMP).read_text() == fingerprint(wann_dir, envs_dir)
    assert (envs_dir / "__pycache__" / STAMP).read_text() == fingerprint(envs_dir)
