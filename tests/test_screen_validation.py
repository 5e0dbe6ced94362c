"""The whole screen on elections whose answer is known: Afghanistan 2010 (stations struck out between the
preliminary and the final results), Uganda 2011-2021 (run and reported), and synthetic elections with and
without injected fraud. docs/methods.md, "Validation on real elections", reports what these tests print
(`pytest -s tests/test_screen_validation.py`)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow.compute as pc
import pytest

from tallycheck.evidence import Store
from tallycheck.forensics.centres import within_centre
from tallycheck.forensics.concentration import concentration_test, from_package
from tallycheck.forensics.from_package import package_table, synthetic_truth
from tallycheck.forensics.screen import ranking_score, roc_auc, screen
from tallycheck.forensics.stations import StationTable
from tallycheck.importing import import_package
from tallycheck.synth import FraudSpec, generate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AFGHANISTAN = DATA / "afghanistan-2010-wolesi-jirga"
UGANDA = DATA / "uganda-presidential-2011-2021"


def _needs(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (see ../shared/data/README.md)")


def _imported(write, folder: Path):
    write(folder / "pkg")
    result = import_package(folder / "pkg", folder / "store")
    assert not result.refused
    return Store(folder / "store").load()


def _auc_table(s, positive: np.ndarray) -> dict[str, float]:
    out = {"combined (screen ranking)": roc_auc(ranking_score(s.combined_p), positive)}
    out.update({e.method: roc_auc(ranking_score(e.p_value), positive) for e in s.evidence})
    return out


def test_roc_auc_on_known_cases() -> None:
    # scikit-learn's documented example of roc_auc_score: y = [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8] ->
    # 0.75 (https://scikit-learn.org/stable/modules/model_evaluation.html#roc-metrics)
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)) == pytest.approx(0.75)
    assert roc_auc(np.array([1.0, 1.0, 1.0, 1.0]), np.array([0, 1, 0, 1], bool)) == 0.5  # all tied: chance
    assert roc_auc(np.array([3.0, 2.0, 1.0]), np.array([1, 0, 0], bool)) == 1.0
    assert np.isnan(roc_auc(np.array([1.0, 2.0]), np.array([1, 1], bool)))
    # untested stations (nan) rank as p = 1, below every tested one
    np.testing.assert_array_equal(ranking_score(np.array([0.01, np.nan, 1.0])), [-0.01, -1.0, -1.0])


# -- Afghanistan 2010 ----------------------------------------------------------------------------------------

def _struck_out(stations: np.ndarray) -> np.ndarray:
    """Stations whose final votes are 0 while their preliminary votes were not (the data's README)."""
    path = AFGHANISTAN / "ps_votes_invalidated_net_change_2010.csv"
    rows = duckdb.sql(f"""SELECT ps_code FROM read_csv('{path}', all_varchar = true)
                          WHERE results_status = 'FINAL' AND final_votes = '0'
                            AND TRY_CAST(prelim_votes AS BIGINT) > 0""").fetchall()
    return np.isin(stations.astype(str), np.array([r[0] for r in rows], dtype=str))


def test_afghanistan_2010_struck_out_stations(tmp_path: Path) -> None:
    _needs(AFGHANISTAN)
    from tallycheck.ingest.afghanistan_2010 import write_package

    data = _imported(lambda out: write_package(AFGHANISTAN, out), tmp_path)
    t = package_table(data)
    struck = _struck_out(t.station_id)
    # the README: about 260 of the stations in the station files (Kabul's and Herat's are not there)
    assert 240 <= struck.sum() <= 280
    # the baseline: each station's own top candidate's share of its valid votes
    r = data.table("results").group_by("station_id").aggregate([("votes", "max"), ("votes", "sum")])
    share = pc.divide(pc.cast(r.column("votes_max"), "double"), pc.cast(r.column("votes_sum"), "double"))
    top = dict(zip(r.column("station_id").to_pylist(), share.to_pylist()))
    baseline = roc_auc(np.nan_to_num(np.array([top[s] for s in t.station_id], np.float64)), struck)  # 0/0: 0
    assert baseline == pytest.approx(0.68, abs=0.01)  # the figure the issue gives
    conc = from_package(data, t)  # each sheet's own top candidate, from all its candidates
    s = screen(t, mixture=False, seed=0, concentration=conc)
    # no station has a register (docs/data-sources.md): every turnout method is out of play
    assert {"fingerprint", "klimek"} <= set(s.not_applicable)
    assert np.isnan(s.centres.turnout.evidence.p_value).all()
    aucs = _auc_table(s, struck)
    flagged = s.flagged()
    print(f"\nAfghanistan 2010: {len(t)} stations, {struck.sum()} struck out; baseline (top-candidate share) "
          f"AUC {baseline:.3f}; flagged {flagged.sum()}, of them struck out {(flagged & struck).sum()}")
    for method, auc in aucs.items():
        print(f"  {method:28s} AUC {auc:.3f}")
    alternatives = {}
    for reference in ("contest", "election"):
        for combination in ("bonferroni-min", "simes"):
            alt = screen(t, mixture=False, seed=0, concentration=conc, concentration_reference=reference,
                         combination=combination)
            alternatives[reference, combination] = roc_auc(ranking_score(alt.combined_p), struck)
        for measure in ("top-share", "herfindahl"):
            p = concentration_test(t, conc, measure=measure, reference=reference).p_value
            alternatives[reference, measure] = roc_auc(ranking_score(p), struck)
    for (reference, what), auc in alternatives.items():
        print(f"  concentration against the {reference}'s stations, {what:14s} AUC {auc:.3f}")
    # the concentration p ranked against the whole election is the baseline made a p-value: the same ranking
    # (stations of no valid vote aside: untested, where the baseline scores them 0)
    assert alternatives["election", "top-share"] == pytest.approx(baseline, abs=0.002)
    # the register-free methods lift the combined ranking above the 0.561 it had without them
    assert aucs["combined (screen ranking)"] >= 0.6
    assert aucs["centre-ballots"] > 0.55
    # the same within-centre test on each station's own top candidate instead of the contest's leader (in SNTV
    # with hundreds of candidates a local strongman need not lead the province)
    top_votes = dict(zip(r.column("station_id").to_pylist(), r.column("votes_max").to_pylist()))
    own = StationTable(t.station_id, t.registered, t.ballots, t.share_base,
                       np.array([top_votes[x] for x in t.station_id], np.int64), t.region, t.centre, t.kind,
                       "each station's top candidate", contest=t.contest)
    for minimum in (3, 2):
        p = within_centre(own, min_stations=minimum).share.evidence.p_value
        print(f"  centre-share on the station's own top candidate, centres of >= {minimum} like stations: "
              f"{np.sum(~np.isnan(p))} tested, AUC {roc_auc(ranking_score(p), struck):.3f}")


# -- Uganda 2011, 2016, 2021 ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("year", [2011, 2016, 2021])
def test_uganda(tmp_path: Path, year: int) -> None:
    _needs(UGANDA)
    from tallycheck.ingest.uganda_uedp import write_package

    data = _imported(lambda out: write_package(UGANDA, out, year), tmp_path)
    t = package_table(data)
    s = screen(t, mixture=True, seed=0)
    summary = s.summary(top=5)
    ip, k, m = summary["integer_percentages"], summary["klimek_fit"], summary["mixture"]
    print(
        f"\nUganda {year}: {len(t)} stations, {summary['flagged']} flagged (q <= 0.05); integer percentages "
        f"either {ip['observed_either']} vs {ip['expected_either']:.0f} (p {ip['p_value_either']:.2g}); "
        f"Klimek f_i {k['f_i']:.3f} f_e {k['f_e']:.4f}; mixture "
        f"{m['pi_incremental']:.3f}/{m['pi_extreme']:.4f}, {m['fraudulent_votes']:,.0f} votes"
    )
    for name, v in summary["methods"].items():
        print(f"  {name:28s} tested {v['tested']:6d}  p <= 0.05 {v['significant']:6d}")
    assert summary["stations_screened"] == len(t) and t.leader_name == "museveni"
    assert 0 < summary["flagged"] < 0.05 * len(t)


# -- synthetic elections -------------------------------------------------------------------------------------

def _synthetic(folder: Path, seed: int, fraud: FraudSpec | None, stations: int = 3000):
    package = folder / f"synth-{seed}"
    generate(shape="iraq-2021", seed=seed, out=package, stations=stations, fraud=fraud)
    assert not import_package(package).refused
    data = Store(package / ".tallycheck").load()
    t = package_table(data)
    return t, synthetic_truth(package, t)


def test_clean_synthetic_elections_keep_the_nominal_level(tmp_path: Path) -> None:
    alpha = 0.05
    flagged = tested = 0
    per_method: dict[str, list[int]] = {}
    for seed in (101, 102, 103):
        t, truth = _synthetic(tmp_path, seed, None)
        assert set(truth.labels) == {"clean"}
        s = screen(t, mixture=False, seed=seed, alpha=alpha, n_boot=200)
        flagged += int(s.flagged().sum())
        combined = s.combined_p[~np.isnan(s.combined_p)]
        tested += len(combined)
        per_method.setdefault("combined p", [0, 0])
        per_method["combined p"][0] += int(np.sum(combined <= alpha))
        per_method["combined p"][1] += len(combined)
        for e in s.evidence:
            p = e.p_value[~np.isnan(e.p_value)]
            c = per_method.setdefault(e.method, [0, 0])
            c[0] += int(np.sum(p <= alpha))
            c[1] += len(p)
    print(f"\nClean synthetic elections: {tested} station sheets, {flagged} flagged (q <= {alpha})")
    for method, (hits, n) in per_method.items():
        print(f"  {method:28s} p <= {alpha}: {hits}/{n} = {hits / max(n, 1):.4f}")
        if n:
            assert hits / n <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n), method
    # under the complete null every flag is false, and BH keeps P(any flag) <= alpha per election
    assert flagged <= 2


