"""The report's audit section: every contest's state, and the risk as counting proceeds."""

from __future__ import annotations

from tallycheck.audit.progress import AssertionRisk, ContestStatus, State
from tallycheck.report.audit import audit_section


def test_audit_section_lists_states_and_draws_the_risk():
    statuses = [
        ContestStatus("D1", State.CONFIRMED, 0.031, (AssertionRisk("A>B", "A beats B", 0.031),), 12, 12,
                      risk_by_draw=(0.9, 0.5, 0.2, 0.031)),
        ContestStatus("D2", State.FULL_COUNT, 0.0, (), 0, 0, (), "a tie settled by lot; full hand count complete",
                      "overturned"),
        ContestStatus("D<3>", State.CONTINUE, 0.4, (), 5, 3, ("S9",), "2 drawn station(s) still to count"),
    ]
    sec = audit_section(statuses, risk_limit=0.05, seed="31415926535897932384", design="batch-comparison",
                        risk_function="kaplan-markov", rounds=2, stations_counted=40, recounts=3,
                        expected_stations=35, names={"D1": "بغداد ١"})
    html = sec.html
    assert sec.id == "audit" and "1 contest confirmed" in html and "1 contest overturned" in html
    assert "audit-risk" in html and "31415926535897932384" in html
    assert "D&lt;3&gt;" in html and "D<3>" not in html  # ids from a package are escaped
    assert "بغداد ١" in html
    assert "0.0310" in html  # a confirmed contest's risk; a full count shows none
