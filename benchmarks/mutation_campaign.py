"""Mutation campaign over the symbolic proofs (``proofs/``) and the trusted kernel (``certify/kernel/``).

A mutant is the module's source with one small change that alters its mathematics: a comparison
flipped (``<`` to ``<=``, ``<`` to ``>=``, ``==`` to ``!=``), an arithmetic operator swapped (``+``/``-``,
``*``/``/``), an integer or float constant moved (``n`` to ``n + 1``, ``x`` to ``2 x``), a unary minus or a
``not`` dropped, ``and``/``or`` swapped, ``True``/``False`` swapped, a branch that returns made dead
(its test replaced by ``False``) or an exponent raised by one.  The mutator walks the module's AST
in a fixed order and writes the mutated module back with ``ast.unparse``; string formatting (f-strings,
``+`` on string literals) and type annotations are left alone.

Each mutant is applied in a temporary copy of the repository (``certify/``, ``proofs/``, ``tests/``,
``data/``, ``pyproject.toml``), never in place, and judged by a fast killer run in a subprocess with
PYTHONPATH set to the copy:

* a ``proofs/`` module: ``python -m certify run <the claims it backs> --json F``; the mutant is killed
  when the exit status or any claim's status (or its corrected status) differs from the unmutated
  run; otherwise the tests of ``tests/test_proofs_ties.py`` that concern the module run (the
  false-object tests, selected with ``TIES_SELECTION``) and a failure kills it;
* a ``certify/kernel/`` module: ``pytest -x -q`` on the kernel tests (test_kernel, test_enclosures,
  test_kernel_mutants, test_soundness) and then ``tests/test_optimum.py -k certificate``.

The unmutated copy is run first (the claims' statuses; the kernel tests must pass).  A run that
exceeds the per-mutant timeout is reported as killed by timeout, separately.  A mutant's id is
``path::scope::change#k`` (k counts the same change in the same function), stable under edits
elsewhere in the module.  Mutants listed in ``EQUIVALENT`` (same mathematics, with the reason)
leave the score's denominator.

    python benchmarks/mutation_campaign.py [--module PATH ...] [--sample N --seed S] [--jobs N]
                                           [--json FILE] [--list] [--timeout SECONDS]
                                           [--id ID ...] [--survivors-of REPORT.json]

``--sample N`` takes at most N mutants of each module, drawn with ``random.Random(f"{S}:{path}")``
from the mutants sorted by id, so a seed always gives the same mutants; results are printed in id
order.  ``--survivors-of`` re-runs the survivors of an earlier ``--json`` report.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
TARGET_DIRS = ("proofs", "certify/kernel")
#: the kernel module that decides sympy identities: its mutants are judged like a proofs module's
SYMBOLIC = "certify/kernel/symbolic.py"
COPIED = ("certify", "proofs", "tests", "data", "pyproject.toml")

KERNEL_TESTS = (
    ["tests/test_kernel.py", "tests/test_enclosures.py", "tests/test_normwise.py", "tests/test_kernel_mutants.py",
     "tests/test_soundness.py"],
    ["tests/test_optimum.py", "-k", "certificate"],
    ["tests/test_speed_tree_soundness.py", "tests/test_speed_invariant.py", "tests/test_plateau_example1.py"],
    ["tests/test_optimum_branch.py", "tests/test_optimum_cones.py"],
)
PROOF_TESTS = ["tests/test_proofs_ties.py"]
#: a proofs module's own test file, run after the false-object tests (the claims' statuses are compared first)
OWN_TESTS = {
    "appendix_a4_depth": "tests/test_proofs_depth.py",
    "section5_plateau": "tests/test_proofs_depth.py tests/test_plateau_linear_converse.py tests/test_plateau_example1.py",
    "section5_depth_reduction": "tests/test_proofs_depth_reduction.py",
    "section4_branch_bound": "tests/test_proofs_branch_bound.py",
    "appendix_a6_strong_control": "tests/test_proofs_a6_steps.py",
    "section3_chain": "tests/test_proofs_chain.py",
    "example1_footnote1": "tests/test_proofs_passing.py",
    "section2_origin": "tests/test_proofs_passing.py",
    "section2_passing": "tests/test_proofs_passing.py",
}
#: the tests of tests/test_proofs_ties.py that concern a proofs module (pytest -k); a module not listed runs them all
TIES_SELECTION = {
    "appendix_a1_homogeneity": "a1",
    "appendix_a4_depth": "a4",
    "appendix_a5_weak_control": "a5",
    "appendix_a6_strong_control": "a6",
    "appendix_a7_perron": "a7",
    "appendix_a8_theorem": "a8 or to_arb",
    "example1": "example1",
    "followup_activations": "activations",
    "followup_imbalance": "homogeneity or region or sandwich or imbalance or balanced",
    "section2_escape_directions": "def21 or escape_directions",
    "section2_expansion": "eq1 or expansion",
    "section2_gradient_flow": "q_time or prop22 or width_one or escape_bound or escape_counterexample or prop_a1",
    "section4_optimal_speed": "relu_lower or section4",
}

#: mutants whose mathematics is unchanged, by id, with the reason (they leave the score's denominator)
EQUIVALENT: dict[str, str] = {
    "certify/kernel/compare.py::nearest_float::> -> >=#0":
        "in the OverflowError branch q != 0 (0 never overflows), so q > 0 and q >= 0 agree",
    "certify/kernel/arith.py::_Ball.scalar::8 -> 9#0":
        "numpy float item sizes are 2, 4, 8, 12 or 16 bytes: itemsize > 8 and itemsize > 9 agree on every one",
    "certify/kernel/enclose.py::perron_vector::0 -> 1#1":
        "perron_vector is an untrusted witness (any x > 0 gives a valid Collatz-Wielandt bound); the guard only "
        "decides whether to rescale |B| before the power iteration",
    "certify/kernel/speed_certificate.py::parse_certificate::** e -> ** (e + 1) [e = neg]#0":
        "a resource guard: it moves the size above which a depth-3 certificate is refused, never a verdict on "
        "one that is checked",
    "certify/kernel/symbolic.py::_sample_value::* -> /#1":
        "k + 3 divided instead of multiplied by +-1: the same sample point",
    "certify/kernel/symbolic.py::_sample_value::1 -> 2#1":
        "another sample point for the quick refusal of false identities; a zero expression is 0 at every point, "
        "so is_zero's answer does not change (the exact fallback decides)",
    "proofs/appendix_a1_homogeneity.py::induction_steps::True -> False#8":
        "drops real=True from the 0/1 pattern symbols of a polynomial identity, which holds over C as well",
    "proofs/appendix_a1_homogeneity.py::negative_scale_counterexample::* -> /#2":
        "lam * 1 -> lam / 1: the same number",
    "proofs/appendix_a4_depth.py::verify_rescaling::True -> False#1":
        "drops positive=True from the degree D: sqrt(M/m)^D = (M/m)^(D/2) holds for every D when M/m > 0",
    "proofs/followup_activations.py::verify_taylor_formula::True -> False#0":
        "drops real=True from the Taylor coefficients of a polynomial identity, which holds over C as well",
    "proofs/followup_imbalance.py::_concrete::2 -> 3#1":
        "another polynomial for sigma in the exact instance that refutes false identities; an identity is "
        "proved only by reduction to zero, and the mixed-pattern instance does not involve sigma",
    "proofs/section2_escape_directions.py::speed_is_forced::True -> False#1":
        "drops real=True from the multiplier lambda of a polynomial identity, which holds over C as well",
    "proofs/section2_expansion.py::verify_expansion::True -> False#3":
        "subs y -> t y one symbol at a time: each replacement holds only its own symbol, so the result is the same",
    "proofs/followup_imbalance.py::<module>::True -> False#0":
        "drops real=True from the dummy variable x of sigma'(x) at x = z: the derivative is the same",
    "proofs/followup_imbalance.py::check_scalar_ode::3 -> 4#2":
        "checks the product reduction at (depth 5, r = 4) instead of (5, 3): another instance of the same identity",
    "proofs/section2_escape_directions.py::<module>::True -> False#0":
        "drops positive=True from eps: the one-sided signs are read off the coefficients, never off eps",
    "proofs/section2_expansion.py::verify_expansion::True -> False#1":
        "drops real=True from t in a polynomial identity, which holds over C as well",
}


# --- the mutator ---------------------------------------------------------------------------------

_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_NEGATE = {ast.Lt: ast.GtE, ast.LtE: ast.Gt, ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
           ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
           ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.And: "and", ast.Or: "or"}
_SKIPPED_FIELDS = {"annotation", "returns", "type_comment", "format_spec"}


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the repository root
    index: int  # position of the mutated node in the walk order of the module
    choice: int  # which of the node's mutations
    line: int
    scope: str  # enclosing function or class (qualified), "<module>" at top level
    kind: str  # compare, binop, augassign, constant, unary, boolop, bool, return-branch, exponent
    change: str  # e.g. "< -> <="
    id: str = ""  # path::scope::change#k, stable under edits elsewhere in the module


@dataclass
class Result:
    mutant: Mutant
    outcome: str  # killed, survived, timeout, equivalent, error
    seconds: float
    detail: str = ""


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.AST | None, str, int | None, str]]:
    """(node, parent, field, position in the field's list, scope), depth first, fields in AST order.

    Skips annotations, docstrings and everything inside f-strings (messages, not mathematics)."""

    def visit(node: ast.AST, parent: ast.AST | None, fld: str, pos: int | None, scope: str):
        if isinstance(node, ast.JoinedStr):
            return
        yield node, parent, fld, pos, scope
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = node.name if scope == "<module>" else f"{scope}.{node.name}"
        for name, value in ast.iter_fields(node):
            if name in _SKIPPED_FIELDS:
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        if (name == "body" and i == 0 and isinstance(item, ast.Expr)
                                and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)):
                            continue  # a docstring
                        yield from visit(item, node, name, i, inner)
            elif isinstance(value, ast.AST):
                yield from visit(value, node, name, None, inner)

    yield from visit(tree, None, "", None, "<module>")


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))


def _replace(parent: ast.AST, fld: str, pos: int | None, new: ast.AST) -> None:
    if pos is None:
        setattr(parent, fld, new)
    else:
        getattr(parent, fld)[pos] = new


Apply = Callable[[ast.AST, ast.AST, str, int | None], None]


def _mutations(node: ast.AST) -> list[tuple[str, str, Apply]]:
    """The mutations of one node: (kind, change, apply(node, parent, field, pos))."""
    out: list[tuple[str, str, Apply]] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table in (_BOUNDARY, _NEGATE):
                new = table.get(type(op))
                if new is not None:
                    def apply(n, p, f, k, i=i, new=new):
                        n.ops[i] = new()
                    out.append(("compare", f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}", apply))
    elif isinstance(node, ast.BinOp):
        new = _SWAP.get(type(node.op))
        text = _is_text(node.left) or _is_text(node.right)
        if new is not None and not text:
            def apply(n, p, f, k, new=new):
                n.op = new()
            out.append(("binop", f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}", apply))
        if isinstance(node.op, ast.Pow) and not (isinstance(node.right, ast.Constant)
                                                  and type(node.right.value) in (int, float)):
            def apply(n, p, f, k):
                n.right = ast.BinOp(left=n.right, op=ast.Add(), right=ast.Constant(1))
            out.append(("exponent", f"** e -> ** (e + 1) [e = {ast.unparse(node.right)}]", apply))
    elif isinstance(node, ast.AugAssign):
        new = _SWAP.get(type(node.op))
        if new is not None and not _is_text(node.value):
            def apply(n, p, f, k, new=new):
                n.op = new()
            out.append(("augassign", f"{_SYMBOL[type(node.op)]}= -> {_SYMBOL[new]}=", apply))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        what = "-x -> x" if isinstance(node.op, ast.USub) else "not x -> x"

        def apply(n, p, f, k):
            _replace(p, f, k, n.operand)
        out.append(("unary", what, apply))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And

        def apply(n, p, f, k, new=new):
            n.op = new()
        out.append(("boolop", f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}", apply))
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            def apply(n, p, f, k):
                n.value = not n.value
            out.append(("bool", f"{v} -> {not v}", apply))
        elif isinstance(v, int):
            def apply(n, p, f, k):
                n.value = n.value + 1
            out.append(("constant", f"{v} -> {v + 1}", apply))
        elif isinstance(v, float):
            new_v = 2 * v if v != 0 else 1.0

            def apply(n, p, f, k, new_v=new_v):
                n.value = new_v
            out.append(("constant", f"{v!r} -> {new_v!r}", apply))
    elif isinstance(node, ast.If) and any(isinstance(s, ast.Return) for s in node.body):
        def apply(n, p, f, k):
            n.test = ast.Constant(False)
        out.append(("return-branch", f"if {ast.unparse(node.test)[:50]}: return ... dropped", apply))
    return out


def _unparse(tree: ast.AST) -> str:
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def mutate(source: str, mutant: Mutant) -> str:
    """The source of ``mutant``: the original parsed again, the node at ``mutant.index`` changed."""
    tree = ast.parse(source)
    for idx, (node, parent, fld, pos, _scope) in enumerate(_walk(tree)):
        if idx == mutant.index:
            kind, change, apply = _mutations(node)[mutant.choice]
            if (kind, change) != (mutant.kind, mutant.change):
                raise RuntimeError(f"mutant {mutant.id} does not match the source any more")
            before = _unparse(tree)
            apply(node, parent, fld, pos)
            after = _unparse(tree)
            if after == before:
                raise RuntimeError(f"mutant {mutant.id} leaves the module unchanged")
            return after
    raise RuntimeError(f"no node {mutant.index} in {mutant.path}")


def enumerate_mutants(path: str, root: Path = ROOT) -> list[Mutant]:
    """Every mutant of the module at ``path`` (relative to ``root``), in walk order.

    Each node's mutations differ from each other and from the original by construction (an operator
    replaced by another, a constant moved, a node removed); :func:`mutate` checks it again when a
    mutant is written."""
    tree = ast.parse((root / path).read_text())
    counts: dict[str, int] = {}
    out = []
    for idx, (node, _p, _f, _k, scope) in enumerate(_walk(tree)):
        for choice, (kind, change, _apply) in enumerate(_mutations(node)):
            base = f"{path}::{scope}::{change}"
            k = counts.get(base, 0)
            counts[base] = k + 1
            out.append(Mutant(path, idx, choice, getattr(node, "lineno", 0), scope, kind, change, f"{base}#{k}"))
    return out


def target_modules(root: Path = ROOT) -> list[str]:
    return sorted(str(p.relative_to(root)) for d in TARGET_DIRS for p in (root / d).glob("*.py"))


# --- which claims a proofs module backs ----------------------------------------------------------


def claims_of(path: str, root: Path = ROOT) -> list[str]:
    """Claim ids whose check lives in ``path`` or in a proofs module importing it (all of them for the
    kernel's symbolic module, which every proofs module uses)."""
    from certify.gate.catalog import CATALOG

    symbolic = [c for c in CATALOG if c.check and c.check.startswith("certify.proofs.")]
    stem = Path(path).stem
    if path == SYMBOLIC or stem == "__init__":
        return [c.id for c in symbolic]
    users = {stem}
    for other in (root / "proofs").glob("*.py"):
        text = other.read_text()
        if re.search(rf"from certify\.proofs\.{stem} import|from certify\.proofs import .*\b{stem}\b|"
                     rf"import certify\.proofs\.{stem}\b", text):
            users.add(other.stem)
    return [c.id for c in symbolic if c.check.split(":")[0].split(".")[-1] in users]


# --- running the killers ---------------------------------------------------------------------------


def _env(copy_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(copy_root), PYTHONDONTWRITEBYTECODE="1", CI="1", PYTHONHASHSEED="0")
    return env


def _statuses(report: Path) -> dict[str, tuple[str, str | None]]:
    doc = json.loads(report.read_text())
    return {c["id"]: (c["status"], (c.get("corrected") or {}).get("status")) for c in doc["claims"]}


def _run(cmd: list[str], cwd: Path, timeout: float) -> tuple[int | None, str]:
    try:
        p = subprocess.run(cmd, cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return p.returncode, (p.stdout + p.stderr)[-400:]


def run_killer(path: str, copy_root: Path, timeout: float, baseline: dict[str, Any] | None) -> tuple[str, str]:
    """('killed' | 'survived' | 'timeout', detail) for the module as it now is in ``copy_root``."""
    deadline = time.monotonic() + timeout
    if path.startswith("proofs/") or path == SYMBOLIC:  # the symbolic kernel is killed by the proofs' claims
        ids = claims_of(path, copy_root)
        report = copy_root / "mutant-report.json"
        report.unlink(missing_ok=True)
        rc, out = _run([sys.executable, "-m", "certify", "run", *ids, "--json", str(report)], copy_root, timeout)
        if rc is None:
            return "timeout", "certify run"
        got = _statuses(report) if report.exists() else None
        if baseline is not None:
            changed = sorted(k for k in baseline["statuses"] if (got or {}).get(k) != baseline["statuses"][k])
            if rc != baseline["rc"] or changed:
                return "killed", (f"certify run exit {rc} (unmutated {baseline['rc']}); "
                                  f"status changed: {', '.join(changed) or 'none'}")
        elif rc != 0 or got is None:
            return "killed", f"certify run exit {rc}"
        selection = TIES_SELECTION.get(Path(path).stem)
        suites = [PROOF_TESTS + (["-k", selection] if selection else [])] if (copy_root / PROOF_TESTS[0]).exists() else []
        own = OWN_TESTS.get(Path(path).stem)
        own_files = [f for f in (own or "").split() if (copy_root / f).exists()]
        if own_files:
            suites.append(own_files)
    else:
        suites = [s for s in KERNEL_TESTS if (copy_root / s[0]).exists()]
        suites = [[f for f in s if not f.startswith("tests/") or (copy_root / f).exists()] for s in suites]
    for suite in suites:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", "tests"
        rc, out = _run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *suite], copy_root, left)
        if rc is None:
            return "timeout", " ".join(suite)
        if rc not in (0, 5):  # 5: the selection holds no test
            line = next((x for x in out.splitlines() if x.startswith("FAILED") or "Error" in x), out[-120:])
            return "killed", f"{' '.join(suite)}: {line.strip()[:160]}"
    return "survived", ""


