"""Definition 2.1: exact one-sided derivatives against finite differences, and the erratum's verdict."""

import numpy as np
import sympy as sp

from certify.core.network import localized_loss
from certify.proofs import section2_escape_directions as d21
from certify.proofs.example1 import data


def _floats(ms):
    return [np.array(M.tolist(), dtype=float) for M in ms]


def test_one_sided_derivatives_match_finite_differences():
    X, G = data()
    Ws = d21.corrected_eq2()
    Xf, Gf = np.array(X.tolist(), dtype=float), np.array(G.tolist(), dtype=float)
    rng = np.random.default_rng(3)
    for _ in range(6):
        V = [sp.Matrix(M.rows, M.cols, [int(v) for v in rng.integers(-2, 3, size=M.rows * M.cols)]) for M in Ws]
        for sign in (1, -1):
            Vs = [sign * M for M in V]
            exact = float(d21.one_sided_derivative(Ws, Vs, X, G))
            eps = 1e-7
            moved = [W + eps * D for W, D in zip(_floats(Ws), _floats(Vs))]
            fd = (localized_loss(moved, Xf, Gf) - localized_loss(_floats(Ws), Xf, Gf)) / eps
            assert abs(fd - exact) < 1e-5, (exact, fd)


def test_no_kink_where_no_preactivation_vanishes():
    X, G = data()
    W = [sp.Matrix([[sp.Rational(3, 5), sp.Rational(1, 7)], [sp.Rational(-2, 9), sp.Rational(5, 11)]]),
         sp.Matrix([[sp.Rational(1, 3), sp.Rational(-1, 2)]]), sp.Matrix([[1]])]
    assert d21.kinks(W, X, G) == []  # a generic point: L0 is differentiable there


def test_definition_is_an_erratum_with_a_proved_correction():
    v = d21.check_definition()
    assert v.status.value == "erratum" and v.corrected.status.value == "proved"
    assert len(v.evidence["kinks_at_the_optimum"]) >= 1
