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

Numbers are read at face value: every entry must be exactly a binary64 number
(integers beyond 2^53 that are not, long doubles with more precision or range,
are refused with the array and the first offending entry; nothing is rounded
silently).  ``meta`` is parsed by :mod:`certify.core.jsonio` (finite numbers only,
bounded integers and nesting); ``claimed_speed``, when present, must be a
finite real number.

Work a file may demand is bounded before anything is decompressed or
allocated: the shapes and dtypes declared in each member's ``.npy`` header
and the sizes in the zip directory are checked against :data:`MAX_ARRAY_BYTES`
(in float64, all arrays together; ``CERTIFY_MAX_ARRAY_BYTES`` raises it),
at most :data:`MAX_LAYERS` weight matrices and :data:`MAX_META_BYTES` of meta.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from certify.core import jsonio
from certify.core.errors import InputError, InstanceError
from certify.core.limits import env_limit

#: the most bytes the arrays of one file may take once read as float64 (all together)
MAX_ARRAY_BYTES = 2 * 2**30
#: the most weight matrices (layers) an instance may have
MAX_LAYERS = 1000
#: the most bytes of the meta string
MAX_META_BYTES = 2**20
_BINARY64_INTEGERS = 2**53  # every integer of absolute value <= 2^53 is a binary64 number


def max_array_bytes() -> int:
    """:data:`MAX_ARRAY_BYTES`, or ``$CERTIFY_MAX_ARRAY_BYTES`` when set (a positive integer)."""
    return env_limit("CERTIFY_MAX_ARRAY_BYTES", MAX_ARRAY_BYTES)


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
        if a.dtype.kind not in "fiu" or a.dtype.kind == "b":
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
    contents = _read_archive(p, keep=("X", "G", "meta"))
    where = _where(p)
    for key in ("X", "G"):
        if key not in contents:
            raise InstanceError(f"{where}missing array {key!r}")
    X, G = np.asarray(contents["X"]), np.asarray(contents["G"])
    for key, a in (("X", X), ("G", G)):
        if a.ndim != 2 or a.dtype.kind not in "fiu" or a.size == 0:
            raise InstanceError(f"{where}{key} must be a non-empty 2-D array of finite real numbers")
    X, G = exact_float64(X, "X", where), exact_float64(G, "G", where)
    for key, a in (("X", X), ("G", G)):
        if not np.all(np.isfinite(a)):
            raise InstanceError(f"{where}{key} must be a non-empty 2-D array of finite real numbers")
    if G.shape[1] != X.shape[1]:
        raise InstanceError(f"{where}G has {G.shape[1]} columns but X has {X.shape[1]} data points")
    meta = _parse_meta(contents["meta"], where) if "meta" in contents else {}
    return X, G, meta


def exact_float64(a: np.ndarray, key: str, where: str = "") -> np.ndarray:
    """``a`` as float64 when every entry is exactly a binary64 number; otherwise an InstanceError
    naming the array and the first entry that float64 cannot hold (nothing is rounded silently)."""
    a = np.asarray(a)
    kind = a.dtype.kind
    if kind == "b" or kind not in "fiu":
        raise InstanceError(f"{where}{key} must hold real numbers, got dtype {a.dtype}")
    if kind == "f" and a.dtype.itemsize <= 8:  # float16, float32, float64 are all binary64 numbers
        return a.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        out = a.astype(np.float64)
    if kind == "f":  # long double: wider precision and range than binary64
        bad = ~np.isfinite(out) & np.isfinite(a) | (np.isfinite(a) & (out.astype(a.dtype) != a))
    else:  # integers: exact up to 2^53; beyond, only those that happen to be binary64 numbers
        bad = np.zeros(a.shape, bool)
        if a.dtype.itemsize >= 8:
            big = (a > _BINARY64_INTEGERS) | (a < -_BINARY64_INTEGERS)
            if np.any(big):
                # a float at or beyond 2^63 (2^64 unsigned) is outside the dtype, so not the stored integer;
                # the rest convert back exactly, and must give the stored value
                edge = 2.0**63 if kind == "i" else 2.0**64
                outside = big & ((out >= edge) | (out < -edge))
                inside = big & ~outside
                back = np.zeros(a.shape, dtype=a.dtype)
                back[inside] = out[inside].astype(a.dtype)
                bad = outside | (inside & (back != a))
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        value = a[idx]
        shown = repr(int(value)) if kind in "iu" else np.format_float_scientific(value, unique=True)
        raise InstanceError(f"{where}{key}[{', '.join(map(str, idx))}] = {shown} ({a.dtype}) is not exactly a "
                            f"float64 number; certify reads numbers at face value and does not round them "
                            f"(convert the array to float64 yourself if the rounded value is meant)")
    return out


