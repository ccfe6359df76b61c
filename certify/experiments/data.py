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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from certify.errors import InputError


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
    mu = float(images.mean())
    sigma = float(images.std())
    if not sigma > 0:
        raise InputError("the images are constant: they cannot be standardised (standard deviation 0)")
    return (images - mu) / sigma, mu, sigma


def _subset(X: np.ndarray, labels: np.ndarray, n_points: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    N = X.shape[0]
    if n_points is None or n_points >= N:
        return X, labels
    if n_points < 1:
        raise InputError(f"the number of points must be positive, got {n_points}")
    idx = np.sort(np.random.default_rng(seed).choice(N, size=n_points, replace=False))
    return X[idx], labels[idx]


def _finish(images: np.ndarray, labels: np.ndarray, name: str, n_points: int | None, seed: int,
            meta: dict[str, Any]) -> Dataset:
    images = images.reshape(images.shape[0], -1)
    labels = np.asarray(labels).astype(np.int64).ravel()
    if images.shape[0] != labels.shape[0]:
        raise InputError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    if images.shape[0] == 0:
        raise InputError(f"{name}: no images")
    if labels.min() < 0:
        raise InputError(f"{name}: labels must be non-negative integers")
    if not np.all(np.isfinite(images)):
        raise InputError(f"{name}: the images have non-finite entries")
    n_classes = int(labels.max()) + 1
    images, labels = _subset(images, labels, n_points, seed)
    Xs, mu, sigma = standardise(images)
    meta = dict(meta, pixel_mean=mu, pixel_std=sigma, n_points=int(labels.size), d_in=int(Xs.shape[1]),
                subset_seed=seed if n_points is not None else None)
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


def _open_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: a damaged gzip file ({exc})") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """An array in the idx format of the MNIST files (magic 0 0 type ndim, big-endian sizes)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    raw = _open_bytes(p)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InputError(f"{p}: not an idx file (bad magic number)")
    dtype = _IDX_TYPES.get(raw[2])
    ndim = raw[3]
    if dtype is None or ndim == 0:
        raise InputError(f"{p}: not an idx file (type code {raw[2]:#04x}, {ndim} dimensions)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{p}: truncated idx header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dt = np.dtype(dtype)
    need = int(np.prod(shape)) * dt.itemsize
    if len(raw) - header != need:
        raise InputError(f"{p}: idx header promises shape {shape} ({need} bytes of data) but the file has "
                         f"{len(raw) - header}")
    return np.frombuffer(raw, dtype=dt, count=int(np.prod(shape)), offset=header).reshape(shape)


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
        try:
            archive = np.load(p, allow_pickle=False)
        except Exception as exc:  # numpy raises many kinds on a file that is not an archive
            raise InputError(f"{p}: not a readable .npz archive ({str(exc).splitlines()[0] if str(exc) else exc})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise InputError(f"{p}: a single array, not an .npz archive with images and labels")
        with archive:
            keys = set(archive.files)
            ik = next((k for k in _IMAGE_KEYS if k in keys), None)
            lk = next((k for k in _LABEL_KEYS if k in keys), None)
            if ik is None or lk is None:
                raise InputError(f"{p}: expected an image array ({'/'.join(_IMAGE_KEYS)}) and a label array "
                                 f"({'/'.join(_LABEL_KEYS)}); found keys {sorted(keys)}")
            try:
                images, labels = archive[ik], archive[lk]
            except Exception as exc:
                raise InputError(f"{p}: cannot read arrays {ik!r}/{lk!r} ({exc})") from None
        source = {"file": str(p), "images_key": ik, "labels_key": lk}
    else:
        images = read_idx(p)
        lp = Path(labels_path) if labels_path is not None else _labels_path_for(p)
        if lp is None:
            raise InputError(f"{p}: no labels file given and none found next to it (expected a name with "
                             "'labels-idx1' in place of 'images-idx3')")
        labels = read_idx(lp)
        source = {"file": str(p), "labels_file": str(lp)}
    if images.dtype.kind not in "fiu":
        raise InputError(f"{p}: images must be numbers, got dtype {images.dtype}")
    if np.asarray(labels).dtype.kind not in "iu":
        raise InputError(f"{p}: labels must be integers, got dtype {np.asarray(labels).dtype}")
    if images.ndim < 2:
        raise InputError(f"{p}: images must have at least 2 dimensions (N x ...), got shape {images.shape}")
    if grayscale:
        if images.ndim != 4:
            raise InputError(f"{p}: grayscale needs N x H x W x C images, got shape {images.shape}")
        images = images.astype(np.float64).mean(axis=-1)
    return _finish(np.asarray(images, dtype=np.float64), np.asarray(labels), p.stem, n_points, seed, source)
