"""Comparison statistics, sensitivity ranking, scenario discovery and reports."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.experiments import load_experiment, run_sweep
from sim.experiments.compare import compare_metric, compare_runs
from sim.experiments.discovery import discover, parse_condition
from sim.experiments.report import write_report
from sim.experiments.sensitivity import analyse

from sweep_helpers import cli


# ------------------------------------------------------------------ comparison statistics

def test_paired_comparison_matches_scipy():
    rng = np.random.default_rng(1)
    a = rng.normal(0.3, 0.05, 12)
    b = a + rng.normal(0.04, 0.02, 12)
    r = compare_metric("rel_frontline_mean", a, b, paired=True, label_a="separate", label_b="co-located")
    d = b - a
    half = stats.t.ppf(0.975, 11) * d.std(ddof=1) / math.sqrt(12)
    assert r.difference == pytest.approx(d.mean())
    assert (r.ci_low, r.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert r.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert r.effect_size == pytest.approx(d.mean() / d.std(ddof=1))
    assert r.verdict == "higher, better"
    assert "higher under co-located" in r.sentence and "95% CI" in r.sentence


def test_unpaired_comparison_is_welch_with_hedges_g():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0, 10.0])
    r = compare_metric("charity_closures", a, b, paired=False)
    assert r.test == "Welch's t-test" and r.effect_name == "Hedges' g"
    assert r.p_value == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue)
    assert r.ci_low < r.difference < r.ci_high


def test_no_difference_and_no_spread():
    same = compare_metric("defections", [2, 2, 2], [2, 2, 2], paired=True)
    assert same.verdict == "same" and same.difference == 0
    noisy = compare_metric("defections", [1, 2, 3, 4], [2, 1, 4, 3], paired=True)
    assert noisy.verdict == "no clear difference"


def test_bootstrap_interval_is_seeded_and_brackets_the_difference():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 20), rng.normal(1, 1, 20)
    r1 = compare_metric("partnership_size_mean", a, b, paired=False, ci="bootstrap")
    r2 = compare_metric("partnership_size_mean", a, b, paired=False, ci="bootstrap")
    assert (r1.ci_low, r1.ci_high) == (r2.ci_low, r2.ci_high)
    assert r1.ci_low < r1.difference < r1.ci_high


def test_a_difference_below_practical_relevance_is_not_called_higher():
    """Issue 13: 0.9999999947 against 0.9999999999 was 'higher (better), large effect, d = 124'."""
    rng = np.random.default_rng(3)
    a = 0.9999999947 + rng.normal(0, 1e-11, 10)
    b = 0.9999999999 + rng.normal(0, 1e-11, 10)
    r = compare_metric("needs_met_share", a, b, paired=True)
    assert r.p_value < 1e-6, "the difference is real"
    assert r.verdict == "not practically relevant"
    assert "higher" not in r.sentence and "smaller than the 0.010 that matters" in r.sentence


def test_many_metrics_are_corrected_with_holm_or_benjamini_hochberg():
    """Issue 13: no correction across 25 metrics. Holm's adjusted p-values match the textbook definition."""
    from sim.experiments.compare import adjust_p

    p = [0.01, 0.04, 0.03, 0.005, float("nan")]
    holm = adjust_p(p, "holm")
    assert holm[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02]) and math.isnan(holm[4])
    bh = adjust_p(p, "bh")
    assert bh[:4] == pytest.approx(stats.false_discovery_control([0.01, 0.04, 0.03, 0.005], method="bh"))
    # four metrics with p just under 0.05 each: none survives Holm
    rng = np.random.default_rng(4)
    rows = []
    for i in range(20):
        rows.append({"scenario": "a", "replication": i, "seed": i, **{m: rng.normal(0.5, 0.1) for m in METRICS4}})
        rows.append({"scenario": "b", "replication": i, "seed": i, **{m: rng.normal(0.5, 0.1) for m in METRICS4}})
    import pandas as pd

    frame = pd.DataFrame(rows)
    out = compare_runs(frame, "scenario", "a", "b", METRICS4, correction="holm")
    for r in out:
        assert r.p_adjusted >= r.p_value
        assert r.verdict in ("no clear difference", "not practically relevant") or r.p_adjusted < 0.05
    assert "Holm-adjusted" in out[0].sentence


METRICS4 = ["needs_met_share", "joined_up_share", "referral_success_rate", "breach_rate"]


def test_difference_intervals_stay_in_the_feasible_range():
    """Issue 13: intervals left the feasible range; a difference of two shares lies in [-1, 1]."""
    r = compare_metric("needs_met_share", [0.0, 0.0, 0.1], [1.0, 0.2, 1.0], paired=False)
    assert -1.0 <= r.ci_low and r.ci_high <= 1.0


