"""Issue 8: the follow-up paper's imbalance identity, universality classes and escape-time law.

Every check here can fail: each true statement is paired with a deliberately wrong variant
(a factor or a sign changed, a hypothesis dropped) that must not come out proved,
certified or reproduced.
"""

import json
import math

import numpy as np
import pytest
import sympy as sp
from flint import arb, fmpq

from certify.errors import InputError
from certify.followup import escape_time as E
from certify.followup import imbalance as I
from certify.followup.activations import ACTIVATIONS, Tie, get
from certify.kernel.verdict import Status
from certify.proofs import followup_activations as FA
from certify.proofs import followup_imbalance as FI
from certify.proofs._sym import Ledger

CERTAIN = (Status.PROVED, Status.CERTIFIED, Status.FUZZED, Status.REPRODUCED)


def _caught(result) -> bool:
    if isinstance(result, bool):
        return not result
    return result.status not in CERTAIN


# --- the identity: symbolic ------------------------------------------------------------


def test_identity_reduces_to_zero_for_generic_activation_and_loss():
    ledger = Ledger()
    assert FI.verify_identity(ledger, (1, 2, 1, 2))
    assert not ledger.failed and len(ledger.checked) >= 4


@pytest.mark.parametrize("variant", [{"factor": -4}, {"factor": 2}, {"sign": 1}])
def test_identity_with_a_changed_factor_or_sign_is_rejected(variant):
    ledger = Ledger()
    assert not FI.verify_identity(ledger, (1, 2, 1, 2), matrix=False, **variant)
    assert "fails" in ledger.failed[0]  # rejected by an exact polynomial instance


def test_weak_balancedness_on_every_relu_region_and_not_with_an_offset():
    assert FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1))
    assert FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1), slopes=(sp.Symbol("a", positive=True), 1))
    assert not FI.verify_weak_balancedness(Ledger(), (1, 2, 1, 1), offset=sp.Rational(1, 2))


def test_full_balancedness_only_when_all_units_are_active():
    ledger = Ledger()
    assert FI.verify_strong_balancedness(ledger)
    assert any("mixed pattern" in s for s in ledger.checked)


def test_homogeneous_pieces_and_the_converse():
    assert FI.homogeneous_pieces(Ledger())


# --- the identity: instances -------------------------------------------------------------


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "linear", "quadratic"])
def test_exact_identity_on_instances(act):
    net = I.random_network(np.random.default_rng(1), act)
    assert I.certify_identity(net).status is Status.PROVED


def test_exact_conservation_for_relu_and_its_failure_for_a_polynomial():
    rng = np.random.default_rng(2)
    assert I.certify_conservation(I.random_network(rng, "relu", widths=(3, 5, 4, 2))).status is Status.PROVED
    assert I.certify_conservation(I.random_network(rng, "quadratic")).status is Status.REFUTED
    assert I.certify_conservation(I.random_network(rng, "tanh")).status is Status.REFUTED


@pytest.mark.parametrize("act", ["tanh", "gelu"])
def test_ball_identity_is_certified(act):
    net = I.random_network(np.random.default_rng(3), act)
    v = I.certify_identity(net)
    assert v.status is Status.CERTIFIED
    assert I.certify_drift(net).status is Status.CERTIFIED  # the imbalance moves


@pytest.mark.parametrize("act,variant", [
    ("quadratic", {"factor": -4}), ("quadratic", {"factor": 2}), ("tanh", {"factor": -1}), ("tanh", {"sign": 1}),
    ("relu", {"sign": 1}), ("sigmoid", {"factor": -3}),
])
def test_wrong_closed_forms_are_refuted_on_instances(act, variant):
    net = I.random_network(np.random.default_rng(4), act)
    assert I.certify_identity(net, **variant).status is Status.REFUTED


