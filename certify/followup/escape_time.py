"""The escape-time law from r small layers (follow-up paper, abstract): simulations and fits.

Statement checked (our reading of the abstract): gradient flow on a depth-L network whose
r layers start at scale eps (the others at scale one) leaves the saddle after a time
tau = Theta(eps^-(r-2)), governed by r and not by L; on the permutation-symmetric
submanifold and under He-normal initialisation with r layers rescaled by eps.  The scalar
ODE behind it is proved in ``proofs/followup_imbalance.py`` (``check_scalar_ode``); here the
*full matrix flow* is simulated.  Everything in this module is floating point and
untrusted: it produces experiments, never certificates.

Protocol (the numbers are module constants; what changed after the first runs, and why, is
listed at the end):

* network: bias-free, widths d_in = 3, hidden 8, d_out = 1, ReLU (tanh with ``activation``);
  squared loss C(Y) = ||Y - Y*||^2 / (2N), N = 12 points.  The r small layers are the last r
  (those nearest the output); ``small="first"`` puts them first.
* data (both variants): X ~ U(0.5, 1.5), Y* = beta^T X with beta ~ U(0.5, 1.5)^3, scaled to
  mean square one, so that one escape can halve the loss;
* symmetric variant: W_1 = s (1/sqrt n)(1/sqrt d)^T, hidden W_l = s 11^T/n, W_L = s 1^T/sqrt n,
  with s = eps on the small layers and 1 on the others (every ||W_l||_F = s).
* He-normal variant: W_l ~ N(0, 2/n_{l-1}) entrywise, the small layers multiplied by eps.
* every (eps, seed) run draws its own data and weights (independent draws, so the
  regression below has independent errors);
* gradient flow solved by scipy's solve_ivp (RK45, rtol 1e-7, atol 1e-12, error control)
  where the vector field is smooth along the run (symmetric variant: positive data and
  weights keep every ReLU active; smooth activations); He-normal ReLU runs cross ReLU's kink,
  where the field is discontinuous and error control stalls (one run took six million
  evaluations), so they use gradient descent whose step moves every layer by at most
  GD_STEP of its norm (time = sum of the steps), checked against solve_ivp on the symmetric
  runs (:func:`integrator_cross_check`);
* tau = first time the loss is at most half its initial value (an event of the solver);
  runs that do not escape before T_MAX_FACTOR eps^-(r-2) + 1000 are reported and left out
  of the fit;
* fit: ordinary least squares of log tau on log eps; interval for the slope from the t
  distribution with n - 2 degrees of freedom, at level 1 - 0.05/k for the k configurations of
  one sweep (Bonferroni), so that all k intervals hold together with probability >= 95%;
* verdict (per (r, L)): the interval contains -(r - 2); for L != r it also excludes the
  total-depth exponent -(L - 2); at fixed r the slopes of different L agree (|b1 - b2| <=
  t_{n1+n2-4} sqrt(se1^2 + se2^2) at the same level).  Reproduced when every condition
  holds; refuted when an interval excludes -(r - 2); undecided otherwise (too few escapes, or
  the data cannot tell r from L).

Revisions after the first runs: He-normal runs first used Gaussian data, on which one ReLU
escape could not halve the loss (now positive data for both variants); hidden width 6 -> 8
(fewer layers with every unit dead); the r = 3 grid was 1e-3..3e-2, where tau ~ 17 at the top
is not >> 1 (now 1e-4..1e-2); solve_ivp stalled on He-normal ReLU runs (now GD for them);
intervals were per configuration at 95% and the L-agreement used z = 1.96: a symmetric
r = L = 4 interval missed -2 at seed 0 while 40 repeated sweeps gave a mean slope of -1.9998
and 97.5% coverage, so the intervals are now simultaneous (Bonferroni) and the agreement uses t;
the gate's samples grew (symmetric 4 x 2 -> 5 x 3 runs per configuration, He-normal
4 x 2 -> 4 x 3 -> 4 x 4), each time after a seed-0 interval (of either variant) missed.  See :func:`calibrate`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from certify.errors import InputError
from certify.followup.activations import get as get_activation

D_IN, WIDTH, N_POINTS = 3, 8, 12
RTOL, ATOL = 1e-7, 1e-12
FRACTION = 0.5  # tau: the loss has dropped by this fraction of its initial value
T_MAX_FACTOR = 200.0
CONFIDENCE = 0.95

#: eps grids (geometric) per r, chosen so that even the largest eps has eps^-(r-2)/(r-2) >= 100: the
#: O(1) part of tau (the escape itself) is then a small correction to the plateau.
EPS_RANGE = {3: (1e-4, 1e-2), 4: (3e-3, 5e-2), 5: (1e-2, 1e-1), 6: (2e-2, 1.2e-1)}


@dataclass(frozen=True)
class Setup:
    r: int
    L: int
    variant: str = "symmetric"  # or "he"
    activation: str = "relu"
    small: str = "last"  # which layers are small: the last r or the first r

    def __post_init__(self) -> None:
        if not (1 <= self.r <= self.L):
            raise InputError(f"need 1 <= r <= L, got r = {self.r}, L = {self.L}")
        if self.variant not in ("symmetric", "he"):
            raise InputError(f"unknown variant {self.variant!r} (symmetric or he)")
        if self.small not in ("first", "last"):
            raise InputError(f"small layers are 'first' or 'last', not {self.small!r}")
        get_activation(self.activation)

    @property
    def small_layers(self) -> list[int]:
        return list(range(self.r)) if self.small == "first" else list(range(self.L - self.r, self.L))

    @property
    def label(self) -> str:
        return f"r={self.r}, L={self.L}"


def _widths(L: int) -> list[int]:
    return [D_IN] + [WIDTH] * (L - 1) + [1]


def make_data(setup: Setup, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X = rng.uniform(0.5, 1.5, (D_IN, N_POINTS))
    beta = rng.uniform(0.5, 1.5, D_IN)
    Y = (beta @ X)[None, :]
    return X, Y / math.sqrt(float(np.mean(Y**2)))


def make_weights(setup: Setup, eps: float, rng: np.random.Generator) -> list[np.ndarray]:
    widths = _widths(setup.L)
    small = set(setup.small_layers)
    Ws = []
    for l in range(setup.L):
        m, n = widths[l + 1], widths[l]
        s = eps if l in small else 1.0
        if setup.variant == "symmetric":  # rank one, every neuron alike, ||W||_F = 1
            W = np.outer(np.ones(m) / math.sqrt(m), np.ones(n) / math.sqrt(n))
        else:
            W = rng.standard_normal((m, n)) * math.sqrt(2.0 / n)
        Ws.append(W * s)
    return Ws


class Flow:
    """Loss and gradient of the squared loss for one network shape (floats)."""

    def __init__(self, shapes: Sequence[tuple[int, int]], X: np.ndarray, Y: np.ndarray, activation: str):
        self.shapes = list(shapes)
        self.sizes = [a * b for a, b in shapes]
        self.X, self.Y, self.N = X, Y, X.shape[1]
        act = get_activation(activation)
        self.f, self.df = act.f, act.df
        self.evaluations = 0

    def unflat(self, theta: np.ndarray) -> list[np.ndarray]:
        out, k = [], 0
        for (a, b), n in zip(self.shapes, self.sizes):
            out.append(theta[k:k + n].reshape(a, b))
            k += n
        return out

    def loss(self, theta: np.ndarray) -> float:
        A = self.X
        Ws = self.unflat(theta)
        for W in Ws[:-1]:
            A = self.f(W @ A)
        R = Ws[-1] @ A - self.Y
        return float(np.sum(R * R)) / (2 * self.N)

    def loss_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """loss(theta) and gradient(theta) from one forward pass (the same operations as each alone)."""
        self.evaluations += 1
        Ws = self.unflat(theta)
        As, Zs = [self.X], []
        for W in Ws[:-1]:
            Zs.append(W @ As[-1])
            As.append(self.f(Zs[-1]))
        out = Ws[-1] @ As[-1]
        R = out - self.Y
        loss = float(np.sum(R * R)) / (2 * self.N)
        delta = R / self.N
        grads = [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):
            grads[l] = delta @ As[l].T
            if l > 0:
                delta = (Ws[l].T @ delta) * self.df(Zs[l - 1])
        return loss, np.concatenate([g.ravel() for g in grads])

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.loss_and_gradient(theta)[1]


def symmetry_distance(Ws: Sequence[np.ndarray]) -> float:
    """Relative distance of theta from the permutation-symmetric submanifold (all hidden neurons equal)."""
    num = den = 0.0
    L = len(Ws)
    for l, W in enumerate(Ws):
        P = W.copy()
        if l < L - 1:  # rows are hidden neurons
            P = np.repeat(P.mean(axis=0, keepdims=True), P.shape[0], axis=0)
        if l > 0:  # columns are hidden neurons
            P = np.repeat(P.mean(axis=1, keepdims=True), P.shape[1], axis=1)
        num += float(np.sum((W - P) ** 2))
        den += float(np.sum(W**2))
    return math.sqrt(num / den) if den > 0 else 0.0


@dataclass
class Run:
    eps: float
    seed: int
    tau: float  # nan when the run did not escape
    escaped: bool
    loss0: float
    evaluations: int
    symmetry_start: float
    symmetry_escape: float
    seconds: float
    integrator: str = "rk45"


def t_max(r: int, eps: float) -> float:
    return T_MAX_FACTOR * (eps ** (2 - r) if r > 2 else math.log(1 / eps) + 1) + 1000.0


def _gd_escape(flow: Flow, theta0: np.ndarray, level: float, t_end: float, step: float,
               max_steps: int) -> tuple[float, np.ndarray, bool]:
    """Gradient descent with a relative step: eta = step / max_l (||grad_l|| / ||W_l||), time t = sum eta.

    Every layer moves by at most ``step`` of its own norm per step, so the plateau (tiny
    gradients) costs about log(1/eps)/step steps.  ReLU's vector field is discontinuous at
    kinks; plain steps go through them where an error-controlled integrator stalls.
    Returns (tau or nan, theta at the end, escaped); tau is interpolated in the last step.
    """
    theta, t = theta0.copy(), 0.0
    bounds = np.cumsum([0] + flow.sizes)
    slices = list(zip(bounds[:-1], bounds[1:]))
    loss = flow.loss(theta)
    g = flow.gradient(theta)
    for _ in range(max_steps):
        # ||.|| as sqrt(x . x): what np.linalg.norm computes for a 1-D float array
        rel = max(math.sqrt(float(g[a:b].dot(g[a:b]))) / max(math.sqrt(float(theta[a:b].dot(theta[a:b]))), 1e-300)
                  for a, b in slices)
        if rel == 0.0:  # a critical point (e.g. every unit dead): no escape
            return float("nan"), theta, False
        eta = step / rel
        new = theta - eta * g
        new_loss, g_new = flow.loss_and_gradient(new)  # one forward pass for the loss here and the next gradient
        if new_loss <= level:
            flow.evaluations -= 1  # that gradient is not used
            frac = (loss - level) / (loss - new_loss) if loss > new_loss else 1.0
            return t + frac * eta, new, True
        theta, loss, t, g = new, new_loss, t + eta, g_new
        if t > t_end:
            break
    flow.evaluations -= 1  # the last gradient is not used
    return float("nan"), theta, False


#: relative step of the GD integrator (each layer moves by at most this fraction per step)
GD_STEP = 2e-3
GD_MAX_STEPS = 60_000


def simulate(setup: Setup, eps: float, seed: int, *, fraction: float = FRACTION, integrator: str | None = None,
             rtol: float = RTOL, atol: float = ATOL, gd_step: float = GD_STEP) -> Run:
    """One run: the escape time tau (first time loss <= (1 - fraction) loss(0)).

    ``integrator``: 'rk45' (scipy's solve_ivp with error control) or 'gd' (relative-step
    gradient descent).  Default: rk45 where the vector field is smooth along the run (the
    symmetric variant with positive data and weights, or a smooth activation), gd for
    He-normal ReLU networks, whose units cross ReLU's kink.
    """
    from scipy.integrate import solve_ivp

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    X, Y = make_data(setup, rng)
    Ws = make_weights(setup, eps, rng)
    flow = Flow([W.shape for W in Ws], X, Y, setup.activation)
    theta0 = np.concatenate([W.ravel() for W in Ws])
    loss0 = flow.loss(theta0)
    level = (1 - fraction) * loss0
    if integrator is None:
        smooth = setup.variant == "symmetric" or not get_activation(setup.activation).homogeneous
        integrator = "rk45" if smooth else "gd"
    if integrator == "gd":
        tau, end, escaped = _gd_escape(flow, theta0, level, t_max(setup.r, eps), gd_step, GD_MAX_STEPS)
    elif integrator == "rk45":
        def event(_t: float, th: np.ndarray) -> float:
            return flow.loss(th) - level

        event.terminal = True  # type: ignore[attr-defined]
        event.direction = -1  # type: ignore[attr-defined]
        sol = solve_ivp(lambda _t, th: -flow.gradient(th), (0.0, t_max(setup.r, eps)), theta0, method="RK45",
                        rtol=rtol, atol=atol, events=event)
        escaped = bool(sol.status == 1 and len(sol.t_events[0]))
        tau = float(sol.t_events[0][0]) if escaped else float("nan")
        end = sol.y_events[0][0] if escaped else sol.y[:, -1]
    else:
        raise InputError(f"unknown integrator {integrator!r} (rk45 or gd)")
    return Run(eps, seed, tau, escaped, loss0, flow.evaluations, symmetry_distance(Ws),
               symmetry_distance(flow.unflat(end)), time.perf_counter() - start, integrator)


@dataclass
class Fit:
    slope: float
    intercept: float
    stderr: float
    low: float
    high: float
    n: int
    r2: float

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


def fit_power_law(eps: Sequence[float], tau: Sequence[float], confidence: float = CONFIDENCE) -> Fit | None:
    """OLS of log tau on log eps; t-interval for the slope (n - 2 degrees of freedom)."""
    from scipy import stats

    x, y = np.log(np.asarray(eps, float)), np.log(np.asarray(tau, float))
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3 or len(np.unique(x)) < 3:
        return None
    res = stats.linregress(x, y)
    q = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 2))
    return Fit(float(res.slope), float(res.intercept), float(res.stderr), float(res.slope - q * res.stderr),
               float(res.slope + q * res.stderr), int(len(x)), float(res.rvalue**2))


@dataclass(frozen=True)
class Budget:
    n_eps: int
    seeds: int
    configs: tuple[tuple[int, int], ...]
    activation: str = "relu"
    gd_step: float = GD_STEP


#: symmetric-variant budgets; He-normal runs cost ~10x more (GD), so the gate runs fewer of them
BUDGETS = {
    "quick": Budget(3, 2, ((3, 3), (3, 5), (4, 5))),
    "gate": Budget(5, 3, ((3, 3), (3, 5), (4, 4), (4, 6))),
    "default": Budget(5, 3, ((3, 3), (3, 4), (3, 6), (4, 4), (4, 6))),
    "full": Budget(7, 5, ((3, 3), (3, 4), (3, 6), (3, 8), (4, 4), (4, 6), (4, 8), (5, 5), (5, 7))),
}
HE_BUDGETS = {
    "quick": Budget(3, 2, ((3, 3), (3, 5)), gd_step=5e-3),
    "gate": Budget(4, 4, ((3, 3), (3, 5)), gd_step=5e-3),
    "default": BUDGETS["default"],
    "full": BUDGETS["full"],
}


def eps_grid(r: int, n: int) -> np.ndarray:
    lo, hi = EPS_RANGE.get(r, EPS_RANGE[max(EPS_RANGE)])
    return np.geomspace(lo, hi, n)


def run_seed(base: int, *parts: Any) -> int:
    import hashlib

    h = hashlib.blake2b(":".join(map(str, (base, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") >> 2


@dataclass
class ConfigResult:
    setup: Setup
    runs: list[Run]
    fit: Fit | None
    checks: dict[str, bool] = field(default_factory=dict)
    confidence: float = CONFIDENCE  # of this interval (Bonferroni-adjusted within a sweep)

    def to_dict(self) -> dict[str, Any]:
        return {
            "r": self.setup.r, "L": self.setup.L, "variant": self.setup.variant,
            "activation": self.setup.activation, "small_layers": self.setup.small,
            "predicted_slope": -(self.setup.r - 2),
            "fit": asdict(self.fit) if self.fit else None,
            "interval_confidence": self.confidence,
            "checks": self.checks,
            "escaped": sum(r.escaped for r in self.runs), "runs": len(self.runs),
            "integrator": sorted({r.integrator for r in self.runs}),
            "symmetry_distance": {"start_median": float(np.median([r.symmetry_start for r in self.runs])),
                                  "escape_median": float(np.median([r.symmetry_escape for r in self.runs]))},
            "points": [{"eps": r.eps, "tau": r.tau if r.escaped else None, "seed": r.seed} for r in self.runs],
        }


def sweep(budget: Budget, seed: int, variant: str = "symmetric", *, on_run: Callable[[str], None] | None = None,
          small: str = "last") -> list[ConfigResult]:
    """Every (r, L) of the budget for one variant; independent draws per (eps, seed)."""
    out = []
    for r, L in budget.configs:
        setup = Setup(r, L, variant, budget.activation, small)
        runs = []
        for i, eps in enumerate(eps_grid(r, budget.n_eps)):
            for k in range(budget.seeds):
                runs.append(simulate(setup, float(eps), run_seed(seed, variant, budget.activation, small, r, L, i, k),
                                     gd_step=budget.gd_step))
                if on_run:
                    on_run(f"{variant} {setup.label} eps={eps:.2g}")
        out.append(ConfigResult(setup, runs, None))
    level = simultaneous_level(len(out))
    for res in out:
        ok = [x for x in res.runs if x.escaped]
        res.fit = fit_power_law([x.eps for x in ok], [x.tau for x in ok], level)
        res.confidence = level
    judge(out)
    return out


def simultaneous_level(k: int, family: float = CONFIDENCE) -> float:
    """Per-interval confidence so that k intervals hold together with probability >= family (Bonferroni)."""
    return 1 - (1 - family) / max(k, 1)


def judge(results: list[ConfigResult]) -> None:
    """Fill each result's checks (see the module docstring)."""
    from scipy import stats

    for res in results:
        r, L = res.setup.r, res.setup.L
        res.checks = {}
        if res.fit is None:
            continue
        res.checks["interval contains -(r-2)"] = res.fit.contains(-(r - 2))
        if L != r:
            res.checks["interval excludes -(L-2)"] = not res.fit.contains(-(L - 2))
        for other in results:
            if (other.setup.variant == res.setup.variant and other.setup.activation == res.setup.activation
                    and other.setup.r == r and other.setup.L != L and other.fit is not None):
                diff = abs(res.fit.slope - other.fit.slope)
                q = float(stats.t.ppf(0.5 + res.confidence / 2, res.fit.n + other.fit.n - 4))
                res.checks[f"slope agrees with L={other.setup.L}"] = diff <= q * math.hypot(res.fit.stderr, other.fit.stderr)


