"""Run claims: seeds, timing, error capture, parallel jobs, the last-evidence store."""

from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from certify.core import jsonio
from certify.gate.registry import REGISTRY, Claim, Context, claim_seed
from certify.gate.claim import describe
from certify.core.errors import InputError
from certify.core.execution import Executor, SerialExecutor, TaskFailure, make_executor
from certify.core.paths import data_dir as default_data_dir
from certify.kernel.verdict import Status, Verdict


@dataclass
class Result:
    """One claim's outcome, as it appears in every report."""

    id: str
    title: str
    section: str
    method: str
    status: Status
    margin: float | None
    message: str
    seconds: float
    seed: int
    evidence: dict[str, Any] = field(default_factory=dict)
    corrected: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "status": self.status.value,
            "method": self.method,
            "margin": self.margin,
            "message": self.message,
            "seconds": round(self.seconds, 4),
            "seed": self.seed,
            "evidence": describe(self.evidence),
        }
        if self.corrected is not None:
            d["corrected"] = describe(self.corrected)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Result":
        return cls(
            id=d["id"], title=d["title"], section=d.get("section", ""), method=d["method"],
            status=Status(d["status"]), margin=d["margin"], message=d["message"],
            seconds=d["seconds"], seed=d["seed"], evidence=d.get("evidence", {}),
            corrected=d.get("corrected"),
        )

    @property
    def not_reproduced(self) -> bool:
        """An experiment whose verdict is refuted: a finding in every report that, like an erratum, fails
        the gate only under --strict (experiments depend on budgets and seeds; proofs and certificates
        do not, and their refutations always fail)."""
        return self.method == "experiment" and self.status is Status.REFUTED

    def blocks_gate(self, strict: bool) -> bool:
        """Whether this result makes `certify all` / `run` exit 1."""
        if self.not_reproduced:
            return strict
        return self.fails or (strict and self.status is Status.ERRATUM)

    @property
    def fails(self) -> bool:
        """Refuted, undecided or errored, here or in the corrected statement."""
        bad = (Status.REFUTED, Status.UNDECIDED, Status.ERROR)
        if self.status in bad:
            return True
        if self.corrected is not None and Status(self.corrected["status"]) in bad:
            return True
        return False


def run_claim(claim: Claim, global_seed: int, data_dir: Path, quick: bool) -> Result:
    """Run one claim; any exception becomes an ``error`` result, never a verdict."""
    seed = claim_seed(global_seed, claim.id)
    ctx = Context(seed=seed, data_dir=data_dir, quick=quick)
    start = time.perf_counter()
    try:
        verdict = claim.run(ctx)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"check returned {type(verdict).__name__}, not a Verdict")
    except KeyboardInterrupt:  # the user stops the run: not a verdict on the claim
        raise
    except BaseException as exc:  # a broken check is reported, never propagated (SystemExit included)
        first = (str(exc).splitlines() or [""])[0]
        verdict = Verdict(
            Status.ERROR,
            f"the check raised {exc.__class__.__name__}: {first}",
            None,
            {"traceback": traceback.format_exc(limit=8)},
        )
    seconds = time.perf_counter() - start
    return Result(
        id=claim.id,
        title=claim.title,
        section=claim.section,
        method=claim.method.value,
        status=verdict.status,
        margin=verdict.margin,
        message=verdict.message,
        seconds=seconds,
        seed=seed,
        evidence=verdict.evidence,
        corrected=verdict.corrected.to_dict() if verdict.corrected is not None else None,
    )


