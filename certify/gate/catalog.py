"""The catalog: every registered claim, in one list.

Adding a claim means adding one ``Claim(...)`` here whose check lives in a
``proofs/`` module or in ``certify``; a claim not yet checked names the issue
that will check it.
"""

from __future__ import annotations

from certify.gate.claim import Claim
from certify.kernel.verdict import Evidence

SYM, INT, CERT, FUZZ, EXP = (
    Evidence.SYMBOLIC,
    Evidence.INTERVAL,
    Evidence.CERTIFICATE,
    Evidence.FUZZ,
    Evidence.EXPERIMENT,
)

CATALOG: tuple[Claim, ...] = (
    # --- Section 2 and Appendix A.1-A.3 -----------------------------------
    Claim(
        "eq1", "eq1", "First-order expansion of the cost at Y = 0", "Section 2, eq. (1); A.1",
        "C(Y) = C(0) + Tr[grad C(0)^T Y] + O(||Y||_F^2); for the MSE (1/N)||Y - Y*||_F^2 the three terms "
        "are (1/N)||Y*||^2, -(2/N)Tr[Y*^T Y], (1/N)||Y||^2, and grad C(0) = -(2/N) Y*.",
        SYM, check="certify.proofs.section2_expansion:check_eq1", cost=0.9,
    ),
    Claim(
        "a1.homogeneity", "a1.homogeneity", "L0 is positively homogeneous of degree L", "Section 2; A.1",
        "For every lambda > 0, L0(lambda theta) = lambda^L L0(theta): each layer is homogeneous of degree one "
        "because relu(lambda z) = lambda relu(z).  It fails for lambda < 0.",
        SYM, check="certify.proofs.appendix_a1_homogeneity:check_homogeneity",
    ),
    Claim(
        "a1.homogeneity.instances", "a1.homogeneity", "Homogeneity on the shipped instances", "Section 2; A.1",
        "L0(lambda theta) = lambda^L L0(theta) in exact rational arithmetic on every shipped instance, "
        "for several rational lambda > 0.",
        INT, check="certify.instance.claims:homogeneity_on_shipped",
    ),
    Claim(
        "a1.homogeneity.printed-definition", "a1.homogeneity", "A.1's display of the localized loss", "Appendix A.1",
        "A.1 writes 'the homogeneity of localized loss L0(theta) = Tr[grad C(0)^T]' and derives L0(lambda theta) = "
        "lambda^L L0(theta) from it; as printed (no Y_theta) L0 is a constant.",
        SYM, check="certify.proofs.appendix_a1_homogeneity:check_printed_definition", cost=0.1,
    ),
    Claim(
        "section2.origin.differentiable", "section2.origin", "The loss is not differentiable at the origin", "Section 2",
        "As printed: since the ReLU is not differentiable, neither is the loss (L0, and L = C(Y_theta)) at theta = 0, so "
        "L0 cannot be approximated by a polynomial.",
        SYM, check="certify.proofs.section2_origin:check_origin_differentiable", cost=3.5,
    ),
    Claim(
        "section2.origin.taylor-order", "section2.origin", "No Taylor expansion of order L at the origin", "Section 2",
        "No polynomial p has L0(theta) - p(theta) = o(||theta||^L) (in general: on the width-one chain, depths 2-6), "
        "while the zero polynomial is an expansion of every order k < L.",
        SYM, check="certify.proofs.section2_origin:check_origin_taylor_order", cost=3.0,
    ),
    Claim(
        "section2.1.euler", "section2.1.euler", "Euler's identity for L0", "Section 2.1; Prop. A.1",
        "theta^T grad L0(theta) = L L0(theta), on every activation region of the network.",
        SYM, check="certify.proofs.appendix_a1_homogeneity:check_euler",
    ),
    Claim(
        "section2.1.euler.instances", "section2.1.euler", "Euler's identity on the shipped instances",
        "Section 2.1; Prop. A.1",
        "theta^T grad L0(theta) = L L0(theta) in exact rational arithmetic on every shipped instance, with the "
        "gradient computed by backpropagation.",
        INT, check="certify.instance.claims:euler_on_shipped",
    ),
    Claim(
        "prop-a1", "prop-a1", "Gradient flow splits into norm and direction", "Section 2.1; Prop. A.1",
        "d||theta||/dt = -L ||theta||^(L-1) L0(theta_bar) and d theta_bar/dt = -||theta||^(L-2) "
        "(I - theta_bar theta_bar^T) grad L0(theta_bar).",
        SYM, check="certify.proofs.section2_gradient_flow:check_prop_a1", cost=7.5,
    ),
    Claim(
        "section2.1.q-time", "section2.1.q-time", "Reparametrised time q", "Section 2.1",
        "With q(t) as printed, the direction follows projected gradient flow on the sphere in q-time, the norm "
        "is ||theta(0)|| exp(-L int L0(theta_bar)), and t(q) is the printed integral.",
        SYM, check="certify.proofs.section2_gradient_flow:check_q_time",
    ),
    Claim(
        "def2.1", "def2.1", "Escape directions are critical points on the sphere", "Definition 2.1",
        "rho on the radius-sqrt(L) sphere with grad L0(rho) = -s rho, s >= 0; an optimal one (largest speed) is a "
        "minimiser of L0 on the sphere.  Checked: the speed is forced (s = -L0(rho)) and a differentiable minimiser "
        "is an escape direction; but Example 1's certified minimiser is a kink of L0 (exact one-sided derivatives).",
        SYM, check="certify.proofs.section2_escape_directions:check_definition",
    ),
    Claim(
        "prop2.2", "prop2.2", "Norm along an escape direction", "Prop. 2.2 = Prop. A.2",
        "Started at an escape direction, the direction stays fixed and ||theta(t)|| = (||theta0||^(2-L) + "
        "(2-L) L s (t - t0))^(1/(2-L)) for L != 2, ||theta0|| exp(2 s (t - t0)) for L = 2.",
        SYM, check="certify.proofs.section2_gradient_flow:check_prop22", cost=0.9,
    ),
    Claim(
        "section2.2.escape-time-bound", "section2.2.escape-time-bound", "Lower bound on the escape time",
        "Section 2.2",
        "From ||Y|| <= (||theta||/sqrt(L))^L ||X||_F, the time to reach ||Y||_F = r is at least the printed "
        "expression, for L != 2 and L = 2.",
        SYM, check="certify.proofs.section2_gradient_flow:check_escape_time_bound",
    ),
    Claim(
        "section2.2.output-bound", "section2.2.output-bound", "Output norm bound", "Section 2.2",
        "||Y_theta||_F <= ||W_L||_op ... ||W_1||_op ||X||_F <= (||theta||/sqrt L)^L ||X||_F.",
        SYM, check="certify.proofs.section2_passing:check_output_bound", cost=1.5,
    ),
    Claim(
        "section2.2.alpha-scaling", "section2.2.alpha-scaling", "Scaling the initialisation by alpha", "Section 2.2",
        "theta_bar(q) (q-time) is unaffected by theta_0 -> alpha theta_0, alpha > 0; q_1 is independent of alpha and "
        "||theta(q_1)|| = C alpha with C > 0.",
        SYM, check="certify.proofs.section2_passing:check_alpha_scaling", cost=3.5,
    ),
    # --- Section 3 and Appendix A.4-A.5 -----------------------------------
    Claim(
        "thm3.1", "thm3.1", "Low-rank bias of the optimal escape direction", "Theorem 3.1 = Theorem A.8",
        "At an optimal escape direction, for layers l > c^2, the rank-one ratios of W_l and Z_l^s and the ReLU "
        "gap are at most 8 c / (1 - c l^(-1/2)) l^(-1/2), with s* and c as printed; the bound follows from "
        "Props. 3.3 and 3.4.",
        SYM, check="certify.proofs.appendix_a8_theorem:check_theorem",
    ),
    Claim(
        "thm3.1.appendix-statement", "thm3.1", "Theorem A.8 as stated in the appendix", "Theorem A.8",
        "For all layers l the ratios are at most 8 c'/(s* - c' l^(-1/2)) l^(-1/2) with "
        "c' = sqrt(2) ||X|| ||G|| sqrt(log||X|| + log||G|| - log s*).",
        SYM, check="certify.proofs.appendix_a8_theorem:check_appendix_statement",
    ),
    Claim(
        "thm3.1.chain", "thm3.1", "Theorem 3.1's proof, index by index", "Theorem 3.1 = Theorem A.8; Props. 3.3-3.4",
        "The chain A.5 -> A.7 -> A.6 on the sub-network Y_{L:l0+1} -> p = l/L, and which layers each step reaches: "
        "as printed the count gives l0 <= pL = l and Lemma A.7 is applied to Z^s_{l0} 'non-negative entry-wise'. "
        "Checked: the index sets (every allowed bad set, L <= 7), balanced layers, the tail's optimality, "
        "eps^2 <= ||X||^2 2 log(||X|| ||G||/s*)/(pL), and the composed bound, every inequality a sign fact.",
        SYM, check="certify.proofs.section3_chain:check_chain", cost=1.1,
    ),
    Claim(
        "thm3.1.output-gap", "thm3.1", "Theorem 3.1's ReLU gap at the output layer", "Theorem 3.1 = Theorem A.8",
        "For every layer l > c^2, l = L included, ||Z_l^s - Z_l||_F^2 / ||Z_l||_F^2 <= 8c/(1 - c l^(-1/2)) l^(-1/2).",
        SYM, check="certify.proofs.section3_chain:check_output_gap", cost=1.3,
    ),
    Claim(
        "thm3.1.balanced-layers", "thm3.1", "Optimal directions have balanced layers", "Theorem A.8 (proof); Example 1",
        "At a minimiser of Tr[G^T Y] on ||theta||^2 = L with speed s* > 0, ||W_l||_F = 1 for every l; hence "
        "||Z_l^s||_F <= ||X||_F, and the tail from any l0 is optimal on its own sphere ||.||^2 = L - l0 with speed s*.",
        SYM, check="certify.proofs.section3_chain:check_balanced_layers", cost=0.3,
    ),
    Claim(
        "thm3.1.c-controlled", "thm3.1", "c is controlled in depth", "Section 3, after Theorem 3.1",
        "Since s* is non-decreasing in depth, c is controlled and l > c^2 holds for all but finitely many of the "
        "initial layers: c(s) = (K/s) sqrt(2 log(K/s)), K = ||X|| ||G||, decreases on (0, K], so at most "
        "c(s*(L0))^2 layers fail l > c^2 at every depth L >= L0.",
        SYM, check="certify.proofs.section3_chain:check_c_controlled", cost=0.3,
    ),
    Claim(
        "thm3.1.instances", "thm3.1", "Theorem 3.1's ratios on instances", "Theorem 3.1",
        "On each shipped instance, certified per-layer ratios (W_l, Z_l^s, ReLU gap) against the theorem's bound, "
        "with c from the instance's own speed; the hypothesis (theta optimal) is not verified, so the verdict is "
        "never 'certified'.",
        INT, check="certify.instance.claims:thm31_on_shipped",
    ),
    Claim(
        "thm3.1.certified-minimiser", "thm3.1", "Theorem 3.1 on certified minimisers", "Theorem 3.1 = Theorem A.8",
        "On networks proved optimal (Example 1 at depth 3; rank-one data with a rank-one chain attaining "
        "s* = ||Gv|| ||u||), at every layer l > c^2 the ratios of W_l and Z_l^s and the ReLU gap are at most "
        "8c/(1 - c l^(-1/2)) l^(-1/2), c = (||X|| ||G||/s*) sqrt(2 log(||X|| ||G||/s*)), s* the optimal speed.",
        CERT, check="certify.optimum.certified_minimisers:check_thm31_certified", cost=0.9,
    ),
    Claim(
        "abstract.l-quarter", "abstract.l-quarter", "s_1 is l^(1/4) larger than any other", "Abstract; Section 1.3",
        "The abstract's reading of Theorem 3.1: the first singular value of W_l is at least l^(1/4) larger than "
        "any other.",
        SYM, check="certify.proofs.appendix_a8_theorem:check_abstract",
    ),
    Claim(
        "prop3.2.norm-accounting", "prop3.2", "Prop. A.3's norm accounting and loss step", "Prop. 3.2 = Prop. A.3",
        "In the deeper network ||theta'||^2 = sum_{l<=L-2} ||W_l||^2 + 2 sum_i a_i b_i + k <= L + k because "
        "2 sum a_i b_i <= sum a_i^2 + sum b_i^2, and choosing the best neuron i* does not increase L0.",
        SYM, check="certify.proofs.appendix_a4_depth:check_norm_accounting",
    ),
    Claim(
        "prop3.2.all-depths", "prop3.2", "Prop. 3.2 at every depth: it fails at L = 1", "Prop. 3.2 = Prop. A.3",
        "As printed, for every depth L >= 1 (no lower bound is stated), a network with L0 = -s0 < 0 on ||theta||^2 = L "
        "extends to depth L + k (k >= 1) with ||theta'||^2 = L + k and L0 no larger, so s*(L) is non-decreasing.  At "
        "L = 1 it fails: on X = [1, -1], G = [-1, 1], s*(1) = ||G X^T||_F = 2, while every depth-2 network of any width "
        "has speed <= 1 on its sphere.  Corrected: L >= 2 (L = 2 included: Z_{L-2}^s = X); the algebra reduces to 0 "
        "and the construction is run exactly at L = 2, 3, 4, k = 1, 2, 3.",
        SYM, check="certify.proofs.appendix_a4_depth:check_all_depths", cost=0.3,
    ),
    Claim(
        "prop3.2.construction-layers", "prop3.2", "The layers of Prop. A.3's deeper network", "Prop. 3.2 = Prop. A.3",
        "In the depth-(L+k) network of the construction, Rank(Z_L') = Rank W_L' = 1 for all L' >= L and Z_L' = Z_L'^s "
        "for all L' > L (Section 3.2; Prop. A.3 prints Z_L' = Z_L^s), checked index by index for L' = L-1..L+k in exact "
        "arithmetic.  Z_L' = Z_L'^s fails at the output layer L' = L + k; corrected: it holds for L <= L' < L + k, and "
        "the ranks are one for L - 1 <= L' <= L + k.",
        SYM, check="certify.proofs.appendix_a4_depth:check_construction_layers", cost=0.2,
    ),
    Claim(
        "prop3.2.fuzz", "prop3.2", "Optimal speed is non-decreasing in depth", "Prop. 3.2 = Prop. A.3",
        "A depth-L network with L0 = -s0 and ||theta||^2 = L extends to depth L + k with ||theta'||^2 <= L + k, "
        "L0 not larger, rank-one new layers and no ReLU effect on the hidden layers after layer L (the output layer"
        " excepted: see prop3.2.construction-layers).",
        FUZZ, check="certify.fuzz.claims:check_prop32", cost=2.2,
    ),
    Claim(
        "prop3.3", "prop3.3", "Nearly rank-one inputs give nearly rank-one layers", "Prop. 3.3 = Prop. A.6",
        "For the minimiser over ||theta||^2 <= L with inputs u v^T + X, u, v >= 0, ||X||_F <= eps, every layer's "
        "rank-one ratios (W_l, Z_l^s) and ReLU gap are at most 8 ||G||_F eps / (s* - ||G||_F eps); checked step "
        "by step from inequality (4).",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_main_statement",
    ),
    Claim(
        "prop3.3.appendix-statement", "prop3.3", "Prop. A.6 as stated in the appendix", "Prop. A.6",
        "The ratios are at most 8 ||G||_F / (s* - ||G||_F) eps, as printed in Appendix A.6.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_appendix_statement",
    ),
    Claim(
        "prop3.3.frobenius-remark", "prop3.3", "'The Frobenius inner product of Z_l and Z_l^s is zero'",
        "Prop. A.6 (proof)",
        "The proof's remark <Z_l, Z_l^s>_F = 0, used for ||Z_l||^2 = ||Z_l^s||^2 + ||Z_l - Z_l^s||^2; checked as "
        "printed, and the identity <Z^s, Z - Z^s> = 0 that the split needs.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_frobenius_remark", cost=0.1,
    ),
    Claim(
        "prop3.3.product-split", "prop3.3", "The activation expansion, eq. (5) and the min step", "Prop. A.6 (proof)",
        "||Y||/||uv^T + X|| = prod_l (||Z_l||/||Z_{l-1}^s||)(||Z_{l-1}^s||/||Z_{l-1}||) (Z_0 = Z_0^s = input); eq. (5) "
        "as printed (||W_l Z_{l-1}||); the op/F splits; factors <= 1 with product >= x are each >= x; which layers "
        "the chain controls.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_product_split", cost=0.7,
    ),
    Claim(
        "prop3.3.last-activation", "prop3.3", "Prop. 3.3's Z_l^s ratio at l = L", "Prop. 3.3 = Prop. A.6",
        "'For all l' includes l = L: the rank-one ratio of Z_L^s = relu(Y) is at most 8 ||G||_F eps/(s* - ||G||_F eps).",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_last_activation", cost=1.0,
    ),
    Claim(
        "prop3.3.attainment", "prop3.3", "The rank-one problem and its minimum", "Prop. A.6 (proof)",
        "Tr[G^T Y(uv^T)] = v^T G^T Y(u) and min_{||theta||^2 <= L} v^T G^T Y(u) = -||Gv|| ||u|| (u, v >= 0): lower "
        "bound and an attaining network, edge cases Gv = 0 and u = 0.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_attainment", cost=3.6,
    ),
    Claim(
        "prop3.3.dimensions", "prop3.3", "'u, v in R^n'", "Prop. 3.3 = Prop. A.6",
        "The statement takes u, v in R^n, while the input u v^T + X is d_in x N; the general reading u in R^{d_in}, "
        "v in R^N and the steps that involve u, v.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_dimensions", cost=2.4,
    ),
    Claim(
        "prop3.3.ineq4", "prop3.3", "Inequality (4)", "Prop. A.6 (proof), eq. (4)",
        "Tr[G^T Y*(uv^T + X)] >= -Tr[G^T Y*(uv^T)] - ||G||_F eps >= -||Gv|| ||Y*(u)|| - ||G||_F eps, as printed; the "
        "Lipschitz step behind it.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_ineq4", cost=0.2,
    ),
    Claim(
        "prop3.3.dropped-eps", "prop3.3", "The display after 'by using the above inequality'", "Prop. A.6 (proof)",
        "||Y(uv^T+X)||/||uv^T+X|| >= 1 - 2||G||/(||Gv|| ||u||) - 2 eps/(||u|| ||v||) >= "
        "1 - 2(||G||/(||Gv|| ||u||) + 1/(||u|| ||v||)) eps, as printed.",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_dropped_eps", cost=0.2,
    ),
    Claim(
        "prop3.3.squaring-step", "prop3.3", "'By squaring and rearranging'", "Prop. A.6 (proof)",
        "From ||W_l||_op/||W_l||_F >= 1 - 2Ce, squaring gives the rank-one ratio of W_l <= 4Ce; checked in both "
        "cases of the sign of 1 - 2Ce (the proof squares without saying which).",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_squaring_step", cost=0.1,
    ),
    Claim(
        "prop3.3.ball-and-sphere", "prop3.3", "Minimiser over the ball, over the sphere", "Prop. 3.3 = Prop. A.6",
        "The statement takes theta* = argmin over ||theta||^2 <= L, the proof argmin over ||theta||^2 = L; they "
        "agree when s* > 0 (scaling a point of the open ball with L0 < 0 onto the sphere lowers L0).",
        SYM, check="certify.proofs.appendix_a6_strong_control:check_ball_and_sphere", cost=0.1,
    ),
    Claim(
        "prop3.4.fuzz", "prop3.4", "Prop. 3.4 under fuzzing", "Prop. 3.4 = Prop. A.5",
        "For random and adversarial theta with ||theta||^2 <= L and Tr[G^T Z_L] <= -s0, the count holds.",
        FUZZ, check="certify.fuzz.claims:check_prop34", cost=2.1,
    ),
    Claim(
        "prop3.3.pgd", "prop3.3", "Prop. 3.3 at the best minimiser found", "Prop. 3.3 = Prop. A.6",
        "On nearly rank-one data, the direction found by projected gradient descent has its ratios below "
        "8 ||G||_F eps / (s - ||G||_F eps), s its speed (an experiment, not a certificate).  5 independent runs "
        "(data set and search; 3 under --quick): reproduced when at least 4 pass, refuted when at most 1 does.",
        EXP, check="certify.fuzz.claims:check_prop33_pgd", cost=0.6,
    ),
    Claim(
        "prop3.3.fuzz", "prop3.3", "Nearly rank-one inputs give nearly rank-one layers", "Prop. 3.3 = Prop. A.6",
        "For inputs u v^T + X with u, v >= 0 and ||X||_F <= eps, the minimiser's rank-one ratios and ReLU gaps "
        "are at most 8 ||G||_F eps / (s* - ||G||_F eps).",
        FUZZ, check="certify.fuzz.claims:check_prop33", cost=1.7,
    ),
    Claim(
        "prop3.3.certified-minimiser", "prop3.3", "Prop. 3.3 on certified minimisers", "Prop. 3.3 = Prop. A.6",
        "On networks proved optimal (Example 1 at depth 3, exact certificate s* = 1/2; rank-one data u v^T, where "
        "s* = ||Gv|| ||u|| and a rank-one chain attains it; nearly rank-one 2-D data with a checked depth-2 "
        "certificate, optimal up to delta) the rank-one ratios of W_l and Z_l^s and the ReLU gaps are at most "
        "8 ||G||_F eps/(s* - ||G||_F eps), eps = ||X - u v^T||_F for non-negative u, v (delta-robust form for the "
        "near-minimiser); ratios bracketed exactly, bounds as arb balls.",
        CERT, check="certify.optimum.certified_minimisers:check_prop33_certified", cost=1.2,
    ),
    Claim(
        "prop3.4.steps", "prop3.4", "Prop. A.5's scalar steps", "Prop. 3.4 = Prop. A.5",
        "The telescoping product, 1 - 1/x <= log x for x >= 1, and the count of at least (1-p)L layers from "
        "the log-sum; the bound of Prop. 3.4 equals (3).",
        SYM, check="certify.proofs.appendix_a5_weak_control:check_prop34_steps",
    ),
    Claim(
        "prop3.4.proof-indices", "prop3.4", "The range of Prop. A.5's log-sum", "Prop. A.5 (proof)",
        "The proof sums log ||Z_l^s||_F^2 - log ||Z_l^s||_op^2 over l = 1..L-1 and concludes that at least (1-p)L "
        "layers meet (3) (its last displays write Z_l for Z_l^s, read here as Z_l^s).",
        SYM, check="certify.proofs.appendix_a5_weak_control:check_prop34_proof_indices", cost=0.2,
    ),
    Claim(
        "prop3.4.instances", "prop3.4", "Many approximately rank-one layers", "Prop. 3.4 = Prop. A.5",
        "If Tr[G^T Z_L] <= -s0 and ||theta||^2 <= L, for every p in (0,1) at least (1-p)L layers have "
        "activation rank-one ratio at most 2 log(||X||_F ||G||_F / s0) / (pL); certified with enclosures on every "
        "shipped instance whose hypotheses hold, for p in {0.1, 0.25, 0.5, 0.75, 0.9}.",
        INT, check="certify.instance.claims:prop34_on_shipped",
    ),
    Claim(
        "lemma-a4", "lemma-a4", "Weak control: prod ||W_l||_F <= 1", "Lemma A.4",
        "If ||theta||^2 = sum_l ||W_l||_F^2 <= L then prod_l ||W_l||_F <= 1 (AM-GM).",
        SYM, check="certify.proofs.appendix_a5_weak_control:check_lemma_a4",
    ),
    Claim(
        "lemma-a4.instances", "lemma-a4", "Lemma A.4 on the shipped instances", "Lemma A.4",
        "On every shipped instance with ||theta||^2 <= L (checked exactly), prod ||W_l||_F <= 1, with a "
        "certified margin.",
        INT, check="certify.instance.claims:lemma_a4_on_shipped",
    ),
    Claim(
        "lemma-a4.proof-display", "lemma-a4", "Lemma A.4's first display", "Lemma A.4 (proof)",
        "(||theta||^2/L) = ((1/L) sum_l ||W_l||_F^2)^(L/2) >= (prod_l ||W_l||_F^2)^(1/2), as printed.",
        SYM, check="certify.proofs.appendix_a5_weak_control:check_lemma_a4_display", cost=0.3,
    ),
    Claim(
        "lemma-a7", "lemma-a7", "Non-negative top singular vectors", "Lemma A.7",
        "A matrix with non-negative entries has non-negative left and right singular vectors for s_1.",
        SYM, check="certify.proofs.appendix_a7_perron:check_lemma_a7",
    ),
    Claim(
        "lemma-a7.proof-equations", "lemma-a7", "The equations of Lemma A.7's proof", "Lemma A.7 (proof)",
        "The proof's A^T A u_1 = s_1 u_1 and 'v_1 = A u_1/s_1 is a left singular vector as it satisfies "
        "A v_1 = s_1 u_1', as printed.",
        SYM, check="certify.proofs.appendix_a7_perron:check_lemma_a7_proof", cost=0.2,
    ),
    Claim(
        "section3.3.low-rank-after-escape", "section3.3.low-rank-after-escape",
        "One dominant singular value after the first escape", "Section 3.3; Figures 1, 3, 4",
        "Bias-free ReLU MLPs of depth 6 and 4 trained from small initialisation on scikit-learn's digits: at the "
        "first checkpoint after the first drop of the loss, every W_l has rank-one ratio sum_{i>=2} s_i^2 / "
        "sum_i s_i^2 <= 0.5 (s_1 carries more of ||W_l||_F^2 than all other singular values together).",
        EXP, check="certify.experiments.claims:check_rank_one", cost=12.0, shares="section3.3-training",
    ),
    Claim(
        "section3.3.low-rank-after-escape.depth", "section3.3.low-rank-after-escape",
        "Deeper layers are more rank-one", "Section 3.3; Figures 1, 3, 4",
        "At the same snapshot, the rank-one ratio decreases with depth: Spearman's rank correlation between the "
        "layer index l and its ratio r_l (l = 1..L) is <= -0.5, at depths 6 and 4.",
        EXP, check="certify.experiments.claims:check_depth_order", shares="section3.3-training",
    ),
    Claim(
        "section3.3.low-rank-after-escape.second-saddle", "section3.3.low-rank-after-escape",
        "A second dominant singular value after a later saddle", "Section 3.3; Figures 1, 3, 4",
        "With d_l the number of singular values of W_l above the largest gap s_i/s_(i+1) among its top 10: after "
        "the second drop of the loss at least half of the layers have d_l >= 2, after the first drop fewer than "
        "half.  A run with no second drop cannot test this and is skipped.",
        EXP, check="certify.experiments.claims:check_second_saddle", shares="section3.3-training",
    ),
    Claim(
        "section3.3.low-rank-after-escape.prop3.4", "section3.3.low-rank-after-escape",
        "Prop. 3.4 on the trained network after the first escape", "Section 3.3; Prop. 3.4",
        "The snapshot after the first escape, rescaled into ||theta||^2 <= L, with G = grad C(0) of the training "
        "loss, has for each p in {0.1, 0.25, 0.5, 0.75, 0.9} at least (1-p)L activations with rank-one ratio "
        "<= 2 log(||X||_F ||G||_F / s0)/(pL); certified with the kernel's enclosures.",
        INT, check="certify.experiments.claims:check_prop34", shares="section3.3-training",
    ),
    Claim(
        "section3.3.low-rank-after-escape.escape-direction", "section3.3.low-rank-after-escape",
        "After the first escape theta/||theta|| is close to an escape direction", "Section 3.3; Definition 2.1",
        "At the snapshot after the first escape, Definition 2.1's relative residual ||grad L0(rho) + s rho|| / "
        "||grad L0(rho)|| of rho = sqrt(L) theta/||theta|| (G = grad C(0)) is <= 0.2 with s = -L0(rho) > 0, "
        "at depths 6 and 4 (floats: an experiment).",
        EXP, check="certify.experiments.claims:check_escape_direction", shares="section3.3-training",
    ),
    Claim(
        "appendixc.cifar10.low-rank-after-escape", "appendixc.cifar10",
        "One dominant singular value after the first escape on CIFAR-10", "Appendix C; Figures 5, 6",
        "On CIFAR-10 supplied by the user (CERTIFY_CIFAR10: the binary version data_batch_*.bin, or an .npz; the "
        "channels are averaged to 32 x 32 = 1024 grayscale inputs, then standardised with the data set's pixel mean "
        "and standard deviation), with 500 points and the digits gate's two trainings (depths 6 and 4): every W_l has "
        "rank-one ratio <= 0.5 at the first checkpoint after the first drop.  Skipped when no data is given; error "
        "when the data cannot be read.",
        EXP, check="certify.experiments.cifar10:check_low_rank_after_escape", cost=0.1,
        shares="appendixc-cifar10-training",
    ),
    Claim(
        "appendixc.cifar10.depth", "appendixc.cifar10", "Deeper layers more rank-one on CIFAR-10",
        "Appendix C; Figure 5",
        "On the same CIFAR-10 trainings, Spearman's rank correlation between the layer index l and its rank-one ratio "
        "at the snapshot after the first escape is <= -0.5 at depths 6 and 4.  Skipped when no data is given; error "
        "when the data cannot be read.",
        EXP, check="certify.experiments.cifar10:check_depth_order", cost=0.1, shares="appendixc-cifar10-training",
    ),
    # --- Section 4 and Appendix D ----------------------------------------
    Claim(
        "example1.rank-one-speed", "example1.rank-one-speed", "Best rank-one speed is sqrt(2) - 1",
        "Example 1; Appendix D.1",
        "On Example 1 the best escape speed of a depth-3 direction with rank-one layers is sqrt(2) - 1, "
        "attained by a width-one network at angles pi j/4.",
        SYM, check="certify.proofs.example1:check_rank_one_speed",
    ),
    Claim(
        "example1.rank-one-speed.representation", "example1.rank-one-speed", "What rank-one layers can represent",
        "Example 1 (proof)",
        "A network with only rank-one layers represents only one-neuron functions u relu(v^T x).",
        SYM, check="certify.proofs.example1:check_rank_one_representation",
    ),
    Claim(
        "example1.rank-one-speed.certificate", "example1.rank-one-speed", "Best one-neuron speed, certified",
        "Example 1; Appendix D.1",
        "s*(2) = max_u |g . relu(X^T u)|, the best speed of a one-neuron function u relu(v^T x) (any depth-2 "
        "direction), lies in an exactly checked interval (data/certificates/example1-depth2.json) that contains "
        "sqrt(2) - 1, on the float data and, by a rigorous Lipschitz bound, on the exact data.",
        CERT, check="certify.optimum.claims:check_rank_one_certificate",
    ),
    Claim(
        "example1.rank-one-speed.exact", "example1.rank-one-speed", "Best one-neuron speed is exactly sqrt(2) - 1",
        "Example 1; Appendix D.1",
        "On the exact data, s*(2) = max_u |g . relu(X^T u)| = sqrt(2) - 1 exactly: the certificate "
        "data/certificates/example1-exact-depth2.json has lower end = upper end = sqrt(2) - 1, checked in Q(sqrt 2).",
        CERT, check="certify.optimum.claims:check_rank_one_exact",
    ),
    Claim(
        "example1.rank-two-speed", "example1.rank-two-speed", "The rank-two direction of eq. (2) has speed 1/2",
        "Example 1, eq. (2)",
        "On Example 1 (N = 8, G = (-1)^j) the weights of eq. (2) lie on the sphere ||theta||^2 = 3 and have "
        "escape speed s = -Tr[G^T Y] = 1/2, computed exactly.",
        SYM, check="certify.proofs.example1:check_rank_two_speed",
    ),
    Claim(
        "footnote1.targets", "footnote1", "Footnote 1: targets that give Example 1's G", "Section 4, Example 1, footnote 1",
        "Targets Y = ((-1)^j) and the usual squared loss give the alternating G = ((-1)^j) of Example 1.  Checked for "
        "c ||Y - Y*||_F^2 with c = 1/N (A.1's MSE), 1/2, 1: grad C(0) = -2c Y* = -2c ((-1)^j), the opposite sign.",
        SYM, check="certify.proofs.example1_footnote1:check_targets", cost=0.8,
    ),
    Claim(
        "footnote1.eq2-sign", "footnote1", "Eq. (2)'s sign under footnote 1's G", "Section 4, Example 1, eq. (2), footnote 1",
        "Under the G = -2c((-1)^j) that footnote 1's targets give, eq. (2) as printed (W3 = [1]) has speed c > 0 "
        "(1/8 for A.1's MSE, 1/2 for (1/2)||Y - Y*||^2); speeds are linear in G and unchanged by G -> -G with W_L -> -W_L, "
        "so s_2/s_1 = (sqrt 2 + 1)/2 for every squared loss, while s_1 = sqrt 2 - 1 and s_2 = 1/2 hold at scale 2c = 1.",
        SYM, check="certify.proofs.example1_footnote1:check_eq2_sign", cost=1.5,
    ),
    Claim(
        "eq6", "eq6", "Rank-one speed as a function of the angle", "Appendix D.1, eq. (6)",
        "The speed of the width-one direction at angle phi is |cos(xi + pi/4) - cos(xi) + cos(xi - pi/4) - "
        "cos(xi - pi/2)|, xi = phi mod pi/4, maximal (sqrt(2) - 1) at multiples of pi/4.",
        SYM, check="certify.proofs.example1:check_eq6",
    ),
    Claim(
        "section4.1.width-helps", "section4.1.width-helps", "Wider networks find the rank-two direction",
        "Section 4.1; Figure 2",
        "Under projected gradient descent on ||theta||^2 = 3 (Example 1, depth 3, Gaussian starts) the fraction "
        "of runs whose final speed exceeds sqrt(2) - 1 + 1e-3 increases with width: reproduced when a one-sided "
        "Cochran-Armitage trend test on (log2 width, successes) rejects 'no trend' at level 0.01; refuted only "
        "when the fraction decreases significantly or its 99% upper slope is below +0.05 per doubling; undecided "
        "otherwise.  The gate runs widths 4-32 with 50 runs each (25 with --quick); 'certify figure2' runs "
        "widths 4-64 with 200.",
        EXP, check="certify.experiments.section4:check_width_helps", cost=0.95,
    ),
    Claim(
        "prop3.2.example1-depths", "prop3.2", "Best speeds found on Example 1 do not decrease with depth",
        "Prop. 3.2 = Prop. A.3; Example 1",
        "Projected gradient descent on Example 1 at width 8 for L = 2..6, 5 independent runs of 16 restarts per "
        "depth (3 under --quick): the best speed over all runs at each depth is at least the best at every smaller "
        "depth minus 1e-3.  Speeds found are lower bounds on s*(L), so a drop may be the search's failure: it is "
        "undecided, never refuted.",
        EXP, check="certify.experiments.section4:check_depths", cost=2.5,
    ),
    Claim(
        "footnote2.optimal-speed.reduction", "footnote2.optimal-speed", "The optimal speed as a finite problem",
        "Section 4, footnote 2 (our derivation)",
        "s*(2) = max_u |g . relu(X^T u)| and s*(3) = max over the symmetric convex hull K of {relu(X^T u)} of "
        "|g . relu(f)|, and the dual bound the certificate checker uses: each step reduces to 0.",
        SYM, check="certify.proofs.section4_optimal_speed:check_reduction",
    ),
    Claim(
        "footnote2.optimal-speed.branch-and-bound", "footnote2.optimal-speed",
        "The bounds behind the branch-and-bound certificates",
        "Section 4, footnote 2 (our derivation; issue 17)",
        "A depth-3 node covering the subsets S_in <= S <= S_in u U is bounded by max(0, max_u v_+ . relu(X^T u), "
        "max_u -v_- . relu(X^T u)) (open points as relu, multipliers on M, relu lifted over the atoms of f in K, "
        "mixtures), and a depth-2 cone cone(r_1..r_d) by ||q|| when omega <= R q (splits at r_a + r_b cover the "
        "parent, crossing points bounded at the generators, Cauchy-Schwarz): each step reduces to 0.",
        SYM, check="certify.proofs.section4_branch_bound:check_branch_bound",
    ),
    Claim(
        "footnote2.optimal-speed", "footnote2.optimal-speed", "Nothing on Example 1 escapes faster than 1/2",
        "Section 4, footnote 2",
        "The optimal escape speed of Example 1 at depth 3 is 1/2: an exactly checked dual certificate "
        "(data/certificates/example1-depth3.json) bounds s*(3) from above at every width, eq. (2) with W3 = [-1] "
        "attains 1/2 (width 4), and the interval contains 1/2 and is at most 1e-6 wide; moved to the exact "
        "(algebraic) data by a rigorous Lipschitz bound.",
        CERT, check="certify.optimum.claims:check_footnote2",
    ),
    Claim(
        "footnote2.optimal-speed.exact", "footnote2.optimal-speed", "The optimal speed of Example 1 is exactly 1/2",
        "Section 4, footnote 2",
        "On the exact data (points (sin, cos)(2 pi j/8) in Q(sqrt 2)), a certificate with multipliers t = sqrt(2)/4 "
        "on the patterns that reach 1/2 (data/certificates/example1-exact-depth3.json) has lower end = upper end "
        "= 1/2, every inequality decided exactly in Q(sqrt 2): s*(3) = 1/2, attained at width 4 by eq. (2) with "
        "W3 = [-1].",
        CERT, check="certify.optimum.claims:check_footnote2_exact",
    ),
    Claim(
        "section5.weak-balancedness", "section5.weak-balancedness", "Weak balancedness", "Section 5",
        "Under gradient flow diag(W_l^T W_l) - diag(W_{l-1} W_{l-1}^T) is conserved for ReLU networks (any "
        "positively homogeneous activation, any loss), so the printed equality holds for all t iff it holds at "
        "t = 0; with Z_l > 0 the full matrices W_l^T W_l - W_{l-1} W_{l-1}^T are conserved too.",
        SYM, check="certify.proofs.followup_imbalance:check_weak_balancedness", cost=2.2,
    ),
    Claim(
        "section5.weak-balancedness.instances", "section5.weak-balancedness", "Weak balancedness on instances",
        "Section 5",
        "On random ReLU, leaky-ReLU and linear networks, the time derivative of every per-neuron imbalance "
        "||W_{l+1}[:, i]||^2 - ||W_l[i, :]||^2 (and of every Frobenius imbalance) is exactly 0, computed by "
        "forward-mode differentiation in exact rationals.",
        INT, check="certify.followup.claims:check_weak_balancedness_instances",
    ),
    Claim(
        "section5.plateau.forward", "section5.plateau", "A plateau of s*(L) gives rank-one layers",
        "Section 5, conjecture (2)",
        "If s*(L) = s*(L_0) for all L >= L_0, with L_0 >= 2 where Prop. 3.2 applies, then for every L >= L_0 some "
        "optimal depth-L escape direction has all layers l >= L_0 rank one (even l >= L_0 - 1): the construction "
        "(k = L - L_0 >= 0) from a depth-L_0 optimum, scaled onto the sphere.  L_0 = 1 is not decided (see the "
        "evidence).",
        SYM, check="certify.proofs.section5_plateau:check_plateau_forward", cost=0.5,
    ),
    Claim(
        "section5.plateau.converse", "section5.plateau", "Rank-one layers after L_0 do not give a plateau",
        "Section 5, conjecture (2)",
        "As printed: if there is an optimal escape direction with only rank-one layers after the L_0-th layer, then "
        "s*(L) = s*(L_0) for all L >= L_0.  Example 1 refutes it: eq. (2) with W3 = [-1] is optimal at depth 3 "
        "(s*(3) = 1/2, certified) with W2 and W3 rank one, yet s*(2) = sqrt(2) - 1 (certified) and s*(1) = "
        "||G X^T||_F = 0.  Corrected: linear layers, not rank-one ones: if an optimal depth-L direction has no "
        "ReLU effect after layer L_0, then s*(L') = s*(L_0 + 1) for L_0 + 1 <= L' <= L.",
        CERT, check="certify.proofs.section5_plateau:check_plateau_converse", cost=0.5,
    ),
    Claim(
        "section5.plateau.example1-lower-ends", "section5.plateau", "On Example 1, s*(L) >= 1/2 at every depth L >= 3",
        "Section 5, conjecture (2); Example 1; footnote 2",
        "On Example 1's exact data, Prop. 3.2's construction from the certified depth-3 optimum (s*(3) = 1/2) gives "
        "for every k >= 0 a depth-(3 + k) network with ||theta'||^2 = 3 + k and speed exactly 1/2, so s*(L) >= 1/2 "
        "for every L >= 3 (the lower half of the plateau s*(L) = 1/2; the upper half is section5.plateau.example1-every-depth).",
        CERT, check="certify.proofs.section5_plateau:check_example1_lower_ends", cost=0.3,
    ),
    Claim(
        "section5.plateau.reduction", "section5.plateau", "The optimal speed at every depth as a nested support function",
        "Section 5, conjecture (2); footnote 2 (our derivation)",
        "For one output and every L >= 2, s*(L) <= h_{L-1}(g), h_j the support function of K_j (K_1 the symmetric "
        "convex hull of {relu(X^T u)}, K_{j+1} that of relu(K_j)); the dual step that bounds h_{j+1} by h_j on "
        "children v_{S,e}(t); the covers of a depth-free invariant (evenness, domination on hulls of nonnegative "
        "generators); and the lower end carried to every depth by inserted layers [1]: each step reduces to 0.",
        SYM, check="certify.proofs.section5_depth_reduction:check_depth_reduction", cost=1.0,
    ),
    Claim(
        "section5.plateau.example1-depth4", "section5.plateau", "On Example 1, s*(4) = 1/2 exactly",
        "Section 5, conjecture (2); Example 1; footnote 2",
        "On Example 1's exact data, a depth-4 tree certificate (data/certificates/example1-exact-depth4.json: 516 "
        "nodes, multipliers 0, 1 and sqrt(2)/4) has upper end 1/2, and eq. (2) with a layer [1] inserted attains "
        "1/2 at ||theta||^2 = 4: every inequality decided exactly in Q(sqrt 2).",
        CERT, check="certify.proofs.section5_plateau:check_example1_depth4", cost=0.6,
    ),
    Claim(
        "section5.plateau.example1-every-depth", "section5.plateau", "On Example 1, s*(L) = 1/2 at every depth L >= 3",
        "Section 5, conjecture (2); Example 1; footnote 2",
        "On Example 1's exact data the optimal escape speed plateaus from depth 3 on: s*(L) = 1/2 for every L >= 3. "
        "Upper end: a finite family of 93 vectors, closed under the dual step with multipliers 0, 1 and sqrt(2)/4 "
        "(data/certificates/example1-invariant.json), each with max_u |w . relu(X^T u)| <= 1/2, bounds the nested "
        "support function at every depth by induction.  Lower end: eq. (2) with layers [1] inserted.  Exact in "
        "Q(sqrt 2).",
        CERT, check="certify.proofs.section5_plateau:check_example1_every_depth", cost=0.3,
    ),
    Claim(
        "section5.conjecture1.gd-finds-optimum", "section5.conjecture1",
        "Wide networks' GD finds the certified optimal escape direction", "Section 5, conjecture (1); Example 1",
        "Projected gradient descent on ||theta||^2 = L (the direction dynamics of gradient flow in q-time, Section "
        "2.1, discretised: 1000 annealed steps from Gaussian starts) on Example 1, 50 independent runs per width 4, 8, "
        "16, 32 (25 with --quick).  A run finds the optimum when its final speed is >= s* - 1e-3, with s* certified "
        "exactly (1/2 at depth 3, sqrt(2) - 1 at depth 2).  Depth 3 is reproduced when >= 25 of the 50 runs at width 32 "
        "find it (13 of 25 with --quick) and a one-sided Cochran-Armitage test on (log2 width, found) rejects 'no "
        "increase' at level 0.01; refuted when <= 10 find it and the test does not reject; undecided otherwise.  Depth "
        "2 is reproduced when >= 25 of 50 runs at width 32 find sqrt(2) - 1, refuted when <= 10 do.",
        EXP, check="certify.experiments.section5:check_conjecture1", cost=2.0,
    ),
    Claim(
        "section5.conjecture3.rank-one-persists", "section5.conjecture3",
        "Rank-one layers stay rank-one until the next saddle", "Section 5, conjecture (3); Figures 1, 3, 4",
        "On the two Section 3.3 digits trainings (depths 6 and 4, seed 0), every layer whose rank-one ratio "
        "sum_{i>=2} s_i^2 / sum_i s_i^2 is <= 0.5 at the first checkpoint after the first drop keeps a ratio <= 0.5 at "
        "every record (every 10 steps) until the second drop starts, or until the end of training if there is no "
        "second drop.  One run per depth: reproduced when both pass; a failure is undecided, never refuted; a run "
        "without an escape cannot test.",
        EXP, check="certify.experiments.section5:check_conjecture3", cost=0.5, shares="section3.3-training",
    ),
    Claim(
        "section5.plateaus-depth", "section5.plateaus-depth", "More distinct plateaus at depth 6 than at depth 4",
        "Section 5 (last paragraph); Figures 1, 4",
        "On the two Section 3.3 digits trainings, the concentration S = (share of the total loss decrease made during "
        "the detected drops) / (share of the training steps the drops take) is at depth 6 at least 2 times its value "
        "at depth 4.  One run per depth: reproduced when this holds, undecided otherwise (never refuted); a run with no "
        "drop cannot test.",
        EXP, check="certify.experiments.section5:check_plateaus", cost=0.1, shares="section3.3-training",
    ),
    # --- The follow-up paper ("A Theory of Saddle Escape in Deep Nonlinear Networks", 2026; abstract only)
    Claim(
        "followup.imbalance-identity", "followup.imbalance-identity", "The norm-imbalance identity",
        "Follow-up, abstract",
        "For any differentiable activation and loss, d/dt(||W_{l+1}||_F^2 - ||W_l||_F^2) = -2 sum (W_{l+1}^T "
        "delta_{l+1}) * (sigma(Z_l) - Z_l sigma'(Z_l)) under gradient flow; per neuron the same sum over one row.",
        SYM, check="certify.proofs.followup_imbalance:check_identity", cost=1.4,
    ),
    Claim(
        "followup.imbalance-identity.instances", "followup.imbalance-identity", "The identity on instances",
        "Follow-up, abstract",
        "On random networks the closed form equals the forward-mode derivative of the imbalance and 2<W, dW/dt>: "
        "exactly for ReLU, leaky ReLU, linear and two polynomial activations, within certified 1e-20 for tanh, "
        "sigmoid, softplus, SiLU, GELU and arctan, whose rates are certified nonzero.",
        INT, check="certify.followup.claims:check_identity_instances",
    ),
    Claim(
        "followup.imbalance-identity.flow", "followup.imbalance-identity", "The identity along solved flows",
        "Follow-up, abstract",
        "Along numerically solved gradient flows the Frobenius imbalances ||W_{l+1}||_F^2 - ||W_l||_F^2 stay "
        "constant for ReLU and leaky ReLU (drift at most 1e-7 of ||theta(0)||^2; the flow is integrated one "
        "smooth piece at a time, kink crossings located to 1e-10 of a step, sliding along kinks by Filippov's "
        "rule, every trajectory checked against the plain gradient by the energy identity dC/dt = -||grad C||^2 "
        "to 1e-3 and by its activation pattern) and move for tanh and sigmoid (drift at least 1e-4), and their "
        "finite differences match the closed-form rate; five independent runs of one random network per "
        "activation (five under --quick too), reproduced when at least three pass, refuted when at least four "
        "fail outright (a run with an unresolved or unlocated kink event, or over the cap on events, cannot test) "
        "(floats: a cross-check).",
        EXP, check="certify.followup.claims:check_flow", cost=4.5,
    ),
    Claim(
        "followup.universality-classes", "followup.universality-classes", "Four universality classes",
        "Follow-up, abstract",
        "By the leading term of sigma(z) - z sigma'(z) at 0: homogeneous (identically 0: ReLU, leaky ReLU, linear), "
        "offset (sigma(0) != 0: sigmoid, softplus), quadratic (GELU, SiLU), cubic (tanh, arctan).",
        SYM, check="certify.proofs.followup_activations:check_universality_classes", cost=1.2,
    ),
    Claim(
        "followup.escape-time-law.scalar-ode", "followup.escape-time-law", "The scalar escape ODE",
        "Follow-up, abstract",
        "The permutation-symmetric submanifold is invariant; on it (width one, or positive ReLU) balance reduces "
        "the flow to u' = kappa u^(r-1) (u^2 + Delta)^((L-r)/2), whose escape time from eps is Theta(eps^-(r-2)) "
        "for r >= 3, with L only in the constants.",
        SYM, check="certify.proofs.followup_imbalance:check_scalar_ode", cost=1.3,
    ),
    Claim(
        "followup.escape-time-law", "followup.escape-time-law", "Escape time ~ eps^-(r-2), symmetric init",
        "Follow-up, abstract",
        "Gradient flow from a permutation-symmetric initialisation with r of L layers at scale eps, for (r, L) = "
        "(3, 3), (3, 5), (4, 4), (4, 6), each draw run at five eps: the exponent of tau against eps (the slope "
        "over the smaller-eps half of the grid, with a simultaneous 95% between-draw t-interval extended by the "
        "change of slope between the two halves on the side away from the larger-eps slope only, a one-sided "
        "bound on the finite-eps bias; a change above 0.05 means a pre-asymptotic grid, and that (r, L) cannot "
        "test) contains -(r-2) and excludes -(L-2), and every draw escapes before 200 eps^-(r-2) + 1000; five "
        "independent runs of three draws, reproduced when at least three pass, refuted only if at least four fail "
        "outright and the pooled slopes miss -(r-2) on both halves without a trend toward it.",
        EXP, check="certify.followup.claims:check_escape_symmetric", cost=1.0,
    ),
    Claim(
        "followup.escape-time-law.he-normal", "followup.escape-time-law", "Escape time ~ eps^-(r-2), He-normal init",
        "Follow-up, abstract",
        "The same law and protocol under He-normal initialisation with r layers rescaled by eps, for (r, L) = (3, "
        "3), (3, 5), each draw's data and weight directions shared by its five eps (draws exactly at a critical "
        "point, zero gradient, 1-2%, are set aside and counted, and a run with more than a quarter of its draws "
        "set aside cannot test; a slow draw still on its plateau at t_max fails); the distance from the symmetric "
        "submanifold is reported (the abstract: preserved, not attracting).",
        EXP, check="certify.followup.claims:check_escape_he", cost=1.0,
    ),
)
