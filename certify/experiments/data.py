"""Real data, offline (Section 3.3, Appendices B-C).

* :func:`digits`: scikit-learn's 8x8 digits, shipped with scikit-learn (no download).
* :func:`load_images`: MNIST in the idx format (``train-images-idx3-ubyte`` and
  ``train-labels-idx1-ubyte``, optionally gzipped) or any ``.npz`` with an image array and a
  label array (CIFAR-10 converted to npz, for instance), read from a path the user gives.
  Nothing is ever downloaded.

Images are standardised as in Appendices B and C: every pixel is mapped to (x - mu)/sigma with
mu and sigma the mean and standard deviation of all pixel values of the data set (one scalar
each; the paper's x/255 first is a rescaling that this standardisation absorbs).  Data come out
as the paper's X, one column per point (d_in x N), with one-hot targets (classes x N).
"""

from __future__ import annotations

import gzip
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from certify.core.errors import InputError
from certify.core.instances import npy_header
from certify.core.limits import env_limit

# --- limits on files the user hands to ``certify figures --data`` --------------------------------------
#: the most bytes an image or label array may hold as stored (the idx header's or the npy header's
#: shape times the item size), checked before anything is decompressed or allocated.  MNIST's training
#: images are 47 MB and CIFAR-10's 150 MB as uint8 (600 MB as float32).  Raise it with the environment
#: variable when the machine has the memory (the arrays are read whole, then a subset is converted).
MAX_DATA_BYTES = 2**30
MAX_DATA_BYTES_ENV = "CERTIFY_MAX_DATA_BYTES"
#: the most values (points x pixels) trained on after --points and --grayscale: 1 GiB as float64, each
#: copy.  All of MNIST (47M) and all of CIFAR-10 in grayscale (51M) fit; use --points for more.
MAX_TRAIN_VALUES = 2**27
#: labels must be integers in [0, MAX_CLASSES): the targets are one-hot rows, one per class up to the
#: largest label (MNIST and CIFAR-10 have 10 classes, CIFAR-100 100)
MAX_CLASSES = 1000
#: idx files (and their gzip) are read in pieces of this many bytes
READ_CHUNK = 2**20


@dataclass(frozen=True)
class Dataset:
    """Standardised inputs X (d_in x N), integer labels, and a name for reports."""

    X: np.ndarray
    labels: np.ndarray
    name: str
    n_classes: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> np.ndarray:
        """One-hot targets, n_classes x N."""
        return np.eye(self.n_classes)[self.labels].T

    @property
    def n_points(self) -> int:
        return int(self.X.shape[1])


