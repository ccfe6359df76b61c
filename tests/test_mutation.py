"""The short form of benchmarks/mutation_campaign.py: a fixed handful of mutants of the kernel and the
proofs, each of which must be killed, and checks that the mutator makes the change it reports.

The mutants are loaded in-process under their module's name (the installed modules stay untouched)
and judged by a targeted check; one goes through the campaign's own pipeline (a temporary copy of
the repository and ``python -m certify run`` in a subprocess)."""

from __future__ import annotations

import ast
import shutil
import sys
import types
from pathlib import Path

import pytest
import sympy as sp
from flint import arb, fmpq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import mutation_campaign as mc  # noqa: E402

from certify.kernel.verdict import Status  # noqa: E402


def _mutant(path: str, mutant_id: str) -> mc.Mutant:
    found = [m for m in mc.enumerate_mutants(path) if m.id == mutant_id]
    assert found, f"no mutant {mutant_id} in {path}: the module changed, pick another mutant here"
    return found[0]


def _load(path: str, mutant_id: str) -> types.ModuleType:
    """The mutated module, executed in a fresh module object under the real module's name."""
    source = mc.mutate((ROOT / path).read_text(), _mutant(path, mutant_id))
    module = types.ModuleType(path[:-3].replace("/", "."))
    module.__file__ = str(ROOT / path)
    exec(compile(source, str(ROOT / path), "exec"), module.__dict__)  # noqa: S102 - our own source
    return module


def _not_proved(v) -> bool:
    return not (v.status is Status.PROVED or (v.status is Status.ERRATUM and v.corrected.status is Status.PROVED))


# --- kernel mutants -----------------------------------------------------------------------------------

def test_compare_le_boundary_is_killed():
    m = _load("certify/kernel/compare.py", "certify/kernel/compare.py::compare_le::<= -> <#0")
    assert m.compare_le(fmpq(1), fmpq(1)) is not m.Truth.TRUE  # 1 <= 1 is no longer TRUE: killed


def test_compare_eq_certain_inequality_is_killed():
    m = _load("certify/kernel/compare.py", "certify/kernel/compare.py::compare_eq::not x -> x#0")
    assert m.compare_eq(arb(1), arb(2)) is not m.Truth.FALSE  # disjoint balls no longer certainly unequal


def test_from_comparison_status_is_killed():
    m = _load("certify/kernel/verdict.py", "certify/kernel/verdict.py::from_comparison::is -> is not#0")
    assert m.from_comparison(fmpq(3), fmpq(2), "3 <= 2").status is m.Status.CERTIFIED  # 3 <= 2 certified


def test_qsqrt2_sign_is_killed():
    m = _load("certify/kernel/quadratic.py", "certify/kernel/quadratic.py::QSqrt2.sign::2 -> 3#0")
    assert m.QSqrt2(3, -2).sign() == -1  # 3 - 2 sqrt 2 > 0, the mutant says negative


def test_exact_relu_is_killed():
    import numpy as np

    m = _load("certify/kernel/arith.py", "certify/kernel/arith.py::_Exact.relu::0 -> 1#0")
    out = m.EXACT.relu(np.array([fmpq(-1), fmpq(1, 2)], dtype=object))
    assert list(out) != [fmpq(0), fmpq(1, 2)]


# --- proofs mutants -----------------------------------------------------------------------------------

def test_is_zero_mutant_proves_a_false_identity():
    m = _load("certify/kernel/symbolic.py", "certify/kernel/symbolic.py::is_zero::== -> !=#0")
    assert m.Ledger().identity("x + 1 = 0", sp.Symbol("x") + 1)  # the mutant proves a falsehood: killed


def test_log_step_mutant_is_killed():
    m = _load("proofs/appendix_a5_weak_control.py", "proofs/appendix_a5_weak_control.py::verify_log_step::+ -> -#0")
    assert m.check_prop34_steps().status is not Status.PROVED


def test_am_gm_mutant_is_killed():
    m = _load("proofs/section4_optimal_speed.py", "proofs/section4_optimal_speed.py::am_gm_three::3 -> 4#0")
    assert _not_proved(m.check_reduction())