def test_metrics_with_no_data_say_so():
    r = compare_metric("continuity_on_transfer", [float("nan")] * 3, [float("nan")] * 3, paired=True)
    assert r.verdict == "no data"
    from sim.experiments.compare import format_table

    assert "no data" in format_table([r], "a", "b")


def test_compare_command_prints_one_json_object(tmp_path):
    out = tmp_path / "kept"
    result = cli("compare", "inspire", "inspire_separate_sites", "--seeds", "3", "--months", "12", "--workers", "0",
                 "--set", "demand.clients=150", "--metrics", "rel_frontline_mean,referral_success_rate",
                 "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["paired"] is True and payload["seeds"] == 3
    assert set(payload["metrics"]) == {"rel_frontline_mean", "referral_success_rate"}
    m = payload["metrics"]["rel_frontline_mean"]
    assert {"mean_a", "mean_b", "difference", "ci_low", "ci_high", "p_value", "effect_size", "sentence"} <= set(m)
    assert payload["correction"] == "Holm" and m["p_adjusted"] >= m["p_value"] and m["relevance"] == 0.01
    # the same seeds as `partnersim run SCENARIO --seeds 3` (replication seeds from run.seed)
    import sim

    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.loc[runs["scenario"] == "inspire", "seed"]) == sim.replication_seeds(sim.load_scenario("inspire"), 3)


# ------------------------------------------------------------------ sensitivity and discovery with a known answer

def _toy_model(scenario, seed):
    """A stand-in whose answer is known: engagement matters a lot, contract length a little, monitoring not at all."""
    import sim

    rng = np.random.default_rng(seed)
    value = (10 * scenario.statutory.engagement + scenario.commissioning.contract_months / 96
             + 0.01 * rng.normal())
    monthly = pd.DataFrame({"month": [0, 1], **{m: [0.0, value] for m in sim.METRICS}})
    return sim.RunResult(seed, monthly, {m: value for m in sim.METRICS})


def _toy_experiment(tmp_path, design: str, extra: str) -> object:
    (tmp_path / f"{design}.toml").write_text(f"""
[experiment]
scenarios = ["baseline"]
design = "{design}"
seed = 11
months = 1
metrics = ["partnerships_active"]
{extra}
[parameters]
"statutory.engagement" = {{ low = 0.0, high = 1.0 }}
"commissioning.contract_months" = {{ low = 12, high = 96 }}
"commissioning.monitoring" = ["per_partner", "standardised"]
""")
    return load_experiment(tmp_path / f"{design}.toml")


@pytest.mark.parametrize("design, extra", [("morris", "trajectories = 10"), ("sobol", "samples = 64")])
def test_sensitivity_ranks_the_lever_that_matters_first(tmp_path, design, extra):
    exp = _toy_experiment(tmp_path, design, extra)
    out = tmp_path / design
    assert run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False).left == 0
    table = analyse(exp, pd.read_parquet(out / "runs.parquet"), "partnerships_active")
    assert list(table["lever"][:2]) == ["statutory.engagement", "commissioning.contract_months"]
    assert table["importance"].iloc[2] < 0.05 * table["importance"].iloc[0]
    assert (table["importance_conf"] >= 0).all()


def test_prim_through_the_ema_workbench_finds_the_box_with_its_trajectory_and_quasi_p_values(tmp_path):
    """Issue 13: discovery was a CART tree only; no peeling trajectory, trade-off or box inspection."""
    from sim.experiments.discovery import format_prim, prim_discover

    exp = _toy_experiment(tmp_path, "latin_hypercube", "samples = 80")
    out = tmp_path / "lhs"
    run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False)
    runs = pd.read_parquet(out / "runs.parquet")
    result = prim_discover(runs, exp.parameter_names, parse_condition("partnerships_active <= 3"),
                           figures=out / "figures")
    traj = result["trajectory"]
    assert len(traj) > 2 and traj[0]["mass"] == 1.0 and traj[0]["coverage"] == 1.0
    assert [r["mass"] for r in traj] == sorted((r["mass"] for r in traj), reverse=True), "peeling shrinks the box"
    assert result["density"] >= 0.8 and result["coverage"] > 0.8
    engagement = next(r for r in result["box"] if r["lever"] == "statutory.engagement")
    assert engagement["range"].startswith("<= ") and float(engagement["range"][3:]) < 0.35
    assert engagement["qp"] is not None and engagement["qp"] < 0.05
    assert {"prim_tradeoff.png", "prim_box.png"} <= set(result["figures"])
    assert all((out / "figures" / f).stat().st_size > 5_000 for f in result["figures"])
    assert "quasi-p" in format_prim(result)


