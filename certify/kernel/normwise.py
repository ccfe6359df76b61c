"""Norm-wise enclosures of a ReLU network's forward pass (trusted kernel).

An entrywise enclosure carries a radius for every entry through |W|, and the radius then grows with
depth faster than the values (about sqrt(width) per layer on random weights).  The quantities the paper
needs (Frobenius norms, top singular values, rank-one ratios, ReLU gaps, Tr[G^T Y]) are all norm-wise,
so this module encloses a layer's exact preactivation Z by a float pair mid + lo (a double-double
value; lo may be absent) and one number, an upper bound of ||Z - (mid + lo)||_F.  Three things keep
that number small through depth:

* **Accurate products** (:func:`product_pair`).  fl(W A) is off by up to gamma_k |W||A|, about k u
  relative to |W||A|.  Here the product is formed from an error-free splitting (Ozaki's scheme: Ozaki,
  Ogita, Oishi, Rump, *Numer. Algorithms* 59 (2012)): W = W1 + W2 and A = A1 + A2, where
  W1 = diag(2^(e - beta)) I_W and A1 = I_A diag(2^(f - beta)) hold integers |I| <= 2^beta with
  k 2^(2 beta) <= 2^53.  Every partial sum of I_W I_A is then an integer of at most 53 bits, so BLAS
  computes that product *exactly* in any order, blocked, threaded, with or without FMA.  The remaining
  products have a factor 2^-beta smaller, so their rounding is about 2^-beta k u, and the sum is kept
  as a TwoSum pair.  With three slices the leading cross products are exact too and the error drops
  to about 2^-beta u |W||A|.
* **Propagation through spectral norms** (:func:`layer`).  With A the exact activation and Ahat the
  float one, ||W A - Zhat||_F <= ||W||_2 ||A - Ahat||_F + ||W Ahat - Zhat||_F, and ReLU is 1-Lipschitz
  entrywise.  ||W||_2 is bounded above by a Cholesky residual certificate (:func:`spectral_norm_upper`),
  within about 1e-8 of the true value, so the relative radius grows by ||W_l||_2 ||A_(l-1)||_F / ||Z_l||_F
  per layer (about 3 on random weights, 1 on nearly rank-one ones).
* **Accurate sums** (:func:`norm_sq_ball_accurate`, :func:`dot_ball_accurate`): sums of squares and
  dot products by an error-free TwoSum tree, about u wide, instead of the a-priori gamma_n bound
  (2e-10 relative for two million entries).

Assumptions: those of :mod:`certify.kernel.enclose` (binary64, round to nearest, gradual underflow, a
product of k terms formed as some sum of the k products, no Strassen-type multiplication); LAPACK's
Cholesky and the Lanczos estimate may be any algorithm, since their outputs are only witnesses checked
by a residual bound.  Where the splitting's exponents would leave the normal range (data near 1e-300
or 1e300) a product falls back to one BLAS product with the a-priori bound gamma_k ||W||_F ||A||_F,
which is valid but looser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from flint import arb

from certify.kernel import enclose as E
from certify.kernel.arith import working_precision

U = E.U
ETA = E.ETA


def float_matrix(x) -> np.ndarray:
    """``x`` as float64 without rounding: float16/32/64 convert exactly; integers only up to 2^53 in size;
    anything else (long doubles, objects, bigger integers) is refused, since rounding it here would
    certify a different matrix."""
    a = np.asarray(x)
    if a.dtype.kind == "f" and a.dtype.itemsize <= 8:
        return a.astype(np.float64, copy=False)
    if a.dtype.kind in "iub":
        if a.size and a.dtype.kind != "b" and int(np.max(np.abs(a.astype(object)))) > 2**53:
            raise ValueError("an integer entry beyond 2^53 is not exactly a float64 number")
        return a.astype(np.float64)
    raise TypeError(f"the kernel takes binary64-representable arrays, not {a.dtype}")


def _arb_up(x: float) -> arb:
    return E._ball(x)


# --- accurate sums of squares ----------------------------------------------------------------------


@E._quiet
def _tree_sum(x: np.ndarray) -> tuple[float, float, int, int]:
    """(s, e, m, levels) for finite floats x (a fresh array: it is overwritten): the two halves are added
    by TwoSum, level by level, so the exact total is s + (the sum of the m TwoSum errors) exactly; e is the
    float sum of those errors (np.sum of each level's, then added up).  Each error is at most u times the
    absolute value of its pair's sum, and at every level the absolute sums add up to at most
    (1 + u)^level times the sum of |x|."""
    x = np.ravel(x)
    e_sum, m, levels = 0.0, 0, 0
    while x.size > 1:
        half = x.size // 2
        odd = x[2 * half :]  # the last element when the size is odd, carried to the next level
        hi, lo = two_sum(x[:half], x[half : 2 * half])  # views of x: two_sum writes into them, x is ours
        e_sum += float(np.sum(lo))
        m += lo.size
        levels += 1
        x = np.concatenate((hi, odd)) if odd.size else hi
    return (float(x[0]) if x.size else 0.0), e_sum, m, levels


def _tree_sum_ball(x: np.ndarray, abs_total: arb) -> arb:
    """A ball containing the exact sum of the finite floats x, given an upper bound of sum |x_i|: the
    TwoSum tree is error-free; the float sums of its errors are off by at most gamma_(m + levels) times the
    errors' absolute sum, itself at most levels u (1 + u)^levels sum |x_i| (u^2-sized terms)."""
    s, e, m, levels = _tree_sum(x)
    if not (math.isfinite(s) and math.isfinite(e)) or E.gamma(max(m + levels, 1)) == math.inf:
        return E.WHOLE
    err_abs = arb(levels) * arb(U) * (1 + arb(U)) ** levels * abs_total
    err = arb(E.gamma(max(m + levels, 1))) * err_abs
    return E._sound(arb(s) + arb(e) + arb(0, 1) * err.upper())


def _sum_nonneg_ball(x: np.ndarray) -> arb:
    """A ball containing the exact sum of non-negative finite floats, about u wide (relative)."""
    rough = float(np.sum(x))  # an upper bound of sum x_i after dividing by 1 - gamma_n (non-negative terms)
    if not math.isfinite(rough) or E.gamma(max(x.size, 1)) == math.inf:
        return E.WHOLE
    abs_total = arb(rough) / (1 - arb(E.gamma(max(x.size, 1))))
    return _tree_sum_ball(x, abs_total)


@E._quiet
def norm_sq_ball_accurate(x: np.ndarray, where: np.ndarray | None = None) -> arb:
    """A ball containing sum x_i^2, about 2u wide (relative): each fl(x_i^2) is within u x_i^2 + eta/2 of
    x_i^2, and their sum is enclosed by :func:`_sum_nonneg_ball`.  Data whose squares overflow or become
    subnormal in bulk are scaled by a power of two first (as in :func:`certify.kernel.enclose.norm_sq_ball`)."""
    flat = np.ravel(float_matrix(x))
    if not np.all(np.isfinite(flat)):
        return E.WHOLE
    n = max(flat.size, 1)
    peak = float(np.max(np.abs(flat), initial=0.0))
    if peak == 0.0:
        return arb(0)
    ex = int(np.frexp(peak)[1])
    if -400 < ex < 400:  # squares neither overflow nor underflow in bulk: no scaling needed
        y, ex = flat, 0
    else:
        y = np.ldexp(flat, -ex)  # max |y| in [1/2, 1)
    with working_precision(106):  # ball arithmetic finer than the data, so it adds no width of its own
        sq = y * y
        if where is not None:  # only the entries where the mask holds (the others count as 0)
            sq[~np.ravel(where)] = 0.0
        S = _sum_nonneg_ball(sq)
        slack = arb(n) * arb(ETA) / 2  # squares that landed in the subnormal range
        lo = (S.lower() - slack) / (1 + arb(U))
        hi = (S.upper() + slack) / (1 - arb(U))
        if ex:  # y = fl(x 2^-ex): each rounding of the scaling moves a square by less than 2 eta
            lo, hi = lo - 2 * arb(n) * arb(ETA), hi + 2 * arb(n) * arb(ETA)
        scale = arb(2) ** (2 * ex)
        return E._sound(E._between(lo * scale, hi * scale))


def norm_ball_accurate(x: np.ndarray) -> arb:
    """A ball containing the Euclidean (Frobenius) norm of x, about u wide (relative)."""
    with working_precision(106):  # ball arithmetic finer than the float data, so it adds no width of its own
        return E.sqrt_ball(norm_sq_ball_accurate(x))


_VELTKAMP = 134217729.0  # 2^27 + 1


@E._quiet
def _veltkamp(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a = hi + lo exactly, each with at most 26 significant bits (Veltkamp's splitting, round to nearest,
    valid for |a| < 2^995: callers scale first)."""
    c = _VELTKAMP * a
    hi = c - (c - a)
    return hi, a - hi


@E._quiet
def dot_ball_accurate(x: np.ndarray, y: np.ndarray) -> arb:
    """A ball containing sum x_i y_i, about u^2 sum |x_i y_i| wide: each product is split into four exact
    products of 26-bit halves (an underflowing one is off by at most eta/2), and the 4n products are summed
    by the error-free TwoSum tree of :func:`_tree_sum`.  Both vectors are first scaled by powers of two to a
    largest entry in [1/2, 1) when their exponents are extreme (each scaled entry then off by eta/2 at most)."""
    a, b = float_matrix(x), float_matrix(y)
    if a.shape != b.shape:
        raise ValueError("the arrays differ in shape")
    a, b = np.ravel(a), np.ravel(b)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return E.WHOLE
    n = max(a.size, 1)
    pa, pb = float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0))
    if pa == 0.0 or pb == 0.0:
        return arb(0)
    ea, eb = int(np.frexp(pa)[1]), int(np.frexp(pb)[1])
    scaling_err = arb(0)
    if not (-400 < ea < 400 and -400 < eb < 400):
        a, b = np.ldexp(a, -ea), np.ldexp(b, -eb)  # |a|, |b| < 1: the roundings move the sum by < n eta
        scaling_err = arb(n) * arb(ETA)
    else:
        ea = eb = 0
    a_hi, a_lo = _veltkamp(a)
    b_hi, b_lo = _veltkamp(b)
    terms = np.concatenate((a_hi * b_hi, a_hi * b_lo, a_lo * b_hi, a_lo * b_lo))
    with working_precision(128):
        rough = float(np.sum(np.abs(terms)))
        if not math.isfinite(rough) or E.gamma(max(terms.size, 1)) == math.inf:
            return E.WHOLE
        abs_total = arb(rough) / (1 - arb(E.gamma(max(terms.size, 1))))
        total = _tree_sum_ball(terms, abs_total)
        if not total.is_finite():
            return E.WHOLE
        err = 2 * arb(n) * arb(ETA) + scaling_err  # underflowing products, scaling
        return E._sound((total + arb(0, 1) * err.upper()) * arb(2) ** (ea + eb))


# --- accurate products ---------------------------------------------------------------------------


def split_bits(k: int) -> int:
    """beta with k 2^(2 beta) <= 2^53: products of two beta-bit integers summed k times stay exact."""
    if k < 1:
        raise ValueError("an inner dimension is at least 1")
    c = (k - 1).bit_length()  # ceil(log2 k)
    return (53 - c) // 2


def _exponents(M: np.ndarray, axis: int) -> np.ndarray:
    """For each row (axis=1) or column (axis=0): the e with max|entry| <= 2^e (0 for an all-zero line)."""
    peak = np.max(np.abs(M), axis=axis, initial=0.0)
    e = np.frexp(peak)[1].astype(np.int64)  # peak = m 2^e with m in [1/2, 1), so peak < 2^e
    return np.where(peak > 0, e, 0)


@E._quiet
def _split(M: np.ndarray, e: np.ndarray, beta: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(I, R): I integer-valued with |I| <= 2^beta, and R = M - I 2^(e - beta) along ``axis`` (rows for
    axis=1, columns for axis=0).  Scaling by a power of two upwards is exact (the result stays below 2^beta)
    and rint is exact; the caller checks that 2^(e - beta) is a normal-range factor, so I 2^(e - beta) is
    exact too, and R is then the exact difference of two floats within 2^(e - beta - 1) of each other
    (Rump, Ogita, Oishi, SIAM J. Sci. Comput. 31 (2008), Lemma 3.3); the bound in
    :func:`_block` and :func:`_block_fine` nevertheless allow a rounding of u|R| in it."""
    shape = (-1, 1) if axis == 1 else (1, -1)
    up_scale = np.ldexp(1.0, (beta - e)).reshape(shape)
    I = np.rint(M * up_scale)
    down_scale = np.ldexp(1.0, (e - beta)).reshape(shape)
    R = M - I * down_scale
    return I, R


def _scales_in_range(e: np.ndarray, f: np.ndarray, beta: int, c: int, slices: int = 2) -> bool:
    """Every slice factor 2^(e_i - j beta), 2^(f_j - j beta) (j < slices) is a normal float, and every entry
    of an exact slice product (an integer below 2^(2 beta + c) <= 2^53 times 2^(e_i + f_j - beta (i' + j'))
    for the slice pairs used) is exactly representable: no overflow above, no power below 2^-1074."""
    if e.size == 0 or f.size == 0:
        return True
    deepest = (slices - 1) * beta  # the finest slice sits (slices - 1) beta bits below the first
    lo_e, hi_e, lo_f, hi_f = int(e.min()), int(e.max()), int(f.min()), int(f.max())
    return (lo_e - beta - deepest >= -1022 and lo_f - beta - deepest >= -1022
            and hi_e - beta <= 1000 and hi_f - beta <= 1000
            and lo_e + lo_f - 2 * beta - deepest >= -1074 and hi_e + hi_f + c <= 1020)


def _scale_rows_cols(P: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """P * rows * cols in place, for powers of two rows (m x 1) and cols (1 x n), applying the factor with
    the smaller largest value first so the intermediate cannot overflow when the result does not: with the
    range of :func:`_scales_in_range`, both scalings are then exact."""
    first, second = (rows, cols) if float(np.max(rows, initial=0.0)) <= float(np.max(cols, initial=0.0)) else (cols, rows)
    P *= first
    P *= second
    return P


@E._quiet
def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, t) with s = fl(a + b) and s + t = a + b exactly (Knuth's TwoSum: error-free under round to
    nearest whatever the magnitudes, barring overflow; t is then at most half an ulp of s, so s and s + t
    have the same sign).  Consumes a and b (their buffers are reused)."""
    s = a + b
    bb = s - a
    b -= bb  # b - bb
    np.subtract(s, bb, out=bb)  # s - bb
    a -= bb  # a - (s - bb)
    a += b
    return s, a


@E._quiet
def product_pair(W: np.ndarray, A_hi: np.ndarray, A_lo: np.ndarray | None = None, slices: int = 2
                 ) -> tuple[np.ndarray, np.ndarray, arb]:
    """(Z_hi, Z_lo, bound): float matrices with ||W (A_hi + A_lo) - (Z_hi + Z_lo)||_F <= bound.upper(), for
    exact float W (m x k) and A_hi, A_lo (k x n; A_lo None for zero).

    W A_hi = W1 A1 + W1 A2 + W2 A_hi exactly, for the splitting of the module docstring (W2 = W - W1,
    A2 = A_hi - A1 as real numbers).  P1 = I_W I_A is exact; P2 = fl(I_W A2) and P3 = fl(W2 A_hi) carry
    gamma_k |I_W||A2| and gamma_k |W2||A_hi| plus k eta (underflow) per entry, bounded in Frobenius norm by
    Cauchy-Schwarz (gamma_k ||W1||_F ||A2||_F, ...); a rounding of u|R| in a remainder R = fl(M - I 2^s)
    would add u ||R||_F ||other||_F.  T = fl(W A_lo) carries gamma_k ||W||_F ||A_lo||_F.  The sums
    Q = fl(fl(2^e P2 + P3) + T) add at most u|result| + eta/2 per entry each (round to nearest), and
    (Z_hi, Z_lo) = TwoSum(2^(e+f) P1, Q) is exact.  Scalings by powers of two are exact in range.
    The bound is therefore about 2^-beta k u |W||A|: far below the u |Z| of storing Z in one float.
    With ``slices=3`` (:func:`_block_fine`) the first two beta-bit slices of each factor enter exact
    products, and the bound drops to about 2^-beta u |W||A| (the rounding of one sum of exact products).
    """
    E._check_mode()
    W = float_matrix(W)
    A_hi = float_matrix(A_hi)
    A_lo = None if A_lo is None else float_matrix(A_lo)
    m, k = W.shape
    if A_hi.shape[0] != k:
        raise ValueError(f"shapes {W.shape} and {A_hi.shape} do not multiply")
    n = A_hi.shape[1]
    finite = np.all(np.isfinite(W)) and np.all(np.isfinite(A_hi)) and (A_lo is None or np.all(np.isfinite(A_lo)))
    if not finite:
        return np.full((m, n), np.nan), np.zeros((m, n)), E.WHOLE
    beta = split_bits(k)
    c = (k - 1).bit_length()
    e, f = _exponents(W, 1), _exponents(A_hi, 0)
    if not _scales_in_range(e, f, beta, c, slices):
        Z, rho = plain_product(W, A_hi)
        if A_lo is not None:
            T, rho_lo = plain_product(W, A_lo)
            Z, lo = two_sum(Z, T)
            return Z, lo, E._sound((rho + rho_lo).upper())
        return Z, np.zeros_like(Z), rho
    if slices not in (2, 3):
        raise ValueError("slices is 2 or 3")
    ws = _WSplit(W, e, beta, slices)
    hi = np.empty((m, n))
    lo = np.empty((m, n))
    total = arb(0)
    for j0 in range(0, n, COLUMN_BLOCK):  # blocks of columns bound the temporaries; ||E||_F^2 = sum of blocks'
        j1 = min(n, j0 + COLUMN_BLOCK)
        blk_lo = None if A_lo is None else A_lo[:, j0:j1]
        run = _block_fine if slices == 3 else _block
        h, l_, err = run(ws, A_hi[:, j0:j1], blk_lo, f[j0:j1])
        hi[:, j0:j1] = h
        lo[:, j0:j1] = l_
        del h, l_
        if not err.is_finite():
            return hi, lo, E.WHOLE
        total += err.upper() ** 2
    if not (np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))):
        return hi, lo, E.WHOLE
    return hi, lo, E._sound(E.sqrt_ball(total).upper())


#: columns per block of an accurate product (the temporaries hold a few m x COLUMN_BLOCK matrices)
COLUMN_BLOCK = 512


class _WSplit:
    """The W side of an accurate product, split once and reused for every block of columns."""

    def __init__(self, W: np.ndarray, e: np.ndarray, beta: int, slices: int) -> None:
        self.W, self.beta, self.slices = W, beta, slices
        self.m, self.k = W.shape
        self.g = arb(E.gamma(self.k))
        self.pe1 = np.ldexp(1.0, e - beta)[:, None]
        self.top_e = _arb_up(float(np.max(self.pe1, initial=0.0)))
        self.I1, self.R1 = _split(W, e, beta, 1)  # W = 2^(e - beta) I1 + R1
        # ||W1||_F with W1 = diag(2^(e - beta)) I1, from the row norms of I1 (each scaled exactly)
        self.n_W1 = _arb_up(E.norm_up(E.up(E.row_norms_up(self.I1) * self.pe1[:, 0])))
        self.n_W = _arb_up(E.norm_up(W))
        self.n_R1 = _arb_up(E.norm_up(self.R1))
        if slices == 3:
            self.pe2 = np.ldexp(1.0, e - 2 * beta)[:, None]
            self.I2, self.R2 = _split(self.R1, e - beta, beta, 1)  # R1 = 2^(e - 2 beta) I2 + R2
            self.n_R2 = _arb_up(E.norm_up(self.R2))


@E._quiet
def _block(ws: _WSplit, A_hi: np.ndarray, A_lo: np.ndarray | None, f: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, arb]:
    """Two slices on one block of columns (see :func:`product_pair`): W = W1 + W2, A = A1 + A2."""
    beta, g = ws.beta, ws.g
    m, n = ws.m, A_hi.shape[1]
    kETA = arb(ws.k) * arb(ETA)
    cells = arb(m * n).sqrt()
    I_A, A2 = _split(A_hi, f, beta, 0)
    pow_f = np.ldexp(1.0, f - beta)[None, :]
    n_A2, n_A = (_arb_up(E.norm_up(x)) for x in (A2, A_hi))
    # rounding of fl(I_W A2), scaled by rows, and of fl(W2 A); k eta (underflow) per entry of each, and
    # eta/2 per entry where the row scaling of fl(I_W A2) lands in the subnormal range
    err = g * (ws.n_W1 * n_A2 + ws.n_R1 * n_A) + kETA * (ws.top_e + 1) * cells + arb(ETA) * cells
    # the splitting remainders, in case their subtraction was not exact: |dA2| <= u|A2|, |dW2| <= u|W2|
    err += arb(U) * (ws.n_W1 * n_A2 + ws.n_R1 * n_A)
    Q = ws.I1 @ A2
    del A2
    Q *= ws.pe1
    tmp = ws.R1 @ A_hi
    Q += tmp
    err += arb(U) * _arb_up(E.norm_up(Q)) + arb(ETA) * cells  # rounding of that sum
    if A_lo is not None:
        np.matmul(ws.W, A_lo, out=tmp)
        err += g * ws.n_W * _arb_up(E.norm_up(A_lo)) + kETA * cells
        Q += tmp
        err += arb(U) * _arb_up(E.norm_up(Q)) + arb(ETA) * cells
    Z = np.matmul(ws.I1, I_A, out=tmp)  # exact: integers below 2^53
    del I_A
    _scale_rows_cols(Z, ws.pe1, pow_f)  # exact scalings (range checked)
    hi, lo = two_sum(Z, Q)
    return hi, lo, err


@E._quiet
def _block_fine(ws: _WSplit, A: np.ndarray, A_lo: np.ndarray | None, f: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, arb]:
    """Three slices on one block of columns: W = W1 + W2 + W3 and A = A1 + A2 + A3 (W1, W2, A1, A2 beta-bit
    slices, scaled by 2^(e - beta), 2^(e - 2 beta) by rows and 2^(f - beta), 2^(f - 2 beta) by columns).
    With Wr = W - W1 and Ar = A - A1 (real numbers):

        W A = W1 A1 + W1 A2 + W2 A1 + (W1 A3 + W3 A1 + Wr Ar)

    The first three products are exact (integers below 2^53); the last three are rounded, each with a factor
    2^-beta smaller than |W||A| on both sides, so their rounding is about 2^-2beta k u.  The remainders'
    subtractions are exact (Rump, Ogita, Oishi 2008, Lemma 3.3); a rounding of u|R| in any of them is
    allowed for anyway (u ||R||_F times the norm of what it multiplies)."""
    beta, g = ws.beta, ws.g
    m, n = ws.m, A.shape[1]
    kETA = arb(ws.k) * arb(ETA)
    cells = arb(m * n).sqrt()
    I_A1, Ar = _split(A, f, beta, 0)
    I_A2, A3 = _split(Ar, f - beta, beta, 0)
    pf1 = np.ldexp(1.0, f - beta)[None, :]
    pf2 = np.ldexp(1.0, f - 2 * beta)[None, :]
    n_A, n_Ar, n_A3 = (_arb_up(E.norm_up(x)) for x in (A, Ar, A3))
    n_A1 = _arb_up(E.norm_up(E.up(E.col_norms_up(I_A1) * pf1[0, :])))
    top_f = _arb_up(float(np.max(pf1, initial=0.0)))
    # rounding of the three rounded products (k eta of underflow each, scaled by the largest row or column
    # factor where a product is scaled after it is formed), plus eta/2 per entry for each scaling
    err = g * (ws.n_W1 * n_A3 + ws.n_R2 * n_A1 + ws.n_R1 * n_Ar)
    err += kETA * (ws.top_e + top_f + 1) * cells + 2 * arb(ETA) * cells
    # remainders whose subtraction might have rounded: Wr, W3 (multiplying at most |A|), Ar, A3 (at most |W|)
    err += arb(U) * ((ws.n_R1 + ws.n_R2) * n_A + ws.n_W * (n_Ar + n_A3))
    R = ws.I1 @ A3
    del A3
    R *= ws.pe1
    tmp = ws.R2 @ I_A1
    tmp *= pf1
    R += tmp
    err += arb(U) * _arb_up(E.norm_up(R)) + arb(ETA) * cells  # rounding of this first sum
    np.matmul(ws.R1, Ar, out=tmp)
    del Ar
    R += tmp
    err += arb(U) * _arb_up(E.norm_up(R)) + arb(ETA) * cells  # rounding of the second sum
    if A_lo is not None:
        np.matmul(ws.W, A_lo, out=tmp)
        err += g * ws.n_W * _arb_up(E.norm_up(A_lo)) + kETA * cells
        R += tmp
        err += arb(U) * _arb_up(E.norm_up(R)) + arb(ETA) * cells
    # the two exact cross products, scaled exactly, then summed with R: Q = fl(fl(P12 + P21) + R)
    np.matmul(ws.I1, I_A2, out=tmp)
    del I_A2
    _scale_rows_cols(tmp, ws.pe1, pf2)
    Q = ws.I2 @ I_A1
    _scale_rows_cols(Q, ws.pe2, pf1)
    Q += tmp
    err += arb(U) * _arb_up(E.norm_up(Q)) + arb(ETA) * cells
    Q += R
    del R
    err += arb(U) * _arb_up(E.norm_up(Q)) + arb(ETA) * cells
    Z = np.matmul(ws.I1, I_A1, out=tmp)  # exact: integers below 2^53
    del I_A1
    _scale_rows_cols(Z, ws.pe1, pf1)
    hi, lo = two_sum(Z, Q)
    return hi, lo, err


@E._quiet
def plain_product(W: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, arb]:
    """(fl(W A), bound of ||W A - fl(W A)||_F) from the a-priori bound gamma_k ||W||_F ||A||_F + k eta sqrt(mn)."""
    E._check_mode()
    W = np.asarray(W, dtype=np.float64)
    A = np.asarray(A, dtype=np.float64)
    k = W.shape[1]
    Z = W @ A
    if not np.all(np.isfinite(Z)):
        return Z, E.WHOLE
    err = (arb(E.gamma(k)) * _arb_up(E.norm_up(W)) * _arb_up(E.norm_up(A))
           + arb(k) * arb(ETA) * arb(Z.size).sqrt())
    return Z, E._sound(err.upper())


# --- spectral norms --------------------------------------------------------------------------------


def _largest_eigenvalue_estimate(S: np.ndarray, steps: int = 40) -> float:
    """Untrusted estimate of the largest eigenvalue of a symmetric PSD float matrix: LAPACK for small
    matrices, otherwise a few Lanczos steps (deterministic start, full reorthogonalisation) and the top
    eigenvalue of the tridiagonal matrix.  The certificate in :func:`spectral_norm_upper` tries margins
    above it, so an estimate that is too low only costs a retry; one that is too high only loosens the
    bound."""
    p = S.shape[0]
    if p <= 64:
        return float(np.linalg.eigvalsh(S)[-1])
    steps = min(steps, p)
    Q = np.zeros((steps, p))
    alpha, beta = [], []
    q = np.ones(p) / math.sqrt(p)
    for j in range(steps):
        Q[j] = q
        w = S @ q
        alpha.append(float(q @ w))
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)  # full reorthogonalisation (twice is enough)
        w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        b = float(np.linalg.norm(w))
        if not (b > 1e-12 * abs(alpha[0]) and math.isfinite(b)) or j == steps - 1:
            break
        beta.append(b)
        q = w / b
    T = np.diag(alpha) + np.diag(beta[: len(alpha) - 1], 1) + np.diag(beta[: len(alpha) - 1], -1)
    return float(np.linalg.eigvalsh(T)[-1])


@E._quiet
def spectral_norm_upper(W: np.ndarray) -> arb:
    """A ball whose upper end bounds ||W||_2, the largest singular value of an exact float matrix W.

    With S = W^T W (or W W^T, the smaller) and a float mu a little above an estimate of lambda_max(S):
    S_hat = fl(S) has ||S_hat - S||_2 <= gamma_k ||W||_F^2 + p k eta; M = fl(mu I - S_hat) (only its
    diagonal is rounded, by at most u|M_ii|); if LAPACK's Cholesky gives L, then for any real L
    mu I - S = L L^T + (M - L L^T) - (M - (mu I - S_hat)) + (S_hat - S) >= -eps I with
    eps >= ||M - L L^T||_2 + u max|M_ii| + ||S_hat - S||_2, and ||M - L L^T||_2 <= (1 + u) ||fl(M - F)||_F
    + gamma_p ||L||_F^2 for F = fl(L L^T).  So lambda_max(S) <= mu + eps: a residual check, nothing
    about the Cholesky algorithm is trusted.  W is first scaled by a power of two (max entry in [1/2, 1));
    when the certificate fails (Cholesky breaks down) the Frobenius norm is the bound.
    """
    E._check_mode()
    W = float_matrix(W)
    fro = E.norm_ball(W)
    if W.size == 0 or not fro.is_finite():
        return fro
    if fro.upper() <= 0:
        return arb(0)
    peak = float(np.max(np.abs(W)))
    scale_exp = int(np.frexp(peak)[1])
    m, k = W.shape
    if -200 < scale_exp < 200:  # the Gram matrix neither overflows nor underflows in bulk: no scaling
        Ws, scale_exp, scaling_err = W, 0, arb(0)
    else:
        Ws = np.ldexp(W, -scale_exp)  # max entry in [1/2, 1)
        # |Ws - W 2^-s| <= eta/2 entrywise (only a subnormal result rounds): ||.||_2 <= sqrt(mk) eta/2
        scaling_err = arb(m * k).sqrt() * arb(ETA)
    S = Ws.T @ Ws if k <= m else Ws @ Ws.T
    inner = m if k <= m else k
    p = S.shape[0]
    fro_s = _arb_up(E.norm_up(Ws))
    gram_err = arb(E.gamma(inner)) * fro_s * fro_s + arb(p) * arb(inner) * arb(ETA)
    est = _largest_eigenvalue_estimate(S)
    bound = None
    if math.isfinite(est) and est > 0:
        for margin in (2.0**-26, 2.0**-18, 2.0**-10, 2.0**-4, 2.0**-1, 2.0**1):
            mu = float(E.up(est * (1.0 + margin)))
            M = -S
            idx = np.diag_indices(p)
            M[idx] = mu - S[idx]
            try:
                L = np.linalg.cholesky(M)  # LAPACK's potrf; lower triangular
            except np.linalg.LinAlgError:
                continue
            if not np.all(np.isfinite(L)):
                continue
            F = L @ L.T
            n_L = _arb_up(E.norm_up(L))
            resid = _arb_up(E.norm_up(M - F)) * (1 + arb(U)) + arb(E.gamma(p)) * n_L * n_L
            resid += 2 * arb(p) * arb(p) * arb(ETA)  # underflow in the products of F and in M - F
            diag_err = arb(U) * _arb_up(float(np.max(np.abs(M[idx]), initial=0.0)))
            eps = resid + diag_err + gram_err
            lam = arb(mu) + eps
            bound = E.sqrt_ball(lam).upper()
            break
    if bound is None or not (bound < fro_s):
        bound = fro_s.upper()
    return E._sound(((bound + scaling_err) * arb(2) ** scale_exp).upper())


# --- norm-wise enclosures ---------------------------------------------------------------------------


@dataclass
class NormEnclosure:
    """A real matrix Z known as ||Z - (mid + lo)||_F <= radius.upper(); ``mid`` and ``lo`` are float64
    (``lo`` None for zero; mid + lo is meant exactly, a double-double value).  Quantities computed from
    ``mid`` alone use the wider radius radius + ||lo||_F (:meth:`mid_radius`)."""

    mid: np.ndarray
    radius: arb
    lo: np.ndarray | None = None
    _mid_radius: arb | None = None
    _mid_norm: arb | None = None  # a ball around ||mid||_F, when already computed

    @classmethod
    def exact(cls, A: np.ndarray) -> "NormEnclosure":
        A = float_matrix(A)
        if A.ndim != 2:
            raise ValueError("an enclosure holds a matrix")
        return cls(A, arb(0) if np.all(np.isfinite(A)) else E.WHOLE)  # inf/NaN: nothing is known

    @property
    def shape(self) -> tuple[int, int]:
        return self.mid.shape  # type: ignore[return-value]

    def mid_radius(self) -> arb:
        """An upper bound (ball's upper end) of ||Z - mid||_F: radius + ||lo||_F; WHOLE if unknown."""
        if self._mid_radius is None:
            r = self.radius.upper() if self.radius.is_finite() else E.WHOLE
            if self.lo is not None and r.is_finite():
                r = E._sound((r + _arb_up(E.norm_up(self.lo))).upper())
            self._mid_radius = r
        return self._mid_radius


def relu(Z: NormEnclosure) -> NormEnclosure:
    """relu is 1-Lipschitz entrywise, so ||relu(Z) - relu(mid + lo)||_F <= ||Z - (mid + lo)||_F.  When lo is
    at most half an ulp of mid (a TwoSum pair), mid + lo has the sign of mid, and relu(mid + lo) is
    (max(mid, 0), lo where mid > 0): computed exactly."""
    if not np.all(np.isfinite(Z.mid)):  # relu would map NaN to a number: nothing is known
        return NormEnclosure(np.maximum(Z.mid, 0.0), E.WHOLE)
    if Z.lo is None:
        return NormEnclosure(np.maximum(Z.mid, 0.0), Z.radius)
    keep = Z.mid > 0
    mid = np.where(keep, Z.mid, 0.0)
    lo = np.where(keep, Z.lo, 0.0)
    zero_mid = Z.mid == 0
    if np.any(zero_mid & (Z.lo != 0)):  # not a normalised pair: fall back to the 1-Lipschitz bound on mid
        return NormEnclosure(np.maximum(Z.mid, 0.0), Z.mid_radius())
    return NormEnclosure(mid, Z.radius, lo)


def fold(Z: NormEnclosure) -> NormEnclosure:
    """The same matrix with its low part folded into the radius: ||Z - mid||_F <= radius + ||lo||_F.  The
    next product then costs one BLAS product less, at the price of about u ||Z||_F of radius."""
    if Z.lo is None:
        return Z
    return NormEnclosure(Z.mid, Z.mid_radius(), None, None, Z._mid_norm)


def layer(W: np.ndarray, A: NormEnclosure, spectral: arb | None = None, slices: int = 2) -> NormEnclosure:
    """Enclosure of W A for an exact float W: with Ahat = A.mid + A.lo and Zhat = Z_hi + Z_lo,
    ||W A - Zhat||_F <= ||W||_2 ||A - Ahat||_F + ||W Ahat - Zhat||_F.

    ``spectral`` is an upper bound of ||W||_2; when not given it is certified here
    (:func:`spectral_norm_upper`) unless the certificate's p^3 work would exceed 16 times the product's
    m k N (few points for the width), where ||W||_F serves instead."""
    hi, lo, rho = product_pair(W, A.mid, A.lo, slices)
    if A.radius.is_zero():
        return NormEnclosure(hi, rho, lo)
    if spectral is not None:
        sigma = spectral
    elif min(W.shape) ** 3 <= 16 * W.shape[0] * W.shape[1] * max(A.shape[1], 1):
        sigma = spectral_norm_upper(W)
    else:  # few points for the width: the certificate (p^3) would cost far more than the product (m k N)
        sigma = E.norm_ball(W).upper()  # ||W||_2 <= ||W||_F: valid, looser
    rad = sigma.upper() * (A.radius.upper() if A.radius.is_finite() else E.WHOLE) + rho
    return NormEnclosure(hi, E._sound(rad.upper()), lo)


def frobenius_ball(Z: NormEnclosure) -> arb:
    """||Z||_F lies within ||Z - mid||_F of ||mid||_F (triangle inequality)."""
    if Z._mid_norm is None:
        Z._mid_norm = norm_ball_accurate(Z.mid)
    c = Z._mid_norm
    r = Z.mid_radius()
    return E._sound(E._between(c - r, c + r))


def top_singular_lower(Z: NormEnclosure, v: np.ndarray) -> arb:
    """s_1(Z) >= s_1(mid) - ||Z - mid||_2 >= ||mid v|| / ||v|| - ||Z - mid||_F (Weyl), with mid v formed by
    the accurate product (a pair y = y_hi + y_lo within rho of it) and ||y||^2, ||v||^2 summed from exact
    products (||y_hi + y_lo||^2 = y_hi.y_hi + 2 y_hi.y_lo + y_lo.y_lo), so the bound loses about u^2, not u."""
    v = np.asarray(v, dtype=np.float64)
    with working_precision(128):
        vn = E.sqrt_ball(dot_ball_accurate(v, v))
        if not (vn > 0) or not vn.is_finite():
            return arb(0)
        y_hi, y_lo, rho = product_pair(Z.mid, v.reshape(-1, 1))
        y_sq = dot_ball_accurate(y_hi, y_hi) + 2 * dot_ball_accurate(y_hi, y_lo) + dot_ball_accurate(y_lo, y_lo)
        yn = E.sqrt_ball(E._sound(E._between(y_sq, y_sq)))
        low = ((yn - rho) / vn - Z.mid_radius()).lower()
    return low if (low.is_finite() and low > 0) else arb(0)


def top_singular_upper(Z: NormEnclosure, perron: np.ndarray, v: np.ndarray | None = None) -> arb:
    """s_1(Z) <= s_1(mid) + radius, with s_1(mid) bounded by Collatz-Wielandt on |mid| (tight for
    non-negative activations), by the Gram bound from ``v`` when given, and by ||mid||_F."""
    mid = E.Enclosure.exact(Z.mid)
    best = E.top_singular_upper_enclosure(mid, perron)
    cands = [E.norm_ball(Z.mid).upper()]
    if v is not None:
        cands.append(E.top_singular_upper_gram(mid, v))
    for other in cands:
        if other.is_finite() and (not best.is_finite() or other < best):
            best = other
    return E._sound((best + Z.mid_radius()).upper())


def inner_ball(G: np.ndarray, Z: NormEnclosure) -> arb:
    """Tr[G^T Z] lies within ||G||_F radius of Tr[G^T (mid + lo)] (Cauchy-Schwarz), the latter summed
    accurately (:func:`dot_ball_accurate`)."""
    base = dot_ball_accurate(G, Z.mid)
    if Z.lo is not None:
        base += dot_ball_accurate(G, Z.lo)
    r = Z.radius.upper() if Z.radius.is_finite() else E.WHOLE
    return E._sound(base + arb(0, 1) * (norm_ball_accurate(G).upper() * r))


def relu_and_gap(Z: NormEnclosure) -> tuple[NormEnclosure, arb]:
    """(relu(Z), its ReLU gap ||min(Z, 0)||_F^2 / ||Z||_F^2) from two accurate sums of squares of mid,
    over its positive and its negative entries (||mid||^2 is their sum: no cancellation)."""
    with working_precision(106):
        pos = norm_sq_ball_accurate(Z.mid, where=Z.mid > 0)
        neg = norm_sq_ball_accurate(Z.mid, where=Z.mid < 0)
        total = pos + neg
        r = Z.mid_radius()
        n_all, n_neg = E.sqrt_ball(total), E.sqrt_ball(neg)
        num = E._sound(E._between(n_neg - r, n_neg + r))
        den = E._sound(E._between(n_all - r, n_all + r))
        if not (den > 0) or not den.is_finite():
            gap = arb(0).union(arb(1))
        else:
            g = (num * num) / (den * den)
            gap = E._sound(E._between(g, g, 0.0, 1.0))
        act = relu(Z)
        act._mid_norm = E.sqrt_ball(pos)
    return act, gap