def test_a_sign_change_is_invisible_for_homogeneous_activations_only_through_the_factor():
    # for ReLU, g = 0, so a wrong *factor* cannot be seen; the sign inside g can (test above)
    net = I.random_network(np.random.default_rng(5), "relu")
    assert I.certify_identity(net, factor=-4).status is Status.PROVED


def test_float_closed_form_agrees_with_the_forward_mode_derivative(rng):
    net = I.random_network(rng, "silu")
    closed = [c for c, _ in I.closed_form(net)]
    direct = [d for d, _ in I.direct_jvp(net)]
    bp = [d for d, _ in I.direct_backprop(net)]
    assert np.allclose(closed, direct, rtol=1e-10) and np.allclose(closed, bp, rtol=1e-10)


def test_ties_are_refused_for_kinked_activations():
    f, df = get("relu").exact
    assert f(fmpq(2)) == 2 and f(fmpq(-2)) == 0
    with pytest.raises(Tie):
        df(fmpq(0))


def test_flow_cross_check_flat_for_relu_and_drifting_for_tanh():
    rng = np.random.default_rng(6)
    relu = I.flow_trace(I.random_network(rng, "relu", widths=(2, 3, 2), n_points=3), 0.5, n_times=6)
    tanh = I.flow_trace(I.random_network(rng, "tanh", widths=(2, 3, 2), n_points=3, scale=2.0), 0.5, n_times=6)
    assert relu.drift < 1e-5 and relu.rate_error < 1e-4
    assert tanh.rate_error < 1e-6 and tanh.drift > 1e-5


# --- universality classes ---------------------------------------------------------------


def test_four_classes_with_their_leading_terms():
    ledger = Ledger()
    table = FA.verify_classes(ledger)
    assert not ledger.failed
    assert {row["class"] for row in table.values()} == {"homogeneous", "offset", "quadratic", "cubic"}
    assert table["tanh"]["leading"] == "2*z**3/3" and table["silu"]["leading"] == "-z**2/4"
    assert table["sigmoid"]["sigma(0)"] == "1/2"


def test_a_misclassified_activation_is_caught():
    ledger = Ledger()
    FA.verify_classes(ledger, {**FA.EXPECTED, "tanh": "quadratic"})
    assert ledger.failed == ["tanh is in class quadratic (found: cubic, leading term 2*z**3/3)"]


def test_taylor_formula_of_g():
    assert FA.verify_taylor_formula(Ledger(), degree=4)


# --- the scalar ODE ---------------------------------------------------------------------


def test_scalar_ode_sandwich_and_wrong_exponents():
    assert FI.verify_sandwich(Ledger())
    assert not FI.verify_sandwich(Ledger(), claimed=FI.r - 1)  # tau ~ eps^-(r-1): wrong
    assert not FI.verify_sandwich(Ledger(), claimed=FI.L - 2)  # the total-depth exponent: wrong for L > r
    assert not FI.verify_sandwich(Ledger(), rate_exponent=FI.r + 1)


def test_symmetric_manifold_is_invariant_and_a_broken_point_is_not():
    assert FI.verify_symmetric_manifold(Ledger())
    assert not FI.verify_symmetric_manifold(Ledger(), break_symmetry=True)


def test_width_one_reduction():
    assert FI.verify_product_reduction(Ledger(), 5, 3)


# --- escape time: simulations and fits ----------------------------------------------------


def test_symmetric_runs_follow_eps_to_the_minus_one_for_r3():
    s = E.Setup(3, 4)
    taus = [E.simulate(s, eps, 11).tau * eps for eps in (1e-3, 1e-2)]
    assert abs(taus[0] / taus[1] - 1) < 0.05  # same data, eps x 10: tau x 10 within 5%


def test_gd_matches_solve_ivp():
    cc = E.integrator_cross_check(0, ((3, 3, 1e-2),))
    assert cc["max_relative_difference"] < 0.01


def test_the_flow_stays_on_the_symmetric_manifold():
    run = E.simulate(E.Setup(3, 5), 1e-2, 3)
    assert run.escaped and run.symmetry_escape < 1e-10


