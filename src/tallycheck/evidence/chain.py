"""The hash-chained event log's entries and their verification (docs/recount-room.md, "The event log").

Pure: the workflow store appends entries and exports them; anyone re-checks an export with these functions (or by
hand, from the documented encoding) without tallycheck's database.

An entry is {seq, time, actor, role, event, payload, payload_sha256, prev_sha256, sha256}:

- `payload_sha256` = SHA-256 of the payload's canonical JSON (keys sorted, no spaces, UTF-8, no ASCII escapes);
- `sha256` = SHA-256 of the bytes `tallycheck-log/1\\n` followed by the canonical JSON of the array
  `[seq, time, actor, role, event, payload_sha256, prev_sha256]`;
- `prev_sha256` is the previous entry's `sha256`, and the first entry's is 64 zeros; `seq` counts from 1 with no gap.

Changing, removing, inserting or reordering any entry changes every hash after it, so a published head hash pins
the whole history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .canonical import canonical_json

LOG_PREFIX = b"tallycheck-log/1\n"
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    time: str  # ISO 8601, UTC
    actor: str  # an account name, "anonymous", or "cli:<name>" for the command line
    role: str
    event: str  # a dotted name: "complaint.filed", "login.refused", ...
    payload: Mapping[str, Any]
    payload_sha256: str
    prev_sha256: str
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "actor": self.actor, "role": self.role, "event": self.event,
                "payload": dict(self.payload), "payload_sha256": self.payload_sha256,
                "prev_sha256": self.prev_sha256, "sha256": self.sha256}


def payload_digest(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def entry_digest(seq: int, time: str, actor: str, role: str, event: str, payload_sha256: str,
                 prev_sha256: str) -> str:
    fields = [seq, time, actor, role, event, payload_sha256, prev_sha256]
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(LOG_PREFIX + body).hexdigest()


def next_entry(prev: LogEntry | None, *, time: str, actor: str, role: str, event: str,
               payload: Mapping[str, Any]) -> LogEntry:
    """The entry that follows `prev` (None: the first entry of a log)."""
    seq = 1 if prev is None else prev.seq + 1
    prev_sha = GENESIS if prev is None else prev.sha256
    p_sha = payload_digest(payload)
    return LogEntry(seq, time, actor, role, event, payload, p_sha, prev_sha,
                    entry_digest(seq, time, actor, role, event, p_sha, prev_sha))


@dataclass(frozen=True, slots=True)
class Verification:
    """`ok`, or the first bad entry (`bad_seq`, its line in the export) and why. `head`: the last good hash."""
    ok: bool
    entries: int
    head: str
    message: str
    bad_seq: int | None = None
    bad_line: int | None = None


_FIELDS = ("seq", "time", "actor", "role", "event", "payload", "payload_sha256", "prev_sha256", "sha256")


def verify_entries(entries: Iterable[Mapping[str, Any]]) -> Verification:
    """Recompute the chain over exported entries (in order) and name the first entry that does not fit."""
    prev_sha, expected_seq, n = GENESIS, 1, 0
    for line, e in enumerate(entries, start=1):
        def bad(why: str) -> Verification:
            seq = e.get("seq") if isinstance(e, Mapping) else None
            return Verification(False, n, prev_sha, f"entry {seq if seq is not None else '?'} (line {line}): {why}",
                                seq if isinstance(seq, int) else None, line)
        if not isinstance(e, Mapping):
            return bad("not a JSON object")
        missing = [f for f in _FIELDS if f not in e]
        if missing:
            return bad(f"missing field(s) {', '.join(missing)}")
        if not isinstance(e["seq"], int) or isinstance(e["seq"], bool) or e["seq"] != expected_seq:
            return bad(f"sequence number {e['seq']!r} where {expected_seq} was due (an entry removed, inserted "
                       "or reordered)")
        if not isinstance(e["payload"], Mapping):
            return bad("payload is not a JSON object")
        if not all(isinstance(e[f], str) for f in ("time", "actor", "role", "event", "payload_sha256",
                                                   "prev_sha256", "sha256")):
            return bad("a text field holds something else")
        if payload_digest(e["payload"]) != e["payload_sha256"]:
            return bad("the payload does not hash to payload_sha256 (the payload was changed)")
        if e["prev_sha256"] != prev_sha:
            return bad("prev_sha256 is not the previous entry's hash (the chain is broken)")
        want = entry_digest(e["seq"], e["time"], e["actor"], e["role"], e["event"], e["payload_sha256"],
                            e["prev_sha256"])
        if want != e["sha256"]:
            return bad("the entry does not hash to its sha256 (a field was changed)")
        prev_sha, expected_seq, n = e["sha256"], expected_seq + 1, n + 1
    return Verification(True, n, prev_sha, f"{n} entries verified; head {prev_sha}")


def read_export(text: str) -> tuple[list[Any], str | None]:
    """The entries of a JSON Lines export, or the first line that is not JSON (as a message)."""
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            return out, f"line {i}: not JSON ({exc.msg})"
    return out, None


def export_line(entry: LogEntry) -> str:
    return json.dumps(entry.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
