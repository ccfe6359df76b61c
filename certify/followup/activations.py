"""Activations over floats, exact rationals and balls (follow-up paper, abstract).

The norm-imbalance identity (``proofs/followup_imbalance.py``) is driven by

    g(z) = sigma(z) - z sigma'(z),

which vanishes identically exactly for positively homogeneous activations (ReLU,
leaky ReLU, linear: Euler's identity for degree one).  Each :class:`Activation`
carries the float version (to simulate), an exact version where the values stay
rational (ReLU, leaky ReLU, linear and two polynomials), a ball version where
python-flint has the elementary functions (tanh, sigmoid, softplus, SiLU, GELU,
arctan), and a sympy expression for the classification of
``proofs/followup_activations.py``.

The derivative of ReLU and leaky ReLU at 0 does not exist: exact evaluation at a
tie raises :class:`Tie` rather than choosing a convention, and a ball that
straddles 0 raises it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import sympy as sp
from flint import arb, fmpq
from scipy.special import erf, expit

from certify.core.errors import InputError


class Tie(ArithmeticError):
    """A preactivation sits where the activation is not differentiable."""


Scalar = Callable[[Any], Any]


@dataclass(frozen=True)
class Activation:
    name: str
    #: sigma(lambda z) = lambda sigma(z) for lambda > 0 (then g = 0 off the origin)
    homogeneous: bool
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    exact: tuple[Scalar, Scalar] | None = None
    ball: tuple[Scalar, Scalar] | None = None
    #: sympy expression in z, or per-half-line pieces (z > 0, z < 0) for the kinked ones
    sym: Callable[[sp.Symbol], sp.Expr] | None = None
    pieces: tuple[Callable[[sp.Symbol], sp.Expr], Callable[[sp.Symbol], sp.Expr]] | None = None


# --- exact (fmpq) scalars ------------------------------------------------------

LEAK = fmpq(1, 10)  # leaky ReLU slope


def _sign_or_tie(v: Any) -> int:
    if isinstance(v, arb):
        if v > 0:
            return 1
        if v < 0:
            return -1
        raise Tie("a ball straddles 0, where the activation has a kink")
    if v > 0:
        return 1
    if v < 0:
        return -1
    raise Tie("a preactivation is exactly 0, where the activation has a kink")


def _relu(v: Any) -> Any:
    return v if _sign_or_tie(v) > 0 else v * 0


def _drelu(v: Any) -> Any:
    return v * 0 + 1 if _sign_or_tie(v) > 0 else v * 0


def _leaky(v: Any) -> Any:
    return v if _sign_or_tie(v) > 0 else v * LEAK


def _dleaky(v: Any) -> Any:
    return v * 0 + 1 if _sign_or_tie(v) > 0 else v * 0 + LEAK


# --- balls -----------------------------------------------------------------------


def _sigmoid_b(v: arb) -> arb:
    return 1 / (1 + (-v).exp())


def _gelu_phi(v: arb) -> arb:
    return (1 + (v / arb(2).sqrt()).erf()) / 2


def _gelu_b(v: arb) -> arb:
    return v * _gelu_phi(v)


def _dgelu_b(v: arb) -> arb:
    return _gelu_phi(v) + v * (-(v * v) / 2).exp() / (2 * arb.pi()).sqrt()


def _silu_b(v: arb) -> arb:
    return v * _sigmoid_b(v)


def _dsilu_b(v: arb) -> arb:
    s = _sigmoid_b(v)
    return s + v * s * (1 - s)


# --- floats ----------------------------------------------------------------------

_SQRT2 = math.sqrt(2.0)


def _gelu_f(z: np.ndarray) -> np.ndarray:
    return z * 0.5 * (1 + erf(z / _SQRT2))


def _dgelu_f(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + erf(z / _SQRT2)) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", True, lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float),
                   exact=(_relu, _drelu), ball=(_relu, _drelu),
                   pieces=(lambda z: z, lambda z: sp.S(0))),
        Activation("leaky_relu", True, lambda z: np.where(z > 0, z, 0.1 * z), lambda z: np.where(z > 0, 1.0, 0.1),
                   exact=(_leaky, _dleaky), ball=(_leaky, _dleaky),
                   pieces=(lambda z: z, lambda z: z / 10)),
        Activation("linear", True, lambda z: z, lambda z: np.ones_like(z),
                   exact=(lambda v: v, lambda v: v * 0 + 1), ball=(lambda v: v, lambda v: v * 0 + 1),
                   sym=lambda z: z),
        # two polynomial activations keep exact arithmetic exact while g != 0
        Activation("quadratic", False, lambda z: z + z * z / 4, lambda z: 1 + z / 2,
                   exact=(lambda v: v + v * v / 4, lambda v: 1 + v / 2),
                   ball=(lambda v: v + v * v / 4, lambda v: 1 + v / 2),
                   sym=lambda z: z + z**2 / 4),
        Activation("cubic", False, lambda z: z - z**3 / 3, lambda z: 1 - z * z,
                   exact=(lambda v: v - v * v * v / 3, lambda v: 1 - v * v),
                   ball=(lambda v: v - v * v * v / 3, lambda v: 1 - v * v),
                   sym=lambda z: z - z**3 / 3),
        Activation("tanh", False, np.tanh, lambda z: 1 - np.tanh(z) ** 2,
                   ball=(lambda v: v.tanh(), lambda v: 1 - v.tanh() ** 2), sym=sp.tanh),
        Activation("sigmoid", False, expit, lambda z: expit(z) * (1 - expit(z)),
                   ball=(_sigmoid_b, lambda v: _sigmoid_b(v) * (1 - _sigmoid_b(v))),
                   sym=lambda z: 1 / (1 + sp.exp(-z))),
        Activation("softplus", False, lambda z: np.logaddexp(0.0, z), expit,
                   ball=(lambda v: v.exp().log1p(), _sigmoid_b), sym=lambda z: sp.log(1 + sp.exp(z))),
        Activation("silu", False, lambda z: z * expit(z), lambda z: expit(z) + z * expit(z) * (1 - expit(z)),
                   ball=(_silu_b, _dsilu_b), sym=lambda z: z / (1 + sp.exp(-z))),
        Activation("gelu", False, _gelu_f, _dgelu_f, ball=(_gelu_b, _dgelu_b),
                   sym=lambda z: z * (1 + sp.erf(z / sp.sqrt(2))) / 2),
        Activation("arctan", False, np.arctan, lambda z: 1 / (1 + z * z),
                   ball=(lambda v: v.atan(), lambda v: 1 / (1 + v * v)), sym=sp.atan),
    )
}

#: the activations the issue asks to classify (the two polynomials are ours, for exact checks)
CLASSIFIED = ("relu", "leaky_relu", "linear", "tanh", "sigmoid", "softplus", "gelu", "silu", "arctan")


def get(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise InputError(f"unknown activation {name!r} (choose from {', '.join(ACTIVATIONS)})") from None
