"""The reference WANN "MNIST-256" preprocessing in numpy: resize to 16x16, then deskew.

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
"""
from __future__ import annotations

import numpy as np

# OpenCV warpAffine fixed-point constants (imgproc/imgwarp.cpp).
_INTER_BITS = 5
_INTER_TAB_SIZE = 1 << _INTER_BITS
_AB_BITS = max(10, _INTER_BITS)
_AB_SCALE = 1 << _AB_BITS
_ROUND_DELTA = _AB_SCALE // _INTER_TAB_SIZE // 2

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
