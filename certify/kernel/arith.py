"""Number systems for generic numerical code (trusted kernel).

A :class:`NumberSystem` tells generic code how to turn input data into arrays
of its scalars and how to apply the two non-polynomial operations the ReLU
network needs, ``relu`` and its derivative.  Matrix products, sums and
elementwise products are plain numpy operations: on ``object`` arrays numpy
calls the scalars' own ``+`` and ``*``, so the same expression runs on

* ``FLOAT``: float64 arrays, fast and untrusted (searching only);
* ``EXACT``: object arrays of ``flint.fmpq``; every operation is exact;
* ``BALL``:  object arrays of ``flint.arb``; every operation returns a ball
  that contains the exact result (Arb's guarantee), at the working precision
  of ``flint.ctx`` (use :func:`working_precision`).

Conversion from float64 input is exact in both trusted systems: a binary64
number is a dyadic rational, so ``fmpq`` and ``arb`` represent it without error.
Non-finite input is rejected rather than converted.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterator

import numpy as np
from flint import arb, ctx, fmpq, fmpz


class NumberSystem:
    """Interface of a number system; see the module docstring."""

    name: str = "abstract"
    #: whether results computed in this system may back a verdict
    trusted: bool = False

    def scalar(self, x: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def array(self, a: Any) -> np.ndarray:
        """Convert ``a`` (array-like of numbers) into an array of scalars."""
        a = np.asarray(a, dtype=object)
        out = np.empty(a.shape, dtype=object)
        for idx, x in np.ndenumerate(a):
            out[idx] = self.scalar(x)
        return out

    def relu(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def relu_derivative(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover
        """The indicator 1[z > 0] (convention: derivative 0 at z = 0)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<number system {self.name}>"


def _finite_float(x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"non-finite number {v!r} cannot enter exact arithmetic")
    return v


def _exact_ratio(x: Any) -> tuple[int, int]:
    """The exact value of a finite float of any width (a long double too) as numerator, denominator."""
    if not np.isfinite(x):
        raise ValueError(f"non-finite number {x!r} cannot enter exact arithmetic")
    return x.as_integer_ratio()  # exact for Python floats and every numpy float type


class _Float(NumberSystem):
    name = "float"
    trusted = False

    def scalar(self, x: Any) -> float:
        return float(x)

    def array(self, a: Any) -> np.ndarray:
        return np.asarray(a, dtype=np.float64)

    def relu(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)

    def relu_derivative(self, z: np.ndarray) -> np.ndarray:
        return (z > 0).astype(np.float64)


class _Exact(NumberSystem):
    name = "exact"
    trusted = True

    def scalar(self, x: Any) -> fmpq:
        if isinstance(x, fmpq):
            return x
        if isinstance(x, (bool, np.bool_)):
            raise TypeError("booleans are not numbers here")
        if isinstance(x, (int, np.integer, fmpz)):
            return fmpq(int(x))
        if isinstance(x, Fraction):
            return fmpq(x.numerator, x.denominator)
        if isinstance(x, (float, np.floating)):
            num, den = _exact_ratio(x)
            return fmpq(num, den)
        raise TypeError(f"cannot convert {type(x).__name__} to an exact rational")

    def relu(self, z: np.ndarray) -> np.ndarray:
        zero = fmpq(0)
        return _map(lambda v: v if v > 0 else zero, z)

    def relu_derivative(self, z: np.ndarray) -> np.ndarray:
        one, zero = fmpq(1), fmpq(0)
        return _map(lambda v: one if v > 0 else zero, z)


