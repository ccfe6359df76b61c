"""Prop. 3.3 and Theorem 3.1 on certified minimisers (certify/optimum/certified_minimisers.py)."""

import json
from fractions import Fraction

import numpy as np
import pytest
from flint import fmpq

import certify.core.paths
from certify.optimum import certified_minimisers as cm
from certify.gate.claim import Context
from certify.kernel.quadratic import QSqrt2
from certify.kernel.verdict import Status

CTX = Context(seed=0, data_dir=certify.core.paths.data_dir())


@pytest.fixture(scope="module")
def instances():
    items = cm._instances(str(CTX.data_dir))
    assert all(isinstance(m, cm.Minimiser) for m in items), [m.message for m in items if not isinstance(m, cm.Minimiser)]
    return {m.name: m for m in items}


@pytest.fixture(scope="module")
def prop33():
    return cm.check_prop33_certified(CTX)


@pytest.fixture(scope="module")
def thm31():
    return cm.check_thm31_certified(CTX)


def _family(name):
    row = next(r for r in cm.RANK_ONE_FAMILY if r[0] == name)
    _, us, vs, Gs, depth, width = row
    u, v, G = [cm._q(x) for x in us], [cm._q(x) for x in vs], [[cm._q(x) for x in r] for r in Gs]
    return u, v, G, depth, width


# --- the instances are certified optimal, and nothing else is ------------------------------------------


def test_every_shipped_instance_is_certified(instances):
    assert set(instances) == {"example1-depth3", "rank-one-aligned", "rank-one-near", "rank-one-two-outputs",
                              "rank-one-misaligned", "nearly-rank-one-depth2"}
    ex1 = instances["example1-depth3"]
    assert ex1.exact and ex1.s_hi == fmpq(1, 2) and cm.theta2(ex1.weights) == 3
    near = instances["rank-one-near"]
    assert near.exact and near.s_hi == 45  # ||Gv|| ||u|| = 9 * 5
    approx = instances["nearly-rank-one-depth2"]
    assert not approx.exact and 0 <= approx.delta < fmpq(1, 10**9) and approx.s_lo <= approx.speed


def test_a_scaled_or_perturbed_witness_is_not_certified_optimal():
    u, v, G, depth, width = _family("rank-one-near")
    chain = cm.rank_one_chain(u, G, v, depth, width)
    assert isinstance(cm.certify_rank_one("ok", u, v, G, chain), cm.Minimiser)
    scaled = [[[x * fmpq(9, 10) for x in row] for row in chain[0]]] + chain[1:]  # inside the ball, slower
    out = cm.certify_rank_one("scaled", u, v, G, scaled)
    assert out.status is Status.UNDECIDED and "speed" in out.message
    bumped = [[list(row) for row in chain[0]]] + chain[1:]
    bumped[0][1][0] = fmpq(1, 100)  # a second neuron: ||theta||^2 > L
    out = cm.certify_rank_one("perturbed", u, v, G, bumped)
    assert out.status is Status.UNDECIDED and "||theta||^2" in out.message
    bigger = chain[:-1] + [[[x * fmpq(11, 10) for x in row] for row in chain[-1]]]  # faster, outside the ball
    assert cm.certify_rank_one("bigger", u, v, G, bigger).status is Status.UNDECIDED
    flipped = [[[-x for x in row] for row in chain[-1]]]  # W_L of the wrong sign: negative speed
    assert cm.certify_rank_one("flipped", u, v, G, chain[:-1] + flipped).status is Status.UNDECIDED
    neg_u = [-u[0], u[1]]  # u must be >= 0 for X = u v^T to be covered by the argument
    assert cm.certify_rank_one("neg", neg_u, v, G, cm.rank_one_chain(neg_u, G, v, depth, width)).status \
        is Status.UNDECIDED


def test_a_certificate_that_does_not_close_is_not_a_minimiser(tmp_path):
    src = CTX.data_dir / "certificates" / "example1-exact-depth3.json"
    (tmp_path / "certificates").mkdir()
    doc = json.loads(src.read_text())
    doc["lower"]["value"] = "1/4"  # still a valid certificate, but of [1/4, 1/2]: the witness is not proved optimal
    (tmp_path / "certificates" / src.name).write_text(json.dumps(doc))
    out = cm.example1_instance(Context(seed=0, data_dir=tmp_path))
    assert out.status is Status.UNDECIDED and "lower end = upper end" in out.message
    doc["lower"]["value"] = "1/2"
    doc["lower"]["weights"][2] = [["-1/2"]]  # W3 halved: the checker refuses the witness
    (tmp_path / "certificates" / src.name).write_text(json.dumps(doc))
    out = cm.example1_instance(Context(seed=0, data_dir=tmp_path))
    assert out.status is Status.UNDECIDED and "every check of the certificate passed" in out.message