def make_copy(root: Path = ROOT) -> Path:
    dest = Path(tempfile.mkdtemp(prefix="certify-mutant-"))
    for name in COPIED:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    # proofs/ installs as certify.proofs (pyproject's package-dir); in the copy, a link makes
    # certify.proofs the copy's proofs/, so an editable install of the original cannot shadow a mutant
    (dest / "certify" / "proofs").symlink_to(dest / "proofs", target_is_directory=True)
    return dest


def baseline_of(path: str, copy_root: Path, timeout: float) -> dict[str, Any] | None:
    """The unmutated run of a proofs module's claims (rc and statuses); None for kernel modules."""
    if not path.startswith("proofs/"):
        for suite in KERNEL_TESTS:
            files = [f for f in suite if not f.startswith("tests/") or (copy_root / f).exists()]
            rc, out = _run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *files],
                           copy_root, 4 * timeout)
            if rc not in (0, 5):
                raise RuntimeError(f"the unmutated kernel tests fail ({' '.join(files)}): {out}")
        return None
    report = copy_root / "baseline-report.json"
    rc, out = _run([sys.executable, "-m", "certify", "run", *claims_of(path, copy_root), "--json", str(report)],
                   copy_root, timeout)
    if rc is None or not report.exists():
        raise RuntimeError(f"the unmutated claims of {path} did not run: {out}")
    return {"rc": rc, "statuses": _statuses(report)}


