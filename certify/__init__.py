"""certify: executable evidence for the claims of Bantzis, Simon and Jacot (2025),
"Saddle-To-Saddle Dynamics in Deep ReLU Networks: Low-Rank Bias in the First Saddle Escape".

Imports go one way, down the layers:

* ``certify.cli`` (and the public ``certify.strategies``): the command line;
* the capabilities ``certify.instance``, ``certify.optimum``, ``certify.fuzz``, ``certify.experiments``,
  ``certify.followup`` and the symbolic modules ``certify.proofs``;
* ``certify.gate`` (claims as data, running and reporting them) and ``certify.core`` (the network over any
  number system, the instance format, data sets, executors);
* ``certify.kernel``: the trusted part, the only code that turns numbers into verdicts.

The README's Architecture section has the map; ``tests/test_architecture.py`` holds it.
"""

__version__ = "0.1.0"


def _source_checkout_fallback() -> None:
    """In a wheel ``certify/proofs`` and ``certify/data`` are installed inside the package, and an
    editable install maps them from the repository's top-level ``proofs/`` and ``data/``.  When certify is
    imported straight from a checkout with no install (``PYTHONPATH=checkout``, or from the repository
    root while another copy is installed), nothing maps them: the repository root then joins the
    package's search path, so ``certify.proofs`` is ``proofs/``."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    root = here.parent
    if not (here / "proofs").is_dir() and (root / "proofs" / "__init__.py").is_file():
        __path__.append(str(root))  # noqa: F821 - a package's module namespace has __path__


_source_checkout_fallback()