def standardise(images: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(x - mu)/sigma with the data set's scalar pixel mean and standard deviation (Appendix B)."""
    images = np.asarray(images, dtype=np.float64)
    # (x - mu)/sigma does not change when x is scaled, so compute it on x/max|x| (a power of two): no sum
    # of squares overflows for pixels near 1e300 nor underflows for subnormal ones
    big = float(np.max(np.abs(images))) if images.size else 0.0
    e = math.frexp(big)[1] if big > 0 and math.isfinite(big) else 0
    scaled = np.ldexp(images, -e)
    mu_s, sigma_s = float(scaled.mean()), float(scaled.std())
    if not sigma_s > 0:
        raise InputError("the images are constant: they cannot be standardised (standard deviation 0)")
    return (scaled - mu_s) / sigma_s, math.ldexp(mu_s, e), math.ldexp(sigma_s, e)


def _subset_index(N: int, n_points: int | None, seed: int) -> np.ndarray | None:
    """The sorted indices of a seeded subset of ``n_points`` of N points (None: all of them)."""
    if n_points is not None and n_points < 1:
        raise InputError(f"the number of points must be positive, got {n_points}")
    if n_points is None or n_points >= N:
        return None
    return np.sort(np.random.default_rng(seed).choice(N, size=n_points, replace=False))


def _finish(images: np.ndarray, labels: np.ndarray, name: str, n_points: int | None, seed: int,
            meta: dict[str, Any], grayscale: bool = False) -> Dataset:
    """Check, subset (before any float copy), average the colour channels if asked, standardise."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise InputError(f"{name}: labels must be integers, got dtype {labels.dtype}")
    labels = labels.ravel()
    if images.shape[0] != labels.shape[0]:
        raise InputError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    if images.shape[0] == 0 or images.size == 0:
        raise InputError(f"{name}: no images (shape {images.shape})")
    low, high = labels.min(), labels.max()  # in the stored dtype: uint64 labels above 2^63 stay what they are
    if low < 0 or high >= MAX_CLASSES:
        raise InputError(f"{name}: labels must be integers in [0, {MAX_CLASSES}) (one-hot targets, one row per "
                         f"class), got {int(low)}..{int(high)}")
    n_classes = int(high) + 1
    idx = _subset_index(images.shape[0], n_points, seed)
    if idx is not None:
        images, labels = images[idx], labels[idx]
    labels = labels.astype(np.int64)  # after the subset: eight bytes a label only for the points kept
    values = images.size // (images.shape[-1] if grayscale and images.ndim == 4 else 1)
    if values > MAX_TRAIN_VALUES:
        raise InputError(f"{name}: {images.shape[0]} points x {values // images.shape[0]} values is beyond the "
                         f"limit of {MAX_TRAIN_VALUES} values trained on; use --points (or --grayscale)")
    with np.errstate(over="ignore"):
        images = np.asarray(images, dtype=np.float64)
    if not np.all(np.isfinite(images)):
        raise InputError(f"{name}: the images have entries that are not finite float64 numbers")
    if grayscale:
        images = images.mean(axis=-1)
    images = images.reshape(images.shape[0], -1)
    Xs, mu, sigma = standardise(images)
    meta = dict(meta, pixel_mean=mu, pixel_std=sigma, n_points=int(labels.size), d_in=int(Xs.shape[1]),
                subset_seed=seed if idx is not None else None)
    return Dataset(X=np.ascontiguousarray(Xs.T), labels=labels, name=name, n_classes=n_classes, meta=meta)


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 x 64 pixels and labels of scikit-learn's digits.  The file ships inside scikit-learn;
    it is read directly, which spares the seconds that importing ``sklearn`` takes."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            data = np.loadtxt(path, delimiter=",")
            return data[:, :-1], data[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits  # pragma: no cover - unusual installs

    d = load_digits()  # pragma: no cover
    return d.data, d.target  # pragma: no cover


def digits(n_points: int | None = None, seed: int = 0) -> Dataset:
    """scikit-learn's digits (1797 images of 8x8 pixels, 10 classes), standardised; ``n_points``
    draws a subset with ``seed``."""
    images, labels = _digits_arrays()
    return _finish(images, labels, "digits", n_points, seed, {"source": "scikit-learn's digits (load_digits)"})


# --- files on disk -----------------------------------------------------------------------------

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def max_data_bytes() -> int:
    """MAX_DATA_BYTES, or the value of the environment variable MAX_DATA_BYTES_ENV."""
    return env_limit(MAX_DATA_BYTES_ENV, MAX_DATA_BYTES)


def _too_big(p: Path, shape: tuple[int, ...], dtype: np.dtype, limit: int) -> InputError:
    need = math.prod(shape) * dtype.itemsize
    return InputError(f"{p}: the header declares shape {shape} of {dtype} ({need} bytes), beyond the limit of "
                      f"{limit} bytes; raise {MAX_DATA_BYTES_ENV} if the machine has the memory")


def _read_exactly(fh: Any, n: int) -> bytearray:
    """n bytes in pieces of READ_CHUNK (so a lying header costs no more than what the file holds)."""
    out = bytearray()
    while len(out) < n:
        piece = fh.read(min(READ_CHUNK, n - len(out)))
        if not piece:
            break
        out += piece
    return out


def read_idx(path: str | Path) -> np.ndarray:
    """An array in the idx format of the MNIST files (magic 0 0 type ndim, big-endian sizes), gzipped or not.

    The declared shape is checked against :data:`MAX_DATA_BYTES` before the data are read, and the data are
    read in bounded pieces, so neither a lying header nor a gzip bomb allocates more than the limit."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    limit = max_data_bytes()
    gz = False
    try:
        with open(p, "rb") as raw_fh:
            gz = raw_fh.read(2) == b"\x1f\x8b"
            raw_fh.seek(0)
            fh: Any = gzip.GzipFile(fileobj=raw_fh, mode="rb") if gz else raw_fh
            head = _read_exactly(fh, 4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0:
                raise InputError(f"{p}: not an idx file (bad magic number)")
            dtype = _IDX_TYPES.get(head[2])
            ndim = head[3]
            if dtype is None or ndim == 0:
                raise InputError(f"{p}: not an idx file (type code {head[2]:#04x}, {ndim} dimensions)")
            sizes = _read_exactly(fh, 4 * ndim)
            if len(sizes) < 4 * ndim:
                raise InputError(f"{p}: truncated idx header")
            shape = tuple(int.from_bytes(sizes[4 * i: 4 * i + 4], "big") for i in range(ndim))
            dt = np.dtype(dtype)
            need = math.prod(shape) * dt.itemsize
            if need > limit:
                raise _too_big(p, shape, dt, limit)
            body = _read_exactly(fh, need)
            extra = len(fh.read(1))
    except InputError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{p}: cannot read it{' (a damaged gzip file)' if gz else ''} "
                         f"({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    if len(body) != need or extra:
        raise InputError(f"{p}: idx header promises shape {shape} ({need} bytes of data) but the file has "
                         f"{'more' if extra else len(body)}")
    return np.frombuffer(body, dtype=dt, count=math.prod(shape)).reshape(shape)


def _npy_header(p: Path, archive: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of the member ``key`` of an .npz, from its npy header alone (nothing else is read)."""
    name = key + ".npy" if key + ".npy" in archive.namelist() else key
    try:
        return npy_header(archive, name)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise InputError(f"{p}: member {key!r} is not a readable npy array ({str(exc).splitlines()[0][:80]})") from None


_IMAGE_KEYS = ("x", "X", "images", "x_train", "data")
_LABEL_KEYS = ("y", "labels", "y_train", "targets", "target")


def _labels_path_for(images: Path) -> Path | None:
    name = images.name
    for a, b in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1"), ("images", "labels")):
        if a in name:
            cand = images.with_name(name.replace(a, b))
            if cand.exists():
                return cand
    return None


def load_images(path: str | Path, labels_path: str | Path | None = None, *, n_points: int | None = None,
                seed: int = 0, grayscale: bool = False) -> Dataset:
    """Images and labels from files the user has: an ``.npz`` (keys such as ``x``/``y`` or
    ``images``/``labels``) or an idx image file (MNIST), whose labels file is ``labels_path`` or found
    next to it by name (``...images-idx3-ubyte`` -> ``...labels-idx1-ubyte``).

    Images may be N x d, N x H x W or N x H x W x C; ``grayscale`` averages the C channels (the
    paper's CIFAR-10 network takes 1024 = 32 x 32 inputs).  Every problem is an InputError.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; give the image file (.npz or idx)")
    if p.suffix == ".npz":
        limit = max_data_bytes()
        try:
            with zipfile.ZipFile(p) as zf:
                keys = {n[:-4] if n.endswith(".npy") else n for n in zf.namelist()}
                ik = next((k for k in _IMAGE_KEYS if k in keys), None)
                lk = next((k for k in _LABEL_KEYS if k in keys), None)
                if ik is None or lk is None:
                    raise InputError(f"{p}: expected an image array ({'/'.join(_IMAGE_KEYS)}) and a label array "
                                     f"({'/'.join(_LABEL_KEYS)}); found keys {sorted(keys)[:20]}")
                for key in (ik, lk):  # refuse from the headers, before numpy allocates anything
                    shape, dtype = _npy_header(p, zf, key)
                    if dtype.hasobject:
                        raise InputError(f"{p}: array {key!r} holds Python objects (dtype {dtype}), not numbers")
                    if math.prod(shape) * dtype.itemsize > limit:
                        raise _too_big(p, shape, dtype, limit)
        except InputError:
            raise
        except (OSError, zipfile.BadZipFile, zlib.error, ValueError, EOFError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            raise InputError(f"{p}: not a readable .npz archive ({msg})") from None
        try:
            with np.load(p, allow_pickle=False) as archive:
                images, labels = archive[ik], archive[lk]
        except Exception as exc:  # numpy raises many kinds on a damaged member
            raise InputError(f"{p}: cannot read arrays {ik!r}/{lk!r} ({str(exc).splitlines()[0] if str(exc) else exc})") from None
        source = {"file": str(p), "images_key": ik, "labels_key": lk}
    else:
        images = read_idx(p)
        lp = Path(labels_path) if labels_path is not None else _labels_path_for(p)
        if lp is None:
            raise InputError(f"{p}: no labels file given and none found next to it (expected a name with "
                             "'labels-idx1' in place of 'images-idx3')")
        labels = read_idx(lp)
        source = {"file": str(p), "labels_file": str(lp)}
    if images.dtype.kind not in "fiu" or images.dtype.itemsize > 8:
        raise InputError(f"{p}: images must be real numbers of at most 64 bits, got dtype {images.dtype}")
    if np.asarray(labels).dtype.kind not in "iu":
        raise InputError(f"{p}: labels must be integers, got dtype {np.asarray(labels).dtype}")
    if images.ndim < 2:
        raise InputError(f"{p}: images must have at least 2 dimensions (N x ...), got shape {images.shape}")
    if grayscale and images.ndim != 4:
        raise InputError(f"{p}: grayscale needs N x H x W x C images, got shape {images.shape}")
    return _finish(images, np.asarray(labels), p.stem, n_points, seed, source, grayscale=grayscale)