# --- Prop. 3.3 ------------------------------------------------------------------------------------------


def test_prop33_as_printed_fails_on_certified_minimisers(prop33):
    assert prop33.status is Status.ERRATUM
    cx = prop33.evidence["counterexamples"]
    ex1 = {f["quantity"]: f for f in cx["example1-depth3"]}
    assert ex1["ratio(W_1)"]["value"] == "1/2" and ex1["ratio(W_1)"]["bound"][1] < 0
    hyp = prop33.evidence["cases"]["example1-depth3"]["hypothesis for every decomposition"]
    assert hyp["hypothesis fails for every u, v"]
    assert (hyp["every rank-one M: ||X - M||_F^2 >="], hyp["||G||^2 eps^2 >="], hyp["s*^2"]) == ("4", "32", "1/4")
    aligned = {f["quantity"]: f for f in cx["rank-one-aligned"]}
    assert set(aligned) == {"gap(Z_4)"} and aligned["gap(Z_4)"]["value"] == "1"  # only the output layer fails
    assert "rank-one-two-outputs" not in cx  # G v < 0: the output is >= 0 and the printed form holds there
    assert "1/2 (exact)" in prop33.message and "gap(Z_3) = 1" in prop33.message


def test_prop33_corrected_is_certified_and_vacuous_on_example1(prop33):
    assert prop33.corrected.status is Status.CERTIFIED
    assert "example1-depth3: vacuous" in prop33.corrected.message
    cases = prop33.evidence["cases"]
    assert cases["example1-depth3"]["hypothesis ||G|| eps < s*"] == "false"
    approx = cases["nearly-rank-one-depth2"]
    assert approx["corrected bound"]["form"].startswith("delta-robust")
    rows = approx["corrected"]["layers"]
    x_ratio = rows["0"]["ratio(Z_0^s)"]
    assert x_ratio["status"] == "certified" and 0 < x_ratio["value"][0] <= x_ratio["value"][1] < rows["0"]["bound"][0]
    assert rows["1"]["gap(Z_1)"]["value"][0] > 0  # the ReLU cuts the small point: a non-trivial gap, below the bound
    assert "gap(Z_2)" not in rows["2"]  # the output layer is reported apart
    assert prop33.evidence["delta-robust chain"]["status"] == "proved"


def test_prop33_with_a_too_small_constant_is_refuted(instances):
    case = cm.prop33_case(instances["nearly-rank-one-depth2"], factor=fmpq(1, 1000))
    assert case["corrected"].status is Status.REFUTED
    assert case["evidence"]["corrected"]["failures"][0]["quantity"] == "ratio(Z_0^s)"
    assert cm.prop33_case(instances["nearly-rank-one-depth2"])["corrected"].status is Status.CERTIFIED
    # a bound of the wrong sign, at the printed eps = 1/100 (X = u v^T exactly): ratios 0 > bound
    assert cm.prop33_case(instances["rank-one-two-outputs"])["printed"].status is Status.CERTIFIED
    assert cm.prop33_case(instances["rank-one-two-outputs"], factor=-8)["printed"].status is Status.REFUTED


def test_robust_chain_and_planted_constants():
    assert cm.robust_chain_verdict().status is Status.PROVED
    assert cm.robust_chain_verdict(delta_coeff=1).status is Status.REFUTED
    assert cm.robust_chain_verdict(factor=4).status is Status.REFUTED
    v = cm.check_prop33_certified(CTX, delta_coeff=1)
    assert v.corrected.status is not Status.CERTIFIED  # the near-minimiser then has no proved bound


def test_rank_one_facts_reduce_to_zero():
    v = cm.rank_one_facts_verdict()
    assert v.status is Status.PROVED and v.evidence["identities_checked"] >= 9 and not v.evidence["failed"]


# --- Theorem 3.1 ----------------------------------------------------------------------------------------


