"""Evidence: immutable, versioned, hashed snapshots of an election's results."""

from .canonical import election_digest, snapshot_digest, table_digest
from .store import Store, StoreError, VersionInfo, WriteOutcome

__all__ = ["Store", "StoreError", "VersionInfo", "WriteOutcome", "election_digest", "snapshot_digest", "table_digest"]