def npy_header(zf: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype declared in the header of an .npy member of a zip archive, read without loading
    the data; ValueError (or the zip module's own errors) when it is not a readable header."""
    with zf.open(member) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    return tuple(int(n) for n in shape), np.dtype(dtype)


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> tuple[tuple[int, ...], np.dtype]:
    try:
        return npy_header(zf, info)
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InstanceError(f"{where}member {info.filename!r} is not a readable .npy array ({msg})") from None


def _check_budget(p: Path, keep: tuple[str, ...] | None) -> None:
    """Refuse, from the zip directory and the .npy headers alone, a file that would demand too much."""
    where = _where(p)
    limit = max_array_bytes()
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: np.load gives the precise message
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_LAYERS + 3:
            raise InstanceError(f"{where}{len(infos)} arrays in the archive; an instance has at most "
                                f"{MAX_LAYERS} weight matrices (MAX_LAYERS)")
        total = 0
        for info in infos:
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if keep is not None and key not in keep:
                continue
            shape, dtype = _member_header(zf, info, where)
            if dtype.hasobject:
                raise InstanceError(f"{where}{key} holds Python objects; instance arrays hold numbers")
            entries = math.prod(shape)
            declared = entries * dtype.itemsize
            if key == "meta" and declared > MAX_META_BYTES:
                raise InstanceError(f"{where}meta takes {declared} bytes, beyond the limit of {MAX_META_BYTES}")
            total += entries * max(8, dtype.itemsize) if key != "meta" else declared
            if info.file_size > limit + 2**20 or total > limit:
                raise InstanceError(
                    f"{where}the arrays declare {max(total, info.file_size)} bytes, beyond the limit of {limit} "
                    f"(array {key!r}, shape {shape}); set CERTIFY_MAX_ARRAY_BYTES to raise it if this machine "
                    f"has the memory")


def _read_archive(p: Path, keep: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    if not p.exists():
        raise InstanceError(f"{p}: no such file")
    if p.is_dir():
        raise InstanceError(f"{p}: is a directory, not an .npz file")
    if not p.is_file():  # a FIFO or device would block or never end
        raise InstanceError(f"{p}: not a regular file")
    _check_budget(p, keep)
    try:
        data = np.load(p, allow_pickle=False)
    except Exception as exc:  # numpy raises many kinds on a file that is not an archive
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise InstanceError(f"{p}: not a readable .npz archive ({msg})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise InstanceError(f"{p}: a single .npy array, not an .npz archive of X, G, W1..WL")
    names = list(data.files)
    if len(set(names)) != len(names):
        data.close()
        raise InstanceError(f"{p}: the archive holds two members of the same name")
    for key in names:
        if key not in ("X", "G", "meta") and not _WEIGHT_KEY.match(key):
            data.close()
            raise InstanceError(f"{_where(p)}unexpected array {key!r} (allowed: X, G, W1..WL, meta)")
    try:
        with data:
            contents = {k: data[k] for k in names if keep is None or k in keep}
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
    L = len(layers)
    if L > MAX_LAYERS:
        raise InstanceError(f"{where}{L} weight matrices, beyond the limit of {MAX_LAYERS} (MAX_LAYERS)")
    if sorted(layers) != list(range(1, L + 1)):
        shown = sorted(layers)
        raise InstanceError(f"{where}weight keys must be W1..W{L} without gaps, got "
                            f"{shown if L <= 12 else str(shown[:12])[:-1] + ', ...]'}")
    inst = Instance(
        X=np.asarray(contents["X"]),
        G=np.asarray(contents["G"]),
        weights=tuple(np.asarray(layers[l]) for l in range(1, L + 1)),
        meta=meta,
        path=p,
    )
    validate(inst, require_nonzero_G=require_nonzero_G)  # dtypes, shapes, finiteness, on the arrays as stored
    return Instance(  # then every entry exactly as a float64, or a refusal naming the first that is not one
        X=exact_float64(inst.X, "X", where),
        G=exact_float64(inst.G, "G", where),
        weights=tuple(exact_float64(W, f"W{l}", where) for l, W in enumerate(inst.weights, start=1)),
        meta=meta,
        path=p,
    )


def _parse_meta(a: np.ndarray, where: str) -> dict[str, Any]:
    if a.ndim != 0 or a.dtype.kind != "U":
        raise InstanceError(f"{where}meta must be a 0-d string array holding JSON")
    try:
        meta = jsonio.loads(str(a), f"{where}meta", max_bytes=MAX_META_BYTES)
    except InputError as exc:
        raise InstanceError(str(exc)) from None
    if not isinstance(meta, dict):
        raise InstanceError(f"{where}meta must be a JSON object")
    if "claimed_speed" in meta:
        c = meta["claimed_speed"]
        try:
            finite = not isinstance(c, bool) and isinstance(c, (int, float)) and math.isfinite(float(c))
        except OverflowError:
            finite = False
        if not finite:
            raise InstanceError(f"{where}meta.claimed_speed must be a finite real number, got {str(c)[:40]!r}")
    if "name" in meta and not isinstance(meta["name"], str):
        raise InstanceError(f"{where}meta.name must be a string")
    return meta


def save_instance(inst: Instance, path: str | Path) -> Path:
    """Validate and write ``inst`` in the format above."""
    validate(inst)
    p = Path(path)
    arrays: dict[str, np.ndarray] = {"X": exact_float64(inst.X, "X"), "G": exact_float64(inst.G, "G")}
    for l, W in enumerate(inst.weights, start=1):
        arrays[f"W{l}"] = exact_float64(W, f"W{l}")
    if inst.meta:
        try:
            text = json.dumps(inst.meta, sort_keys=True, allow_nan=False)
        except ValueError as exc:
            raise InstanceError(f"meta: {exc}") from None
        _parse_meta(np.array(text), "")  # what is written must read back
        arrays["meta"] = np.array(text)
    with open(p, "wb") as fh:  # np.savez would append .npz to other suffixes
        np.savez(fh, **arrays)
    return p