def run_claims(
    claims: Iterable[Claim],
    *,
    seed: int,
    data_dir: Path | None,
    quick: bool = False,
    jobs: int = 1,
    on_result: Callable[[Result], None] | None = None,
    executor: Executor | None = None,
) -> list[Result]:
    """Run ``claims`` (in parallel when ``jobs > 1``, or on ``executor``); results come back in catalog
    order.  A task whose workers died twice, or that a cluster could not run, gives its claims an
    ``error`` result with the reason.  ``data_dir`` None: each worker uses its own
    :func:`certify.core.paths.data_dir` (on a cluster, the identity check makes sure it holds the same files)."""
    claims = list(claims)
    results: dict[str, Result] = {}
    tasks = plan(claims) if len(claims) > 1 else [[c.id for c in claims]]
    if executor is None:
        executor = make_executor(jobs, tasks=len(tasks))
    by_id = {c.id: c for c in claims}
    folder = None if data_dir is None else str(data_dir)

    def done(i: int, outcome: Any) -> None:
        if isinstance(outcome, TaskFailure):
            outcome = [_lost(by_id[cid], seed, outcome.reason) for cid in tasks[i]]
        for r in outcome:
            results[r.id] = r
            if on_result:
                on_result(r)

    if isinstance(executor, SerialExecutor):  # in this process: the claims' own objects, not the registry's
        here = data_dir if data_dir is not None else default_data_dir()
        for c in claims:
            done(0, [run_claim(c, seed, here, quick)])
    else:
        executor.map(_run_group, [(ids, seed, folder, quick) for ids in tasks], on_done=done)
    return [results[c.id] for c in claims]


def _lost(claim: Claim, global_seed: int, reason: str) -> Result:
    """The result of a claim whose task produced nothing: an error with the reason, never a verdict."""
    return Result(id=claim.id, title=claim.title, section=claim.section, method=claim.method.value,
                  status=Status.ERROR, margin=None, message=f"the claim did not run to the end: {reason}",
                  seconds=0.0, seed=claim_seed(global_seed, claim.id), evidence={"executor_failure": reason})


def workers(claims: list[Claim], jobs: int) -> int:
    """How many processes a run of ``claims`` with ``jobs`` actually keeps busy (1: run in this process)."""
    if jobs <= 1 or len(claims) <= 1:
        return 1
    return min(jobs, len(plan(claims)))


def plan(claims: list[Claim]) -> list[list[str]]:
    """The tasks of a parallel run: claims that share a per-process cache (``Claim.shares``) form one task,
    in catalog order, so the cache is filled once; tasks go longest first by ``Claim.cost`` (a long task
    never starts last; ties keep catalog order).  Each claim's own seed makes its result independent of
    the task it lands in."""
    groups: dict[str, list[Claim]] = {}
    for c in claims:
        groups.setdefault(c.shares or f"claim:{c.id}", []).append(c)
    tasks = sorted(groups.values(), key=lambda cs: -sum(c.cost for c in cs))
    return [[c.id for c in cs] for cs in tasks]


def _run_group(ids: list[str], global_seed: int, data_dir: str | None, quick: bool) -> list[Result]:
    """A task of a parallel run, in a worker process.  BLAS keeps its own thread count, as in a serial run:
    fewer threads would change the order of float sums, and so the last digits of enclosures, with --jobs."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    return [run_claim(REGISTRY[i], global_seed, folder, quick) for i in ids]


def store_results(results: list[Result], directory: Path) -> None:
    """Keep each claim's latest evidence for ``certify show`` (best effort)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for r in results:
            tmp = directory / f".{r.id}.json.tmp"
            tmp.write_text(jsonio.dumps(r.to_dict(), indent=2, sort_keys=True))
            os.replace(tmp, directory / f"{r.id}.json")
    except OSError as exc:  # a read-only directory must not break a run
        print(f"certify: warning: could not store results in {directory}: {exc}", file=sys.stderr)


def load_stored(claim_id: str, directory: Path) -> Result | None:
    p = directory / f"{claim_id}.json"
    if not p.is_file():
        return None
    try:
        d = jsonio.read(p)
        r = Result.from_dict(d)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InputError):
        return None
    typed = (isinstance(r.message, str) and isinstance(r.title, str) and isinstance(r.method, str)
             and isinstance(r.seconds, (int, float)) and not isinstance(r.seconds, bool)
             and (r.margin is None or isinstance(r.margin, (int, float)) and not isinstance(r.margin, bool))
             and isinstance(r.seed, int) and isinstance(r.evidence, dict)
             and (r.corrected is None or isinstance(r.corrected, dict)))
    return r if typed else None  # a damaged or hand-edited store is ignored, not shown
