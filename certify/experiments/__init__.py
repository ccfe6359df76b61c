"""Experiments of Section 3.3 and Appendices B-C: training bias-free ReLU MLPs from small
initialisation on real data, finding the saddles, and the low-rank statistics of the weights.

Untrusted numerics: these modules produce runs, figures and ``reproduced``/``refuted`` verdicts;
the only certified statement (Prop. 3.4 on a snapshot) goes through :mod:`certify.instance.enclosure`.
"""
