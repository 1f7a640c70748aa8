"""envs.mnist: IDX parsing, clear errors, OpenCV-equal preprocessing, deskew quality, cache."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from envs import mnist
from envs.mnist import (
    ENV_VAR,
    FILES,
    MnistDataError,
    deskew,
    load_mnist,
    load_raw,
    preprocess,
    read_idx,
    resize_linear,
    resolve_data_dir,
)

REPO = Path(__file__).resolve().parents[1]

# Standard facts of MNIST: images per digit 0..9.
TRAIN_HIST = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_HIST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

N_CMP = 300  # real images compared with OpenCV


@pytest.fixture(scope="module")
def train(mnist_dir):
    return load_raw(mnist_dir, "train")


@pytest.fixture(scope="module")
def sample(train):
    """N_CMP training images, fixed choice."""
    idx = np.random.default_rng(1234).choice(len(train[1]), N_CMP, replace=False)
    return train[0][idx]


def write_idx(path: Path, data: bytes | np.ndarray, magic: int = 0x803, dims=None, gz=False) -> Path:
    """An IDX file with the given header; payload may disagree with it on purpose."""
    arr = np.asarray(data, dtype=np.uint8)
    dims = arr.shape if dims is None else dims
    blob = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in dims) + arr.tobytes()
    path.write_bytes(gzip.compress(blob) if gz else blob)
    return path


def fake_folder(folder: Path, n_img=5, n_lab=5) -> Path:
    """A folder with the four file names holding tiny synthetic data."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in FILES:
        img_name, lab_name = FILES[split]
        write_idx(folder / img_name, rng.integers(0, 256, (n_img, 28, 28)), 0x803)
        write_idx(folder / (lab_name + ".gz"), rng.integers(0, 10, n_lab), 0x801, gz=True)
    return folder


# ----------------------------------------------------------------------------- IDX parsing


def test_train_and_test_counts_shapes_and_label_histograms(mnist_dir, train):
    images, labels = train
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == TRAIN_HIST
    assert images.min() == 0 and images.max() == 255
    t_images, t_labels = load_raw(mnist_dir, "test")
    assert t_images.shape == (10000, 28, 28) and t_labels.shape == (10000,)
    assert np.bincount(t_labels, minlength=10).tolist() == TEST_HIST
    assert images.flags.writeable


def test_raw_and_gz_files_read_the_same(mnist_dir, tmp_path):
    gz = mnist_dir / "t10k-labels-idx1-ubyte.gz"
    raw = tmp_path / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress(gz.read_bytes()))
    a, b = read_idx(gz), read_idx(raw)
    assert np.array_equal(a, b) and a.shape == (10000,)
    # detection is by content, not by file name
    renamed = tmp_path / "labels.bin"
    renamed.write_bytes(gz.read_bytes())
    assert np.array_equal(read_idx(renamed), a)


