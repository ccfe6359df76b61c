"""Instances on disk: a network, its data X and cost gradient G (paper, Section 2).

File format (``.npz``, written by :func:`save_instance`, read with
``allow_pickle=False``):

========  =====================  ==============================================
key       shape                  meaning
========  =====================  ==============================================
``X``     d_in x N               data, one column per point
``G``     d_out x N              cost gradient grad C(0) at the outputs
``W1``    n_1 x d_in             first weight matrix
``Wl``    n_l x n_{l-1}          ... consecutive keys W1..WL, no gaps
``meta``  0-d string (optional)  JSON object: ``name``, ``description``,
                                 ``claimed_speed``, ``source``, ...
========  =====================  ==============================================

All arrays are real (float or integer), two-dimensional, non-empty and finite.
The shapes must chain: W1 has d_in columns, W_{l+1} has as many columns as W_l
has rows, W_L has d_out rows.  No other keys are accepted, so a misspelt key is
an error rather than silently ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from certify.errors import InstanceError

_WEIGHT_KEY = re.compile(r"^W([1-9][0-9]*)$")


@dataclass(frozen=True)
class Instance:
    """A network (weights), data X and cost gradient G."""

    X: np.ndarray
    G: np.ndarray
    weights: tuple[np.ndarray, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def name(self) -> str:
        if "name" in self.meta:
            return str(self.meta["name"])
        return self.path.stem if self.path is not None else "<unnamed>"

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def widths(self) -> list[int]:
        """n_0 = d_in, n_1, ..., n_L = d_out."""
        return [self.X.shape[0]] + [W.shape[0] for W in self.weights]


def _where(path: Path | None) -> str:
    return f"{path}: " if path is not None else ""


def validate(inst: Instance, *, require_nonzero_G: bool = False) -> Instance:
    """Check shapes, finiteness and non-emptiness; raise :class:`InstanceError`."""
    where = _where(inst.path)
    arrays = {"X": inst.X, "G": inst.G}
    arrays.update({f"W{l}": W for l, W in enumerate(inst.weights, start=1)})
    if not inst.weights:
        raise InstanceError(f"{where}no weight matrices (expected keys W1, W2, ...)")
    for key, a in arrays.items():
        if a.ndim != 2:
            raise InstanceError(f"{where}{key} must be a 2-D array, got shape {a.shape}")
        if a.dtype.kind not in "fiu":
            raise InstanceError(f"{where}{key} must hold real numbers, got dtype {a.dtype}")
        if a.size == 0:
            raise InstanceError(f"{where}{key} is empty (shape {a.shape})")
        if not np.all(np.isfinite(a)):
            raise InstanceError(f"{where}{key} has non-finite entries (NaN or Inf)")
    d_in, N = inst.X.shape
    if inst.G.shape[1] != N:
        raise InstanceError(f"{where}G has {inst.G.shape[1]} columns but X has {N} data points")
    cols = d_in
    for l, W in enumerate(inst.weights, start=1):
        if W.shape[1] != cols:
            prev = "X has" if l == 1 else f"W{l - 1} has"
            n = "rows" if l == 1 else "rows"
            raise InstanceError(
                f"{where}shapes do not chain: W{l} is {W.shape[0]}x{W.shape[1]} but {prev} {cols} {n}"
            )
        cols = W.shape[0]
    if inst.G.shape[0] != cols:
        raise InstanceError(
            f"{where}G has {inst.G.shape[0]} rows but the network outputs {cols} (rows of W{inst.depth})"
        )
    if require_nonzero_G and not np.any(inst.G):
        raise InstanceError(f"{where}G is all zero: no escape speed s > 0 is possible")
    return inst


def load_instance(path: str | Path, *, require_nonzero_G: bool = False) -> Instance:
    """Read and validate an instance file; every failure is an :class:`InstanceError`."""
    p = Path(path)
    return _from_arrays(_read_archive(p), p, require_nonzero_G)


def load_data(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """X, G and meta of a file in the instance format whose weights are optional (and ignored)."""
    p = Path(path)
    contents = _read_archive(p)
    where = _where(p)
    for key in ("X", "G"):
        if key not in contents:
            raise InstanceError(f"{where}missing array {key!r}")
    for key in contents:
        if key not in ("X", "G", "meta") and not _WEIGHT_KEY.match(key):
            raise InstanceError(f"{where}unexpected array {key!r} (allowed: X, G, W1..WL, meta)")
    X, G = np.asarray(contents["X"]), np.asarray(contents["G"])
    for key, a in (("X", X), ("G", G)):
        if a.ndim != 2 or a.dtype.kind not in "fiu" or a.size == 0 or not np.all(np.isfinite(a)):
            raise InstanceError(f"{where}{key} must be a non-empty 2-D array of finite real numbers")
    if G.shape[1] != X.shape[1]:
        raise InstanceError(f"{where}G has {G.shape[1]} columns but X has {X.shape[1]} data points")
    meta = _parse_meta(contents["meta"], where) if "meta" in contents else {}
    return X.astype(np.float64), G.astype(np.float64), meta


def _read_archive(p: Path) -> dict[str, np.ndarray]:
    if not p.exists():
        raise InstanceError(f"{p}: no such file")
    if p.is_dir():
        raise InstanceError(f"{p}: is a directory, not an .npz file")
    try:
        data = np.load(p, allow_pickle=False)
    except Exception as exc:  # numpy raises many kinds on a file that is not an archive
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InstanceError(f"{p}: not a readable .npz archive ({msg})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise InstanceError(f"{p}: a single .npy array, not an .npz archive of X, G, W1..WL")
    try:
        with data:
            contents = {k: data[k] for k in data.files}
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InstanceError(f"{p}: damaged .npz archive ({msg})") from None
    return contents


def _from_arrays(contents: dict[str, np.ndarray], p: Path | None, require_nonzero_G: bool) -> Instance:
    where = _where(p)
    for key in ("X", "G"):
        if key not in contents:
            raise InstanceError(f"{where}missing array {key!r}")
    layers: dict[int, np.ndarray] = {}
    meta: dict[str, Any] = {}
    for key, a in contents.items():
        m = _WEIGHT_KEY.match(key)
        if m:
            layers[int(m.group(1))] = a
        elif key == "meta":
            meta = _parse_meta(a, where)
        elif key not in ("X", "G"):
            raise InstanceError(f"{where}unexpected array {key!r} (allowed: X, G, W1..WL, meta)")
    L = len(layers)
    if sorted(layers) != list(range(1, L + 1)):
        raise InstanceError(f"{where}weight keys must be W1..W{L} without gaps, got {sorted(layers)}")
    inst = Instance(
        X=np.asarray(contents["X"]),
        G=np.asarray(contents["G"]),
        weights=tuple(np.asarray(layers[l]) for l in range(1, L + 1)),
        meta=meta,
        path=p,
    )
    validate(inst, require_nonzero_G=require_nonzero_G)
    # integers are accepted on input; computations use float64 (exact for |n| < 2^53)
    return Instance(
        X=inst.X.astype(np.float64),
        G=inst.G.astype(np.float64),
        weights=tuple(W.astype(np.float64) for W in inst.weights),
        meta=meta,
        path=p,
    )


def _parse_meta(a: np.ndarray, where: str) -> dict[str, Any]:
    if a.ndim != 0 or a.dtype.kind != "U":
        raise InstanceError(f"{where}meta must be a 0-d string array holding JSON")
    try:
        meta = json.loads(str(a))
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{where}meta is not valid JSON ({exc.msg})") from None
    if not isinstance(meta, dict):
        raise InstanceError(f"{where}meta must be a JSON object")
    return meta


def save_instance(inst: Instance, path: str | Path) -> Path:
    """Validate and write ``inst`` in the format above."""
    validate(inst)
    p = Path(path)
    arrays: dict[str, np.ndarray] = {"X": np.asarray(inst.X, dtype=np.float64), "G": np.asarray(inst.G, dtype=np.float64)}
    for l, W in enumerate(inst.weights, start=1):
        arrays[f"W{l}"] = np.asarray(W, dtype=np.float64)
    if inst.meta:
        arrays["meta"] = np.array(json.dumps(inst.meta, sort_keys=True))
    with open(p, "wb") as fh:  # np.savez would append .npz to other suffixes
        np.savez(fh, **arrays)
    return p
