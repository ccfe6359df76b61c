"""``certify instance FILE``: what holds on one network with its data X and cost gradient G.

* :mod:`~certify.instance.witnesses` (untrusted): float power iteration proposing singular vectors;
* :mod:`~certify.instance.enclosure`: ball enclosures of the forward pass, norms and rank-one ratios;
* :mod:`~certify.instance.exact`: exact (fmpq) checks of Section 2's identities, Lemma A.4 and
  Definition 2.1;
* :mod:`~certify.instance.verdicts`: the verdicts on Prop. 3.4, Theorem 3.1, a claimed speed and the
  escape-time bound, gathered by :func:`~certify.instance.verdicts.certify_instance`;
* :mod:`~certify.instance.claims`: the same checks registered as claims on the shipped instances;
* :mod:`~certify.instance.report`: the report the command prints and its JSON.
"""
