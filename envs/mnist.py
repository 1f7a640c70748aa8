"""MNIST from the original IDX files, and the reference WANN "MNIST-256" preprocessing.

Data: the four IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``), gzipped (``.gz``) or not, in one folder.
That folder is given explicitly (``--data-dir`` on the command line, ``task.data_dir`` in a config)
or through the ``WANN_MNIST_DIR`` environment variable. Nothing is ever downloaded.

Preprocessing (``size=16``, the 256-input task of Gaier & Ha 2019) follows the reference code
(google/brain-tokyo-workshop, ``WANNRelease/prettyNeatWann/domain/classify_gym.py``:
``mnist_256`` -> ``preprocess`` -> ``deskew``):

1. pixels / 255 as float64;
2. **resize first**: ``cv2.resize(img, (16, 16))`` with the default ``INTER_LINEAR``;
3. **then deskew the 16x16 image**: moments of the resized image, ``skew = mu11 / mu02``,
   ``M = float32([[1, skew, -0.5 * 16 * skew], [0, 1, 0]])`` and
   ``cv2.warpAffine(img, M, (16, 16), flags=WARP_INVERSE_MAP | INTER_LINEAR)``;
   images with ``|mu02| < 1e-2`` are left unchanged;
4. flatten to ``[N, 256]``.

So the reference deskews *after* resizing, on the 16x16 image, and so does this module.
Both OpenCV steps are re-implemented here in vectorised numpy (no OpenCV needed at run time),
including OpenCV's details that change the numbers: half-pixel centres and border clamping in
``resize``; the float32 affine matrix and the 1/32-pixel fixed-point source coordinates
(``INTER_BITS = 5``) of ``warpAffine``, with zeros outside the image. The tests check equality with
OpenCV to 1e-6 on real images (in practice the difference is at the 1e-16 level).

``size=28`` gives plain pixels / 255, 784 inputs, no resize and no deskew (note: the reference's
``mnist_784`` also deskewed its 28x28 images; use ``preprocess(images, 28)`` for that).

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

# OpenCV warpAffine fixed-point constants (imgproc/imgwarp.cpp).
_INTER_BITS = 5
_INTER_TAB_SIZE = 1 << _INTER_BITS
_AB_BITS = max(10, _INTER_BITS)
_AB_SCALE = 1 << _AB_BITS
_ROUND_DELTA = _AB_SCALE // _INTER_TAB_SIZE // 2


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
# Preprocessing (numpy re-implementations of the OpenCV calls used by the reference)
# --------------------------------------------------------------------------------------------


_CHUNK = 4096  # images per block: bounds the temporaries to a few tens of MB


def _linear_matrix(n_src: int, n_dst: int) -> np.ndarray:
    """cv2.resize INTER_LINEAR along one axis as a dense ``[n_dst, n_src]`` weight matrix.

    As in OpenCV: ``f = (d + 0.5) * n_src / n_dst - 0.5``, ``s = floor(f)``, taps
    ``(1 - (f - s), f - s)`` on pixels ``s, s + 1``; left of the first pixel centre and right of
    the last one the edge pixel gets weight 1. The taps are float64 as in OpenCV 4.x/5.x for
    float64 images (older OpenCV rounded them to float32; that differs by < 1e-6, and not at all
    for 28 -> 16, whose taps are multiples of 1/8).
    """
    scale = 1.0 / (n_dst / n_src)  # OpenCV: scale_x = 1. / inv_scale_x, inv = dsize / ssize
    f = (np.arange(n_dst) + 0.5) * scale - 0.5
    s = np.floor(f).astype(np.int64)
    w1 = f - s
    low = s < 0
    s[low], w1[low] = 0, 0.0
    high = s >= n_src - 1
    s[high], w1[high] = n_src - 1, 0.0
    mat = np.zeros((n_dst, n_src), dtype=np.float64)
    rows = np.arange(n_dst)
    mat[rows, s] += 1.0 - w1
    mat[rows, np.minimum(s + 1, n_src - 1)] += w1
    return mat


def _as_stack(images: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    x = np.asarray(images)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"{name} expects [N, H, W] images (or one [H, W] image), got shape {x.shape}")
    return x, single


def resize_linear(images: np.ndarray, size: int = 16) -> np.ndarray:
    """Resize ``[N, H, W]`` images to ``[N, size, size]`` float64, as cv2.resize INTER_LINEAR.

    Half-pixel centres, edge clamping; the horizontal pass, then the
    vertical one, each as one matrix product over a block of images. A single ``[H, W]`` image
    gives ``[size, size]``. Equal to OpenCV up to float64 rounding (about 1e-16).
    """
    x, single = _as_stack(images, "resize_linear")
    size = int(size)
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    n, h, w = x.shape
    if (h, w) == (size, size):
        out = x.astype(np.float64)  # cv2.resize to the same size is a copy
    else:
        wx = _linear_matrix(w, size).T  # [W, size]
        wy = _linear_matrix(h, size).T  # [H, size]
        out = np.empty((n, size, size), dtype=np.float64)
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            block = x[a:b].astype(np.float64).reshape(-1, w) @ wx  # [(b-a)*H, size]
            block = block.reshape(b - a, h, size).transpose(0, 2, 1).reshape(-1, h) @ wy
            out[a:b] = block.reshape(b - a, size, size).transpose(0, 2, 1)
    return out[0] if single else out


def _moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(m00, mu11, mu02) per image of ``[N, H, W]`` float64, as cv2.moments (non-binary)."""
    n, h, w = x.shape
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    row0 = x.sum(axis=2)  # [N, H]: sum_x I
    row1 = x @ xs  # [N, H]: sum_x x I
    m00 = row0.sum(axis=1)
    m01 = row0 @ ys
    m02 = row0 @ (ys * ys)
    m11 = row1 @ ys
    m10 = row1.sum(axis=1)
    big = np.abs(m00) > np.finfo(np.float64).eps
    cy = np.divide(m01, m00, out=np.zeros_like(m00), where=big)
    mu11 = m11 - m10 * cy
    mu02 = m02 - m01 * cy
    return m00, mu11, mu02