def test_discover_command_writes_prim_and_the_tree_and_the_report_shows_them(tmp_path):
    from sim.cli import main

    exp = _toy_experiment(tmp_path, "latin_hypercube", "samples = 60")
    out = tmp_path / "lhs"
    run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False)
    assert main(["discover", str(out), "--where", "partnerships_active <= 3"]) == 0
    saved = json.loads((out / "discovery.json").read_text())
    assert saved["prim"]["box"] and saved["boxes"], "PRIM and the tree side by side"
    md = write_report(out, network=False).read_text()
    assert "PRIM (EMA Workbench)" in md and "figures/prim_tradeoff.png" in md and "quasi-p-value" in md
    assert "Decision tree (beside PRIM)" in md


def test_prim_and_figures_work_on_the_collapse_discovery_experiment(tmp_path):
    """The shipped experiment, smaller (40 samples, 24 months): discover, then report with every figure."""
    from sweep_helpers import ROOT

    text = (ROOT / "experiments" / "collapse_discovery.toml").read_text()
    text = text.replace("samples = 120", "samples = 40\nmonths = 24")
    path = tmp_path / "collapse_small.toml"
    path.write_text(text)
    out = tmp_path / "out"
    result = cli("discover", str(path), "--out", str(out), "--workers", "0", "--threshold", "0.5")
    assert result.returncode == 0, result.stderr
    assert "PRIM peeling trajectory" in result.stdout or "PRIM:" in result.stdout
    report = cli("report", str(out), "--no-network", "--runs")
    assert report.returncode == 0, report.stderr
    md = (out / "report.md").read_text()
    assert "## When do partnerships collapse?" in md and "figures/levers.png" in md
    assert (out / "figures" / "levers.png").stat().st_size > 10_000


def test_discovery_finds_the_box_where_partnerships_collapse(tmp_path):
    exp = _toy_experiment(tmp_path, "latin_hypercube", "samples = 80")
    out = tmp_path / "lhs"
    run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False)
    runs = pd.read_parquet(out / "runs.parquet")
    result = discover(runs, exp.parameter_names, parse_condition("partnerships_active <= 3"))
    import gc

    gc.collect()  # the boxes' rules once vanished at the next garbage collection (printed as "everywhere")
    top = result["boxes"][0]
    assert any(r.startswith("statutory.engagement <=") for r in top["rules"])
    assert top["density"] > 0.9 and top["coverage"] > 0.9
    assert next(iter(result["importance"])) == "statutory.engagement"


# ------------------------------------------------------------------ reports

def test_report_on_a_sweep_folder(reference_sweep, tmp_path):
    import shutil

    _, reference = reference_sweep
    folder = tmp_path / "sweep"
    shutil.copytree(reference, folder)
    md = write_report(folder, network=True).read_text()
    for fig in ("timeseries.png", "comparison.png", "network.png"):
        assert (folder / "figures" / fig).stat().st_size > 10_000
    assert "## What was run" in md and "## How the conditions differ" in md and "figures/network.png" in md
    assert "Not drawn" not in md


def test_report_lists_every_override_and_what_actually_ran(reference_sweep, tmp_path):
    """Issue 13: the report said "150 charities, 3,000 clients" when its [set] ran 40 and 600."""
    import shutil

    folder = tmp_path / "sweep"
    shutil.copytree(reference_sweep[1], folder)
    md = write_report(folder, network=False).read_text()
    for override in ("`sector.charities = 30`", "`sector.localities = 5`", "`sector.prisons = 1`",
                     "`demand.clients = 400`"):
        assert override in md
    as_run = next(line for line in md.splitlines() if line.startswith("| baseline |"))
    assert as_run == "| baseline | 24 | 30 | 5 | 1 | 400 |"
    assert "Holm-adjusted" in md and "practical relevance" in md


def test_report_figures_have_units_full_labels_and_individual_runs(reference_sweep, tmp_path, monkeypatch):
    """Issue 13: no y-labels or units, no individual runs, labels truncated until rollover and market test matched."""
    import shutil

    from sim.experiments import report

    folder = tmp_path / "sweep"
    shutil.copytree(reference_sweep[1], folder)
    seen = {}
    real = report.plot_comparison

    def spy(runs, metrics, groups, path, codes=None, model_cls=None, show_runs=False):
        seen.update(groups=groups, codes=codes, show_runs=show_runs)
        return real(runs, metrics, groups, path, codes, model_cls, show_runs)

    monkeypatch.setattr(report, "plot_comparison", spy)
    md = write_report(folder, network=False, show_runs=True).read_text()
    assert seen["show_runs"] is True
    assert len(set(seen["codes"].values())) == len(seen["groups"]), "every condition keeps its own label"
    assert "## Conditions" in md and "| C1 | baseline, contract_months=12 |" in md
    assert report.axis_label("rel_frontline_mean").endswith("[tie strength (0-1)]")
    codes = report.condition_codes(["inspire, retender=rollover, engagement=0.5",
                                     "inspire, retender=market_test, engagement=0.5"])
    assert len(set(codes.values())) == 2


