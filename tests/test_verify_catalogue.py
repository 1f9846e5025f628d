"""The derivation catalogue: every entry reaches its expected status, says what its proof shows (its
scope), and every control flips: the perturbed conclusion, and each broken premise (a proof that
survives a broken premise never used it: a tautology).

The whole catalogue (claims and all controls) runs ONCE per session, in a session fixture, through the
same forked runner the command uses (limits in CPU seconds). The same run with two busy processes
beside it is in the `slow` tests.
"""

from __future__ import annotations

import multiprocessing as mp
import re
from pathlib import Path

import pytest

from dlstudy.sections import SECTION_IDS
from dlstudy.symbolic.core import SCOPES
from dlstudy.symbolic.runner import controls_ok, load_catalogue, run_claims, select

CAT = load_catalogue()
IDS = list(CAT)
CLAIMS_MD = Path("/work/shared/spec/claims.md")
NOTES = Path("/work/shared/notes/lecture-notes.txt")


@pytest.fixture(scope="session")
def results() -> dict[str, dict]:
    out = run_claims(select(), timeout=60.0, jobs=2, controls=True)
    return {r["id"]: r for r in out}


@pytest.mark.parametrize("cid", IDS)
def test_status_equals_expected(results, cid):
    r = results[cid]
    assert r["status"] == r["expected"], r["assertions"]
    if r["expected"] != "unclear":
        assert r["assertions"], "a claim without assertions checks nothing"


@pytest.mark.parametrize("cid", IDS)
def test_every_assertion_has_the_expected_outcome(results, cid):
    r = results[cid]
    want = {"refuted"} if r["expected"] == "refuted" else {"proven", "evidence"}
    bad = [a for a in r["assertions"] if a["outcome"] not in want]
    assert not bad, bad


@pytest.mark.parametrize("cid", [c for c in IDS if CAT[c].expected != "unclear"])
def test_negative_control_flips_every_assertion(results, cid):
    r = results[cid]
    ctl = r["control"]
    want = "proven" if r["expected"] == "refuted" else "refuted"
    assert ctl["status"] == want, ctl["assertions"]
    assert len(ctl["assertions"]) == len(r["assertions"])
    assert all(a["outcome"] == want for a in ctl["assertions"]), ctl["assertions"]


@pytest.mark.parametrize("cid", [c for c in IDS if CAT[c].scope in ("general", "instance")])
def test_every_broken_premise_is_refuted(results, cid):
    r = results[cid]
    if r["expected"] == "refuted":
        assert r["premise_controls"] == [], "an erratum refutes; its control is the correction"
        return
    assert r["premise_controls"], "a general or instance proof must name the premises it uses"
    for p in r["premise_controls"]:
        assert p["status"] == "refuted", (p["premise"], p["assertions"])
    assert controls_ok(r)


@pytest.mark.parametrize(
    "cid",
    ["td0", "bellman", "actor-critic-td", "q-update", "beta-vae", "rnn-vanish", "rnn-norm-bound"],
)
def test_the_former_tautologies_now_depend_on_their_premises(results, cid):
    """Issue 14 named these as checks that could not fail for the reason they claim."""
    r = results[cid]
    assert r["status"] == "proven" and len(r["premise_controls"]) >= 1
    assert all(p["status"] == "refuted" for p in r["premise_controls"])


def test_scopes_are_stated_and_evidence_is_rare(results):
    for cid, c in CAT.items():
        if c.expected == "unclear":
            assert c.scope == "none" and c.reading and not results[cid]["assertions"], cid
            continue
        assert c.scope in SCOPES, cid
        assert results[cid]["scope"] == c.scope
        if c.scope == "instance":
            assert c.case, f"{cid}: an instance says which special case"
    evidence = sum(r["status"] == "evidence" for r in results.values())
    assert evidence <= 0.1 * len(results)
    # no entry claims more than its proof shows: the overclaims are now instances or lemmas
    for cid in ("linear-ae-pca", "gan-lotus", "vi-update", "bptt", "logreg-nll"):
        assert CAT[cid].scope == "instance", cid
    assert "not the theorem" in CAT["uat"].kind


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_errata_quote_the_notes_verbatim():
    if not NOTES.exists():
        pytest.skip("notes not available")
    notes = _squash(NOTES.read_text(encoding="utf-8"))
    for cid, c in CAT.items():
        if c.is_notes_version:
            assert c.quote, f"{cid}: an erratum quotes the notes' line it is about"
            assert _squash(c.quote) in notes, f"{cid}: {c.quote!r} is not in the notes"


