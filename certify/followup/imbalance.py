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
comparisons turn these into verdicts.  :func:`flow_cross_check` is the float
cross-check along a solved flow (an experiment, never a certificate).
"""

from __future__ import annotations

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


@dataclass
class FlowTrace:
    t: np.ndarray
    imbalance: np.ndarray  # (len(t), L-1)
    closed: np.ndarray  # closed-form rates at t
    finite_difference: np.ndarray  # central differences of the solution at t
    loss: np.ndarray
    theta0_sq: float  # ||theta(0)||^2, the scale of the imbalances

    @property
    def drift(self) -> float:
        """max_t |imbalance(t) - imbalance(0)| / ||theta(0)||^2 (every pair)."""
        return float(np.max(np.abs(self.imbalance - self.imbalance[0]))) / self.theta0_sq

    @property
    def rate_error(self) -> float:
        """max_t |finite difference - closed form| / max(max_t |closed form|, ||theta(0)||^2)."""
        scale = max(float(np.max(np.abs(self.closed))), self.theta0_sq)
        return float(np.max(np.abs(self.finite_difference - self.closed))) / scale


def _rhs(net: Network, shapes: Sequence[tuple[int, int]]) -> Any:
    from certify.followup.escape_time import Flow  # the same squared loss, written for speed

    flow = Flow(shapes, np.asarray(net.X, float), np.asarray(net.target, float), net.activation)
    return lambda _t, theta: -flow.gradient(theta)


def flow_trace(net: Network, t_end: float, n_times: int = 41, *, rtol: float = 1e-11, atol: float = 1e-13,
               h: float = 1e-4, rk4_step: float = 4e-3) -> FlowTrace:
    """Solve the gradient flow, sample the imbalances and both rates at n_times points (floats).

    Smooth activations: DOP853 with error control, dense output, central differences with
    half-width ``h``.  Kinked activations (ReLU, leaky ReLU): the vector field jumps where a
    preactivation changes sign, and where the flow slides along a kink error control stalls,
    so a fixed-step RK4 (step ``rk4_step``) is used and the differences are taken between its
    neighbouring states.  Its error at kinks is O(step) per crossing.
    """
    from scipy.integrate import solve_ivp

    shapes = [w.shape for w in net.weights]
    rhs = _rhs(net, shapes)
    theta0 = _flat(net.weights)
    if get(net.activation).homogeneous and net.activation != "linear":
        n_steps = int(math.ceil(t_end / rk4_step)) + 1
        states = [theta0]
        x = theta0
        for _ in range(n_steps):
            k1 = rhs(0.0, x)
            k2 = rhs(0.0, x + rk4_step / 2 * k1)
            k3 = rhs(0.0, x + rk4_step / 2 * k2)
            k4 = rhs(0.0, x + rk4_step * k3)
            x = x + rk4_step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            states.append(x)
        idx = np.unique(np.linspace(1, n_steps - 1, n_times).round().astype(int))
        ts = idx * rk4_step

        def at(k: int, shift: int) -> np.ndarray:
            return states[k + shift]

        half = rk4_step
    else:
        sol = solve_ivp(rhs, (0.0, t_end + 2 * h), theta0, method="DOP853", rtol=rtol, atol=atol,
                        dense_output=True)
        if not sol.success:  # pragma: no cover - solver trouble is reported by the caller
            raise RuntimeError(f"ODE solver failed: {sol.message}")
        ts = np.linspace(h, t_end, n_times)
        idx = np.arange(len(ts))

        def at(k: int, shift: int) -> np.ndarray:
            return sol.sol(ts[k] + shift * h)

        half = h
    imb, closed, fd, loss = [], [], [], []
    for k in idx:
        ws = _unflat(at(k, 0), shapes)
        nt = Network(tuple(ws), net.X, net.target, net.activation)
        imb.append(imbalances(ws))
        closed.append([c for c, _ in closed_form(nt, "float")])
        fd.append((imbalances(_unflat(at(k, 1), shapes)) - imbalances(_unflat(at(k, -1), shapes))) / (2 * half))
        loss.append(float(cost(nt, "float")))
    return FlowTrace(np.asarray(ts, float), np.array(imb), np.array(closed), np.array(fd), np.array(loss),
                     float(np.sum(theta0**2)))
