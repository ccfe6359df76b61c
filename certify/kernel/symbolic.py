"""Symbolic identities decided (trusted kernel): the checker every module in ``proofs/`` relies on.

:func:`is_zero` says an expression is 0 only when sympy expands, cancels or simplifies it to exactly 0
(floats are refused); a quick evaluation at one sample point may only say "not zero".  A
:class:`Ledger` records each step of a derivation checked this way and turns the steps into a verdict;
:func:`to_arb` encloses a closed-form constant in an Arb ball so its sign can be decided rigorously.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from certify.kernel.verdict import Status, Verdict


def is_zero(expr: Any) -> bool:
    """True when ``expr`` expands (then simplifies) to exactly 0.

    An expression holding a floating-point number proves nothing: it is refused.
    """
    if isinstance(expr, sp.Basic) and expr.has(sp.Float):
        raise ValueError(f"floating-point number in a symbolic identity: {expr}")
    e = sp.expand(expr)
    if e == 0:
        return True
    if _clearly_nonzero(e):  # a quick way out for false identities; never used to say "zero"
        return False
    if e.is_rational_function(*e.free_symbols):
        return sp.cancel(e) == 0  # a decision procedure for rational functions
    return sp.simplify(e) == 0


def _sample_value(sym: sp.Symbol, k: int) -> sp.Expr:
    """A deterministic rational sample point that respects the symbol's sign assumptions."""
    base = sp.Rational(2 * k + 3, 7 + k)  # in (0, 2), distinct per symbol
    if sym.is_integer:
        return sp.Integer(k + 3) * (-1 if sym.is_negative else 1)
    if sym.is_negative:
        return -base
    return base if (sym.is_positive or sym.is_nonnegative) else base - sp.Rational(3, 5)


def _clearly_nonzero(e: sp.Expr) -> bool:
    """True only when e evaluates, at one sample point, to a number far from 0 (50 digits)."""
    if e.atoms(sp.core.function.AppliedUndef) or e.atoms(sp.Integral, sp.Sum, sp.Derivative, sp.Subs):
        return False
    syms = sorted(e.free_symbols, key=lambda x: x.name)
    try:
        value = e.subs({x: _sample_value(x, k) for k, x in enumerate(syms)}).evalf(50)
    except Exception:
        return False
    if not value.is_number or not value.is_finite:
        return False
    try:
        return bool(abs(complex(value)) > 1e-30)
    except TypeError:
        return False


class Ledger:
    """Records each identity checked, so the verdict can list its evidence."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.failed: list[str] = []

    def identity(self, name: str, expr: Any) -> bool:
        ok = is_zero(expr)
        (self.checked if ok else self.failed).append(name)
        return ok

    def fact(self, name: str, ok: bool) -> bool:
        (self.checked if ok else self.failed).append(name)
        return ok

    def verdict(self, message: str, evidence: dict[str, Any] | None = None) -> Verdict:
        """'proved' with ``message`` when every step reduced to 0, else 'refuted' naming the first failure."""
        ev = self.evidence()
        ev.update(evidence or {})
        if self.failed:
            return Verdict(Status.REFUTED, f"step failed: {self.failed[0]}", None, ev)
        return Verdict(Status.PROVED, message, None, ev)

    def evidence(self) -> dict[str, Any]:
        return {
            "identities_checked": len(self.checked) + len(self.failed),
            "failed": self.failed,
            "steps": self.checked[:40],
        }


def to_arb(expr: Any, values: dict[sp.Symbol, Any] | None = None) -> Any:
    """An Arb ball containing the value of a sympy expression built from integers, rationals, pi, the
    symbols in ``values`` (given as balls), +, *, integer and half-integer powers, sqrt, sin, cos, log, exp.

    Anything else raises ValueError: a sign decided from the ball is then rigorous (Arb's guarantee)."""
    from flint import arb

    values = values or {}
    expr = sp.sympify(expr)
    if expr in values:
        return arb(values[expr])
    if expr.is_Integer:
        return arb(int(expr))
    if expr.is_Rational:
        return arb(int(expr.p)) / int(expr.q)
    if expr is sp.pi:
        return arb.pi()
    if expr is sp.E:
        return arb(1).exp()
    if isinstance(expr, sp.Add):
        return sum((to_arb(a, values) for a in expr.args), arb(0))
    if isinstance(expr, sp.Mul):
        out = arb(1)
        for a in expr.args:
            out *= to_arb(a, values)
        return out
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        base = to_arb(expr.base, values)
        n = int(expr.exp)
        return base**n if n >= 0 else 1 / base ** (-n)
    if isinstance(expr, sp.Pow) and expr.exp.is_Rational and expr.exp.q == 2:
        return to_arb(expr.base, values).sqrt() ** int(expr.exp.p) if expr.exp > 0 else \
            1 / to_arb(expr.base, values).sqrt() ** int(-expr.exp.p)
    functions = {sp.sin: "sin", sp.cos: "cos", sp.log: "log", sp.exp: "exp"}
    if type(expr) in functions:
        return getattr(to_arb(expr.args[0], values), functions[type(expr)])()
    raise ValueError(f"no Arb enclosure for {expr}")
