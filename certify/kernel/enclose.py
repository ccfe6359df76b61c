"""Rigorous enclosures of matrix computations from float64 BLAS results (trusted kernel).

Every function here returns bounds that hold for the exact real-number result, computed from
ordinary float64 arithmetic (numpy, BLAS) plus a-priori rounding-error bounds.  The final scalar
quantities are handed over as python-flint ``arb`` balls, so everything after this module is ball
arithmetic.

Assumptions under which the bounds are rigorous
-----------------------------------------------
* IEEE 754 binary64 arithmetic in the default rounding mode (round to nearest), unit roundoff
  u = 2^-53, smallest subnormal eta = 2^-1074, gradual underflow.  The module checks the rounding
  mode at import (``ROUNDING_OK``) and refuses to certify otherwise.
* A product ``A @ B`` forms each entry as a sum of the k products a_il b_lj in *some* order, with
  any blocking or parallel split and with or without FMA.  Then, entrywise
  (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., Sec. 3.1 and 3.5; the
  underflow term as in Rump, *BIT* 52 (2012))::

      |fl(A B) - A B| <= gamma_k |A| |B| + k eta,    gamma_k = k u / (1 - k u),  k u < 1.

  Strassen-type fast multiplication is *not* covered (OpenBLAS and MKL do not use it by default).
* A sum of n non-negative floats computed in any order satisfies |fl(s) - s| <= gamma_(n-1) s, and
  a sum of squares or products gamma_n (the same lemma).
* Every elementwise operation (+, *, sqrt) is correctly rounded, so stepping the result one ulp up
  (``numpy.nextafter(x, inf)``) gives an upper bound of the exact result of that operation.

No second O(n^3) product is needed: by Cauchy-Schwarz (|A||B|)_ij <= ||A_i,:||_2 ||B_:,j||_2, so the
rounding error of a product is bounded by an outer product of row and column norms.  An enclosure
therefore stores its radius as a short sum of rank-one terms plus a constant, in O(m + n) memory.
Results that overflow to inf or NaN certify nothing.  Every ball this module returns contains the
exact value: a quantity whose float computation overflowed (or whose bound is not finite) comes back
as :data:`WHOLE`, the ball of every real number, on which every comparison is uncertain; never as a
point at infinity (a point ball at +inf contains no real number, so ``x < inf_point`` would be
certain and false).  Sums of squares are scaled by a power of two before squaring, so norms of data
anywhere in 1e-300..1e300 are enclosed tightly rather than overflowing or underflowing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from flint import arb

U = 2.0**-53
ETA = 2.0**-1074
INF = math.inf
#: the ball of every real number: the answer whenever a bound is not finite
WHOLE = arb(0, math.inf)


def _quiet(f):
    """Run ``f`` without numpy's overflow, underflow and invalid warnings: this module handles them (a bound
    that is not finite becomes WHOLE), so they would only be noise on the user's terminal."""
    return np.errstate(over="ignore", invalid="ignore", under="ignore")(f)


def _ball(x) -> arb:
    """A float that bounds a quantity, as a ball: itself when finite, :data:`WHOLE` otherwise."""
    x = float(x)
    return arb(x) if math.isfinite(x) else WHOLE


def _sound(b: arb) -> arb:
    """``b`` when it is a finite ball, :data:`WHOLE` otherwise (a NaN or a point at infinity)."""
    return b if b.is_finite() else WHOLE


def _rounding_is_nearest() -> bool:
    # 1 + u/2 rounds to 1 and 1 + 3u/2... rounds to 1 + 2u under round-to-nearest-even only
    one = np.float64(1.0)
    return bool(one + np.float64(U) == one and one + np.float64(1.5 * U) == one + np.float64(2 * U)
                and -one - np.float64(U) == -one)


ROUNDING_OK = _rounding_is_nearest()


@_quiet
def up(x):
    """One ulp above: an upper bound of the exact result of the operation that produced ``x``."""
    return np.nextafter(x, INF)


@_quiet
def down(x):
    return np.nextafter(x, -INF)


@functools.lru_cache(maxsize=4096)
def gamma(k: int) -> float:
    """An upper bound (as a float) of gamma_k = k u / (1 - k u)."""
    if k * U >= 0.5:
        return INF
    exact = Fraction(k) * Fraction(U) / (1 - Fraction(k) * Fraction(U))
    g = float(exact)
    return g if Fraction(g) >= exact else float(up(g))