def _fake(r, L, slope, noise, seed, n_eps=5, draws=3):
    rng = np.random.default_rng(seed)
    setup = E.Setup(r, L)
    runs = []
    for eps in np.geomspace(1e-3, 1e-1, n_eps):
        for _ in range(draws):
            tau = math.exp(1 + slope * math.log(eps) + noise * rng.standard_normal())
            runs.append(E.Run(float(eps), 0, tau, True, 0.5, 0, 0.0, 0.0, 0.0))
    return E.ConfigResult(setup, runs, E.fit_power_law([x.eps for x in runs], [x.tau for x in runs]))


def test_fit_recovers_a_power_law_and_the_verdict_follows():
    good = [_fake(3, 3, -1.0, 0.05, 1), _fake(3, 5, -1.0, 0.05, 2)]
    E.judge(good)
    assert E.summarize(good)[0] == "reproduced"
    bad = [_fake(3, 3, -1.0, 0.05, 1), _fake(3, 5, -3.0, 0.05, 2)]  # the total-depth law -(L-2)
    E.judge(bad)
    assert E.summarize(bad)[0] == "refuted"
    assert _fake(4, 4, -2.0, 0.0, 3).fit.slope == pytest.approx(-2.0)


def test_too_few_escapes_is_undecided():
    res = _fake(3, 3, -1.0, 0.05, 1, n_eps=2, draws=1)
    assert res.fit is None
    assert E.summarize([res])[0] == "undecided"


def test_bonferroni_level():
    assert E.simultaneous_level(1) == pytest.approx(0.95)
    assert E.simultaneous_level(4) == pytest.approx(0.9875)


def test_bad_setups_are_input_errors():
    with pytest.raises(InputError):
        E.Setup(4, 3)
    with pytest.raises(InputError):
        E.Setup(3, 3, "orthogonal")
    with pytest.raises(InputError):
        E.Setup(3, 3, activation="swish")


def test_every_classified_activation_has_float_and_ball_or_exact_versions():
    for name, act in ACTIVATIONS.items():
        assert act.exact is not None or act.ball is not None, name
        z = np.linspace(-2, 2, 9)
        if act.sym is not None:  # the float derivative agrees with the symbolic one
            zz = sp.Symbol("z")
            d = sp.lambdify(zz, sp.diff(act.sym(zz), zz), ["scipy", "numpy"])
            assert np.allclose(act.df(z), d(z) * np.ones_like(z), atol=1e-12), name
        if act.ball is not None:  # the balls contain the float values (up to float rounding)
            f, df = act.ball
            for x in (-1.25, 0.5, 2.0):
                assert abs(float(f(arb(x)).mid()) - float(act.f(np.array(x)))) < 1e-12, name
                assert abs(float(df(arb(x)).mid()) - float(act.df(np.array(x)))) < 1e-12, name


# --- the command line ------------------------------------------------------------------


def test_escape_time_command_writes_figures_and_json(tmp_path, monkeypatch, capsys):
    from certify.cli import main

    tiny = E.Budget(3, 1, ((3, 3), (3, 4)))
    monkeypatch.setitem(E.BUDGETS, "default", tiny)
    monkeypatch.setitem(E.HE_BUDGETS, "default", E.Budget(3, 1, ((3, 3),), gd_step=1e-2))
    code = main(["escape-time", "--out", str(tmp_path), "--json", str(tmp_path / "fits.json")])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "fits.json").read_text())
    assert code in (0, 1) and "symmetric" in out and "wrote" in out
    assert {c["variant"] for c in report["configurations"]} == {"symmetric", "he"}
    for name in ("followup-escape-time.png", "followup-imbalance.png"):
        assert 0 < (tmp_path / name).stat().st_size < 200_000


def test_escape_time_command_bad_json_path(tmp_path, capsys):
    from certify.cli import main

    code = main(["escape-time", "--out", str(tmp_path), "--json", str(tmp_path / "missing" / "f.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err
