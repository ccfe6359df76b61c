"""The core: what every capability shares and nothing in it decides a claim.

* :mod:`~certify.core.errors`, :mod:`~certify.core.limits`: one-line input errors (exit 2) and the
  ``CERTIFY_MAX_*`` limits a user may raise;
* :mod:`~certify.core.paths`, :mod:`~certify.core.jsonio`: where data and results live, and the one strict
  JSON reader;
* :mod:`~certify.core.network`: the bias-free ReLU MLP of Section 2, written once over any number system
  (float64 to search, ``fmpq`` and ``arb`` to check);
* :mod:`~certify.core.instances`: the instance file format (network, data X, cost gradient G);
* :mod:`~certify.core.datasets`: the shipped instances and data, and the recipes that make them;
* :mod:`~certify.core.execution`: where tasks run (this process, a process pool, a Dask cluster).

It imports the kernel and nothing else from certify.
"""
