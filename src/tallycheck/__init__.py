"""tallycheck: settle disputed elections with evidence."""

__version__ = "0.1.0"
