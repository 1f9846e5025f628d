"""The derivation catalogue: every entry reaches its expected status and every negative control flips.

The whole catalogue (claims and their controls) runs ONCE, in a module fixture, through the same
forked runner the command uses. A check that cannot fail (or, for a notes-as-written entry, cannot
succeed) shows up here as a control that did not flip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlstudy.sections import SECTION_IDS
from dlstudy.symbolic.runner import load_catalogue, run_claims, select

CAT = load_catalogue()
IDS = list(CAT)
CLAIMS_MD = Path("/work/shared/spec/claims.md")


@pytest.fixture(scope="session")
def results() -> dict[str, dict]:
    out = run_claims(select(), timeout=20.0, jobs=2, controls=True)
    return {r["id"]: r for r in out}


@pytest.mark.parametrize("cid", IDS)
def test_status_equals_expected(results, cid):
    r = results[cid]
    assert r["status"] == r["expected"], r["assertions"]
    assert r["assertions"], "a claim without assertions checks nothing"


@pytest.mark.parametrize("cid", IDS)
def test_every_assertion_has_the_expected_outcome(results, cid):
    r = results[cid]
    want = {"refuted"} if r["expected"] == "refuted" else {"proven", "evidence"}
    bad = [a for a in r["assertions"] if a["outcome"] not in want]
    assert not bad, bad


@pytest.mark.parametrize("cid", IDS)
def test_negative_control_flips_every_assertion(results, cid):
    r = results[cid]
    ctl = r["control"]
    want = "proven" if r["expected"] == "refuted" else "refuted"
    assert ctl["status"] == want, ctl["assertions"]
    assert len(ctl["assertions"]) == len(r["assertions"])
    assert all(a["outcome"] == want for a in ctl["assertions"]), ctl["assertions"]


def test_evidence_is_rare(results):
    assert sum(r["status"] == "evidence" for r in results.values()) <= 5


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
        assert c.expected in ("proven", "refuted", "evidence"), cid
        if c.is_notes_version:
            assert c.expected == "refuted" and c.corrected and c.pair in CAT, cid
            assert CAT[c.pair].expected in ("proven", "evidence"), cid


def test_wrong_as_written_claims_come_in_pairs():
    # every G / I verdict has the notes' version (refuted) beside the corrected one (proven);
    # 'incomplete' statements (q-update: ΔQ is never defined) have nothing to refute.
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


def test_timeout_is_reported_not_hung():
    out = run_claims(select(["gan-lotus"]), timeout=0.05, jobs=1)
    assert out[0]["status"] == "timeout"
