"""The relaxations behind the branch-and-bound certificates (proofs/section4_branch_bound.py): proved, and
their steps fail on false variants (a shifted activation breaks the lifting over atoms, |z| and leaky ReLU
break the bound at a cone's generators)."""

import sympy as sp

from certify.kernel.verdict import Status
from certify.proofs import section4_branch_bound as B
from certify.kernel.symbolic import Ledger


def test_branch_bound_is_proved():
    v = B.check_branch_bound()
    assert v.status is Status.PROVED, v.message
    assert v.evidence["identities_checked"] >= 25 and not v.evidence["failed"]


def test_lifting_fails_for_a_shifted_activation():
    assert B.lifting(Ledger())
    assert not B.lifting(Ledger(), act=lambda z: sp.Max(z, 0) + 1)


def test_crossing_bound_fails_for_abs_and_leaky_relu():
    assert B.crossing(Ledger())
    assert not B.crossing(Ledger(), act=sp.Abs)
    assert not B.crossing(Ledger(), act=lambda z: sp.Max(z, z / 10))


def test_covering_fails_for_a_split_at_the_difference():
    assert B.covering(Ledger()) and B.dual_vector(Ledger())
    assert not B.covering(Ledger(), b_sign=-1)