def test_detection_power_by_injected_fraud(tmp_path: Path) -> None:
    alpha = 0.05
    t, truth = _synthetic(tmp_path, 7, FraudSpec(stuffing=0.03, moved=0.03, rounded=0.03), stations=4000)
    s = screen(t, mixture=False, seed=7, alpha=alpha, n_boot=200)
    flagged = s.flagged()
    print("\nSynthetic election with fraud (4000 stations; 3 % each of stuffing, moved, rounded):")
    rates = {}
    for label in truth.labels:
        m = truth.label == label
        rates[label] = float(flagged[m].mean())
        per = ", ".join(f"{e.method} {np.mean(e.p_value[m] <= alpha):.2f}" for e in s.evidence
                        if np.any(e.p_value[m] <= alpha))
        print(f"  {label:9s} {m.sum():5d} sheets, flagged {rates[label]:.3f}; by method p <= {alpha}: {per}")
    fraud = np.isin(truth.label, ("stuffing", "moved", "rounded"))
    scored = fraud | (truth.label == "clean")
    for method, auc in _auc_table(s, fraud).items():
        auc_scored = roc_auc(ranking_score(s.combined_p if method.startswith("combined") else next(
            e.p_value for e in s.evidence if e.method == method))[scored], fraud[scored])
        print(f"  AUC {method:28s} {auc_scored:.3f}")
    simes = screen(t, mixture=False, seed=7, alpha=alpha, n_boot=200, combination="simes")
    simes_auc = roc_auc(ranking_score(simes.combined_p)[scored], fraud[scored])
    print(f"  AUC combined by Simes' rule      {simes_auc:.3f}")
    assert rates["clean"] <= alpha
    false = float(np.mean(truth.label[flagged] == "clean")) if flagged.any() else 0.0
    assert false <= 2 * alpha  # the false discovery proportion of this one election
    assert rates["stuffing"] >= 0.2  # power against stuffing: well above the clean rate