def test_thm31_as_printed_fails_at_the_output_layer(thm31):
    assert thm31.status is Status.ERRATUM and thm31.corrected.status is Status.CERTIFIED
    cx = thm31.evidence["counterexamples"]
    near = {f["quantity"]: f for f in cx["rank-one-near"]}
    assert set(near) == {"gap(Z_4)"} and near["gap(Z_4)"]["value"] == "1" and 0 < near["gap(Z_4)"]["bound"][1] < 0.03
    assert "rank-one-near, gap(Z_4) = 1" in thm31.message


def test_thm31_applicability_and_vacuity(thm31):
    cases = thm31.evidence["cases"]
    ex1 = cases["example1-depth3"]
    assert 37.6 < ex1["c"][0] <= ex1["c"][1] < 37.7 and ex1["layers with l > c^2"] == []
    assert "vacuous" in ex1["corrected verdict"]
    assert cases["rank-one-misaligned"]["layers with l > c^2"] == []
    assert cases["rank-one-aligned"]["c"] == [0.0, 0.0]
    two = cases["rank-one-two-outputs"]
    assert two["layers with l > c^2"] == [1, 2, 3, 4, 5, 6] and two["vacuous layers (bound >= 1)"] == [1]
    assert two["printed verdict"].endswith("certified on 18 case(s)")  # G v < 0: holds as printed, output included
    assert "nearly-rank-one-depth2" in thm31.evidence["not used"]  # optimal only up to delta


def test_thm31_with_a_wrong_sign_is_refuted(instances):
    case = cm.thm31_case(instances["rank-one-near"], factor=-8)
    assert case["corrected"].status is Status.REFUTED
    assert cm.thm31_case(instances["rank-one-near"])["corrected"].status is Status.CERTIFIED
    assert cm.thm31_case(instances["nearly-rank-one-depth2"]) is None


# --- the exact brackets ---------------------------------------------------------------------------------


def test_ratio_brackets_on_known_matrices():
    q = lambda rows: [[fmpq(x) for x in r] for r in rows]  # noqa: E731
    r = cm.rank_one_ratio(q([[1, 2, 2], [2, 4, 4]]))
    assert r.lo == r.hi == 0
    r = cm.rank_one_ratio(q([[2, 0], [0, 1]]))
    assert r.lo == r.hi == fmpq(1, 5)
    r = cm.rank_one_ratio([[fmpq(1, 2) * x for x in row] for row in q([[1, 0], [0, 1], [-1, 0], [0, -1]])])
    assert r.lo == r.hi == fmpq(1, 2)  # eq. (2)'s W_1
    assert cm.rank_one_ratio(q([[0, 0]])) is None and cm.gap(q([[0, 0]])) is None
    assert cm.gap(q([[3, -4]])) == fmpq(16, 25)
    rng = np.random.default_rng(3)
    for _ in range(5):
        A = rng.integers(-9, 10, size=(3, 4))
        s = np.linalg.svd(A.astype(float), compute_uv=False)
        true = float((s[1:] ** 2).sum() / (s**2).sum())
        r = cm.rank_one_ratio(q(A.tolist()))
        assert float(r.lo) - 1e-12 <= true <= float(r.hi) + 1e-12 and float(r.hi - r.lo) < 1e-9


def test_exact_arithmetic_in_q_sqrt2():
    x = QSqrt2(fmpq(1), fmpq(1))  # 1 + sqrt 2
    assert x * cm._inv(x) == 1
    assert cm._det([[x, fmpq(1)], [fmpq(1), x]]) == x * x - 1
    assert cm.is_psd([[fmpq(1), fmpq(1)], [fmpq(1), fmpq(1)]])
    assert not cm.is_psd([[fmpq(1), fmpq(2)], [fmpq(2), fmpq(1)]])
    assert cm.rational_sqrt(fmpq(9, 4)) == fmpq(3, 2) and cm.rational_sqrt(fmpq(2)) is None


def test_against_refutes_only_on_the_lower_end():
    assert cm.against("q", fmpq(1, 2), fmpq(1, 2), cm.ball(fmpq(1, 4))).status is Status.REFUTED
    assert cm.against("q", fmpq(1, 8), fmpq(1, 2), cm.ball(fmpq(1, 4))).status is Status.UNDECIDED
    assert cm.against("q", fmpq(1, 8), fmpq(1, 5), cm.ball(fmpq(1, 4))).status is Status.CERTIFIED


def test_evidence_is_json(prop33, thm31):
    for v in (prop33, thm31):
        text = json.dumps(v.to_dict())
        assert "counterexamples" in text
    assert Fraction(prop33.evidence["cases"]["rank-one-near"]["s*"][0]) == 45


