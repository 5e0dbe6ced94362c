"""count_tasks' interface (the double-blind entry's tasks), in memory, for the recount-room tests: a board's entry
and sign-off is one `sign` call here, so the tests of complaints, rounds and versions do not re-run the entry."""

from __future__ import annotations

from dataclasses import replace

from tallycheck.audit.hand_count import HandCount
# the values the real module defines (the fake stands in for its functions only)
from tallycheck.workflow.count_tasks import CountTask, NewTask, TaskPurpose, TaskState  # noqa: F401 (re-exported)


class FakeTasks:
    """count_tasks' interface, in memory: the boards' entry and sign-off are `sign` here."""
    TaskPurpose, TaskState, NewTask = TaskPurpose, TaskState, NewTask

    def __init__(self):
        self.rows: dict[int, CountTask] = {}
        self.counts: dict[int, tuple[HandCount, ...]] = {}

    def create_tasks(self, conn, actor, new):
        ids = []
        for n in new:
            tid = len(self.rows) + 1
            self.rows[tid] = CountTask(tid, n.purpose, n.station_id, n.contest_ids, n.board_id, n.audit_id, n.round,
                                       n.complaint_id, TaskState.OPEN, "2026-12-06T00:00:00+00:00")
            ids.append(tid)
        return ids

    def tasks(self, engine, *, audit_id=None, round=None, board_id=None, purpose=None, complaint_id=None,
              state=None):
        want = {"audit_id": audit_id, "round": round, "board_id": board_id, "purpose": purpose,
                "complaint_id": complaint_id, "state": state}
        return [t for t in self.rows.values() if all(v is None or getattr(t, k) == v for k, v in want.items())]

    def signed_counts(self, engine, task_ids):
        return {t: self.counts[t] for t in task_ids if t in self.counts}

    def sign(self, task_id, counts):
        t = self.rows[task_id]
        self.rows[task_id] = replace(t, state=TaskState.SIGNED)
        self.counts[task_id] = tuple(counts)
