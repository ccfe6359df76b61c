"""The norm-imbalance identity on concrete networks (follow-up paper, abstract; main paper, Section 5).

Network (no biases, any activation sigma, any differentiable cost C):

    Z_l = W_l A_{l-1},  A_l = sigma(Z_l) (l < L),  A_0 = X,  Y = Z_L = W_L A_{L-1}.

With delta_l = dC/dZ_l and B_l = W_{l+1}^T delta_{l+1} (so delta_l = B_l * sigma'(Z_l)),
gradient flow dW_l/dt = -delta_l A_{l-1}^T gives, for l = 1..L-1,

    d/dt (||W_{l+1}||_F^2 - ||W_l||_F^2) = -2 sum_{i,n} (B_l)_{in} g((Z_l)_{in}),
    d/dt (||W_{l+1}[:, i]||^2 - ||W_l[i, :]||^2) = -2 sum_n (B_l)_{in} g((Z_l)_{in})   (neuron i),

with g(z) = sigma(z) - z sigma'(z).  For positively homogeneous sigma, g = 0 off the
kink, so both imbalances are conserved (the per-neuron one is the "weak
balancedness" of the main paper's Section 5).  ``proofs/followup_imbalance.py``
proves this symbolically; here it is checked on instances, with the two sides
computed independently:

* *closed form*: the right-hand side above, from backpropagation;
* *direct*: the time derivative of Phi(theta) (an imbalance) along the flow is
  <grad Phi, -grad L> = -DL(theta)[grad Phi], a directional derivative of the loss
  computed by forward-mode differentiation (a JVP), which shares nothing with
  backpropagation; and, as the brief asks, 2<W, dW/dt> with dW/dt from
  backpropagation.

Over exact rationals (ReLU, leaky ReLU, linear, and the polynomials z + z^2/4,
z - z^3/3) the sides are compared exactly; over balls (tanh, sigmoid, ...) their
difference is certified below a tolerance fixed in advance.  Only the kernel's
comparisons turn these into verdicts.  :func:`flow_trace` is the float
cross-check along a solved flow (an experiment, never a certificate); for ReLU and
leaky ReLU it integrates one smooth piece at a time (:func:`_kink_aware_rk4`), locating
every kink crossing and following the flow along a kink where it slides (Filippov).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from flint import arb, fmpq

from certify.followup.activations import Activation, Tie, get
from certify.kernel.arith import BALL, EXACT, working_precision
from certify.kernel.verdict import Status, Verdict, combine, from_comparison, from_exact_identity, show

#: ball precision of the certificates (bits) and the agreement they certify
BALL_PRECISION = 128
BALL_TOLERANCE = fmpq(1, 10**20)  # |direct - closed| <= tol * (1 + |closed|)

KINDS = ("float", "exact", "ball")


@dataclass(frozen=True)
class Network:
    """Weights, data and the MSE target of one instance: C(Y) = ||Y - Y*||_F^2 / (2N)."""

    weights: tuple[np.ndarray, ...]
    X: np.ndarray
    target: np.ndarray
    activation: str

    @property
    def depth(self) -> int:
        return len(self.weights)


@dataclass
class Pass:
    """One forward and backward pass in some number kind."""

    W: list[np.ndarray]
    Z: list[np.ndarray]  # Z_1..Z_L
    A: list[np.ndarray]  # A_0..A_{L-1}
    delta: list[np.ndarray]  # delta_1..delta_L
    B: list[np.ndarray]  # B_1..B_{L-1} (B_l = W_{l+1}^T delta_{l+1})
    grads: list[np.ndarray]  # dC/dW_1..dC/dW_L
    dcost: np.ndarray  # dC/dY
    extra: dict[str, Any] = field(default_factory=dict)


def _map(f: Any, Z: np.ndarray) -> np.ndarray:
    out = np.empty(Z.shape, dtype=object)
    for idx, v in np.ndenumerate(Z):
        out[idx] = f(v)
    return out


def _convert(a: np.ndarray, kind: str) -> np.ndarray:
    if kind == "float":
        return np.asarray(a, dtype=np.float64)
    return (EXACT if kind == "exact" else BALL).array(a)


def _funcs(act: Activation, kind: str) -> tuple[Any, Any]:
    if kind == "float":
        return act.f, act.df
    pair = act.exact if kind == "exact" else act.ball
    if pair is None:
        raise ValueError(f"activation {act.name} has no {kind} version")
    f, df = pair
    return (lambda Z: _map(f, Z)), (lambda Z: _map(df, Z))


def _sum(M: np.ndarray) -> Any:
    return M.sum() if M.size else 0


def forward_backward(net: Network, kind: str = "float") -> Pass:
    """Forward pass, cost gradient and backpropagation in ``kind`` ('float', 'exact', 'ball')."""
    f, df = _funcs(get(net.activation), kind)
    W = [_convert(w, kind) for w in net.weights]
    X, T = _convert(net.X, kind), _convert(net.target, kind)
    N = net.X.shape[1]
    A, Z = [X], []
    for l, Wl in enumerate(W, start=1):
        Z.append(Wl @ A[-1])
        if l < len(W):
            A.append(f(Z[-1]))
    dcost = (Z[-1] - T) / N
    delta: list[np.ndarray] = [None] * len(W)  # type: ignore[list-item]
    B: list[np.ndarray] = [None] * (len(W) - 1)  # type: ignore[list-item]
    delta[-1] = dcost
    for l in range(len(W) - 1, 0, -1):  # l = L-1 .. 1 (1-based); index l-1
        B[l - 1] = W[l].T @ delta[l]
        delta[l - 1] = B[l - 1] * df(Z[l - 1])
    grads = [delta[l] @ A[l].T for l in range(len(W))]
    return Pass(W, Z, A, delta, B, grads, dcost)


def cost(net: Network, kind: str = "float") -> Any:
    p = forward_backward(net, kind)
    R = p.Z[-1] - _convert(net.target, kind)
    return _sum(R * R) / (2 * net.X.shape[1])


def closed_form(net: Network, kind: str = "float", *, factor: Any = -2, sign: int = -1,
                p: Pass | None = None) -> list[tuple[Any, list[Any]]]:
    """Per layer pair l = 1..L-1: (Frobenius rate, per-neuron rates) from the closed form.

    ``factor * sum B_l * (sigma(Z_l) + sign * Z_l sigma'(Z_l))``; the identity has
    factor -2 and sign -1 (other values are the deliberately wrong variants).
    """
    f, df = _funcs(get(net.activation), kind)
    p = p or forward_backward(net, kind)
    out = []
    for l in range(net.depth - 1):
        Zl = p.Z[l]
        term = p.B[l] * (f(Zl) + sign * (Zl * df(Zl)))
        rows = [factor * _sum(term[i]) for i in range(term.shape[0])]
        out.append((factor * _sum(term), rows))
    return out


def direct_backprop(net: Network, kind: str = "float", p: Pass | None = None) -> list[tuple[Any, list[Any]]]:
    """d/dt ||W||^2 = 2 <W, dW/dt> with dW/dt = -dC/dW from backpropagation, per pair and per neuron."""
    p = p or forward_backward(net, kind)
    out = []
    for l in range(net.depth - 1):
        lower = -2 * (p.W[l] * p.grads[l])  # d/dt of W_l's squared entries
        upper = -2 * (p.W[l + 1] * p.grads[l + 1])
        rows = [_sum(upper[:, i]) - _sum(lower[i, :]) for i in range(p.W[l].shape[0])]
        out.append((_sum(upper) - _sum(lower), rows))
    return out


def _jvp_output(net: Network, kind: str, p: Pass, V: dict[int, np.ndarray]) -> np.ndarray:
    """dY in direction V (V[k] the tangent of W_{k+1}), by forward-mode differentiation."""
    _, df = _funcs(get(net.activation), kind)
    dA = None
    dZ = None
    for k, Wk in enumerate(p.W):
        dZ = (V[k] @ p.A[k]) if k in V else None
        if dA is not None:
            dZ = (Wk @ dA) if dZ is None else dZ + Wk @ dA
        if k < len(p.W) - 1:
            dA = None if dZ is None else df(p.Z[k]) * dZ
    assert dZ is not None
    return dZ


def direct_jvp(net: Network, kind: str = "float", p: Pass | None = None) -> list[tuple[Any, list[Any]]]:
    """d/dt Phi = -DL(theta)[grad Phi] for each imbalance Phi, by forward mode (independent of backprop)."""
    p = p or forward_backward(net, kind)
    out = []
    for l in range(net.depth - 1):
        Wl, Wu = p.W[l], p.W[l + 1]
        # Phi = ||W_{l+1}||^2 - ||W_l||^2: grad Phi = (-2 W_l, 2 W_{l+1})
        total = -_sum(p.dcost * _jvp_output(net, kind, p, {l: -2 * Wl, l + 1: 2 * Wu}))
        rows = []
        for i in range(Wl.shape[0]):
            Vl = Wl * 0
            Vl[i, :] = -2 * Wl[i, :]
            Vu = Wu * 0
            Vu[:, i] = 2 * Wu[:, i]
            rows.append(-_sum(p.dcost * _jvp_output(net, kind, p, {l: Vl, l + 1: Vu})))
        out.append((total, rows))
    return out


def imbalances(weights: Sequence[np.ndarray]) -> np.ndarray:
    """||W_{l+1}||_F^2 - ||W_l||_F^2 for l = 1..L-1 (floats)."""
    sq = [float(np.sum(np.asarray(W) ** 2)) for W in weights]
    return np.array([sq[l + 1] - sq[l] for l in range(len(sq) - 1)])


# --- instances -----------------------------------------------------------------------


def random_network(rng: np.random.Generator, activation: str, widths: Sequence[int] = (3, 4, 3, 2),
                   n_points: int = 4, denominator: int = 16, scale: float = 1.5) -> Network:
    """A random network with dyadic entries (multiples of 1/denominator), so exact arithmetic stays small.

    For kinked activations the draw is repeated until no preactivation is exactly 0.
    """
    for _ in range(100):
        Ws = tuple(np.round(rng.standard_normal((widths[l + 1], widths[l])) * scale / np.sqrt(widths[l])
                            * denominator) / denominator for l in range(len(widths) - 1))
        X = np.round(rng.standard_normal((widths[0], n_points)) * denominator) / denominator
        T = np.round(rng.standard_normal((widths[-1], n_points)) * denominator) / denominator
        net = Network(Ws, X, T, activation)
        if not get(activation).homogeneous or get(activation).name == "linear":
            return net
        try:
            forward_backward(net, "exact" if get(activation).exact else "ball")
            return net
        except Tie:
            continue
    raise RuntimeError("could not draw a network without ties")  # pragma: no cover


def _abs(x: Any) -> Any:
    return abs(x)


def certify_identity(net: Network, *, factor: Any = -2, sign: int = -1) -> Verdict:
    """The identity (Frobenius and per neuron, every layer pair) on one instance.

    Exact kinds: the closed form equals both direct derivatives exactly (``proved``).
    Balls: |closed - direct| <= tol (1 + |closed|) is certified (``certified``).
    ``factor``/``sign`` select a deliberately wrong closed form for the soundness tests.
    """
    act = get(net.activation)
    kind = "exact" if act.exact is not None else "ball"
    parts: dict[str, Verdict] = {}
    with working_precision(BALL_PRECISION):
        p = forward_backward(net, kind)
        closed = closed_form(net, kind, factor=factor, sign=sign, p=p)
        for name, direct in (("jvp", direct_jvp(net, kind, p)), ("backprop", direct_backprop(net, kind, p))):
            for l, ((c, crows), (d, drows)) in enumerate(zip(closed, direct), start=1):
                pairs = [(f"pair {l}-{l + 1} Frobenius vs {name}", c, d)]
                pairs += [(f"pair {l}-{l + 1} neuron {i} vs {name}", ci, di) for i, (ci, di) in enumerate(zip(crows, drows))]
                for what, ci, di in pairs:
                    if kind == "exact":
                        parts[what] = from_exact_identity(di, ci, what)
                    else:
                        tol = arb(BALL_TOLERANCE) * (1 + _abs(ci))
                        parts[what] = from_comparison(_abs(di - ci), tol, what)
        rates = {f"pair {l}-{l + 1}": show(c if kind == "exact" else c.str(10), 40) for l, (c, _) in enumerate(closed, start=1)}
    v = combine(parts, f"imbalance identity ({act.name}, {kind})")
    v.evidence = {"activation": act.name, "arithmetic": kind, "closed_form_rates": rates,
                  "comparisons": len(parts),
                  "failed": [k for k, x in parts.items() if not x.status.holds][:5]}
    return v


def certify_conservation(net: Network, *, per_neuron: bool = True) -> Verdict:
    """d/dt of every imbalance (per pair, and per neuron if asked) is exactly 0, by the JVP (exact kinds).

    For activations that are not homogeneous this is expected to fail: it is the
    check that separates conserved from drifting imbalances.
    """
    act = get(net.activation)
    if act.exact is None:  # balls cannot prove a value is 0; they can only show it is not
        with working_precision(BALL_PRECISION):
            direct = direct_jvp(net, "ball")
        nonzero = [f"pair {l}" for l, (d, _) in enumerate(direct, start=1) if not d.contains(0)]
        status = Status.REFUTED if nonzero else Status.UNDECIDED
        return Verdict(status, f"{act.name}: rates certified nonzero on {nonzero}" if nonzero else
                       f"{act.name}: balls cannot certify a rate of exactly 0", None,
                       {"rates": [d.str(10) for d, _ in direct]})
    direct = direct_jvp(net, "exact")
    parts: dict[str, Verdict] = {}
    for l, (d, rows) in enumerate(direct, start=1):
        parts[f"pair {l}-{l + 1}"] = from_exact_identity(d, fmpq(0), f"d/dt imbalance {l}-{l + 1}")
        if per_neuron:
            for i, di in enumerate(rows):
                parts[f"pair {l}-{l + 1} neuron {i}"] = from_exact_identity(di, fmpq(0), f"neuron {i} of layer {l}")
    v = combine(parts, f"conservation ({act.name})")
    v.evidence = {"activation": act.name, "rates": [show(d, 40) for d, _ in direct], "comparisons": len(parts),
                  "failed": [k for k, x in parts.items() if not x.status.holds][:5]}
    return v


def certify_drift(net: Network, threshold: fmpq = fmpq(1, 10**6)) -> Verdict:
    """For a non-homogeneous activation: some pair's rate is certified to be at least ``threshold`` in size."""
    act = get(net.activation)
    kind = "exact" if act.exact is not None else "ball"
    with working_precision(BALL_PRECISION):
        direct = direct_jvp(net, kind)
        best = max(range(len(direct)), key=lambda l: float(abs(direct[l][0]) if kind == "exact" else abs(direct[l][0]).mid()))
        rate = abs(direct[best][0])
        thr = threshold if kind == "exact" else arb(threshold)
        v = from_comparison(thr, rate, f"|d/dt imbalance {best + 1}-{best + 2}| >= {threshold} ({act.name})")
    return v


# --- the float cross-check along a solved flow (an experiment) ---------------------


def _flat(ws: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(w, dtype=float).ravel() for w in ws])


