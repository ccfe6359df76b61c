"""Small helpers shared by the symbolic modules."""

from __future__ import annotations

import time
from typing import Any

import sympy as sp


def is_zero(expr: Any) -> bool:
    """True when ``expr`` expands (then simplifies) to exactly 0."""
    e = sp.expand(expr)
    if e == 0:
        return True
    return sp.simplify(e) == 0


class Ledger:
    """Records each identity checked, so the verdict can list its evidence."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.failed: list[str] = []
        self.start = time.perf_counter()

    def identity(self, name: str, expr: Any) -> bool:
        ok = is_zero(expr)
        (self.checked if ok else self.failed).append(name)
        return ok

    def fact(self, name: str, ok: bool) -> bool:
        (self.checked if ok else self.failed).append(name)
        return ok

    def evidence(self) -> dict[str, Any]:
        return {
            "identities_checked": len(self.checked) + len(self.failed),
            "failed": self.failed,
            "steps": self.checked[:40],
            "seconds": round(time.perf_counter() - self.start, 3),
        }
