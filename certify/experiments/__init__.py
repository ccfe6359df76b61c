"""Experiments, named by what they reproduce: Sections 3.3, 4 and 5 and Appendices B-C.

* Section 3.3 and Appendix B: :mod:`~certify.experiments.data` (digits and the synthetic data),
  :mod:`~certify.experiments.training` (full-batch training from small initialisation),
  :mod:`~certify.experiments.saddles` (finding the plateaus), :mod:`~certify.experiments.experiment`
  (one run and its statistics), :mod:`~certify.experiments.figures`, :mod:`~certify.experiments.report`
  (``certify figures``) and :mod:`~certify.experiments.claims` (the registered claims);
* Section 4: :mod:`~certify.experiments.section4` (Figures 2 and 7, the depth comparison of Prop. 3.2 on
  Example 1);
* Section 5: :mod:`~certify.experiments.section5` (its conjectures on Example 1 and the digits) and
  :mod:`~certify.experiments.depth_sweep` (certified s*(L) across depths, ``certify plateau``);
* Appendix C: :mod:`~certify.experiments.cifar10` (needs the CIFAR-10 files; skipped without them).

Untrusted numerics: these modules produce runs, figures and ``reproduced``/``refuted`` verdicts judged
by criteria stated before the runs.  The certified statements among them go through the kernel
(:mod:`certify.instance.verdicts` for Prop. 3.4 on a snapshot, :mod:`certify.optimum.certificates`
for the depth sweep).
"""