def _shear_rows(x: np.ndarray, skew: np.ndarray) -> np.ndarray:
    """warpAffine(x, float32([[1, skew, -H/2*skew], [0, 1, 0]]), WARP_INVERSE_MAP|INTER_LINEAR)."""
    n, h, w = x.shape
    # The reference builds M with np.float32; OpenCV then converts it to double.
    m1 = skew.astype(np.float32).astype(np.float64)
    m2 = (-0.5 * h * skew).astype(np.float32).astype(np.float64)
    ys = np.arange(h, dtype=np.float64)
    # WarpAffineInvoker: X0 = cvRound((M1*y + M2) * AB_SCALE) + round_delta; source x of output
    # column c is (X0 + c*AB_SCALE) >> (AB_BITS - INTER_BITS) in 1/32 pixels. As c*AB_SCALE is a
    # multiple of 32, every output pixel of a row has the same fraction and the integer part
    # grows by exactly one per column: each row is shifted by (base + frac/32) pixels.
    x0 = np.rint(np.clip((m1[:, None] * ys[None, :] + m2[:, None]) * _AB_SCALE, -2.0**40, 2.0**40))
    x0 = x0.astype(np.int64)  # (the clip only guards against absurd skews; OpenCV saturates)
    q = (x0 + _ROUND_DELTA) >> (_AB_BITS - _INTER_BITS)  # [N, H], floor shift
    base = q >> _INTER_BITS
    frac = (q & (_INTER_TAB_SIZE - 1)).astype(np.float64) / _INTER_TAB_SIZE
    # Out-of-image pixels read as 0 (BORDER_CONSTANT): pad one zero column on each side
    # (source column s is padded column s + 1; anything beyond the pads reads a pad).
    padded = np.zeros((n, h, w + 2), dtype=np.float64)
    padded[:, :, 1:-1] = x
    cols = np.clip(base, -w - 2, w + 2)[:, :, None] + np.arange(w)  # [N, H, W]
    v0 = np.take_along_axis(padded, np.clip(cols + 1, 0, w + 1), axis=2)
    v1 = np.take_along_axis(padded, np.clip(cols + 2, 0, w + 1), axis=2)
    f = frac[:, :, None]
    return v0 * (1.0 - f) + v1 * f


def deskew(images: np.ndarray) -> np.ndarray:
    """Moment deskew of ``[N, H, W]`` float images, as the reference WANN (OpenCV) deskew.

    Per image: ``skew = mu11 / mu02`` from the image moments (cv2.moments), then
    ``cv2.warpAffine(img, float32([[1, skew, -0.5*H*skew], [0, 1, 0]]), (W, H),
    flags=WARP_INVERSE_MAP | INTER_LINEAR)``: output pixel (x, y) samples row y of the input at
    ``x + skew*y - 0.5*H*skew``, rounded to OpenCV's 1/32-pixel fixed point, linearly
    interpolated, zero outside the image. Images with ``|mu02| < 1e-2`` are returned unchanged.
    Returns float64. (The reference only used square images; here H is the number of rows.)
    """
    x, single = _as_stack(images, "deskew")
    x = x.astype(np.float64)  # a copy: unchanged images are returned as they are
    n = x.shape[0]
    for a in range(0, n, _CHUNK):
        block = x[a : a + _CHUNK]
        _, mu11, mu02 = _moments(block)
        todo = np.flatnonzero(np.abs(mu02) >= 1e-2)
        if todo.size:
            block[todo] = _shear_rows(block[todo], mu11[todo] / mu02[todo])
    return x[0] if single else x


def preprocess(images_uint8: np.ndarray, size: int = 16) -> np.ndarray:
    """Reference WANN preprocessing: pixels/255 -> resize to size x size -> deskew -> flatten.

    Returns float64 ``[N, size*size]``. (``load_mnist(size=28)`` does *not* call this: it returns
    plain pixels/255.)
    """
    x, _ = _as_stack(images_uint8, "preprocess")
    n = x.shape[0]
    out = np.empty((n, int(size) * int(size)), dtype=np.float64)
    for a in range(0, n, _CHUNK):
        block = x[a : a + _CHUNK].astype(np.float64) / 255.0
        out[a : a + _CHUNK] = deskew(resize_linear(block, size)).reshape(block.shape[0], -1)
    return out


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
