"""Symbolic checks of the paper's derivations, one module per part of the paper.

Each module opens with the claim in our words and the section it comes from,
and exposes ``check_*`` functions that return a
:class:`certify.kernel.verdict.Verdict`.  A verdict of ``proved`` means that
sympy reduced every identity of the argument to zero in exact arithmetic (or
decided a sign from assumptions it can verify); the evidence lists the
identities.
"""