# --- what the corrected comparisons can detect ------------------------------------------------------------


def test_rank_one_family_is_reported_as_uninformative(prop33, thm31):
    """Exactly-0 quantities only test that the bound is >= 0: the verdicts must say so."""
    for v in (prop33, thm31):
        what = v.evidence["what the corrected comparisons test"]
        assert {"rank-one-aligned", "rank-one-near", "rank-one-two-outputs"} <= set(what["cases with every quantity exactly 0"])
        assert "every corrected comparison is 0 <= bound (it tests only that the bound is non-negative)" in \
            v.corrected.message
        for case in what["cases with every quantity exactly 0"]:  # the flag is true to the rows
            for row in v.evidence["cases"][case]["corrected"]["layers"].values():
                assert all(q["value"][1] == 0 and not q["informative"] for k, q in row.items() if k != "bound")
    assert thm31.evidence["what the corrected comparisons test"]["informative (a smaller constant refutes)"] == {}
    assert "no corrected comparison is informative" in thm31.corrected.message
    info = prop33.evidence["what the corrected comparisons test"]["informative (a smaller constant refutes)"]
    assert info == {"nearly-rank-one-depth2": ["ratio(Z_0^s) (layer 0)", "gap(Z_1) (layer 1)"]}
    assert "the informative comparisons are nearly-rank-one-depth2: ratio(Z_0^s)" in prop33.corrected.message


def test_thm31_tiny_constant_passes_only_because_nothing_is_informative():
    v = cm.check_thm31_certified(CTX, factor=fmpq(1, 10**9))
    assert v.corrected.status is Status.CERTIFIED  # the documented weakness, stated in the message
    assert "a constant 10^-9 in place of 8 passes as well" in v.corrected.message


@pytest.mark.parametrize("factor", [fmpq(1, 10**5), fmpq(1, 10**9), fmpq(0)])
def test_too_small_constant_is_refuted_at_every_informative_comparison(instances, factor):
    m = instances["nearly-rank-one-depth2"]
    case = cm.prop33_case(m, factor=factor)
    assert case["corrected"].status is Status.REFUTED
    informative = case["evidence"]["corrected"]["informative"]
    refuted = {f"{f['quantity']} (layer {f['layer']})" for f in case["evidence"]["corrected"]["failures"]}
    assert informative and set(informative) == refuted  # every informative comparison detects it, no other does
    rows = case["evidence"]["corrected"]["layers"]
    assert all(rows[f.split("(layer ")[1][:-1]][f.split(" (layer")[0]]["status"] == "refuted" for f in informative)


# --- eps must cover the residual ---------------------------------------------------------------------------


def test_eps_is_checked_against_the_residual(instances, monkeypatch):
    m = instances["nearly-rank-one-depth2"]
    eps, e2 = cm.residual_eps(m)
    assert e2 > 0 and eps * eps >= e2 and eps * eps >= cm.residual2(m)
    case = cm.prop33_case(m)
    assert case["evidence"]["eps^2 >= ||X - u v^T||_F^2 (exact)"] is True
    real = cm.residual_eps
    monkeypatch.setattr(cm, "residual_eps", lambda mm: (real(mm)[0] / 2, real(mm)[1]))  # eps too small by half
    bad = cm.prop33_case(m)
    assert bad["corrected"].status is Status.UNDECIDED and "eps^2 < ||X - u v^T||_F^2" in bad["corrected"].message
    assert bad["evidence"]["eps^2 >= ||X - u v^T||_F^2 (exact)"] is False
    cm._instances.cache_clear()
    try:
        v = cm.check_prop33_certified(CTX)
    finally:
        cm._instances.cache_clear()
    assert v.corrected.status is not Status.CERTIFIED


def test_between_the_two_informative_comparisons(instances):
    """gap(Z_1) ~ 4.5e-7 and ratio(Z_0^s) ~ 3.2e-6 against 8 g e/(s - g e) ~ 0.0155: a constant of 1/1000 catches
    only the larger one, so each informative comparison is tested on its own."""
    case = cm.prop33_case(instances["nearly-rank-one-depth2"], factor=fmpq(1, 1000))
    assert [f["quantity"] for f in case["evidence"]["corrected"]["failures"]] == ["ratio(Z_0^s)"]
    rows = case["evidence"]["corrected"]["layers"]
    assert rows["1"]["gap(Z_1)"]["status"] == "certified" and rows["1"]["gap(Z_1)"]["informative"]
