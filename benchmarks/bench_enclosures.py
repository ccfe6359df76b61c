"""Benchmark: certified enclosures against plain float64 numpy for the same quantities.

Prints JSON with time and peak-memory ratios (certified / float).  Not a test: run it by hand,
    python benchmarks/bench_enclosures.py [--quick]
The quantities are those `certify instance` certifies per layer: the forward pass, Frobenius
norms, top singular values (power-iteration witness), rank-one ratios of every W_l and Z_l^s,
ReLU gaps, and Tr[G^T Y].  The float path uses the same witnesses, so the ratio measures the
price of rigour alone.  A second part compares a 100-wide network with mpmath's iv and
python-flint's arb_mat (the exact-ball path).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc

import numpy as np


def float_path(Ws, X, G):
    from certify.instance.witnesses import power_iteration

    acts, pres = [X], []
    a = X
    for l, W in enumerate(Ws, start=1):
        z = W @ a
        pres.append(z)
        if l < len(Ws):
            a = np.maximum(z, 0.0)
            acts.append(a)
    out = {"trace": float(np.sum(G * pres[-1]))}
    ratios = []
    for M in acts + list(Ws):
        v = power_iteration(M)
        s1 = float(np.linalg.norm(M @ v) / np.linalg.norm(v))
        fro2 = float(np.einsum("ij,ij->", M, M))
        ratios.append(1 - s1 * s1 / fro2)
    gaps = [float(np.sum(np.minimum(z, 0) ** 2) / np.sum(z * z)) for z in pres[:-1]]
    out["ratios"] = ratios
    out["gaps"] = gaps
    return out


def certified_path(Ws, X, G):
    from certify.core.instances import Instance
    from certify.instance.enclosure import enclose_network, weight_ratios

    inst = Instance(X=X, G=G, weights=tuple(Ws))
    net = enclose_network(inst, exact_norm=False)
    ratios = list(net.activations) + [weight_ratios(W) for W in Ws]
    gaps = net.gaps
    return {"trace": net.loss, "ratios": [r.ratio for r in ratios], "gaps": gaps}


def measure(fn, *args):
    tracemalloc.start()
    t = time.perf_counter()
    out = fn(*args)
    seconds = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak


def network(widths, n_points, seed=0):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l]) for l in range(len(widths) - 1)]
    X = rng.standard_normal((widths[0], n_points))
    G = rng.standard_normal((widths[-1], n_points)) / n_points
    return Ws, X, G


def mnist_scale(quick: bool):
    widths = [784, 1000, 1000, 1000, 1000, 1000, 10] if not quick else [196, 250, 250, 250, 250, 250, 10]
    n = 2000 if not quick else 500
    Ws, X, G = network(widths, n)
    X_bytes = sum(W.nbytes for W in Ws) + X.nbytes + G.nbytes
    float_path(Ws, X, G)  # warm up BLAS threads and caches
    f_out, f_s, f_mem = measure(float_path, Ws, X, G)
    c_out, c_s, c_mem = measure(certified_path, Ws, X, G)
    # the float answers lie in the certified enclosures (a sanity check of the benchmark itself)

    inside = all(abs(float(r.mid()) - fr) <= float(r.rad()) + 1e-6 for r, fr in zip(c_out["ratios"], f_out["ratios"]))
    widest = max(float(r.rad()) for r in c_out["ratios"])
    return {
        "widths": widths, "n_points": n, "input_bytes": X_bytes,
        "float_seconds": round(f_s, 3), "certified_seconds": round(c_s, 3), "time_ratio": round(c_s / f_s, 3),
        "float_peak_bytes": f_mem, "certified_peak_bytes": c_mem, "memory_ratio": round(c_mem / f_mem, 3),
        "widest_ratio_radius": widest, "float_values_inside_enclosures": inside,
        "trace_enclosure": str(c_out["trace"]),
    }


def small_comparison():
    """100-wide layer product with enclosures: our kernel vs python-flint arb_mat vs mpmath iv."""
    import mpmath
    from flint import arb_mat

    from certify.kernel import enclose as E

    rng = np.random.default_rng(1)
    W = rng.standard_normal((100, 100))
    A = np.maximum(rng.standard_normal((100, 100)), 0)
    out = {}
    t = time.perf_counter()
    for _ in range(5):
        Z = E.matmul(W, E.Enclosure.exact(A))
        E.frobenius_ball(Z)
    out["kernel_seconds"] = (time.perf_counter() - t) / 5
    t = time.perf_counter()
    Wm, Am = arb_mat(W.tolist()), arb_mat(A.tolist())
    P = Wm * Am
    sum(P[i, j] ** 2 for i in range(100) for j in range(100)).sqrt()
    out["arb_mat_seconds"] = time.perf_counter() - t
    n = 30  # mpmath iv is slow: time a 30 x 30 product and scale by (100/30)^3
    t = time.perf_counter()
    Wi = mpmath.iv.matrix(W[:n, :n].tolist())
    Ai = mpmath.iv.matrix(A[:n, :n].tolist())
    Wi * Ai
    out["mpmath_iv_seconds_scaled"] = (time.perf_counter() - t) * (100 / n) ** 3
    out["speedup_vs_arb_mat"] = round(out["arb_mat_seconds"] / out["kernel_seconds"], 1)
    out["speedup_vs_mpmath_iv"] = round(out["mpmath_iv_seconds_scaled"] / out["kernel_seconds"], 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a 4x smaller network")
    args = ap.parse_args()
    report = {"machine": platform.machine(), "python": platform.python_version(), "numpy": np.__version__,
              "mnist_scale": mnist_scale(args.quick), "width_100": small_comparison()}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
