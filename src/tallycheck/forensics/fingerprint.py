"""The election fingerprint: how stations spread over turnout × leader share.

Klimek, Yegorov, Hanel & Thurner, "Statistical detection of systematic election irregularities", PNAS 109(41):
16469–16473 (2012), Fig. 4 (left column, "the observed election fingerprints"): a 2-D histogram of the units
(polling stations) by turnout (x) and the winner's vote share (y). Clean elections give one compact, roughly
Gaussian cloud; ballot stuffing smears it towards the upper right and piles stations up at 100 % turnout and
100 % for the leader. The same histogram weighted by each station's registered voters, so that a station of
3,000 counts more than one of 30, is returned beside it.

Bins are decided in integers (station in turnout bin ⌊bins·ballots/registered⌋), so no station moves bin
through rounding; a station at exactly 100 % falls in the last bin, and one above 100 % (more ballots than
registered voters, which mobile ballot boxes and absentee certificates allow) is clipped into it and counted
in `n_clipped`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stations import StationTable


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Histograms over [0, 1] with `bins` equal bins; 2-D arrays are indexed [turnout bin, share bin]."""

    edges: np.ndarray  # float64 (bins + 1,): bin edges, shared by both axes
    counts: np.ndarray  # int64 (bins, bins): stations (Klimek et al.'s "units")
    voter_counts: np.ndarray  # int64 (bins, bins): registered voters of those stations
    turnout_counts: np.ndarray  # int64 (bins,): stations per turnout bin
    share_counts: np.ndarray  # int64 (bins,): stations per leader-share bin
    turnout_voter_counts: np.ndarray  # int64 (bins,)
    share_voter_counts: np.ndarray  # int64 (bins,)
    n_stations: int  # stations in the histograms
    n_excluded: int  # stations left out: no register, or nothing in the share base
    n_clipped: int  # stations with turnout or leader share above 100 %, put in the last bin

    @property
    def bins(self) -> int:
        return len(self.edges) - 1


def fingerprint_bins(t: StationTable, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(used, turnout bin, share bin, clipped): the stations a fingerprint counts, and their bins."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    used = (t.registered > 0) & (t.share_base > 0)
    reg, base = t.registered[used], t.share_base[used]
    ballots, leader = np.maximum(t.ballots[used], 0), np.maximum(t.leader[used], 0)
    turnout_bin = (bins * ballots) // reg
    share_bin = (bins * leader) // base
    clipped = int(np.count_nonzero((ballots > reg) | (leader > base)))
    return used, np.minimum(turnout_bin, bins - 1), np.minimum(share_bin, bins - 1), clipped


def fingerprint(t: StationTable, bins: int = 100) -> Fingerprint:
    """The turnout × leader-share fingerprint of every station with a register and a share base above 0."""
    used, tb, sb, clipped = fingerprint_bins(t, bins)
    cell = tb * bins + sb
    voters = t.registered[used]
    counts = np.bincount(cell, minlength=bins * bins).reshape(bins, bins)
    weighted = np.bincount(cell, weights=voters, minlength=bins * bins)
    voter_counts = np.rint(weighted).astype(np.int64).reshape(bins, bins)
    return Fingerprint(
        edges=np.linspace(0.0, 1.0, bins + 1),
        counts=counts.astype(np.int64),
        voter_counts=voter_counts,
        turnout_counts=counts.sum(axis=1).astype(np.int64),
        share_counts=counts.sum(axis=0).astype(np.int64),
        turnout_voter_counts=voter_counts.sum(axis=1),
        share_voter_counts=voter_counts.sum(axis=0),
        n_stations=int(np.count_nonzero(used)),
        n_excluded=int(len(t) - np.count_nonzero(used)),
        n_clipped=clipped,
    )
