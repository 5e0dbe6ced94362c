"""The workflow store: audits in progress, their samples and hand counts (SQLAlchemy; SQLite by default)."""
