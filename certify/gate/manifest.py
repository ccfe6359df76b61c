"""The manifest: every claim of the paper that certify must account for.

Keys follow the paper's numbering: numbered objects by their number
(``eq1``, ``prop2.2``, ``lemma-a4``, ``thm3.1``), unnumbered statements by
section and a short name (``a1.homogeneity``, ``section4.1.width-helps``).
Values say where the paper states it.  ``tests/test_registry.py`` holds the
catalog equal to this list, so no claim can be dropped silently.
"""

PAPER_CLAIMS: dict[str, str] = {
    "eq1": "Section 2, eq. (1); Appendix A.1 (first-order expansion, MSE example)",
    "a1.homogeneity": "Section 2 and Appendix A.1 (L0 is homogeneous of degree L)",
    "section2.1.euler": "Section 2.1 and Proposition A.1 (Euler's identity)",
    "prop-a1": "Section 2.1 and Proposition A.1 (gradient-flow decomposition)",
    "section2.1.q-time": "Section 2.1 (reparametrised time q, closed forms)",
    "def2.1": "Definition 2.1 (escape directions and speeds)",
    "prop2.2": "Proposition 2.2 = Proposition A.2 (norm along an escape direction)",
    "section2.2.escape-time-bound": "Section 2.2, after Proposition 2.2 (lower bound on t1(r) - t0)",
    "thm3.1": "Theorem 3.1 = Theorem A.8 (low-rank bias of optimal escape directions)",
    "abstract.l-quarter": "Abstract and Section 1.3 (s_1 at least l^(1/4) larger than any other)",
    "prop3.2": "Proposition 3.2 = Proposition A.3 (optimal speed non-decreasing in depth)",
    "prop3.3": "Proposition 3.3 = Proposition A.6 (nearly rank-one inputs)",
    "prop3.4": "Proposition 3.4 = Proposition A.5 (many approximately rank-one layers)",
    "lemma-a4": "Lemma A.4 (prod ||W_l||_F <= 1 when ||theta||^2 <= L)",
    "lemma-a7": "Lemma A.7 (non-negative top singular vectors)",
    "section3.3.low-rank-after-escape": "Section 3.3, Figures 1, 3-6 (one dominant singular value after the first escape)",
    "example1.rank-one-speed": "Example 1 and Appendix D.1 (best rank-one speed sqrt(2) - 1)",
    "example1.rank-two-speed": "Example 1, eq. (2) (a rank-two direction with speed 1/2)",
    "eq6": "Appendix D.1, eq. (6) and Figure 7 (rank-one speed as a function of the angle)",
    "section4.1.width-helps": "Section 4.1 and Figure 2 (wider networks find the faster direction more often)",
    "footnote2.optimal-speed": "Section 4, footnote 2 (is anything faster than 1/2?)",
    "footnote1": "Section 4, Example 1, footnote 1 (targets and squared loss that give the alternating G)",
    "section2.origin": "Section 2, remark after eq. (1) (the loss at the origin: differentiability, polynomial approximation)",
    "section2.2.alpha-scaling": "Section 2.2, end (theta_bar(q) and q_1 independent of the scale alpha of theta_0; "
                                "||theta(q_1)|| = C alpha)",
    "section2.2.output-bound": "Section 2.2, before the escape-time bound (||Y||_F <= prod ||W_l||_op ||X||_F <= "
                               "(||theta||/sqrt L)^L ||X||_F)",
    "section5.weak-balancedness": "Section 5 (weak balancedness of ReLU networks under gradient flow)",
    "section5.plateau": "Section 5, conjecture (2), the paragraph after it (a plateau of s*(L) and rank-one layers)",
    "section5.conjecture1": "Section 5, conjecture (1) (large-width GD finds the optimal escape direction)",
    "section5.conjecture3": "Section 5, conjecture (3) (rank-one layers remain rank-one until the next saddle)",
    "section5.plateaus-depth": "Section 5, last paragraph; Figures 1 and 4 (more distinct plateaus at depth 6 than at "
                               "depth 4)",
    "appendixc.cifar10": "Appendix C, Figures 5 and 6 (CIFAR-10: one dominant singular value after the first escape, "
                         "deeper layers more so)",
    # the follow-up paper, "A Theory of Saddle Escape in Deep Nonlinear Networks" (2026): abstract only
    "followup.imbalance-identity": "Follow-up, abstract (exact imbalance identity, any smooth activation and loss)",
    "followup.universality-classes": "Follow-up, abstract (four universality classes of activations)",
    "followup.escape-time-law": "Follow-up, abstract (tau = Theta(eps^-(r-2)), r bottleneck layers, not L; "
                                "symmetric and He-normal initialisations)",
}
