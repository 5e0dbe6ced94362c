"""The workflow database's tables (SQLAlchemy Core), shared by the CLI's audit commands and the web server.

Rows are only ever added: a correction of a hand count is a new recording that supersedes the old one for the
stations it names, and the old rows stay, so the audit's history can be replayed.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

audits = Table(
    "audits", metadata,
    Column("audit_id", Integer, primary_key=True),
    Column("created", String(32), nullable=False),
    Column("version", String(16), nullable=False),  # the results version audited (v1, v2, ...)
    Column("snapshot_sha256", String(64), nullable=False),  # published before the seed is drawn
    Column("risk_limit", String(32), nullable=False),  # decimal text, exactly as given ("0.05")
    Column("design", String(32), nullable=False),
    Column("risk_function", String(32), nullable=False),
    Column("params", Text, nullable=False),  # JSON: error rate, escalation share, boards, ...
    Column("seed", String(256)),  # the dice rolls, once entered never changed
    Column("seed_recorded", String(32)),
    Column("closed", String(32)),  # set when a newer audit replaces this one before any count
)

# Stations that complaints put under a full recount: a stratum counted in full beside the sampled one.
audit_recounts = Table(
    "audit_recounts", metadata,
    Column("audit_id", Integer, ForeignKey("audits.audit_id"), nullable=False),
    Column("station_id", String(128), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    UniqueConstraint("audit_id", "station_id"),
)

audit_rounds = Table(
    "audit_rounds", metadata,
    Column("audit_id", Integer, ForeignKey("audits.audit_id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("drawn", String(32), nullable=False),
    Column("draws", Integer, nullable=False),
    UniqueConstraint("audit_id", "round"),
)

# One row per draw, in the order the sequential test reads them. `item` is a station id (batch designs), or
# "station_id#ballot" (ballot polling), or a card id (card comparison); a repeated station keeps its first seq.
audit_draws = Table(
    "audit_draws", metadata,
    Column("audit_id", Integer, ForeignKey("audits.audit_id"), nullable=False),
    Column("contest_id", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("round", Integer, nullable=False),
    Column("item", String(256), nullable=False),
    Column("station_id", String(128), nullable=False),
    Column("ticket", String(80), nullable=False),
    UniqueConstraint("audit_id", "contest_id", "seq"),
)

# A contest sent to a full hand count: the evidence could not confirm it within the sample the audit allows, or
# no sample can (a tie settled by lot). Recorded when decided, so the decision is part of the audit's history.
audit_escalations = Table(
    "audit_escalations", metadata,
    Column("audit_id", Integer, ForeignKey("audits.audit_id"), nullable=False),
    Column("contest_id", String(128), nullable=False),
    Column("round", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    UniqueConstraint("audit_id", "contest_id"),
)

recordings = Table(
    "recordings", metadata,
    Column("recording_id", Integer, primary_key=True),
    Column("audit_id", Integer, ForeignKey("audits.audit_id"), nullable=False),
    Column("recorded", String(32), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("amends", Boolean, nullable=False, default=False),
)

# A hand-counted sheet: one station and contest as the board found it (or could not find it).
hand_sheets = Table(
    "hand_sheets", metadata,
    Column("recording_id", Integer, ForeignKey("recordings.recording_id"), nullable=False),
    Column("station_id", String(128), nullable=False),
    Column("contest_id", String(128), nullable=False),
    Column("missing", Boolean, nullable=False, default=False),
    Column("ballots_cast", Integer),
    Column("invalid", Integer),
    Column("blank", Integer),
    UniqueConstraint("recording_id", "station_id", "contest_id"),
)

hand_votes = Table(
    "hand_votes", metadata,
    Column("recording_id", Integer, ForeignKey("recordings.recording_id"), nullable=False),
    Column("station_id", String(128), nullable=False),
    Column("contest_id", String(128), nullable=False),
    Column("candidate_id", String(128), nullable=False, default=""),
    Column("list_id", String(128), nullable=False, default=""),
    Column("item", String(256), nullable=False, default=""),  # a ballot or card, for polling and card designs
    Column("votes", Integer, nullable=False),
)


# count tasks and double-blind entries (workflow/count_tasks.py). A task is one station's contests for one
# board; its row holds where the entry stands (state, attempt, amendment), changed only under a lock on that
# row. The entries, signatures, sign-offs and amendments are only ever added, so every attempt can be
# replayed.
count_tasks = Table(
    "count_tasks", metadata,
    Column("task_id", Integer, primary_key=True),
    Column("purpose", String(16), nullable=False),  # audit | recount
    Column("station_id", String(128), nullable=False),
    Column("contest_ids", Text, nullable=False),  # JSON list, in the order given
    Column("board_id", Integer, nullable=False),
    Column("audit_id", Integer),
    Column("round", Integer),
    Column("complaint_id", Integer),
    Column("created", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # open | mismatch | agreed | signed
    Column("amendment", Integer, nullable=False, default=0),  # 0: the first count; n: the n-th correction
    Column("attempt", Integer, nullable=False, default=1),  # the attempt open (or agreed) in that amendment
)
Index("count_tasks_by_board", count_tasks.c.board_id)
Index("count_tasks_by_audit", count_tasks.c.audit_id, count_tasks.c.round)

# One member's entry of a task's sheets in one attempt: canonical JSON and its SHA-256. The unique key is what
# makes a double submit (two browser tabs) one entry whatever the timing.
count_entries = Table(
    "count_entries", metadata,
    Column("entry_id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("count_tasks.task_id"), nullable=False),
    Column("amendment", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("member", String(128), nullable=False),
    Column("entered", String(32), nullable=False),
    Column("sheets", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    UniqueConstraint("task_id", "amendment", "attempt", "user_id"),
)

# Each member's own signature of an agreed count; the sign-off row follows when both have signed.
count_signatures = Table(
    "count_signatures", metadata,
    Column("task_id", Integer, ForeignKey("count_tasks.task_id"), nullable=False),
    Column("amendment", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("member", String(128), nullable=False),
    Column("signed", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),  # the agreed entry's hash, as the member saw it
    UniqueConstraint("task_id", "amendment", "user_id"),
)

count_signoffs = Table(
    "count_signoffs", metadata,
    Column("signoff_id", Integer, primary_key=True),  # grows with every sign-off: a newer count, a higher id
    Column("task_id", Integer, ForeignKey("count_tasks.task_id"), nullable=False),
    Column("amendment", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("first_user_id", Integer, nullable=False),
    Column("first_member", String(128), nullable=False),
    Column("second_user_id", Integer, nullable=False),
    Column("second_member", String(128), nullable=False),
    Column("signed", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    UniqueConstraint("task_id", "amendment"),
)

# A correction after sign-off: who opened it and why. Amendment n's agreed, signed count supersedes n-1's.
count_amendments = Table(
    "count_amendments", metadata,
    Column("task_id", Integer, ForeignKey("count_tasks.task_id"), nullable=False),
    Column("amendment", Integer, nullable=False),
    Column("opened", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    UniqueConstraint("task_id", "amendment"),
)

# The hash-chained event log (tallycheck.evidence.chain): one row per entry, never updated or deleted. `log_head`
# holds one row, the last entry, locked by every append so that entries are numbered without gaps or forks
# whatever the number of server processes.
events = Table(
    "events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("event", String(64), nullable=False, index=True),  # the room reads its state by event name
    Column("payload", Text, nullable=False),  # canonical JSON
    Column("payload_sha256", String(64), nullable=False),
    Column("prev_sha256", String(64), nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
)

# Which entries name which station (the payload's `station_id`, or each of its `stations`): written with the entry,
# so a station page finds its history by index instead of reading the whole log.
event_stations = Table(
    "event_stations", metadata,
    Column("seq", Integer, ForeignKey("events.seq"), nullable=False),
    Column("station_id", String(128), nullable=False, index=True),
    UniqueConstraint("seq", "station_id"),
)

log_head = Table(
    "log_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
)


# accounts: the recount room's people, their boards and their sessions (workflow/accounts.py). Rows are changed
# in place here (a password, a lockout, a revocation) but every change is an event-log entry.
boards = Table(
    "boards", metadata,
    Column("board_id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created", String(32), nullable=False),
)

users = Table(
    "users", metadata,
    Column("user_id", Integer, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("board_id", Integer, ForeignKey("boards.board_id")),  # board members only
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string format
    Column("totp_secret", String(64)),  # base32; administrators, set at their first login
    Column("totp_enrolled", Boolean, nullable=False, default=False),
    Column("totp_last_step", Integer),  # the last time step accepted: a code is good once (ASVS 2.8.4)
    Column("failed_logins", Integer, nullable=False, default=0),  # consecutive, reset by a good login
    Column("locked_until", String(32)),
    Column("created", String(32), nullable=False),
    Column("disabled", String(32)),
)

# Server-side sessions. The browser holds a random token; the table holds only its SHA-256, so a copy of the
# database (a backup, a PostgreSQL replica) cannot be replayed as a login.
sessions = Table(
    "sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("created", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),  # absolute: created + 8 h
    Column("revoked", String(32)),
    Column("totp_passed", Boolean, nullable=False, default=False),
    Column("user_agent", String(256), nullable=False, default=""),
    Column("address", String(64), nullable=False, default=""),
)

# Every login attempt, by account name and by address: the lockout and the rate limit count rows here, so they
# hold across server processes.
login_attempts = Table(
    "login_attempts", metadata,
    Column("attempt_id", Integer, primary_key=True),
    Column("time", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("address", String(64), nullable=False),
    Column("ok", Boolean, nullable=False),
)
Index("login_attempts_by_address", login_attempts.c.address, login_attempts.c.time)
Index("login_attempts_by_name", login_attempts.c.name, login_attempts.c.time)
Index("sessions_by_user", sessions.c.user_id)


# -- complaints ----------------------------------------------------------------------------------------------
# A party agent's complaint against stations, and the administrator's decision on it: a separate row, unique per
# complaint, so a decision is final even when two administrators decide at once. An accepted complaint is a
# recount order for its stations.
complaints = Table(
    "complaints", metadata,
    Column("complaint_id", Integer, primary_key=True),
    Column("filed", String(32), nullable=False),
    Column("filed_by", String(128), nullable=False),
    Column("party", String(256), nullable=False),
    Column("grounds", Text, nullable=False),
)

complaint_stations = Table(
    "complaint_stations", metadata,
    Column("complaint_id", Integer, ForeignKey("complaints.complaint_id"), nullable=False),
    Column("station_id", String(128), nullable=False),
    UniqueConstraint("complaint_id", "station_id"),
)

complaint_decisions = Table(
    "complaint_decisions", metadata,
    Column("complaint_id", Integer, ForeignKey("complaints.complaint_id"), nullable=False, unique=True),
    Column("decided", String(32), nullable=False),
    Column("decided_by", String(128), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reasons", Text, nullable=False),
)