def test_true_lines_are_not_refuted_and_garbled_lines_are_unclear():
    # the notes' true implication, the valid subgradient rule, and the garbled lines (issue 14)
    assert "gan-proposition.notes" not in CAT and CAT["gan-proposition"].expected == "proven"
    for cid in ("maxpool-backward", "uat-step", "reinforce-baseline", "dqn-loss", "elbo"):
        assert CAT[f"{cid}.notes"].expected == "unclear", cid
    assert CAT["kl-nonneg.notes"].expected == "refuted"  # "always positive": D(P‖P) = 0
    assert CAT["kl-nonneg"].corrected.startswith("D_KL(P‖Q) ≥ 0")


def test_new_entries_exist():
    for cid in (
        "kl-nonneg.notes",
        "vae-reparam-gradient",
        "vae-score-gradient",
        "vgg-network",
        "vgg-network.notes",
        "googlenet-network",
        "googlenet-network.notes",
    ):
        assert cid in CAT, cid
    assert "iff" in CAT["gan-jsd"].statement


def test_catalogue_covers_claims_md():
    if not CLAIMS_MD.exists():
        pytest.skip("spec not available")
    ids = re.findall(r"^\| ([a-z0-9-]+) \|", CLAIMS_MD.read_text(), flags=re.M)
    ids = [i for i in ids if i != "id"]
    assert len(ids) >= 60
    assert sorted(set(ids) - set(CAT)) == []


def test_entries_are_well_formed():
    for cid, c in CAT.items():
        assert c.section in SECTION_IDS, cid
        assert c.statement and c.kind, cid
        assert c.expected in ("proven", "refuted", "evidence", "unclear"), cid
        if c.is_notes_version:
            assert c.expected in ("refuted", "unclear") and c.pair in CAT, cid
            assert CAT[c.pair].expected in ("proven", "evidence"), cid
            assert c.corrected or c.reading, cid


def test_wrong_as_written_claims_come_in_pairs():
    # every G / I verdict has the notes' line (refuted, or unclear with its reading) beside the
    # corrected one; 'incomplete' statements (q-update: ΔQ is never defined) have nothing to refute.
    for cid, c in CAT.items():
        if not c.is_notes_version and c.verdict in ("G", "I"):
            assert f"{cid}.notes" in CAT, cid
            assert c.corrected, cid


def test_selection_by_id_section_and_unknown():
    from dlstudy.errors import DlstudyError

    assert [c.id for c in select(["relu"])] == ["relu", "relu.notes"]
    assert [c.id for c in select(["relu.notes"])] == ["relu.notes"]
    assert {c.section for c in select(section="gan")} == {"gan"}
    with pytest.raises(DlstudyError, match="did you mean 'relu'"):
        select(["rel"])
    with pytest.raises(DlstudyError, match="unknown section"):
        select(section="gann")


def _spin_claim(c) -> None:
    n = 0
    while True:  # pure Python: only the CPU limit ends it
        n += 1


def test_cpu_limit_is_reported_as_timeout():
    from dlstudy.symbolic.core import Claim

    spin = Claim("spin", "activations", "spins", "", "nothing", "C", "proven", _spin_claim)
    out = run_claims([spin], timeout=0.2, jobs=1, controls=True)
    assert out[0]["status"] == "timeout" and "CPU limit" in out[0]["error"]


def test_timeout_is_validated():
    from dlstudy.errors import DlstudyError

    for bad in (0, -1, float("nan"), float("inf"), 1e9):
        with pytest.raises(DlstudyError, match="at most 600"):
            run_claims(select(["relu"]), timeout=bad)


# -- under CPU load -------------------------------------------------------------------------------
def _spin(stop) -> None:  # a busy process beside the catalogue
    n = 0
    while not stop.is_set():
        n += 1


@pytest.mark.slow
def test_catalogue_and_controls_under_load():
    """Two busy processes beside the catalogue and all its controls: limits count CPU seconds, so
    every status and every control is the same as on an idle machine (only later)."""
    ctx = mp.get_context("fork")
    stop = ctx.Event()
    busy = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(2)]
    for p in busy:
        p.start()
    try:
        out = run_claims(select(), timeout=60.0, jobs=2, controls=True)
    finally:
        stop.set()
        for p in busy:
            p.join(10)
            if p.is_alive():
                p.kill()
    bad = [
        (r["id"], r["status"]) for r in out if r["status"] != r["expected"] or not controls_ok(r)
    ]
    assert bad == []
