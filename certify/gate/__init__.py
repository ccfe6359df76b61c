"""The gate: claims as data, running them, and what a run reports.

* :mod:`~certify.gate.claim`: one claim (id, statement, evidence kind, the check it names) and the context
  a check gets;
* :mod:`~certify.gate.catalog`, :mod:`~certify.gate.manifest`, :mod:`~certify.gate.registry`: every
  registered claim, the paper's numbered claims they must cover, and the index by id;
* :mod:`~certify.gate.runner`, :mod:`~certify.gate.replication`: seeds, timing, error capture and the
  executor for a run; repeated runs of a random experiment judged by a criterion stated in advance;
* :mod:`~certify.gate.report`, :mod:`~certify.gate.baseline`: the table, JSON and JUnit reports, and
  later runs held against a saved baseline.

A claim names its check as ``"module:function"`` text, imported only when the claim runs: the gate
never imports a capability, so the capabilities may import the gate.
"""