def test_synthetic_idx_round_trip(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a", arr)), arr)
    assert np.array_equal(read_idx(write_idx(tmp_path / "b.gz", arr, gz=True)), arr)


# ----------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_is_rejected_naming_it(tmp_path, gz):
    arr = np.zeros((10, 28, 28), np.uint8)
    path = write_idx(tmp_path / "imgs", arr, gz=gz)
    path.write_bytes(path.read_bytes()[:-50])  # cut the payload (or the gzip stream)
    with pytest.raises(MnistDataError, match="imgs") as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_header_larger_than_payload_and_extra_bytes_rejected(tmp_path):
    short = write_idx(tmp_path / "short", np.zeros((3, 28, 28)), dims=(4, 28, 28))
    with pytest.raises(MnistDataError, match="truncated"):
        read_idx(short)
    extra = tmp_path / "extra"
    extra.write_bytes(write_idx(tmp_path / "tmp", np.zeros(7), 0x801).read_bytes() + b"\0")
    with pytest.raises(MnistDataError, match="extra bytes"):
        read_idx(extra)
    header_only = tmp_path / "header_only"
    header_only.write_bytes((0x803).to_bytes(4, "big") + (5).to_bytes(4, "big"))
    with pytest.raises(MnistDataError, match="header"):
        read_idx(header_only)


@pytest.mark.parametrize("magic", [0x0802, 0x0804, 0x0D03, 0x12345678])
def test_wrong_magic_is_rejected(tmp_path, magic):
    path = write_idx(tmp_path / "weird", np.zeros(16), magic=magic, dims=(16,))
    with pytest.raises(MnistDataError, match="magic") as err:
        read_idx(path)
    assert str(path) in str(err.value) and f"{magic:08x}" in str(err.value)


def test_non_gzip_garbage_with_gz_magic_is_rejected(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    with pytest.raises(MnistDataError, match="bad.gz"):
        read_idx(path)


def test_missing_folder_names_folder_files_and_fixes(tmp_path):
    missing = tmp_path / "no_such_dir"
    with pytest.raises(MnistDataError) as err:
        resolve_data_dir(missing)
    msg = str(err.value)
    assert str(missing) in msg
    for name in [n for pair in FILES.values() for n in pair]:
        assert name in msg
    assert "--data-dir" in msg and ENV_VAR in msg and "task.data_dir" in msg


def test_missing_one_file_is_named(tmp_path):
    folder = fake_folder(tmp_path / "mnist")
    (folder / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(MnistDataError, match="lacks t10k-images-idx3-ubyte") as err:
        load_raw(folder, "train")
    assert str(folder) in str(err.value)


def test_no_folder_given_and_no_env_var(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(MnistDataError) as err:
        resolve_data_dir(None)
    msg = str(err.value)
    assert "--data-dir" in msg and ENV_VAR in msg and "task.data_dir" in msg
    assert "train-images-idx3-ubyte" in msg


def test_env_var_is_used_and_named_when_wrong(monkeypatch, mnist_dir, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(mnist_dir))
    assert resolve_data_dir(None) == mnist_dir
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere"))
    with pytest.raises(MnistDataError, match=ENV_VAR):
        resolve_data_dir(None)


def test_count_mismatch_and_swapped_files_rejected(tmp_path):
    folder = fake_folder(tmp_path / "m", n_img=5, n_lab=4)
    with pytest.raises(MnistDataError, match="5 images but .* 4"):
        load_raw(folder, "test")
    ok = fake_folder(tmp_path / "ok")
    assert load_raw(ok, "test")[0].shape == (5, 28, 28)
    img, lab = FILES["test"]
    (ok / img).rename(ok / "tmp")
    (ok / (lab + ".gz")).rename(ok / (img + ".gz"))
    (ok / "tmp").rename(ok / lab)
    with pytest.raises(MnistDataError, match="swapped"):
        load_raw(ok, "test")
    with pytest.raises(MnistDataError, match="split"):
        load_raw(ok, "validation")


# ----------------------------------------------------------------------------- preprocessing


def cv2_reference(cv2, images_uint8: np.ndarray, size: int) -> np.ndarray:
    """The reference WANN code (classify_gym.py): resize, then deskew, one image at a time."""

    def ref_deskew(image, shape):
        m = cv2.moments(image)
        if abs(m["mu02"]) < 1e-2:
            return image.copy()
        skew = m["mu11"] / m["mu02"]
        M = np.float32([[1, skew, -0.5 * shape[0] * skew], [0, 1, 0]])
        return cv2.warpAffine(image, M, shape, flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)

    z = images_uint8 / 255
    return np.stack([ref_deskew(cv2.resize(im, (size, size)), (size, size)) for im in z])


def test_preprocess_equals_opencv_reference(sample):
    cv2 = pytest.importorskip("cv2")
    ours = preprocess(sample, 16)
    assert ours.shape == (N_CMP, 256) and ours.dtype == np.float64
    ref = cv2_reference(cv2, sample, 16).reshape(N_CMP, 256)
    assert np.abs(ours - ref).max() < 1e-6  # measured: ~3e-16
    assert np.allclose(ours.reshape(-1, 16, 16), deskew(resize_linear(sample / 255.0, 16)), atol=0)


@pytest.mark.parametrize("size", [16, 20, 8, 40])
def test_resize_equals_cv2_resize(sample, size):
    cv2 = pytest.importorskip("cv2")
    z = sample[:60] / 255.0
    ours = resize_linear(z, size)
    ref = np.stack([cv2.resize(im, (size, size)) for im in z])
    assert ours.shape == (60, size, size)
    assert np.abs(ours - ref).max() < 1e-6  # measured: ~1e-15
    assert np.array_equal(resize_linear(z[0], size), ours[0])  # single image


def test_deskew_on_28x28_equals_opencv(sample):
    """The reference mnist_784 deskews at 28x28 (no resize): same code path at another size."""
    cv2 = pytest.importorskip("cv2")
    z = sample[:100]
    ref = cv2_reference(cv2, z, 28)
    assert np.abs(deskew(z / 255.0) - ref).max() < 1e-6


def central_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mu11, mu02 per image, straight from the definition (independent of envs.mnist)."""
    h, w = x.shape[1:]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    m00 = x.sum(axis=(1, 2))
    cx = (x * xx).sum(axis=(1, 2)) / m00
    cy = (x * yy).sum(axis=(1, 2)) / m00
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    return (x * dx * dy).sum(axis=(1, 2)), (x * dy * dy).sum(axis=(1, 2))


def test_deskewed_images_have_near_zero_mu11(sample):
    resized = resize_linear(sample / 255.0, 16)
    mu11_before, _ = central_moments(resized)
    mu11_after, mu02_after = central_moments(deskew(resized))
    # Tolerance relative to the original: the mean |mu11| falls below 2 % of its value before
    # (measured on all 60000 training images: 74.1 -> 0.27, i.e. 0.4 %); what is left comes
    # from OpenCV's 1/32-pixel coordinates and ink sheared past the image border.
    assert np.abs(mu11_after).mean() < 0.02 * np.abs(mu11_before).mean()
    # and per image: at least 95 % of the images keep less than 10 % of their |mu11|
    assert np.mean(np.abs(mu11_after) <= 0.1 * np.abs(mu11_before)) >= 0.95
    # residual skew mu11/mu02 is small everywhere (measured max over the training set: 0.094)
    assert np.max(np.abs(mu11_after) / mu02_after) < 0.15


def test_deskew_leaves_flat_and_blank_images_unchanged():
    flat = np.zeros((2, 16, 16))
    flat[0, 7, 3:12] = 1.0  # one row of ink: mu02 = 0
    out = deskew(flat)
    assert np.array_equal(out, flat)


def test_deskew_straightens_a_slanted_bar():
    img = np.zeros((16, 16))
    for y in range(2, 14):
        img[y, 4 + y // 2] = 1.0  # slope 1/2 to the right going down
    mu11_before, _ = central_moments(img[None])
    mu11_after, _ = central_moments(deskew(img)[None])
    assert mu11_before[0] > 5 and abs(mu11_after[0]) < 0.05 * mu11_before[0]
    assert np.isclose(deskew(img).sum(), img.sum())  # no ink pushed out


# ----------------------------------------------------------------------------- load_mnist + cache


def test_load_mnist_16_is_cached_and_identical(mnist_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    X, y = load_mnist(mnist_dir, "test", 16, cache_dir=cache)
    assert X.shape == (10000, 256) and X.dtype == np.float64
    assert y.dtype == np.int64 and np.bincount(y).tolist() == TEST_HIST
    path = mnist.cache_path(mnist_dir, "test", 16, cache)
    assert path.is_file() and path.suffix == ".npz"
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temp file left behind
    with np.load(path, allow_pickle=False) as z:  # plain arrays, no pickle
        assert set(z.files) == {"X", "y"}

    images, labels = load_raw(mnist_dir, "test")
    assert np.array_equal(X, preprocess(images, 16)) and np.array_equal(y, labels)

    # the second load must come from the cache: reading the IDX files now fails
    def no_raw(*args, **kwargs):
        raise AssertionError("IDX files read again despite the cache")

    monkeypatch.setattr(mnist, "load_raw", no_raw)
    X2, y2 = load_mnist(mnist_dir, "test", 16, cache_dir=cache)
    assert np.array_equal(X2, X) and np.array_equal(y2, y) and X2.dtype == X.dtype


def test_load_mnist_28_is_plain_pixels(mnist_dir, tmp_path):
    X, y = load_mnist(mnist_dir, "test", 28, cache_dir=tmp_path)
    images, labels = load_raw(mnist_dir, "test")
    assert X.shape == (10000, 784) and X.dtype == np.float64
    assert np.array_equal(X, images.reshape(10000, 784) / 255)
    assert np.array_equal(y, labels.astype(np.int64))
    X2, _ = load_mnist(mnist_dir, "test", 28, cache_dir=tmp_path)
    assert np.array_equal(X, X2)


def test_cache_dir_from_env_and_rebuilt_when_corrupt(mnist_dir, tmp_path, monkeypatch):
    folder = fake_folder(tmp_path / "m")
    monkeypatch.setenv("WANN_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv(ENV_VAR, str(folder))
    X, y = load_mnist(split="train", size=16)
    path = mnist.cache_path(None, "train", 16)
    assert path.parent == tmp_path / "c" / "mnist" and path.is_file()
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="cache"):
        X2, y2 = load_mnist(split="train", size=16)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    with np.load(path, allow_pickle=False) as z:
        assert np.array_equal(z["X"], X)


def test_cache_key_follows_the_source_files(tmp_path):
    folder = fake_folder(tmp_path / "m")
    first = mnist.cache_path(folder, "test", 16, tmp_path / "c")
    img = folder / FILES["test"][0]
    st = img.stat()
    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert mnist.cache_path(folder, "test", 16, tmp_path / "c") != first
    assert mnist.cache_path(folder, "test", 28, tmp_path / "c") != first


def test_unwritable_cache_warns_and_still_loads(tmp_path):
    folder = fake_folder(tmp_path / "m")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="cannot write the MNIST cache"):
        X, y = load_mnist(folder, "test", 16, cache_dir=blocker / "sub")
    assert X.shape == (5, 256) and y.shape == (5,)


def test_envs_mnist_does_not_import_wann():
    code = "import sys, envs.mnist; assert not any(m == 'wann' or m.startswith('wann.') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