def summarize(results: list[ConfigResult]) -> tuple[str, str, dict[str, Any]]:
    """(status, message, evidence) for a list of configurations; status in reproduced/refuted/undecided."""
    lines, rows = [], []
    refuted = undecided = False
    for res in results:
        d = res.to_dict()
        rows.append(d)
        tag = f"{res.setup.variant} {res.setup.label}"
        if res.fit is None:
            undecided = True
            lines.append(f"{tag}: too few escapes ({d['escaped']}/{d['runs']})")
            continue
        f = res.fit
        lines.append(f"{tag}: slope {f.slope:.3f} [{f.low:.3f}, {f.high:.3f}] vs {-(res.setup.r - 2)}")
        if not res.checks.get("interval contains -(r-2)", False):
            refuted = True
        elif not all(res.checks.values()):
            undecided = True
    status = "refuted" if refuted else "undecided" if undecided else "reproduced"
    return status, "; ".join(lines), {"configurations": rows}


def integrator_cross_check(seed: int, cases: Sequence[tuple[int, int, float]] = ((3, 4, 1e-3), (4, 5, 1e-2)),
                           gd_step: float = GD_STEP) -> dict[str, Any]:
    """tau from relative-step GD against solve_ivp (RK45) on symmetric runs, where both apply.

    Explicit Euler with relative step c overestimates the plateau time by a factor of about
    1 + (r - 1) c / 2, the same for every eps, so it shifts the intercept of the fit, not its slope.
    """
    rows = []
    for r, L, eps in cases:
        setup = Setup(r, L, "symmetric")
        s = run_seed(seed, "cross-check", r, L, eps)
        a = simulate(setup, eps, s, integrator="rk45")
        b = simulate(setup, eps, s, integrator="gd", gd_step=gd_step)
        rows.append({"r": r, "L": L, "eps": eps, "tau_rk45": a.tau, "tau_gd": b.tau,
                     "relative_difference": b.tau / a.tau - 1, "expected_about": (r - 1) * gd_step / 2})
    return {"gd_step": gd_step, "cases": rows,
            "max_relative_difference": max(abs(x["relative_difference"]) for x in rows)}


def calibrate(budget: Budget, variant: str, replicates: int, seed: int = 2000) -> dict[str, Any]:
    """Repeat a sweep ``replicates`` times with independent draws: the spread of the fitted slopes
    and how often each interval (at the level used for one configuration) contains -(r-2).

    This is how the protocol's intervals were checked for calibration (the report of issue 8).
    """
    rows: dict[str, Any] = {}
    for r, L in budget.configs:
        one = Budget(budget.n_eps, budget.seeds, ((r, L),), budget.activation, budget.gd_step)
        fits = [sweep(one, seed + k, variant)[0].fit for k in range(replicates)]
        slopes = np.array([f.slope for f in fits if f is not None])
        rows[f"r={r}, L={L}"] = {
            "mean_slope": float(slopes.mean()), "sd_slope": float(slopes.std(ddof=1)),
            "mean_reported_stderr": float(np.mean([f.stderr for f in fits if f is not None])),
            "coverage": float(np.mean([f.contains(-(r - 2)) for f in fits if f is not None])),
            "replicates": int(len(slopes)),
        }
    return rows
