"""The audit's state machine below the CLI: overstatements from one matrix product agree with the batch module's
per-station reading, ballot polling runs end to end, and the complaint stratum moves the sampled null mean."""

from __future__ import annotations

import json
from types import MappingProxyType

import numpy as np
import pytest
from audit_package import write_package

from tallycheck.audit.batch import overstatements
from tallycheck.audit.hand_count import HandCount
from tallycheck.audit.plan import AuditSettings
from tallycheck.audit.population import audit_population
from tallycheck.audit.progress import ContestAudit, station_assertions, station_overstatements
from tallycheck.importing import validate_package


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit") / "pkg"
    reported = write_package(folder, stations=120)
    return validate_package(folder).validation.data, reported


def test_matrix_overstatements_equal_the_batch_modules_reading(data):
    d, reported = data
    pop = audit_population(d).contests["W"]
    sas = station_assertions(pop, {})
    drawn = list(pop.reported.stations[:12])
    rng = np.random.default_rng(3)
    hand = {}
    for k, s in enumerate(drawn):
        if k == 5:
            hand[(s, "W")] = HandCount(s, "W", missing=True)
            continue
        votes = {(c, ""): max(0, v + int(rng.integers(-6, 7))) for c, v in reported[(s, "W")].items()}
        hand[(s, "W")] = HandCount(s, "W", votes=MappingProxyType(votes), ballots_cast=sum(votes.values()) + 5)
    index, omega, broken = station_overstatements(pop, sas, drawn, hand)
    totals = {s: None if hand[(s, "W")].missing else (dict(hand[(s, "W")].votes), hand[(s, "W")].cards)
              for s in drawn}
    for k, sa in enumerate(sas):
        i2, om2, br2 = overstatements(sa, drawn, totals)
        assert (index == i2).all() and (omega[k] == om2).all() and (broken[k] == br2).all()


def test_the_recount_stratum_moves_the_sampled_null_mean(data):
    d, reported = data
    t_stations = [s for (s, c) in reported if c == "T"]
    recount = t_stations[:4]
    before = audit_population(d, recounts=recount).contests["T"]
    name = before.assertions.assertions[0].name if before.assertions.assertions else None
    if name is None:
        pytest.skip("contest T needs a full count at this size")
    # not yet counted: the recount stations count as 0 (worst case), so the sampled cards must carry half of all
    sc = before.scores[name]
    assert before.sampled_null_mean(name) == pytest.approx(int(sc.cards.sum()) / 2 / int(sc.cards[before.sampled].sum()))
    # counted exactly as reported: the sampled stratum needs half of all cards minus what the recounts hold
    hand = {(s, "T"): HandCount(s, "T", votes=MappingProxyType({(c, ""): v for c, v in reported[(s, "T")].items()}),
                                ballots_cast=sum(reported[(s, "T")].values()) + 5) for s in recount}
    after = audit_population(d, recounts=recount, hand=hand).contests["T"]
    sc = after.scores[name]
    known = float(sc.assorter_num[after.recounted].sum()) / sc.denominator
    expected = (int(sc.cards.sum()) / 2 - known) / int(sc.cards[after.sampled].sum())
    assert after.recounted.sum() == 4 and after.sampled_null_mean(name) == pytest.approx(expected)
    assert after.sampled_null_mean(name) < before.sampled_null_mean(name)


def test_a_full_count_contest_lists_every_station(data):
    d, _ = data
    pop = audit_population(d)
    ca = ContestAudit(pop.contests["T"], AuditSettings(0.05), (), "a tie settled by lot", {})
    from tallycheck.audit.progress import State, contest_status

    status = contest_status(ca)
    assert status.state is State.FULL_COUNT and len(status.awaiting) == len(pop.contests["T"].reported.stations)


def _reads(reported, station, contest, ballot_numbers):
    """Ballot k of a station, reading its cards in a fixed order: the reported votes, then the invalid ones."""
    order = [c for c, v in reported[(station, contest)].items() for _ in range(v)]
    return {f"{station}#{k}": ((order[k - 1], "") if k <= len(order) else None) for k in ballot_numbers}


