"""The trusted kernel of certify.

Everything that may turn a number into a verdict lives here, and it is kept small
and dull on purpose:

* ``arith``   the number systems a computation runs over: float64 (untrusted,
              for search), exact rationals (python-flint ``fmpq``) and
              outward-rounded balls (python-flint ``arb``);
* ``compare`` three-valued comparisons: a ball comparison that is not certain is
              ``UNKNOWN``, never ``FALSE``;
* ``verdict`` the verdict record and the few functions that build one from a
              checked comparison;
* ``enclose`` entrywise enclosures of float64 matrix products and the norms,
              singular-value bounds and ratios built on them;
* ``normwise`` norm-wise enclosures of a network's forward pass (error-free
              split products, spectral-norm certificates, accurate sums), the
              ones ``certify instance`` uses at any depth;
* ``quadratic`` exact arithmetic in Q(sqrt 2);
* ``symbolic`` sympy identities decided to be exactly 0, the ledger of a
              derivation's steps, and Arb enclosures of closed-form constants;
* ``speed_certificate`` the exact checker of optimal-speed certificates;
* ``speed_cones`` the checker of depth-2 certificates in d dimensions;
* ``speed_invariant`` the checker of invariants that bound every depth.

Nothing in this package imports from the rest of ``certify``.  Code outside it
(floats, scipy, solvers, random search) may propose witnesses; only the
functions here decide whether a witness certifies a claim.
"""

from certify.kernel.arith import BALL, EXACT, FLOAT, NumberSystem
from certify.kernel.compare import Truth, compare_le, compare_lt
from certify.kernel.verdict import Evidence, Status, Verdict

__all__ = [
    "BALL",
    "EXACT",
    "FLOAT",
    "Evidence",
    "NumberSystem",
    "Status",
    "Truth",
    "Verdict",
    "compare_le",
    "compare_lt",
]
