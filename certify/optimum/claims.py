"""The optimum checks registered as claims: the shipped certificates of Example 1 (footnote 2, the
rank-one speed) on the float data and on the exact data in Q(sqrt 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flint import arb, fmpq

from certify.core.errors import InputError
from certify.kernel.speed_certificate import (
    CheckReport,
    check_document,
    data_digest,
)
from certify.optimum.arrangement import to_rational
from certify.optimum.certificates import load_certificate
from certify.optimum.example1 import example1_exact_data
from certify.optimum.search import exact_data

# --- registered claims: the shipped certificates of Example 1 -------------------------------------


def _shipped_certificate(ctx: Any, depth: int) -> tuple[dict[str, Any], CheckReport, np.ndarray, np.ndarray]:
    from certify.core.instances import load_data

    path = ctx.data_dir / "certificates" / f"example1-depth{depth}.json"
    doc = load_certificate(path)
    X, G, _ = load_data(ctx.data_dir / "instances" / "example1.npz")
    if exact_data(X, G)["sha256"] != doc.get("data", {}).get("sha256"):
        raise InputError(f"{path} is not about the data of instances/example1.npz")
    return doc, check_document(doc), X, G


def _float_data_gap(X: np.ndarray, G: np.ndarray) -> arb:
    """A ball containing ||G||_F ||X - X_exact||_F, X_exact Example 1's exact points, entry by entry.

    For ||theta||^2 = L, |L0(theta; X) - L0(theta; X')| <= ||G||_F prod ||W_l||_F ||X - X'||_F (ReLU is
    1-Lipschitz, ||AB||_F <= ||A||_F ||B||_F, Lemma A.4), so s* moves by at most this much.  G must be
    Example 1's exactly (it is +-1 in floats); otherwise this raises InputError."""
    from certify.kernel.quadratic import QSqrt2
    from certify.kernel.speed_certificate import as_ball

    Xe, Ge = example1_exact_data()
    if X.shape != (2, 8) or G.shape != (1, 8) or any(to_rational(G[0, k]) != Ge[0][k] for k in range(8)):
        raise InputError("the instance is not Example 1 (shape or G differs from (-1)^j)")
    sq = arb(0)
    for r in range(2):
        for k in range(8):
            exact = Xe[r][k]
            d = abs(arb(float(X[r, k])) - (as_ball(exact) if isinstance(exact, QSqrt2) else arb(exact))).upper()
            sq += d * d
    gsq = sum((arb(float(v)) ** 2 for v in G.ravel()), arb(0))
    return (gsq * sq).sqrt()


def check_footnote2(ctx: Any) -> Any:
    """Footnote 2: is anything on Example 1 faster than 1/2 at depth 3?  A checked certificate says no,
    up to its width; the corrected eq. (2) network, evaluated exactly, attains 1/2."""
    from certify.kernel.compare import Truth, compare_le
    from certify.kernel.speed_certificate import (
        exact_speed,
        parse_certificate,
        verdict_from_report,
    )
    from certify.kernel.verdict import Status, Verdict, show

    doc, report, X, G = _shipped_certificate(ctx, 3)
    cert = parse_certificate(doc)
    from certify.core.datasets import example1_rank_two_weights

    W1, W2, W3 = example1_rank_two_weights()
    corrected = [[[to_rational(v) for v in row] for row in W] for W in (W1, W2, -W3)]
    eq2 = exact_speed(corrected, cert.X, cert.G)
    gap = _float_data_gap(X, G)
    ev = {"certificate": "data/certificates/example1-depth3.json", "eq2_corrected_speed": show(eq2),
          "data": "Example 1 as the nearest float64 values (data/instances/example1.npz)",
          "transfer_to_exact_data": f"||G|| ||X - X_exact|| <= {gap.upper()} (arb)",
          "widths": report.widths}
    verdict = verdict_from_report(report, "Example 1, depth 3", ev)
    if verdict.status is not Status.CERTIFIED:
        return verdict
    lo = max(report.lower, eq2)
    half = fmpq(1, 2)
    contains = compare_le(lo, half) is Truth.TRUE and compare_le(half, report.upper) is Truth.TRUE
    width = report.upper - lo
    narrow = compare_le(width, fmpq(1, 10**6)) is Truth.TRUE
    ev.update(lower_with_eq2=show(lo), width=float(width), contains_half=contains, width_at_most_1e_6=narrow)
    from certify.kernel.compare import lower_float

    up = lambda x: -lower_float(-arb(x))  # noqa: E731 - a float >= x
    hi_exact = arb(report.upper) + gap
    msg = (f"s*(3) in [{lower_float(arb(lo)):.12g}, {up(report.upper):.12g}] on the float data (width <= "
           f"{up(width):.2g}); on the exact data s*(3) <= {-lower_float(-hi_exact):.15g}: nothing escapes faster than "
           f"1/2 by more than {up(report.upper - half):.2g}")
    if contains and narrow:
        return Verdict(Status.CERTIFIED, msg, None, verdict.evidence | ev)
    return Verdict(Status.REFUTED, msg + " -- but the interval does not contain 1/2 or is wider than 1e-6", None,
                   verdict.evidence | ev)


def check_rank_one_certificate(ctx: Any) -> Any:
    """Example 1: s*(2) = max_u |g . relu(X^T u)|, the best one-neuron speed, is sqrt(2) - 1 (certified)."""
    from certify.kernel.speed_certificate import verdict_from_report
    from certify.kernel.verdict import Status, Verdict

    doc, report, X, G = _shipped_certificate(ctx, 2)
    gap = _float_data_gap(X, G)
    target = arb(2).sqrt() - 1
    ev = {"certificate": "data/certificates/example1-depth2.json",
          "data": "Example 1 as the nearest float64 values (data/instances/example1.npz)",
          "transfer_to_exact_data": f"||G|| ||X - X_exact|| <= {gap.upper()} (arb)"}
    verdict = verdict_from_report(report, "Example 1, depth 2", ev)
    if verdict.status is not Status.CERTIFIED:
        return verdict
    # on the exact data s*(2) lies in [lower - gap, upper + gap]; sqrt(2) - 1 must lie in it for certain
    lo, hi = arb(report.lower) - gap, arb(report.upper) + gap
    inside = bool(lo <= target) and bool(target <= hi)
    ev["sqrt2_minus_1_inside"] = inside
    if inside:
        from certify.kernel.compare import lower_float

        return Verdict(Status.CERTIFIED, verdict.message + f"; on the exact data the interval "
                       f"[{lower_float(lo):.15g}, {-lower_float(-hi):.15g}] contains sqrt(2) - 1", None,
                       verdict.evidence | ev)
    return Verdict(Status.REFUTED, verdict.message + "; sqrt(2) - 1 is not certainly inside", None,
                   verdict.evidence | ev)


def check_example1_exact(ctx: Any, depth: int, expected: Any, what: str) -> Any:
    """The shipped exact certificate checks, is about Example 1's exact data, and has lower = upper = expected."""
    from certify.kernel.speed_certificate import parse_certificate, verdict_from_report
    from certify.kernel.verdict import Status, Verdict, show

    name = f"example1-exact-depth{depth}.json"
    doc = load_certificate(ctx.data_dir / "certificates" / name)
    cert = parse_certificate(doc)
    report = check_document(doc)
    X, G = example1_exact_data()
    ev = {"certificate": f"data/certificates/{name}", "data": "Example 1 exactly, in Q(sqrt 2)",
          "widths": report.widths}
    verdict = verdict_from_report(report, what, ev)
    if verdict.status is not Status.CERTIFIED:
        return verdict
    same_data = cert.X == X and cert.G == G and cert.digest == data_digest(X, G)
    exact = report.lower == expected and report.upper == expected
    ev.update(same_data=same_data, lower=show(report.lower), upper=show(report.upper))
    if same_data and exact:
        return Verdict(Status.CERTIFIED, f"{what}: s*({depth}) = {show(expected)} exactly (lower end = upper end, "
                       "checked in Q(sqrt 2))", None, verdict.evidence | ev)
    return Verdict(Status.REFUTED, f"{what}: the certificate is not about Example 1's exact data or does not close "
                   f"at {show(expected)}", None, verdict.evidence | ev)


def check_footnote2_exact(ctx: Any) -> Any:
    return check_example1_exact(ctx, 3, fmpq(1, 2), "Example 1, depth 3, exact data")


def check_rank_one_exact(ctx: Any) -> Any:
    from certify.kernel.quadratic import QSqrt2

    return check_example1_exact(ctx, 2, QSqrt2(-1, 1), "Example 1, depth 2, exact data")