def test_ballot_polling_end_to_end(tmp_path, tc):
    folder = tmp_path / "pkg"
    reported = write_package(folder, stations=300)
    assert tc("import", folder)[0] == 0
    code, out, err = tc("audit", "plan", folder, "--risk-limit", "0.1", "--design", "ballot-polling", "--json")
    assert code == 0, err
    plan = json.loads(out)
    w = next(c for c in plan["contests"] if c["contest_id"] == "W")
    assert plan["risk_function"] == "betting" and 0 < w["expected_ballots"] < w["ballots"]
    code, out, err = tc("audit", "draw", folder, "--seed", "27182818284590452353", "--json")
    assert code == 0, err
    # the ballots drawn for W, read as the sheets say they are
    from tallycheck.evidence import Store
    from tallycheck.workflow.audit_run import load

    ctx = load(Store(folder / ".tallycheck"))
    drawn = ctx.draws["W"]
    by_station: dict[str, list[int]] = {}
    for dr in drawn:
        by_station.setdefault(dr.station_id, []).append(int(dr.item.split("#")[1]))
    rows = ["station_id,contest_id,candidate_id,ballot"]
    for s, ks in by_station.items():
        for item, choice in _reads(reported, s, "W", ks).items():
            rows.append(f"{s},W,{choice[0] if choice else ''},{item}")
    path = tmp_path / "reads.csv"
    path.write_text("\n".join(rows) + "\n")
    code, _, err = tc("audit", "record", folder, path)
    assert code == 0, err
    code, out, err = tc("audit", "status", folder, "--json")
    w = next(c for c in json.loads(out)["contests"] if c["contest_id"] == "W")
    assert w["risk"] < 1 and len(w["risk_by_draw"]) == len(drawn)
    # a ballot that was not drawn is refused, naming it
    bad = tmp_path / "bad.csv"
    s = next(iter(by_station))
    bad.write_text(f"station_id,contest_id,candidate_id,ballot\n{s},W,A,{s}#99999\n")
    code, _, err = tc("audit", "record", folder, bad, "--amend")
    assert code == 1 and "was not drawn" in err


def _write_cvrs(path, reported, tamper=None):
    rows = ["card_id,station_id,contest_id,candidate_id"]
    for (s, c), votes in reported.items():
        k = 0
        for cand, v in votes.items():
            for _ in range(v):
                k += 1
                rows.append(f"{s}-{k},{s},{c},{cand}")
        for _ in range(5):  # the sheet's invalid ballots: cards without a valid vote
            k += 1
            rows.append(f"{s}-{k},{s},{c},")
    if tamper:
        rows[1] = rows[1].rsplit(",", 1)[0] + "," + tamper
    path.write_text("\n".join(rows) + "\n")
    return path


def test_card_level_comparison_end_to_end(tmp_path, tc):
    folder = tmp_path / "pkg"
    reported = write_package(folder, stations=90)
    assert tc("import", folder)[0] == 0
    # records that do not add up to the results are refused, naming the station
    bad = _write_cvrs(tmp_path / "bad.csv", reported, tamper="D")
    code, _, err = tc("audit", "plan", folder, "--risk-limit", "0.05", "--design", "card-comparison", "--cvrs", bad)
    assert code == 1 and "cvr.tally" in err
    cvrs = _write_cvrs(tmp_path / "cvrs.csv", reported)
    code, out, err = tc("audit", "plan", folder, "--risk-limit", "0.05", "--design", "card-comparison", "--cvrs",
                        cvrs, "--json", "--replace")
    assert code == 0, err
    plan = json.loads(out)
    w = next(c for c in plan["contests"] if c["contest_id"] == "W")
    assert plan["risk_function"] == "betting" and 0 < w["expected_ballots"] < w["ballots"] / 2
    code, out, err = tc("audit", "draw", folder, "--seed", "16180339887498948482", "--json")
    assert code == 0, err
    from tallycheck.evidence import Store
    from tallycheck.workflow.audit_run import load

    ctx = load(Store(folder / ".tallycheck"))
    drawn = ctx.draws["W"]
    assert len(drawn) == w["expected_ballots"]  # round 1: the cards that confirm if every one matches
    records = ctx.cards["W"]
    rows = ["station_id,contest_id,candidate_id,ballot"]
    rows += [f"{d.station_id},W,{(records[d.item].choice or ('', ''))[0]},{d.item}" for d in drawn]
    path = tmp_path / "reads.csv"
    path.write_text("\n".join(rows) + "\n")
    code, _, err = tc("audit", "record", folder, path)
    assert code == 0, err
    code, out, _ = tc("audit", "status", folder, "--json")
    w_status = next(c for c in json.loads(out)["contests"] if c["contest_id"] == "W")
    assert w_status["state"] == "confirmed" and w_status["risk"] <= 0.05