def test_report_on_a_run_with_one_seed_and_a_metric_with_no_data(tmp_path):
    import sim

    scenario = sim.load_scenario("baseline", {"sector.charities": 20, "demand.clients": 60}, months=2)
    monthly, final = sim.run_seeds(scenario, 1, progress=False)
    final["partnerships_active"] = float("nan")
    monthly["partnerships_active"] = float("nan")
    sim.write_results(tmp_path, scenario, monthly, final, "baseline")
    md = write_report(tmp_path, network=False).read_text()
    row = next(line for line in md.splitlines() if "(`partnerships_active`)" in line)
    assert row.endswith("| no data |")
    assert "[n/a]" in md


def test_report_on_a_run_out_folder(tmp_path):
    import sim

    scenario = sim.load_scenario("baseline", {"sector.charities": 30, "demand.clients": 300}, months=12)
    monthly, final = sim.run_seeds(scenario, 3, progress=False)
    sim.write_results(tmp_path, scenario, monthly, final, "baseline")
    result = cli("report", str(tmp_path), "--no-network")
    assert result.returncode == 0, result.stderr
    md = (tmp_path / "report.md").read_text()
    assert "Baseline region" in md and "3 seeded runs" in md
    assert (tmp_path / "figures" / "timeseries.png").is_file()


def test_sensitivity_and_discovery_results_appear_in_the_report(tmp_path):
    exp = _toy_experiment(tmp_path, "morris", "trajectories = 10")
    out = tmp_path / "m"
    run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False)
    runs = pd.read_parquet(out / "runs.parquet")
    table = analyse(exp, runs, "partnerships_active")
    from sim.experiments.sensitivity import records

    (out / "sensitivity.json").write_text(json.dumps({"partnerships_active": records(table)}))
    (out / "discovery.json").write_text(json.dumps(
        discover(runs, exp.parameter_names, parse_condition("partnerships_active <= 3"))))
    md = write_report(out, network=False).read_text()
    assert "## Which levers matter most" in md and "statutory.engagement" in md
    assert "## When do partnerships collapse?" in md
    assert (out / "figures" / "tornado_partnerships_active.png").is_file()
    assert (out / "figures" / "morris_partnerships_active.png").is_file(), "the Morris mu*-sigma plot"
    assert "Convergence:" in md


@pytest.mark.parametrize("design, extra, needle", [
    ("sobol", "samples = 1", "at least 64 base samples"),
    ("sobol", "samples = 32", "at least 64 base samples"),
    ("morris", "trajectories = 4", "at least 10 trajectories"),
])
def test_sensitivity_designs_below_the_minimum_are_refused(tmp_path, design, extra, needle):
    """Issue 13: Sobol with samples = 1 reported S1 = 1.25 with +/-0.000 and called the lever "clearly ahead"."""
    from sim.cli import main

    exp = _toy_experiment(tmp_path, design, extra)
    with pytest.raises(Exception, match=needle):
        analyse(exp, pd.DataFrame({"point": [], "partnerships_active": []}), "partnerships_active")
    assert main(["sensitivity", exp.source, "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert not (tmp_path / "o").exists(), "refused before any run"


def test_sensitivity_carries_a_convergence_check_and_warns_on_wide_intervals(tmp_path):
    from sim.experiments.sensitivity import format_ranking, plain_summary

    exp = _toy_experiment(tmp_path, "sobol", "samples = 64")
    out = tmp_path / "s"
    run_sweep(exp, out, workers=0, run_fn=_toy_model, progress=False)
    runs = pd.read_parquet(out / "runs.parquet")
    table = analyse(exp, runs, "partnerships_active")
    conv = pd.DataFrame(table.attrs["convergence"])
    assert sorted(conv["fraction"].unique()) == [0.25, 0.5, 1.0]
    assert conv[conv["fraction"] == 1.0].set_index("lever")["importance"].to_dict() == \
        pytest.approx(table.set_index("lever")["importance"].to_dict())
    assert "convergence" in format_ranking(table)
    # noise only: every index is small and its interval wide against it; nothing is "clearly ahead"
    noisy = runs.assign(partnerships_active=np.random.default_rng(0).normal(size=len(runs)))
    t2 = analyse(exp, noisy, "partnerships_active")
    assert t2.attrs["warnings"] and "clearly ahead" not in plain_summary(t2)


def test_index_error_bars_never_reach_below_zero():
    """Issue 13: Morris error bars went below 0 (mu* and ST cannot be negative)."""
    from sim.experiments.report import nonnegative_whiskers

    lower, upper = nonnegative_whiskers([0.01, 0.3, -0.02], [0.5, 0.1, 0.05])
    values = np.array([0.01, 0.3, 0.0])
    assert (values - lower >= 0).all() and list(upper) == [0.5, 0.1, 0.05]
