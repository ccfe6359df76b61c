"""``certify instance FILE``: what holds on a user's own network.

Float numbers in the report (speed, residual) are estimates that certify nothing; the verdicts come
from the kernel: exact rational arithmetic within the exact budgets, certified enclosures (balls)
beyond them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from flint import arb

from certify import __version__
from certify.core.instances import load_instance
from certify.core.network import escape_report, localized_loss
from certify.instance.verdicts import DEFAULT_PS, certify_instance
from certify.instance.enclosure import ball_interval, exact_entries_limit
from certify.instance.exact import (
    check_euler,
    check_homogeneity,
    check_lemma_a4,
    exact_work,
    exact_work_limit,
)
from certify.kernel.arith import EXACT
from certify.kernel.compare import nearest_float
from certify.kernel.verdict import Status, show

CHECKS = {
    "a1.homogeneity": check_homogeneity,
    "section2.1.euler": check_euler,
    "lemma-a4": check_lemma_a4,
}


def _quantity(value: Any) -> dict[str, Any]:
    """A scalar of the report: exact (an fmpq, shown exactly) or enclosed (a ball, shown as an interval)."""
    if isinstance(value, arb):
        return {"kind": "enclosed", "interval": ball_interval(value),
                "float": float(value.mid()) if value.is_finite() else None}
    return {"kind": "exact", "exact": show(value), "float": nearest_float(value)}


def instance_report(path: Path, ps: Sequence[float] = DEFAULT_PS, theta0_norm: float | None = None,
                    r: float | None = None) -> tuple[dict[str, Any], int]:
    """Everything ``certify instance`` reports.  Exact rational work is done only within the budgets
    (CERTIFY_EXACT_WORK multiply-adds, CERTIFY_EXACT_ENTRIES entries); beyond them the certified
    enclosures carry the report, and each scalar says which it is (``kind``: exact or enclosed)."""
    inst = load_instance(path)
    verdicts = {cid: check(inst).to_dict() for cid, check in CHECKS.items()}
    checkpoints: dict = {}
    cert = certify_instance(inst, ps, theta0_norm, r, checkpoints=checkpoints)
    verdicts.update({cid: v.to_dict() for cid, v in cert.verdicts.items()})
    net = cert.network
    assert net is not None
    floats: dict[str, Any] = {}
    if any(np.any(W != 0) for W in inst.weights):  # the float estimate reuses the pass's activations
        esc = escape_report(inst.weights, inst.X, inst.G, checkpoints=checkpoints, l0=net.l0_float)
        floats = {"speed": esc.speed, "residual": esc.residual, "relative_residual": esc.relative_residual}
    del checkpoints
    loss: Any = net.loss
    if exact_work(inst) <= exact_work_limit():
        loss = localized_loss(inst.weights, inst.X, inst.G, EXACT)
    squared = _quantity(net.theta_sq)
    localized = _quantity(loss)
    report = {
        "tool": "certify",
        "version": __version__,
        "file": str(path),
        "name": inst.name,
        "depth": inst.depth,
        "widths": inst.widths,
        "n_points": int(inst.X.shape[1]),
        "meta": inst.meta,
        "squared_norm": squared,
        "localized_loss": localized,
        "arithmetic": {
            "squared_norm": squared["kind"],
            "localized_loss": localized["kind"],
            "certified": "enclosed",
            "budgets": {"exact_work": exact_work_limit(), "exact_entries": exact_entries_limit(),
                        "work": exact_work(inst), "entries": sum(int(W.size) for W in inst.weights)},
        },
        "direction_float_estimates": floats,
        "certified": cert.quantities,
        "verdicts": verdicts,
    }
    bad = {Status.REFUTED.value, Status.UNDECIDED.value, Status.ERROR.value}
    code = 1 if any(v["status"] in bad for v in verdicts.values()) else 0
    report["exit_status"] = code
    return report, code


def _iv(pair: list[float]) -> str:
    lo, hi = pair
    return f"[{lo:.6g}, {hi:.6g}]"


def print_instance_report(report: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    from certify.gate.report import markup_safe, plain, status_text

    console.print(f"[bold]{markup_safe(report['name'])}[/bold] ({markup_safe(report['file'])}): depth {report['depth']}, "
                  f"widths {report['widths']}, {report['n_points']} points")
    sq, l0 = report["squared_norm"], report["localized_loss"]

    def shown(q: dict) -> str:
        return "unknown" if q["float"] is None else f"{q['float']:.6g}"

    console.print(f"||theta||^2 = {shown(sq)} ({sq['kind']})   "
                  f"L0(theta) = Tr[G^T Y] = {shown(l0)} ({l0['kind']})   (exact values or intervals in --json)")
    est = report["direction_float_estimates"]
    if est:
        console.print(f"direction on the sphere ||rho||^2 = L (float estimates, not certified): speed s = "
                      f"{est['speed']:.6g}, residual ||grad L0(rho) + s rho|| = {est['residual']:.3g}")
        claimed = report["meta"].get("claimed_speed")
        if isinstance(claimed, (int, float)) and abs(est["speed"] - claimed) > 1e-9 * max(1.0, abs(claimed)):
            console.print(f"[yellow]note:[/yellow] the file claims speed {claimed}, the estimate is {est['speed']:.6g}")
    cq = report["certified"]
    console.print(f"certified: Tr[G^T Y] in {_iv(cq['Tr[G^T Y]'])}, speed on the sphere in {_iv(cq['speed_on_sphere'])}, "
                  f"||X||_F in {_iv(cq['||X||_F'])}, ||G||_F in {_iv(cq['||G||_F'])}")
    console.print(f"escape direction (Definition 2.1): {markup_safe(cq['escape_direction']['message'])}")
    layers = Table(title="certified enclosures per layer",
                   title_justify="left")
    for col in ("l", "W_l ratio", "Z_l^s ratio", "ReLU gap of Z_l"):
        layers.add_column(col, justify="right")
    for l, row in cq["layers"].items():
        layers.add_row(l, _iv(row["W_ratio"]["ratio"]) if "W_ratio" in row else "",
                       _iv(row["activation_ratio"]["ratio"]) if "activation_ratio" in row else "",
                       _iv(row["relu_gap"]) if "relu_gap" in row else "")
    console.print(layers)
    if "escape_time_lower_bound" in cq:
        et = cq["escape_time_lower_bound"]
        if "printed" in et:
            console.print(f"escape-time lower bound from ||theta(t0)|| = {et['theta0_norm']} to ||Y|| = {et['r']}: "
                          f"printed {_iv(et['printed'])}, corrected {_iv(et['corrected'])}")
        else:
            console.print(f"escape-time lower bound: {markup_safe(et['note'])}")
    table = Table(title_justify="left")
    table.add_column("claim", style="bold")
    table.add_column("status")
    table.add_column("margin", justify="right")
    table.add_column("message", overflow="fold")
    for cid, v in report["verdicts"].items():
        margin = "" if v["margin"] is None else f"{v['margin']:.3g}"
        table.add_row(cid, status_text(Status(v["status"])), margin, plain(v["message"]))
    console.print(table)
