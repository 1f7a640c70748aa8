"""MNIST from the original IDX files, and the reference WANN "MNIST-256" preprocessing.

Data: the four IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), gzipped (``.gz``) or not, in one folder.
That folder is given explicitly (``--data-dir`` on the command line, ``task.data_dir`` in a config)
or through the ``WANN_MNIST_DIR`` environment variable. Nothing is ever downloaded.

Preprocessing: ``envs.mnist_preprocess`` (the reference's resize, then deskew, in numpy).

``load_mnist`` caches its result as an ``.npz`` (never pickled; float64 inputs, or the uint8 pixels
for ``size=28``) in ``cache_dir``, else ``$WANN_CACHE_DIR/mnist``, else ``~/.cache/wann/mnist``
(``$XDG_CACHE_HOME`` respected); the file name carries a hash of the source files' paths, sizes and
modification times, the split, the output size and the preprocessing version. Files are written
to a temporary name and renamed; an unreadable cache is rebuilt and an unwritable cache folder
only costs a warning.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from envs.mnist_preprocess import deskew, preprocess, resize_linear

__all__ = [
    "FILES",
    "ENV_VAR",
    "CACHE_ENV_VAR",
    "MnistDataError",
    "resolve_data_dir",
    "read_idx",
    "load_raw",
    "resize_linear",
    "deskew",
    "preprocess",
    "load_mnist",
    "default_cache_dir",
    "cache_path",
]

FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
ENV_VAR = "WANN_MNIST_DIR"
CACHE_ENV_VAR = "WANN_CACHE_DIR"

# Bump when the preprocessing changes, so that old cache files are not reused.
_PREPROCESS_VERSION = "1"

_IDX_MAGIC = {0x00000801: 1, 0x00000803: 3}  # magic -> number of dimensions (all uint8)

class MnistDataError(ValueError):
    """A problem with the MNIST data that the user can fix (missing folder/file, corrupt file)."""


_HOW_TO_POINT = (
    "Point wann at the folder that holds them with --data-dir PATH, "
    f"the {ENV_VAR} environment variable, or the `task.data_dir` config key."
)


def _all_file_names() -> list[str]:
    return [name for pair in FILES.values() for name in pair]


def _find_file(folder: Path, name: str) -> Path | None:
    """The raw file if present, else the .gz one, else None."""
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def resolve_data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """The MNIST folder: ``data_dir`` if given, else ``$WANN_MNIST_DIR``.

    Raises MnistDataError if neither is set, the folder does not exist, or any of the four IDX
    files (raw or ``.gz``) is missing.
    """
    expected = ", ".join(_all_file_names())
    if data_dir is None or str(data_dir) == "":
        env = os.environ.get(ENV_VAR, "")
        if not env:
            raise MnistDataError(
                "No MNIST folder given. The folder must hold the four IDX files "
                f"({expected}; raw or .gz). {_HOW_TO_POINT}"
            )
        data_dir = env
        origin = f" (from ${ENV_VAR})"
    else:
        origin = ""
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise MnistDataError(
            f"MNIST folder {folder}{origin} does not exist or is not a folder. It must hold the "
            f"four IDX files ({expected}; raw or .gz). {_HOW_TO_POINT}"
        )
    missing = [name for name in _all_file_names() if _find_file(folder, name) is None]
    if missing:
        raise MnistDataError(
            f"MNIST folder {folder}{origin} lacks {', '.join(missing)} (raw or .gz). "
            f"Expected the four IDX files {expected}. {_HOW_TO_POINT}"
        )
    return folder


def _read_exact(stream, buf: memoryview) -> int:
    """Fill ``buf`` from ``stream``; return the number of bytes read (less only at end of file)."""
    got = 0
    while got < len(buf):
        n = stream.readinto(buf[got:])
        if not n:
            break
        got += n
    return got


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one MNIST IDX file (gzipped or raw; detected from its first bytes) as a uint8 array.

    Accepts magic 0x00000801 (labels, 1-D) and 0x00000803 (images, 3-D). The payload must match
    the header's dimensions exactly; a truncated, padded, corrupt or foreign file raises
    MnistDataError naming the file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise MnistDataError(f"IDX file {path} does not exist. {_HOW_TO_POINT}")
    fix = "Replace it with an intact copy of the MNIST file (check it against SHA256SUMS)."
    try:
        with open(path, "rb") as raw:
            is_gz = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if is_gz else open
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4:
                raise MnistDataError(f"IDX file {path} is empty or truncated (no header). {fix}")
            magic = int.from_bytes(head, "big")
            if magic not in _IDX_MAGIC:
                raise MnistDataError(
                    f"{path} is not an MNIST IDX file: magic number 0x{magic:08x}, expected "
                    f"0x00000801 (labels) or 0x00000803 (images). {fix}"
                )
            ndim = _IDX_MAGIC[magic]
            dim_bytes = f.read(4 * ndim)
            if len(dim_bytes) < 4 * ndim:
                raise MnistDataError(f"IDX file {path} is truncated inside its header. {fix}")
            dims = tuple(int.from_bytes(dim_bytes[4 * i : 4 * i + 4], "big") for i in range(ndim))
            if any(d == 0 for d in dims):
                raise MnistDataError(f"IDX file {path} has a zero dimension in {dims}. {fix}")
            n_bytes = int(np.prod(dims, dtype=object))
            if n_bytes > 1 << 34:
                raise MnistDataError(f"IDX file {path} declares an implausible shape {dims}. {fix}")
            out = np.empty(dims, dtype=np.uint8)
            got = _read_exact(f, memoryview(out.reshape(-1)))
            if got != n_bytes:
                raise MnistDataError(
                    f"IDX file {path} is truncated: header says {dims} = {n_bytes} bytes of data, "
                    f"found {got}. {fix}"
                )
            if f.read(1):
                raise MnistDataError(
                    f"IDX file {path} has extra bytes after the {n_bytes} bytes of data its header "
                    f"{dims} declares. {fix}"
                )
    except MnistDataError:
        raise
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise MnistDataError(f"IDX file {path} cannot be read ({exc}). {fix}") from exc
    return out


def _split_paths(folder: Path, split: str) -> tuple[Path, Path]:
    if split not in FILES:
        raise MnistDataError(f"Unknown MNIST split {split!r}; use one of {sorted(FILES)}.")
    paths = tuple(_find_file(folder, name) for name in FILES[split])
    if paths[0] is None or paths[1] is None:  # resolve_data_dir checked, but files can vanish
        resolve_data_dir(folder)
    return paths  # type: ignore[return-value]


def load_raw(data_dir: str | os.PathLike[str] | None, split: str) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``[N, 28, 28]`` and uint8 labels ``[N]`` of ``split`` ("train" or "test")."""
    folder = resolve_data_dir(data_dir)
    img_path, lab_path = _split_paths(folder, split)
    images = read_idx(img_path)
    labels = read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MnistDataError(
            f"{img_path} should hold 28x28 images (magic 0x00000803), found shape {images.shape}. "
            "Check that the image and label files are not swapped or renamed."
        )
    if labels.ndim != 1:
        raise MnistDataError(
            f"{lab_path} should hold labels (magic 0x00000801), found shape {labels.shape}. "
            "Check that the image and label files are not swapped or renamed."
        )
    if images.shape[0] != labels.shape[0]:
        raise MnistDataError(
            f"{img_path} holds {images.shape[0]} images but {lab_path} holds {labels.shape[0]} "
            "labels; the two files come from different sets."
        )
    if labels.max(initial=0) > 9:
        raise MnistDataError(f"{lab_path} holds labels above 9; it is not an MNIST label file.")
    return images, labels