def _check_mode() -> None:
    if not ROUNDING_OK:
        raise RuntimeError("the floating-point rounding mode is not round-to-nearest: no enclosure is valid")


@_quiet
def _inflate(fl_value, n: int):
    """Upper bound of a non-negative exact sum of n rounded terms, from its computed value.

    |fl - s| <= gamma_n s + n eta gives s <= (fl + n eta)/(1 - gamma_n) <= (fl + n eta)(1 + 2 gamma_n).
    """
    return up(up(up(fl_value) + n * ETA) * up(1.0 + 2.0 * gamma(n)))


@_quiet
def sum_nonneg_up(x: np.ndarray, axis=None):
    """Upper bound of sum(x) (x >= 0, exact floats), in any summation order."""
    n = x.size if axis is None else x.shape[axis]
    return _inflate(np.sum(x, axis=axis), max(n, 1))


@_quiet
def _axis_norms_up(A: np.ndarray, spec: str, k: int) -> np.ndarray:
    """Upper bounds of the Euclidean norms along one axis of A (``spec`` 'ij,ij->i' for rows), computed on
    A 2^-e (max entry in [1/2, 1)) so that neither squares of large entries overflow nor squares of tiny
    ones vanish; scaling back by 2^e and stepping up keeps them upper bounds."""
    _check_mode()
    A = np.asarray(A, dtype=np.float64)
    size = A.shape[0] if spec.endswith("i") else A.shape[1]
    sq = np.einsum(spec, A, A)
    if size and np.all(np.isfinite(sq)) and float(np.min(sq)) >= _NO_UNDERFLOW:  # the common case: one pass
        return up(np.sqrt(_inflate(sq, max(k, 1))))
    if not np.all(np.isfinite(A)):
        return np.full(size, INF)
    sc = _scaled(A)
    if sc is None:
        return np.zeros(size)
    y, e = sc
    sq = np.einsum(spec, y, y)  # entries <= k: no overflow
    bound = up(_inflate(sq, max(k, 1)) + 2 * max(k, 1) * ETA)  # + the rounding of the scaling
    return up(np.ldexp(up(np.sqrt(bound)), e))


def row_norms_up(A: np.ndarray) -> np.ndarray:
    """Upper bounds of the Euclidean norms of the rows of A."""
    return _axis_norms_up(A, "ij,ij->i", np.shape(A)[1])


def col_norms_up(A: np.ndarray) -> np.ndarray:
    """Upper bounds of the Euclidean norms of the columns of A."""
    return _axis_norms_up(A, "ij,ij->j", np.shape(A)[0])


#: a computed sum of squares at least this large is enclosed tightly without scaling (the n eta underflow
#: slack is negligible beside it); below it, or on overflow, the data are scaled by a power of two first
_NO_UNDERFLOW = 2.0**-800


