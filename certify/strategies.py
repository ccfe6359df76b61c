"""Hypothesis strategies for ReLU networks, data and cost gradients (paper, Section 2).

Use them in your own property-based tests::

    from hypothesis import given
    from certify.strategies import instances

    @given(instances(in_ball=True))
    def test_lemma_a4(inst):
        prod = 1.0
        for W in inst.weights:
            prod *= float((W * W).sum()) ** 0.5
        assert prod <= 1 + 1e-12

Every strategy takes keyword arguments only (``min_``/``max_``/``allow_`` names) and raises
``hypothesis.errors.InvalidArgument`` on a bad argument.  Entries are drawn from quarter-integers
first, so shrunk counterexamples are small and readable.
"""

from certify.fuzz.strategies import (
    cost_gradients,
    datasets,
    instances,
    matrices,
    nearly_rank_one_data,
    parameters_in_ball,
    parameters_on_sphere,
    relu_networks,
    widths,
)

__all__ = [
    "cost_gradients",
    "datasets",
    "instances",
    "matrices",
    "nearly_rank_one_data",
    "parameters_in_ball",
    "parameters_on_sphere",
    "relu_networks",
    "widths",
]

# nothing is exposed or lost by accident: the public names are exactly the strategies defined privately
from certify.fuzz import strategies as _impl  # noqa: E402

_defined = {name for name, obj in vars(_impl).items()
            if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", "") == _impl.__name__}
assert _defined == set(__all__), f"certify.strategies out of sync: {_defined ^ set(__all__)}"