# --------------------------------------------------------------------------------------------
# Loading with a cache
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$WANN_CACHE_DIR/mnist`` if set, else ``$XDG_CACHE_HOME/wann/mnist`` or ``~/.cache/wann/mnist``."""
    env = os.environ.get(CACHE_ENV_VAR, "")
    if env:
        return Path(env).expanduser() / "mnist"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "wann" / "mnist"


def _cache_key(paths: tuple[Path, Path], split: str, size: int) -> str:
    h = hashlib.sha256()
    h.update(f"v{_PREPROCESS_VERSION}|{split}|{size}".encode())
    for p in paths:
        st = p.stat()
        h.update(f"|{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def _read_cache(path: Path, dim: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached (X, y) or None if absent/unusable (a bad cache file is rebuilt, not fatal)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            x, y = z["X"], z["y"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        warnings.warn(f"ignoring unreadable MNIST cache file {path} ({exc}); rebuilding it", stacklevel=3)
        return None
    if (x.ndim != 2 or x.shape[1] != dim or x.dtype != dtype or y.shape != (x.shape[0],)
            or y.dtype != np.int64):
        warnings.warn(
            f"ignoring MNIST cache file {path} with unexpected contents; rebuilding it", stacklevel=3
        )
        return None
    return x, y


def _write_cache(path: Path, x: np.ndarray, y: np.ndarray) -> bool:
    """Write atomically (temp file in the same folder + os.replace). False if it cannot."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, X=x, y=y)
        os.replace(tmp_name, path)
        tmp_name = None
        return True
    except OSError as exc:
        warnings.warn(
            f"cannot write the MNIST cache in {path.parent} ({exc}); continuing without a cache. "
            f"Set {CACHE_ENV_VAR} or pass cache_dir to a writable folder.",
            stacklevel=3,
        )
        return False
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def cache_path(data_dir: str | os.PathLike[str] | None = None, split: str = "train", size: int = 16,
               cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``load_mnist`` keeps (or would keep) its cache file for these arguments."""
    folder = resolve_data_dir(data_dir)
    paths = _split_paths(folder, split)
    size = _check_size(size)
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return base / f"mnist-{split}-{size}-{_cache_key(paths, split, size)}.npz"


def _check_size(size: int) -> int:
    if isinstance(size, bool) or int(size) != size or size < 1:
        raise MnistDataError(f"MNIST size must be a positive integer (16 or 28), got {size!r}.")
    return int(size)


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    split: str = "train",
    size: int = 16,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and labels of an MNIST split, ready for a classifier.

    Returns ``X`` float64 ``[N, size*size]`` and ``y`` int64 ``[N]``. ``size=28``: pixels/255,
    784 inputs, no deskew. Any other size (16 for the paper's MNIST-256): ``preprocess``.
    The result is cached as ``.npz`` (see ``cache_path``); for size 28 the uint8 pixels are
    cached and divided on load.
    """
    path = cache_path(data_dir, split, size, cache_dir)
    size = int(size)
    plain = size == 28
    cached = _read_cache(path, 784 if plain else size * size, np.dtype(np.uint8 if plain else np.float64))
    if cached is None:
        images, labels = load_raw(data_dir, split)
        y = labels.astype(np.int64)
        x = images.reshape(images.shape[0], -1) if plain else preprocess(images, size)
        _write_cache(path, x, y)
    else:
        x, y = cached
    if plain:
        x = np.divide(x, 255.0, dtype=np.float64)
    return x, y
