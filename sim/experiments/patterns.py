"""The patterns P1-P8 the model must reproduce (pattern-oriented modelling).

Each pattern pairs two scenario files and states directions that must hold
over seeded replications, tested at 5%. The same definitions drive the
pattern tests (``tests/patterns/``) and the generated table
(``experiments/patterns.py`` -> ``docs/patterns.md``). Nothing here is seen by
the model: every pattern emerges from the general mechanisms named in
``mechanism``.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..metrics import METRICS
from ..runner import derive_seed, mean_ci, run
from ..scenario import load_scenario

ALPHA = 0.05
BASE_SEED = 20171130


@dataclass(frozen=True)
class Check:
    """One directional claim.

    kind "between": metric at the end of run in scenario ``a`` is ``alternative``
    ("greater"/"less") than in ``b`` (Wilcoxon signed-rank over the common seeds, one-sided;
    seeds where either side has no data are dropped).
    kind "over_time": in scenario ``scenario`` the end-of-run metric is
    ``alternative`` than at month ``month`` (Wilcoxon signed-rank, one-sided);
    ``alternative="not_less"`` asks that it has not fallen by more than ``tolerance``.
    kind "below": in scenario ``scenario`` the end-of-run metric is below ``other``
    (Wilcoxon signed-rank over seeds, one-sided).
    kind "at_most" / "at_least": in scenario ``scenario`` every seed's end-of-run
    metric is <= / >= ``value``; "median_at_most": the median over seeds is <= ``value``
    (the typical run; the share of seeds at or below it is reported beside it).
    """

    metric: str
    kind: str = "between"
    alternative: str = "greater"
    scenario: str = "a"
    month: int = 0
    value: float = 0.0
    other: str = ""
    tolerance: float = 0.05
    #: why the model does not (yet) reproduce this check, if it does not: reported, never hidden
    open_issue: str = ""


@dataclass(frozen=True)
class Pattern:
    """A pattern the model must reproduce: two scenarios, the checks that compare them, and the mechanism behind it."""
    pid: str
    title: str
    a: str
    b: str
    checks: tuple[Check, ...]
    mechanism: str
    seeds: int = 12
    figure_metric: str = ""


PATTERNS: tuple[Pattern, ...] = (
    Pattern("P1", "Fine Cell Work and RECOOP: an unfunded service neither could run alone",
            "fine_cell_work", "fine_cell_work_no_partnership",
            (Check("unfunded_collaborations", "between", "greater"),
             Check("unfunded_collaborations", "at_most", scenario="b", value=0.0),
             Check("needs_met_share", "between", "greater")),
            "partnering.search / _start_joint_service: know-how without access meets access without know-how; "
            "delivery.serve runs the joint service, so more needs are met", figure_metric="unfunded_collaborations"),
    Pattern("P2", "Inspire halved: the multi-partner model becomes unviable",
            "inspire", "inspire_halved",
            (Check("partners_delivering_mean", "between", "greater"),
             Check("partners_delivering_mean", "median_at_most", scenario="b", value=2.0),
             Check("joined_up_share", "between", "greater"),
             Check("needs_met_share", "between", "greater")),
            "tendering.split_caseload: the same specification for half the money leaves a shortfall that partners "
            "cannot carry from their own funds, so they withdraw; delivery.serve loses referrals to the "
            "specialists who left, and the lead's hours are spread thinner", figure_metric="partners_delivering_mean"),
    Pattern("P3", "Inspire market test: defections weaken relationships",
            "inspire_market_test", "inspire",
            (Check("defections", "between", "greater"),
             Check("rel_managerial_mean", "between", "less"),
             Check("referral_success_rate", "between", "less"),
             Check("joined_up_share", "between", "less")),
            "tendering.defect: partners bid outside the partnership at a market test; relationships.damage cuts "
            "both layers; delivery.serve: workers refer less, and less successfully, to partners whose frontline "
            "staff they no longer know, and the specialists who left no longer take referrals, so fewer clients "
            "get joined-up support", seeds=20,
            figure_metric="rel_managerial_mean"),
    Pattern("P4", "Inspire co-location: stronger frontline ties, better referrals",
            "inspire", "inspire_separate_sites",
            (Check("rel_partner_frontline_mean", "between", "greater"),
             Check("referral_success_rate", "between", "greater"),
             Check("joined_up_share", "between", "greater")),
            "partnering.invest adds frontline contact on one site; delivery.referral_success rises with frontline "
            "ties (no direct co-location term by default); delivery.serve: on separate sites a referred client "
            "must also attend the partner's site, so the less engaged drop out, and successful referrals on one "
            "site complete clients' support",
            seeds=16, figure_metric="referral_success_rate"),
    Pattern("P5", "Prison Family Support Alliance: consortium, shared records, frontline decay",
            "family_alliance", "family_alliance_no_shared_cms",
            (Check("contracts_active", "at_least", scenario="a", value=1.0),
             Check("consortium_contract_share", "at_least", scenario="a", value=1.0),
             Check("continuity_on_transfer", "between", "greater"),
             Check("needs_met_after_transfer", "between", "greater"),
             Check("rel_partner_frontline_mean", "below", scenario="a", other="rel_partner_managerial_mean")),
            "tendering.coverage/min_coverage: only a consortium covers the national lot; delivery.transfer: the "
            "record follows a transferred prisoner with a shared system (otherwise only through frontline ties), "
            "so engagement and the needs met after a transfer hold up; relationships.decay without frontline "
            "contact while partnering.invest keeps governance contact",
            # needs met after a transfer are counted over the few prisoners transferred in the last 12 months
            seeds=24, figure_metric="continuity_on_transfer"),
    Pattern("P5b", "Prison Family Support Alliance: joint training keeps frontline ties",
            "family_alliance_joint_training", "family_alliance",
            (Check("rel_partner_frontline_mean", "between", "greater"),
             Check("referral_success_rate", "between", "greater")),
            "partnering.invest adds frontline contact at each joint training; without it, frontline ties decay "
            "after the induction (relationships.decay); delivery.serve: workers who know each other refer more "
            "and more successfully", seeds=16, figure_metric="rel_partner_frontline_mean"),
    Pattern("P6", "Golden Key: long flexible funding builds relationships and system change",
            "golden_key", "golden_key_short",
            (Check("rel_managerial_mean", "between", "greater"),
             Check("system_barrier_index", "between", "less"),
             Check("joined_up_share", "between", "greater")),
            "partnering.horizon_factor scales relationship investment by the funding horizon; grant funders pay "
            "development time, add partners for gaps (partnering.reorganise) and monitor lightly; "
            "system_change.learn follows joint casework, ties, tenure, horizon and engagement",
            figure_metric="system_barrier_index"),
    Pattern("P6b", "Golden Key: low statutory engagement weakens relationships and system change",
            "golden_key", "golden_key_low_engagement",
            (Check("rel_partner_managerial_mean", "between", "greater"),
             Check("system_barrier_index", "between", "less"),
             Check("referral_success_rate", "between", "greater")),
            "partnering.invest scales governance contact by statutory attendance; system_change.learn by "
            "engagement; lower barriers between services make referrals succeed more often (delivery.serve)",
            seeds=24, figure_metric="system_barrier_index"),
    Pattern("P7", "Standardised monitoring lowers time spent on monitoring",
            "standardised_monitoring", "baseline",
            (Check("monitoring_time_share", "between", "less"),
             Check("needs_met_share", "between", "greater")),
            "delivery.monitoring_hours duplicates each partner's part when it keeps its own system; hours not "
            "spent on monitoring go to clients, whose needs are met more often where hours are scarce",
            # the hours saved move needs met by about a point: 24 seeds to see it where duplication is lower
            seeds=24, figure_metric="monitoring_time_share"),
    Pattern("P8", "Austerity: more small-charity closures, more charities in partnerships",
            "austerity", "baseline",
            (Check("small_charity_closures", "between", "greater"),
             Check("partnership_member_share", "between", "greater"),
             Check("clients_waiting", "between", "greater")),
            "delivery.waiting_list_hours: rising demand lengthens the waiting list each charity sees; "
            "finance.staffing: charities stretch their reserves to meet it from shrinking budgets, and those with "
            "thin reserves close; sector.pressure: a deficit that would use up reserves within the runway is "
            "pressure, and partnering.search: pressure makes partner search more likely (survival partnerships "
            "share fixed costs); delivery.assign_providers: fewer hours leave more clients waiting", seeds=32,
            figure_metric="partnership_member_share"),
)


def pattern(pid: str) -> Pattern:
    """The pattern with id ``pid`` (e.g. ``"P2"``)."""
    return next(p for p in PATTERNS if p.pid == pid)


def seeds_for(p: Pattern, n: int | None = None) -> list[int]:
    """Replication seeds of a pattern: fixed base seed, common to both scenarios (paired runs)."""
    return [derive_seed(BASE_SEED, p.pid, i) for i in range(n or p.seeds)]


def _run_one(job: tuple[str, int]) -> tuple[str, int, pd.DataFrame]:
    name, seed = job
    return name, seed, run(load_scenario(name), seed).monthly


def run_jobs(jobs: list[tuple[str, int]], workers: int = 2) -> dict[tuple[str, int], pd.DataFrame]:
    """Run (scenario, seed) jobs, in parallel processes; results do not depend on ``workers``."""
    jobs = sorted(set(jobs))
    if workers <= 1:
        return {(n, s): m for n, s, m in map(_run_one, jobs)}
    # spawn: the caller may hold threads (a test runner, a Dask client), which fork would copy unsafely
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return {(n, s): m for n, s, m in pool.map(_run_one, jobs, chunksize=2)}


def jobs_for(patterns: tuple[Pattern, ...] = PATTERNS, n: int | None = None) -> list[tuple[str, int]]:
    """The (scenario, seed) runs the patterns need, for ``n`` seeds each (default: each pattern's own)."""
    out = []
    for p in patterns:
        for s in seeds_for(p, n):
            out += [(p.a, s), (p.b, s)]
    return out


@dataclass
class CheckResult:
    """One check of a pattern: passed or not, the p-value, the means and the difference with its CI."""
    pattern: str
    check: Check
    passed: bool
    p_value: float
    a_mean: float
    b_mean: float
    diff: float
    ci_low: float
    ci_high: float
    seeds: int
    note: str = ""
    detail: dict = field(default_factory=dict)


#: Months at the end of a run over which an end-of-run value is averaged (less month-to-month noise).
END_WINDOW = 12


def _end(runs: dict, name: str, seeds: list[int], metric: str) -> np.ndarray:
    """End-of-run value of each seed: the mean over the last months (months with no data skipped)."""
    return np.array([np.nanmean(runs[(name, s)][metric].iloc[-END_WINDOW:].to_numpy(dtype=float))
                     if runs[(name, s)][metric].iloc[-END_WINDOW:].notna().any() else np.nan
                     for s in seeds], dtype=float)


def _at(runs: dict, name: str, seeds: list[int], metric: str, month: int) -> np.ndarray:
    return np.array([runs[(name, s)].set_index("month")[metric].loc[month] for s in seeds], dtype=float)


def evaluate(p: Pattern, runs: dict, n: int | None = None) -> list[CheckResult]:
    """Test every check of a pattern on finished runs."""
    seeds = seeds_for(p, n)
    out = []
    for c in p.checks:
        name = p.a if c.scenario == "a" else p.b
        if c.kind == "between":
            x, y = _end(runs, p.a, seeds, c.metric), _end(runs, p.b, seeds, c.metric)
            both = np.isfinite(x) & np.isfinite(y)  # paired seeds; a seed with no data on either side is dropped
            x, y = x[both], y[both]
            d = x - y
            if d.size == 0:
                pv = float("nan")
            elif np.all(d == d[0]):
                pv = 0.0 if d[0] != 0 and (d[0] > 0) == (c.alternative == "greater") else 1.0
            else:
                pv = float(stats.wilcoxon(x, y, alternative=c.alternative).pvalue)
        elif c.kind == "over_time":
            x, y = _end(runs, name, seeds, c.metric), _at(runs, name, seeds, c.metric, c.month)
            d = x - y
            if c.alternative == "not_less":
                pv = float("nan")
            elif np.all(d == 0):
                pv = 1.0
            else:
                pv = float(stats.wilcoxon(x, y, alternative=c.alternative).pvalue)
        elif c.kind == "below":
            x, y = _end(runs, name, seeds, c.metric), _end(runs, name, seeds, c.other)
            d = x - y
            pv = 1.0 if np.all(d == 0) else float(stats.wilcoxon(x, y, alternative="less").pvalue)
        else:  # at_most, at_least
            x = _end(runs, name, seeds, c.metric)
            y = np.full_like(x, c.value)
            d = x - y
            pv = float("nan")
        m, lo, hi = mean_ci(d)
        detail: dict = {}
        if c.kind == "at_most":
            passed = bool(np.all(x <= c.value + 1e-12))
        elif c.kind == "median_at_most":
            passed = bool(np.isfinite(x).any() and np.nanmedian(x) <= c.value + 1e-12)
            detail = {"share_of_seeds": float(np.mean(x <= c.value + 1e-12))}
        elif c.kind == "at_least":
            passed = bool(np.all(x >= c.value - 1e-12))
        elif c.kind == "below":
            passed = pv < ALPHA
        elif c.alternative == "not_less":
            passed = bool(lo >= -c.tolerance) if np.isfinite(lo) else bool(m >= -c.tolerance)
        else:
            passed = pv < ALPHA
        note = f"median {np.nanmedian(x):.3g}; {detail['share_of_seeds']:.0%} of seeds at or below {c.value:g}" \
            if c.kind == "median_at_most" else ""
        out.append(CheckResult(p.pid, c, passed, pv, float(np.nanmean(x)), float(np.nanmean(y)), m, lo, hi, len(seeds),
                               note=note, detail=detail))
    return out


__all__ = ["PATTERNS", "Pattern", "Check", "CheckResult", "evaluate", "run_jobs", "jobs_for", "seeds_for",
           "pattern", "METRICS"]