class _Ball(NumberSystem):
    name = "ball"
    trusted = True

    def scalar(self, x: Any) -> arb:
        if isinstance(x, arb):
            return x
        if isinstance(x, fmpq):
            return arb(x)
        if isinstance(x, (bool, np.bool_)):
            raise TypeError("booleans are not numbers here")
        if isinstance(x, (int, np.integer, fmpz)):
            return arb(int(x))
        if isinstance(x, Fraction):
            return arb(fmpq(x.numerator, x.denominator))
        if isinstance(x, np.floating) and x.dtype.itemsize > 8:
            return arb(fmpq(*_exact_ratio(x)))  # a long double: a ball around its exact value
        if isinstance(x, (float, np.floating)):
            return arb(_finite_float(x))  # exact: binary64 (and narrower) numbers are dyadic
        raise TypeError(f"cannot convert {type(x).__name__} to a ball")

    def relu(self, z: np.ndarray) -> np.ndarray:
        # nonnegative_part encloses max(x, 0) for every x in the ball.
        return _map(lambda v: v.nonnegative_part(), z)

    def relu_derivative(self, z: np.ndarray) -> np.ndarray:
        one, zero, either = arb(1), arb(0), arb(0.5, 0.5)

        def d(v: arb) -> arb:
            if v > 0:
                return one
            if v <= 0:
                return zero
            return either  # the ball straddles 0: the derivative is 0 or 1

        return _map(d, z)


def _map(f: Any, z: np.ndarray) -> np.ndarray:
    out = np.empty(z.shape, dtype=object)
    for idx, v in np.ndenumerate(z):
        out[idx] = f(v)
    return out


FLOAT: NumberSystem = _Float()
EXACT: NumberSystem = _Exact()
BALL: NumberSystem = _Ball()


@contextmanager
def working_precision(bits: int) -> Iterator[None]:
    """Run ball arithmetic at ``bits`` bits of working precision."""
    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


#: entries summed per int64 block: five partial products of at most 3 * 2^36 each, 2^24 of them < 2^63
_BLOCK = 2**24


def sum_of_squares_exact(a: Any) -> fmpq:
    """The exact sum of squares of the entries of a float array, as a rational, at numpy speed.

    Each entry is x = M 2^(e - 53) with an integer |M| < 2^53 (``frexp``).  |M| is cut into three 18-bit
    digits a, b, c, so M^2 = a^2 2^72 + 2ab 2^54 + (2ac + b^2) 2^36 + 2bc 2^18 + c^2 with every
    coefficient below 3 * 2^36; summing them in int64 over blocks of 2^24 entries that share an exponent
    cannot overflow, and the blocks are combined in Python integers.  No rounding anywhere: the result
    equals the fmpq sum of x^2 (tested against it).  Non-finite entries are refused.
    """
    x = np.ravel(np.asarray(a))
    if x.dtype.kind != "f" or x.dtype.itemsize > 8:
        return sum((fmpq(*_exact_ratio(v)) ** 2 for v in x), fmpq(0))  # ints, long doubles: the slow road
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("non-finite number cannot enter exact arithmetic")
    x = x[x != 0]
    if x.size == 0:
        return fmpq(0)
    mant, exp = np.frexp(np.abs(x))
    M = np.ldexp(mant, 53).astype(np.int64)  # exact: 53 significant bits
    order = np.argsort(exp, kind="stable")
    M, exp = M[order], exp[order]
    mask = (1 << 18) - 1
    hi, mid, lo = M >> 36, (M >> 18) & mask, M & mask
    coeffs = (hi * hi, 2 * hi * mid, 2 * hi * lo + mid * mid, 2 * mid * lo, lo * lo)
    shifts = (72, 54, 36, 18, 0)
    total = 0  # sum of M^2 2^(2e - 106), kept as an integer times 2^(2 e_min - 106)
    e_min = int(exp[0])
    starts = np.flatnonzero(np.r_[True, exp[1:] != exp[:-1]])
    ends = np.r_[starts[1:], exp.size]
    for s, t in zip(starts, ends):
        group = 0
        for b0 in range(int(s), int(t), _BLOCK):
            b1 = min(b0 + _BLOCK, int(t))
            group += sum(int(np.sum(c[b0:b1])) << k for c, k in zip(coeffs, shifts))
        total += group << (2 * (int(exp[s]) - e_min))
    power = 2 * e_min - 106
    return fmpq(total * 2**power) if power >= 0 else fmpq(total, 2**-power)