def _scaled(x: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(y, e) with y = fl(x 2^-e) and max|y| in [1/2, 1), or None when x is all zero.

    ldexp is correctly rounded, so |y_i - x_i 2^-e| <= eta/2: exact unless y_i is subnormal.
    """
    m = float(np.max(np.abs(x), initial=0.0))
    if m == 0.0:
        return None
    e = int(np.frexp(m)[1])
    return np.ldexp(x, -e), e


def _sum_sq_bounds(s: float, n: int, scaled: bool) -> tuple[arb, arb]:
    """Balls lo, hi around the exact sum of squares T of n floats whose computed sum is s:
    |s - T| <= gamma_n T + n eta (the n eta for underflow in the products).  With ``scaled``, the floats
    are y = fl(x 2^-e) (|y_i| < 1) and the bounds are for sum (x_i 2^-e)^2: each rounding of the scaling
    moves a square by at most (eta/2)(2 + eta/2) < 2 eta."""
    g, slack = arb(gamma(n)), arb(n) * arb(ETA)
    lo, hi = (arb(s) - slack) / (1 + g), (arb(s) + slack) / (1 - g)
    if scaled:
        lo, hi = lo - 2 * slack, hi + 2 * slack
    return lo, hi


@_quiet
def norm_up(x: np.ndarray) -> float:
    """Upper bound of the Frobenius (Euclidean) norm of an array (inf if not finite or too large)."""
    flat = np.ravel(np.asarray(x, dtype=np.float64))
    s = float(np.dot(flat, flat))
    if math.isfinite(s) and s >= _NO_UNDERFLOW:  # the common case: no scaling needed for a tight bound
        return float(up(math.sqrt(float(_inflate(s, max(flat.size, 1))))))
    if not np.all(np.isfinite(flat)):
        return INF
    sc = _scaled(flat)
    if sc is None:
        return 0.0
    y, e = sc
    hi = _sum_sq_bounds(float(np.dot(y, y)), max(y.size, 1), True)[1].sqrt().upper()  # <= sqrt(n) + tiny
    bound = float(up(float(up(float(hi.mid()))) if hi.is_finite() else INF))
    return float(up(np.ldexp(bound, e)))  # inf on overflow: still an upper bound


@_quiet
def norm_sq_ball(x: np.ndarray) -> arb:
    """A ball containing the exact sum of squares of the entries of ``x`` (WHOLE if an entry is not finite)."""
    flat = np.ravel(np.asarray(x, dtype=np.float64))
    n = max(flat.size, 1)
    s = float(np.dot(flat, flat))
    if math.isfinite(s) and s >= _NO_UNDERFLOW:  # the common case: tight without scaling
        return _sound(_between(*_sum_sq_bounds(s, n, False)))
    if not np.all(np.isfinite(flat)):
        return WHOLE
    sc = _scaled(flat)
    if sc is None:
        return arb(0)  # every entry is zero (of either sign): the sum of squares is exactly 0
    y, e = sc
    lo, hi = _sum_sq_bounds(float(np.dot(y, y)), n, True)  # the dot is <= n: no overflow
    four_e = arb(2) ** (2 * e)  # exact power of two
    return _sound(_between(lo * four_e, hi * four_e))


@dataclass
class Enclosure:
    """A real matrix Z known only through |Z - mid| <= sum_t outer(rows[t], cols[t]) + const (entrywise).

    ``mid`` is a float64 array; ``rows[t]``, ``cols[t]`` are non-negative float vectors and ``const`` a
    non-negative float.  The right-hand side is meant exactly (in real arithmetic).
    """

    mid: np.ndarray
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    const: float = 0.0

    @classmethod
    def exact(cls, A: np.ndarray) -> "Enclosure":
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2:
            raise ValueError("an enclosure holds a matrix")
        return cls(A)

    @property
    def shape(self) -> tuple[int, int]:
        return self.mid.shape  # type: ignore[return-value]

    def radius_frobenius_up(self) -> float:
        """Upper bound of || sum_t r_t c_t^T + const ||_F."""
        total = 0.0
        for r, c in zip(self.rows, self.cols):
            total = float(up(total + float(up(norm_up(r) * norm_up(c)))))
        m, n = self.shape
        total = float(up(total + float(up(self.const * float(up(math.sqrt(m * n)))))))
        return total

    def radius_times_up(self, v: np.ndarray, transpose: bool = False) -> np.ndarray:
        """Upper bound, entrywise, of rad |v| (length m, v of length n), or of rad^T |v| (length n, v of
        length m) with ``transpose``."""
        av = np.abs(v)
        out = np.zeros(self.shape[1] if transpose else self.shape[0])
        for r, c in zip(self.rows, self.cols):
            near, far = (c, r) if transpose else (r, c)  # rad = sum r c^T: rad |v| = r (c.|v|)
            out = up(out + up(near * float(sum_nonneg_up(up(far * av)))))
        return up(out + float(up(self.const * float(sum_nonneg_up(av)))))

    def radius_transpose_times_up(self, w: np.ndarray) -> np.ndarray:
        return self.radius_times_up(w, transpose=True)

    def max_entry_radius_up(self) -> float:
        total = 0.0
        for r, c in zip(self.rows, self.cols):
            total = float(up(total + float(up(float(np.max(r, initial=0.0)) * float(np.max(c, initial=0.0))))))
        return float(up(total + self.const))


@_quiet
def _abs_matvec_up(A: np.ndarray, x: np.ndarray, nonneg: bool = False) -> np.ndarray:
    """Upper bound of |A| x for x >= 0 (exact floats); ``nonneg`` says A >= 0 already (no copy)."""
    return _inflate((A if nonneg else np.abs(A)) @ x, max(A.shape[1], 1))


@_quiet
def matmul(W: np.ndarray, Z: Enclosure) -> Enclosure:
    """Enclosure of W Z for an exact float matrix W and an enclosure Z."""
    _check_mode()
    W = np.asarray(W, dtype=np.float64)
    k = W.shape[1]
    if k != Z.shape[0]:
        raise ValueError(f"shapes {W.shape} and {Z.shape} do not multiply")
    mid = W @ Z.mid  # an overflow leaves inf/NaN: balls from it are WHOLE
    g = gamma(k)
    rows, cols = [], []
    # rounding error of fl(W mid): gamma_k |W||mid| + k eta <= gamma_k ||W_i|| ||mid_j|| + k eta
    rows.append(up(g * row_norms_up(W)))
    cols.append(col_norms_up(Z.mid))
    # propagated radius: |W| (sum r c^T + const) = sum (|W| r) c^T + const (|W| 1) 1^T
    for r, c in zip(Z.rows, Z.cols):
        rows.append(_abs_matvec_up(W, r))
        cols.append(c)
    if Z.const > 0:
        rows.append(up(Z.const * _abs_matvec_up(W, np.ones(k))))
        cols.append(np.ones(Z.shape[1]))
    return Enclosure(mid, rows, cols, float(up(k * ETA)))


def relu(Z: Enclosure) -> Enclosure:
    """relu is 1-Lipschitz entrywise, so the radius carries over and max(mid, 0) is exact."""
    return Enclosure(np.maximum(Z.mid, 0.0), list(Z.rows), list(Z.cols), Z.const)


def negative_part(Z: Enclosure) -> Enclosure:
    """Enclosure of min(Z, 0) = Z - relu(Z) (1-Lipschitz as well)."""
    return Enclosure(np.minimum(Z.mid, 0.0), list(Z.rows), list(Z.cols), Z.const)


def _between(lo: arb, hi: arb, floor: float | None = 0.0, ceil: float | None = None) -> arb:
    """A ball containing [lo.lower(), hi.upper()], clipped to [floor, ceil] (known bounds of the quantity)."""
    a, b = lo.lower(), hi.upper()
    if floor is not None and not (a >= floor):
        a = arb(floor)
    if ceil is not None and not (b <= ceil):
        b = arb(ceil)
    return a.union(b)


def sqrt_ball(b: arb) -> arb:
    """A ball containing sqrt(x) for every x >= 0 in ``b`` (endpoint by endpoint: a ball that touches 0
    may dip below it after rounding, and Arb's sqrt of such a ball is NaN)."""
    if not b.is_finite():
        return WHOLE
    lo = b.lower()
    lo_root = lo.sqrt().lower() if lo > 0 else arb(0)
    return lo_root.union(b.upper().sqrt().upper())


def norm_ball(x: np.ndarray) -> arb:
    """A ball containing the Euclidean (Frobenius) norm of ``x``."""
    return sqrt_ball(norm_sq_ball(x))


def frobenius_ball(Z: Enclosure) -> arb:
    """A ball containing ||Z||_F for every Z in the enclosure."""
    mid_norm = norm_ball(Z.mid)
    rad = _ball(Z.radius_frobenius_up())
    return _sound(_between(mid_norm - rad, mid_norm + rad))


@_quiet
def inner_ball(G: np.ndarray, Z: Enclosure) -> arb:
    """A ball containing Tr[G^T Z] = sum_ij G_ij Z_ij."""
    G = np.asarray(G, dtype=np.float64)
    n = G.size
    s = float(np.dot(G.ravel(), Z.mid.ravel()))
    if not math.isfinite(s):
        return WHOLE
    # |fl(sum) - sum| <= gamma_n sum |G||mid| + n eta <= gamma_n ||G||_F ||mid||_F + n eta
    err = arb(gamma(n)) * _ball(norm_up(G)) * _ball(norm_up(Z.mid)) + arb(n) * arb(ETA)
    err += _ball(norm_up(G)) * _ball(Z.radius_frobenius_up())  # |Tr[G^T (Z - mid)]| <= ||G||_F ||rad||_F
    return _sound(arb(s) + arb(0, 1) * err)


@_quiet
def matvec_norm_ball(Z: Enclosure, v: np.ndarray) -> arb:
    """A ball containing ||Z v|| for every Z in the enclosure (v exact floats)."""
    v = np.asarray(v, dtype=np.float64)
    k = v.size
    y = Z.mid @ v
    ynorm = norm_ball(y)
    # rounding: |fl(mid v) - mid v| <= gamma_k |mid||v| + k eta, whose 2-norm is <= gamma_k ||mid||_F ||v|| + k eta sqrt(m)
    m = Z.shape[0]
    err = arb(gamma(k)) * _ball(norm_up(Z.mid)) * _ball(norm_up(v)) + arb(k) * arb(ETA) * arb(m).sqrt()
    err += _ball(norm_up(Z.radius_times_up(v)))  # ||(Z - mid) v|| <= ||rad |v| ||
    return _sound(_between(ynorm - err, ynorm + err))


def top_singular_lower(Z: Enclosure, v: np.ndarray) -> arb:
    """A lower bound (as an exact-endpoint ball's lower end) of s_1(Z): s_1 >= ||Z v|| / ||v||."""
    v = np.asarray(v, dtype=np.float64)
    vn = norm_ball(v)
    if not (vn > 0) or not vn.is_finite():
        return arb(0)
    low = (matvec_norm_ball(Z, v) / vn).lower()
    return low if low.is_finite() else arb(0)


@_quiet
def top_singular_upper_enclosure(Z: Enclosure, x: np.ndarray) -> arb:
    """An upper bound of s_1(Z) for every Z in the enclosure (entries of any sign).

    s_1(Z) <= s_1(|Z|) since ||Z y|| <= || |Z| |y| ||, and |Z| <= U := |mid| + rad entrywise, and s_1 is
    monotone on non-negative matrices (a top singular vector of a non-negative matrix can be taken
    non-negative, Lemma A.7), so s_1(Z) <= s_1(U).  Collatz-Wielandt for the non-negative S = U^T U and
    any x > 0: lambda_max(S) <= max_i (S x)_i / x_i.  ``x`` is any positive float vector (a Perron
    vector estimate makes the bound tight).
    """
    _check_mode()
    x = np.asarray(x, dtype=np.float64)
    if np.any(~(x > 0)):
        raise ValueError("Collatz-Wielandt needs a strictly positive vector")
    abs_mid = Z.mid if (Z.mid.size == 0 or float(np.min(Z.mid)) >= 0) else np.abs(Z.mid)
    y = up(_abs_matvec_up(abs_mid, x, True) + Z.radius_times_up(x))  # >= U x >= 0
    z = up(_abs_matvec_up(abs_mid.T, y, True) + Z.radius_transpose_times_up(y))  # >= U^T y >= U^T U x
    if not np.all(np.isfinite(z)):
        return WHOLE
    ratio = float(np.max(up(z / x)))
    return _sound(_ball(ratio).sqrt().upper())


@_quiet
def _matvec_with_error(Z: Enclosure, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = fl(mid v) and an entrywise upper bound e with |Z v - y| <= e for every Z in the enclosure."""
    k = v.size
    y = Z.mid @ v
    e = up(up(gamma(k) * row_norms_up(Z.mid)) * norm_up(v)) + k * ETA
    return y, up(e + Z.radius_times_up(v))


@_quiet
def _rmatvec_with_error(Z: Enclosure, y: np.ndarray, ey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z = fl(mid^T y) and e with |Z^T w - z| <= e for every Z in the enclosure and |w - y| <= ey."""
    m = y.size
    z = Z.mid.T @ y
    e = up(up(gamma(m) * col_norms_up(Z.mid)) * norm_up(y)) + m * ETA  # rounding of fl(mid^T y)
    e = up(e + _abs_matvec_up(Z.mid.T, ey))  # mid^T (w - y)
    e = up(e + Z.radius_transpose_times_up(up(np.abs(y) + ey)))  # (Z - mid)^T w
    return z, e


def _vector_norm_ball(x: np.ndarray, e: np.ndarray) -> arb:
    """A ball containing ||w|| for every w with |w - x| <= e entrywise."""
    center = norm_ball(x)
    err = _ball(norm_up(e))
    return _sound(_between(center - err, center + err))


@_quiet
def top_singular_upper_gram(Z: Enclosure, v: np.ndarray) -> arb:
    """Upper bound of s_1(Z) from a witness v, tight when one singular value dominates.

    For unit x = alpha v^ + beta w (w unit, orthogonal to v^ = v/||v||), with S = Z^T Z:
    ||Z x||^2 = alpha^2 a + 2 alpha beta (v^ . S w) + beta^2 ||Z w||^2 <= lambda_max([[a, b], [b, c]]),
    where a = ||Z v^||^2, b = ||S v^ - a v^|| = sqrt(||S v^||^2 - a^2) >= |v^ . S w|, and
    c = ||Z||_F^2 - a >= ||Z w||^2.  Everything is enclosed in Arb from float products.
    """
    _check_mode()
    v = np.asarray(v, dtype=np.float64)
    vn2 = norm_sq_ball(v)
    if not (vn2 > 0):
        return WHOLE
    y, ey = _matvec_with_error(Z, v)
    z, ez = _rmatvec_with_error(Z, y, ey)
    zv = _vector_norm_ball(y, ey)
    sv = _vector_norm_ball(z, ez)
    a = zv * zv / vn2
    b2 = sv * sv / vn2 - a * a
    b2 = _between(b2, b2)  # >= 0 in truth
    f = frobenius_ball(Z)
    c = f * f - a
    c = _between(c, c)
    lam = (a + c) / 2 + sqrt_ball(((a - c) / 2) ** 2 + b2)
    if not lam.is_finite():
        return WHOLE
    return _sound(sqrt_ball(lam).upper())


@_quiet
def perron_vector(B: np.ndarray, iterations: int = 30) -> np.ndarray:
    """A positive test vector for Collatz-Wielandt: power iterations on |B|^T |B| (untrusted; any x > 0
    gives a valid bound, a good one a tight bound)."""
    B = np.asarray(B, dtype=np.float64)
    if B.size and float(np.min(B)) < 0:
        B = np.abs(B)
    peak = float(np.max(B, initial=0.0))
    if 0 < peak < INF and not (1e-100 < peak < 1e100):  # the Perron vector does not change with scale;
        B = B / peak  # B^T B x must stay in range
    x = np.ones(B.shape[1])
    for _ in range(iterations):
        y = B.T @ (B @ x)
        top = float(np.max(y)) if y.size else 0.0
        if not top > 0 or not math.isfinite(top):
            break
        x = y / top
    top = float(np.max(x)) if x.size else 1.0
    return np.maximum(x, top * 1e-6 if top > 0 else 1.0)


def top_singular_upper(A: np.ndarray) -> arb:
    """Upper bound of s_1(A) for an exact float matrix A (through s_1(|A|))."""
    A = np.asarray(A, dtype=np.float64)
    return top_singular_upper_enclosure(Enclosure.exact(A), perron_vector(A))


def rank_one_ratio_bounds(fro: arb, s1_low: arb, s1_high: arb) -> tuple[arb, arb]:
    """(low, high): balls whose low.lower() and high.upper() bound sum_{i>=2} s_i^2 / sum_i s_i^2 =
    1 - s_1^2/||Z||_F^2 from below and above, within [0, 1].  Kept as two narrow balls rather than one ball
    spanning [low, high]: a wide ball's radius is stored with 30 bits, which would move its upper end by
    about 1e-9 of the width."""
    zero, one = arb(0), arb(1)
    if not (fro > 0) or not fro.is_finite():
        return zero, one  # the ratio is undefined (Z = 0) or the norm is unknown
    f_lo, f_hi = fro.lower(), fro.upper()
    s_lo = s1_low.lower() if s1_low.lower() >= 0 else zero
    hi = (1 - (s_lo * s_lo) / (f_hi * f_hi)).upper()
    lo = (1 - (s1_high.upper() ** 2) / (f_lo * f_lo)).lower() if s1_high.is_finite() else zero
    if not hi.is_finite() or not (hi <= 1):
        hi = one
    if not lo.is_finite() or not (lo >= 0):
        lo = zero
    return lo, hi


def rank_one_ratio_ball(fro: arb, s1_low: arb, s1_high: arb) -> arb:
    """Enclosure of sum_{i>=2} s_i^2 / sum_i s_i^2 = 1 - s_1^2/||Z||_F^2, clipped to [0, 1]."""
    lo, hi = rank_one_ratio_bounds(fro, s1_low, s1_high)
    return _sound(_between(lo, hi, 0.0, 1.0))


def gap_ratio_ball(Z: Enclosure) -> arb:
    """Enclosure of ||relu(Z) - Z||_F^2 / ||Z||_F^2 = ||min(Z, 0)||_F^2 / ||Z||_F^2."""
    num = frobenius_ball(negative_part(Z))
    den = frobenius_ball(Z)
    if not (den > 0) or not den.is_finite():
        return arb(0).union(arb(1))
    r = (num * num) / (den * den)
    return _sound(_between(r, r, 0.0, 1.0))
