"""Like-for-like comparison: planning, paired differences, readings, size mismatch, background runs."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import sim
from dashboards import comparison


def fake_monthly(base_final: list[float], scen_final: list[float], metric: str = "joined_up_share") -> pd.DataFrame:
    rows = []
    for arm, finals in (("baseline", base_final), ("scenario", scen_final)):
        for rep, final in enumerate(finals):
            for month in range(4):
                rows.append({"arm": arm, "replication": rep, "seed": rep, "month": month, metric: final * month / 3})
    return pd.DataFrame(rows)


def test_plan_pairs_the_same_seeds_and_shortens_the_horizon():
    base = sim.load_scenario("baseline")
    scen = sim.load_scenario("baseline", overrides={"commissioning.contract_months": 12})
    jobs = comparison.plan(base, scen, seeds=3, months=10)
    assert len(jobs) == 6
    assert [j.seed for j in jobs if j.arm == "baseline"] == [j.seed for j in jobs if j.arm == "scenario"]
    assert [j.seed for j in jobs if j.arm == "baseline"] == sim.replication_seeds(base, 3)
    assert {j.scenario.run.months for j in jobs} == {10}
    assert all(j.scenario.commissioning.contract_months == 12 for j in jobs if j.arm == "scenario")
    with pytest.raises(ValueError):
        comparison.plan(base, scen, seeds=0)


def test_paired_difference_with_confidence_interval():
    monthly = fake_monthly([0.30, 0.32, 0.31, 0.29, 0.33], [0.40, 0.43, 0.41, 0.40, 0.42])
    (d,) = comparison.differences(monthly, ["joined_up_share"])
    paired = np.array([0.10, 0.11, 0.10, 0.11, 0.09])
    mean, lo, hi = sim.mean_ci(paired)
    assert d.difference == pytest.approx(mean) and d.ci_low == pytest.approx(lo) and d.ci_high == pytest.approx(hi)
    assert d.n == 5 and d.baseline == pytest.approx(0.31) and d.scenario == pytest.approx(0.412)
    assert d.reading.startswith("Joined-up support is higher than in the baseline")
    assert "better" in d.reading


def test_readings_in_plain_words():
    worse = comparison.reading("reoffending_rate", 0.20, 0.25, 0.05, 0.03, 0.07)
    assert worse.startswith("Reoffending (a year) is higher") and "worse" in worse and "25%" in worse
    unclear = comparison.reading("charity_closures", 3.0, 3.4, 0.4, -0.5, 1.3)
    assert unclear.startswith("Charity closures: no clear difference")
    same = comparison.reading("defections", 2.0, 2.0, 0.0, 0.0, 0.0)
    assert "no difference" in same
    neutral = comparison.reading("partnerships_active", 4.0, 6.0, 2.0, 1.0, 3.0)
    assert "better" not in neutral and "worse" not in neutral
    own = comparison.reading("reoffending_rate", 0.20, 0.25, 0.05, 0.03, 0.07, against="without your changes")
    assert own.startswith("Reoffending (a year) is higher than without your changes")
    assert "no data in one of the two" in comparison.reading("defections", math.nan, 1.0, math.nan, math.nan, math.nan)
    assert "no data in either" in comparison.reading("defections", math.nan, math.nan, math.nan, math.nan, math.nan)


def test_no_verdict_when_the_two_differ_in_size():
    judged = comparison.reading("charity_closures", 4.2, 0.6, -3.6, -4.5, -2.7, against="the baseline")
    assert "better" in judged
    unjudged = comparison.reading("charity_closures", 4.2, 0.6, -3.6, -4.5, -2.7, against="the baseline",
                                  verdicts=False)
    assert "lower" in unjudged and "better" not in unjudged and "worse" not in unjudged


def test_size_mismatch_names_what_differs_and_policy_does_not_count():
    inspire, halved, base = (sim.load_scenario(n) for n in ("inspire", "inspire_halved", "baseline"))
    assert comparison.size_mismatch(inspire, halved) == []
    found = comparison.size_mismatch(halved, base)
    assert "60 charities against 150" in found and any("clients" in f for f in found)


def test_same_setup_ignores_titles_but_not_levers():
    inspire = sim.load_scenario("inspire")
    retitled = sim.load_scenario("inspire", overrides={"run.title": "Another name"})
    assert comparison.same_setup(inspire, retitled)
    assert not comparison.same_setup(inspire, sim.load_scenario("inspire_halved"))


def test_comparison_export_is_readable_and_rounded():
    monthly = fake_monthly([0.30, 0.32, 0.31], [0.40, 0.43, 0.41])
    frame = comparison.differences_frame(comparison.differences(monthly, ["joined_up_share"]),
                                         {"baseline": "Inspire", "scenario": "Your setup"})
    row = frame.iloc[0]
    assert row["Metric"] == "Joined-up support" and row["Inspire (end of run)"] == "31%"
    assert row["difference"] == pytest.approx(10.33, abs=0.01) and row["Difference"] == "+10.3 points"


def test_bands_give_mean_and_interval_per_arm_and_month():
    monthly = fake_monthly([0.3, 0.32, 0.31], [0.4, 0.42, 0.41])
    b = comparison.bands(monthly, "joined_up_share")
    assert set(b["arm"]) == {"baseline", "scenario"} and len(b) == 8
    last = b[(b["arm"] == "scenario") & (b["month"] == 3)].iloc[0]
    assert last["mean"] == pytest.approx(0.41)
    assert last["ci_low"] < last["mean"] < last["ci_high"]


def test_a_real_comparison_runs_in_the_background_with_progress():
    base = sim.load_scenario("baseline", months=6)
    scen = sim.load_scenario("baseline", months=6, overrides={"commissioning.monitoring": "standardised"})
    progress = []
    with ThreadPoolExecutor(max_workers=2) as pool:  # threads here; the page uses worker processes
        run = comparison.Run(comparison.plan(base, scen, seeds=2), executor=pool).start()
        monthly = run.wait(on_progress=lambda done, total: progress.append((done, total)))
    assert progress[-1] == (4, 4)
    assert set(monthly["arm"]) == {"baseline", "scenario"} and monthly["month"].max() == 6
    diffs = comparison.differences(monthly)
    assert [d.metric for d in diffs] == [m for m in comparison.COMPARED_METRICS if m in monthly.columns]
    assert all(d.reading for d in diffs)
    frame = comparison.differences_frame(diffs)
    assert {"metric", "difference", "ci_low", "ci_high", "reading"} <= set(frame.columns)


def test_a_cancelled_or_failing_comparison_says_so_in_words():
    base = sim.load_scenario("baseline", months=3)
    with ThreadPoolExecutor(max_workers=1) as pool:
        run = comparison.Run(comparison.plan(base, base, seeds=2), executor=pool).start()
        run.cancel()
        with pytest.raises(RuntimeError, match="stopped"):
            run.wait()

    class Broken:
        def submit(self, fn, job):
            from concurrent.futures import Future

            f = Future()
            f.set_exception(ValueError("boom"))
            return f

    with pytest.raises(RuntimeError, match="runs failed"):
        comparison.Run(comparison.plan(base, base, seeds=1), executor=Broken()).start().wait()


def test_baseline_name_prefers_baseline_toml():
    assert comparison.baseline_name(["a.toml", "baseline.toml"]) == "baseline.toml"
    assert comparison.baseline_name(["a.toml"]) == "a.toml"
    assert comparison.baseline_name([]) is None


def test_across_plausible_assumptions_both_arms_share_each_draw_and_keep_their_policy(tmp_path):
    draws = pd.DataFrame({"weight": [1.0, 1.0], "clients.support_effect": [0.1, 0.5],
                          "commissioning.value_change_at_retender": [0.2, 0.3]})
    draws.to_parquet(tmp_path / "posterior.parquet")
    sampled = comparison.posterior_draws(str(tmp_path), 4)
    assert len(sampled) == 4 and {d["clients.support_effect"] for d in sampled} <= {0.1, 0.5}
    inspire, halved = sim.load_scenario("inspire"), sim.load_scenario("inspire_halved")
    jobs = comparison.plan(inspire, halved, seeds=4, months=6, draws=sampled)
    for i in range(4):
        base, scen = (j for j in jobs if j.replication == i)
        assert base.scenario.clients.support_effect == scen.scenario.clients.support_effect == \
            sampled[i]["clients.support_effect"]
        # the policy the two arms differ in is not overwritten by the draw
        assert base.scenario.commissioning.value_change_at_retender == 0.0
        assert scen.scenario.commissioning.value_change_at_retender == -0.5
