"""Exports of a results version in published interchange formats (pure: values in, a JSON-ready dict out).

nist_cdf.py: NIST SP 1500-100 v2, the Election Results Reporting Common Data Format, in its JSON form.
"""

from .nist_cdf import (
                       CountItemType,
                       ElectionType,
                       PostElectionStatus,
                       ReportDetailLevel,
                       ReportingUnitType,
                       ResultsStatus,
                       SnapshotInfo,
                       VoteVariation,
                       election_report,
                       object_id,
                       reference_problems,
)

__all__ = ["CountItemType", "ElectionType", "PostElectionStatus", "ReportDetailLevel", "ReportingUnitType",
           "ResultsStatus", "SnapshotInfo", "VoteVariation", "election_report", "object_id",
           "reference_problems"]
