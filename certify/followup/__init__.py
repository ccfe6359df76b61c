"""The follow-up paper ("A Theory of Saddle Escape in Deep Nonlinear Networks", 2026; arXiv, abstract only).

Only the abstract is available (``shared/paper/followup-abstract.txt``), so every
statement checked here is derived by us and written out where it is checked:

* :mod:`certify.followup.activations`: activations over floats, exact rationals and
  balls, and the quantity sigma(z) - z sigma'(z) that drives the norm imbalance;
* :mod:`certify.followup.imbalance`: the imbalance identity on concrete networks
  (exact and ball certificates, and a float cross-check along the flow);
* :mod:`certify.followup.escape_time`: gradient-flow simulations of the escape
  time from r small layers, and the power-law fits (untrusted: experiments);
* :mod:`certify.followup.figures`: the figures of ``certify escape-time``;
* :mod:`certify.followup.claims`: the checks the catalog points to.

The symbolic proofs are in ``proofs/followup_imbalance.py`` and
``proofs/followup_activations.py``.
"""
