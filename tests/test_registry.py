import importlib

from certify.gate.registry import CATALOG, PAPER_CLAIMS, REGISTRY
from certify.kernel.verdict import Evidence


def test_catalog_covers_the_manifest_exactly():
    covered = {c.paper_ref for c in CATALOG}
    assert covered == set(PAPER_CLAIMS), (
        f"missing: {sorted(set(PAPER_CLAIMS) - covered)}, unknown: {sorted(covered - set(PAPER_CLAIMS))}"
    )


def test_ids_are_unique_and_indexed():
    ids = [c.id for c in CATALOG]
    assert len(ids) == len(set(ids)) == len(REGISTRY)


def test_every_check_resolves_to_a_function():
    for c in CATALOG:
        if c.check is not None:
            module, _, func = c.check.partition(":")
            assert callable(getattr(importlib.import_module(module), func)), c.id
        else:
            assert c.pending, c.id


def test_first_slice_is_checked_not_pending():
    for cid in ("a1.homogeneity", "a1.homogeneity.instances", "section2.1.euler", "section2.1.euler.instances",
                "lemma-a4", "lemma-a4.instances"):
        assert REGISTRY[cid].check is not None
    assert REGISTRY["a1.homogeneity"].method is Evidence.SYMBOLIC
    assert REGISTRY["lemma-a4.instances"].method is Evidence.INTERVAL


def test_ids_extend_their_paper_reference():
    for c in CATALOG:
        assert c.id == c.paper_ref or c.id.startswith(c.paper_ref + "."), c.id


def test_readme_lists_every_claim():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    missing = [c.id for c in CATALOG if f"`{c.id}`" not in readme]
    assert not missing, f"README's claims table lacks {missing}"
