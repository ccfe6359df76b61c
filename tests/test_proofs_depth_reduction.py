"""The general-depth reduction (proofs/section5_depth_reduction.py): it is proved, and its steps fail on
false variants (an activation that is not positively homogeneous, or not idempotent on its own outputs, and a
domination cover without one sign)."""

import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import section5_depth_reduction as R
from certify.kernel.symbolic import Ledger


def test_reduction_is_proved():
    v = R.check_depth_reduction()
    assert v.status is Status.PROVED, v.message
    assert v.evidence["identities_checked"] >= 40


def test_output_homogeneity_fails_for_a_shifted_activation():
    assert R.output_homogeneity(Ledger())
    assert not R.output_homogeneity(Ledger(), act=lambda z: sp.Max(z, 0) + 1)


def test_lower_extension_fails_for_leaky_relu():
    # leaky(leaky(z)) != leaky(z) for z < 0: inserted [1] layers would change the function
    assert R.lower_extension(Ledger())
    assert not R.lower_extension(Ledger(), act=lambda z: sp.Max(z, z / 10))


def test_domination_needs_one_sign():
    assert R.domination(Ledger())
    assert not R.domination(Ledger(), one_signed=False)
