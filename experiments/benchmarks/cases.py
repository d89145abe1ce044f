"""Model-run cases, each run by ``bench.py`` in a fresh subprocess.

    python cases.py '{"case": "run", ...}' RESULT.json

Cases:
    run        one ``sim.run`` of the baseline with overrides (baseline, national, scaling);
               wall and CPU time of the run only, mean clients under support
    boltzmann  Mesa's own Boltzmann wealth example: seconds per agent-step
"""

from __future__ import annotations

import time

from proctree import child_main


def case_run(args: dict) -> dict:
    import sim

    overrides = dict(args.get("overrides") or {})
    if args.get("months"):
        overrides["run.months"] = int(args["months"])
    scenario = sim.load_scenario("baseline", overrides)
    seed = args.get("seed")
    if args.get("warmup", True):  # first-call costs (lazy imports, caches) are not the run's
        sim.run(sim.load_scenario("baseline", {"run.months": 2}), seed=1)
    c0, t0 = time.process_time(), time.perf_counter()
    result = sim.run(scenario, seed)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    monthly = result.monthly
    stepped = monthly[monthly["month"] >= 1]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "months": int(scenario.run.months),
        "charities": int(scenario.sector.charities),
        "localities": int(scenario.sector.localities),
        "prisons": int(scenario.sector.prisons),
        "target_clients": int(scenario.demand.clients),
        "mean_clients": float(stepped["clients_active"].mean()),
        "final_clients": float(monthly["clients_active"].iloc[-1]),
        "charities_active_end": float(monthly["charities_active"].iloc[-1]),
    }


def case_boltzmann(args: dict) -> dict:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    n, width, height, steps = (int(args[k]) for k in ("n", "width", "height", "steps"))
    # warm-up model (not timed)
    warm = BoltzmannWealth(BoltzmannScenario(n=n, width=width, height=height, rng=int(args.get("seed", 0)) + 1))
    for _ in range(5):
        warm.step()
    c0, t0 = time.process_time(), time.perf_counter()
    model = BoltzmannWealth(BoltzmannScenario(n=n, width=width, height=height, rng=int(args.get("seed", 0))))
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "n": n, "width": width, "height": height, "steps": steps,
        "init_seconds": t1 - t0, "step_seconds": t2 - t1,
        "seconds_per_agent_step": (t2 - t1) / (n * steps),
        "seconds_per_agent_step_with_init": (t2 - t0) / (n * steps),
        "cpu_seconds_per_agent_step_with_init": (c2 - c0) / (n * steps),
    }


CASES = {"run": case_run, "boltzmann": case_boltzmann}

if __name__ == "__main__":
    child_main(lambda a: CASES[a["case"]](a))