def run_campaign(mutants: list[Mutant], jobs: int, timeout: float, progress: bool = True) -> list[Result]:
    todo: "queue.Queue[Mutant]" = queue.Queue()
    for m in mutants:
        todo.put(m)
    results: list[Result] = []
    lock = threading.Lock()
    baselines: dict[str, Any] = {}
    sources = {p: (ROOT / p).read_text() for p in {m.path for m in mutants}}

    def worker() -> None:
        copy_root = make_copy()
        try:
            while True:
                try:
                    m = todo.get_nowait()
                except queue.Empty:
                    return
                start = time.monotonic()
                if m.id in EQUIVALENT:
                    res = Result(m, "equivalent", 0.0, EQUIVALENT[m.id])
                else:
                    group = m.path if m.path.startswith("proofs/") else str(Path(m.path).parent)
                    with lock:
                        if group not in baselines:
                            baselines[group] = baseline_of(m.path, copy_root, timeout)
                    target = copy_root / m.path
                    try:
                        target.write_text(mutate(sources[m.path], m))
                        outcome, detail = run_killer(m.path, copy_root, timeout, baselines[group])
                    except Exception as exc:  # noqa: BLE001 - reported, never hidden
                        outcome, detail = "error", repr(exc)
                    finally:
                        target.write_text(sources[m.path])
                    res = Result(m, outcome, round(time.monotonic() - start, 2), detail)
                with lock:
                    results.append(res)
                    if progress:
                        print(f"[{len(results)}/{len(mutants)}] {res.outcome:<10} {res.seconds:6.1f}s {m.path}:{m.line} {m.id}",
                              file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(copy_root, ignore_errors=True)

    threads = [threading.Thread(target=worker) for _ in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results, key=lambda r: r.mutant.id)


# --- reporting ---------------------------------------------------------------------------------------


def summarise(results: list[Result]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        for key in (r.mutant.path, str(Path(r.mutant.path).parent), "total"):
            row = rows.setdefault(key, {"mutants": 0, "killed": 0, "timeout": 0, "survived": 0,
                                        "equivalent": 0, "error": 0})
            row["mutants"] += 1
            row[r.outcome] += 1
    for row in rows.values():
        denominator = row["mutants"] - row["equivalent"]
        row["score"] = round((row["killed"] + row["timeout"]) / denominator, 4) if denominator else None
    return rows


def print_table(results: list[Result]) -> None:
    rows = summarise(results)
    head = f"{'module':<44} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8} {'equiv':>5} {'error':>5} {'score':>6}"
    print(head)
    print("-" * len(head))
    modules = sorted(k for k in rows if k.endswith(".py"))
    dirs = sorted(k for k in rows if not k.endswith(".py") and k != "total")
    for key in modules + dirs + ["total"]:
        row = rows[key]
        score = "-" if row["score"] is None else f"{100 * row['score']:.1f}%"
        print(f"{key:<44} {row['mutants']:>7} {row['killed']:>6} {row['timeout']:>7} {row['survived']:>8} "
              f"{row['equivalent']:>5} {row['error']:>5} {score:>6}")
    survivors = [r for r in results if r.outcome in ("survived", "error")]
    if survivors:
        print(f"\nsurvivors ({len(survivors)}):")
        for r in survivors:
            m = r.mutant
            print(f"  {m.path}:{m.line} [{m.kind}] {m.change}  ({m.id}){'  ' + r.detail if r.detail else ''}")


def select(modules: list[str], sample: int | None, seed: int) -> list[Mutant]:
    chosen: list[Mutant] = []
    for path in modules:
        ms = sorted(enumerate_mutants(path), key=lambda m: m.id)
        if sample is not None and sample < len(ms):
            ms = sorted(random.Random(f"{seed}:{path}").sample(ms, sample), key=lambda m: m.id)
        chosen.extend(ms)
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", action="append", help="a module to mutate (repeatable); default: all targets")
    ap.add_argument("--sample", type=int, help="at most N mutants per module, drawn with --seed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant before it counts as killed "
                                                                 "by timeout")
    ap.add_argument("--json", dest="json_file", help="write every result as JSON")
    ap.add_argument("--list", action="store_true", help="list the selected mutants and exit")
    ap.add_argument("--id", action="append", dest="ids", help="run only this mutant id (repeatable)")
    ap.add_argument("--survivors-of", help="run only the mutants that survived in this earlier --json report")
    args = ap.parse_args(argv)
    modules = args.module or target_modules()
    for p in modules:
        if not (ROOT / p).is_file():
            ap.error(f"no module {p} (give a path relative to {ROOT})")
    mutants = select(modules, args.sample, args.seed)
    wanted = set(args.ids or [])
    if args.survivors_of:
        wanted |= {r["id"] for r in json.loads(Path(args.survivors_of).read_text())["results"]
                   if r["outcome"] in ("survived", "error")}
    if wanted:
        known = {m.id: m for path in modules for m in enumerate_mutants(path)}
        missing = sorted(wanted - set(known))
        if missing:
            print(f"unknown mutant ids (the module changed?): {missing}", file=sys.stderr)
        mutants = [known[i] for i in sorted(wanted) if i in known]
    if args.list:
        for m in mutants:
            print(f"{m.path}:{m.line} [{m.kind}] {m.change}  ({m.id})")
        return 0
    start = time.monotonic()
    results = run_campaign(mutants, args.jobs, args.timeout)
    elapsed = time.monotonic() - start
    print_table(results)
    print(f"\n{len(results)} mutants in {elapsed:.0f} s (jobs {args.jobs}, seed {args.seed}, "
          f"sample {args.sample if args.sample is not None else 'all'})")
    if args.json_file:
        doc = {"schema_version": 1, "seed": args.seed, "sample": args.sample, "jobs": args.jobs,
               "seconds": round(elapsed, 1), "summary": summarise(results),
               "results": [{**asdict(r.mutant), "outcome": r.outcome, "seconds": r.seconds, "detail": r.detail}
                           for r in results]}
        Path(args.json_file).write_text(json.dumps(doc, indent=1))
    return 0 if all(r.outcome != "error" for r in results) else 3


if __name__ == "__main__":
    sys.exit(main())
