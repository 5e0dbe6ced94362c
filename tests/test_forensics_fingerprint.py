"""The turnout × leader-share fingerprint: exact integer bins, both weightings, Russia's published shape."""

from __future__ import annotations

import numpy as np
import pytest

from russia import russia_or_skip
from tallycheck.forensics.fingerprint import fingerprint
from tallycheck.forensics.stations import NO_REGISTER, StationTable


def table(rows: list[tuple[int, int, int, int]]) -> StationTable:
    """(registered, ballots, share base, leader) per station."""
    a = np.array(rows, dtype=np.int64).reshape(-1, 4)
    n = len(a)
    blank = np.full(n, "", dtype=object)
    ids = np.array([f"s{i}" for i in range(n)], dtype=object)
    return StationTable(ids, a[:, 0], a[:, 1], a[:, 2], a[:, 3], blank, blank, blank)


def test_bins_are_decided_in_integers() -> None:
    # (registered, ballots, share base, leader) → expected (turnout bin, share bin) with 100 bins
    rows = [
        (100, 50, 60, 30),  # 50 %, 50 %
        (3, 1, 3, 1),  # 33.33…%: bin 33, though 1/3 has no exact float
        (7, 7, 7, 7),  # exactly 100 %: the last bin
        (1000, 999, 1000, 1),  # 99.9 %, 0.1 %
        (200, 29, 100, 29),  # 14.5 % and 29 %: 0.29·100 is 28.999… in floats, 29 in integers
    ]
    fp = fingerprint(table(rows))
    expected = [(50, 50), (33, 33), (99, 99), (99, 0), (14, 29)]
    got = sorted(zip(*np.nonzero(fp.counts)))
    assert got == sorted(expected)
    assert fp.n_stations == 5 and fp.n_excluded == 0 and fp.n_clipped == 0
    assert fp.edges[0] == 0.0 and fp.edges[-1] == 1.0 and fp.bins == 100


def test_exclusions_clipping_and_voter_weights() -> None:
    rows = [
        (100, 50, 60, 30),
        (100, 120, 120, 60),  # more ballots than registered voters: clipped into the 100 % bin
        (NO_REGISTER, 80, 80, 40),  # no register: left out
        (500, 0, 0, 0),  # nothing in the share base: left out
        (900, 450, 450, 225),
    ]
    fp = fingerprint(table(rows), bins=10)
    assert fp.n_stations == 3 and fp.n_excluded == 2 and fp.n_clipped == 1
    assert fp.counts[9, 5] == 1  # the clipped station: turnout bin 9 (100 %), share 50 %
    assert fp.counts[5, 5] == 2
    assert fp.voter_counts[5, 5] == 100 + 900 and fp.voter_counts[9, 5] == 100
    assert fp.counts.sum() == fp.n_stations
    assert np.array_equal(fp.turnout_counts, fp.counts.sum(axis=1))
    assert np.array_equal(fp.share_counts, fp.counts.sum(axis=0))
    assert np.array_equal(fp.turnout_voter_counts, fp.voter_counts.sum(axis=1))
    assert np.array_equal(fp.share_voter_counts, fp.voter_counts.sum(axis=0))


def test_bins_must_be_positive() -> None:
    with pytest.raises(ValueError, match="bins"):
        fingerprint(table([(100, 50, 50, 20)]), bins=0)


def test_russia_2011_register_and_turnout_match_the_published_totals() -> None:
    t = russia_or_skip(2011)
    fp = fingerprint(t)
    left_out = ~((t.registered > 0) & (t.share_base > 0))
    # 109,229,337 registered voters and 60.21 % turnout: the data README's check totals, which match the
    # upstream README of github.com/dkobak/elections (shared/data/russia-federal-2004-2024/README.md,
    # "Check totals")
    assert int(fp.voter_counts.sum()) + int(t.registered[left_out & (t.registered > 0)].sum()) == 109_229_337
    centres = (fp.edges[:-1] + fp.edges[1:]) / 2
    binned_turnout = float(fp.turnout_voter_counts @ centres) / float(fp.turnout_voter_counts.sum())
    # every station moves at most half a bin (0.5 points) when its turnout is replaced by its bin's centre;
    # the few above 100 % are clipped (below), so the voter-weighted mean of the bins is within 0.5 points
    assert fp.n_clipped < 0.01 * fp.n_stations
    assert abs(binned_turnout - 0.6021) <= 0.005


@pytest.mark.parametrize("year", [2011, 2012])
def test_russia_has_a_second_peak_at_100_percent_turnout_and_leader(year: int) -> None:
    # Klimek et al., PNAS 109(41):16469 (2012), Fig. 4 (left column, observed fingerprints of Russia 2011 and
    # 2012); the arXiv text (1201.3087, as quoted at socks-studio.com/2012/01): in Russia the clusters are
    # "smeared out" to the upper right, "reaching a second peak at a 100% turnout and a 100% of votes". The
    # corner cell must beat every cell around it except the main cloud.
    fp = fingerprint(russia_or_skip(year))
    corner = fp.counts[99, 99]
    neighbourhood = fp.counts[85:100, 85:100].copy()
    neighbourhood[14, 14] = 0
    assert corner > neighbourhood.max()
    # and it is a peak of the whole upper-right quarter away from the main cloud
    upper_right = fp.counts[70:100, 70:100].copy()
    upper_right[29, 29] = 0
    assert corner > 3 * np.median(upper_right[upper_right > 0])
