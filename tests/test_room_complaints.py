"""Complaints in the recount room: filed by a party agent against known stations, decided once by the
administrator (accepted: a recount order), every change logged in its transaction and the log verifying."""

from __future__ import annotations

import pytest
from audit_package import write_package
from room_db import BACKENDS, fresh_workflow

from tallycheck.evidence import Store
from tallycheck.evidence.chain import read_export, verify_entries
from tallycheck.importing import import_package
from tallycheck.workflow.audits import WorkflowError
from tallycheck.workflow.complaints import (ComplaintStatus, complaints, decide, file_complaint, recount_orders,
                                            station_list)
from tallycheck.workflow.event_log import entries, export_lines
from tallycheck.workflow.roles import Actor, Role

AGENT = Actor("agent.kdp", Role.AGENT, user_id=3)
ADMIN = Actor("admin.one", Role.ADMIN, user_id=1)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("complaints") / "pkg"
    write_package(folder, stations=30)
    assert not import_package(folder).refused
    return folder


@pytest.fixture(params=BACKENDS)
def room(imported, tmp_path, request):
    return fresh_workflow(request.param, tmp_path / "db", request), Store(imported / ".tallycheck")


def _events(engine):
    return [(e.event, e.actor, dict(e.payload)) for e in entries(engine)]


def test_file_accept_and_reject(room):
    engine, store = room
    first = file_complaint(engine, AGENT, "W0001, W0002\nW0001", "ballot box seals broken", "Party A", store=store)
    second = file_complaint(engine, AGENT, ["T0003"], "turnout above 100 %", "Party A", store=store)
    assert [c.status for c in complaints(engine)] == [ComplaintStatus.FILED] * 2
    assert complaints(engine)[0].stations == ("W0001", "W0002")  # each once, as typed
    decide(engine, ADMIN, first, True, "seal numbers differ from the minutes")
    decide(engine, ADMIN, second, False, "the register shows 640 voters; turnout was 89 %")
    got = {c.complaint_id: c for c in complaints(engine)}
    assert got[first].status is ComplaintStatus.ACCEPTED and got[first].decided_by == "admin.one"
    assert got[second].status is ComplaintStatus.REJECTED and "register" in got[second].reasons
    assert [c.complaint_id for c in complaints(engine, status="rejected")] == [second]
    orders = recount_orders(engine)
    assert [(o.complaint_id, o.stations, o.certified_version) for o in orders] == [(first, ("W0001", "W0002"),
                                                                                     None)]
    log = _events(engine)
    assert [e[0] for e in log] == ["complaint.filed", "complaint.filed", "complaint.accepted", "complaint.rejected"]
    assert log[0][1] == "agent.kdp" and log[0][2]["stations"] == ["W0001", "W0002"]
    assert log[2][2] == {"complaint_id": first, "reasons": "seal numbers differ from the minutes",
                         "stations": ["W0001", "W0002"], "recount_order": True}
    exported, problem = read_export("".join(export_lines(engine)))
    assert problem is None and verify_entries(exported).ok


def test_a_decision_is_final(room):
    engine, store = room
    cid = file_complaint(engine, AGENT, "W0001", "seals", "Party A", store=store)
    decide(engine, ADMIN, cid, False, "no evidence")
    before = _events(engine)
    for accept in (True, False):
        with pytest.raises(WorkflowError, match=f"complaint {cid} was already rejected by admin.one .*final"):
            decide(engine, ADMIN, cid, accept, "second thoughts")
    assert _events(engine) == before and complaints(engine)[0].status is ComplaintStatus.REJECTED
    with pytest.raises(WorkflowError, match="no complaint 99"):
        decide(engine, ADMIN, 99, True, "x")


@pytest.mark.parametrize("stations, grounds, party, message", [
    ("W0001 X9 Y7", "seals", "Party A", r"no station X9, Y7 in the results \(v1\)"),
    ("", "seals", "Party A", "at least one station"),
    ("W0001", "   ", "Party A", "states its grounds"),
    ("W0001", "seals", "", "names the party"),
])
def test_refused_filings_change_nothing(room, stations, grounds, party, message):
    engine, store = room
    with pytest.raises(WorkflowError, match=message):
        file_complaint(engine, AGENT, stations, grounds, party, store=store)
    assert complaints(engine) == [] and entries(engine) == []


def test_reasons_are_required(room):
    engine, store = room
    cid = file_complaint(engine, AGENT, "W0001", "seals", "Party A", store=store)
    with pytest.raises(WorkflowError, match="states its reasons"):
        decide(engine, ADMIN, cid, True, " ")
    assert complaints(engine)[0].status is ComplaintStatus.FILED


def test_station_list():
    assert station_list("A1, B2\n A1  C3,") == ["A1", "B2", "C3"]
    assert station_list([" A1 ", "", "A1"]) == ["A1"]
