"""Example 1 (Section 4): the rank-two direction of eq. (2).

Claim: on the 8 points x_j = (sin(2 pi j/8), cos(2 pi j/8)), j = 1..8, with
G = ((-1)^j), the depth-3 weights

    W1 = 1/2 [[1, 0], [0, 1], [-1, 0], [0, -1]],  W2 = 1/2 [1, -1, 1, -1],  W3 = [1]

lie on the sphere ||theta||^2 = 3 and escape with speed s = -Tr[G^T Y] = 1/2.

We evaluate the network in exact arithmetic (sympy, the data are algebraic:
entries 0, +-1, +-sqrt(2)/2).  As printed, Tr[G^T Y] = +1/2: the direction
*increases* L0 (speed -1/2).  The hidden unit computes relu(|x_1| - |x_2|)/4,
which is 1/4 at the axis points (+-1, 0) (j = 2, 6) and 0 elsewhere, and
G_2 = G_6 = +1.  Two corrections give speed 1/2: W3 = [-1], or
G = -((-1)^j), the sign that footnote 1's targets Y* = ((-1)^j) give under the
squared loss (grad C(0) = -(2/N) Y*, a positive multiple of -((-1)^j)).
"""

from __future__ import annotations

import sympy as sp

from certify.claims.base import Context
from certify.kernel.verdict import Status, Verdict

N = 8


def data() -> tuple[sp.Matrix, sp.Matrix]:
    X = sp.Matrix(2, N, lambda i, j: (sp.sin, sp.cos)[i](2 * sp.pi * (j + 1) / N))
    G = sp.Matrix(1, N, lambda i, j: (-1) ** (j + 1))
    return X, G


def printed_weights() -> list[sp.Matrix]:
    h = sp.Rational(1, 2)
    return [
        h * sp.Matrix([[1, 0], [0, 1], [-1, 0], [0, -1]]),
        h * sp.Matrix([[1, -1, 1, -1]]),
        sp.Matrix([[1]]),
    ]


def forward(weights: list[sp.Matrix], X: sp.Matrix) -> sp.Matrix:
    act = X
    for l, W in enumerate(weights, start=1):
        Z = W * act
        act = Z.applyfunc(lambda v: sp.Max(v, 0)) if l < len(weights) else Z
    return act


def localized_loss(weights: list[sp.Matrix], X: sp.Matrix, G: sp.Matrix) -> sp.Expr:
    return sp.simplify((G * forward(weights, X).T)[0, 0])


def squared_norm(weights: list[sp.Matrix]) -> sp.Expr:
    return sum((sum(v**2 for v in W) for W in weights), sp.S(0))


def check_rank_two_speed(ctx: Context | None = None) -> Verdict:
    X, G = data()
    Ws = printed_weights()
    norm = sp.simplify(squared_norm(Ws))
    printed_speed = sp.simplify(-localized_loss(Ws, X, G))
    flipped_W3 = Ws[:2] + [-Ws[2]]
    speed_W3 = sp.simplify(-localized_loss(flipped_W3, X, G))
    speed_G = sp.simplify(-localized_loss(Ws, X, -G))
    hidden = forward(Ws[:2], X)
    ev = {
        "||theta||^2": str(norm),
        "speed_as_printed": str(printed_speed),
        "speed_with_W3=-1": str(speed_W3),
        "speed_with_G=-(-1)^j": str(speed_G),
        "second_layer_preactivation": [str(v) for v in hidden],
        "ties": "the 4 diagonal points (j odd) have second-layer preactivation exactly 0: "
        "L0 is not differentiable at this direction",
    }
    on_sphere = norm == 3
    corrected_ok = on_sphere and speed_W3 == sp.Rational(1, 2) and speed_G == sp.Rational(1, 2)
    corrected = Verdict(
        Status.PROVED if corrected_ok else Status.REFUTED,
        f"with W3 = [-1] (or G = -(-1)^j): ||theta||^2 = {norm}, speed = {speed_W3} exactly",
        None,
        {},
    )
    if on_sphere and printed_speed == sp.Rational(1, 2):
        return Verdict(Status.PROVED, "speed 1/2 and ||theta||^2 = 3, exactly", None, ev)
    return Verdict(
        Status.ERRATUM,
        f"as printed Tr[G^T Y] = {-printed_speed}, so the speed is {printed_speed}, not 1/2 "
        "(sign of W3 or of G); corrected: speed exactly 1/2",
        None,
        ev,
        corrected=corrected,
    )