def _unflat(theta: np.ndarray, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    out, k = [], 0
    for r, c in shapes:
        out.append(theta[k:k + r * c].reshape(r, c))
        k += r * c
    return out


#: kink-aware RK4 (ReLU, leaky ReLU): a step whose end point lies in another piece (a preactivation past
#: its kink) is cut back until it runs past the kink by at most KINK_RESOLUTION of a (maximal) step
KINK_RESOLUTION = 1e-10
#: kink-aware RK4: no step moves theta by more than this fraction of its norm
KINK_REL_STEP = 0.015
#: kink-aware RK4: no step lets the field change by more than about this fraction of itself
KINK_FIELD_CHANGE = 0.03
#: at most this many events (kink crossings, slides starting or ending) per trace; more means the
#: integrator cannot go on honestly (events piling up, a piece it cannot decide): the trace then says so
#: (``cap_hit``), stops, and shows nothing.  Sliding along a kink is integrated (Filippov), not capped.
MAX_KINK_EVENTS = 400


@dataclass
class FlowTrace:
    t: np.ndarray
    imbalance: np.ndarray  # (len(t), L-1)
    closed: np.ndarray  # closed-form rates at t
    finite_difference: np.ndarray  # central differences of the solution at t
    loss: np.ndarray
    theta0_sq: float  # ||theta(0)||^2, the scale of the imbalances
    integrator: str = ""
    #: kink-aware RK4 only: accepted steps, events located (kink crossings, slides starting or ending), and
    #: whether the cap on events was hit (then the trace stops early and shows neither conservation nor drift)
    steps: int = 0
    kink_events: int = 0
    cap_hit: bool = False
    max_sliding: int = 0  # most preactivations sliding along their kinks at once
    #: max over every accepted step (not only the samples) of |imbalance - imbalance(0)|, kink-aware RK4 only
    step_drift: float = 0.0
    imbalance0: np.ndarray | None = None  # the imbalances at t = 0 (the samples start at t > 0)
    #: kink-aware RK4 only: events whose next piece Filippov's rule could not decide (the signs were taken),
    #: and events whose bracket was accepted after the iteration limit wider than the resolution
    unresolved_events: int = 0
    unlocated_events: int = 0
    #: kink-aware RK4 only, the independent check of the integrated field: the energy identity
    #: dC/dt = -||grad C||^2 over every accepted step not sliding along a kink, sum_k |C(x_{k+1}) - C(x_k)
    #: + h_k ||grad C(mid_k)||^2| / sum_k h_k ||grad C(mid_k)||^2 with the plain gradient (escape_time.Flow)
    #: at the midpoint of the step's chord; nan when no step was checked
    energy_error: float = float("nan")
    energy_steps: int = 0  # steps checked (those sliding along a kink are not: the plain gradient is one-sided there)
    #: preactivations, summed over accepted steps, whose sign at the step's midpoint (plain forward pass)
    #: differs from the mode the step was integrated in; not counted: the steps of resolution * step taken
    #: when the state already lies past a kink by more than the band (``restarts_past_kink``), whose only
    #: purpose is to decide the next piece
    sign_mismatches: int = 0
    restarts_past_kink: int = 0

    @property
    def drift(self) -> float:
        """max_t |imbalance(t) - imbalance(0)| / ||theta(0)||^2 (every pair; every accepted step where recorded)."""
        ref = self.imbalance[0] if self.imbalance0 is None else self.imbalance0
        sampled = float(np.max(np.abs(self.imbalance - ref))) if len(self.imbalance) else 0.0
        return max(sampled, self.step_drift) / self.theta0_sq

    @property
    def rate_error(self) -> float:
        """max_t |finite difference - closed form| / max(max_t |closed form|, ||theta(0)||^2) (nan: no sample)."""
        if not len(self.closed):
            return float("nan")
        scale = max(float(np.max(np.abs(self.closed))), self.theta0_sq)
        return float(np.max(np.abs(self.finite_difference - self.closed))) / scale


def _rhs(net: Network, shapes: Sequence[tuple[int, int]]) -> Any:
    from certify.followup.escape_time import Flow  # the same squared loss, written for speed

    flow = Flow(shapes, np.asarray(net.X, float), np.asarray(net.target, float), net.activation)
    return lambda _t, theta: -flow.gradient(theta)


Entry = tuple[int, int, int]  # (hidden layer, unit, data point) of one preactivation

#: a preactivation within KINK_BAND * max |Z| of its layer on the wrong side of its kink still counts as
#: being on its side: rounding (and the overshoot of a located event, about 1e-12 of that) stays inside
KINK_BAND = 1e-9
#: the sign check of the accepted steps (:func:`_step_checks`) ignores preactivations within this fraction of
#: their layer's largest |z| of the kink: 100 times the band, since a preactivation that leaves a kink it
#: slid along starts there with up to a few bands of z on the other side (measured: 3e-9 against a band of 2e-9)
SIGN_TOLERANCE = 1e-7


@dataclass(frozen=True)
class _Mode:
    """The smooth piece the flow is in: the side of every preactivation's kink, and the ones sliding along it."""

    active: tuple[np.ndarray, ...]  # Z_l > 0, per hidden layer (entries in ``sliding`` are ignored)
    sliding: tuple[Entry, ...] = ()

    def free(self) -> tuple[np.ndarray, ...]:
        masks = tuple(np.ones(a.shape, bool) for a in self.active)
        for l, i, n in self.sliding:
            masks[l][i, n] = False
        return masks


@dataclass
class _Eval:
    field: np.ndarray  # -grad C in this mode
    Z: list[np.ndarray]  # preactivations
    slopes: np.ndarray  # the sliding preactivations' slopes (equivalent control)
    ok: bool  # the slopes were found and lie between the activation's two slopes
    watched: np.ndarray  # d z / dt of the preactivations asked for


_NONE = np.zeros(0)


class _PieceField:
    """The gradient field of a ReLU or leaky-ReLU network on one smooth piece (a :class:`_Mode`).

    With the slope of every preactivation fixed (sigma(z) = s z, s the slope on its side of the kink)
    the network is, point by point, a product of matrices and diagonal matrices, so the field is a
    polynomial in theta and every imbalance is an exact first integral of it: rescaling a neuron's
    incoming weights by lambda and its outgoing ones by 1/lambda changes no output.  That stays true
    for any slopes, in particular for the slope in [s_-, s_+] that keeps a sliding preactivation on its
    kink (Filippov's equivalent control: dz/dt = 0), found here by Newton's method: dz/dt is affine in
    the slopes of one layer (up to terms of the size of z itself, 0 up to rounding on the kink), so one
    Newton step solves it unless sliding preactivations lie in several layers.  The slope actually
    solved for gives dz/dt = -z / relax (``relax`` = one step): the flow stays on the kink although
    rounding moves z off it by about 1e-16 per step; any slope keeps the imbalances exact first
    integrals, so this costs nothing in conservation.
    """

    NEWTON = 8

    def __init__(self, net: Network, shapes: Sequence[tuple[int, int]], relax: float = 1.0):
        act = get(net.activation)
        self.pos, self.neg = (float(v) for v in act.df(np.array([1.0, -1.0])))
        self.shapes = list(shapes)
        self.X = np.asarray(net.X, float)
        self.T = np.asarray(net.target, float)
        self.N = self.X.shape[1]
        self.evaluations = 0
        self.relax = relax
        self._slopes_key: int | None = None
        self._slopes_mode: _Mode | None = None
        self._slopes: list[np.ndarray] = []
        self._warm: dict[tuple[Entry, ...], np.ndarray] = {}

    def mode_at(self, theta: np.ndarray) -> _Mode:
        """The piece theta lies in, nothing sliding (a zero preactivation counts as inactive)."""
        A, active = self.X, []
        for W in _unflat(theta, self.shapes)[:-1]:
            Z = W @ A
            active.append(Z > 0)
            A = np.where(active[-1], self.pos, self.neg) * Z
        return _Mode(tuple(active))

    def slopes_of(self, mode: _Mode) -> list[np.ndarray]:
        """The slope of every preactivation in this mode (a fresh copy; sliding ones are set by the caller)."""
        key = id(mode)
        if self._slopes_key != key:
            self._slopes_key, self._slopes_mode = key, mode  # keep the mode alive while its id is the key
            self._slopes = [np.where(a, self.pos, self.neg) for a in mode.active]
        return [d.copy() for d in self._slopes] if mode.sliding else self._slopes

    def _pass(self, Ws: list[np.ndarray], D: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        self.evaluations += 1
        As, Zs = [self.X], []
        for W, Dl in zip(Ws[:-1], D):
            Zs.append(W @ As[-1])
            As.append(Dl * Zs[-1])
        delta = (Ws[-1] @ As[-1] - self.T) / self.N
        neg_grads: list[np.ndarray] = [None] * len(Ws)  # type: ignore[list-item]
        for l in range(len(Ws) - 1, -1, -1):
            neg_grads[l] = -(delta @ As[l].T)
            if l > 0:
                delta = (Ws[l].T @ delta) * D[l - 1]
        return neg_grads, As, Zs

    def _velocity(self, Ws: list[np.ndarray], As: list[np.ndarray], D: list[np.ndarray], dWs: list[np.ndarray],
                  entries: Sequence[Entry]) -> np.ndarray:
        """dz/dt of the given preactivations along dW (forward mode, the data fixed)."""
        dA = np.zeros_like(self.X)
        dZs = []
        for l, W in enumerate(Ws[:-1]):
            dZs.append(dWs[l] @ As[l] + W @ dA)
            dA = D[l] * dZs[-1]
        return np.array([dZs[l][i, n] for l, i, n in entries])

    def __call__(self, theta: np.ndarray, mode: _Mode, watch: Sequence[Entry] = ()) -> _Eval:
        Ws = _unflat(theta, self.shapes)
        D = self.slopes_of(mode)
        S = mode.sliding
        if not S:  # the common case: a plain piece
            dWs, As, Zs = self._pass(Ws, D)
            watched = self._velocity(Ws, As, D, dWs, watch) if watch else _NONE
            return _Eval(np.concatenate([g.ravel() for g in dWs]), Zs, _NONE, True, watched)
        s = self._warm.get(S, np.full(len(S), (self.pos + self.neg) / 2))  # the last solution: slopes move slowly
        solved = True
        one_layer = len({l for l, _, _ in S}) == 1
        bump = 1.0 if one_layer else 1e-6
        for _ in range(self.NEWTON if S else 0):
            for (l, i, n), v in zip(S, s):
                D[l][i, n] = v
            g0, A0, Z0 = self._pass(Ws, D)
            # dz/dt = -z / relax rather than 0: rounding does not let z wander off its kink
            vel = self._velocity(Ws, A0, D, g0, S) + np.array([Z0[l][i, n] for l, i, n in S]) / self.relax
            J = np.empty((len(S), len(S)))
            columns = []
            for j, (l, i, n) in enumerate(S):  # a difference per column: exact if affine, else a small one
                Dj = [d.copy() for d in D]
                Dj[l][i, n] += bump
                gj, Aj, Zj = self._pass(Ws, Dj)
                columns.append(gj)
                J[:, j] = (self._velocity(Ws, Aj, Dj, gj, S) + np.array([Zj[a][b, c] for a, b, c in S]) / self.relax
                           - vel) / bump
            try:
                ds = np.linalg.solve(J, -vel)
            except np.linalg.LinAlgError:
                solved = False
                break
            s = s + ds
            if one_layer or float(np.max(np.abs(ds))) <= 1e-8:
                # slopes in one layer enter dz/dt affinely (up to O(z)): one step is exact; across layers,
                # 1e-8 is enough: any slope keeps the imbalances conserved and the relaxation pulls z back
                break
        else:
            solved = not S
        for (l, i, n), v in zip(S, s):
            D[l][i, n] = v
        if S and one_layer and solved and not watch:
            # the field is affine in the slopes of one layer (up to O(z)): combine the passes already made.
            # Each of them is a frozen-slope field, so the combination keeps the imbalances' rates at 0.
            dWs = [g + sum(d * (c[k] - g) for d, c in zip(ds, columns)) for k, g in enumerate(g0)]
            Zs = Z0
        else:
            dWs, As, Zs = self._pass(Ws, D)
        ok = solved and bool(np.all(np.isfinite(s))) and bool(np.all((s >= self.neg - 1e-12) & (s <= self.pos + 1e-12)))
        if solved and np.all(np.isfinite(s)):
            self._warm[S] = s
        watched = self._velocity(Ws, As, D, dWs, watch) if watch else np.zeros(0)
        return _Eval(np.concatenate([g.ravel() for g in dWs]), Zs, s, ok, watched)

    def z_margin(self, e: _Eval, mode: _Mode, free: tuple[np.ndarray, ...]) -> float:
        """The preactivation part of :meth:`margin` (no slopes): how far inside its piece ``e.Z`` is."""
        m = math.inf
        for Z, a, f in zip(e.Z, mode.active, free):
            band = KINK_BAND * max(float(np.max(np.abs(Z))), 1e-300)
            inside = np.where(a, Z, -Z)
            m = min(m, float(np.min(inside if not mode.sliding else np.where(f, inside, math.inf))) + band)
        return m

    def margin(self, e: _Eval, mode: _Mode, free: tuple[np.ndarray, ...]) -> float:
        """How far inside its piece the evaluated state is (> 0 inside, <= 0 past an event)."""
        if not e.ok and not (len(e.slopes) and np.all(np.isfinite(e.slopes))):
            return -1.0
        m = math.inf
        for Z, a, f in zip(e.Z, mode.active, free):
            band = KINK_BAND * max(float(np.max(np.abs(Z))), 1e-300)
            inside = np.where(a, Z, -Z)
            m = min(m, float(np.min(inside if not mode.sliding else np.where(f, inside, math.inf))) + band)
        for v in e.slopes:
            m = min(m, v - self.neg + 1e-12, self.pos - v + 1e-12)
        return m


def _rk4_piece(F: _PieceField, x: np.ndarray, h: float, mode: _Mode, first: _Eval,
               free: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, _Eval, float, float]:
    """One RK4 step of the field of one piece (stages may leave the piece: the field there is the
    piece's polynomial extension); returns the end point, the evaluation there, the relative change
    of the field over the step, ||k4 - k1|| / ||k1|| (about h times the field's Lipschitz constant
    along the step, the quantity RK4's error is a fifth power of), and the smallest preactivation
    margin of the inner stages (k2, k3 near the midpoint, k4 near the end): a preactivation that dips
    past its kink and comes back within the step shows there although both ends are inside (issue 15:
    one ReLU step in about a hundred runs went to -8e-7 at its midpoint, ending within the band)."""
    k1 = first
    k2 = F(x + h / 2 * k1.field, mode)
    k3 = F(x + h / 2 * k2.field, mode)
    k4 = F(x + h * k3.field, mode)
    new = x + h / 6 * (k1.field + 2 * k2.field + 2 * k3.field + k4.field)
    size = float(np.linalg.norm(k1.field))
    change = float(np.linalg.norm(k4.field - k1.field)) / size if size > 0 else 0.0
    free = mode.free() if free is None else free
    stages = min(F.z_margin(k, mode, free) for k in (k2, k3, k4))
    return new, F(new, mode), change, stages


#: at most this many preactivations at their kinks at once are sorted out by enumeration (3^k pieces)
MAX_AT_KINK = 5


def _next_mode(F: _PieceField, x: np.ndarray, mode: _Mode, end: _Eval) -> tuple[_Mode, bool]:
    """The piece after an event at x (just past it), by Filippov's rule.

    The preactivations at their kinks (those past theirs at x, and those sliding) are each given one
    of: active, inactive (only the side z is on, up to the band), sliding.  An assignment is
    consistent when the sliding ones' slopes (equivalent control) exist and lie in [s_-, s_+] and each
    active (inactive) one has dz/dt >= 0 (<= 0) under it; the consistent assignment with the fewest
    sliding preactivations and, among those, the most sides agreeing with the sign of z at x is taken
    (for one preactivation exactly one assignment is consistent, except at a repelling kink, where the
    flow is not unique).  Returns the mode and whether one was found; if none was, the signs at x are
    taken (counted as an unresolved event in the trace's information).
    """
    free = mode.free()
    at_kink: list[Entry] = list(mode.sliding)
    for l, (Z, a, f) in enumerate(zip(end.Z, mode.active, free)):
        band = KINK_BAND * max(float(np.max(np.abs(Z))), 1e-300)
        at_kink += [(l, int(i), int(n)) for i, n in np.argwhere((np.where(a, Z, -Z) + band <= 0) & f)]
    signs = {e: bool(end.Z[e[0]][e[1], e[2]] > 0) for e in at_kink}
    bands = [KINK_BAND * max(float(np.max(np.abs(Z))), 1e-300) for Z in end.Z]
    # a side is open to a preactivation only if z is on it (up to the band); sliding always is (it pulls z to 0)
    # (one that was sliding is on its kink by construction, whatever rounding and the relaxation left in z: both
    # sides are open to it; issue 15: a sliding z at 9e-9, past the band, could not leave its kink downwards)
    sliding_before = set(mode.sliding)
    options = [[c for c in (True, False) if (l, i, n) in sliding_before
                or (end.Z[l][i, n] > -bands[l] if c else end.Z[l][i, n] < bands[l])] + [None]
               for l, i, n in at_kink]
    best: tuple[tuple[int, int], _Mode] | None = None
    if len(at_kink) <= MAX_AT_KINK:
        for choice in itertools.product(*options):
            active = [a.copy() for a in mode.active]
            sliding = []
            for e, c in zip(at_kink, choice):
                if c is None:
                    sliding.append(e)
                else:
                    active[e[0]][e[1], e[2]] = c
            sides = [(e, c) for e, c in zip(at_kink, choice) if c is not None]
            key = (len(sliding), -sum(signs[e] == c for e, c in sides))
            if best is not None and key >= best[0]:
                continue
            cand = _Mode(tuple(active), tuple(sorted(sliding)))
            ev = F(x, cand, watch=[e for e, _ in sides])
            # the sides are judged relative to the relaxed kink, as the sliding ones are (dz/dt = -z / relax):
            # v + z / relax, so a grazing preactivation (dz/dt ~ 0, z a rounding-size step past the kink) is
            # not left without a consistent side (issue 15: 1 run in 3 had such an unresolved event)
            rel = [v + end.Z[l][i, n] / F.relax for v, ((l, i, n), _) in zip(ev.watched, sides)]
            if ev.ok and all((v >= 0) if c else (v <= 0) for v, (_, c) in zip(rel, sides)):
                best = (key, cand)
    if best is None:
        active = [a.copy() for a in mode.active]
        for e, v in signs.items():
            active[e[0]][e[1], e[2]] = v
        return _Mode(tuple(active)), False
    return best[1], True


def _kink_aware_rk4(net: Network, shapes: Sequence[tuple[int, int]], theta0: np.ndarray, stops: np.ndarray,
                    step: float, resolution: float, max_events: int, rel_step: float = math.inf,
                    field_change: float = math.inf) -> tuple[dict[float, np.ndarray], dict[str, Any]]:
    """Integrate to every time in ``stops`` (sorted) with RK4 steps that never straddle a kink.

    A step is at most ``step`` long, moves theta by at most about ``rel_step`` of its norm
    (h <= rel_step ||theta|| / ||field||), and lets the field change by at most about
    ``field_change`` of itself (||k4 - k1|| / ||k1||, about h times the field's Lipschitz constant:
    the next step is scaled to it, a step that exceeds it twice over is redone shorter).  RK4's
    error per step is of the order of the fifth power of that, so these bound it where the field is
    fast or turns fast.  (The step control looks only at the field, never at the imbalances.)

    Each step integrates the field of the piece it starts in (:class:`_PieceField`: a polynomial, so
    RK4 is fourth order, and the imbalances are exact first integrals of it).  When the end point of a
    step has left the piece (a preactivation is past its kink, or a sliding one's slope left
    [s_-, s_+]), the step length is cut back by the Illinois method (regula falsi with halving, falling
    back to bisection) until the longest length ending inside and the shortest ending outside differ by
    at most ``resolution * step``; the shorter unclean one is accepted, so no accepted step runs past a
    kink by more than that much time (error O(resolution * step * |jump of the field|), about 1e-12
    here, against O(step^2) for a plain RK4 step across a kink), and the next piece is chosen by
    Filippov's rule (:func:`_next_mode`), which lets the flow slide along a kink where both sides push
    it onto it.  More than ``max_events`` events stop the run (``cap_hit``): its samples are incomplete
    and it proves nothing.  (A preactivation that crosses its kink and comes back within one step is
    not seen; the step is then not honest, but such a double crossing needs z to turn within O(step^2)
    of the kink.)
    """
    from certify.followup.escape_time import Flow  # the plain loss and gradient: shares nothing with _PieceField

    F = _PieceField(net, shapes, relax=step)
    plain = Flow(shapes, np.asarray(net.X, float), np.asarray(net.target, float), net.activation)
    x, t = theta0.copy(), 0.0
    I0 = imbalances(_unflat(theta0, shapes))
    worst, steps, events, unresolved, slid, cap = 0.0, 0, 0, 0, 0, False
    unlocated, mismatches, restarts, energy_steps, energy_residual, energy_scale = 0, 0, 0, 0, 0.0, 0.0
    loss_x = plain.loss(x)
    mode = F.mode_at(theta0)
    free = mode.free()
    here = F(x, mode)
    h_next = step
    states: dict[float, np.ndarray] = {}
    for stop in stops:
        while t < stop and not cap:
            speed = float(np.linalg.norm(here.field)) / max(float(np.linalg.norm(x)), 1e-300)
            h = min(step, stop - t, rel_step / speed if speed > 0 else step, h_next)
            new, end, change, inner = _rk4_piece(F, x, h, mode, here, free)
            if change > 2 * field_change:  # the field turned too much within the step: redo it shorter
                h *= field_change / change
                new, end, change, inner = _rk4_piece(F, x, h, mode, here, free)
            h_next = h * min(2.0, field_change / change) if change > 0 else step
            g_hi = min(F.margin(end, mode, free), inner)
            if g_hi <= 0:
                events += 1
                if events > max_events:
                    cap = True
                    break
                lo, hi, g_lo = 0.0, h, F.margin(here, mode, free)
                g_start = g_lo
                if g_lo <= 0:  # already past an event at the start: the smallest step, then decide again
                    hi = resolution * step
                    new, end, _, _ = _rk4_piece(F, x, hi, mode, here, free)
                side, it, width = 0, 0, hi - lo
                while hi - lo > resolution * step and it < 300:
                    it += 1
                    m = (lo * g_hi - hi * g_lo) / (g_hi - g_lo) if g_hi != g_lo else (lo + hi) / 2
                    if it % 3 == 0:  # every third try: bisect unless the bracket halved meanwhile
                        if hi - lo > width / 2:
                            m = (lo + hi) / 2
                        width = hi - lo
                    if not lo < m < hi:
                        m = (lo + hi) / 2
                    cand, cend, _, inner = _rk4_piece(F, x, m, mode, here, free)
                    g = min(F.margin(cend, mode, free), inner)
                    if g > 0:
                        if side == 1:
                            g_hi /= 2
                        lo, g_lo, side = m, g, 1
                    else:
                        if side == -1:
                            g_lo /= 2
                        hi, g_hi, new, end, side = m, g, cand, cend, -1
                unlocated += hi - lo > resolution * step  # the iteration limit, not the resolution, ended it
                h = hi
                # the independent checks of the step just taken (in the mode it was integrated in)
                loss_x, de, sc, bad = _step_checks(F, plain, x, new, h, mode, free, loss_x)
                energy_residual, energy_scale = energy_residual + de, energy_scale + sc
                if g_start <= 0:  # the state was already past a kink: a step of resolution * step to decide again
                    restarts += 1
                else:
                    mismatches += bad
                energy_steps += 1
                mode, found = _next_mode(F, new, mode, end)
                unresolved += not found
                slid = max(slid, len(mode.sliding))
                free = mode.free()
                end = F(new, mode)
            else:
                loss_x, de, sc, bad = _step_checks(F, plain, x, new, h, mode, free, loss_x)
                energy_residual, energy_scale, mismatches = energy_residual + de, energy_scale + sc, mismatches + bad
                energy_steps += 1
            x, here = new, end
            t = stop if h == stop - t else t + h
            steps += 1
            worst = max(worst, float(np.max(np.abs(imbalances(_unflat(x, shapes)) - I0))))
        if cap:
            break
        states[float(stop)] = x.copy()
    info = {"steps": steps, "kink_events": events, "cap_hit": cap, "step_drift": worst, "evaluations": F.evaluations,
            "unresolved_events": unresolved, "unlocated_events": unlocated, "max_sliding": slid,
            # no motion at all (a dead network: zero field and constant loss) satisfies the identity exactly
            "energy_error": (energy_residual / energy_scale if energy_scale > 0
                             else 0.0 if energy_residual == 0 and steps else float("nan")),
            "energy_steps": energy_steps, "sign_mismatches": mismatches, "restarts_past_kink": restarts}
    return states, info


def _step_checks(F: _PieceField, plain: Any, x: np.ndarray, new: np.ndarray, h: float, mode: _Mode,
                 free: tuple[np.ndarray, ...], loss_x: float) -> tuple[float, float, float, int]:
    """Checks of one accepted step x -> new (length h, integrated in ``mode``) that do not use the piece field.

    Returns (loss at new, |energy residual|, energy scale, sign mismatches).  The energy identity
    dC/dt = -||grad C||^2: C(new) - C(x) against -h ||grad C(mid)||^2, grad C the plain gradient at the
    midpoint of the chord (midpoint rule, error O(h^3) per step); not for steps sliding along a kink (there
    the plain gradient is one side's, and the flow is their convex combination), which give (.., 0, 0, ..).
    The sign pattern of the midpoint's preactivations (a plain forward pass) must be the mode's on every
    entry not sliding, except entries within SIGN_TOLERANCE of the layer's largest |z| of the kink."""
    loss_new = plain.loss(new)
    mid = (x + new) / 2
    bad = 0
    A = F.X
    for W, a, f in zip(_unflat(mid, F.shapes)[:-1], mode.active, free):
        Z = W @ A
        tol = SIGN_TOLERANCE * max(float(np.max(np.abs(Z))), 1e-300)
        bad += int(np.sum(f & (np.abs(Z) > tol) & ((Z > 0) != a)))
        A = np.where(Z > 0, F.pos, F.neg) * Z
    if mode.sliding:
        # Filippov sliding: v = the convex combination of the two sides' gradient fields tangent to the kink,
        # so <grad_+ C, v> = <grad_- C, v> and dC/dt = -||v||^2; v from the piece field (its scale is what
        # is checked: C must fall at the rate of the field's squared norm)
        v = F(mid, mode).field
        sc = h * float(v @ v)
    else:
        g = plain.gradient(mid)
        sc = h * float(g @ g)
    return loss_new, abs(loss_new - loss_x + sc), sc, bad


def flow_trace(net: Network, t_end: float, n_times: int = 41, *, rtol: float = 1e-11, atol: float = 1e-13,
               h: float = 1e-4, rk4_step: float = 4e-3, kink_aware: bool = True,
               resolution: float = KINK_RESOLUTION, max_kink_events: int = MAX_KINK_EVENTS,
               rel_step: float = KINK_REL_STEP, field_change: float = KINK_FIELD_CHANGE) -> FlowTrace:
    """Solve the gradient flow, sample the imbalances and both rates at n_times points (floats).

    Smooth activations: DOP853 with error control, dense output, central differences with
    half-width ``h``.  Kinked activations (ReLU, leaky ReLU): the vector field jumps where a
    preactivation changes sign and error control stalls where the flow runs along a kink, so RK4
    with steps of at most ``rk4_step`` is used, made honest at kinks (:func:`_kink_aware_rk4`: no
    accepted step straddles a kink by more than ``resolution`` of a step; a trace that needs more
    than ``max_kink_events`` crossings stops with ``cap_hit``), and the differences are central with
    half-width ``rk4_step``.  ``kink_aware=False`` is the plain fixed-step RK4 through the kinks
    (O(step^2) error per crossing), kept only to show what the kink handling buys.
    """
    from scipy.integrate import solve_ivp

    shapes = [w.shape for w in net.weights]
    theta0 = _flat(net.weights)
    info: dict[str, Any] = {}
    kinked = get(net.activation).homogeneous and net.activation != "linear"
    if kinked and kink_aware:
        ts = np.linspace(rk4_step, t_end, n_times)
        stops = np.unique(np.concatenate([ts - rk4_step, ts, ts + rk4_step]))
        stops = stops[stops > 0]
        states, info = _kink_aware_rk4(net, shapes, theta0, stops, rk4_step, resolution, max_kink_events, rel_step,
                                       field_change)
        states[0.0] = theta0
        # after a cap hit only the samples whose three states were reached remain
        ts = np.array([x for x in ts if all(float(x + d) in states for d in (-rk4_step, 0.0, rk4_step))])
        idx = np.arange(len(ts))

        def at(k: int, shift: int) -> np.ndarray:
            return states[float(ts[k] + shift * rk4_step)]

        half = rk4_step
        how = f"kink-aware RK4, step {rk4_step:g}, kinks located to {resolution:g} of a step"
    elif kinked:
        rhs = _rhs(net, shapes)
        n_steps = int(math.ceil(t_end / rk4_step)) + 1
        plain = [theta0]
        x = theta0
        for _ in range(n_steps):
            k1 = rhs(0.0, x)
            k2 = rhs(0.0, x + rk4_step / 2 * k1)
            k3 = rhs(0.0, x + rk4_step / 2 * k2)
            k4 = rhs(0.0, x + rk4_step * k3)
            x = x + rk4_step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            plain.append(x)
        idx = np.unique(np.linspace(1, n_steps - 1, n_times).round().astype(int))
        ts = idx * rk4_step

        def at(k: int, shift: int) -> np.ndarray:
            return plain[k + shift]

        half = rk4_step
        how = f"fixed-step RK4, step {rk4_step:g}, through the kinks"
    else:
        rhs = _rhs(net, shapes)
        sol = solve_ivp(rhs, (0.0, t_end + 2 * h), theta0, method="DOP853", rtol=rtol, atol=atol,
                        dense_output=True)
        if not sol.success:  # pragma: no cover - solver trouble is reported by the caller
            raise RuntimeError(f"ODE solver failed: {sol.message}")
        ts = np.linspace(h, t_end, n_times)
        idx = np.arange(len(ts))

        def at(k: int, shift: int) -> np.ndarray:
            return sol.sol(ts[k] + shift * h)

        half = h
        how = f"DOP853, rtol {rtol:g}"
    imb, closed, fd, loss = [], [], [], []
    for k in idx:
        ws = _unflat(at(k, 0), shapes)
        nt = Network(tuple(ws), net.X, net.target, net.activation)
        imb.append(imbalances(ws))
        closed.append([c for c, _ in closed_form(nt, "float")])
        fd.append((imbalances(_unflat(at(k, 1), shapes)) - imbalances(_unflat(at(k, -1), shapes))) / (2 * half))
        loss.append(float(cost(nt, "float")))
    n_pairs = net.depth - 1
    return FlowTrace(np.asarray(ts, float), np.array(imb).reshape(-1, n_pairs), np.array(closed).reshape(-1, n_pairs),
                     np.array(fd).reshape(-1, n_pairs), np.array(loss), float(np.sum(theta0**2)), how,
                     int(info.get("steps", 0)), int(info.get("kink_events", 0)), bool(info.get("cap_hit", False)),
                     int(info.get("max_sliding", 0)), float(info.get("step_drift", 0.0)), imbalances(net.weights),
                     int(info.get("unresolved_events", 0)), int(info.get("unlocated_events", 0)),
                     float(info.get("energy_error", float("nan"))), int(info.get("energy_steps", 0)),
                     int(info.get("sign_mismatches", 0)), int(info.get("restarts_past_kink", 0)))
