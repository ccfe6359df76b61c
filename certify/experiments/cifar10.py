"""Appendix C (Figures 5 and 6): the Section 3.3 criteria on CIFAR-10 data that the user supplies.

Appendix C trains bias-free ReLU MLPs of depth 6 and 4 on CIFAR-10 from small initialisation, with
W_1 in R^{1024 x 1000}: the inputs are 32 x 32 = 1024 values, so the colour images are turned into
grayscale.  Figures 5 and 6 show, as on MNIST, one dominant singular value in every layer after the
first saddle escape (third row, left), more pronounced in the deeper layers (Figure 5's caption:
"Deeper layers show a stronger bias toward low-rank structure than earlier layers").  The claims here
apply the statistics and thresholds of ``section3.3.low-rank-after-escape`` and ``...depth``
(:mod:`certify.experiments.claims`, fixed before any run) to the same two trainings as the digits
gate (preset ``default``, ``quick`` under --quick: width 32, 500 points drawn with seed 0, squared
loss, full batch), with CIFAR-10 in place of the digits.

Nothing is downloaded.  The data come from the file or directory named by the environment variable
``CERTIFY_CIFAR10``:

* CIFAR-10's *binary version* (``cifar-10-batches-bin/data_batch_1.bin``, or the directory, whose
  ``data_batch_*.bin`` are all read): records of 1 label byte (0-9) and 3072 pixel bytes, the red,
  green and blue 32 x 32 planes in turn, parsed with numpy;
* an ``.npz`` with images N x 32 x 32 x 3 (channels last), N x 32 x 32 or N x 1024 and integer labels,
  or idx files, read by :func:`certify.experiments.data.load_images` (never with pickle).

Only regular files are opened: a device, a named pipe, a directory where a batch file should be (after
symbolic links are followed) is refused from its ``stat`` before it is opened, and checked again once
open.  A directory may hold at most ``MAX_BATCH_FILES`` batch files, and the sizes of all of them are
added up and held to ``CERTIFY_MAX_DATA_BYTES`` before any is read; a file that yields more bytes than
its size (files under /proc) is refused.  Every operating-system error (a path too long, an I/O error)
becomes the same one-line input error naming ``CERTIFY_CIFAR10``.  The claims train on ``N_POINTS``
(500) images, so data with fewer images is refused rather than trained on.

The *python version* of CIFAR-10 (``cifar-10-batches-py``) is a pickle: unpickling a file executes
code from it, so it is refused with a one-line message that names the binary version instead.

Grayscale is the mean of the three channels; the images are then standardised with the data set's scalar
pixel mean and standard deviation, x -> (x - mu)/sigma (Appendix C's (x/255 - mu)/sigma: the division by
255 is absorbed).  When ``CERTIFY_CIFAR10`` is unset the claims are ``skipped`` and say how to supply
the data.  When it names data that cannot be read (missing, not a regular file, too large, truncated, a
label outside 0-9, non-finite values, a pickle, fewer than 500 images) the claims are ``error`` with the
one-line reason: the user asked for a run on that data, so the failure must not pass as a verdict or as
a harmless skip.

The training settings are the digits gate's, not Appendix C's (width 1000, batch 32, cross-entropy,
5000 epochs: days on a CPU) and were not calibrated on CIFAR-10 (no copy was available when this was
written); a run that does not escape within its steps cannot test the claims and says so.  The verdict
rule is Section 3.3's, applied to each of the two runs (one run per depth, as there).  What is known
of these settings on 1024 inputs comes from a stand-in only (scikit-learn's digits upsampled to
32 x 32 x 3 with pixel noise, written as a binary batch): the depth-4 run escapes (step 3670 under
--quick) with ratios 0.49 0.23 0.22 0.28 and Spearman -0.4, while the depth-6 run did not escape in
6000 steps with c = 3, 10 or 30 (c = 99 overshoots and kills the ReLUs).  The initial ||theta|| is
dominated by W_1's 32 x 1024 entries, so lr = c/||theta||^4 starts some 30 times smaller than on the
digits.  With real data expect about a minute per claim pair (1024 inputs, 500 points, 6000 steps at
each depth); a depth that does not escape is reported as such, not as a verdict.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import stat
from pathlib import Path
from typing import Callable

import numpy as np

from certify.gate.claim import Context
from certify.core.errors import InputError
from certify.experiments.data import (MAX_DATA_BYTES_ENV, READ_CHUNK, Dataset, load_images, max_data_bytes,
                                     standardise)
from certify.experiments.experiment import ExperimentResult, ExperimentSpec, preset, run_experiment
from certify.kernel.verdict import Evidence, Status, Verdict, combine

ENV = "CERTIFY_CIFAR10"
SIDE, CHANNELS, CLASSES = 32, 3, 10
PIXELS = SIDE * SIDE * CHANNELS
RECORD = 1 + PIXELS  # one label byte, then the red, green and blue planes
INPUTS = SIDE * SIDE  # Appendix C: W_1 is 1024 x 1000
#: points drawn (seeded) for the gate's trainings, as for the digits
N_POINTS = 500
DATA_SEED = 0
#: at most this many data_batch_*.bin files are read from a directory (CIFAR-10's binary version has 5)
MAX_BATCH_FILES = 10
#: paths longer than this are shortened in messages
SHOW_PATH = 200

HOW_TO_SUPPLY = (f"set {ENV} to CIFAR-10's binary version (a data_batch_N.bin file, or the cifar-10-batches-bin "
                 "directory) or to an .npz with images N x 32 x 32 x 3 and integer labels; nothing is downloaded "
                 "(the python version is a pickle and is refused)")


def _looks_like_pickle(head: bytes) -> bool:
    """A pickle of protocol 2 or later starts with PROTO (0x80) and the protocol number; a CIFAR-10 binary
    record starts with a label byte 0-9, so the two cannot be confused."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _show(p: str | Path) -> str:
    """The path for a one-line message (a very long one is shortened)."""
    text = str(p)
    return text if len(text) <= SHOW_PATH else text[:SHOW_PATH // 2] + "..." + text[-SHOW_PATH // 2:]


def _pickle_error(p: Path) -> InputError:
    return InputError(f"{_show(p)}: this is the python (pickle) version of CIFAR-10; loading a pickle executes code "
                      "from the file, so it is refused: use the binary version (cifar-10-batches-bin, "
                      "data_batch_*.bin)")


def _os_error(p: str | Path, doing: str, exc: OSError) -> InputError:
    """Every OSError of the reader becomes this one-line InputError naming the variable."""
    why = exc.strerror or exc.__class__.__name__
    return InputError(f"{_show(p)}: cannot {doing} it ({ENV}): {why}")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def _stat(p: Path) -> os.stat_result:
    """os.stat (symbolic links followed), every failure a one-line InputError."""
    try:
        return os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{_show(p)}: no such file or directory ({ENV})") from None
    except OSError as exc:
        raise _os_error(p, "examine", exc) from None


def _regular_size(p: Path) -> int:
    """The size of ``p`` when it is a regular file (after symbolic links); anything else is refused before
    it is opened (a device or a named pipe can block a read or never end)."""
    st = _stat(p)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{_show(p)}: not a regular file ({_kind(st.st_mode)}); {ENV} must name CIFAR-10 files")
    return int(st.st_size)


def _read_regular(p: Path, size: int, limit: int, count: int | None = None) -> bytes:
    """The first ``count`` bytes of the regular file ``p`` (all ``size`` of them when None), opened without
    blocking and checked again once open; a file that yields more or fewer bytes than its size (a file
    under /proc, one being written) is refused."""
    want = size if count is None else min(count, size)
    if want > limit:
        raise InputError(f"{_show(p)}: {size} bytes, beyond the limit of {limit}; raise {MAX_DATA_BYTES_ENV} if the "
                         "machine has the memory")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise _os_error(p, "open", exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{_show(p)}: not a regular file ({_kind(st.st_mode)}); {ENV} must name CIFAR-10 files")
        chunks, got = [], 0
        while got <= want:  # one byte beyond what is wanted tells a file longer than its size
            piece = os.read(fd, min(READ_CHUNK, want + 1 - got))
            if not piece:
                break
            chunks.append(piece)
            got += len(piece)
    except OSError as exc:
        raise _os_error(p, "read", exc) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > size or len(raw) < want:  # longer than its size, or shorter than the part asked for
        raise InputError(f"{_show(p)}: its size is {size} bytes but reading it gave "
                         f"{'more' if len(raw) > size else len(raw)} bytes: not a stable regular file ({ENV})")
    return raw[:want]


def read_cifar_binary(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 3 x 32 x 32 uint8, channel planes as stored) and labels (N, uint8) from one binary batch
    file.  Every problem is a one-line InputError."""
    p = Path(path)
    raw = _read_regular(p, _regular_size(p), max_data_bytes())
    return _parse_binary(p, raw)


def _parse_binary(p: Path, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    if _looks_like_pickle(raw[:2]):
        raise _pickle_error(p)
    if not raw:
        raise InputError(f"{_show(p)}: empty file, not a CIFAR-10 binary batch")
    if len(raw) % RECORD:
        raise InputError(f"{_show(p)}: {len(raw)} bytes is not a whole number of CIFAR-10 records of {RECORD} bytes "
                         f"(1 label + {PIXELS} pixels): truncated, or not the binary version")
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD)
    labels = rec[:, 0].copy()
    if labels.max() >= CLASSES:
        bad = int(np.argmax(labels >= CLASSES))
        raise InputError(f"{_show(p)}: record {bad} has label {int(labels[bad])}, outside 0-{CLASSES - 1}: not a "
                         "CIFAR-10 binary batch")
    return rec[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE), labels


def _binary_files(p: Path) -> list[Path]:
    """The directory's data_batch_*.bin files (at most MAX_BATCH_FILES), sorted; nothing is opened."""
    try:
        found = list(itertools.islice(p.glob("data_batch_*.bin"), MAX_BATCH_FILES + 1))
        if not found:
            others = any(p.glob("data_batch_*"))
    except OSError as exc:
        raise _os_error(p, "list", exc) from None
    if len(found) > MAX_BATCH_FILES:
        raise InputError(f"{_show(p)}: more than {MAX_BATCH_FILES} data_batch_*.bin files (CIFAR-10 has 5); "
                         f"{ENV} must name CIFAR-10's binary version")
    if not found:
        if others:
            raise _pickle_error(p)
        raise InputError(f"{_show(p)}: no data_batch_*.bin files in this directory")
    return sorted(found)


def _read_directory(p: Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Every batch file of the directory, after checking that all are regular files and that their sizes
    together are within the limit (before any is opened)."""
    files = _binary_files(p)
    sizes = [_regular_size(f) for f in files]
    limit = max_data_bytes()
    if sum(sizes) > limit:
        raise InputError(f"{_show(p)}: {len(files)} batch files of {sum(sizes)} bytes together, beyond the limit of "
                         f"{limit}; raise {MAX_DATA_BYTES_ENV} if the machine has the memory")
    parts = [_parse_binary(f, _read_regular(f, n, limit)) for f, n in zip(files, sizes)]
    images = np.concatenate([a for a, _ in parts]) if len(parts) > 1 else parts[0][0]
    labels = np.concatenate([b for _, b in parts]) if len(parts) > 1 else parts[0][1]
    return files, images, labels


def _too_few(p: Path, have: int, n_points: int | None) -> None:
    if n_points is not None and have < n_points:
        raise InputError(f"{_show(p)}: {have} images, fewer than the {n_points} points the claim trains on (Section "
                         "3.3's settings); give more of CIFAR-10")


def load_cifar10(path: str | Path, n_points: int | None = N_POINTS, seed: int = DATA_SEED) -> Dataset:
    """CIFAR-10 from ``path`` (see the module docstring) as a grayscale, standardised data set of 1024 inputs,
    ``n_points`` of them drawn with ``seed`` (None: all; fewer images than ``n_points`` is an InputError)."""
    if n_points is not None and n_points < 1:
        raise InputError(f"the number of points must be positive, got {n_points}")
    try:
        p = Path(path).expanduser()
    except RuntimeError as exc:  # an unknown ~user
        raise InputError(f"{_show(path)}: {exc} ({ENV})") from None
    st = _stat(p)
    limit = max_data_bytes()
    if stat.S_ISDIR(st.st_mode):
        files, images, labels = _read_directory(p)
    elif not stat.S_ISREG(st.st_mode):
        raise InputError(f"{_show(p)}: not a regular file ({_kind(st.st_mode)}); {ENV} must name CIFAR-10 files")
    elif p.suffix == ".bin":
        files = [p]
        images, labels = _parse_binary(p, _read_regular(p, int(st.st_size), limit))
    else:
        if p.suffix != ".npz" and _looks_like_pickle(_read_regular(p, int(st.st_size), limit, count=2)):
            raise _pickle_error(p)
        return _load_arrays(p, n_points, seed)
    _too_few(p, int(labels.size), n_points)
    if n_points is not None and n_points < labels.size:
        idx = np.sort(np.random.default_rng(seed).choice(labels.size, size=n_points, replace=False))
        images, labels = images[idx], labels[idx]
    gray = images.astype(np.float64).mean(axis=1).reshape(labels.size, INPUTS)
    Xs, mu, sigma = standardise(gray)
    meta = {"source": "CIFAR-10 binary version", "files": [str(f) for f in files],
            "grayscale": "mean of the three channels", "pixel_mean": mu, "pixel_std": sigma,
            "n_points": int(labels.size), "d_in": INPUTS, "subset_seed": seed}
    return Dataset(X=np.ascontiguousarray(Xs.T), labels=labels.astype(np.int64), name="cifar10",
                   n_classes=CLASSES, meta=meta)


def _load_arrays(p: Path, n_points: int | None, seed: int) -> Dataset:
    """An .npz or idx file through :func:`certify.experiments.data.load_images` (never a pickle)."""
    try:
        try:
            data = load_images(p, n_points=n_points, seed=seed, grayscale=True)
        except InputError as exc:
            if "grayscale needs" not in str(exc):
                raise
            data = load_images(p, n_points=n_points, seed=seed, grayscale=False)
    except OSError as exc:
        raise _os_error(p, "read", exc) from None
    if data.X.shape[0] != INPUTS:
        raise InputError(f"{_show(p)}: {data.X.shape[0]} inputs per image, expected {INPUTS} (32 x 32 grayscale, "
                         "Appendix C's W_1 in R^(1024 x 1000)); give images N x 32 x 32 x 3, N x 32 x 32 or N x 1024")
    if data.n_classes > CLASSES:
        raise InputError(f"{_show(p)}: labels up to {data.n_classes - 1}, CIFAR-10 has {CLASSES} classes")
    _too_few(p, data.n_points, n_points)
    return dataclasses.replace(data, name="cifar10", n_classes=CLASSES)


# --- the claims -------------------------------------------------------------------------------------


def _specs(quick: bool) -> tuple[ExperimentSpec, ...]:
    return tuple(dataclasses.replace(s, n_points=N_POINTS, data_seed=DATA_SEED)
                 for s in preset("quick" if quick else "default"))


@functools.lru_cache(maxsize=2)
def _data(path: str, stamp: tuple[int, int], n_points: int | None, seed: int) -> Dataset:
    """The data at ``path`` (``stamp``, its size and mtime, keys the cache), read once per process."""
    return load_cifar10(path, n_points=n_points, seed=seed)


@functools.lru_cache(maxsize=2)
def _results(path: str, stamp: tuple[int, int], specs: tuple[ExperimentSpec, ...]) -> tuple[ExperimentResult, ...]:
    """The trainings on that data, once per process for both claims."""
    data = _data(path, stamp, specs[0].n_points, specs[0].data_seed)
    return tuple(run_experiment(spec, data) for spec in specs)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (int(st.st_size), int(st.st_mtime_ns))


def _check(ctx: Context, case: Callable[[ExperimentResult], Verdict], what: str,
           specs: tuple[ExperimentSpec, ...] | None = None) -> Verdict:
    path = os.environ.get(ENV, "").strip()
    if not path:
        return Verdict(Status.SKIPPED, f"{what}: no CIFAR-10 data given: {HOW_TO_SUPPLY}", None,
                       {"how_to_supply": HOW_TO_SUPPLY, "environment_variable": ENV})
    specs = specs or _specs(ctx.quick)
    stamp = _stamp(path)
    try:
        try:
            _data(path, stamp, specs[0].n_points, specs[0].data_seed)
        except OSError as exc:  # the reader turns its own into InputError; this is the backstop
            raise _os_error(path, "read", exc) from None
    except InputError as exc:
        first = (str(exc).splitlines() or [""])[0]
        return Verdict(Status.ERROR, f"{what}: the CIFAR-10 data in {ENV} cannot be used: {first}", None,
                       {"environment_variable": ENV, "path": path, "problem": first,
                        "why_error": "the data were asked for and cannot be read: an error of the input, not a "
                                     "verdict and not a harmless skip"})
    try:
        results = _results(path, stamp, specs)
    except InputError as exc:  # e.g. training diverged: the settings, not the data
        first = (str(exc).splitlines() or [""])[0]
        return Verdict(Status.ERROR, f"{what}: training on the CIFAR-10 data failed: {first}", None,
                       {"environment_variable": ENV, "path": path, "problem": first})
    parts = {r.spec.name: case(r) for r in results}
    v = combine(parts, what)
    v.message = f"{what} (CIFAR-10): " + "; ".join(f"{k} {p.status.value}: {p.message}" for k, p in parts.items())
    v.evidence.update(kind=Evidence.EXPERIMENT.value, data=results[0].dataset.meta, preset="quick" if ctx.quick
                      else "default", runs="one training run per depth (seed 0), the digits gate's settings with "
                      "CIFAR-10 in place of the digits; not calibrated on CIFAR-10")
    return v


def check_low_rank_after_escape(ctx: Context, *, threshold: float | None = None,
                                specs: tuple[ExperimentSpec, ...] | None = None) -> Verdict:
    """Figures 5-6 (third row, left): every W_l has rank-one ratio <= 0.5 after the first escape
    (``threshold`` replaces 0.5: a parameter for planted falsehoods)."""
    from certify.experiments.claims import SNAPSHOT, rank_one_case

    def case(r: ExperimentResult) -> Verdict:
        v = rank_one_case(r)
        if threshold is None or v.status is Status.SKIPPED:
            return v
        ratios = r.snapshots[SNAPSHOT].ratios  # the same statistic, judged against the planted threshold
        ok = bool(np.all(ratios <= threshold))
        return Verdict(Status.REPRODUCED if ok else Status.REFUTED,
                       f"largest ratio {float(ratios.max()):.3f} {'<=' if ok else '>'} {threshold}", None, v.evidence)

    return _check(ctx, case, "every layer close to rank one after the first escape", specs)


def check_depth_order(ctx: Context, *, specs: tuple[ExperimentSpec, ...] | None = None) -> Verdict:
    """Figure 5's caption: Spearman(l, r_l) <= -0.5 at the snapshot after the first escape."""
    from certify.experiments.claims import depth_order_case

    return _check(ctx, depth_order_case, "rank-one ratio decreasing with depth", specs)

