"""Optimal escape speeds and escape directions (Sections 2.2, 3 and 4), searched and certified.

Untrusted search:

* :mod:`~certify.optimum.escape`: projected gradient descent on the sphere for escape directions;
* :mod:`~certify.optimum.arrangement`: the exact geometry of 2-D data the searches work on;
* :mod:`~certify.optimum.search`: the certificate ``certify optimum`` proposes (cone programs, trees of
  multipliers, witness networks), with :mod:`~certify.optimum.branch` (depth 3, branch and bound over
  the subsets S) and :mod:`~certify.optimum.cones` (depth 2 in d dimensions);
* :mod:`~certify.optimum.invariant_search`: invariants that bound every depth at once;
* :mod:`~certify.optimum.deepen`: the construction of Prop. 3.2 that deepens a network.

Decided by the kernel:

* :mod:`~certify.optimum.certificates`: a proposal or a file checked by the exact checkers;
* :mod:`~certify.optimum.example1`: Example 1 on its exact data in Q(sqrt 2) and its certificates;
* :mod:`~certify.optimum.claims`: the shipped certificates of Example 1 as claims;
* :mod:`~certify.optimum.certified_minimisers`: Prop. 3.3 and Theorem 3.1 on minimisers whose
  optimality is certified.
"""
