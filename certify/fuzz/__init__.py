"""Property-based fuzzing of Propositions 3.2-3.4 with hypothesis.

* :mod:`~certify.fuzz.strategies`: the strategies for networks, data and cost gradients (public as
  :mod:`certify.strategies`);
* :mod:`~certify.fuzz.properties`: each statement as a float evaluation (untrusted search) and the
  rigorous re-check that decides a violation;
* :mod:`~certify.fuzz.campaign`: runs split into chunks for any executor, merged into one verdict, and
  saved counterexamples;
* :mod:`~certify.fuzz.claims`: the fuzzed claims of the gate, and the Prop. 3.3 experiment on minimisers
  found by gradient descent.
"""