def test_campaign_pipeline_kills_a_proofs_mutant():
    """A mutant of Lemma A.7's module through the campaign's own killer: a copy, a subprocess, the JSON report."""
    path = "proofs/appendix_a7_perron.py"
    mutant = _mutant(path, "proofs/appendix_a7_perron.py::verify_absolute_value_step::True -> False#0")
    copy_root = mc.make_copy()
    try:
        baseline = mc.baseline_of(path, copy_root, 120)
        assert baseline["statuses"] == {"lemma-a7": ("proved", None),
                                        "lemma-a7.proof-equations": ("erratum", "proved")}
        (copy_root / path).write_text(mc.mutate((ROOT / path).read_text(), mutant))
        outcome, detail = mc.run_killer(path, copy_root, 120, baseline)
        assert outcome == "killed", detail
        assert "lemma-a7" in detail
    finally:
        shutil.rmtree(copy_root, ignore_errors=True)
    assert (ROOT / path).read_text() != mc.mutate((ROOT / path).read_text(), mutant)  # never applied in place


# --- the mutator --------------------------------------------------------------------------------------

def _node(tree: ast.AST, index: int) -> ast.AST:
    return [n for n, *_ in mc._walk(tree)][index]


def _check_reported_change(path: str, m: mc.Mutant) -> None:
    source = (ROOT / path).read_text()
    before = ast.parse(source)
    after = ast.parse(mc.mutate(source, m))
    old, new = _node(before, m.index), _node(after, m.index)
    target = m.change.split(" -> ", 1)[1] if " -> " in m.change else None
    if m.kind == "compare":
        ops = [mc._SYMBOL[type(o)] for o in new.ops]
        assert [mc._SYMBOL[type(o)] for o in old.ops] != ops and target in ops, m.id
    elif m.kind in ("binop", "boolop"):
        assert mc._SYMBOL[type(old.op)] == m.change.split(" -> ")[0] and mc._SYMBOL[type(new.op)] == target, m.id
    elif m.kind == "augassign":
        assert mc._SYMBOL[type(new.op)] + "=" == target, m.id
    elif m.kind in ("constant", "bool"):
        assert repr(old.value) == m.change.split(" -> ")[0] and repr(new.value) == target, m.id
    elif m.kind == "unary":
        assert isinstance(old, ast.UnaryOp) and ast.dump(new) == ast.dump(old.operand), m.id
    elif m.kind == "return-branch":
        assert isinstance(new, ast.If) and isinstance(new.test, ast.Constant) and new.test.value is False, m.id
    elif m.kind == "exponent":
        assert isinstance(new.right, ast.BinOp) and ast.dump(new.right.left) == ast.dump(old.right), m.id
        assert isinstance(new.right.op, ast.Add) and new.right.right.value == 1, m.id
    else:  # pragma: no cover
        raise AssertionError(f"unknown kind {m.kind}")
    assert ast.dump(before) != ast.dump(after)


@pytest.mark.parametrize("path", ["certify/kernel/compare.py", "proofs/appendix_a7_perron.py",
                                  "proofs/section2_expansion.py"])
def test_mutator_makes_the_change_it_reports(path):
    mutants = mc.enumerate_mutants(path)
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:
        _check_reported_change(path, m)


def test_every_kind_of_mutation_is_produced():
    kinds = {m.kind for p in ("certify/kernel/compare.py", "proofs/section2_gradient_flow.py",
                              "certify/kernel/arith.py", "proofs/appendix_a8_theorem.py")
             for m in mc.enumerate_mutants(p)}
    assert kinds >= {"compare", "binop", "constant", "unary", "boolop", "bool", "return-branch", "exponent"}


def test_mutator_leaves_text_alone():
    """f-strings and + on string literals are messages, not mathematics: no mutant there."""
    tree = ast.parse('x = f"{a + 1}" + "b"\ny = "c" + z\nw = a + 1\n')
    kinds = [k for n, *_ in mc._walk(tree) for k, *_ in mc._mutations(n)]
    assert kinds == ["binop", "constant"]  # only w = a + 1


def test_sample_is_deterministic():
    modules = ["certify/kernel/compare.py", "proofs/appendix_a7_perron.py"]
    a = [m.id for m in mc.select(modules, 5, 3)]
    assert a == [m.id for m in mc.select(modules, 5, 3)]
    assert a != [m.id for m in mc.select(modules, 5, 4)]
    assert len(a) == 10
