"""Example 1 on its exact data in Q(sqrt 2): the points, and the certificates of s*(2) and s*(3) built on
them (the shipped float data are Example 1 rounded to float64).
"""

from __future__ import annotations

import math
from typing import Any

from flint import fmpq

from certify.core.errors import InputError
from certify.kernel.speed_certificate import (
    SCHEMA,
    data_digest,
    number_text,
)
from certify.optimum.arrangement import arrangement, to_rational
from certify.optimum.search import FLAT_VERSION, propose

# --- Example 1 on its exact data, in Q(sqrt 2) -----------------------------------------------------


def example1_exact_data() -> tuple[list[list[Any]], list[list[fmpq]]]:
    """X (2 x 8) and G (1 x 8) of Example 1 exactly: x_j = (sin, cos)(2 pi j/8) in Q(sqrt 2), G_j = (-1)^j."""
    from certify.kernel.quadratic import QSqrt2

    h = QSqrt2(0, fmpq(1, 2))  # sqrt(2)/2
    z, one = fmpq(0), fmpq(1)
    sin = [z, h, one, h, z, -h, -one, -h]  # sin(k pi/4), k = 0..7
    cos = [one, h, z, -h, -one, -h, z, h]
    js = range(1, 9)
    return [[sin[j % 8] for j in js], [cos[j % 8] for j in js]], [[fmpq((-1) ** j) for j in js]]


def example1_exact_certificate(depth: int) -> dict[str, Any]:
    """The certificate of s*(depth) on Example 1's exact data, with lower = upper.

    The multipliers come from the cone programs on the float data; where the float t is within 1e-6 of
    sqrt(2)/4 (the patterns that reach 1/2) it is replaced by sqrt(2)/4 exactly, elsewhere rounded to a
    decimal.  The witnesses: eq. (2) with W3 = [-1] (depth 3), the width-one unit u = (1, 0) (depth 2).
    Whether these guesses are right is for the checker to say."""
    from certify.core.datasets import example1_data, example1_rank_two_weights
    from certify.kernel.quadratic import QSqrt2
    from certify.kernel.speed_certificate import exact_speed

    X, G = example1_exact_data()
    arr = arrangement([(X[0][k], X[1][k]) for k in range(8)])
    if depth == 3:
        W1, W2, W3 = example1_rank_two_weights()
        weights = [[[to_rational(v) for v in row] for row in W] for W in (W1, W2, -W3)]
        upper: Any = fmpq(1, 2)
        target = math.sqrt(2) / 4
        mults = []
        for m in propose(*example1_data(), 3)[0]["upper"]["multipliers"]:
            t = {}
            for j, text in m["t"].items():
                value = fmpq(*[int(v) for v in (text.split("/") + ["1"])[:2]])
                t[j] = ["0", "1/4"] if abs(float(value) - target) < 1e-6 else text
            mults.append({"sign": m["sign"], "subset": m["subset"], "t": t})
    elif depth == 2:
        unit = [[fmpq(1), fmpq(0)]]
        sign = 1 if exact_speed([unit, [[fmpq(1)]]], X, G) > 0 else -1
        weights = [unit, [[fmpq(sign)]]]
        upper = QSqrt2(-1, 1)  # sqrt(2) - 1
        mults = []
    else:
        raise InputError("Example 1's exact certificates exist for depth 2 and 3")
    lower = exact_speed(weights, X, G)
    return {
        "schema": SCHEMA,
        "schema_version": FLAT_VERSION,
        "statement": f"Example 1 on its exact data (in Q(sqrt 2)): s*({depth}) = {number_text(upper)} exactly "
                     "(numbers [a, b] mean a + b sqrt(2)).",
        "depth": depth,
        "data": {"X": [[number_text(v) for v in r] for r in X], "G": [[number_text(v) for v in r] for r in G],
                 "sha256": data_digest(X, G)},
        "lower": {"value": number_text(lower), "weights": [[[number_text(v) for v in row] for row in W] for W in weights]},
        "upper": {"value": number_text(upper),
                  "rays": [[number_text(r[0]), number_text(r[1])] for r in arr.rays],
                  "active": [sorted(a) for a in arr.active],
                  "multipliers": mults},
        "search": {"method": "multipliers of the float cone programs, snapped to sqrt(2)/4 where they reach 1/2"},
    }
